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
    trap vt_netem_clear_all EXIT
    vt_netem_add v0 loss 100% || vt_fail "cannot add netem loss on v0"
    vt_netem_show v0 | grep -q 'loss 100%' || vt_fail "netem loss not shown on v0"
    # With every packet v0 sends lost, rxe0's RC traffic cannot pass.
    vt_pair netem_loss 18515 10 \
        "ibv_rc_pingpong -d $VT_DEV_A -g $VT_GID_IPV4 -n 5" \
        "ibv_rc_pingpong -d $VT_DEV_B -g $VT_GID_IPV4 -n 5 $VT_ADDR_A" \
        2>/dev/null && vt_fail "RC traffic passed through 100% loss on v0"
    vt_note "100% loss on v0: ibv_rc_pingpong failed, as it must"
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
