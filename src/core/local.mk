libverve_core_la_SOURCES += \
    src/core/ve_types.h \
    src/core/ve_proto.h \
    src/core/ve_request.h \
    src/core/ve_request.c \
    src/core/ve_worker.h \
    src/core/ve_worker.c \
    src/core/ve_layer.h \
    src/core/ve_layer.c \
    src/core/ve_address.c \
    src/core/ve_context.c \
    src/core/ve_ep.h \
    src/core/ve_ep.c \
    src/core/ve_ep_api.c \
    src/core/ve_stall.c \
    src/core/ve_mem.h \
    src/core/ve_mem.c
