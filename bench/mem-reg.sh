#!/bin/sh
# Rendezvous from buffers the application allocated (1 to 64 MiB) on rc,
# through the registration cache, through ODP and from pre-registered
# memory (verve_mem_map first), first send of a fresh buffer and steady
# state, plus the registration cost per MiB, in one table. Runs
# test/verbs/mem_bench (make test/verbs/mem_bench) between two workers of
# one process on one rxe device, inside the SoftRoCE guest:
#
#   cd BUILD_DIR && ../contrib/softroce-vm/vm-run --timeout 1500 \
#       --out /tmp/mem-reg -- sh ../bench/mem-reg.sh -o /tmp/mem-reg
#
# usage: mem-reg.sh [-o DIR] [-m MODES] | mem-reg.sh -t ROWS_FILE
#   -o DIR    keep the raw rows in DIR/rows as they come (vm-run --out
#             shares DIR, so a guest killed by its timeout leaves them)
#   -m MODES  comma-separated, among cache,prereg,odp (default: all)
#   -t FILE   only print the table of rows collected before
#
# The engine registers the sender's buffer through the component's cache
# (mem_reg_cached), so "cache" caches both sides; "pre-registered" memory
# (verve_mem_map) is found in the cache too after its first send.
#
# ODP runs with VERVE_ODP=unchecked: on devices whose ODP fails verve's
# test transfer (rxe on the 7.3 backports kernel drops offsets inside
# pages) its figures are timings of transfers that arrive wrong, listed
# under the table; that rxe also writes over memory next to the buffers,
# so the ODP run may abort at its end. Each figure is the least of a few
# samples; under TCG only ratios within one run mean anything.
set -u

table()
{
    awk '
/^row / { k = $3; sizes[k] = 1
          first[$2, k] = $4; steady[$2, k] = $5; reg[$2, k] = $6
          if ($7 != "ok") bad[$2] = bad[$2] " " k }
END {
    printf("rendezvous, ms per message: first send of a fresh buffer / steady state\n")
    printf("%4s | %17s | %17s | %17s | %s\n", "MiB", "cache",
           "odp", "pre-registered", "registration us/MiB")
    printf("%4s | %8s %8s | %8s %8s | %8s %8s | %6s %6s %7s\n", "",
           "first", "steady", "first", "steady", "first", "steady",
           "pinned", "odp", "mem_map")
    for (m = 1; m <= 64; m *= 2) {
        if (!(m in sizes)) continue
        printf("%4d | %8s %8s | %8s %8s | %8s %8s | %6s %6s %7s\n", m,
               first["cache", m], steady["cache", m],
               first["odp", m], steady["odp", m],
               first["prereg", m], steady["prereg", m],
               reg["cache", m], reg["odp", m], reg["prereg", m])
    }
    for (x in bad) printf("data arrived wrong (%s) at MiB:%s\n", x, bad[x])
}' "$1"
}

dir=""
modes=cache,prereg,odp
while getopts o:m:t: opt; do
    case $opt in
    o) dir=$OPTARG ;;
    m) modes=$OPTARG ;;
    t) grep '^#' "$OPTARG"; table "$OPTARG"; exit 0 ;;
    *) sed -n "/^# usage/,/^#   -t/p" "$0" >&2; exit 2 ;;
    esac
done
build=${VERVE_BUILD_DIR:-.}
prog=$build/test/verbs/mem_bench
[ -x "$prog" ] || { echo "mem-reg.sh: no $prog (make test/verbs/mem_bench)" >&2; exit 1; }
[ -d /sys/class/infiniband/rxe0 ] || { echo "mem-reg.sh: no rxe0: run it in contrib/softroce-vm/vm-run" >&2; exit 1; }
[ -n "$dir" ] || dir=$(mktemp -d)
mkdir -p "$dir"
out=$dir/rows
: >"$out"
ns=""
ip netns list 2>/dev/null | grep -q '^a\b' && ns="ip netns exec a"
# ODP last: rxe whose ODP miscopies can leave the device slow after it.
for mode in cache prereg odp; do
    case ,$modes, in *,$mode,*) ;; *) continue ;; esac
    odp=no
    [ $mode = odp ] && odp=unchecked
    # A 64 MiB read under a loaded TCG guest can take more than 10 s.
    VERVE_TLS=rc VERVE_ODP=$odp VERVE_RC_PEER_TIMEOUT=300s \
        $ns timeout 900 "$prog" "$mode" >>"$out" 2>&1 ||
        echo "# $mode: mem_bench failed" >>"$out"
done
grep '^#' "$out"
table "$out"
grep -v '^row \|^#' "$out" | head -20
