#!/bin/sh
# Collectives under verve_run: it_coll with 1 to 9 ranks on the default
# selection table (sizes on each side of every switch), then with
# VERVE_COLL_TUNE forcing each other algorithm, on team sizes that are
# and are not powers of two; more ranks than cores on purpose; a member
# that dies (it_coll_fail); members that disagree on the size
# (it_coll_mismatch). A bad VERVE_COLL_TUNE must fail naming the
# variable. IT_COLL_FULL=1 runs the whole matrix everywhere. Prints
# "FAIL: ..." per failure, exits 1.
set -u
. "$(dirname "$0")/it_lib.sh"
full=${IT_COLL_FULL:+--full}

if [ ! -x "$RUN" ] || [ ! -x "$IT/it_coll" ]; then
    echo "SKIP: verve_run or it_coll not built"
    exit 77
fi

for n in 1 2 3 4 5 6 7 8 9; do
    run "collectives, $n ranks, default table" \
        nice "$RUN" -n "$n" --timeout 300 "$IT/it_coll" $full --iters 1000
done
TUNE_A="allreduce:0-inf:ring;allgather:0-inf:rd;alltoall:0-inf:pairwise"
TUNE_A="$TUNE_A;bcast:0-inf:knomial/2;reduce:0-inf:knomial/3"
TUNE_A="$TUNE_A;reduce_scatter:0-inf:allreduce"
TUNE_B="allreduce:0-inf:rab;allgather:0-inf:bruck;alltoall:0-inf:bruck"
TUNE_B="$TUNE_B;bcast:0-inf:knomial/5;reduce:0-64:knomial/2,64-inf:knomial/8"
TUNE_B="$TUNE_B;reduce_scatter:0-inf:ring"
TUNE_C="allreduce:0-inf:rd;allgather:0-inf:ring;alltoall:0-inf@1-4:bruck"
for n in 3 4 6 7; do
    for tune in "$TUNE_A" "$TUNE_B" "$TUNE_C"; do
        run "collectives, $n ranks, VERVE_COLL_TUNE=$tune" \
            env VERVE_COLL_TUNE="$tune" \
            nice "$RUN" -n "$n" --timeout 300 "$IT/it_coll" $full --iters 64
    done
done
# the shm and tcp transports alone, and large messages as fragments
run "collectives, 5 ranks, shm only" env VERVE_TLS=shm \
    nice "$RUN" -n 5 --timeout 300 "$IT/it_coll" --iters 64
run "collectives, 4 ranks, tcp only" env VERVE_TLS=tcp \
    nice "$RUN" -n 4 --timeout 300 "$IT/it_coll" --iters 64
run "collectives, 3 ranks, rendezvous from 100 B" \
    env VERVE_RNDV_THRESH=100 \
    nice "$RUN" -n 3 --timeout 300 "$IT/it_coll" --iters 64
run "collectives, 3 ranks, fragmented eager" \
    env VERVE_AM_ZCOPY=n VERVE_RNDV_THRESH=100 VERVE_SHM_BCOPY_MAX=300 \
    nice "$RUN" -n 3 --timeout 300 "$IT/it_coll" --iters 64

# a member leaving mid-stream: the survivors' collectives fail, no hang,
# and a new team over the survivors works (shm, and tcp where a survivor
# may have no connection to the dead member and learns from the others)
for n in 2 3 5; do
    run "collectives, $n ranks, a member dies" \
        nice "$RUN" -n "$n" --timeout 120 "$IT/it_coll_fail"
done
run "collectives, 4 ranks over tcp, a member dies" env VERVE_TLS=tcp \
    nice "$RUN" -n 4 --timeout 120 "$IT/it_coll_fail"

# members that disagree on a collective's size: every member ends with
# VERVE_ERR_INVALID_PARAM, none waits (over the shm and tcp transports;
# messages only, VERVE_COLL_SHM_ENABLE=n)
for tls in shm tcp; do
    for n in 2 3; do
        run "collectives, $n ranks over $tls, members disagree on the size" \
            env VERVE_TLS=$tls VERVE_COLL_SHM_ENABLE=n \
            "$RUN" -n "$n" --timeout 120 "$IT/it_coll_mismatch"
    done
done

# a malformed VERVE_COLL_TUNE fails, naming the variable
out=$(env VERVE_COLL_TUNE="allreduce:0-4K:bogus" \
      "$RUN" -n 2 --timeout 60 "$IT/it_coll" --iters 1 2>&1)
if [ $? -ne 0 ] && echo "$out" | grep -q VERVE_COLL_TUNE; then
    echo "ok: malformed VERVE_COLL_TUNE rejected"
else
    echo "FAIL: malformed VERVE_COLL_TUNE accepted"
    echo "$out" | tail -5
    failures=$((failures + 1))
fi

it_finish
