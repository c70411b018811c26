#!/bin/sh
# fork() after registrations (fork_rma.c): a parent putting and sending
# rendezvous messages over rc between two of its workers while it forks
# children that scribble over their copies of the registered pages and
# run verve of their own (self with shm, or with rc on a device context of
# their own); the parent's data must arrive intact every time. rc alone in
# the parent, so that no buffer is shared memory.
. "${VT_DIR:-$(dirname "$0")}/lib-verbs.sh"

vt_need_guest
prog=$top_builddir/test/verbs/fork_rma
[ -x "$prog" ] || vt_skip "build test/verbs/fork_rma first (make check)"
VERVE_TLS=rc ip netns exec a timeout 200 "$prog" || vt_fail "fork_rma failed"
