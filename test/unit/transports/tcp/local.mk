# Unit tests of the tcp transport.
check_PROGRAMS += test/unit/transports/tcp/test_tcp
TESTS += test/unit/transports/tcp/test_tcp
test_unit_transports_tcp_test_tcp_SOURCES = \
    test/unit/transports/tcp/test_tcp.c
test_unit_transports_tcp_test_tcp_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_transports_tcp_test_tcp_LDADD = libverve_core.la $(CMOCKA_LIBS)
