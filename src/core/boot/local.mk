# Bootstrap: public verve_boot_* API, its backends, and the server that
# verve_run embeds.
libverve_core_la_SOURCES += \
    src/core/boot/boot.h \
    src/core/boot/boot.c \
    src/core/boot/boot_kvs.h \
    src/core/boot/boot_kvs.c \
    src/core/boot/boot_single.c \
    src/core/boot/boot_builtin.c \
    src/core/boot/boot_wire.h \
    src/core/boot/boot_wire.c \
    src/core/boot/boot_server.h \
    src/core/boot/boot_server.c
if HAVE_PMIX
libverve_core_la_SOURCES += src/core/boot/boot_pmix.c
endif
