#!/bin/sh
# Multi-process engine tests under verve_run: AM, RMA, atomics and tag
# matching with 1 to 4 ranks (more ranks than cores on purpose), on the default transports
# and on shm alone; a peer killed mid-transfer. Prints "FAIL: ..." for each
# failure and exits 1.
set -u
. "$(dirname "$0")/it_lib.sh"

for n in 1 2 3; do
    run "am, $n ranks" "$RUN" -n "$n" --timeout 120 "$IT/it_am"
done
run "am, 2 ranks, shm only" env VERVE_TLS=shm \
    "$RUN" -n 2 --timeout 120 "$IT/it_am"
# every rendezvous split, down to messages smaller than a page
# (regression: the split point passed the end of short messages)
run "am, 2 ranks, rendezvous from 100 B, all split" \
    env VERVE_RNDV_THRESH=100 VERVE_RNDV_SPLIT=1 \
    "$RUN" -n 2 --timeout 120 "$IT/it_am"
# large messages as fragments of 300 bytes (the path of lanes that cannot
# read the sender's memory), on shm and on self
run "am, 2 ranks, fragmented eager" \
    env VERVE_AM_ZCOPY=n VERVE_RNDV_THRESH=100 VERVE_SHM_BCOPY_MAX=300 \
    "$RUN" -n 2 --timeout 120 "$IT/it_am" --eager-only
for n in 1 2 4; do
    run "rma, $n ranks" "$RUN" -n "$n" --timeout 120 "$IT/it_rma"
done
run "rma, 3 ranks, emulated over AM" env VERVE_RMA_NATIVE=n \
    "$RUN" -n 3 --timeout 120 "$IT/it_rma"
# put, get, atomics and rendezvous reads completed later through their
# completions, reads through the sender's key, as on RDMA (self carries
# them out from progress)
for n in 1 2; do
    run "rma, $n ranks, self completes later" env VERVE_SELF_ASYNC=y \
        "$RUN" -n "$n" --timeout 120 "$IT/it_rma"
done
run "am, 1 rank, self completes later" env VERVE_SELF_ASYNC=y \
    "$RUN" -n 1 --timeout 120 "$IT/it_am"
for n in 1 2 3; do
    run "tag, $n ranks" "$RUN" -n "$n" --timeout 120 "$IT/it_tag"
done
run "tag, 4 ranks, shm only" env VERVE_TLS=shm \
    "$RUN" -n 4 --timeout 120 "$IT/it_tag" --stream 1000
run "tag, 2 ranks, rendezvous from 100 B, all split" \
    env VERVE_RNDV_THRESH=100 VERVE_RNDV_SPLIT=1 \
    "$RUN" -n 2 --timeout 120 "$IT/it_tag"
run "tag, 2 ranks, fragmented eager" \
    env VERVE_AM_ZCOPY=n VERVE_RNDV_THRESH=100 VERVE_SHM_BCOPY_MAX=300 \
    "$RUN" -n 2 --timeout 120 "$IT/it_tag"
run "tag, 2 ranks, self completes later" env VERVE_SELF_ASYNC=y \
    "$RUN" -n 2 --timeout 120 "$IT/it_tag"
run "flush then bootstrap barrier, 3 ranks" \
    "$RUN" -n 3 --timeout 120 "$IT/it_flush_barrier"
run "flush then bootstrap barrier, 2 ranks, shm only" env VERVE_TLS=shm \
    "$RUN" -n 2 --timeout 120 "$IT/it_flush_barrier"
run "peer failure" timeout 60 "$IT/it_peer_failure"
run "peer failure, shm only" env VERVE_TLS=shm timeout 60 \
    "$IT/it_peer_failure"

it_finish
