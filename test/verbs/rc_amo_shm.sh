#!/bin/sh
# Atomics on rxe (IBV_ATOMIC_HCA) with peers on shm: the device is atomic
# only against its own atomics, so a rank's atomics on a local peer's
# memory, and on its own, must go through rc as the remote ranks' do, never
# through the CPU. it_rma's contention test counts every update of 2 ranks
# (VERVE_TLS=rc,shm,self: they share a pid namespace, so shm reaches both
# namespaces); the debug log must name an rc atomics lane per rank and
# peer, itself included.
. "${VT_DIR:-$(dirname "$0")}/lib-engine.sh"

out=$(rank_run 2 "$IT/it_rma --access-error-breaks-connection" \
    VERVE_TLS=rc,shm,self VERVE_LOG_LEVEL=debug 2>&1) || {
    echo "$out" | grep -v DEBUG | tail -20
    vt_fail "it_rma over shm with atomics through rc failed"
}
lanes=$(echo "$out" | grep -c ": atomics to [0-9a-f]* on rc")
[ "$lanes" -ge 4 ] ||
    vt_fail "$lanes atomics lanes through rc, expected 4 (2 ranks, 2 peers)"
vt_note "ok: rma, 2 ranks over shm, $lanes atomics lanes through rc"
