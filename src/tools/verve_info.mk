# verve_info: version, build configuration, transports and configuration
# variables. It walks internal tables, so it links the convenience library,
# and all of it: a configuration table registered by a constructor in an
# object that nothing else references would otherwise be left out.
bin_PROGRAMS += src/tools/verve_info
src_tools_verve_info_SOURCES = src/tools/verve_info.c
src_tools_verve_info_CPPFLAGS = $(AM_CPPFLAGS) $(HWLOC_CFLAGS)
src_tools_verve_info_LDFLAGS = $(AM_LDFLAGS) \
    -Wl,--whole-archive,$(top_builddir)/.libs/libverve_core.a,--no-whole-archive
src_tools_verve_info_LDADD = libverve_core.la
