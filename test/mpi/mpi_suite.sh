# The MPI suite, sourced by mpi_pml.sh (pml verve) and mpi_mtl.sh (pml cm
# with the verve mtl), which set MPI_LAYER: under Open MPI's mpirun,
# mpi_p2p at 2 and 4 ranks (4 oversubscribes the cores) over shm and over
# tcp, mpi_rma (one-sided, through osc pt2pt) likewise, mpi_threads under
# MPI_THREAD_MULTIPLE, and mpi_fail, a peer that dies while rank 0 waits
# for it. Every run must show that verve's component carries
# point-to-point on each rank (check_selected in mpi_lib.sh). Exits 77
# (SKIP) when the components were not built; prints "FAIL: ..." for each
# failed check and exits 1.
. "$(dirname "$0")/mpi_lib.sh"
mpi_use_layer "$MPI_LAYER"

mpi_need mpi_p2p mpi_fail mpi_threads mpi_rma

for tls in shm,self tcp,self; do
    for n in 2 4; do
        name="mpi_p2p, $n ranks, VERVE_TLS=$tls"
        mpirun_verve "$n" "$tls" "$MPI/mpi_p2p"
        check_rc "$name" 0 $?
        check_selected "$name" "$n"
        check_count "$name" "$tmp/out" \
            "^mpi_p2p: rank [0-9]+ of $n: all checks passed$" "$n"
    done
done

# One-sided MPI over verve. Under pml verve or cm, osc pt2pt is the component
# that carries windows over point-to-point (and so over verve); it must be
# named: Debian's openmpi-mca-params.conf excludes it (osc = ^ucx,pt2pt),
# which leaves osc rdma, which drives the btls (vader, tcp) itself,
# bypassing verve, and crashes in Open MPI 4.1.4 on MPI_Compare_and_swap
# over vader (also under pml ob1; open-mpi/ompi#11349). osc sm takes only
# MPI_Win_allocate_shared windows. osc_base_verbose 1 makes pt2pt print
# "pt2pt component destroying window" at each MPI_Win_free: mpi_rma frees
# two windows (MPI_Win_create, MPI_Win_allocate) on each rank.
for tls in shm,self tcp,self; do
    for n in 2 4; do
        name="mpi_rma, $n ranks, VERVE_TLS=$tls"
        mpirun_verve "$n" "$tls" --mca osc pt2pt --mca osc_base_verbose 1 \
            "$MPI/mpi_rma"
        check_rc "$name" 0 $?
        check_selected "$name" "$n"
        check_count "$name: osc pt2pt" "$tmp/err" \
            '^\[.*\] pt2pt component destroying window with id [0-9]+$' \
            $((2 * n))
        check_count "$name" "$tmp/out" \
            "^mpi_rma: rank [0-9]+ of $n: all checks passed$" "$n"
    done
done

for tls in shm,self tcp,self; do
    name="mpi_threads, 2 ranks, VERVE_TLS=$tls"
    mpirun_verve 2 "$tls" "$MPI/mpi_threads"
    check_rc "$name" 0 $?
    check_selected "$name" 2
    check_count "$name" "$tmp/out" \
        '^mpi_threads: rank [0-9]+ of 2: all checks passed$' 2
    if grep -q 'MPI_THREAD_MULTIPLE not provided' "$tmp/out"; then
        echo "note: this Open MPI does not provide MPI_THREAD_MULTIPLE;" \
             "mpi_threads ran single-threaded"
    else
        check_count "$name: thread mode" "$tmp/err" \
            "$MPI_LAYER verve: initialized.*thread mode multi" 2
    fi
done

