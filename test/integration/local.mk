include test/integration/boot.mk

# Engine tests: programs run under verve_run by it_engine.sh.
check_PROGRAMS += test/integration/it_am test/integration/it_rma \
                  test/integration/it_peer_failure test/integration/it_tag \
                  test/integration/it_flush_barrier test/integration/it_stall
test_integration_it_am_SOURCES = test/integration/it_am.c test/pattern.h \
    test/integration/it_common.c test/integration/it_common.h
test_integration_it_am_LDADD = libverve.la
test_integration_it_rma_SOURCES = test/integration/it_rma.c test/pattern.h \
    test/integration/it_common.c test/integration/it_common.h
test_integration_it_rma_LDADD = libverve.la
test_integration_it_tag_SOURCES = test/integration/it_tag.c \
    test/integration/it_common.c test/integration/it_common.h
test_integration_it_tag_LDADD = libverve.la
test_integration_it_flush_barrier_SOURCES = \
    test/integration/it_flush_barrier.c test/integration/it_common.c \
    test/integration/it_common.h
test_integration_it_flush_barrier_LDADD = libverve.la
test_integration_it_stall_SOURCES = test/integration/it_stall.c \
    test/integration/it_common.c test/integration/it_common.h
test_integration_it_stall_LDADD = libverve.la
test_integration_it_peer_failure_SOURCES = test/integration/it_peer_failure.c \
                                          test/check.h
test_integration_it_peer_failure_LDADD = libverve.la
TESTS += test/integration/it_engine.sh
EXTRA_DIST += test/integration/it_engine.sh test/integration/it_lib.sh
# --help and unknown options of every tool.
TESTS += test/integration/it_tools_help.sh
EXTRA_DIST += test/integration/it_tools_help.sh
# verve_info -t names a missing device as such.
TESTS += test/integration/it_info_nodev.sh
EXTRA_DIST += test/integration/it_info_nodev.sh
# The PMIx bootstrap under mpirun: it_mpirun.sh skips itself when configure
# found no mpirun or no PMIx.
TESTS += test/integration/it_mpirun.sh
EXTRA_DIST += test/integration/it_mpirun.sh
if HAVE_PMIX
IT_HAVE_PMIX = yes
else
IT_HAVE_PMIX = no
endif
AM_TESTS_ENVIRONMENT += MPIRUN='$(MPIRUN)' IT_HAVE_PMIX='$(IT_HAVE_PMIX)'; \
    export MPIRUN IT_HAVE_PMIX;
TESTS += test/integration/it_tcp.sh test/integration/it_tcp_netns.sh
EXTRA_DIST += test/integration/it_tcp.sh test/integration/it_tcp_netns.sh
# Collectives: it_coll under verve_run, 1 to 9 ranks, by it_coll.sh.
check_PROGRAMS += test/integration/it_coll
test_integration_it_coll_SOURCES = test/integration/it_coll.c \
    test/integration/it_coll_ref.c test/integration/it_coll.h \
    test/integration/it_common.c test/integration/it_common.h
test_integration_it_coll_LDADD = libverve.la -lm
TESTS += test/integration/it_coll.sh test/integration/it_perf_coll.sh
EXTRA_DIST += test/integration/it_coll.sh
# A member dying mid-collective: it_coll_fail under verve_run, by it_coll.sh.
check_PROGRAMS += test/integration/it_coll_fail
test_integration_it_coll_fail_SOURCES = test/integration/it_coll_fail.c \
    test/integration/it_common.c test/integration/it_common.h
test_integration_it_coll_fail_LDADD = libverve.la
# Members that disagree on a collective's size: it_coll_mismatch under
# verve_run, by it_coll.sh.
check_PROGRAMS += test/integration/it_coll_mismatch
test_integration_it_coll_mismatch_SOURCES = \
    test/integration/it_coll_mismatch.c \
    test/integration/it_common.c test/integration/it_common.h
test_integration_it_coll_mismatch_LDADD = libverve.la
# The collectives' shared-memory path: it_coll and it_coll_shm, by
# it_coll_shm.sh.
check_PROGRAMS += test/integration/it_coll_shm
test_integration_it_coll_shm_SOURCES = test/integration/it_coll_shm.c \
    test/integration/it_common.c test/integration/it_common.h
test_integration_it_coll_shm_LDADD = libverve.la
TESTS += test/integration/it_coll_shm.sh
EXTRA_DIST += test/integration/it_coll_shm.sh
# Where the kernel refuses cross-memory attach (seccomp, Yama): it_no_cma
# installs a seccomp filter that makes it so, and it_cma_refused.sh runs
# the AM, tag, RMA and collective tests over shm under it.
check_PROGRAMS += test/integration/it_no_cma
test_integration_it_no_cma_SOURCES = test/integration/it_no_cma.c
TESTS += test/integration/it_cma_refused.sh
EXTRA_DIST += test/integration/it_cma_refused.sh
