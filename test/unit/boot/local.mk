# Unit tests of src/core/boot (cmocka; included under HAVE_CMOCKA).
check_PROGRAMS += test/unit/boot/test_boot_server
TESTS += test/unit/boot/test_boot_server
test_unit_boot_test_boot_server_SOURCES = test/unit/boot/test_boot_server.c
test_unit_boot_test_boot_server_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_boot_test_boot_server_LDADD = libverve_core.la $(CMOCKA_LIBS)
