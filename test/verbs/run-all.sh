#!/bin/sh
# Runs the verbs suite: every test/verbs/*.sh but this driver and lib-*.sh
# helpers, each under a timeout, in a fresh temporary folder. Meant to run
# inside the SoftRoCE guest (make check-verbs does:
# contrib/softroce-vm/vm-run -- sh test/verbs/run-all.sh).
# Usage: run-all.sh [--log-dir DIR] [TEST.sh ...]  (default: all tests)
#   --log-dir DIR  also write NAME.log and NAME.trs (automake's) into DIR
# Prints each test's output, then one "PASS: name", "FAIL: name" or
# "SKIP: name" line, and at the end "N passed, N failed" (", N skipped"
# when any). Exit status 1 when a test failed, else 0.
# Environment: VERVE_VERBS_TEST_TIMEOUT (seconds per test, default 360),
# VERVE_VERBS_LOG_DIR (as --log-dir); both are unset for the tests;
# top_srcdir and top_builddir (default: this folder's ../.. and the
# current folder), exported to the tests with VT_DIR (this folder).
VT_DIR=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$VT_DIR/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
export VT_DIR top_srcdir top_builddir
timeout_s=${VERVE_VERBS_TEST_TIMEOUT:-360}
log_dir=${VERVE_VERBS_LOG_DIR:-}
if [ "${1:-}" = --log-dir ]; then
    log_dir=$2
    shift 2
fi
# verve warns about VERVE_* variables that no component reads: these are
# the harness's own.
unset VERVE_VERBS_TEST_TIMEOUT VERVE_VERBS_LOG_DIR

# smoke.sh first: when the guest's rdma itself is broken, it says so
# before the tests that build on it.
if [ $# = 0 ]; then
    set --
    [ -f "$VT_DIR/smoke.sh" ] && set -- "$VT_DIR/smoke.sh"
    for t in "$VT_DIR"/*.sh; do
        [ "$t" = "$VT_DIR/smoke.sh" ] || set -- "$@" "$t"
    done
fi
[ -n "$log_dir" ] && mkdir -p "$log_dir"

pass=0
fail=0
skip=0
for t in "$@"; do
    case $t in
    */*) ;;
    *) t=$VT_DIR/$t ;;
    esac
    name=${t##*/}
    case $name in
    run-all.sh|lib-*.sh) continue ;;
    esac
    echo "== $name"
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/verbs-${name%.sh}.XXXXXX")
    log=$tmp/output.log
    t0=$(date +%s)
    if [ ! -f "$t" ]; then
        echo "no such test: $t" >"$log"
        rc=1
    else
        (cd "$tmp" && VT_TMP=$tmp timeout -k 10 "$timeout_s" sh "$t") \
            >"$log" 2>&1
        rc=$?
    fi
    cat "$log"
    secs=$(( $(date +%s) - t0 ))
    case $rc in
    0) res=PASS; pass=$((pass + 1)) ;;
    77) res=SKIP; skip=$((skip + 1)) ;;
    124|137)
        echo "$name: timed out after $timeout_s s"
        res=FAIL; fail=$((fail + 1)) ;;
    *) res=FAIL; fail=$((fail + 1)) ;;
    esac
    echo "$res: $name (${secs} s)"
    if [ -n "$log_dir" ]; then
        cp "$log" "$log_dir/${name%.sh}.log"
        printf ':test-result: %s\n:global-test-result: %s\n:recheck: %s\n:copy-in-global-log: %s\n' \
            "$res" "$res" "$( [ $res = FAIL ] && echo yes || echo no)" \
            "$( [ $res = PASS ] && echo no || echo yes)" \
            >"$log_dir/${name%.sh}.trs"
    fi
    rm -rf "$tmp"
done

if [ $skip -gt 0 ]; then
    echo "$pass passed, $fail failed, $skip skipped"
else
    echo "$pass passed, $fail failed"
fi
[ $fail = 0 ]
