# mca_coll_verve.so: MPI's collectives on verve's, for Open MPI 4.1 under
# any pml; built and installed beside the pml and mtl components by the
# same configure probe and with the same flags (see src/ompi/mtl/local.mk).
if HAVE_OMPI_MTL
ompicolldir = $(libdir)/openmpi
ompicoll_LTLIBRARIES = src/ompi/coll/mca_coll_verve.la
src_ompi_coll_mca_coll_verve_la_SOURCES = \
    src/ompi/coll/coll_verve.h \
    src/ompi/coll/coll_verve_component.c \
    src/ompi/coll/coll_verve_module.c \
    src/ompi/coll/coll_verve_map.c \
    src/ompi/coll/coll_verve_ops.c \
    src/ompi/coll/coll_verve_vops.c \
    src/ompi/coll/coll_verve_request.c
src_ompi_coll_mca_coll_verve_la_CPPFLAGS = $(VERVE_OMPI_CPPFLAGS)
src_ompi_coll_mca_coll_verve_la_CFLAGS = $(VERVE_OMPI_CFLAGS)
src_ompi_coll_mca_coll_verve_la_LDFLAGS = $(VERVE_OMPI_LDFLAGS)
src_ompi_coll_mca_coll_verve_la_LIBADD = $(VERVE_OMPI_LIBADD)
endif
