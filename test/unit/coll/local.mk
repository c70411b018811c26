# Unit tests of the collectives layer.
check_PROGRAMS += test/unit/coll/test_coll_reduce \
                  test/unit/coll/test_coll_select \
                  test/unit/coll/test_coll_sched
TESTS += test/unit/coll/test_coll_reduce test/unit/coll/test_coll_select \
         test/unit/coll/test_coll_sched
test_unit_coll_test_coll_reduce_SOURCES = test/unit/coll/test_coll_reduce.c
test_unit_coll_test_coll_reduce_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_coll_test_coll_reduce_LDADD = libverve_core.la $(CMOCKA_LIBS)
test_unit_coll_test_coll_select_SOURCES = test/unit/coll/test_coll_select.c
test_unit_coll_test_coll_select_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_coll_test_coll_select_LDADD = libverve_core.la $(CMOCKA_LIBS)
test_unit_coll_test_coll_sched_SOURCES = test/unit/coll/test_coll_sched.c
test_unit_coll_test_coll_sched_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_coll_test_coll_sched_LDADD = libverve_core.la $(CMOCKA_LIBS)
# The shared-memory algorithms, members interleaved in one process.
check_PROGRAMS += test/unit/coll/test_coll_shm
TESTS += test/unit/coll/test_coll_shm
test_unit_coll_test_coll_shm_SOURCES = test/unit/coll/test_coll_shm.c
test_unit_coll_test_coll_shm_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_coll_test_coll_shm_LDADD = libverve_core.la $(CMOCKA_LIBS)
# The argument checks: every rejected combination, dst untouched.
check_PROGRAMS += test/unit/coll/test_coll_args
TESTS += test/unit/coll/test_coll_args
test_unit_coll_test_coll_args_SOURCES = test/unit/coll/test_coll_args.c
test_unit_coll_test_coll_args_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_coll_test_coll_args_LDADD = libverve_core.la $(CMOCKA_LIBS)
