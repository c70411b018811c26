libverve_core_la_SOURCES += \
    src/transports/vt_iface.h \
    src/transports/transports.c \
    src/transports/vt_stubs.c \
    src/transports/vt_atomic.c
