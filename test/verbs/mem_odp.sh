#!/bin/sh
# mem_reg.c through ODP (VERVE_ODP=yes): the same loops, remaps, bounds
# and untouched pages as mem_reg.sh, with regions registered on demand
# and never invalidated. Skips where the device has no ODP for rc, or
# where its ODP fails verve's test transfer (rxe on the 7.3 backports
# kernel drops offsets inside pages): then VERVE_ODP=yes must refuse
# rather than corrupt, which is checked before skipping.
. "${VT_DIR:-$(dirname "$0")}/lib-verbs.sh"

vt_need_guest
prog=$top_builddir/test/verbs/mem_reg
[ -x "$prog" ] || vt_skip "build test/verbs/mem_reg first (make check)"
ibv_devinfo -v -d "$VT_DEV_A" 2>/dev/null | grep -q ODP_SUPPORT ||
    vt_skip "$VT_DEV_A reports no ODP (stable kernel)"
VERVE_TLS=rc VERVE_ODP=yes VERVE_RCACHE_MAX_REGIONS=8 \
    VERVE_RCACHE_MAX_BYTES=12m ip netns exec a timeout 280 "$prog" odp \
    >"$VT_TMP/odp.log" 2>&1
rc=$?
cat "$VT_TMP/odp.log"
case $rc in
0) ;;
77) vt_skip "$(sed -n 's/^SKIP: //p' "$VT_TMP/odp.log")" ;;
*) vt_fail "mem_reg through ODP failed" ;;
esac
