libverve_core_la_SOURCES += \
    src/transports/self/self_iface.c \
    src/transports/self/self_mem.c
