#!/bin/bash
# Point-to-point figures of Open MPI 4.1 over verve (pml verve,
# mca_pml_verve.so from the build folder; or, with -l mtl, pml cm + mtl
# verve, mca_mtl_verve.so) against the same Open MPI over pml ucx
# (UCX_TLS=sm,self) and over pml ob1 (btl vader,self),
# 2 ranks on one host, one rank per CPU. Every figure comes from
# bench/p2p_mpi.c, built here with mpicc, so the three configurations run
# the same program and differ only in the components mpirun selects.
#
# Figures (targets are on verve / the better of ucx and ob1):
#   lat   8 B ping-pong, half a round trip, us            verve <= 0.8x
#   rate  8 B messages/s, windows of 64 Isend + 0 B ack    verve >= 1.2x
#   bw    1 MiB MB/s (10^6 B/s), windows of 64 + ack       verve >= 1.2x
#   init  wall time of a whole 'mpirun -n 2 p2p_mpi -t init' job (launch,
#         MPI_Init, MPI_Finalize, exit), ms; the MPI_Init + MPI_Finalize
#         time inside the processes is printed beside it  verve <= 1.0x
#   lat_sweep, bw_sweep (only with -f): the whole size sweeps, medians
#         per size, no target
#
# How to read the output: each figure runs ROUNDS rounds; a round runs
# every configuration once, in an order rotated from round to round so
# that none always runs first or last on this noisy 2-CPU machine. A
# 'round' line gives each configuration's value and the round's own
# ratio; a run that failed (non-zero exit, timeout, or no figure in its
# output) shows FAIL with the reason and its last line of output, and is
# left out of the medians. The 'median' line gives each configuration's
# median over the rounds and the ratio of verve's median to the better
# other median, judged against the target (PASS/MISS; a figure where a
# verve run failed is a MISS). The median of the rounds' own ratios
# follows: the steadier figure when the machine's state changes between
# rounds. Beside the latency, verve's own API (verve_perf -t tag_lat
# under verve_run, lat_us_median) is shown with no target: the gap is
# what the MPI layer costs. When the component is not built, verve is
# skipped with a line that says so, ucx and ob1 still run, and no
# verdict is given.
set -u

usage() {
    cat <<'EOF'
usage: bench/vs-mpi.sh [-r ROUNDS] [-b BUILD_DIR] [-c CPU0,CPU1]
                       [-f FIGURE[,FIGURE]] [-l pml|mtl] [-o OUT_DIR] [-h]

  -r ROUNDS     rounds per figure, each running every configuration once,
                interleaved (default 5)
  -b BUILD_DIR  verve build folder holding src/ompi/pml/.libs/
                mca_pml_verve.so (src/ompi/mtl/.libs/mca_mtl_verve.so
                with -l mtl), .libs/libverve.so and src/tools/verve_run,
                verve_perf (default: $VERVE_BUILD_DIR, else ./build);
                without the component, verve is skipped
  -c CPU0,CPU1  the two CPUs, one rank on each (mpirun --cpu-list
                CPU0,CPU1 --bind-to cpu-list:ordered; verve_perf -c);
                'none' leaves placement to the scheduler (default 0,1
                when the machine has 2 CPUs or more, else none)
  -f FIGURES    figures to measure (default lat,rate,bw,init):
                  lat        8 B latency, half round trip, us  (<= 0.8)
                  rate       8 B message rate, window 64, msg/s (>= 1.2)
                  bw         1 MiB bandwidth, window 64, MB/s  (>= 1.2)
                  init       MPI_Init+MPI_Finalize: the whole job's wall
                             time, ms                          (<= 1.0)
                  lat_sweep  latency, 0 B..4 MiB (no target)
                  bw_sweep   bandwidth, 1 B..4 MiB (no target)
  -l LAYER      which of verve's components carries MPI for the 'verve'
                configuration: pml (pml verve, the default) or mtl
                (pml cm with the verve mtl)
  -o OUT_DIR    keep p2p_mpi and every run's raw output (stdout and
                stderr, OUT_DIR/raw/FIGURE.CONFIG.ROUND.out) there
                (default: a temporary folder, removed at exit)
  -h, --help    this help

