#!/bin/sh
# The engine suite over the rc transport alone (VERVE_TLS=rc,self): it_am
# and it_rma between namespaces a and b (rank r in the namespace of
# rxe(r%2), through verve_run --netns), with rendezvous through RDMA read,
# the fragmented eager path and emulated RMA; it_peer_failure on one
# device.
. "${VT_DIR:-$(dirname "$0")}/lib-engine.sh"
export VERVE_TLS=rc,self

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
# Not yet with 3 ranks: after the reconnect, the untouched 1-2 connection
# sometimes stalls (both sides' sends never complete); see the notes of
# issue 3.

check "peer failure, one device (3 s stall watchdog)" \
    env VERVE_NET_DEVICES=rxe0:1 VERVE_RC_PEER_TIMEOUT=3s timeout 120 \
    "$IT/it_peer_failure"

[ $failures = 0 ] || vt_fail "$failures rc engine check(s) failed"
