#!/bin/sh
# The PMIx bootstrap under Open MPI's mpirun: it_boot (which must report
# the "pmix" backend), it_am and it_rma with 1 to 4 ranks (more than the
# cores: --oversubscribe) in both VERVE_BOOT_EXCHANGE modes, also with
# every value served by the PMIx server (as between nodes), a rank that
# dies in a fence, one that comes late to it (VERVE_RUN_TIMEOUT), and
# verve_perf, which must behave as under verve_run.
# Run by `make check` with $top_builddir, $MPIRUN and $IT_HAVE_PMIX set
# from configure; exits 77 (SKIP) when mpirun or the PMIx backend is not
# there, prints "FAIL: ..." for each failed check and exits 1.
set -u

top_builddir=${top_builddir:-.}
MPIRUN=${MPIRUN:-}
IT=$top_builddir/test/integration
RUN=$top_builddir/src/tools/verve_run
PERF=$top_builddir/src/tools/verve_perf
INFO=$top_builddir/src/tools/verve_info
tmp=$(mktemp -d "${TMPDIR:-/tmp}/it_mpirun.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0

# Under CI=true every skip here is a failure: CI's machine has mpirun and
# PMIx (configure fails there without them), so a skip means the PMIx
# bootstrap went untested while CI stayed green.
skip()
{
    if [ "${CI:-}" = true ]; then
        echo "FAIL: $* (CI=true: the mpirun tests must run)"
        exit 1
    fi
    echo "SKIP: $*"
    exit 77
}

if [ -z "$MPIRUN" ] || [ ! -x "$MPIRUN" ]; then
    skip "configure found no mpirun (MPIRUN='$MPIRUN')"
fi
if [ "${IT_HAVE_PMIX:-no}" != yes ]; then
    skip "verve was configured without PMIx (no pmix.pc)"
fi
# The backend registers PMIX_RANK with the config code only when it can
# read it (see src/core/boot/boot_pmix.c).
if ! "$INFO" -c 2>/dev/null | grep -q '^PMIX_RANK='; then
    skip "this build's PMIx backend cannot see PMIX_RANK: the config" \
         "code has no env_prefix for tables yet"
fi
for program in "$IT/it_boot" "$IT/it_am" "$IT/it_rma" "$PERF" "$RUN"; do
    if [ ! -x "$program" ]; then
        echo "FAIL: $program is not built"
        exit 1
    fi
done

# libpmix leaks a few bytes in PMIx_Init that PMIx_Finalize never frees
# (a bare PMIx_Init/PMIx_Finalize program shows them too): not ours to
# report in the sanitizer build. Only those: a value verve got from PMIx
# and did not release is still reported. libpmix has no frame pointers,
# hence the slow unwinder that sees PMIx_Init under them. Harmless in
# other builds.
# Its gds/hash component (used below) also leaks what its progress thread
# fetches for a get, even when the value got is released: those runs
# alone suppress that too.
echo "leak:PMIx_Init" >"$tmp/lsan.supp"
{ cat "$tmp/lsan.supp"; echo "leak:pmix_hash_fetch"
  echo "leak:pmix_ptl_base_process_msg"; } >"$tmp/lsan-hash.supp"
lsan_options=${LSAN_OPTIONS:+$LSAN_OPTIONS:}
LSAN_OPTIONS="${lsan_options}suppressions=$tmp/lsan.supp"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
export LSAN_OPTIONS ASAN_OPTIONS

# Bounds every PMIx fence and get, so that a bug shows as an error rather
# than a hang; `timeout` bounds the rest.
VERVE_RUN_TIMEOUT=60s
export VERVE_RUN_TIMEOUT
TIMEOUT=
if command -v timeout >/dev/null; then
    TIMEOUT="timeout -k 5 120"
fi

fail()
{
    echo "FAIL: $*"
    failures=$((failures + 1))
}

ok()
{
    echo "ok: $*"
}

show()
{
    echo "--- stdout:"; tail -20 "$tmp/out"
    echo "--- stderr:"; tail -20 "$tmp/err"
}

# mpirun N PROGRAM ARGS...: output in $tmp/out and $tmp/err.
mpirun_n()
{
    n=$1
    shift
    $TIMEOUT "$MPIRUN" --allow-run-as-root --oversubscribe -n "$n" "$@" \
        >"$tmp/out" 2>"$tmp/err"
}

# check_count NAME PATTERN COUNT: $tmp/out has COUNT lines matching.
check_count()
{
    got=$(grep -c -E -e "$2" "$tmp/out")
    if [ "$got" -eq "$3" ]; then
        ok "$1: $3 lines '$2'"
    else
        fail "$1: $got lines matching '$2', expected $3"
        show
    fi
}

# check_run NAME EXPECTED_RC ACTUAL_RC
check_rc()
{
    if [ "$3" -eq "$2" ]; then
        ok "$1: exit status $3"
    else
        fail "$1: exit status $3, expected $2"
        show
    fi
}

for mode in full lazy; do
    VERVE_BOOT_EXCHANGE=$mode
    export VERVE_BOOT_EXCHANGE
    for n in 1 2 3 4; do
        name="$mode, $n ranks"
        mpirun_n "$n" "$IT/it_boot" rounds 10
        check_rc "it_boot, $name" 0 $?
        check_count "it_boot, $name" \
            "^it_boot: rank [0-9]+ of $n \\(pmix\\): put/fence/get passed$" \
            "$n"
        check_count "it_boot, $name" \
            "^it_boot: rank [0-9]+ of $n \\(pmix\\): 10 rounds passed$" "$n"
        mpirun_n "$n" "$IT/it_am"
        check_rc "it_am, $name" 0 $?
        mpirun_n "$n" "$IT/it_rma"
        check_rc "it_rma, $name" 0 $?
    done

    # Without the shared-memory store (gds/hash) every value of another
    # rank comes from the PMIx server, as it does for ranks on other nodes:
    # the collected one (full) or the direct modex (lazy).
    PMIX_MCA_gds=hash
    LSAN_OPTIONS="${lsan_options}suppressions=$tmp/lsan-hash.supp"
    export PMIX_MCA_gds
    mpirun_n 3 "$IT/it_boot" rounds 5
    check_rc "it_boot, $mode, 3 ranks, gds/hash" 0 $?
    check_count "it_boot, $mode, 3 ranks, gds/hash" \
        "^it_boot: rank [0-9]+ of 3 \\(pmix\\): put/fence/get passed$" 3
    mpirun_n 3 "$IT/it_am"
    check_rc "it_am, $mode, 3 ranks, gds/hash" 0 $?
    unset PMIX_MCA_gds
    LSAN_OPTIONS="${lsan_options}suppressions=$tmp/lsan.supp"
done
unset VERVE_BOOT_EXCHANGE

# Ranks of one node reach each other over shared memory under mpirun too.
VERVE_TLS=shm
export VERVE_TLS
mpirun_n 3 "$IT/it_am"
check_rc "it_am, 3 ranks, shm only" 0 $?
unset VERVE_TLS

# A rank killed between fences: mpirun takes the job down, and a rank
# whose fence PMIx ended first must have seen the failure (they ignore
# SIGTERM, so a hang would end in mpirun's SIGKILL, or in ours). How many
# survivors answer before the SIGKILL is a race here, so this run checks
# only that none saw anything else.
mpirun_n 3 "$IT/it_boot" die 2
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && ok "rank dies: exit status $rc" ||
    { fail "rank dies: exit status $rc"; show; }
check_count "rank dies: a survivor saw something else than the failure" \
    'FAILED' 0
# The same death under --enable-recovery: mpirun lets the job outlive
# the dead rank, so both survivors must answer, each with the failure
# (a survivor that hangs until its timeout, or takes the missing part
# for a success, prints FAILED instead). Open MPI 4.1's server now and
# then (one run in four to one in two here, more under load) never
# answers their fence at all: such a run, where both survivors report
# that PMIx_Fence gave no answer within VERVE_RUN_TIMEOUT, says nothing
# about verve and is run again, up to 10 times; any other ending counts.
VERVE_RUN_TIMEOUT=10s
tries=0
while :; do
    mpirun_n 3 --enable-recovery "$IT/it_boot" die 2
    rc=$?
    tries=$((tries + 1))
    hung=$(grep -c 'allgather: PMIx_Fence gave no answer' "$tmp/err")
    if [ "$hung" -ne 2 ] || [ $tries -ge 10 ]; then
        break
    fi
    echo "note: rank dies, job kept: the server never answered the" \
         "survivors' fence (run $tries); again"
done
VERVE_RUN_TIMEOUT=60s
check_rc "rank dies, job kept: survivors' exit status" 0 $rc
check_count "rank dies, job kept: survivors that saw the failure" \
    '^it_boot: rank [01]: peer failure seen$' 2
check_count "rank dies, job kept: a survivor saw something else" \
    'FAILED' 0

# A rank late to a fence: under VERVE_RUN_TIMEOUT=1s the PMIx fence of
# the others must time out (PMIX_TIMEOUT), not wait. The late rank's own
# fence must return, with whatever PMIx says (see it_boot.c). It comes
# once the others' fences have returned (IT_BOOT_LATE_DIR, passed on by
# -x): late by order, not by a sleep that a loaded machine could outlast.
VERVE_RUN_TIMEOUT=1s
IT_BOOT_LATE_DIR=$tmp/late
mkdir -p "$IT_BOOT_LATE_DIR"
export IT_BOOT_LATE_DIR
mpirun_n 3 -x IT_BOOT_LATE_DIR "$IT/it_boot" slow 2
rc=$?
unset IT_BOOT_LATE_DIR
VERVE_RUN_TIMEOUT=60s
check_rc "rank late to a fence" 0 $rc
check_count "rank late to a fence" \
    '^it_boot: rank [01]: late rank seen: operation timed out$' 2
check_count "rank late to a fence: the late one returned" \
    '^it_boot: rank 2: late fence: ' 1

# verve_perf: same output and exit status as under verve_run.
mpirun_n 2 "$PERF" -t am_lat,put_lat -s 8 -n 1000
check_rc "verve_perf -n 2" 0 $?
check_count "verve_perf -n 2" '^(am|put)_lat +8 +1000 ' 2
# 4 ranks: two pairs side by side, rank 0 reports its own.
$TIMEOUT "$RUN" -n 4 "$PERF" -t am_lat,put_lat -s 8 -n 1000 \
    >"$tmp/run.out" 2>"$tmp/run.err"
run_rc=$?
mpirun_n 4 "$PERF" -t am_lat,put_lat -s 8 -n 1000
check_rc "verve_perf -n 4 as under verve_run" "$run_rc" $?
check_count "verve_perf -n 4" '^(am|put)_lat +8 +1000 ' \
    "$(grep -c -E '^(am|put)_lat +8 +1000 ' "$tmp/run.out")"
check_count "verve_perf -n 4 reports once" '^(am|put)_lat ' 2
# An odd count is refused the same way under both launchers.
for n in 1 3; do
    $TIMEOUT "$RUN" -n "$n" "$PERF" -t am_lat -s 8 -n 1000 \
        >"$tmp/run.out" 2>"$tmp/run.err"
    run_rc=$?
    mpirun_n "$n" "$PERF" -t am_lat -s 8 -n 1000
    check_rc "verve_perf -n $n as under verve_run" "$run_rc" $?
    want=$(grep '^verve_perf:' "$tmp/run.err")
    if grep -q -x -F -e "$want" "$tmp/err" && [ -n "$want" ]; then
        ok "verve_perf -n $n: '$want'"
    else
        fail "verve_perf -n $n: no line '$want' under mpirun"
        show
    fi
done

# verve_run under mpirun: its ranks must not inherit the launcher's PMIx
# identity (PMIx goes first, so both would be PMIx rank 0 of 1), and
# bootstrap through verve_run.
mpirun_n 1 "$RUN" -n 2 env
check_rc "verve_run -n 2 env under mpirun -n 1" 0 $?
check_count "verve_run -n 2 env under mpirun -n 1: no PMIX_ variables" \
    '^PMIX_' 0
mpirun_n 1 "$RUN" -n 2 "$IT/it_boot"
check_rc "verve_run -n 2 under mpirun -n 1" 0 $?
check_count "verve_run -n 2 under mpirun -n 1" \
    '^it_boot: rank [01] of 2 \(builtin\): put/fence/get passed$' 2

if [ $failures -ne 0 ]; then
    echo "it_mpirun.sh: $failures check(s) failed"
    exit 1
fi
echo "it_mpirun.sh: all checks passed"