Configurations, all 'mpirun -n 2' with the pinning above:
  verve  --mca pml verve (-l mtl: --mca pml cm --mca mtl verve)
         --mca btl self
         --mca mca_base_component_path BUILD_DIR/src/ompi/LAYER/.libs:
         PKGLIBDIR (ompi_info --path pkglibdir),
         LD_LIBRARY_PATH=BUILD_DIR/.libs
  ucx    --mca pml ucx --mca pml_ucx_tls any --mca pml_ucx_devices any
         --mca btl self -x UCX_TLS=sm,self
(--mca btl self for the two pmls that use no btl, as README.md's MCA
file: Open MPI starts the btls in MPI_Init whichever pml runs)
  ob1    --mca pml ob1 --mca btl vader,self

Ratio = verve / the better of ucx and ob1 (the lower median for lat and
init, the higher for rate and bw). p2p_mpi's figures are rank 0's median
batch of ITERS/20 consecutive iterations; every size's data is checked
before and after its timed loop (a mismatch fails the run). A run is
stopped after 60 s (a sweep after 600 s) and counts as failed; a sweep
takes about a minute per run on a loaded machine. MB = 10^6 bytes.
Needs mpicc and mpirun (Debian: libopenmpi-dev, openmpi-bin) and awk.
Exit status: 0 every judged figure passes, 1 a figure misses, 2 a usage
or build error, 3 no miss but verve was skipped (nothing judged).
EOF
}

rounds=5
build_dir=${VERVE_BUILD_DIR:-build}
figures=lat,rate,bw,init
out_dir=
layer=pml
run_timeout=60
if [ "$(nproc)" -ge 2 ]; then cpus=0,1; else cpus=none; fi

while [ $# -gt 0 ]; do
    case "$1" in
    -r) rounds=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -b) build_dir=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -c) cpus=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -f) figures=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -o) out_dir=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -l) layer=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -h|--help) usage; exit 0 ;;
    *) echo "vs-mpi.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case "$rounds" in
''|*[!0-9]*|0) echo "vs-mpi.sh: -r needs a positive count" >&2; exit 2 ;;
esac
case "$layer" in
pml|mtl) ;;
*) echo "vs-mpi.sh: -l takes pml or mtl" >&2; exit 2 ;;
esac

# figure -> "test size iters direction target unit"; size 'sweep' runs
# p2p_mpi's default sizes, direction 'none' has no target.
figure_spec() {
    case "$1" in
    lat)       echo "lat 8 100000 le 0.8 us" ;;
    rate)      echo "rate 8 20000 ge 1.2 msg/s" ;;
    bw)        echo "bw 1048576 60 ge 1.2 MB/s" ;;
    init)      echo "init 0 0 le 1.0 ms" ;;
    lat_sweep) echo "lat sweep 0 none 0 us" ;;
    bw_sweep)  echo "bw sweep 0 none 0 MB/s" ;;
    *) return 1 ;;
    esac
}
IFS=, read -r -a figure_list <<<"$figures"
for figure in "${figure_list[@]}"; do
    if ! figure_spec "$figure" >/dev/null; then
        echo "vs-mpi.sh: unknown figure '$figure' (see --help)" >&2
        exit 2
    fi
done

bind_opts=(--bind-to none)
verve_pin=()
if [ "$cpus" != none ]; then
    if ! [[ "$cpus" =~ ^[0-9]+,[0-9]+$ ]]; then
        echo "vs-mpi.sh: -c needs two CPU numbers such as 0,1, or none" >&2
        exit 2
    fi
    bind_opts=(--cpu-list "$cpus" --bind-to cpu-list:ordered)
    verve_pin=(-c "$cpus")
fi
root_opts=()
[ "$(id -u)" = 0 ] && root_opts=(--allow-run-as-root)

for tool in mpicc mpirun; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "vs-mpi.sh: $tool not found (apt-get install libopenmpi-dev" \
             "openmpi-bin)" >&2
        exit 2
    fi
done

# ---- what of verve is there: the component, verve_perf's tag_lat ----

build_abs=$(cd "$build_dir" 2>/dev/null && pwd)
mtl_dir=${build_abs:-$build_dir}/src/ompi/$layer/.libs
mtl_so=$mtl_dir/mca_${layer}_verve.so
ompi_libdir=$(ompi_info --parsable --path pkglibdir 2>/dev/null |
              sed -n 's/^path:pkglibdir://p')
