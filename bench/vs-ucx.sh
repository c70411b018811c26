#!/bin/bash
# Side-by-side figures of verve_perf (under verve_run -n 2) and UCX's
# ucx_perftest over shared memory (UCX_TLS=sm,self) and over TCP on the
# loopback (VERVE_TLS=tcp vs UCX_TLS=tcp,self UCX_NET_DEVICES=lo), run
# interleaved so that both see the same machine noise. Prints each run's
# value, the medians, the ratio verve/UCX and whether it meets the target.
# In the SoftRoCE guest the verbs figures also run perftest (ib_send_lat,
# ib_write_lat, ib_write_bw) in the same rounds: raw verbs, a reference
# row, no target.
set -u

usage() {
    cat <<'EOF'
usage: bench/vs-ucx.sh [-r PAIRS] [-b BUILD_DIR] [-c CPU0,CPU1]
                       [-f FIGURE[,FIGURE]] [-h]

  -r PAIRS      runs of each tool per figure, interleaved (default 5, min 1)
  -b BUILD_DIR  verve build folder holding src/tools/verve_run and
                src/tools/verve_perf (default: $VERVE_BUILD_DIR, else ./build)
  -c CPU0,CPU1  pin the measuring side (verve rank 0, UCX client) to CPU0
                and the peer (verve rank 1, UCX server) to CPU1; 'none' to
                leave placement to the scheduler (default 0,1 when the
                machine has 2 CPUs or more, else none)
  -f FIGURES    figures to measure (default: all of them):
                  am_lat   8 B AM latency, half round trip, median
                           (ucp_am_lat p50 vs am_lat lat_us_median)
                  am_mr    8 B AM message rate
                           (ucp_am_bw -s 8 rate_overall vs am_mr msg_rate)
                  am_bw    1 MiB AM bandwidth
                           (ucp_am_bw bw_overall vs am_bw bw_MBps)
                  put_lat  8 B put latency, half round trip, median
                           (ucp_put_lat p50 vs put_lat lat_us_median)
                  get_bw   64 KiB get bandwidth
                           (ucp_get bw_overall vs get_bw bw_MBps)
                  tcp_am_lat  8 B AM latency over TCP on the loopback
                           (ucp_am_lat p50 vs am_lat lat_us_median)
                  tcp_am_bw   1 MiB AM bandwidth over TCP on the loopback
                           (ucp_am_bw bw_overall vs am_bw bw_MBps)
                Only in the SoftRoCE guest, between its namespaces a and b
                (not in the default list):
                  rc_am_lat, rc_put_lat  8 B latency over rc (UCX
                           rc_verbs), medians as above
                  rc_put_bw   64 KiB put bandwidth over rc
                           (ucp_put_bw bw_overall vs put_bw bw_MBps)
                  ud_am_lat   8 B AM latency over ud (UCX ud_verbs)
                each also runs a perftest program in each round, as a
                reference row: what raw verbs take in the same guest
                (no target; NA where perftest's clock calibration
                fails under TCG): rc_am_lat ib_send_lat (8 B, RC,
                t_typical), rc_put_lat ib_write_lat (8 B, RC,
                t_typical), rc_put_bw ib_write_bw (64 KiB, RC, BW
                average), ud_am_lat ib_send_lat -c UD (8 B, t_typical)
                e.g. contrib/softroce-vm/vm-run -- bash bench/vs-ucx.sh \
                         -b build -r 3 -f rc_am_lat,rc_put_bw
  -h, --help    this help

Both tools count MB as 2^20 bytes. Targets (ratio = verve / UCX):
latency <= 0.8, message rate >= 1.2, AM bandwidth >= 1.2, put latency
<= 1.0, get bandwidth >= 1.0; over TCP latency <= 0.9, bandwidth
>= 1.0; over verbs latency <= 0.9, put bandwidth >= 1.0 (emulated
devices: only the ratios mean anything). Needs ucx_perftest (Debian:
ucx-utils), python3 (free ports) and awk.
EOF
}

pairs=5
build_dir=${VERVE_BUILD_DIR:-build}
figures=am_lat,am_mr,am_bw,put_lat,get_bw,tcp_am_lat,tcp_am_bw
run_timeout=300
if [ "$(nproc)" -ge 2 ]; then cpus=0,1; else cpus=none; fi

while [ $# -gt 0 ]; do
    case "$1" in
    -r) pairs=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -b) build_dir=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -f) figures=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -c) cpus=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
    -h|--help) usage; exit 0 ;;
    *) echo "vs-ucx.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case "$pairs" in
