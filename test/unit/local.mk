if HAVE_CMOCKA
include test/unit/core/local.mk
include test/unit/transports/shm/local.mk
include test/unit/engine/local.mk
include test/unit/boot/local.mk
endif
