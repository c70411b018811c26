#!/bin/sh
# The engine suite over the ud transport alone (VERVE_TLS=ud,self) between
# namespaces a and b: it_am (large messages as fragments over ud's own
# reliability; every message checked to arrive once, in order and intact;
# large messages go as fragments everywhere, VERVE_AM_ZCOPY=n)
# and it_rma (emulated over AM; 300 fetch-adds per kind on the lossy
# link, where each is a round trip), on a clean link and then with netem
# dropping 5%, duplicating 2% and reordering 10% of what each veth end
# sends (the ranks' closing counters must show datagrams that arrived
# after a gap and duplicates dropped, proof that the link was lossy); then
# a peer killed mid-stream (ud_pair fail, and it_peer_failure
# with rendezvous, gets and atomics in flight), a member leaving a team
# (it_coll_fail), a peer whose messages are lost after which it blocks
# without progress, resent by its keepalive thread (ud_pair mute; the same
# with the keepalive off must not arrive), and a peer that computes for
# three failure timeouts without progress, kept alive by its keepalive
# thread (ud_pair busy; the same with the keepalive off must fail), and
# a peer that flushes and then stops progressing, whose flush must have
# sent the acks it owed (ud_pair flushack).
. "${VT_DIR:-$(dirname "$0")}/lib-engine.sh"
. "${VT_DIR:-$(dirname "$0")}/netem.sh"
# Every large message as fragments, to itself (self) too, so that
# --eager-only holds on every endpoint.
export VERVE_TLS=ud,self VERVE_AM_ZCOPY=n

check "am, 2 ranks" rank_run 2 "$IT/it_am --eager-only"
check "am, 3 ranks" rank_run 3 "$IT/it_am --eager-only"
check "rma, 2 ranks" rank_run 2 "$IT/it_rma"
check "tag, 2 ranks" rank_run 2 "$IT/it_tag --stream 100"

# ud_counter_sum OUTPUT PATTERN: the sum over the ranks' closing counter
# lines (VERVE_LOG_LEVEL=debug) of the number PATTERN's group matches.
ud_counter_sum()
{
    printf '%s\n' "$1" | sed -n "s/.*ud: qp .*$2.*/\1/p" |
        awk '{ s += $1 } END { print s + 0 }'
}

# it_am on the lossy link, and proof that the link was lossy: datagrams
# arrived after a gap (lost or reordered) and duplicates were dropped, or
# exactly-once proved nothing. A clean link has no gaps, but it may have
# duplicates: a resend whose first copy was only late.
lossy_am()
{
    _out=$(VERVE_LOG_LEVEL=debug rank_run 2 "$IT/it_am --eager-only" 2>&1)
    _rc=$?
    _gaps=$(ud_counter_sum "$_out" ', \([0-9]*\) after a gap')
    _dups=$(ud_counter_sum "$_out" ', \([0-9]*\) duplicates')
    printf '%s\n' "$_out" | grep -v 'DEBUG'
    echo "lossy_am: $_gaps datagrams after a gap, $_dups duplicates dropped"
    [ "$_rc" = 0 ] && [ "$_gaps" -gt 0 ] && [ "$_dups" -gt 0 ]
}

vt_netem_add both loss 5% duplicate 2% delay 1ms reorder 10% 50% ||
    vt_fail "netem could not be set up"
check "am, 2 ranks, lossy link, gaps and duplicates seen" \
    lossy_am
check "rma, 2 ranks, lossy link" rank_run 2 "$IT/it_rma --fadds=300"
vt_netem_clear_all

# ud_pair is built with verbs, as is this suite: missing, its six checks
# fail rather than vanish.
pair=$top_builddir/test/unit/transports/verbs/ud_pair
if ! [ -x "$pair" ]; then
    echo "FAIL: $pair was not built: its 6 checks (peer killed, busy and" \
        "mute peers with and without keepalive, flush acks) cannot run"
    failures=$((failures + 6))
else
    check "peer killed mid-stream" env VERVE_UD_TIMEOUT=2s timeout 120 \
        "$pair" fail
    check "busy peer kept alive" timeout 150 "$pair" busy
    check_fails "a busy peer without keepalive fails" \
        1 'ud_pair [0-9]+: (send of message [0-9]+|side 0: flush): peer failed' \
        env VERVE_UD_KEEPALIVE=0 timeout 150 "$pair" busy
    check "lost messages of a stopped sender resent" timeout 60 "$pair" mute
    check_fails "without keepalive, a stopped sender's loss stays lost" \
        1 'side 0: 0 of [0-9]+ messages from the stopped side' \
        env VERVE_UD_KEEPALIVE=0 timeout 60 "$pair" mute
    check "a flush sends the acks its side owes" timeout 60 "$pair" flushack
fi

check "peer failure, one device" \
    env VERVE_NET_DEVICES=rxe0:1 VERVE_UD_TIMEOUT=3s timeout 120 \
    "$IT/it_peer_failure" --eager --rma-in-flight
check "collectives, 3 ranks, a member dies" \
    rank_run 3 "$IT/it_coll_fail" VERVE_UD_TIMEOUT=3s

[ $failures = 0 ] || vt_fail "$failures ud engine check(s) failed"
