# Unit tests of the verbs transports' device-independent parts.
if HAVE_VERBS
check_PROGRAMS += test/unit/transports/verbs/test_ud_rel
TESTS += test/unit/transports/verbs/test_ud_rel
test_unit_transports_verbs_test_ud_rel_SOURCES = \
    test/unit/transports/verbs/test_ud_rel.c \
    test/unit/transports/verbs/ud_test_util.h \
    test/unit/transports/verbs/ud_sim.h \
    test/unit/transports/verbs/ud_sim.c
test_unit_transports_verbs_test_ud_rel_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
test_unit_transports_verbs_test_ud_rel_LDADD = libverve_core.la $(CMOCKA_LIBS)

check_PROGRAMS += test/unit/transports/verbs/test_ud_rel_fail
TESTS += test/unit/transports/verbs/test_ud_rel_fail
test_unit_transports_verbs_test_ud_rel_fail_SOURCES = \
    test/unit/transports/verbs/test_ud_rel_fail.c \
    test/unit/transports/verbs/ud_test_util.h \
    test/unit/transports/verbs/ud_sim.h \
    test/unit/transports/verbs/ud_sim.c
test_unit_transports_verbs_test_ud_rel_fail_CFLAGS = $(AM_CFLAGS) \
    $(CMOCKA_CFLAGS)
test_unit_transports_verbs_test_ud_rel_fail_LDADD = libverve_core.la \
    $(CMOCKA_LIBS)

# Needs an RDMA device (skips without one): run it in the SoftRoCE guest.
check_PROGRAMS += test/unit/transports/verbs/test_ud_iface
TESTS += test/unit/transports/verbs/test_ud_iface
test_unit_transports_verbs_test_ud_iface_SOURCES = \
    test/unit/transports/verbs/test_ud_iface.c
test_unit_transports_verbs_test_ud_iface_CFLAGS = $(AM_CFLAGS) \
    $(CMOCKA_CFLAGS)
test_unit_transports_verbs_test_ud_iface_LDADD = libverve_core.la \
    $(CMOCKA_LIBS)

# Two processes on two devices, lossy path: run by hand in the SoftRoCE
# guest (see the top of ud_pair.c), so built but not in TESTS.
check_PROGRAMS += test/unit/transports/verbs/ud_pair
test_unit_transports_verbs_ud_pair_SOURCES = \
    test/unit/transports/verbs/ud_pair.c
test_unit_transports_verbs_ud_pair_LDADD = libverve_core.la
endif
if HAVE_VERBS
check_PROGRAMS += test/unit/transports/verbs/test_verbs_common
TESTS += test/unit/transports/verbs/test_verbs_common
test_unit_transports_verbs_test_verbs_common_SOURCES = \
    test/unit/transports/verbs/test_verbs_common.c
test_unit_transports_verbs_test_verbs_common_CFLAGS = $(AM_CFLAGS) \
    $(CMOCKA_CFLAGS)
test_unit_transports_verbs_test_verbs_common_LDADD = libverve_core.la \
    $(CMOCKA_LIBS)
endif
