#!/bin/bash
# CI hook for the verbs suite: runs `make check-verbs` in a configured build
# folder (the SoftRoCE guest, see vm-run), writes one automake .trs per test
# into BUILD-DIR/test/verbs/results (run-all.sh does, through the guest's
# --out share) and ends with the driver's "N passed, N failed" line.
# Usage: ci-verbs.sh BUILD-DIR [make arguments, e.g. VERBS_KERNEL=stable]
# Exit status: 0 all passed, 1 a test failed (or the guest did), 77 the
# suite was skipped: the guest cannot run here (no qemu, no kernel could be
# fetched), with the reason on stdout; under CI=true that is a failure (1).
# Under CI=true, missing host packages (qemu-system-x86 busybox-static kmod
# cpio ...; ucx-utils, optional) are installed with apt-get first when
# running as root. .ci/run counts the .trs files of build-ci/ by itself.
set -u -o pipefail

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
    sed -n '2,12s/^# \{0,1\}//p' "$0"
    [ $# -ge 1 ] && exit 0
    exit 2
fi
build=$1
shift
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -f "$build/Makefile" ]; then
    echo "ci-verbs: $build is not a configured build folder"
    exit 2
fi

# The host side of the guest: QEMU, the initramfs tools, and the rdma and
# UCX userspace that the guest runs from the shared root.
need_pkgs()
{
    local miss=() cmd pkg
    while read -r cmd pkg; do
        command -v "$cmd" >/dev/null 2>&1 || miss+=("$pkg")
    done <<'EOF'
qemu-system-x86_64 qemu-system-x86
busybox busybox-static
depmod kmod
cpio cpio
ibv_devices ibverbs-utils
ib_send_bw perftest
rdma iproute2
tc iproute2
EOF
    [ -e /usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav34.so ] ||
        ls /usr/lib/*/libibverbs/librxe-* >/dev/null 2>&1 ||
        miss+=(ibverbs-providers)
    echo "${miss[@]}"
}

results=$build/test/verbs/results
rm -rf "$results"
mkdir -p "$results"

# write_trs RESULT: an automake .trs on stdout.
write_trs()
{
    printf ':test-result: %s\n:global-test-result: %s\n' "$1" "$1"
    printf ':recheck: no\n:copy-in-global-log: yes\n'
}

# skip_suite REASON: one SKIP result that .ci/run counts, and status 77;
# under CI=true one FAIL and status 1: a guest that cannot be built or
# booted there is a broken CI machine, not a suite to leave out.
skip_suite()
{
    if [ "${CI:-}" = true ]; then
        echo "FAIL: verbs suite: $* (CI=true: the suite must run)"
        echo "verbs suite could not run under CI=true: $*" \
            >"$results/verbs-suite.log"
        write_trs FAIL >"$results/verbs-suite.trs"
        echo "verbs: 0 passed, 1 failed, 0 skipped"
        exit 1
    fi
    echo "SKIP: verbs suite: $*"
    echo "verbs suite skipped: $*" >"$results/verbs-suite.log"
    write_trs SKIP >"$results/verbs-suite.trs"
    echo "verbs: 0 passed, 0 failed, 1 skipped"
    exit 77
}

missing=$(need_pkgs)
# ucx-utils is optional (smoke.sh's UCX check), installed when CI can.
command -v ucx_perftest >/dev/null 2>&1 || missing="$missing ucx-utils"
if [ -n "$missing" ] && [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ]; then
    echo "ci-verbs: installing $missing"
    apt-get -q update >/dev/null 2>&1
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get -q -y install \
        --no-install-recommends $missing >/dev/null 2>&1 ||
        echo "ci-verbs: apt-get install failed"
fi
missing=$(need_pkgs)
if [ -n "$missing" ]; then
    skip_suite "missing host packages: $missing"
fi

# Fetch and build the kernel first: when that cannot be done, skip with
# its reason rather than fail.
"$here/vm-build" >/dev/null
case $? in
0) ;;
77) skip_suite "no kernel for the SoftRoCE guest could be fetched" \
        "(see above)" ;;
*) echo "ci-verbs: vm-build failed (see above)" ;;
esac

log=$build/test/verbs/check-verbs.log
mkdir -p "$build/test/verbs"
# The emulated guest kernel (rxe under TCG) panics now and then in the
# middle of a run (seen in about one boot in thirty, in ib_send_bw as in
# verve's tests): a panic with no test failed yet runs the suite once more,
# and says so. A test that fails is never run again.
for attempt in 1 2; do
    (cd "$build" && make check-verbs "$@") 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    if [ "$rc" = 0 ] || [ "$attempt" = 2 ] ||
            ! grep -q '^vm-run: the guest kernel panicked' "$log" ||
            cat "$results"/*.trs 2>/dev/null |
                grep -q '^:test-result: FAIL'; then
        break
    fi
    echo "ci-verbs: the guest kernel panicked with no test failed:" \
        "running the suite once more"
    cp "$log" "$build/test/verbs/check-verbs-panic.log"
done

if [ -e "$results/suite-skipped" ]; then
    skip_suite "the SoftRoCE guest cannot run here (see above)"
fi
# Count the driver's results (its .trs files), not lines of the tests'
# own output.
pass=$(cat "$results"/*.trs 2>/dev/null | grep -c '^:test-result: PASS')
fail=$(cat "$results"/*.trs 2>/dev/null | grep -c '^:test-result: FAIL')
skip=$(cat "$results"/*.trs 2>/dev/null | grep -c '^:test-result: SKIP')
if [ "$rc" != 0 ] && [ "$fail" = 0 ]; then
    # The guest itself failed (panic, timeout, setup): one failure, and a
    # .trs saying so.
    echo "FAIL: verbs suite: make check-verbs exited $rc"
    mkdir -p "$results"
    write_trs FAIL >"$results/guest.trs"
    cp "$log" "$results/guest.log"
    fail=1
fi
# The driver's own closing line is in the log; repeat the count last.
echo "verbs: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ] && [ "$rc" = 0 ]