''|*[!0-9]*|0) echo "vs-ucx.sh: -r needs a positive count" >&2; exit 2 ;;
esac

verve_pin=()
ucx_client_pin=()
ucx_server_pin=()
if [ "$cpus" != none ]; then
    if ! [[ "$cpus" =~ ^[0-9]+,[0-9]+$ ]]; then
        echo "vs-ucx.sh: -c needs two CPU numbers such as 0,1, or none" >&2
        exit 2
    fi
    verve_pin=(-c "$cpus")
    ucx_client_pin=(-c "${cpus%,*}")
    ucx_server_pin=(-c "${cpus#*,}")
fi

verve_run=$build_dir/src/tools/verve_run
verve_perf=$build_dir/src/tools/verve_perf
for tool in "$verve_run" "$verve_perf"; do
    if [ ! -x "$tool" ]; then
        echo "vs-ucx.sh: $tool not found: build verve first or give -b" >&2
        exit 2
    fi
done
if ! command -v ucx_perftest >/dev/null 2>&1; then
    echo "vs-ucx.sh: ucx_perftest not found (apt-get install ucx-utils)" >&2
    exit 2
fi

# figure -> "ucx_test size iters ucx_field verve_test verve_field
#            direction target unit transport [perftest]"; perftest, for
# some rc figures, is the perftest program of the reference row (same
# size and iterations); ucx_field is a column of
# the client's "Final:" line: 3 p50, 5 latency overall, 7 bw overall,
# 9 rate overall. direction: le (smaller is better) or ge. transport:
# sm (shared memory), tcp, or rc / ud: verbs between the namespaces a and
# b of the SoftRoCE guest (run the script there, through
# contrib/softroce-vm/vm-run), UCX's server in a on rxe0 and its client in
# b on rxe1, verve's ranks in a and b through verve_run --netns.
figure_spec() {
    case "$1" in
    am_lat)  echo "ucp_am_lat 8 100000 3 am_lat lat_us_median le 0.8 us sm" ;;
    am_mr)   echo "ucp_am_bw 8 1000000 9 am_mr msg_rate ge 1.2 msg/s sm" ;;
    am_bw)   echo "ucp_am_bw 1048576 2000 7 am_bw bw_MBps ge 1.2 MB/s sm" ;;
    put_lat) echo "ucp_put_lat 8 100000 3 put_lat lat_us_median le 1.0 us sm" ;;
    get_bw)  echo "ucp_get 65536 20000 7 get_bw bw_MBps ge 1.0 MB/s sm" ;;
    tcp_am_lat)
        echo "ucp_am_lat 8 50000 3 am_lat lat_us_median le 0.9 us tcp" ;;
    tcp_am_bw)
        echo "ucp_am_bw 1048576 1000 7 am_bw bw_MBps ge 1.0 MB/s tcp" ;;
    rc_am_lat)
        echo "ucp_am_lat 8 2000 3 am_lat lat_us_median le 0.9 us rc" \
             "ib_send_lat" ;;
    rc_put_lat)
        echo "ucp_put_lat 8 2000 3 put_lat lat_us_median le 0.9 us rc" \
             "ib_write_lat" ;;
    rc_put_bw)
        echo "ucp_put_bw 65536 500 7 put_bw bw_MBps ge 1.0 MB/s rc" \
             "ib_write_bw" ;;
    ud_am_lat)
        echo "ucp_am_lat 8 2000 3 am_lat lat_us_median le 0.9 us ud" \
             "ib_send_lat" ;;
    *) return 1 ;;
    esac
}

