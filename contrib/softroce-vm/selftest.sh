#!/bin/sh
# Host-side test of the verbs harness, run by `make check` (no guest): the
# driver test/verbs/run-all.sh counts and reports passing, failing, skipped
# and timed-out tests, skips lib-*.sh, writes .trs files and fails when a
# test fails; vm-run and vm-build reject bad arguments and print their
# usage.
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/softroce-selftest.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
failures=0

check()
{
    if eval "$2"; then
        echo "ok: $1"
    else
        echo "FAIL: $1"
        failures=$((failures + 1))
    fi
}

mkdir -p "$tmp/suite" "$tmp/logs"
cp "$srcdir/test/verbs/run-all.sh" "$tmp/suite/"
echo 'echo passing; exit 0' >"$tmp/suite/a_pass.sh"
echo 'echo failing; exit 3' >"$tmp/suite/b_fail.sh"
echo 'echo "SKIP: not here"; exit 77' >"$tmp/suite/c_skip.sh"
echo 'sleep 30' >"$tmp/suite/d_hang.sh"
echo 'echo must not run; exit 1' >"$tmp/suite/lib-helper.sh"
echo '[ -n "$VT_TMP" ] && [ "$(pwd)" = "$VT_TMP" ] && [ -n "$VT_DIR" ] &&
    [ -z "${VERVE_VERBS_LOG_DIR:-}" ]' >"$tmp/suite/e_env.sh"

VERVE_VERBS_TEST_TIMEOUT=2 sh "$tmp/suite/run-all.sh" --log-dir "$tmp/logs" \
    >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
check "driver exits 1 when a test fails" '[ $rc = 1 ]'
check "PASS line" 'grep -q "^PASS: a_pass.sh" "$tmp/out"'
check "FAIL line" 'grep -q "^FAIL: b_fail.sh" "$tmp/out"'
check "SKIP line" 'grep -q "^SKIP: c_skip.sh" "$tmp/out"'
check "timeout is a failure" 'grep -q "^FAIL: d_hang.sh" "$tmp/out"'
check "environment of a test" 'grep -q "^PASS: e_env.sh" "$tmp/out"'
check "lib-*.sh not run" '! grep -q "lib-helper" "$tmp/out"'
check "closing count" \
    'tail -n 1 "$tmp/out" | grep -qx "2 passed, 2 failed, 1 skipped"'
check "a test's output shown" 'grep -q "^failing$" "$tmp/out"'
check ".trs written" \
    'grep -qx ":test-result: FAIL" "$tmp/logs/b_fail.trs" &&
     grep -qx ":test-result: SKIP" "$tmp/logs/c_skip.trs" &&
     grep -qx ":test-result: PASS" "$tmp/logs/a_pass.trs"'

sh "$tmp/suite/run-all.sh" a_pass.sh c_skip.sh >"$tmp/out2" 2>&1
rc=$?
check "driver exits 0 without failures" '[ $rc = 0 ]'
check "named tests only" \
    'tail -n 1 "$tmp/out2" | grep -qx "1 passed, 0 failed, 1 skipped"'

vm=$srcdir/contrib/softroce-vm
"$vm/vm-run" --timeout x true >/dev/null 2>&1
check "vm-run rejects a bad --timeout" '[ $? = 2 ]'
"$vm/vm-run" >/dev/null 2>&1
check "vm-run wants a command" '[ $? = 2 ]'
check "vm-run --help" '"$vm/vm-run" --help | grep -q "^Usage: vm-run"'
check "vm-build --help" '"$vm/vm-build" --help | grep -q "^Usage: vm-build"'
"$vm/vm-build" --kernel nosuch >/dev/null 2>&1
check "vm-build rejects an unknown kernel" '[ $? = 1 ]'

[ $failures = 0 ]
