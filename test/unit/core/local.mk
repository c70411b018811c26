# Unit tests of src/core/base: one cmocka program per concern. They link
# the convenience library to reach internal (vs_) functions.
core_unit_tests = \
    test/unit/core/test_auth \
    test/unit/core/test_cma \
    test/unit/core/test_config \
    test/unit/core/test_hash \
    test/unit/core/test_list \
    test/unit/core/test_log \
    test/unit/core/test_mpool \
    test/unit/core/test_status \
    test/unit/core/test_topo
check_PROGRAMS += $(core_unit_tests)
TESTS += $(core_unit_tests)
EXTRA_DIST += test/unit/core/stderr_capture.h

test_unit_core_test_auth_SOURCES = test/unit/core/test_auth.c \
                                   test/unit/core/auth_reference.h
test_unit_core_test_auth_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
                                  $(NETTLE_CFLAGS)
test_unit_core_test_auth_LDADD = libverve_core.la $(CMOCKA_LIBS) \
                                 $(NETTLE_LIBS)

test_unit_core_test_cma_SOURCES = test/unit/core/test_cma.c
test_unit_core_test_cma_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_core_test_cma_LDADD = libverve_core.la $(CMOCKA_LIBS)

test_unit_core_test_config_SOURCES = test/unit/core/test_config.c \
                                     test/unit/core/stderr_capture.h
test_unit_core_test_config_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_core_test_config_LDADD = libverve_core.la $(CMOCKA_LIBS)

test_unit_core_test_hash_SOURCES = test/unit/core/test_hash.c
test_unit_core_test_hash_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_core_test_hash_LDADD = libverve_core.la $(CMOCKA_LIBS)

test_unit_core_test_list_SOURCES = test/unit/core/test_list.c
test_unit_core_test_list_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_core_test_list_LDADD = libverve_core.la $(CMOCKA_LIBS)

test_unit_core_test_log_SOURCES = test/unit/core/test_log.c \
                                  test/unit/core/stderr_capture.h
test_unit_core_test_log_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_core_test_log_LDADD = libverve_core.la $(CMOCKA_LIBS)

test_unit_core_test_mpool_SOURCES = test/unit/core/test_mpool.c test/unit/unit_skip.h \
                                    test/unit/core/stderr_capture.h
test_unit_core_test_mpool_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_core_test_mpool_LDADD = libverve_core.la $(CMOCKA_LIBS)

test_unit_core_test_status_SOURCES = test/unit/core/test_status.c
test_unit_core_test_status_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_core_test_status_LDADD = libverve_core.la $(CMOCKA_LIBS)

test_unit_core_test_topo_SOURCES = test/unit/core/test_topo.c
test_unit_core_test_topo_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_core_test_topo_LDADD = libverve_core.la $(CMOCKA_LIBS)
