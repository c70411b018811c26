#!/bin/sh
# Buffers verve_mem_map did not register, on rc through the registration
# cache (VERVE_ODP=no; mem_reg.c): loops of malloc/send/free/realloc, new
# contents at a munmapped, madvised or mremapped address seen by the
# receiver, the cache's bounds in regions and bytes, transfers from and
# into untouched pages, shmdt of SHM_HUGETLB segments. mem_odp.sh runs
# the same through ODP.
. "${VT_DIR:-$(dirname "$0")}/lib-verbs.sh"

vt_need_guest
prog=$top_builddir/test/verbs/mem_reg
[ -x "$prog" ] || vt_skip "build test/verbs/mem_reg first (make check)"
# SHM_HUGETLB segments too: two 2 MiB huge pages reserved for the run
# (the guest is ours), given back after.
huge=
pages=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null) &&
    echo $((pages + 2)) >/proc/sys/vm/nr_hugepages 2>/dev/null &&
    [ "$(cat /proc/sys/vm/nr_hugepages)" -ge $((pages + 2)) ] &&
    grep -q '^Hugepagesize: *2048 kB' /proc/meminfo && huge=hugetlb
[ -n "$huge" ] || vt_note "no 2 MiB huge pages: SHM_HUGETLB rounds not run"
# Bounds that the test's 32 buffers of 512 KiB must hit.
VERVE_TLS=rc VERVE_ODP=no VERVE_RCACHE_MAX_REGIONS=8 \
    VERVE_RCACHE_MAX_BYTES=12m ip netns exec a timeout 280 "$prog" cache \
    $huge
rc=$?
[ -n "$pages" ] && echo "$pages" >/proc/sys/vm/nr_hugepages 2>/dev/null
[ $rc = 0 ] || vt_fail "mem_reg through the registration cache failed"