# How each tool runs over a transport: ucx_env SIDE TRANSPORT prints the
# command prefix of UCX's server or client (a namespace and variables),
# verve_env the variables and verve_run options of verve's ranks.
# UCX's rc_verbs needs ud_verbs beside it for its wireup; GID index 0,
# as UD endpoints time out with the IPv4 GID (see shared/SOFTROCE.md).
ucx_env() {
    local side=$1 ns dev
    if [ "$side" = server ]; then ns=a dev=rxe0:1; else ns=b dev=rxe1:1; fi
    case "$2" in
    tcp) echo "env UCX_TLS=tcp,self UCX_NET_DEVICES=lo" ;;
    rc) echo "ip netns exec $ns env UCX_TLS=rc_verbs,ud_verbs,self" \
             "UCX_IB_GID_INDEX=0 UCX_NET_DEVICES=$dev" ;;
    ud) echo "ip netns exec $ns env UCX_TLS=ud_verbs,self" \
             "UCX_IB_GID_INDEX=0 UCX_NET_DEVICES=$dev" ;;
    *) echo "env UCX_TLS=sm,self" ;;
    esac
}
ucx_host() {
    case "$1" in
    rc|ud) echo 10.11.0.1 ;;
    *) echo 127.0.0.1 ;;
    esac
}
verve_env() {
    case "$1" in
    tcp) echo "env VERVE_TLS=tcp VERVE_TCP_IF=lo" ;;
    rc) echo "env VERVE_TLS=rc,self --netns a,b" ;;
    ud) echo "env VERVE_TLS=ud,self --netns a,b" ;;
    *) echo "env VERVE_TLS=all" ;;
    esac
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Prints the figure's value from one ucx_perftest client run, or nothing.
# A client that found no server yet (slow start on a loaded machine) is
# tried again on a new port.
run_ucx() {
    local test=$1 size=$2 iters=$3 field=$4 transport=$5 port server out
    local value try
    local -a server_env client_env
    read -r -a server_env <<<"$(ucx_env server "$transport")"
    read -r -a client_env <<<"$(ucx_env client "$transport")"
    for try in 1 2 3; do
        port=$(free_port)
        "${server_env[@]}" timeout "$run_timeout" ucx_perftest -p "$port" \
            "${ucx_server_pin[@]}" >/dev/null 2>&1 &
        server=$!
        sleep "$try"
        out=$("${client_env[@]}" timeout "$run_timeout" ucx_perftest \
              "$(ucx_host "$transport")" -p "$port" "${ucx_client_pin[@]}" \
              -t "$test" -s "$size" -n "$iters" 2>&1)
        value=$(printf '%s\n' "$out" | awk -v f="$field" '
            $1 == "Final:" { v = $f } END { if (v != "") print v }')
        if [ -n "$value" ]; then
            wait "$server" 2>/dev/null
            echo "$value"
            return
        fi
        kill "$server" 2>/dev/null
        wait "$server" 2>/dev/null
    done
}

# Prints the figure's value from one verve_perf run, or nothing.
run_verve() {
    local test=$1 size=$2 iters=$3 field=$4 transport=$5 out
    local -a envs run_opts=()
    read -r -a envs <<<"$(verve_env "$transport")"
    # what follows the variables are verve_run's own options
    while [ "${#envs[@]}" -gt 0 ] && [[ "${envs[-1]}" != *=* ]] &&
            [ "${envs[-1]}" != env ]; do
        run_opts=("${envs[-1]}" "${run_opts[@]}")
        unset 'envs[-1]'
    done
    out=$("${envs[@]}" timeout "$run_timeout" "$verve_run" -n 2 \
          "${run_opts[@]}" "$verve_perf" \
          "${verve_pin[@]}" -t "$test" -s "$size" -n "$iters" --json \
          2>/dev/null)
    printf '%s\n' "$out" | sed -n "s/.*\"$field\":\([-0-9.eE+]*\).*/\1/p" |
        tail -n 1
}

# Prints perftest's figure from one run between the guest's namespaces
# (server in a on rxe0, client in b on rxe1, GID index 1, the IPv4 one,
# as in test/verbs/smoke.sh), or nothing: ib_send_lat's or ib_write_lat's
# t_typical (half a round trip, us) or ib_write_bw's BW average
# (perftest's MB/sec); over UD (transport ud) with -c UD.
# perftest calibrates its clock against gettimeofday and gives up on a
# poor fit, which a loaded TCG guest makes likely: that is tried again.
run_perftest() {
    local prog=$1 size=$2 iters=$3 transport=$4 port server out value try
    local col
    local -a cpu0=() cpu1=() conn=()
    case "$prog" in
    ib_send_lat|ib_write_lat) col=5 ;;
    *) col=4 ;;
    esac
    [ "$transport" = ud ] && conn=(-c UD)
    if [ "$cpus" != none ]; then
        cpu0=(taskset -c "${cpus%,*}")
        cpu1=(taskset -c "${cpus#*,}")
    fi
    for try in 1 2 3; do
        port=$(free_port)
        ip netns exec a timeout "$run_timeout" "${cpu1[@]}" "$prog" \
            -d rxe0 -x 1 "${conn[@]}" -F -s "$size" -n "$iters" \
            -p "$port" >/dev/null 2>&1 &
        server=$!
        sleep "$try"
        out=$(ip netns exec b timeout "$run_timeout" "${cpu0[@]}" "$prog" \
              -d rxe1 -x 1 "${conn[@]}" -F -s "$size" -n "$iters" \
              -p "$port" 10.11.0.1 2>&1)
        wait "$server" 2>/dev/null
        value=$(printf '%s\n' "$out" | awk -v s="$size" -v c="$col" '
            $1 == s && $2 ~ /^[0-9]+$/ && $c ~ /^[0-9.]+$/ { v = $c }
            END { if (v != "") print v }')
        if [ -n "$value" ]; then
            echo "$value"
            return
        fi
    done
}

