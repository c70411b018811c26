#!/bin/bash
# Side-by-side collective figures of verve_perf (under verve_run -n N) and
# Open MPI (mpirun -n N, bench/coll_mpi.c built here with mpicc) on one
# host, run interleaved so that both see the same machine noise. Prints
# each round's values, the medians, the ratio verve/Open MPI and whether
# it meets the target of issue 6.
set -u

usage() {
    cat <<'EOF'
usage: bench/vs-ompi-coll.sh [-r ROUNDS] [-b BUILD_DIR] [-n RANKS]
                             [-c CPU0,CPU1] [-f FIGURE[,FIGURE]]
                             [-a ALGO] [-m MCA_ARGS] [-l api|coll]
                             [-o OUT_DIR] [-h]

  -r ROUNDS     runs of each tool per figure, interleaved (default 5)
  -b BUILD_DIR  verve build folder holding src/tools/verve_run and
                src/tools/verve_perf (default: $VERVE_BUILD_DIR, else
                ./build)
  -n RANKS      processes of both jobs (default 2; the targets are for 2)
  -c CPU0,CPU1  pin ranks 0 and 1 of both jobs to CPU0 and CPU1 (the
                programs pin themselves; mpirun runs with --bind-to
                none); 'none' leaves placement to the scheduler (default
                0,1 when the machine has 2 CPUs or more, else none)
  -f FIGURES    figures to measure (default: the four with targets):
                  allreduce_lat  8 B allreduce latency         (<= 0.7)
                  barrier_lat    barrier latency               (<= 0.7)
                  allreduce_bw   1 MiB allreduce bandwidth     (>= 1.0)
                  bcast_bw       1 MiB bcast bandwidth         (>= 1.0)
                with no target in issue 6 (shown against 1.0):
                  bcast_lat, reduce_lat, allgather_lat, alltoall_lat
                                 (8 B, latency, <= 1.0)
                  reduce_bw, allgather_bw, alltoall_bw
                                 (1 MiB, bandwidth, >= 1.0)
  -a ALGO       verve_perf --algo ALGO (force one verve algorithm, e.g.
                rd, rab, ring, knomial/4; verve_info -l lists them)
  -m MCA_ARGS   Open MPI's component choice (default: "--mca pml ob1
                --mca btl vader,self --mca coll tuned,libnbc,basic,self",
                i.e. the tuned collectives over shared memory); e.g.
                "--mca pml ob1 --mca btl vader,self --mca coll
                sm,tuned,libnbc,basic,self --mca coll_sm_priority 100"
                for Open MPI's shared-memory collectives
  -l LAYER      what runs verve's side: api (verve_perf under verve_run,
                the default; targets of issue 6) or coll (coll_mpi under
                mpirun with MCA_ARGS plus coll verve at priority 100 from
                BUILD_DIR/src/ompi/coll/.libs: MPI's collectives on
                verve's; targets of issue 16: 0.7 for allreduce_lat and
                barrier_lat, 1.2 for allreduce_bw and bcast_bw)
  -o OUT_DIR    where coll_mpi is built (default: a temporary folder,
                removed at exit)
  -h, --help    this help

Both programs time every iteration of a back-to-back loop (the cycle
counter where invariant) and take each statistic's maximum over the
ranks. Latency is lat_us_batch: the median over batches of ITERS/20
consecutive iterations of the batch's mean (a single iteration's time
depends on whether the peer's message is already waiting, so its
percentiles swing between runs); bandwidth is size / that latency in
MB/s (MB = 2^20 bytes), so a ratio of bandwidths is the inverse ratio of
latencies. Latency ratio =
verve / Open MPI (lower is better), bandwidth ratio = verve / Open MPI
(higher is better); the verdict is on the ratio of the medians, the
median of the rounds' own ratios is printed beside it. Needs mpicc and
mpirun (Debian: libopenmpi-dev, openmpi-bin) and awk; exits 1 when a
figure misses its target.
EOF
}

rounds=5
ranks=2
build_dir=${VERVE_BUILD_DIR:-build}
figures=allreduce_lat,barrier_lat,allreduce_bw,bcast_bw
algo=
layer=api
mca="--mca pml ob1 --mca btl vader,self --mca coll tuned,libnbc,basic,self"
out_dir=
run_timeout=300
if [ "$(nproc)" -ge 2 ]; then cpus=0,1; else cpus=none; fi

while [ $# -gt 0 ]; do
    case "$1" in
    -r) rounds=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -b) build_dir=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -n) ranks=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -c) cpus=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -f) figures=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -a) algo=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -m) mca=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -l) layer=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -o) out_dir=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -h|--help) usage; exit 0 ;;
    *) echo "vs-ompi-coll.sh: unknown argument '$1' (see --help)" >&2
       exit 2 ;;
    esac
