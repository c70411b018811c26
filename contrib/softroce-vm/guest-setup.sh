#!/bin/sh
# Runs inside the SoftRoCE guest, chrooted into the overlay of the host's
# root (vm-run copies it to /run/vm-ctl/guest.sh). Makes two "hosts":
# network namespaces a and b joined by a veth pair, each end carrying its
# own rxe device, then runs the command in the root namespace.
# Two rxe devices on one namespace's veth ends cannot reach each other (the
# kernel routes local addresses through lo), hence the namespaces.
ctl=/run/vm-ctl
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

setup_fail()
{
    echo "vm-run(guest): network/rxe setup failed: $*" >&2
    echo 125 >$ctl/rc.setup
    exit 125
}

# Waits up to 10 s for $1's port 1 to become ACTIVE.
wait_active()
{
    i=0
    while [ $i -lt 100 ]; do
        if grep -q ACTIVE "/sys/class/infiniband/$1/ports/1/state" \
                2>/dev/null; then
            return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# rxe follows network namespaces only on newer kernels: 6.1's creates its
# UDP socket and looks up its routes in the initial namespace. There, a and
# b are names for the root namespace, both veth ends stay in it, and policy
# routing sends each rxe's packets out of its own veth end instead of
# through lo (static neighbours: no ARP between local addresses).
netns_rxe()
{
    set -- $(uname -r | tr '.-' '  ')
    [ "$1" -ge 7 ]
}

ip link set lo up
if [ -n "${VM_RXE_NETNS:-}" ] || netns_rxe; then
    topology=namespaces
    ip netns add a && ip netns add b || setup_fail "ip netns add"
    for ns in a b; do
        # No duplicate address detection: the link is private to the guest.
        ip netns exec $ns sysctl -q -w net.ipv6.conf.all.accept_dad=0 \
            net.ipv6.conf.default.accept_dad=0 >/dev/null 2>&1
        ip -n $ns link set lo up
    done
    ip link add v0 netns a type veth peer name v1 netns b ||
        setup_fail "ip link add v0 type veth"
    ip -n a addr add 10.11.0.1/24 dev v0 &&
        ip -n b addr add 10.11.0.2/24 dev v1 &&
        ip -n a link set v0 up && ip -n b link set v1 up ||
        setup_fail "veth addresses"
    ip netns exec a rdma link add rxe0 type rxe netdev v0 ||
        setup_fail "rdma link add rxe0 netdev v0"
    ip netns exec b rdma link add rxe1 type rxe netdev v1 ||
        setup_fail "rdma link add rxe1 netdev v1"
else
    topology=shared
    mkdir -p /run/netns
    for ns in a b; do
        touch /run/netns/$ns &&
            mount --bind /proc/self/ns/net /run/netns/$ns ||
            setup_fail "alias netns $ns"
    done
    sysctl -q -w net.ipv6.conf.all.accept_dad=0 \
        net.ipv6.conf.default.accept_dad=0 net.ipv4.conf.all.rp_filter=0 \
        net.ipv4.conf.default.rp_filter=0 >/dev/null 2>&1
    ip link add v0 type veth peer name v1 || setup_fail "ip link add veth"
    for d in v0 v1; do
        sysctl -q -w net.ipv4.conf.$d.rp_filter=0 \
            net.ipv4.conf.$d.accept_local=1 >/dev/null ||
            setup_fail "sysctl $d"
    done
    ip addr add 10.11.0.1/24 dev v0 && ip addr add 10.11.0.2/24 dev v1 &&
        ip link set v0 up && ip link set v1 up || setup_fail "veth addresses"
    mac0=$(cat /sys/class/net/v0/address)
    mac1=$(cat /sys/class/net/v1/address)
    ip neigh replace 10.11.0.2 lladdr "$mac1" dev v0 nud permanent &&
        ip neigh replace 10.11.0.1 lladdr "$mac0" dev v1 nud permanent &&
        ip route add 10.11.0.2 dev v0 src 10.11.0.1 table 101 &&
        ip route add 10.11.0.1 dev v1 src 10.11.0.2 table 102 &&
        ip rule add pref 10 iif lo from 10.11.0.1 to 10.11.0.2 table 101 &&
        ip rule add pref 11 iif lo from 10.11.0.2 to 10.11.0.1 table 102 &&
        ip rule add pref 100 table local && ip rule del pref 0 ||
        setup_fail "policy routing"
    rdma link add rxe0 type rxe netdev v0 ||
        setup_fail "rdma link add rxe0 netdev v0"
    rdma link add rxe1 type rxe netdev v1 ||
        setup_fail "rdma link add rxe1 netdev v1"
fi
echo "$topology" >$ctl/topology
# For tests that care: namespaces (a and b are two hosts) or shared (a and
# b are names for the root namespace: 6.1's rxe).
export VM_TOPOLOGY=$topology
wait_active rxe0 || setup_fail "rxe0 port not ACTIVE"
wait_active rxe1 || setup_fail "rxe1 port not ACTIVE"

export HOME=/root
: >$ctl/started
. $ctl/env
cwd=$(cat $ctl/cwd)
cd "$cwd" 2>/dev/null || {
    echo "vm-run(guest): the current directory $cwd is not visible in" \
         "the guest (/run and /dev/shm are the guest's own)" >&2
    echo 125 >$ctl/rc.setup
    exit 125
}
sh -c "$(cat $ctl/cmd)" </dev/null
