# What Open MPI's verve components share (the tag layout, errors, the
# modex), compiled into each one: a convenience library of PIC objects.
if HAVE_OMPI_MTL
noinst_LTLIBRARIES += src/ompi/common/libverve_ompi.la
src_ompi_common_libverve_ompi_la_SOURCES = \
    src/ompi/common/verve_ompi.h \
    src/ompi/common/verve_ompi.c \
    src/ompi/common/verve_ompi_datatype.h \
    src/ompi/common/verve_ompi_datatype.c \
    src/ompi/common/verve_ompi_share.h \
    src/ompi/common/verve_ompi_share.c \
    src/ompi/common/verve_ompi_peers.h \
    src/ompi/common/verve_ompi_peers.c \
    src/ompi/common/verve_ompi_probe.h \
    src/ompi/common/verve_ompi_probe.c
src_ompi_common_libverve_ompi_la_CPPFLAGS = $(VERVE_OMPI_CPPFLAGS)
src_ompi_common_libverve_ompi_la_CFLAGS = $(VERVE_OMPI_CFLAGS)
endif
