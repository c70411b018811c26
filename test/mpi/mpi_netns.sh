#!/bin/sh
# MPI across two "hosts" on one machine: mpi_p2p at 2 ranks under mpirun
# with pml verve, then pml cm and the verve mtl, over tcp alone, rank r in
# network
# namespace r % 2, the namespaces joined by a veth pair with addresses
# only inside them (as test/integration/it_tcp_netns.sh does for
# verve_run). mpirun forks both ranks here; mpi_in_netns.sh moves each
# into its namespace and relays its PMIx connection (see there).
# Checked: each rank is in its namespace and sees mpirun's session folder;
# mpi_p2p passes on both ranks; verve's component was used; each rank's
# tcp listens on its own veth end (verve's debug line, matched to the
# rank through the pid in the component's line); and each veth end sent at
# least the payload mpi_p2p sends to the other rank (its size test alone:
# 2 x (0 + 1 + 8 + 64 + 4 KiB + 64 KiB + 1 MiB + 4 MiB) bytes).
# Needs root and iproute2; SKIPs (77) when namespaces cannot be made or
# the component was not built. Everything made here is removed on exit.
. "$(dirname "$0")/mpi_lib.sh"

mpi_need mpi_p2p mpi_coll netns_relay
if [ "$(id -u)" -ne 0 ]; then
    skip "creating network namespaces needs root"
fi
if ! command -v ip >/dev/null 2>&1; then
    skip "the ip command (iproute2) is missing"
fi

# Unique per run, and interface names within 15 characters.
ns_a=vm-$$-a
ns_b=vm-$$-b
if_a=vm$$a
if_b=vm$$b
addr_a=10.78.0.1
addr_b=10.78.0.2
in_netns="$(dirname "$0")/mpi_in_netns.sh $ns_a,$ns_b $MPI/netns_relay \
$tmp/relay.log"
# Deleting a namespace deletes the veth end inside it, and so the pair.
mpi_cleanup="mpi_stop_relays; ip netns del $ns_a 2>/dev/null;
ip netns del $ns_b 2>/dev/null; ip link del $if_a 2>/dev/null; $mpi_cleanup"

ip netns add "$ns_a" 2>/dev/null ||
    skip "'ip netns add' failed: no network namespaces here"
ip netns add "$ns_b" 2>/dev/null ||
    skip "'ip netns add' failed: no network namespaces here"
ip link add "$if_a" type veth peer name "$if_b" 2>/dev/null ||
    skip "'ip link add type veth' failed: no veth support here"
if ! { ip link set "$if_a" netns "$ns_a" &&
       ip link set "$if_b" netns "$ns_b" &&
       ip -n "$ns_a" addr add "$addr_a/24" dev "$if_a" &&
       ip -n "$ns_b" addr add "$addr_b/24" dev "$if_b" &&
       ip -n "$ns_a" link set lo up && ip -n "$ns_b" link set lo up &&
       ip -n "$ns_a" link set "$if_a" up &&
       ip -n "$ns_b" link set "$if_b" up; }; then
    echo "FAIL: setting up the veth pair between $ns_a and $ns_b"
    exit 1
fi

# Bytes sent by veth end $2 (in namespace $1) so far.
tx_bytes()
{
    ip netns exec "$1" cat "/sys/class/net/$2/statistics/tx_bytes"
}

# Where the ranks run: each must see only its own veth address, and
# mpirun's session folder (PMIx's rendezvous files are under it).
name="2 ranks placed in $ns_a and $ns_b"
$TIMEOUT "$MPIRUN" --allow-run-as-root -n 2 $in_netns sh -c \
    'echo "rank $OMPI_COMM_WORLD_RANK:" \
          "$(ip -4 -o addr show | grep -o " 10\.78\.0\.[0-9]*" | tr -d " ")" \
          "$([ -d "$PMIX_SERVER_TMPDIR" ] && echo session folder seen)"' \
    >"$tmp/out" 2>"$tmp/err"
check_rc "$name" 0 $?
check_count "$name: rank 0" "$tmp/out" \
    "^rank 0: $addr_a session folder seen\$" 1
check_count "$name: rank 1" "$tmp/out" \
    "^rank 1: $addr_b session folder seen\$" 1

for layer in pml mtl; do
    mpi_use_layer $layer
    name="mpi_p2p, 2 ranks across namespaces, VERVE_TLS=tcp, $layer verve"
    tx_a=$(tx_bytes "$ns_a" "$if_a")
    tx_b=$(tx_bytes "$ns_b" "$if_b")
    mpirun_verve 2 tcp -x VERVE_TCP_IF="$if_a,$if_b" -x VERVE_LOG_LEVEL=debug \
        $in_netns "$MPI/mpi_p2p"
    check_rc "$name" 0 $?
    check_selected "$name" 2
    check_count "$name" "$tmp/out" \
        '^mpi_p2p: rank [0-9]+ of 2: all checks passed$' 2

    # Where each rank's tcp listens (verve's debug line of its pid).
    for rank in 0 1; do
        if [ $rank = 0 ]; then
            want="$if_a ($addr_a)"
        else
            want="$if_b ($addr_b)"
        fi
        pid=$(mpi_rank_pid $rank)
        listens=$(mpi_rank_sed $rank 's/.* listens on \(.*\) port [0-9]*$/\1/p')
        if [ "$listens" = "$want" ]; then
            ok "$name: rank $rank (pid $pid) listens on $listens"
        else
            fail "$name: rank $rank (pid ${pid:-?}) listens on '$listens'," \
                 "expected '$want'"
            show
        fi
    done

    payload=$((2 * (1 + 8 + 64 + 4096 + 65536 + 1048576 + 4194304)))
    for end in "$ns_a $if_a $tx_a" "$ns_b $if_b $tx_b"; do
        set -- $end
        sent=$(($(tx_bytes "$1" "$2") - $3))
        if [ "$sent" -ge "$payload" ]; then
            ok "$name: $2 sent $sent bytes (at least $payload)"
        else
            fail "$name: $2 sent $sent bytes, fewer than mpi_p2p's $payload" \
                 "to the other rank: the ranks did not talk over the veth"
        fi
    done
done

# MPI's collectives on coll verve across the namespaces, on the worker of
# pml verve and of the verve mtl (ob1's btl tcp does not reach across
# them here: MPI_Init fails with "unreachable", coll verve or not).
for layer in pml mtl; do
    mpi_use_layer $layer
    component_path=$top_builddir/src/ompi/coll/.libs:$component_path
    name="mpi_coll, 2 ranks across namespaces, VERVE_TLS=tcp, coll verve"
    name="$name over $layer verve"
    mpirun_verve 2 tcp -x VERVE_TCP_IF="$if_a,$if_b" \
        --mca coll_verve_priority 100 --mca coll_base_verbose 1 \
        $in_netns "$MPI/mpi_coll"
    check_rc "$name" 0 $?
    check_count "$name" "$tmp/out" \
        '^mpi_coll: rank [0-9]+ of 2: all checks passed$' 2
    check_count "$name: on $layer verve's worker" "$tmp/err" \
        "coll verve: rank [0-9]+: initialized, priority 100, on $layer verve's worker" 2
    check_count "$name: calls on verve" "$tmp/err" \
        "coll verve: rank [0-9]+: [1-9][0-9]* calls ran on verve" 2
done

mpi_finish mpi_netns.sh
