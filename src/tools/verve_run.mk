# verve_run: the local launcher. It embeds the bootstrap server of
# src/core/boot, an internal part, hence the convenience library.
bin_PROGRAMS += src/tools/verve_run
src_tools_verve_run_SOURCES = src/tools/verve_run.c src/tools/verve_run.h \
    src/tools/verve_run_netns.c
src_tools_verve_run_LDADD = libverve_core.la
