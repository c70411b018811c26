#!/bin/sh
# Packet faults on the guest's veth link (tc netem), for the UD reliability
# and RC retry tests. Source it for its functions:
#   . "$VT_DIR/netem.sh"
#   vt_netem_add v0 loss 5%            # or: both loss 5%, v1 duplicate 10%
#   vt_netem_add both delay 1ms reorder 25% 50%
#   ... run the traffic ...
#   vt_netem_del both                  # also done by vt_netem_clear_all
# Arguments after the interface are netem's own (loss, duplicate, delay,
# reorder, corrupt, rate ...: see tc-netem(8)); v0 is in namespace a, v1 in
# b, "both" means the two ends. A fault applies to what the end sends.
# Run as a test (sh netem.sh), it checks that netem really drops packets.
. "${VT_DIR:-$(dirname "$0")}/lib-verbs.sh"

# Prints the namespace that holds interface $1.
vt_netem_ns()
{
    case $1 in
    v0) echo a ;;
    v1) echo b ;;
    *) echo "vt_netem: unknown interface '$1' (v0, v1 or both)" >&2
       return 1 ;;
    esac
}

# vt_netem_add IFACE|both NETEM-ARGS...: replaces IFACE's root qdisc by netem.
vt_netem_add()
{
    _if=$1
    shift
    if [ "$_if" = both ]; then
        vt_netem_add v0 "$@" && vt_netem_add v1 "$@"
        return
    fi
    _ns=$(vt_netem_ns "$_if") || return 1
    ip netns exec "$_ns" tc qdisc replace dev "$_if" root netem "$@" || {
        echo "vt_netem_add: tc qdisc replace dev $_if root netem $* failed" >&2
        return 1
    }
}

# vt_netem_del IFACE|both: back to the default qdisc (no fault).
vt_netem_del()
{
    if [ "$1" = both ]; then
        vt_netem_del v0 && vt_netem_del v1
        return
    fi
    _ns=$(vt_netem_ns "$1") || return 1
    # Nothing to delete is not an error.
    ip netns exec "$_ns" tc qdisc del dev "$1" root 2>/dev/null
    return 0
}

vt_netem_clear_all()
{
    vt_netem_del both
}

# Prints IFACE's netem settings ("" when none).
vt_netem_show()
{
    _ns=$(vt_netem_ns "$1") || return 1
    ip netns exec "$_ns" tc qdisc show dev "$1" | grep netem
}

vt_netem_selftest()
{
    vt_need_guest
    vt_need_cmd tc ibv_rc_pingpong
    trap 'vt_netem_clear_all; ip netns exec a ip link del w0 2>/dev/null
        ip netns exec a ip neigh del "$VT_ADDR_B" dev v0 2>/dev/null
        ip netns exec b ip neigh del "$VT_ADDR_A" dev v1 2>/dev/null' EXIT
    # The pingpongs exchange their queue pairs' addresses over TCP: over a
    # second, clean link (w0-w1), so that the exchange succeeds and only
    # the RC traffic meets the loss. Over v0 the exchange itself would be
    # lost and the check would pass on a connection that never started.
    ip link add w0 netns a type veth peer name w1 netns b &&
        ip netns exec a ip addr add 10.12.0.1/24 dev w0 &&
        ip netns exec b ip addr add 10.12.0.2/24 dev w1 &&
        ip netns exec a ip link set w0 up &&
        ip netns exec b ip link set w1 up ||
        vt_fail "cannot make the second link w0-w1"
    # Moving the queue pairs to RTR resolves the peer's MAC over v0: with
    # the loss on, that fails first ("Failed to modify QP to RTR"), before
    # any RC packet. Permanent neighbour entries leave only the RC traffic
    # to the loss.
    _mac_a=$(ip netns exec a cat /sys/class/net/v0/address) &&
        _mac_b=$(ip netns exec b cat /sys/class/net/v1/address) &&
        ip netns exec a ip neigh replace "$VT_ADDR_B" lladdr "$_mac_b" \
            dev v0 nud permanent &&
        ip netns exec b ip neigh replace "$VT_ADDR_A" lladdr "$_mac_a" \
            dev v1 nud permanent ||
        vt_fail "cannot pin the neighbour entries of v0 and v1"
    vt_netem_add v0 loss 100% || vt_fail "cannot add netem loss on v0"
    vt_netem_show v0 | grep -q 'loss 100%' || vt_fail "netem loss not shown on v0"
    # With every packet v0 sends lost, rxe0's RC traffic cannot pass. Two
    # endings show that: the client's sends end with their retries
    # exhausted (exit 1, "transport retry counter exceeded"), or, as rxe
    # does under TCG, both ends wait until the timeout stops them (124).
    # Either way both must have exchanged their addresses first ("remote
    # address"), and no iteration may have completed ("usec/iter"); any
    # other failure (a QP that could not reach RTR, a crash) proves nothing.
    _msg=$(vt_pair netem_loss 18515 20 \
        "stdbuf -oL ibv_rc_pingpong -d $VT_DEV_A -g $VT_GID_IPV4 -n 5" \
        "stdbuf -oL ibv_rc_pingpong -d $VT_DEV_B -g $VT_GID_IPV4 -n 5 10.12.0.1" 2>&1) &&
        vt_fail "RC traffic passed through 100% loss on v0"
    _srv=$VT_TMP/netem_loss.server.log _cli=$VT_TMP/netem_loss.client.log
    if grep -q 'remote address' "$_srv" && grep -q 'remote address' "$_cli" &&
            ! grep -q 'usec/iter' "$_srv" "$_cli"; then
        case $(printf '%s\n' "$_msg" | sed -n 's/^vt_pair netem_loss: //p') in
        *"client status 1") grep -q 'transport retry counter exceeded' "$_cli" &&
            _how="the client's retries were exhausted" ;;
        *"server status 124, client status 124") _how="both ends timed out" ;;
        esac
    fi
    if [ -z "${_how:-}" ]; then
        printf '%s\n' "$_msg"
        vt_fail "100% loss on v0: ibv_rc_pingpong failed, but not as lost" \
            "RC traffic makes it fail (addresses exchanged, then retries" \
            "exhausted or both ends waiting until the timeout)"
    fi
    vt_note "100% loss on v0: ibv_rc_pingpong's RC traffic did not pass" \
        "($_how), as it must"
    vt_netem_del v0
    [ -z "$(vt_netem_show v0)" ] || vt_fail "netem still on v0 after vt_netem_del"
    vt_netem_add both duplicate 50% delay 1ms reorder 25% 50% ||
        vt_fail "cannot add duplicate/delay/reorder on both ends"
    vt_pair netem_dup 18515 60 \
        "ibv_rc_pingpong -d $VT_DEV_A -g $VT_GID_IPV4 -n 50" \
        "ibv_rc_pingpong -d $VT_DEV_B -g $VT_GID_IPV4 -n 50 $VT_ADDR_A" ||
        vt_fail "RC traffic failed under duplication and reordering"
    vt_note "50% duplicates, 25% reordering: ibv_rc_pingpong passed," \
        "$(grep 'usec/iter' "$VT_TMP/netem_dup.client.log")"
    vt_netem_clear_all
    exit 0
}

case ${0##*/} in
netem.sh) vt_netem_selftest ;;
esac