. "$(dirname "$0")/lib-median.sh"

misses=0
IFS=, read -r -a figure_list <<<"$figures"
for figure in "${figure_list[@]}"; do
    if ! spec=$(figure_spec "$figure"); then
        echo "vs-ucx.sh: unknown figure '$figure' (see --help)" >&2
        exit 2
    fi
    perftest=
    read -r ucx_test size iters ucx_field verve_test verve_field \
        direction target unit transport perftest <<<"$spec"
    if [ -n "$perftest" ] && ! command -v "$perftest" >/dev/null 2>&1; then
        echo "vs-ucx.sh: $perftest not found (perftest): no reference row"
        perftest=
    fi
    ucx_values=()
    verve_values=()
    ref_values=()
    echo "== $figure: $verve_test vs $ucx_test over $transport, size $size," \
        "$iters iters${perftest:+; reference $perftest}"
    for ((pair = 1; pair <= pairs; ++pair)); do
        # Alternate which tool goes first, so neither always runs on a
        # machine the other just warmed or heated; perftest, where it
        # runs, takes the first, middle and last place in turn.
        if ((pair % 2)); then order="ucx verve"; else order="verve ucx"; fi
        if [ -n "$perftest" ]; then
            case $((pair % 3)) in
            1) order="ref $order" ;;
            2) order="${order% *} ref ${order#* }" ;;
            *) order="$order ref" ;;
            esac
        fi
        u= v= ref=
        for tool in $order; do
            case $tool in
            ucx) u=$(run_ucx "$ucx_test" "$size" "$iters" "$ucx_field" \
                     "$transport") ;;
            verve) v=$(run_verve "$verve_test" "$size" "$iters" \
                       "$verve_field" "$transport") ;;
            ref) ref=$(run_perftest "$perftest" "$size" "$iters" \
                       "$transport") ;;
            esac
        done
        ucx_values+=("${u:-NA}")
        verve_values+=("${v:-NA}")
        if [ -n "$perftest" ]; then
            ref_values+=("${ref:-NA}")
            ref=", $perftest ${ref:-NA} $unit"
        fi
        printf '   pair %d: ucx %s %s, verve %s %s%s\n' "$pair" "${u:-NA}" \
            "$unit" "${v:-NA}" "$unit" "$ref"
    done
    ucx_median=$(median "${ucx_values[@]}")
    verve_median=$(median "${verve_values[@]}")
    if [ -n "$perftest" ]; then
        ref_median=$(median "${ref_values[@]}")
        awk -v r="$ref_median" -v u="$ucx_median" -v v="$verve_median" \
            -v p="$perftest" -v unit="$unit" 'BEGIN {
            printf "   reference: %s median %s %s", p, r, unit
            if (r != "NA" && r + 0 > 0) {
                if (u != "NA") printf "; ucx/%s %.3f", p, u / r
                if (v != "NA") printf ", verve/%s %.3f", p, v / r
            }
            printf " (no target)\n" }'
    fi
    verdict=$(awk -v u="$ucx_median" -v v="$verve_median" \
                  -v d="$direction" -v t="$target" 'BEGIN {
        if (u == "NA" || v == "NA" || u + 0 <= 0) {
            print "NA MISS"; exit }
        r = v / u
        ok = (d == "le") ? (r <= t) : (r >= t)
        printf "%.3f %s\n", r, ok ? "PASS" : "MISS" }')
    ratio=${verdict% *}
    word=${verdict#* }
    if [ "$direction" = le ]; then sign="<="; else sign=">="; fi
    printf '   median: ucx %s %s, verve %s %s; ratio verve/ucx %s ' \
        "$ucx_median" "$unit" "$verve_median" "$unit" "$ratio"
    printf '(target %s %s): %s\n' "$sign" "$target" "$word"
    [ "$word" = PASS ] || misses=$((misses + 1))
done
echo "figures missed: $misses"
[ "$misses" -eq 0 ]
