check_PROGRAMS += test/unit/engine/test_engine
TESTS += test/unit/engine/test_engine
test_unit_engine_test_engine_SOURCES = test/unit/engine/test_engine.c
test_unit_engine_test_engine_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_engine_test_engine_LDADD = libverve_core.la $(CMOCKA_LIBS)

check_PROGRAMS += test/unit/engine/test_tag
TESTS += test/unit/engine/test_tag
test_unit_engine_test_tag_SOURCES = test/unit/engine/test_tag.c
test_unit_engine_test_tag_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_engine_test_tag_LDADD = libverve_core.la $(CMOCKA_LIBS)
