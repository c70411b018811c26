# mca_mtl_verve.so, Open MPI 4.1's mtl over verve's tag matching, built
# when configure found Open MPI 4.1's internal headers. It is installed in
# $(libdir)/openmpi, which Open MPI does not search by itself: give
#   --mca mca_base_component_path $(libdir)/openmpi:<Open MPI's own folder>
# (ompi_info --path pkglibdir prints the latter, which must stay in the
# list), or set mca_base_component_path in an MCA parameter file.
# Open MPI's headers come in with -isystem (OMPI_CPPFLAGS) so that the
# project's -Werror judges this code, not theirs. -z nodelete keeps the
# component (and libverve under it) mapped after MPI_Finalize dlcloses
# it: whatever verve left registered (atexit handlers, a thread) still
# has its code, and leak reports at exit can name its frames.
if HAVE_OMPI_MTL
ompimtldir = $(libdir)/openmpi
ompimtl_LTLIBRARIES = src/ompi/mtl/mca_mtl_verve.la
src_ompi_mtl_mca_mtl_verve_la_SOURCES = \
    src/ompi/mtl/mtl_verve.h \
    src/ompi/mtl/mtl_verve_component.c \
    src/ompi/mtl/mtl_verve.c \
    src/ompi/mtl/mtl_verve_send.c \
    src/ompi/mtl/mtl_verve_recv.c \
    src/ompi/mtl/mtl_verve_probe.c \
    src/ompi/mtl/mtl_verve_cancel.c
src_ompi_mtl_mca_mtl_verve_la_CPPFLAGS = $(VERVE_OMPI_CPPFLAGS)
src_ompi_mtl_mca_mtl_verve_la_CFLAGS = $(VERVE_OMPI_CFLAGS)
src_ompi_mtl_mca_mtl_verve_la_LDFLAGS = $(VERVE_OMPI_LDFLAGS)
src_ompi_mtl_mca_mtl_verve_la_LIBADD = $(VERVE_OMPI_LIBADD)
endif
EXTRA_DIST += src/ompi/README.md
