# The verbs suite, run inside the SoftRoCE guest by `make check-verbs` (see
# contrib/softroce-vm/local.mk): run-all.sh runs every test/verbs/*.sh but
# itself and the lib-*.sh helpers. A test is a POSIX sh script that sources
# lib-verbs.sh and exits 0 (pass), 77 (skip, saying why) or else (fail);
# netem.sh gives packet faults on the link. Programs a test needs go into
# check_PROGRAMS, which check-verbs builds before booting the guest.
EXTRA_DIST += test/verbs/run-all.sh test/verbs/lib-verbs.sh \
              test/verbs/smoke.sh test/verbs/netem.sh
# rc between two workers of one process (rc_pair.sh runs it in the guest).
if HAVE_VERBS
check_PROGRAMS += test/verbs/rc_pair
test_verbs_rc_pair_SOURCES = test/verbs/rc_pair.c
test_verbs_rc_pair_LDADD = libverve.la -lpthread
endif
EXTRA_DIST += test/verbs/rc_engine.sh test/verbs/rc_pair.sh \
              test/verbs/lib-engine.sh test/verbs/ud_engine.sh \
              test/verbs/ud_iface.sh
