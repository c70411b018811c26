#!/bin/sh
# The collectives' shared-memory path under verve_run. SKIP when teams do
# not get a segment (the engine does not poll the collectives, or the
# path is off). Then it_coll's whole matrix (every collective, datatype,
# op, in place or not, roots) on 1 to 9 ranks with the default slot and
# with slots that move the switches (flag line / slot / rounds) onto
# it_coll's sizes, flat and tree shapes, bcasts as single copies or not,
# split allreduces on more members than CPUs;
# it_coll_shm's back-to-back collectives (2000, no barrier) with 8 ranks
# on 2 CPUs; teams split in 2 and 3 "hosts" by VERVE_COLL_SHM_TEST_NODES
# (node leaders exchange messages, shared memory within each); a member
# that fails to map the segment (all fall back, with a warning); and the
# median latency with the path on and off, printed for information.
set -u
. "$(dirname "$0")/it_lib.sh"

if [ ! -x "$RUN" ] || [ ! -x "$IT/it_coll" ] || [ ! -x "$IT/it_coll_shm" ]
then
    echo "SKIP: verve_run, it_coll or it_coll_shm not built"
    exit 77
fi
out=$(VERVE_LOG_LEVEL=debug "$RUN" -n 2 --timeout 60 "$IT/it_coll_shm" \
      --iters 8 2>&1)
if ! echo "$out" | grep -q "shared segment of .* in use"; then
    echo "FAIL: a team of 2 ranks on one host got no shared-memory segment"
    echo "$out" | tail -3
    exit 1
fi
if ! echo "$out" | grep -q "allreduce with shm"; then
    echo "FAIL: a team with a segment did not choose shm for allreduce"
    failures=$((failures + 1))
fi

for n in 1 2 3 4 5 6 7 8 9; do
    run "shm collectives, $n ranks, default slot" \
        nice "$RUN" -n "$n" --timeout 300 "$IT/it_coll" --iters 500
done
# 4k: it_coll's 1023 and 1025 int32 fall on both sides of one slot, the
# second's last round in a flag line; 64: every size goes in many rounds
# of a few elements, pairs of 16 bytes four at a time.
for n in 2 5 9; do
    run "shm collectives, $n ranks, 4k slot, tree of radix 2" \
        env VERVE_COLL_SHM_SLOT=4k VERVE_COLL_SHM_FLAT_MAX=1 \
        VERVE_COLL_SHM_RADIX=2 \
        nice "$RUN" -n "$n" --timeout 300 "$IT/it_coll" --iters 200
    run "shm collectives, $n ranks, 64-byte slot, tree of radix 3" \
        env VERVE_COLL_SHM_SLOT=64 VERVE_COLL_SHM_FLAT_MAX=2 \
        VERVE_COLL_SHM_RADIX=3 \
        nice "$RUN" -n "$n" --timeout 300 "$IT/it_coll" --iters 200
done
# bcasts as single copies (process_vm_readv) from 1 KiB, and never (the
# default) with bcasts of many pipelined rounds
for n in 3 6; do
    run "shm collectives, $n ranks, single copies from 1k" \
        env VERVE_COLL_SHM_CMA_MIN=1k \
        nice "$RUN" -n "$n" --timeout 300 "$IT/it_coll" --iters 100
done
run "shm collectives, 4 ranks, no single copies, 8k slot (pipelined)" \
    env VERVE_COLL_SHM_CMA_MIN=0 VERVE_COLL_SHM_SLOT=8k \
    nice "$RUN" -n 4 --timeout 300 "$IT/it_coll" --iters 100
# split allreduces with more members than CPUs (off there by default)
run "shm collectives, 5 ranks, split allreduces from 64 bytes" \
    env VERVE_COLL_SHM_SPLIT_MIN=64 VERVE_COLL_SHM_SPLIT_CROWDED=y \
    nice "$RUN" -n 5 --timeout 300 "$IT/it_coll" --iters 100
run "shm collectives, 7 ranks, full matrix" \
    nice "$RUN" -n 7 --timeout 300 "$IT/it_coll" --full \
    --iters 100

# hosts apart: members whose ranks differ modulo N act as on other hosts
for nodes in 2 3; do
    for n in 3 4 7 9; do
        run "shm across $nodes hosts, $n ranks" \
            env VERVE_COLL_SHM_TEST_NODES=$nodes \
            nice "$RUN" -n "$n" --timeout 300 "$IT/it_coll" --iters 200
    done
