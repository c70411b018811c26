#!/bin/sh
# The engine suite over the rc transport alone (VERVE_TLS=rc,self): it_am
# and it_rma between namespaces a and b (rank r in the namespace of
# rxe(r%2), through verve_run --netns), with rendezvous through RDMA read,
# the fragmented eager path and emulated RMA; it_peer_failure on one
# device.
. "${VT_DIR:-$(dirname "$0")}/lib-verbs.sh"

vt_need_guest
RUN=$top_builddir/src/tools/verve_run
IT=$top_builddir/test/integration
[ -x "$RUN" ] && [ -x "$IT/it_am" ] && [ -x "$IT/it_rma" ] &&
    [ -x "$IT/it_peer_failure" ] ||
    vt_skip "build verve_run and test/integration/it_* first (make check)"
export VERVE_TLS=rc,self
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

check "am, 2 ranks" rank_run 2 "$IT/it_am"
check "am, 3 ranks" rank_run 3 "$IT/it_am"
check "am, 2 ranks, rendezvous from 100 B" \
    rank_run 2 "$IT/it_am" VERVE_RNDV_THRESH=100
check "am, 2 ranks, fragmented eager (512-byte fragments)" \
    rank_run 2 "$IT/it_am --eager-only" VERVE_AM_ZCOPY=n \
    VERVE_RNDV_THRESH=100 VERVE_RC_SEG_SIZE=512
check "rma, 2 ranks, emulated over AM" \
    rank_run 2 "$IT/it_rma" VERVE_RMA_NATIVE=n

# Native RMA. A stale key makes the responder NAK with a remote access
# error, which moves both RC QPs of the pair to the error state (verbs
# semantics): it_rma then checks that the access fails with
# VERVE_ERR_INVALID_RKEY, the next one fails too, and that the ranks
# reconnect and go on.
check "rma, 2 ranks, native" \
    rank_run 2 "$IT/it_rma --access-error-breaks-connection"
check "rma, 3 ranks, native" \
    rank_run 3 "$IT/it_rma --access-error-breaks-connection"

check "peer failure, one device (3 s stall watchdog)" \
    env VERVE_NET_DEVICES=rxe0:1 VERVE_RC_PEER_TIMEOUT=3s timeout 120 \
    "$IT/it_peer_failure"

[ $failures = 0 ] || vt_fail "$failures rc engine check(s) failed"
