if HAVE_CMOCKA
include test/unit/core/local.mk
include test/unit/transports/shm/local.mk
include test/unit/engine/local.mk
include test/unit/boot/local.mk
include test/unit/transports/tcp/local.mk
include test/unit/transports/verbs/local.mk
include test/unit/coll/local.mk
include test/unit/mem/local.mk
endif
