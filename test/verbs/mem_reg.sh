#!/bin/sh
# Buffers verve_mem_map did not register, on rc through the registration
# cache (VERVE_ODP=no; mem_reg.c): loops of malloc/send/free/realloc, new
# contents at a munmapped, madvised or mremapped address seen by the
# receiver, the cache's bounds in regions and bytes, transfers from and
# into untouched pages. mem_odp.sh runs the same through ODP.
. "${VT_DIR:-$(dirname "$0")}/lib-verbs.sh"

vt_need_guest
prog=$top_builddir/test/verbs/mem_reg
[ -x "$prog" ] || vt_skip "build test/verbs/mem_reg first (make check)"
# Bounds that the test's 32 buffers of 512 KiB must hit.
VERVE_TLS=rc VERVE_ODP=no VERVE_RCACHE_MAX_REGIONS=8 \
    VERVE_RCACHE_MAX_BYTES=12m ip netns exec a timeout 280 "$prog" cache ||
    vt_fail "mem_reg through the registration cache failed"
