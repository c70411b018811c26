#!/bin/sh
# The engine suite over the rc transport alone (VERVE_TLS=rc,self): it_am
# and it_rma between namespaces a and b (rank r in the namespace of
# rxe(r%2), through verve_run --netns), with rendezvous through RDMA read,
# the fragmented eager path, emulated and native RMA (atomics on the
# device, reconnection after an access error); it_peer_failure on one
# device.
. "${VT_DIR:-$(dirname "$0")}/lib-engine.sh"
export VERVE_TLS=rc,self

# amo_run N LANES "PROGRAM [ARGS]" [VAR=VALUE...]: rank_run of N ranks
# that also fails unless they made LANES or more atomics lanes through rc
# (one per rank to itself).
amo_run()
{
    _ranks=$1 _lanes=$2 _prog=$3
    shift 3
    _out=$(rank_run "$_ranks" "$_prog" VERVE_LOG_LEVEL=debug "$@" 2>&1) || {
        echo "$_out" | grep -v DEBUG
        return 1
    }
    _made=$(echo "$_out" | grep -c ": atomics to [0-9a-f]* on rc")
    [ "$_made" -ge "$_lanes" ] || {
        echo "$_made atomics lanes through rc, expected $_lanes or more"
        return 1
    }
}

check "am, 2 ranks" rank_run 2 "$IT/it_am"
check "am, 3 ranks" rank_run 3 "$IT/it_am"
check "am, 2 ranks, rendezvous from 100 B" \
    rank_run 2 "$IT/it_am" VERVE_RNDV_THRESH=100
check "am, 2 ranks, fragmented eager (512-byte fragments)" \
    rank_run 2 "$IT/it_am --eager-only" VERVE_AM_ZCOPY=n \
    VERVE_RNDV_THRESH=100 VERVE_RC_SEG_SIZE=512
check "tag, 2 ranks" rank_run 2 "$IT/it_tag --stream 200"
check "tag, 3 ranks, fragmented eager" \
    rank_run 3 "$IT/it_tag --stream 100" VERVE_AM_ZCOPY=n \
    VERVE_RNDV_THRESH=100 VERVE_RC_SEG_SIZE=512
check "rma, 2 ranks, emulated over AM" \
    rank_run 2 "$IT/it_rma" VERVE_RMA_NATIVE=n

# Native RMA. A stale key makes the responder NAK with a remote access
# error, which moves both RC QPs of the pair to the error state (verbs
# semantics): it_rma then checks that the access fails with
# VERVE_ERR_INVALID_RKEY, the next one fails too, and that the ranks
# reconnect and go on.
#
# Atomics run on the device (rxe: IBV_ATOMIC_HCA) and the contention test
# counts every update: each rank's atomics on its own memory go through a
# loopback rc connection, never the CPU (the debug log names each such
# atomics lane; rc_amo_shm.sh does the same with peers on shm).
check "rma, 2 ranks, native" \
    amo_run 2 2 "$IT/it_rma --access-error-breaks-connection"
# With 3 ranks, the 1-2 connection idles with an unsignalled send in
# flight while the ranks fetch-add at rank 0: the stall watchdog must ask
# for a completion before it takes the peer for dead.
check "rma, 3 ranks, native" \
    amo_run 3 3 "$IT/it_rma --access-error-breaks-connection"

# rxe's work runs in the kernel on the guest's CPUs: idle progress must
# give the CPU away (VT_CAP_IDLE_YIELD), and must not with
# VERVE_VERBS_IDLE_YIELD=no. strace counts the sched_yield calls of
# rc_pair idle N, which progresses until N of its calls were idle ones
# past the first VT_IDLE_YIELD_POLLS of an idle run, each bound to yield.
# Counted, not timed: a loaded machine changes nothing.
IDLE_CALLS=100
# idle_yields MIN MAX [VAR=VALUE...]: rc_pair idle's sched_yield calls
# must be within MIN..MAX.
idle_yields()
{
    _min=$1 _max=$2
    shift 2
    rm -f "$VT_TMP/yields"
    # timeout under strace: it kills rc_pair, where a strace killed by it
    # would leave rc_pair running, detached, holding our output open
    env "$@" ip netns exec a strace -f -qq -c -e trace=sched_yield \
        -o "$VT_TMP/yields" timeout 120 \
        "$top_builddir/test/verbs/rc_pair" idle $IDLE_CALLS || return 1
    _calls=$(awk '$NF == "sched_yield" { n += $4 } END { print n + 0 }' \
             "$VT_TMP/yields")
    vt_note "sched_yield calls: $_calls for $IDLE_CALLS idle progress" \
        "calls bound to yield ($*)"
    [ "$_calls" -ge "$_min" ] && [ "$_calls" -le "$_max" ] || {
        echo "$_calls sched_yield calls, expected $_min to $_max"
        return 1
    }
}
if command -v strace >/dev/null 2>&1; then
    # A few from elsewhere (the memory event wait) would not be idle
    # progress: at most 5.
    check "idle progress yields on rxe" idle_yields $IDLE_CALLS 1000000000
    check "no idle yield with VERVE_VERBS_IDLE_YIELD=no" \
        idle_yields 0 5 VERVE_VERBS_IDLE_YIELD=no
    check "verve_info shows idle yield on for rxe" \
        sh -c "ip netns exec a $top_builddir/src/tools/verve_info -d |
               grep 'idle yield: *on (software device'"
else
    vt_note "idle yield: not checked, no strace (contrib/install-deps.sh)"
fi

check "peer failure, one device (3 s stall watchdog)" \
    env VERVE_NET_DEVICES=rxe0:1 VERVE_RC_PEER_TIMEOUT=3s timeout 120 \
    "$IT/it_peer_failure"

[ $failures = 0 ] || vt_fail "$failures rc engine check(s) failed"