# A dead peer: rank 0 must report errors, not hang, and the component
# must name the peer and the cause. --enable-recovery keeps mpirun from
# killing rank 0 as soon as rank 1 is gone.
for tls in shm,self tcp,self; do
    name="mpi_fail, VERVE_TLS=$tls"
    mpirun_verve 2 "$tls" --enable-recovery "$MPI/mpi_fail"
    rc=$?
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        fail "$name: timed out (exit status $rc): a dead peer hangs rank 0"
        show
    fi
    check_selected "$name" 2
    check_count "$name" "$tmp/out" \
        '^mpi_fail: rank 0 of 2: all checks passed$' 1
    check_count "$name: errors returned" "$tmp/out" \
        '^mpi_fail: rank 0: MPI_(Recv|Wait|Send|Probe) .*: ' 4
    check_count "$name: the $MPI_LAYER names the dead peer" "$tmp/err" \
        "$MPI_LAYER verve: rank 0: peer rank 1 on .* failed: " 1
done

# The MCA parameter file of README.md ("MPI over verve"): in
# $HOME/.openmpi/mca-params.conf it makes a plain mpirun use verve
# (its values take precedence over Open MPI's system file, which on Debian
# says pml = ^ucx and osc = ^ucx,pt2pt). Windows: osc sm takes those of
# MPI_Win_allocate when every rank is on this node, as here, osc pt2pt
# the others (one MPI_Win_create window per rank). A HOME of our own, so
# that the user's file plays no part.
mkdir -p "$tmp/home/.openmpi"
if [ "$MPI_LAYER" = pml ]; then
    echo "pml = verve"
else
    printf 'pml = cm\nmtl = verve\n'
fi >"$tmp/home/.openmpi/mca-params.conf"
cat >>"$tmp/home/.openmpi/mca-params.conf" <<EOF
osc = sm,pt2pt
btl = self
mca_base_component_path = $component_path
EOF
for program in mpi_p2p mpi_rma; do
    name="$program, 2 ranks, plain mpirun with ~/.openmpi/mca-params.conf"
    HOME=$tmp/home $TIMEOUT env -u VERVE_TLS "$MPIRUN" --allow-run-as-root \
        -n 2 --mca ${MPI_LAYER}_base_verbose 1 --mca osc_base_verbose 1 \
        "$MPI/$program" >"$tmp/out" 2>"$tmp/err"
    check_rc "$name" 0 $?
    check_selected "$name" 2
    # a one-node job needs no tcp listener, no device probe
    check_count "$name: one node, shm and self" "$tmp/err" \
        "$MPI_LAYER verve: all 2 ranks share this node: transports shm,self" 2
    check_count "$name" "$tmp/out" \
        "^$program: rank [0-9]+ of 2: all checks passed\$" 2
done
check_count "$name: osc pt2pt" "$tmp/err" \
    '^\[.*\] pt2pt component destroying window with id [0-9]+$' 2

# Leaks whose allocation passes through the component or libverve (their
# source folders or libraries appear in the stack; libmpi's frames alone
# do not count). Open MPI has no frame pointers: the slow unwinder.
if [ "$asan" = yes ]; then
    name="mpi_p2p, 2 ranks, leaks from verve"
    leak_options=detect_leaks=1:fast_unwind_on_malloc=0
    ASAN_OPTIONS="${asan_options:+$asan_options:}$leak_options" \
    LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}exitcode=0" \
        mpirun_verve 2 shm,self "$MPI/mpi_p2p"
    check_rc "$name" 0 $?
    verve_frames='mca_(pml|mtl)_verve|libverve'
    verve_frames="$verve_frames|/src/(core|am|coll|transports|ompi)/"
    if grep -q -E "$verve_frames" "$tmp/err"; then
        fail "$name: LeakSanitizer reports blocks allocated in verve"
        # Each leak is a paragraph: show those with verve's frames.
        awk -v RS= -v pattern="$verve_frames" \
            '$0 ~ pattern { print; print "" }' "$tmp/err" | head -60
    else
        ok "$name: none ($(grep -c 'leak of' "$tmp/err") blocks of Open" \
           "MPI's own)"
    fi
fi

mpi_finish "mpi_$MPI_LAYER.sh"
