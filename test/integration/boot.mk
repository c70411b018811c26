# Bootstrap and verve_run tests: it_boot runs under verve_run, driven by
# it_verve_run.sh (which `make check` runs with $top_builddir set).
check_PROGRAMS += test/integration/it_boot
test_integration_it_boot_SOURCES = test/integration/it_boot.c
test_integration_it_boot_LDADD = libverve_core.la
TESTS += test/integration/it_verve_run.sh
EXTRA_DIST += test/integration/it_verve_run.sh
