# verve_perf: the point-to-point and collective benchmark. It uses only
# the public API, so it links the shared library like an application would.
bin_PROGRAMS += src/tools/verve_perf
src_tools_verve_perf_SOURCES = \
    src/tools/verve_perf.h \
    src/tools/verve_perf.c \
    src/tools/verve_perf_options.c \
    src/tools/verve_perf_comm.c \
    src/tools/verve_perf_tests.c \
    src/tools/verve_perf_tag.c \
    src/tools/verve_perf_coll.c \
    src/tools/verve_perf_report.c
src_tools_verve_perf_LDADD = libverve.la
# Its collective tests under verve_run (listed in test/integration's
# TESTS), and the comparison with Open MPI, which builds bench/coll_mpi.c
# itself with mpicc (with the header it shares with bench/p2p_mpi.c):
# nothing here needs MPI.
EXTRA_DIST += test/integration/it_perf_coll.sh bench/vs-ompi-coll.sh \
    bench/coll_mpi.c bench/bench_mpi.h

if HAVE_CMOCKA
# The command line and the statistics need no peer: tested on their own.
check_PROGRAMS += src/tools/verve_perf_options_test
TESTS += src/tools/verve_perf_options_test
src_tools_verve_perf_options_test_SOURCES = \
    src/tools/verve_perf_options_test.c \
    src/tools/verve_perf_options.c \
    src/tools/verve_perf_report.c
src_tools_verve_perf_options_test_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
src_tools_verve_perf_options_test_LDADD = $(CMOCKA_LIBS)
endif

# The cost of tag matching as posted receives grow (bench/tag_match.c):
# built, not installed; not a test (it prints figures).
noinst_PROGRAMS += bench/tag_match
bench_tag_match_SOURCES = bench/tag_match.c
bench_tag_match_LDADD = libverve.la
