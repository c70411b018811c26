#!/bin/sh
# The ud interface's unit test (test_ud_iface: sends, receives and wakeup
# through epoll and the retransmission timer on a real UD QP, and the heap
# of 1,000 endpoints to as many peers), which skips on the host for want
# of a device, run here in namespace a on rxe0.
. "${VT_DIR:-$(dirname "$0")}/lib-verbs.sh"

vt_need_guest
prog=$top_builddir/test/unit/transports/verbs/test_ud_iface
[ -x "$prog" ] || vt_skip "build test/unit/transports/verbs/test_ud_iface"
ip netns exec a timeout 200 "$prog" || vt_fail "test_ud_iface failed"
