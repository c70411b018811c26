libverve_core_la_SOURCES += \
    src/core/base/compiler.h \
    src/core/base/list.h \
    src/core/base/time.h \
    src/core/base/log.h \
    src/core/base/log.c \
    src/core/base/crash.h \
    src/core/base/crash.c \
    src/core/base/status.c \
    src/core/base/config.h \
    src/core/base/config.c \
    src/core/base/config_parsers.c \
    src/core/base/auth.h \
    src/core/base/auth.c \
    src/core/base/mpool.h \
    src/core/base/mpool.c \
    src/core/base/hash.h \
    src/core/base/hash.c \
    src/core/base/topo.h \
    src/core/base/topo.c \
    src/core/base/cma.h \
    src/core/base/cma.c
