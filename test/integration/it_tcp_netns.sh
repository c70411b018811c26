#!/bin/sh
# Two "hosts" on one machine: network namespaces joined by a veth pair,
# with addresses only inside them. it_am and it_rma run across them over
# tcp alone, under verve_run --netns. Needs root and iproute2; SKIPs
# (exit 77) when namespaces cannot be made. Everything made here is
# removed on exit.
set -u
. "$(dirname "$0")/it_lib.sh"

skip()
{
    echo "SKIP: $*"
    exit 77
}

if [ "$(id -u)" -ne 0 ]; then
    skip "creating network namespaces needs root"
fi
if ! command -v ip >/dev/null 2>&1; then
    skip "the ip command (iproute2) is missing"
fi

# Unique per run, and interface names within 15 characters.
ns_a=vv-$$-a
ns_b=vv-$$-b
if_a=vv$$a
if_b=vv$$b

cleanup()
{
    # Deleting a namespace deletes the veth end inside it, and so the pair.
    ip netns del "$ns_a" 2>/dev/null
    ip netns del "$ns_b" 2>/dev/null
    ip link del "$if_a" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

ip netns add "$ns_a" 2>/dev/null ||
    skip "'ip netns add' failed: no network namespaces here"
ip netns add "$ns_b" 2>/dev/null ||
    skip "'ip netns add' failed: no network namespaces here"
ip link add "$if_a" type veth peer name "$if_b" 2>/dev/null ||
    skip "'ip link add type veth' failed: no veth support here"
if ! { ip link set "$if_a" netns "$ns_a" &&
       ip link set "$if_b" netns "$ns_b" &&
       ip -n "$ns_a" addr add 10.77.0.1/24 dev "$if_a" &&
       ip -n "$ns_b" addr add 10.77.0.2/24 dev "$if_b" &&
       ip -n "$ns_a" link set lo up && ip -n "$ns_b" link set lo up &&
       ip -n "$ns_a" link set "$if_a" up &&
       ip -n "$ns_b" link set "$if_b" up; }; then
    echo "FAIL: setting up the veth pair between $ns_a and $ns_b"
    exit 1
fi

# Each namespace sees only its own end: the first name that is up there.
tcp="env VERVE_TLS=tcp VERVE_TCP_IF=$if_a,$if_b"
run "am across namespaces, 2 ranks" $tcp \
    "$RUN" -n 2 --netns "$ns_a,$ns_b" --timeout 120 "$IT/it_am" --eager-only
run "am across namespaces, 4 ranks (2 per namespace)" $tcp \
    "$RUN" -n 4 --netns "$ns_a,$ns_b" --timeout 120 "$IT/it_am" --eager-only
run "rma across namespaces, 2 ranks" $tcp \
    "$RUN" -n 2 --netns "$ns_a,$ns_b" --timeout 120 "$IT/it_rma"
run "rma across namespaces, 3 ranks" $tcp \
    "$RUN" -n 3 --netns "$ns_a,$ns_b" --timeout 120 "$IT/it_rma"
run "tag across namespaces, 3 ranks" $tcp \
    "$RUN" -n 3 --netns "$ns_a,$ns_b" --timeout 120 "$IT/it_tag" \
    --stream 1000
# local rank and size are counted per namespace
# (ranks 0 and 2 in the first, 1 in the second), and each rank sees only
# its namespace's end of the pair
run "local ranks per namespace" "$RUN" -n 3 --netns "$ns_a,$ns_b" \
    sh -c 'r=$VERVE_RUN_RANK:$VERVE_RUN_LOCAL_RANK:$VERVE_RUN_LOCAL_SIZE
           case $r in 0:0:2|1:0:1|2:1:2) ;; *) echo "bad: $r"; exit 1 ;; esac
           n=$(ip -4 -o addr show | grep -c " 10\.77\.0\.")
           [ "$n" -eq 1 ] || { echo "$n veth addresses"; exit 1; }'

it_finish
