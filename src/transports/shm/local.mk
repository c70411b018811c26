# The shared-memory transport.
libverve_core_la_SOURCES += \
    src/transports/shm/shm.h \
    src/transports/shm/shm_fifo.h \
    src/transports/shm/shm_fifo.c \
    src/transports/shm/shm_segment.h \
    src/transports/shm/shm_segment.c \
    src/transports/shm/shm_iface.c \
    src/transports/shm/shm_ep.c \
    src/transports/shm/shm_mem.h \
    src/transports/shm/shm_mem.c \
    src/transports/shm/shm_rma.c \
    src/transports/shm/shm_component.c
