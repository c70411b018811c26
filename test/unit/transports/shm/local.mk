# Unit tests of the shm transport, and its micro-benchmark (not a test).
check_PROGRAMS += test/unit/transports/shm/test_shm
TESTS += test/unit/transports/shm/test_shm
test_unit_transports_shm_test_shm_SOURCES = \
    test/unit/transports/shm/test_shm.c \
    test/unit/transports/shm/shm_test_util.h
test_unit_transports_shm_test_shm_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_transports_shm_test_shm_LDADD = libverve_core.la $(CMOCKA_LIBS)

noinst_PROGRAMS += test/unit/transports/shm/bench_shm
test_unit_transports_shm_bench_shm_SOURCES = \
    test/unit/transports/shm/bench_shm.c \
    test/unit/transports/shm/shm_test_util.h
test_unit_transports_shm_bench_shm_LDADD = libverve_core.la

check_PROGRAMS += test/unit/transports/shm/test_shm_rma
TESTS += test/unit/transports/shm/test_shm_rma
test_unit_transports_shm_test_shm_rma_SOURCES = \
    test/unit/transports/shm/test_shm_rma.c \
    test/unit/transports/shm/shm_test_util.h
test_unit_transports_shm_test_shm_rma_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_transports_shm_test_shm_rma_LDADD = libverve_core.la $(CMOCKA_LIBS)