ompi_libdir=${ompi_libdir:-/usr/lib/x86_64-linux-gnu/openmpi/lib/openmpi3}
have_verve=yes
verve_note=
if [ ! -f "$mtl_so" ]; then
    have_verve=no
    verve_note="skipped: $mtl_so not found (the $layer component is not"
    verve_note+=" built yet: build it, or give -b BUILD_DIR)"
else
    # ompi_info's own --mca does not reach the component path: the
    # variable does
    verve_note=$(OMPI_MCA_mca_base_component_path="$mtl_dir:$ompi_libdir" \
                     ompi_info 2>/dev/null |
                 sed -n "s/^ *MCA $layer: \\(verve .*\\)/\\1/p" | head -n 1)
    if [ -n "$verve_note" ]; then
        verve_note="$mtl_so, ompi_info: $verve_note"
    else
        verve_note="$mtl_so; ompi_info does not list it (it may fail to"
        verve_note+=" load: OMPI_MCA_mca_base_component_path="
        verve_note+="$mtl_dir:$ompi_libdir"
        verve_note+=" OMPI_MCA_mca_base_component_show_load_errors=1"
        verve_note+=" ompi_info); runs anyway"
    fi
fi
verve_ld=${build_abs:-$build_dir}/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
verve_run=${build_abs:-$build_dir}/src/tools/verve_run
verve_perf=${build_abs:-$build_dir}/src/tools/verve_perf
have_api=no
if [ ! -x "$verve_run" ] || [ ! -x "$verve_perf" ]; then
    api_note="skipped: $verve_run or $verve_perf not found"
elif ! "$verve_perf" --help 2>/dev/null | grep -qw tag_lat; then
    api_note="skipped: verve_perf --help lists no tag_lat test yet"
else
    have_api=yes
    api_note="$verve_perf -t tag_lat -s 8 under verve_run -n 2,"
    api_note+=" lat_us_median"
fi

# ---- p2p_mpi ------------------------------------------------------------

src=$(dirname "$0")/p2p_mpi.c
if [ -z "$out_dir" ]; then
    out_dir=$(mktemp -d "${TMPDIR:-/tmp}/vs-mpi.XXXXXX") || exit 2
    trap 'rm -rf "$out_dir"' EXIT
    keep_note="raw outputs not kept (give -o)"
else
    keep_note="raw outputs in $out_dir/raw"
fi
raw_dir=$out_dir/raw
mkdir -p "$raw_dir" || exit 2
p2p_mpi=$out_dir/p2p_mpi
if ! nice mpicc -O2 -Wall -std=c11 -o "$p2p_mpi" "$src"; then
    echo "vs-mpi.sh: building $src with mpicc failed" >&2
    exit 2
fi

# ---- runs ---------------------------------------------------------------

# mca_args for configuration $1 (the commas are Open MPI's lists)
# shellcheck disable=SC2054
config_args() {
    case "$1" in
    verve)
        if [ "$layer" = pml ]; then
            mca_args=(--mca pml verve)
        else
            mca_args=(--mca pml cm --mca mtl verve)
        fi
        mca_args+=(--mca btl self
                   --mca mca_base_component_path "$mtl_dir:$ompi_libdir"
                   -x "LD_LIBRARY_PATH=$verve_ld") ;;
    ucx)
        mca_args=(--mca pml ucx --mca pml_ucx_tls any
                  --mca pml_ucx_devices any --mca btl self
                  -x UCX_TLS=sm,self) ;;
    ob1)
        mca_args=(--mca pml ob1 --mca btl vader,self) ;;
    esac
}

now_ns() {
    date +%s%N
}

# run_job CONFIG FILE P2P_MPI_ARGS...: one job, its stdout and stderr into
# FILE; prints the job's wall time in ms, returns the job's exit status.
run_job() {
    local config=$1 file=$2 t0 t1 rc
    shift 2
    t0=$(now_ns)
    if [ "$config" = api ]; then
        timeout "$run_timeout" "$verve_run" -n 2 "$verve_perf" \
            "${verve_pin[@]}" "$@" --json >"$file" 2>&1
    else
        config_args "$config"
        timeout "$run_timeout" mpirun "${root_opts[@]}" --oversubscribe \
            -n 2 "${bind_opts[@]}" "${mca_args[@]}" "$p2p_mpi" "$@" \
            >"$file" 2>&1
    fi
    rc=$?
    t1=$(now_ns)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 }'
    return "$rc"
}

