#!/bin/sh
# MPI over rc, then over ud: mpi_p2p at 2 ranks under mpirun with pml
# verve, then with pml cm and the verve mtl (VERVE_TLS=rc,self, then
# ud,self), rank r in
# namespace a or b (r % 2), so that each rank has its own rxe device and
# every byte between them crosses the veth as RoCE. mpirun forks both
# ranks in the root namespace; test/mpi/mpi_in_netns.sh moves each into
# its namespace and relays its PMIx connection. Checked, for each
# transport: mpi_p2p passes on both ranks; verve's component was used; each
# rank's endpoint to the other is on that transport (verve's debug line);
# each rxe device sent at least one packet per 4 KiB (the largest RoCE
# MTU) of the payload mpi_p2p sends to the other rank. Then mpi_rma
# (one-sided MPI through osc pt2pt) over the same transport. Skips when
# the components or mpirun are absent.
. "${VT_DIR:-$(dirname "$0")}/lib-verbs.sh"
vt_need_guest

# configure's findings (the guest's environment does not carry them).
make_var()
{
    sed -n "s/^$1 = //p" "$top_builddir/Makefile" 2>/dev/null
}
MPI_HAVE_MTL=$(make_var MPI_HAVE_MTL)
OMPI_MPIRUN=$(make_var OMPI_MPIRUN)
OMPI_PKGLIBDIR=$(make_var OMPI_PKGLIBDIR)
# TCG: one mpirun takes 7 to 30 s here (run-all.sh allows 360 s a test).
MPI_TIMEOUT=150
. "$top_srcdir/test/mpi/mpi_lib.sh"
mpi_need mpi_p2p mpi_rma netns_relay
vt_need_cmd unshare hostname

# The guest has no hostname ("(none)"), which mpirun refuses ("illegal
# character in the following node name"): it runs in a UTS namespace of
# its own, named, and so do the ranks it forks.
cat >"$tmp/mpirun" <<EOF_MPIRUN
#!/bin/sh
exec unshare --uts sh -c 'hostname verve-guest && exec "\$0" "\$@"' \
    "$MPIRUN" "\$@"
EOF_MPIRUN
chmod +x "$tmp/mpirun"
MPIRUN=$tmp/mpirun

if [ "${VM_TOPOLOGY:-namespaces}" = namespaces ]; then
    ranks="$top_srcdir/test/mpi/mpi_in_netns.sh a,b $MPI/netns_relay \
$tmp/relay.log"
    mpi_cleanup="mpi_stop_relays; $mpi_cleanup"
else
    # 6.1's rxe ignores namespaces: every rank stays in the root one and
    # names its device.
    cat >"$tmp/by_rank" <<'WRAP'
#!/bin/sh
export VERVE_NET_DEVICES=rxe$((OMPI_COMM_WORLD_RANK % 2)):1
exec "$@"
WRAP
    chmod +x "$tmp/by_rank"
    ranks=$tmp/by_rank
fi

sent_pkts()
{
    cat "/sys/class/infiniband/$1/ports/1/hw_counters/sent_pkts"
}

payload=$((2 * (1 + 8 + 64 + 4096 + 65536 + 1048576 + 4194304)))
for tl in rc ud; do
for layer in pml mtl; do
    mpi_use_layer $layer
    name="mpi_p2p, 2 ranks, VERVE_TLS=$tl,self, $layer verve"
    sent_a=$(sent_pkts "$VT_DEV_A")
    sent_b=$(sent_pkts "$VT_DEV_B")
    t0=$(date +%s)
    mpirun_verve 2 "$tl,self" -x VERVE_LOG_LEVEL=debug $ranks "$MPI/mpi_p2p"
    check_rc "$name" 0 $?
    vt_note "$name: $(($(date +%s) - t0)) s"
    check_selected "$name" 2
    check_count "$name" "$tmp/out" \
        '^mpi_p2p: rank [0-9]+ of 2: all checks passed$' 2
    # Rank r on the device of namespace r % 2.
    for rank in 0 1; do
        want=$VT_DEV_A
        [ $rank = 1 ] && want=$VT_DEV_B
        pid=$(mpi_rank_pid $rank)
        used=$(mpi_rank_sed $rank 's/.* verbs: using \([^:]*\):.*/\1/p')
        if [ "$used" = "$want" ]; then
            ok "$name: rank $rank (pid $pid) uses $used"
        else
            fail "$name: rank $rank (pid ${pid:-?}) uses '$used', expected" \
                 "$want"
        fi
    done
    # Each rank's endpoint to the other (not to itself, which is on
    # self): "worker W: endpoint to U on TL" with U != W.
    got=$(sed -n "s/.* worker \\([0-9a-f]*\\): endpoint to \\([0-9a-f]*\\)\
 on $tl\$/\\1 \\2/p" "$tmp/err" | awk '$1 != $2' | wc -l)
    if [ "$got" -eq 2 ]; then
        ok "$name: both ranks' endpoints to the other on $tl"
    else
        fail "$name: $got endpoints between the ranks on $tl, expected 2"
        grep 'endpoint to' "$tmp/err"
    fi
    for dev in "$VT_DEV_A $sent_a" "$VT_DEV_B $sent_b"; do
        set -- $dev
        sent=$(($(sent_pkts "$1") - $2))
        if [ "$sent" -ge $((payload / 4096)) ]; then
            ok "$name: $1 sent $sent packets (at least $((payload / 4096)))"
        else
            fail "$name: $1 sent $sent packets, fewer than" \
                 "$((payload / 4096)) for mpi_p2p's $payload bytes"
        fi
    done
    echo "$name: $(grep -c DEBUG "$tmp/err") debug lines; the first:"
    grep DEBUG "$tmp/err" | head -8

    # One-sided, through osc pt2pt (see test/mpi/mpi_suite.sh).
    name="mpi_rma, 2 ranks, VERVE_TLS=$tl,self, $layer verve"
    mpirun_verve 2 "$tl,self" --mca osc pt2pt --mca osc_base_verbose 1 \
        $ranks "$MPI/mpi_rma"
    check_rc "$name" 0 $?
    check_selected "$name" 2
    check_count "$name: osc pt2pt" "$tmp/err" \
        '^\[.*\] pt2pt component destroying window with id [0-9]+$' 4
    check_count "$name" "$tmp/out" \
        '^mpi_rma: rank [0-9]+ of 2: all checks passed$' 2
done
done

mpi_finish mpi_rc.sh
