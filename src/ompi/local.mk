# Open MPI integration (configure --with-ompi): the pml, mtl and coll
# components and their MPI tests, and the OpenSHMEM ones (spml, atomic,
# sshmem) with theirs when oshmem's headers are there.
# What every component is built with (see src/ompi/mtl/local.mk for why).
VERVE_OMPI_CPPFLAGS = -I$(top_srcdir)/include \
    -I$(top_srcdir)/src/ompi/common $(OMPI_CPPFLAGS)
VERVE_OMPI_CFLAGS = $(AM_CFLAGS) $(OMPI_CFLAGS)
VERVE_OMPI_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
    -Wl,--no-undefined -Wl,-z,nodelete $(OMPI_LDFLAGS)
VERVE_OMPI_LIBADD = src/ompi/common/libverve_ompi.la libverve.la -lmpi \
    -lopen-pal
include src/ompi/common/local.mk
include src/ompi/mtl/local.mk
include src/ompi/pml/local.mk
include test/mpi/local.mk
include src/ompi/coll/local.mk
include src/ompi/shmem/local.mk
include test/shmem/local.mk