# The reason a run failed, from its exit status: "exit N" or "timeout".
fail_reason() {
    case "$1" in
    0) echo "no figure" ;;
    124) echo "timeout ${run_timeout}s" ;;
    *) echo "exit $1" ;;
    esac
}

# What a failed run said, at most 120 characters: p2p_mpi's own error (a
# data mismatch, a bad option), else Open MPI's error banner, else the
# first line that names an error, else the last line that says something
# (Open MPI frames its messages with lines of dashes).
last_words() {
    local file=$1 said
    said=$(grep -a -m 1 '^p2p_mpi: ' "$file")
    [ -n "$said" ] ||
        said=$(grep -a -m 2 -e '\*\*\* An error occurred' \
                   -e '\*\*\* MPI_ERR' "$file" |
               sed 's/^\[[^]]*\] \*\*\* //' | paste -sd ';')
    [ -n "$said" ] ||
        said=$(grep -a -m 1 -i -E 'error|cannot|fail|abort|signal|killed' \
                   "$file")
    [ -n "$said" ] ||
        said=$(grep -a -v -e '^-*$' -e '^ *$' -e '^#' "$file" | tail -n 1)
    printf '%s\n' "$said" | cut -c1-120
}

# Prints field $2 of verve_perf's JSON row of test $1, or nothing.
json_field() {
    sed -n "s/.*\"test\":\"$1\".*\"$2\":\([-0-9.eE+]*\).*/\1/p" |
        tail -n 1
}

# measure FIGURE CONFIG ROUND: one run of the figure's test; prints its
# value ("WALL INPROC" for init), or "FAIL why".
measure() {
    local figure=$1 config=$2 round=$3 file wall rc value spec
    local test size iters direction target unit
    spec=$(figure_spec "$figure")
    read -r test size iters direction target unit <<<"$spec"
    file=$raw_dir/$figure.$config.$round.out
    # a run takes seconds; a sweep on a loaded machine about a minute
    run_timeout=60
    [ "$size" = sweep ] && run_timeout=600
    if [ "$config" = api ]; then
        run_job api "$file" -t tag_lat -s 8 -n "$iters" >/dev/null
        rc=$?
        value=$(json_field tag_lat lat_us_median <"$file")
    elif [ "$test" = init ]; then
        wall=$(run_job "$config" "$file" -t init)
        rc=$?
        value=$(awk '$1 == "init" && $2 ~ /^[0-9]+$/ {
                         n++; if ($3 + 0 > m) m = $3 + 0 }
                     END { if (n == 2) print m }' "$file")
        [ -n "$value" ] && value="$wall $value"
    elif [ "$size" = sweep ]; then
        run_job "$config" "$file" -t "$test" >/dev/null
        rc=$?
        # every size of the sweep, or the run counts as failed
        value=$(awk -v t="$test" -v want="$(sweep_sizes "$test" | wc -w)" '
            $1 == t && $3 ~ /^[0-9.]+$/ { n++ }
            END { if (n == want) print "ok" }' "$file")
    else
        run_job "$config" "$file" -t "$test" -s "$size" -n "$iters" \
            >/dev/null
        rc=$?
        value=$(awk -v t="$test" -v s="$size" '
            $1 == t && $2 == s && $3 ~ /^[0-9.]+$/ { v = $3 }
            END { if (v != "") print v }' "$file")
    fi
    if [ "$rc" -ne 0 ] || [ -z "$value" ]; then
        echo "FAIL $(fail_reason "$rc")"
    else
        echo "$value"
    fi
}

sweep_sizes() {
    local size=1
    [ "$1" = lat ] && printf '0 '
    while [ "$size" -le 4194304 ]; do
        printf '%d ' "$size"
        size=$((size * 2))
    done
    echo
}

. "$(dirname "$0")/lib-median.sh"

# best_of DIRECTION VALUE...: the lowest (le) or highest (ge) number, or NA
best_of() {
    local direction=$1
    shift
    printf '%s\n' "$@" | grep -E '^[-0-9.eE+]+$' | sort -g |
        if [ "$direction" = le ]; then head -n 1; else tail -n 1; fi |
        awk '{ v = $1 } END { print (v == "") ? "NA" : v }'
}

ratio_of() {
    awk -v v="$1" -v o="$2" 'BEGIN {
        if (v == "NA" || o == "NA" || o + 0 <= 0 || v !~ /^[-0-9.eE+]+$/)
            print "NA"
        else printf "%.3f\n", v / o }'
}

# which of ucx and ob1 has the better value (for the median line)
best_name() {
    local direction=$1 u=$2 o=$3
    awk -v d="$direction" -v u="$u" -v o="$o" 'BEGIN {
        un = (u ~ /^[-0-9.eE+]+$/); on = (o ~ /^[-0-9.eE+]+$/)
        if (!un && !on) { print "none"; exit }
        if (!on) { print "ucx"; exit }
        if (!un) { print "ob1"; exit }
        if (d == "le") print (u + 0 <= o + 0) ? "ucx" : "ob1"
        else print (u + 0 >= o + 0) ? "ucx" : "ob1" }'
}

