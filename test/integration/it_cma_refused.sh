#!/bin/sh
# Shared memory where the kernel refuses cross-memory attach
# (process_vm_readv/writev): rendezvous of every size from 8 KiB to
# 4 MiB, tag matching, put, get and atomics on allocated and registered
# memory, and the collectives, data checked, over shm alone:
#   - VERVE_SHM_CMA=n (the setting);
#   - a seccomp filter that refuses every CMA call (a container's
#     profile), wrapped around verve_run;
#   - one that refuses calls on other processes only (as Yama
#     ptrace_scope 1 does), one per rank, so only the probe at wireup
#     finds it;
#   - rank 0 refused, rank 1 not: both must agree on no CMA.
# Each run must print the info line that says CMA is refused, once per
# rank, with the cause its mode leads to (so each way of finding out is
# tried); a run with CMA allowed must not print it. Prints "FAIL: ..." for each
# failure and exits 1; SKIP (77) where seccomp filters cannot be set.
set -u
. "$(dirname "$0")/it_lib.sh"

NOCMA=$IT/it_no_cma
INFO=$top_builddir/src/tools/verve_info
LINE='shm: no CMA (process_vm_readv/writev) with'
if [ ! -x "$RUN" ] || [ ! -x "$NOCMA" ] || [ ! -x "$INFO" ]; then
    echo "SKIP: verve_run, verve_info or it_no_cma not built"
    exit 77
fi
if ! "$NOCMA" true; then
    echo "SKIP: no seccomp filters here"
    exit 77
fi

# check NAME RANKS EXPECT CAUSE COMMAND...: runs COMMAND with shm alone and
# info logging; EXPECT is how many ranks must say CMA is refused (0 or
# RANKS), one of them for CAUSE.
check()
{
    name=$1
    ranks=$2
    expect=$3
    cause=$4
    shift 4
    if out=$(env VERVE_TLS=shm,self VERVE_LOG_LEVEL=info "$@" 2>&1); then
        :
    else
        echo "FAIL: $name (exit $?)"
        echo "$out" | tail -20
        failures=$((failures + 1))
        return
    fi
    said=$(echo "$out" | grep -c "$LINE")
    if [ "$said" -ne "$expect" ]; then
        echo "FAIL: $name: $said ranks said CMA is refused, expected" \
             "$expect of $ranks"
        echo "$out" | grep "$LINE" | head -5
        failures=$((failures + 1))
        return
    fi
    if [ -n "$cause" ] && [ $allowed_here = yes ] &&
        ! echo "$out" | grep "$LINE" | grep -q "$cause"; then
        echo "FAIL: $name: no rank said CMA is refused because $cause"
        echo "$out" | grep "$LINE" | head -5
        failures=$((failures + 1))
        return
    fi
    echo "ok: $name"
}

# suite MODE NAME RANKS EXPECT PROGRAM [ARG...]: PROGRAM on RANKS ranks
# with CMA as MODE says: allowed, setting (VERVE_SHM_CMA=n), seccomp
# (every call refused), peers (calls on other processes refused), rank0
# (rank 0 refused every call, the others allowed).
suite()
{
    mode=$1
    ranks=$3
    expect=$4
    name="$2, $ranks ranks, CMA $mode"
    shift 4
    case $mode in
    allowed)
        check "$name" "$ranks" "$expect" "" \
            "$RUN" -n "$ranks" --timeout 300 "$@" ;;
    setting)
        check "$name" "$ranks" "$expect" "VERVE_SHM_CMA=n" \
            env VERVE_SHM_CMA=n "$RUN" -n "$ranks" --timeout 300 "$@" ;;
    seccomp)
        check "$name" "$ranks" "$expect" "refuses this process the calls" \
            "$NOCMA" "$RUN" -n "$ranks" --timeout 300 "$@" ;;
    peers)
        check "$name" "$ranks" "$expect" "refuses process_vm_readv of it" \
            "$RUN" -n "$ranks" --timeout 300 "$NOCMA" --peers "$@" ;;
    rank0)
        check "$name" "$ranks" "$expect" "does not use CMA itself" \
            "$RUN" -n "$ranks" --timeout 300 sh -c \
            'if [ "$VERVE_RUN_RANK" = 0 ]; then exec "$0" "$@"; fi
             exec "$@"' "$NOCMA" "$@" ;;
    esac
}

# verve_info tells built in from allowed. Where the kernel refuses CMA to
# us already (a container), every mode finds that first: no control, no
# causes.
allowed_here=yes
if ! "$INFO" | grep -q "CMA allowed here: *yes"; then
    allowed_here=no
    echo "note: CMA is refused here already; no control run"
fi
if "$NOCMA" "$INFO" | grep -q "CMA allowed here: *no"; then
    echo "ok: verve_info, CMA refused"
else
    echo "FAIL: verve_info does not say CMA is refused under seccomp"
    failures=$((failures + 1))
fi

# The control: with CMA allowed nobody says it is refused.
if [ $allowed_here = yes ]; then
    suite allowed "am" 2 0 "$IT/it_am"
fi
for mode in setting seccomp peers rank0; do
    suite "$mode" "am" 2 2 "$IT/it_am"
    suite "$mode" "rma" 2 2 "$IT/it_rma"
done
suite peers "rma" 3 3 "$IT/it_rma"
suite seccomp "tag" 3 3 "$IT/it_tag"
suite peers "tag" 2 2 "$IT/it_tag"
# rendezvous split (written by the sender into the receiver) from 100 B
suite peers "am, rendezvous from 100 B, all split" 2 2 \
    env VERVE_RNDV_THRESH=100 VERVE_RNDV_SPLIT=1 "$IT/it_am"
# collectives: the network algorithms over shm (their large messages are
# rendezvous), and the shared-memory path with single copies asked for
# from 1 KiB (its own probe says no: pipelined copies instead)
suite seccomp "collectives, network algorithms" 3 3 \
    env VERVE_COLL_SHM_ENABLE=n "$IT/it_coll" --iters 20
suite peers "collectives, shared segment, single copies from 1k" 3 3 \
    env VERVE_COLL_SHM_CMA_MIN=1k "$IT/it_coll" --iters 20

it_finish
