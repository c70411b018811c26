# The TCP transport.
libverve_core_la_SOURCES += \
    src/transports/tcp/tcp.h \
    src/transports/tcp/tcp_frame.h \
    src/transports/tcp/tcp_sock.c \
    src/transports/tcp/tcp_buf.c \
    src/transports/tcp/tcp_conn.c \
    src/transports/tcp/tcp_auth.c \
    src/transports/tcp/tcp_pair.c \
    src/transports/tcp/tcp_ep.c \
    src/transports/tcp/tcp_iface.c \
    src/transports/tcp/tcp_component.c
