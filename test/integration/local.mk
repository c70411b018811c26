include test/integration/boot.mk

# Engine tests: programs run under verve_run by it_engine.sh.
check_PROGRAMS += test/integration/it_am test/integration/it_rma \
                  test/integration/it_peer_failure
test_integration_it_am_SOURCES = test/integration/it_am.c \
    test/integration/it_common.c test/integration/it_common.h
test_integration_it_am_LDADD = libverve.la
test_integration_it_rma_SOURCES = test/integration/it_rma.c \
    test/integration/it_common.c test/integration/it_common.h
test_integration_it_rma_LDADD = libverve.la
test_integration_it_peer_failure_SOURCES = test/integration/it_peer_failure.c
test_integration_it_peer_failure_LDADD = libverve.la
TESTS += test/integration/it_engine.sh
EXTRA_DIST += test/integration/it_engine.sh
