# Open MPI integration (configure --with-ompi): the mtl component and its
# MPI tests.
include src/ompi/mtl/local.mk
include test/mpi/local.mk