done
run "shm across 2 hosts, 9 ranks, 64-byte slot, tree of radix 2" \
    env VERVE_COLL_SHM_TEST_NODES=2 VERVE_COLL_SHM_SLOT=64 \
    VERVE_COLL_SHM_FLAT_MAX=1 VERVE_COLL_SHM_RADIX=2 \
    nice "$RUN" -n 9 --timeout 300 "$IT/it_coll" --iters 200
out=$(env VERVE_COLL_SHM_TEST_NODES=2 VERVE_LOG_LEVEL=debug \
      "$RUN" -n 5 --timeout 60 "$IT/it_coll_shm" --iters 8 2>&1)
if echo "$out" | grep -q "3 members on this host of 2 hosts" &&
   echo "$out" | grep -q "2 members on this host of 2 hosts" &&
   echo "$out" | grep -q "allreduce with shm"; then
    echo "ok: 5 ranks on 2 hosts: segments of 3 and 2 members, used"
else
    echo "FAIL: 5 ranks on 2 hosts did not get segments of 3 and 2"
    echo "$out" | grep -v DEBUG | tail -5
    failures=$((failures + 1))
fi

# more ranks than CPUs: waiting members must yield
cpus=""
if command -v taskset >/dev/null 2>&1 && taskset -c 0,1 true 2>/dev/null
then
    cpus="taskset -c 0,1"
fi
for n in 8 9; do
    run "shm back to back, $n ranks on 2 CPUs" \
        nice $cpus "$RUN" -n "$n" --timeout 300 "$IT/it_coll_shm" \
        --iters 2000
done
run "shm back to back, 8 ranks on 2 CPUs, tree" \
    env VERVE_COLL_SHM_FLAT_MAX=1 \
    nice $cpus "$RUN" -n 8 --timeout 300 "$IT/it_coll_shm" --iters 2000
run "shm back to back, 8 ranks on 2 CPUs, 2 hosts" \
    env VERVE_COLL_SHM_TEST_NODES=2 \
    nice $cpus "$RUN" -n 8 --timeout 300 "$IT/it_coll_shm" --iters 2000

# a member that cannot map the segment: everyone falls back, one warning
out=$(env VERVE_COLL_SHM_TEST_FAIL=3 VERVE_LOG_LEVEL=debug \
      nice "$RUN" -n 4 --timeout 300 "$IT/it_coll_shm" --iters 200 2>&1)
rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q "could not be mapped by member 2" &&
   ! echo "$out" | grep -q "with shm"; then
    echo "ok: a member without the segment: all fall back"
else
    echo "FAIL: a member without the segment (exit $rc)"
    echo "$out" | grep -v DEBUG | tail -5
    failures=$((failures + 1))
fi
run "shm collectives, 5 ranks, member 0 cannot make the segment" \
    env VERVE_COLL_SHM_TEST_FAIL=1 \
    nice "$RUN" -n 5 --timeout 300 "$IT/it_coll" --iters 100

# members that disagree on a collective's size: every member ends with
# VERVE_ERR_INVALID_PARAM, none waits (flat, tree, split, single copies,
# two hosts)
for n in 2 3 5; do
    run "shm collectives, $n ranks, members disagree on the size" \
        "$RUN" -n "$n" --timeout 120 "$IT/it_coll_mismatch"
done
run "shm collectives, 5 ranks, tree, members disagree on the size" \
    env VERVE_COLL_SHM_FLAT_MAX=2 VERVE_COLL_SHM_RADIX=2 \
    VERVE_COLL_SHM_SLOT=64 VERVE_COLL_SHM_SPLIT_MIN=0 \
    "$RUN" -n 5 --timeout 120 "$IT/it_coll_mismatch"
run "shm collectives, 4 ranks, split from 64 bytes, members disagree" \
    env VERVE_COLL_SHM_SPLIT_MIN=64 VERVE_COLL_SHM_SPLIT_CROWDED=y \
    "$RUN" -n 4 --timeout 120 "$IT/it_coll_mismatch"
run "shm collectives, 3 ranks, single copies from 1k, members disagree" \
    env VERVE_COLL_SHM_CMA_MIN=1k \
    "$RUN" -n 3 --timeout 120 "$IT/it_coll_mismatch"
run "shm across 2 hosts, 4 ranks, members disagree on the size" \
    env VERVE_COLL_SHM_TEST_NODES=2 \
    "$RUN" -n 4 --timeout 120 "$IT/it_coll_mismatch"

# for information: the path on and off, same machine, same run
for shm in y n; do
    env VERVE_COLL_SHM_ENABLE=$shm "$RUN" -n 2 --timeout 120 \
        "$IT/it_coll_shm" --iters 20000 2>&1 | grep median |
        sed "s/^/VERVE_COLL_SHM_ENABLE=$shm: /"
done

it_finish
