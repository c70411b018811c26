check_PROGRAMS += test/unit/engine/test_engine
TESTS += test/unit/engine/test_engine
test_unit_engine_test_engine_SOURCES = test/unit/engine/test_engine.c
test_unit_engine_test_engine_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_engine_test_engine_LDADD = libverve_core.la $(CMOCKA_LIBS)
