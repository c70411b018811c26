#!/bin/sh
# rc between two workers of one process on one device (rc_pair.c): wakeup
# through the completion channel, puts and gets beyond a bounce buffer,
# swap and compare-swap results, flush. Run in namespace a, so the port is
# chosen by the default rule (its netdev is in this namespace).
. "${VT_DIR:-$(dirname "$0")}/lib-verbs.sh"

vt_need_guest
prog=$top_builddir/test/verbs/rc_pair
[ -x "$prog" ] || vt_skip "build test/verbs/rc_pair first (make check)"
VERVE_TLS=rc VERVE_RC_ATOMICS=device ip netns exec a timeout 200 "$prog" ||
    vt_fail "rc_pair failed"