configs=(ucx ob1)
[ "$have_verve" = yes ] && configs=(verve ucx ob1)

echo "# Open MPI: $(mpirun --version 2>/dev/null | head -n 1), 2 ranks," \
     "pinning: $cpus (${bind_opts[*]})"
echo "# verve: $verve_note"
echo "# verve and ucx: btl self; ucx: pml ucx, UCX_TLS=sm,self; ob1: pml ob1, btl vader,self"
echo "# verve API: $api_note"
echo "# $rounds rounds, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg);" \
     "$keep_note"

# One round line's entry for a configuration: "name value unit" or
# "name FAIL (why)".
entry() {
    local name=$1 value=$2 unit=$3
    case "$value" in
    FAIL*) printf '%s FAIL (%s)' "$name" "${value#FAIL }" ;;
    *) printf '%s %s %s' "$name" "$value" "$unit" ;;
    esac
}

misses=0
unjudged=0
declare -A result
for figure in "${figure_list[@]}"; do
    read -r test size iters direction target unit <<<"$(figure_spec "$figure")"
    run_list=("${configs[@]}")
    [ "$figure" = lat ] && [ "$have_api" = yes ] && run_list+=(api)
    case "$figure" in
    init) echo "== init: wall time of the whole job 'mpirun -n 2 p2p_mpi" \
               "-t init' (launch + MPI_Init + MPI_Finalize + exit), ms;" \
               "in brackets each job's MPI_Init+MPI_Finalize inside the" \
               "processes (slower rank), ms" ;;
    *_sweep) echo "== $figure: p2p_mpi -t $test, sizes $(sweep_sizes "$test" |
                  awk '{ print $1 " B.." $NF " B" }'), $unit, default" \
                  "iterations" ;;
    *) echo "== $figure: p2p_mpi -t $test -s $size -n $iters, $unit" ;;
    esac
    [ "$have_verve" = yes ] || echo "   verve: skipped (see the top)"
    for ((round = 1; round <= rounds; ++round)); do
        # rotate the order, so that each configuration takes each place
        n=${#run_list[@]}
        order=()
        for ((i = 0; i < n; ++i)); do
            order+=("${run_list[$(((i + round - 1) % n))]}")
        done
        for config in "${order[@]}"; do
            result[$config,$round]=$(measure "$figure" "$config" "$round")
        done
        line="   round $round:"
        sep=" "
        vals=()
        for config in "${configs[@]}"; do
            value=${result[$config,$round]}
            if [ "$test" = init ] && [[ "$value" != FAIL* ]]; then
                line+="$sep$config ${value% *} ms [${value#* }]"
                value=${value% *}
            elif [ "$size" = sweep ] && [[ "$value" != FAIL* ]]; then
                line+="${sep}$config ok"
            else
                line+="$sep$(entry "$config" "$value" "$unit")"
            fi
            vals+=("$value")
            sep=", "
        done
        if [ "$size" != sweep ]; then
            other=$(best_of "$direction" "${vals[@]:${#vals[@]}-2}")
            if [ "$have_verve" = yes ]; then
                result[ratio,$round]=$(ratio_of "${vals[0]}" "$other")
                line+="; ratio ${result[ratio,$round]}"
            fi
        fi
        [ "$figure" = lat ] && [ "$have_api" = yes ] &&
            line+="; $(entry "verve API" "${result[api,$round]}" us)"
        echo "$line"
        for config in "${run_list[@]}"; do
            if [[ "${result[$config,$round]}" == FAIL* ]]; then
                echo "      $config failed: $(last_words \
                    "$raw_dir/$figure.$config.$round.out")"
            fi
        done
    done

    if [ "$size" = sweep ]; then
        printf '   %10s' "size"
        for config in "${configs[@]}"; do printf ' %12s' "$config"; done
        [ "$have_verve" = yes ] && printf ' %11s' "verve/best"
        printf '   (medians, %s)\n' "$unit"
        for s in $(sweep_sizes "$test"); do
            printf '   %10s' "$s"
            meds=()
            for config in "${configs[@]}"; do
                vals=()
                for ((round = 1; round <= rounds; ++round)); do
                    [ "${result[$config,$round]}" = ok ] || continue
                    vals+=("$(awk -v t="$test" -v s="$s" '
                        $1 == t && $2 == s { v = $3 }
                        END { print (v == "") ? "NA" : v }' \
                        "$raw_dir/$figure.$config.$round.out")")
                done
                meds+=("$(median "${vals[@]}")")
                printf ' %12s' "${meds[-1]}"
            done
            if [ "$have_verve" = yes ]; then
                sdir=le
                [ "$test" = bw ] && sdir=ge
                printf ' %11s' "$(ratio_of "${meds[0]}" \
                    "$(best_of "$sdir" "${meds[1]}" "${meds[2]}")")"
            fi
            echo
        done
        continue
    fi

    line="   median:"
    sep=" "
    failed_verve=0
    declare -A med=()
    for config in "${run_list[@]}"; do
        vals=()
        inproc=()
        fails=0
        for ((round = 1; round <= rounds; ++round)); do
            value=${result[$config,$round]}
            if [[ "$value" == FAIL* ]]; then
                fails=$((fails + 1))
                continue
            fi
            vals+=("${value% *}")
            inproc+=("${value#* }")
        done
        med[$config]=$(median "${vals[@]}")
        [ "$test" = init ] && med[$config.in]=$(median "${inproc[@]}")
        [ "$config" = verve ] && failed_verve=$fails
        name=$config
        [ "$config" = api ] && continue
        line+="$sep$name ${med[$config]} $unit"
        [ "$test" = init ] && line+=" [${med[$config.in]}]"
        [ "$fails" -gt 0 ] && line+=" ($fails of $rounds runs failed)"
        sep=", "
    done
    if [ "$direction" = le ]; then sign="<="; else sign=">="; fi
    best=$(best_name "$direction" "${med[ucx]}" "${med[ob1]}")
    if [ "$have_verve" = no ]; then
        line+="; best other: $best; ratio NA (target $sign $target):"
        line+=" NO VERDICT (verve skipped)"
        unjudged=$((unjudged + 1))
    else
        ratio=$(ratio_of "${med[verve]}" "${med[$best]:-NA}")
        word=$(awk -v r="$ratio" -v d="$direction" -v t="$target" 'BEGIN {
            if (r == "NA") { print "MISS"; exit }
            ok = (d == "le") ? (r + 0 <= t + 0) : (r + 0 >= t + 0)
            print ok ? "PASS" : "MISS" }')
        if [ "$failed_verve" -gt 0 ] && [ "$word" = PASS ]; then
            word="MISS (verve runs failed)"
        fi
        line+="; ratio verve/$best $ratio (target $sign $target): $word"
        [ "$word" = PASS ] || misses=$((misses + 1))
    fi
    echo "$line"
    if [ "$have_verve" = yes ]; then
        ratios=()
        for ((round = 1; round <= rounds; ++round)); do
            ratios+=("${result[ratio,$round]}")
        done
        echo "   median of the rounds' ratios: $(median "${ratios[@]}")"
        if [ "$test" = init ]; then
            printf '   inside the processes: ratio verve/%s %s (no target)\n' \
                "$best" "$(ratio_of "${med[verve.in]}" \
                           "${med[$best.in]:-NA}")"
        fi
    fi
    if [ "$figure" = lat ]; then
        if [ "$have_api" = yes ]; then
            line="   verve API (tag_lat, lat_us_median): median"
            line+=" ${med[api]} us (no target)"
            [ "$have_verve" = yes ] &&
                line+="; verve over MPI / verve API $(ratio_of \
                    "${med[verve]}" "${med[api]}")"
            echo "$line"
        else
            echo "   verve API: $api_note"
        fi
    fi
    unset med
done
if [ "$unjudged" -gt 0 ]; then
    echo "figures missed: $misses, not judged: $unjudged (verve skipped)"
else
    echo "figures missed: $misses"
fi
if [ "$misses" -gt 0 ]; then exit 1; fi
if [ "$unjudged" -gt 0 ]; then exit 3; fi
exit 0
