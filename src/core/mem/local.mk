# Memory layer: memory events and the registration cache.
libverve_core_la_SOURCES += \
    src/core/mem/mem_event.h \
    src/core/mem/mem_event.c \
    src/core/mem/rcache.h \
    src/core/mem/rcache.c
