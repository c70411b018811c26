libverve_core_la_SOURCES += \
    src/am/va_wire.h \
    src/am/va_am.h \
    src/am/va_chan.h \
    src/am/va_rma.h \
    src/am/va_handlers.c \
    src/am/va_am_send.c \
    src/am/va_am_recv.c \
    src/am/va_am_frag.c \
    src/am/va_rma.c \
    src/am/va_rma_emul.c \
    src/am/va_tag.h \
    src/am/va_tag.c \
    src/am/va_tag_match.c \
    src/am/va_tag_recv.c
