# Unit tests of src/core/boot (cmocka; included under HAVE_CMOCKA).
check_PROGRAMS += test/unit/boot/test_boot_server
TESTS += test/unit/boot/test_boot_server
test_unit_boot_test_boot_server_SOURCES = test/unit/boot/test_boot_server.c
test_unit_boot_test_boot_server_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_boot_test_boot_server_LDADD = libverve_core.la $(CMOCKA_LIBS)
check_PROGRAMS += test/unit/boot/test_boot_kvs
TESTS += test/unit/boot/test_boot_kvs
test_unit_boot_test_boot_kvs_SOURCES = test/unit/boot/test_boot_kvs.c
test_unit_boot_test_boot_kvs_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_boot_test_boot_kvs_LDADD = libverve_core.la $(CMOCKA_LIBS)
# Fuzz target of the packed key-value entries, with the plain driver of
# test/fuzz (10,000 generated inputs when run without arguments).
check_PROGRAMS += test/unit/boot/test_boot_kvs_fuzz
TESTS += test/unit/boot/test_boot_kvs_fuzz
test_unit_boot_test_boot_kvs_fuzz_SOURCES = \
    test/unit/boot/test_boot_kvs_fuzz.c $(FUZZ_DRIVER)
test_unit_boot_test_boot_kvs_fuzz_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
test_unit_boot_test_boot_kvs_fuzz_LDADD = libverve_core.la
