#!/bin/sh
# verve_perf's collective tests under verve_run: every collective on 1 to
# 4 ranks prints one row per size with the team size, iterations and
# positive latencies (each size's result is checked by verve_perf itself,
# which exits 1 on a wrong one); --algo forces each algorithm and shows
# in the rows; --json rows carry every field; a --algo that a collective
# lacks fails naming it. Prints "FAIL: ..." per failure, exits 1.
set -u
. "$(dirname "$0")/it_lib.sh"
PERF=$top_builddir/src/tools/verve_perf

if [ ! -x "$RUN" ] || [ ! -x "$PERF" ]; then
    echo "SKIP: verve_run or verve_perf not built"
    exit 77
fi

# check_rows NAME RANKS ROWS OUTPUT: OUTPUT has ROWS table rows for RANKS
# ranks, 5 iterations, positive mean latencies, min <= median <= p99 (a
# 1-rank collective's fastest iteration may round to 0.000 us) and a
# bandwidth.
check_rows()
{
    got=$(printf '%s\n' "$4" | awk -v n="$2" '
        $1 ~ /^(barrier|bcast|reduce|allreduce|allgather|alltoall)$/ &&
        $3 == n && $5 == 5 && $6 > 0 && $7 > 0 && $8 >= 0 &&
        $9 >= $8 && $10 >= $9 && $11 ~ /^[0-9.]+$/ { rows++ }
        END { print rows + 0 }')
    if [ "$got" -eq "$3" ]; then
        echo "ok: $1"
    else
        echo "FAIL: $1: $got good rows, expected $3"
        printf '%s\n' "$4" | tail -20
        failures=$((failures + 1))
    fi
}

# perf NAME RANKS ARGS...: runs verve_perf, the output in $out.
perf()
{
    name=$1
    ranks=$2
    shift 2
    if ! out=$(nice "$RUN" -n "$ranks" --timeout 120 "$PERF" "$@" 2>&1)
    then
        echo "FAIL: $name (exit $?)"
        printf '%s\n' "$out" | tail -20
        failures=$((failures + 1))
        out=
    fi
}

# every collective: barrier one row, the others one per size
for n in 1 2 3 4; do
    perf "all collectives, $n ranks" "$n" -t coll -s 8,4k,100k -n 5 -w 2
    check_rows "all collectives, $n ranks: rows" "$n" 16 "$out"
done

# sizes as a range, and reductions over int64, int32 and uint8 elements
perf "allreduce and reduce, 3 ranks, odd sizes" 3 -t reduce,allreduce \
    -s 8-32,1004,1001 -n 5 -w 0
check_rows "allreduce and reduce, 3 ranks, odd sizes: rows" 3 10 "$out"

# each algorithm forced, shown in the JSON rows
for spec in allreduce:rd allreduce:rab allreduce:ring allgather:rd \
        allgather:bruck allgather:ring alltoall:bruck alltoall:pairwise \
        bcast:knomial/4 reduce:knomial/3 barrier:dissemination; do
    test=${spec%%:*}
    algo=${spec#*:}
    perf "$test with --algo $algo, 3 ranks" 3 -t "$test" --algo "$algo" \
        -s 8,1001,64k -n 5 -w 1 --json
    num='[0-9][0-9.]*'
    row="{\"test\":\"$test\",\"size\":$num,\"ranks\":3,\"algo\":\"$algo\","
    row="$row\"iters\":5,\"lat_us_batch\":$num,\"lat_us_avg\":$num,"
    row="$row\"lat_us_min\":$num,"
    row="$row\"lat_us_median\":$num,\"lat_us_p99\":$num,\"bw_MBps\":$num}"
    rows=$(printf '%s\n' "$out" | grep -c "^$row\$")
    if [ "$test" = barrier ]; then want=1; else want=3; fi
    if [ "$rows" -eq "$want" ]; then
        echo "ok: $test with --algo $algo: rows"
    else
        echo "FAIL: $test with --algo $algo: $rows JSON rows, expected $want"
        printf '%s\n' "$out" | tail -10
        failures=$((failures + 1))
    fi
done

# an algorithm the collective lacks is refused, naming it
if out=$("$RUN" -n 2 --timeout 60 "$PERF" -t barrier --algo ring -n 5 2>&1)
then rc=0; else rc=$?; fi
if [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -q -- "--algo ring"; then
    echo "ok: --algo ring for barrier refused"
else
    echo "FAIL: --algo ring for barrier accepted or not named"
    printf '%s\n' "$out" | tail -5
    failures=$((failures + 1))
fi

# point-to-point and collective tests do not mix
if out=$("$RUN" -n 2 --timeout 60 "$PERF" -t am_lat,allreduce 2>&1)
then rc=0; else rc=$?; fi
if [ "$rc" -eq 2 ] && printf '%s\n' "$out" | grep -q "cannot run in one run"
then
    echo "ok: mixed tests refused"
else
    echo "FAIL: mixed point-to-point and collective tests accepted"
    printf '%s\n' "$out" | tail -5
    failures=$((failures + 1))
fi

it_finish
