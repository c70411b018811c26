# Both programs run their tests on the two-worker fixture (engine_pair.c).
check_PROGRAMS += test/unit/engine/test_engine test/unit/engine/test_tag
TESTS += test/unit/engine/test_engine test/unit/engine/test_tag
# Every setting's accepted values at context creation.
check_PROGRAMS += test/unit/engine/test_settings
TESTS += test/unit/engine/test_settings
test_unit_engine_test_settings_SOURCES = test/unit/engine/test_settings.c
test_unit_engine_test_settings_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_engine_test_settings_LDADD = libverve_core.la $(CMOCKA_LIBS)
engine_pair_sources = test/unit/engine/engine_pair.h test/asleep.h \
    test/unit/engine/engine_pair.c

test_unit_engine_test_engine_SOURCES = test/unit/engine/test_engine.c test/pattern.h \
    $(engine_pair_sources)
test_unit_engine_test_engine_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_engine_test_engine_LDADD = libverve_core.la $(CMOCKA_LIBS)

# A callback that closes its own endpoint (run under valgrind/ASan).
check_PROGRAMS += test/unit/engine/test_ep_close
TESTS += test/unit/engine/test_ep_close
test_unit_engine_test_ep_close_SOURCES = test/unit/engine/test_ep_close.c \
    $(engine_pair_sources)
test_unit_engine_test_ep_close_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_engine_test_ep_close_LDADD = libverve_core.la $(CMOCKA_LIBS)

# What verve says when something goes wrong: stall warning, messages.
check_PROGRAMS += test/unit/engine/test_diag
TESTS += test/unit/engine/test_diag
test_unit_engine_test_diag_SOURCES = test/unit/engine/test_diag.c \
    test/unit/core/stderr_capture.h $(engine_pair_sources)
test_unit_engine_test_diag_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_engine_test_diag_LDADD = libverve_core.la $(CMOCKA_LIBS)

# Public calls and parameters the data tests do not reach.
check_PROGRAMS += test/unit/engine/test_engine_api
TESTS += test/unit/engine/test_engine_api
test_unit_engine_test_engine_api_SOURCES = \
    test/unit/engine/test_engine_api.c test/pattern.h $(engine_pair_sources)
test_unit_engine_test_engine_api_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_engine_test_engine_api_LDADD = libverve_core.la $(CMOCKA_LIBS)

test_unit_engine_test_tag_SOURCES = test/unit/engine/test_tag.c \
    $(engine_pair_sources)
test_unit_engine_test_tag_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_engine_test_tag_LDADD = libverve_core.la $(CMOCKA_LIBS)
