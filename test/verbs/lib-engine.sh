#!/bin/sh
# Shared by the engine suites over one verbs transport (rc_engine.sh,
# ud_engine.sh): the integration programs under verve_run across the two
# namespaces, and a check that counts failures. Source it after setting
# nothing; it sources lib-verbs.sh and skips when the programs are missing.
. "${VT_DIR:-$(dirname "$0")}/lib-verbs.sh"

vt_need_guest
RUN=$top_builddir/src/tools/verve_run
IT=$top_builddir/test/integration
[ -x "$RUN" ] && [ -x "$IT/it_am" ] && [ -x "$IT/it_rma" ] && [ -x "$IT/it_tag" ] &&
    [ -x "$IT/it_peer_failure" ] && [ -x "$IT/it_coll_fail" ] ||
    vt_skip "build verve_run and test/integration/it_* first (make check)"
failures=0

# rank_run N "PROGRAM [ARGS]" [VAR=VALUE...]: N ranks, rank r in
# namespace a or b (r%2), whose device (rxe0 or rxe1) it finds itself;
# on a kernel whose rxe ignores namespaces (VM_TOPOLOGY=shared) every rank
# stays in the root namespace and names its device.
rank_run()
{
    _n=$1 _prog=$2
    shift 2
    _x=
    for _v in "$@"; do
        _x="$_x -x $_v"
    done
    if [ "${VM_TOPOLOGY:-namespaces}" = namespaces ]; then
        # shellcheck disable=SC2086
        "$RUN" -n "$_n" --netns a,b --timeout 200 $_x -- $_prog
    else
        # shellcheck disable=SC2086
        "$RUN" -n "$_n" --timeout 200 $_x -- sh -c \
            'VERVE_NET_DEVICES=rxe$((VERVE_RUN_RANK % 2)):1 exec $0' \
            "$_prog"
    fi
}

check()
{
    name=$1
    shift
    if out=$("$@" 2>&1); then
        vt_note "ok: $name"
    else
        echo "FAIL: $name (exit $?)"
        echo "$out" | tail -20
        failures=$((failures + 1))
    fi
}

# check_fails NAME STATUS PATTERN COMMAND...: the command must fail as the
# same setting without the feature under test fails: with exit status
# STATUS and output matching PATTERN (grep -E). Any other ending (success,
# another status, a crash, a timeout, a skip, another message) is a
# failure of the check: a program that crashed or never ran proves nothing.
check_fails()
{
    name=$1 _want_rc=$2 _want_msg=$3
    shift 3
    out=$("$@" 2>&1)
    _rc=$?
    if [ "$_rc" = "$_want_rc" ] &&
            printf '%s\n' "$out" | grep -Eq -- "$_want_msg"; then
        vt_note "ok: $name (exit $_rc, as expected: $_want_msg)"
        return 0
    fi
    case $_rc in
    0) _why="it succeeded" ;;
    77) _why="it skipped (exit 77)" ;;
    124|137) _why="it timed out (exit $_rc)" ;;
    *) if [ "$_rc" -gt 128 ]; then
           _why="it died of signal $((_rc - 128))"
       else
           _why="exit $_rc"
       fi ;;
    esac
    echo "FAIL: $name: expected exit $_want_rc with '$_want_msg'; $_why"
    echo "$out" | tail -20
    failures=$((failures + 1))
}
