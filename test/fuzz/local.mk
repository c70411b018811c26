# Fuzz targets, built with a plain driver (fuzz_main.c) and run by make
# check on generated inputs; see fuzz_main.c for a libFuzzer build.
check_PROGRAMS += test/fuzz/fuzz_wire
test_fuzz_fuzz_wire_SOURCES = test/fuzz/fuzz_wire.c test/fuzz/fuzz_main.c
test_fuzz_fuzz_wire_LDADD = libverve_core.la
TESTS += test/fuzz/fuzz_wire.sh
EXTRA_DIST += test/fuzz/fuzz_wire.sh test/fuzz/fuzz_config.c
