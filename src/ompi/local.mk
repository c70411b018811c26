# Open MPI integration (configure --with-ompi): the mtl and pml components
# and their MPI tests.
include src/ompi/common/local.mk
include src/ompi/mtl/local.mk
include src/ompi/pml/local.mk
include test/mpi/local.mk
include src/ompi/coll/local.mk
include src/ompi/shmem/local.mk
include test/shmem/local.mk
