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
test_verbs_rc_pair_SOURCES = test/verbs/rc_pair.c test/check.h test/pattern.h \
    test/asleep.h
test_verbs_rc_pair_LDADD = libverve.la -lpthread
check_PROGRAMS += test/verbs/fork_rma
test_verbs_fork_rma_SOURCES = test/verbs/fork_rma.c test/check.h
test_verbs_fork_rma_LDADD = libverve.la $(VERBS_LIBS)
check_PROGRAMS += test/verbs/mem_reg
test_verbs_mem_reg_SOURCES = test/verbs/mem_reg.c test/verbs/mem_pair.h \
                            test/check.h
test_verbs_mem_reg_LDADD = libverve_core.la -lpthread
check_PROGRAMS += test/verbs/mem_bench
test_verbs_mem_bench_SOURCES = test/verbs/mem_bench.c test/verbs/mem_pair.h \
                              test/check.h
test_verbs_mem_bench_LDADD = libverve_core.la -lpthread
endif
EXTRA_DIST += test/verbs/rc_engine.sh test/verbs/rc_pair.sh \
              test/verbs/lib-engine.sh test/verbs/ud_engine.sh \
              test/verbs/ud_iface.sh test/verbs/mem_reg.sh \
              test/verbs/mem_odp.sh
EXTRA_DIST += test/verbs/fork.sh test/verbs/rc_amo_shm.sh
# MPI over rc and ud (the programs are test/mpi's).
EXTRA_DIST += test/verbs/mpi_rc.sh
