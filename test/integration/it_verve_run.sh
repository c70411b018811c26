#!/bin/sh
# verve_run end to end: bootstrap under N ranks, exit codes, cleanup of the
# other ranks, tagged output, timeouts and signals. Run by `make check` with
# $top_builddir set; prints "FAIL: ..." for each failed check and exits 1.
set -u

top_builddir=${top_builddir:-.}
RUN=$top_builddir/src/tools/verve_run
IT=$top_builddir/test/integration/it_boot
tmp=$(mktemp -d "${TMPDIR:-/tmp}/it_verve_run.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0
# Ranks that must be killed sleep for this many seconds plus a small
# number: a command line no other process on the machine has.
marker=$((7000000 + $$ * 16))

fail()
{
    echo "FAIL: $*"
    failures=$((failures + 1))
}

ok()
{
    echo "ok: $*"
}

# check_rc NAME EXPECTED ACTUAL
check_rc()
{
    if [ "$3" -eq "$2" ]; then
        ok "$1: exit status $3"
    else
        fail "$1: exit status $3, expected $2"
        echo "--- stdout:"; cat "$tmp/out"; echo "--- stderr:"; cat "$tmp/err"
    fi
}

# check_grep NAME FILE PATTERN: FILE must have a line matching PATTERN.
check_grep()
{
    if grep -q -E -e "$3" "$2"; then
        ok "$1: found '$3'"
    else
        fail "$1: no line matching '$3' in $(basename "$2"):"
        cat "$2"
    fi
}

# check_gone NAME ID: no process left whose command line is "sleep ID";
# waits up to 3 s for the killed ones to finish dying. Without pgrep it
# cannot look, and a check that cannot look fails.
check_gone()
{
    if ! command -v pgrep >/dev/null; then
        fail "$1: no pgrep (procps) to look for processes left"
        return
    fi
    i=0
    while pgrep -f "^sleep $2\$" >/dev/null; do
        i=$((i + 1))
        if [ $i -ge 30 ]; then
            fail "$1: processes left behind:"
            pgrep -a -f "^sleep $2\$"
            pkill -KILL -f "^sleep $2\$"
            return
        fi
        sleep 0.1
    done
    ok "$1: no process left"
}

# wait_started NAME ID COUNT: waits up to 5 s until COUNT processes
# "sleep ID" run; fails NAME when they do not, since check_gone after it
# would then pass on ranks that were never there.
wait_started()
{
    i=0
    while [ "$(pgrep -c -f "^sleep $2\$")" -lt "$3" ]; do
        i=$((i + 1))
        if [ $i -ge 50 ]; then
            fail "$1: $(pgrep -c -f "^sleep $2\$") of $3 ranks started" \
                "in 5 s"
            return 1
        fi
        sleep 0.1
    done
    ok "$1: $3 ranks started"
}

run()
{
    "$RUN" "$@" >"$tmp/out" 2>"$tmp/err"
}

for program in "$RUN" "$IT"; do
    if [ ! -x "$program" ]; then
        echo "FAIL: $program is not built"
        exit 1
    fi
done

# -- bootstrap ---------------------------------------------------------------
run -n 4 "$IT"; check_rc "it_boot -n 4" 0 $?
n=$(grep -c 'rounds passed' "$tmp/out")
[ "$n" -eq 4 ] && ok "it_boot -n 4: 4 ranks passed" ||
    fail "it_boot -n 4: $n ranks of 4 passed"
check_grep "it_boot -n 4" "$tmp/out" '^it_boot: rank 3 of 4 \(builtin\)'
n=$(grep -c '(builtin): put/fence/get passed$' "$tmp/out")
[ "$n" -eq 4 ] && ok "it_boot -n 4: put/fence/get on 4 ranks" ||
    fail "it_boot -n 4: put/fence/get passed on $n ranks of 4"

run -n 1 "$IT"; check_rc "it_boot -n 1" 0 $?
check_grep "it_boot -n 1" "$tmp/out" 'rank 0 of 1 \(builtin\)'

"$IT" >"$tmp/out" 2>"$tmp/err"; check_rc "it_boot alone" 0 $?
check_grep "it_boot alone" "$tmp/out" 'rank 0 of 1 \(single\)'

# A rank dies between allgathers: the others' allgather must fail (they
# ignore SIGTERM, so a hang would end in SIGKILL without their line).
run -n 4 -l "$IT" die 2; check_rc "rank dies in allgather" 137 $?
n=$(grep -c -E '^\[[013]\] it_boot: rank [013]: peer failure seen$' \
    "$tmp/out")
[ "$n" -eq 3 ] && ok "rank dies in allgather: 3 survivors saw it" ||
    { fail "rank dies in allgather: $n of 3 survivors saw it"; cat "$tmp/out"; }

# A rank exits 0 without finalizing: the others' barrier must fail, and
# the job still succeeds, since every rank exits 0.
run -n 3 -l "$IT" leave 1; check_rc "rank leaves before barrier" 0 $?
n=$(grep -c -E '^\[[02]\] it_boot: rank [02]: peer failure seen$' \
    "$tmp/out")
[ "$n" -eq 2 ] && ok "rank leaves before barrier: 2 survivors saw it" ||
    { fail "rank leaves before barrier: $n of 2 saw it"; cat "$tmp/out"; }

# A rank late to a fence under VERVE_RUN_TIMEOUT=1s: the others' fence
# must fail (time out, or see the job failed by one that timed out
# first) rather than wait. The late rank comes once their fences have
# returned (IT_BOOT_LATE_DIR): late by order, not by a sleep that a
# loaded machine could outlast.
VERVE_RUN_TIMEOUT=1s
IT_BOOT_LATE_DIR=$tmp/late
mkdir -p "$IT_BOOT_LATE_DIR"
export VERVE_RUN_TIMEOUT IT_BOOT_LATE_DIR
run -n 3 -l "$IT" slow 2
rc=$?
unset VERVE_RUN_TIMEOUT IT_BOOT_LATE_DIR
check_rc "rank late to a fence" 0 $rc
n=$(grep -c -E '^\[[01]\] it_boot: rank [01]: late rank seen: ' "$tmp/out")
[ "$n" -eq 2 ] && ok "rank late to a fence: 2 ranks stopped waiting" ||
    { fail "rank late to a fence: $n of 2 stopped waiting"; cat "$tmp/out"; }
check_grep "rank late to a fence: the late one's fence failed" "$tmp/out" \
    '^\[2\] it_boot: rank 2: late fence: (peer failed|operation timed out)$'

# -- exit status and cleanup -------------------------------------------------
id=$((marker + 1))
run -n 3 sh -c "if [ \$VERVE_RUN_RANK = 1 ]; then exit 3; fi; sleep $id"
check_rc "rank exits 3" 3 $?
check_grep "rank exits 3" "$tmp/err" \
    '^verve_run: rank 1 \(pid [0-9]+\) exited with status 3$'
check_gone "rank exits 3" $id

id=$((marker + 2))
run -n 3 sh -c "if [ \$VERVE_RUN_RANK = 2 ]; then kill -9 \$\$; fi; sleep $id"
check_rc "rank killed by SIGKILL" 137 $?
check_grep "rank killed by SIGKILL" "$tmp/err" \
    '^verve_run: rank 2 \(pid [0-9]+\) killed by signal 9 \(Killed\)$'
check_gone "rank killed by SIGKILL" $id

# Ranks that ignore SIGTERM get SIGKILL after the grace period.
id=$((marker + 3))
run -n 3 sh -c "if [ \$VERVE_RUN_RANK = 0 ]; then sleep 0.3; exit 5; fi
                trap '' TERM; sleep $id"
check_rc "ranks ignoring SIGTERM" 5 $?
check_gone "ranks ignoring SIGTERM" $id

run -n 2 "$tmp/no-such-program"; check_rc "exec failure" 127 $?
check_grep "exec failure" "$tmp/err" "cannot execute '.*no-such-program'"

run -n 2 -x VERVE_IT_VALUE=a=b sh -c 'test "$VERVE_IT_VALUE" = a=b'
check_rc "-x VAR=VALUE" 0 $?

# -- options -----------------------------------------------------------------
run --help; check_rc "--help" 0 $?
check_grep "--help" "$tmp/out" '^Usage: verve_run'
run --version; check_rc "--version" 0 $?
run -n 0 true; check_rc "-n 0" 2 $?
check_grep "-n 0" "$tmp/err" '^Usage: verve_run'
run -n abc true; check_rc "-n abc" 2 $?
run -n 2; check_rc "no program" 2 $?
run true; check_rc "no -n" 2 $?
run -n 2 --timeout x true; check_rc "--timeout x" 2 $?

# -- tagged output -----------------------------------------------------------
run -n 2 -l sh -c 'echo out; echo err >&2; printf last'
check_rc "-l" 0 $?
check_grep "-l" "$tmp/out" '^\[0\] out$'
check_grep "-l" "$tmp/out" '^\[1\] out$'
check_grep "-l" "$tmp/out" '^\[1\] last$'
check_grep "-l" "$tmp/err" '^\[0\] err$'

# awk writes in blocks that cut lines anywhere: every line must still come
# out whole, with its tag, never mixed with another rank's.
run -n 4 -l awk 'BEGIN { s = sprintf("%300s", ""); gsub(/ /, "x", s);
                         for (i = 0; i < 2000; i++) print s }'
