# mca_spml_verve.so, mca_atomic_verve.so and mca_sshmem_verve.so: Open
# MPI 4.1's OpenSHMEM (oshmem) over verve, built by the same configure
# probe as the MPI components when oshmem's headers are there too
# (HAVE_OMPI_SHMEM), with
# the same flags (see src/ompi/mtl/local.mk). include/ holds two headers
# of our own that make source-tree paths in oshmem's installed headers
# resolve to the installed shmem.h and mpi.h.
if HAVE_OMPI_SHMEM
SHMEM_VERVE_CPPFLAGS = $(VERVE_OMPI_CPPFLAGS) \
    -I$(top_srcdir)/src/ompi/shmem -I$(top_srcdir)/src/ompi/shmem/include \
    $(OSHMEM_CPPFLAGS)
SHMEM_VERVE_LDFLAGS = $(VERVE_OMPI_LDFLAGS)

ompispmldir = $(libdir)/openmpi
ompispml_LTLIBRARIES = src/ompi/shmem/mca_spml_verve.la
src_ompi_shmem_mca_spml_verve_la_SOURCES = \
    src/ompi/shmem/spml_verve.h \
    src/ompi/shmem/spml_verve_module.h \
    src/ompi/shmem/spml_verve_component.c \
    src/ompi/shmem/spml_verve.c
src_ompi_shmem_mca_spml_verve_la_CPPFLAGS = $(SHMEM_VERVE_CPPFLAGS)
src_ompi_shmem_mca_spml_verve_la_CFLAGS = $(VERVE_OMPI_CFLAGS)
src_ompi_shmem_mca_spml_verve_la_LDFLAGS = $(SHMEM_VERVE_LDFLAGS)
src_ompi_shmem_mca_spml_verve_la_LIBADD = \
    src/ompi/common/libverve_ompi.la libverve.la -loshmem -lmpi -lopen-pal

ompiatomicdir = $(libdir)/openmpi
ompiatomic_LTLIBRARIES = src/ompi/shmem/mca_atomic_verve.la
src_ompi_shmem_mca_atomic_verve_la_SOURCES = \
    src/ompi/shmem/spml_verve.h \
    src/ompi/shmem/atomic_verve.c
src_ompi_shmem_mca_atomic_verve_la_CPPFLAGS = $(SHMEM_VERVE_CPPFLAGS)
src_ompi_shmem_mca_atomic_verve_la_CFLAGS = $(VERVE_OMPI_CFLAGS)
src_ompi_shmem_mca_atomic_verve_la_LDFLAGS = $(SHMEM_VERVE_LDFLAGS)
src_ompi_shmem_mca_atomic_verve_la_LIBADD = libverve.la -loshmem -lmpi \
    -lopen-pal

# The heap allocated by verve, so that shm peers map it: see
# sshmem_verve.c.
ompisshmemdir = $(libdir)/openmpi
ompisshmem_LTLIBRARIES = src/ompi/shmem/mca_sshmem_verve.la
src_ompi_shmem_mca_sshmem_verve_la_SOURCES = \
    src/ompi/shmem/spml_verve.h \
    src/ompi/shmem/sshmem_verve.c
src_ompi_shmem_mca_sshmem_verve_la_CPPFLAGS = $(SHMEM_VERVE_CPPFLAGS)
src_ompi_shmem_mca_sshmem_verve_la_CFLAGS = $(VERVE_OMPI_CFLAGS)
src_ompi_shmem_mca_sshmem_verve_la_LDFLAGS = $(SHMEM_VERVE_LDFLAGS)
src_ompi_shmem_mca_sshmem_verve_la_LIBADD = libverve.la -loshmem -lmpi \
    -lopen-pal
endif
EXTRA_DIST += src/ompi/shmem/include/oshmem/include/shmem.h \
    src/ompi/shmem/include/ompi/include/mpi.h
