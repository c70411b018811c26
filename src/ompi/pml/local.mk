# mca_pml_verve.so, Open MPI 4.1's point-to-point layer straight on
# verve's tag matching (no pml cm between), built and installed beside
# mca_mtl_verve.so by the same configure probe and with the same flags
# (see src/ompi/mtl/local.mk).
if HAVE_OMPI_MTL
ompipmldir = $(libdir)/openmpi
ompipml_LTLIBRARIES = src/ompi/pml/mca_pml_verve.la
src_ompi_pml_mca_pml_verve_la_SOURCES = \
    src/ompi/pml/pml_verve.h \
    src/ompi/pml/pml_verve_component.c \
    src/ompi/pml/pml_verve.c \
    src/ompi/pml/pml_verve_request.c \
    src/ompi/pml/pml_verve_send.c \
    src/ompi/pml/pml_verve_recv.c \
    src/ompi/pml/pml_verve_probe.c \
    src/ompi/pml/pml_verve_datatype.c
src_ompi_pml_mca_pml_verve_la_CPPFLAGS = $(VERVE_OMPI_CPPFLAGS)
src_ompi_pml_mca_pml_verve_la_CFLAGS = $(VERVE_OMPI_CFLAGS)
src_ompi_pml_mca_pml_verve_la_LDFLAGS = $(VERVE_OMPI_LDFLAGS)
src_ompi_pml_mca_pml_verve_la_LIBADD = $(VERVE_OMPI_LIBADD)
endif
