#!/bin/bash
# OpenSHMEM figures of Open MPI 4.1's oshmem over verve (spml verve +
# atomic verve, from the build folder) against the same oshmem over
# spml ucx (UCX_TLS=sm,self; Debian's Open MPI loads atomic ucx with
# it), 2 PEs on one host, one per CPU. Every figure comes from
# bench/shmem_perf.c, built here with oshcc, so both configurations run
# the same program and differ only in the components oshrun selects.
#
# Figures and targets (verve / ucx):
#   put_lat 8     blocking 8 B put, us per call                <= 1.0
#   get_lat 8     blocking 8 B get, us per call                <= 1.0
#   fadd_lat 8    fetch-add, us per call                       <= 1.0
#   put_rate 8    8 B put_nbi, quiet per 64, msg/s             >= 1.2
#   put_lat 1048576  1 MiB blocking put, us                    <= 1.0
# and, with no target, the rest of shmem_perf's lines (put/get sweep,
# fadd_rate, barrier).
#
# Rounds are interleaved: each round runs both configurations, the order
# alternating from round to round. A run that exits non-zero is shown as
# FAIL with its status, but the figures it printed before failing still
# count (spml ucx in Debian's 4.1.4 crashes in finalize after printing);
# the exit statuses are summed up at the end.
set -u

usage() {
    cat <<'USAGE'
usage: bench/vs-shmem.sh [-r ROUNDS] [-b BUILD_DIR] [-c CPU0,CPU1]
                         [-n ITERS] [-o OUT_DIR] [-h]

  -r ROUNDS     rounds, each running both configurations (default 5)
  -b BUILD_DIR  verve build folder holding src/ompi/shmem/.libs/
                mca_spml_verve.so and mca_atomic_verve.so (default:
                $VERVE_BUILD_DIR, else ./build); without them verve is
                skipped and no verdict is given
  -c CPU0,CPU1  the two CPUs, one PE on each; 'none' leaves placement to
                the scheduler (default 0,1)
  -n ITERS      iterations per figure (shmem_perf -n, default 20000)
  -o OUT_DIR    keep every run's output there (default: a temporary
                folder, removed at the end)
USAGE
}

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib-median.sh
. "$here/lib-median.sh"
rounds=5
build=${VERVE_BUILD_DIR:-./build}
cpus=0,1
iters=20000
out=
while getopts r:b:c:n:o:h opt; do
    case $opt in
    r) rounds=$OPTARG ;;
    b) build=$OPTARG ;;
    c) cpus=$OPTARG ;;
    n) iters=$OPTARG ;;
    o) out=$OPTARG ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
if [ -z "$out" ]; then
    out=$(mktemp -d "${TMPDIR:-/tmp}/vs-shmem.XXXXXX") || exit 1
    trap 'rm -rf "$out"' EXIT
else
    mkdir -p "$out" || exit 1
fi
for tool in oshcc oshrun ompi_info; do
    command -v $tool >/dev/null || { echo "vs-shmem: no $tool"; exit 1; }
done
oshcc -O2 -std=c11 -o "$out/shmem_perf" "$here/shmem_perf.c" || exit 1

pkglibdir=$(ompi_info --path pkglibdir | sed 's/^ *Pkglibdir: *//')
libs=$(cd "$build" 2>/dev/null && pwd)/src/ompi/shmem/.libs
configs=ucx
if [ -e "$libs/mca_spml_verve.so" ] && [ -e "$libs/mca_atomic_verve.so" ]
then
    configs="verve ucx"
else
    echo "vs-shmem: no mca_spml_verve.so in $libs: verve is skipped"
fi
bind=()
if [ "$cpus" != none ]; then
    bind=(--cpu-list "$cpus" --bind-to cpu-list:ordered)
fi

# run CONFIG ROUND: one oshrun; its stdout in $out/CONFIG.ROUND, its
# exit status in $out/CONFIG.ROUND.rc.
run() {
    local mca
    case $1 in
    verve) mca=(--mca spml verve --mca atomic verve
                --mca mca_base_component_path "$libs:$pkglibdir") ;;
    ucx) mca=(--mca spml ucx -x "UCX_TLS=sm,self") ;;
    esac
    timeout -k 5 300 oshrun --allow-run-as-root -n 2 "${bind[@]}" \
        "${mca[@]}" "$out/shmem_perf" -n "$iters" \
        >"$out/$1.$2" 2>"$out/$1.$2.err"
    echo $? >"$out/$1.$2.rc"
}

for ((r = 1; r <= rounds; r++)); do
    order=$configs
    if [ $((r % 2)) -eq 0 ]; then
        # shellcheck disable=SC2086 # $configs is a list
        order=$(printf '%s\n' $configs | tac | tr '\n' ' ')
    fi
    line="round $r:"
    for c in $order; do
        run "$c" "$r"
        rc=$(cat "$out/$c.$r.rc")
        if [ "$rc" -eq 0 ]; then
            line="$line $c ok"
        else
            line="$line $c FAIL(exit $rc: $(tail -1 "$out/$c.$r.err"))"
        fi
    done
    echo "$line"
done

# value CONFIG FIGURE SIZE: the figure of every round of CONFIG.
values() {
    for ((r = 1; r <= rounds; r++)); do
        awk -v f="$2" -v s="$3" '$1 == f && $2 == s { print $3 }' \
            "$out/$1.$r" 2>/dev/null
    done
}

printf '%-10s %8s %14s %14s %8s  %s\n' figure size verve ucx ratio verdict
figures=$(awk '{ print $1 " " $2 }' "$out"/ucx.* 2>/dev/null |
          grep -E '^[a-z_]+ [0-9]+$' | sort -u -k1,1 -k2,2n)
while read -r fig size; do
    [ -n "$fig" ] || continue
    u=$(median "$(values ucx "$fig" "$size")")
    v=NA
    case " $configs " in
    *" verve "*) v=$(median "$(values verve "$fig" "$size")") ;;
    esac
    target=
    case "$fig $size" in
    "put_lat 8"|"get_lat 8"|"fadd_lat 8"|"put_lat 1048576") target="<=1.0" ;;
    "put_rate 8") target=">=1.2" ;;
    esac
    ratio=NA
    verdict=
    if [ "$v" != NA ] && [ "$u" != NA ]; then
        ratio=$(awk -v a="$v" -v b="$u" 'BEGIN { printf "%.2f", a / b }')
        case $target in
        "<=1.0") verdict=$(awk -v x="$ratio" \
                     'BEGIN { print (x <= 1.0) ? "PASS" : "MISS" }') ;;
        ">=1.2") verdict=$(awk -v x="$ratio" \
                     'BEGIN { print (x >= 1.2) ? "PASS" : "MISS" }') ;;
        esac
        [ -n "$target" ] && verdict="$verdict ($target)"
    fi
    printf '%-10s %8s %14s %14s %8s  %s\n' "$fig" "$size" "$v" "$u" \
        "$ratio" "$verdict"
done <<<"$figures"

for c in $configs; do
    bad=0
    for ((r = 1; r <= rounds; r++)); do
        [ "$(cat "$out/$c.$r.rc")" -eq 0 ] || bad=$((bad + 1))
    done
    echo "exit status: $c: $bad of $rounds runs non-zero"
done