check_rc "-l long output" 0 $?
total=$(wc -l <"$tmp/out")
good=$(grep -c -E '^\[[0-3]\] x{300}$' "$tmp/out")
[ "$total" -eq 8000 ] && [ "$good" -eq 8000 ] &&
    ok "-l long output: 8000 whole lines" ||
    fail "-l long output: $good whole lines of $total, expected 8000"

# -- timeout and signals -----------------------------------------------------
id=$((marker + 4))
run -n 2 --timeout 1 sleep $id; check_rc "--timeout 1" 124 $?
check_grep "--timeout 1" "$tmp/err" '^verve_run: job timed out after 1 s'
check_gone "--timeout 1" $id

id=$((marker + 5))
"$RUN" -n 2 sleep $id >"$tmp/out" 2>"$tmp/err" &
pid=$!
wait_started "SIGTERM to verve_run" $id 2
kill -TERM $pid
wait $pid; check_rc "SIGTERM to verve_run" 143 $?
check_gone "SIGTERM to verve_run" $id

# verve_run killed outright: its ranks die with it (PR_SET_PDEATHSIG).
id=$((marker + 6))
"$RUN" -n 2 sleep $id >"$tmp/out" 2>"$tmp/err" &
pid=$!
wait_started "SIGKILL to verve_run" $id 2
kill -KILL $pid
wait $pid 2>/dev/null
check_gone "SIGKILL to verve_run" $id

if [ $failures -ne 0 ]; then
    echo "it_verve_run.sh: $failures check(s) failed"
    exit 1
fi
echo "it_verve_run.sh: all checks passed"
