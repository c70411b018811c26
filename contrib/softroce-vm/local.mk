# The SoftRoCE guest that runs the verbs suite (make check-verbs): vm-run
# boots a QEMU guest with two rdma_rxe devices over the host's root and runs
# test/verbs/run-all.sh there, from the build folder. Variables, e.g.
#   make check-verbs VERBS_TESTS=smoke.sh VERBS_KERNEL=stable
# VERBS_TESTS: the tests to run (default: every test/verbs/*.sh);
# VERBS_KERNEL: backports (rxe with ODP) or stable; VERBS_TIMEOUT: seconds
# for the whole guest. Each test's log and .trs land in test/verbs/results.
# When the guest cannot run here (no qemu, no kernel could be fetched) the
# suite is skipped: a SKIP line, test/verbs/results/suite-skipped, status 0;
# under CI=true it fails (status 1).
EXTRA_DIST += contrib/softroce-vm/vm-run contrib/softroce-vm/vm-build \
              contrib/softroce-vm/guest-init contrib/softroce-vm/guest-setup.sh \
              contrib/softroce-vm/ci-verbs.sh contrib/softroce-vm/README.md \
              contrib/softroce-vm/selftest.sh

# The harness's own test, on the host (no guest): the driver's counting and
# the tools' argument checks.
TESTS += contrib/softroce-vm/selftest.sh

VERBS_TESTS =
VERBS_KERNEL = backports
VERBS_TIMEOUT = 1500
VERBS_RESULTS = test/verbs/results

check-verbs: all $(check_PROGRAMS)
	@rm -rf '$(VERBS_RESULTS)' && $(MKDIR_P) '$(VERBS_RESULTS)' && \
	top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	VM_ENV="top_srcdir top_builddir $${VM_ENV:-}"; \
	export top_srcdir top_builddir VM_ENV; \
	'$(top_srcdir)/contrib/softroce-vm/vm-run' --kernel '$(VERBS_KERNEL)' \
	    --timeout '$(VERBS_TIMEOUT)' \
	    --out '$(abs_top_builddir)/$(VERBS_RESULTS)' \
	    -- sh '$(abs_top_srcdir)/test/verbs/run-all.sh' \
	    --log-dir '$(abs_top_builddir)/$(VERBS_RESULTS)' $(VERBS_TESTS); \
	rc=$$?; \
	if test $$rc = 77 && test "$${CI:-}" = true; then \
	    echo "FAIL: verbs suite: the SoftRoCE guest cannot run on this" \
	         "machine (see the vm-run message above), and CI=true"; \
	    exit 1; \
	fi; \
	if test $$rc = 77; then \
	    echo "SKIP: verbs suite: the SoftRoCE guest cannot run on this" \
	         "machine (see the vm-run message above)"; \
	    echo "0 passed, 0 failed, 1 skipped"; \
	    : >'$(VERBS_RESULTS)/suite-skipped'; \
	    exit 0; \
	fi; \
	exit $$rc
.PHONY: check-verbs
