#!/bin/sh
# mpi_in_netns.sh NS0,NS1[,...] RELAY LOG PROGRAM [ARGS...]: what mpirun
# starts in place of an MPI program, so that rank r (mpirun forks every
# rank on this host) runs in network namespace number r mod the list's
# length, as a rank on another host would. Used by mpi_netns.sh (tcp
# across a veth pair) and test/verbs/mpi_rc.sh (rc and ud between the
# SoftRoCE guest's namespaces).
#
# `ip netns exec` also gives the rank a mount namespace of its own, with
# that network namespace's /sys; /tmp, where mpirun's session folder
# (PMIX_SERVER_TMPDIR) lives, is the same. What a namespace does not
# share is the loopback: PMIx 4 dropped its Unix-socket transport, and a
# rank finds mpirun's PMIx server at tcp4://127.0.0.1:PORT in
# PMIX_SERVER_URI*, which it cannot reach from another namespace (MPI_Init
# fails: "OPAL ERROR: Unreachable in file ext3x_client.c"). RELAY is
# test/mpi/netns_relay, which listens on that port in the rank's namespace
# and relays to mpirun's; its lines go to LOG (its pid among them, for the
# caller to stop it by its id).
# Exit status: the program's (it is exec'ed), or 1 when the relay fails.
set -u
if [ $# -lt 4 ]; then
    echo "usage: mpi_in_netns.sh NS0,NS1[,...] RELAY LOG PROGRAM [ARGS...]" >&2
    exit 2
fi
list=$1 relay=$2 log=$3
shift 3

rank=${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-}}
if [ -z "$rank" ]; then
    echo "mpi_in_netns.sh: no OMPI_COMM_WORLD_RANK: run me under mpirun" >&2
    exit 1
fi
count=$(echo "$list" | tr ',' '\n' | grep -c .)
ns=$(echo "$list" | tr ',' '\n' | sed -n "$((rank % count + 1))p")

uri=${PMIX_SERVER_URI41:-${PMIX_SERVER_URI4:-${PMIX_SERVER_URI3:-}}}
case $uri in
*';tcp4://127.0.0.1:'*)
    port=${uri##*:}
    if ! "$relay" "$ns" "$port" >>"$log" 2>&1; then
        echo "mpi_in_netns.sh: rank $rank: $relay $ns $port failed" \
             "(see $log)" >&2
        exit 1
    fi
    ;;
*)
    # Another PMIx (a Unix socket, or another address): nothing to relay.
    echo "mpi_in_netns.sh: rank $rank: PMIx server at '$uri', not relayed" \
         >>"$log"
    ;;
esac
exec ip netns exec "$ns" "$@"
