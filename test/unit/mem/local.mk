# Unit tests of src/core/mem: the registration cache and memory events.
mem_unit_tests = test/unit/mem/test_rcache test/unit/mem/test_mem_event
check_PROGRAMS += $(mem_unit_tests)
TESTS += $(mem_unit_tests)
test_unit_mem_test_rcache_SOURCES = test/unit/mem/test_rcache.c \
    test/unit/mem/rcache_fixture.h
test_unit_mem_test_rcache_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_mem_test_rcache_LDADD = libverve_core.la $(CMOCKA_LIBS)
test_unit_mem_test_mem_event_SOURCES = test/unit/mem/test_mem_event.c test/unit/unit_skip.h \
    test/unit/mem/rcache_fixture.h
test_unit_mem_test_mem_event_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_mem_test_mem_event_LDADD = libverve_core.la $(CMOCKA_LIBS)
