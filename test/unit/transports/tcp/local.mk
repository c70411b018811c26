# Unit tests of the tcp transport.
check_PROGRAMS += test/unit/transports/tcp/test_tcp
TESTS += test/unit/transports/tcp/test_tcp
test_unit_transports_tcp_test_tcp_SOURCES = \
    test/unit/transports/tcp/test_tcp.c
test_unit_transports_tcp_test_tcp_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_transports_tcp_test_tcp_LDADD = libverve_core.la $(CMOCKA_LIBS)

# A process without the job key against an interface (issue 14).
check_PROGRAMS += test/unit/transports/tcp/test_tcp_stranger
TESTS += test/unit/transports/tcp/test_tcp_stranger
test_unit_transports_tcp_test_tcp_stranger_SOURCES = \
    test/unit/transports/tcp/test_tcp_stranger.c \
    test/unit/transports/tcp/tcp_stranger.h
test_unit_transports_tcp_test_tcp_stranger_CFLAGS = $(AM_CFLAGS) \
    $(CMOCKA_CFLAGS)
test_unit_transports_tcp_test_tcp_stranger_LDADD = libverve_core.la \
    $(CMOCKA_LIBS)

# The handshake played by hand, with nettle's HMAC.
check_PROGRAMS += test/unit/transports/tcp/test_tcp_auth
TESTS += test/unit/transports/tcp/test_tcp_auth
test_unit_transports_tcp_test_tcp_auth_SOURCES = \
    test/unit/transports/tcp/test_tcp_auth.c \
    test/unit/transports/tcp/tcp_stranger.h \
    test/unit/core/auth_reference.h
test_unit_transports_tcp_test_tcp_auth_CFLAGS = $(AM_CFLAGS) \
    $(CMOCKA_CFLAGS) $(NETTLE_CFLAGS)
test_unit_transports_tcp_test_tcp_auth_LDADD = libverve_core.la \
    $(CMOCKA_LIBS) $(NETTLE_LIBS)