done
case "$rounds" in
''|*[!0-9]*|0) echo "vs-ompi-coll.sh: -r needs a positive count" >&2
               exit 2 ;;
esac
case "$ranks" in
''|*[!0-9]*|0) echo "vs-ompi-coll.sh: -n needs a positive count" >&2
               exit 2 ;;
esac
case "$layer" in
api|coll) ;;
*) echo "vs-ompi-coll.sh: -l takes api or coll" >&2; exit 2 ;;
esac

pin=()
if [ "$cpus" != none ]; then
    if ! [[ "$cpus" =~ ^[0-9]+,[0-9]+$ ]]; then
        echo "vs-ompi-coll.sh: -c needs two CPU numbers such as 0,1," \
             "or none" >&2
        exit 2
    fi
    pin=(-c "$cpus")
fi
algo_opt=()
[ -n "$algo" ] && algo_opt=(--algo "$algo")
read -r -a mca_args <<<"$mca"
coll_dir=$build_dir/src/ompi/coll/.libs
if [ "$layer" = coll ] && [ ! -e "$coll_dir/mca_coll_verve.so" ]; then
    echo "vs-ompi-coll.sh: $coll_dir/mca_coll_verve.so not found: build" \
         "verve with Open MPI's headers (configure --with-ompi)" >&2
    exit 2
fi
ompi_libdir=$(ompi_info --path pkglibdir --parsable 2>/dev/null |
              sed -n 's/^path:pkglibdir://p')
# MCA_ARGS with verve added to a coll list they name
verve_mca=()
for ((i = 0; i < ${#mca_args[@]}; ++i)); do
    verve_mca+=("${mca_args[i]}")
    if [ "${mca_args[i]}" = coll ] && ((i > 0)) &&
       [ "${mca_args[i - 1]}" = --mca ] && ((i + 1 < ${#mca_args[@]})); then
        verve_mca+=("verve,${mca_args[i + 1]}")
        i=$((i + 1))
    fi
done
verve_mca+=(--mca coll_verve_priority 100
           --mca mca_base_component_path "$coll_dir:$ompi_libdir"
           -x "LD_LIBRARY_PATH=$build_dir/.libs")

verve_run=$build_dir/src/tools/verve_run
verve_perf=$build_dir/src/tools/verve_perf
for tool in "$verve_run" "$verve_perf"; do
    if [ ! -x "$tool" ]; then
        echo "vs-ompi-coll.sh: $tool not found: build verve first or" \
             "give -b" >&2
        exit 2
    fi
done
for tool in mpicc mpirun; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "vs-ompi-coll.sh: $tool not found (apt-get install" \
             "libopenmpi-dev openmpi-bin)" >&2
        exit 2
    fi
done

src=$(dirname "$0")/coll_mpi.c
if [ -z "$out_dir" ]; then
    out_dir=$(mktemp -d "${TMPDIR:-/tmp}/vs-ompi-coll.XXXXXX") || exit 2
    trap 'rm -rf "$out_dir"' EXIT
fi
mkdir -p "$out_dir" || exit 2
coll_mpi=$out_dir/coll_mpi
if ! mpicc -O2 -Wall -o "$coll_mpi" "$src"; then
    echo "vs-ompi-coll.sh: building $src with mpicc failed" >&2
    exit 2
fi

bw_target=1.0
[ "$layer" = coll ] && bw_target=1.2
# figure -> "test size iters field direction target unit"
figure_spec() {
    case "$1" in
    allreduce_lat) echo "allreduce 8 20000 lat_us_batch le 0.7 us" ;;
    barrier_lat)   echo "barrier 0 20000 lat_us_batch le 0.7 us" ;;
    allreduce_bw)  echo "allreduce 1048576 1000 bw_MBps ge $bw_target MB/s" ;;
    bcast_bw)      echo "bcast 1048576 1000 bw_MBps ge $bw_target MB/s" ;;
    bcast_lat)     echo "bcast 8 20000 lat_us_batch le 1.0 us" ;;
    reduce_lat)    echo "reduce 8 20000 lat_us_batch le 1.0 us" ;;
    allgather_lat) echo "allgather 8 20000 lat_us_batch le 1.0 us" ;;
    alltoall_lat)  echo "alltoall 8 20000 lat_us_batch le 1.0 us" ;;
    reduce_bw)     echo "reduce 1048576 1000 bw_MBps ge 1.0 MB/s" ;;
    allgather_bw)  echo "allgather 1048576 1000 bw_MBps ge 1.0 MB/s" ;;
    alltoall_bw)   echo "alltoall 1048576 1000 bw_MBps ge 1.0 MB/s" ;;
    *) return 1 ;;
    esac
}

# Prints field of the JSON row of test from a run's output, or nothing.
json_field() {
    sed -n "s/.*\"test\":\"$1\".*\"$2\":\([-0-9.eE+]*\).*/\1/p" |
        tail -n 1
}

