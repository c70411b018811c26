# Fuzz targets: one per parser of bytes from a peer, each with a seed
# corpus in test/fuzz/corpus/<name> (README.md there).
#  - every build links them with the plain driver (fuzz_main.c): make check
#    replays each corpus (fuzz_corpus.sh) and runs generated inputs
#    (fuzz_wire.sh);
#  - make fuzz builds them with clang and libFuzzer (a build configured
#    with --enable-fuzzing, made in fuzz-build/ unless this is one) and
#    runs each for FUZZ_SECONDS (fuzz_run.sh).
if FUZZING
FUZZ_DRIVER =
else
FUZZ_DRIVER = test/fuzz/fuzz_main.c
endif
FUZZ_TARGETS = test/fuzz/fuzz_wire test/fuzz/fuzz_config test/fuzz/fuzz_tcp \
               test/fuzz/fuzz_boot_server test/fuzz/fuzz_shm \
               test/fuzz/fuzz_rkey test/fuzz/fuzz_boot_client
if HAVE_CMOCKA
# Built with the unit tests of src/core/boot (test/unit/boot/local.mk).
FUZZ_TARGETS += test/unit/boot/test_boot_kvs_fuzz
endif
check_PROGRAMS += test/fuzz/fuzz_wire test/fuzz/fuzz_config \
                  test/fuzz/fuzz_tcp test/fuzz/fuzz_boot_server \
                  test/fuzz/fuzz_shm test/fuzz/fuzz_rkey \
                  test/fuzz/fuzz_boot_client
test_fuzz_fuzz_wire_SOURCES = test/fuzz/fuzz_wire.c $(FUZZ_DRIVER)
test_fuzz_fuzz_wire_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
test_fuzz_fuzz_wire_LDADD = libverve_core.la
test_fuzz_fuzz_config_SOURCES = test/fuzz/fuzz_config.c $(FUZZ_DRIVER)
test_fuzz_fuzz_config_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
test_fuzz_fuzz_config_LDADD = libverve_core.la
test_fuzz_fuzz_tcp_SOURCES = test/fuzz/fuzz_tcp.c $(FUZZ_DRIVER)
test_fuzz_fuzz_tcp_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
test_fuzz_fuzz_tcp_LDADD = libverve_core.la
test_fuzz_fuzz_boot_server_SOURCES = test/fuzz/fuzz_boot_server.c \
                                     $(FUZZ_DRIVER)
test_fuzz_fuzz_boot_server_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
test_fuzz_fuzz_boot_server_LDADD = libverve_core.la
test_fuzz_fuzz_boot_client_SOURCES = test/fuzz/fuzz_boot_client.c \
                                     $(FUZZ_DRIVER)
test_fuzz_fuzz_boot_client_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
test_fuzz_fuzz_boot_client_LDADD = libverve_core.la
test_fuzz_fuzz_shm_SOURCES = test/fuzz/fuzz_shm.c $(FUZZ_DRIVER)
test_fuzz_fuzz_shm_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
test_fuzz_fuzz_shm_LDADD = libverve_core.la
test_fuzz_fuzz_rkey_SOURCES = test/fuzz/fuzz_rkey.c $(FUZZ_DRIVER)
test_fuzz_fuzz_rkey_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
test_fuzz_fuzz_rkey_LDADD = libverve_core.la
if HAVE_VERBS
# The ud reliability engine is built with the verbs transports.
FUZZ_TARGETS += test/fuzz/fuzz_ud_rel
check_PROGRAMS += test/fuzz/fuzz_ud_rel
test_fuzz_fuzz_ud_rel_SOURCES = test/fuzz/fuzz_ud_rel.c $(FUZZ_DRIVER)
test_fuzz_fuzz_ud_rel_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
test_fuzz_fuzz_ud_rel_LDADD = libverve_core.la
endif

TESTS += test/fuzz/fuzz_wire.sh test/fuzz/fuzz_corpus.sh
EXTRA_DIST += test/fuzz/fuzz_wire.sh test/fuzz/fuzz_corpus.sh \
              test/fuzz/fuzz_run.sh test/fuzz/make_corpus.py \
              test/fuzz/README.md test/fuzz/corpus

# make fuzz: FUZZ_SECONDS per target (default 10; CI passes 15).
if FUZZING
fuzz: $(FUZZ_TARGETS)
	@$(SHELL) $(top_srcdir)/test/fuzz/fuzz_run.sh $(FUZZ_TARGETS)
else
fuzz:
	@$(SHELL) $(top_srcdir)/test/fuzz/fuzz_run.sh --build fuzz-build
endif
.PHONY: fuzz