# The size option: barrier has none.
size_opt() {
    if [ "$1" = 0 ]; then echo ""; else echo "-s $1"; fi
}

run_verve() {
    local test=$1 size=$2 iters=$3 field=$4
    if [ "$layer" = coll ]; then
        # shellcheck disable=SC2046
        timeout "$run_timeout" mpirun --allow-run-as-root --oversubscribe \
            -n "$ranks" --bind-to none "${verve_mca[@]}" "$coll_mpi" \
            "${pin[@]}" -t "$test" $(size_opt "$size") -n "$iters" --json \
            2>/dev/null | json_field "$test" "$field"
        return
    fi
    # shellcheck disable=SC2046
    timeout "$run_timeout" "$verve_run" -n "$ranks" "$verve_perf" \
        "${pin[@]}" -t "$test" $(size_opt "$size") -n "$iters" \
        "${algo_opt[@]}" --json 2>/dev/null | json_field "$test" "$field"
}

run_ompi() {
    local test=$1 size=$2 iters=$3 field=$4
    # shellcheck disable=SC2046
    timeout "$run_timeout" mpirun --allow-run-as-root --oversubscribe \
        -n "$ranks" --bind-to none "${mca_args[@]}" "$coll_mpi" \
        "${pin[@]}" -t "$test" $(size_opt "$size") -n "$iters" --json \
        2>/dev/null | json_field "$test" "$field"
}

. "$(dirname "$0")/lib-median.sh"

ratio_of() {
    awk -v u="$1" -v v="$2" 'BEGIN {
        if (u == "NA" || v == "NA" || u + 0 <= 0) print "NA";
        else printf "%.3f\n", v / u }'
}

if [ "$layer" = coll ]; then
    echo "# verve: coll_mpi with coll verve (${verve_mca[*]})"
else
    echo "# verve: $verve_perf ${algo:+--algo $algo}"
fi
echo "# Open MPI: $(mpirun --version 2>/dev/null | head -n 1), $mca"
echo "# $ranks ranks, pinning: $cpus, $rounds rounds, $(nproc) CPUs," \
     "load $(cut -d' ' -f1-3 /proc/loadavg)"
misses=0
IFS=, read -r -a figure_list <<<"$figures"
for figure in "${figure_list[@]}"; do
    if ! spec=$(figure_spec "$figure"); then
        echo "vs-ompi-coll.sh: unknown figure '$figure' (see --help)" >&2
        exit 2
    fi
    read -r test size iters field direction target unit <<<"$spec"
    ompi_values=()
    verve_values=()
    round_ratios=()
    echo "== $figure: $test, size $size, $iters iters, $field"
    for ((round = 1; round <= rounds; ++round)); do
        # Alternate which goes first, so neither always runs on a machine
        # the other just warmed or heated.
        if ((round % 2)); then
            o=$(run_ompi "$test" "$size" "$iters" "$field")
            v=$(run_verve "$test" "$size" "$iters" "$field")
        else
            v=$(run_verve "$test" "$size" "$iters" "$field")
            o=$(run_ompi "$test" "$size" "$iters" "$field")
        fi
        ompi_values+=("${o:-NA}")
        verve_values+=("${v:-NA}")
        round_ratios+=("$(ratio_of "${o:-NA}" "${v:-NA}")")
        printf '   round %d: ompi %s %s, verve %s %s, ratio %s\n' "$round" \
            "${o:-NA}" "$unit" "${v:-NA}" "$unit" "${round_ratios[-1]}"
    done
    ompi_median=$(median "${ompi_values[@]}")
    verve_median=$(median "${verve_values[@]}")
    ratio=$(ratio_of "$ompi_median" "$verve_median")
    word=$(awk -v r="$ratio" -v d="$direction" -v t="$target" 'BEGIN {
        if (r == "NA") { print "MISS"; exit }
        ok = (d == "le") ? (r + 0 <= t + 0) : (r + 0 >= t + 0)
        print ok ? "PASS" : "MISS" }')
    if [ "$direction" = le ]; then sign="<="; else sign=">="; fi
    printf '   median: ompi %s %s, verve %s %s; ratio verve/ompi %s ' \
        "$ompi_median" "$unit" "$verve_median" "$unit" "$ratio"
    printf '(target %s %s): %s\n' "$sign" "$target" "$word"
    # The machine's state (placement of the virtual CPUs, other loads)
    # moves both tools together within a round: the median of the rounds'
    # ratios is the steadier figure when the state changes between rounds.
    printf '   median of the rounds'"'"' ratios: %s\n' \
        "$(median "${round_ratios[@]}")"
    [ "$word" = PASS ] || misses=$((misses + 1))
done
echo "figures missed: $misses"
[ "$misses" -eq 0 ]
