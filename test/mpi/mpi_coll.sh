#!/bin/sh
# coll verve (src/ompi/coll) under mpirun: mpi_coll (every collective
# against a reference computed without collectives, on MPI_COMM_WORLD, a
# dup and two splits) at 1, 2, 3, 4, 7 and 8 ranks (past 2 the cores are
# oversubscribed) with coll verve at top priority, over pml ob1 and over
# pml verve; each rank must report calls run on verve, and the user-op
# allreduce handed to the next component. Once without coll verve, to
# show that the test passes on Open MPI's own collectives. Exits 77 (SKIP)
# when the components were not built; prints "FAIL: ..." for each failed
# check and exits 1.
. "$(dirname "$0")/mpi_lib.sh"

mpi_need mpi_coll mpi_coll_fail
[ -e "$top_builddir/src/ompi/coll/.libs/mca_coll_verve.so" ] ||
    { echo "FAIL: mca_coll_verve.so is not built"; exit 1; }
path=$top_builddir/src/ompi/coll/.libs:$top_builddir/src/ompi/pml/.libs
if [ -n "${OMPI_PKGLIBDIR:-}" ]; then
    path=$path:$OMPI_PKGLIBDIR
fi

# run_coll N PML [MPIRUN-OPTIONS...]: mpi_coll at N ranks over PML.
run_coll()
{
    _n=$1
    _pml=$2
    shift 2
    $TIMEOUT "$MPIRUN" --allow-run-as-root --oversubscribe -n "$_n" \
        --mca pml "$_pml" --mca mca_base_component_path "$path" \
        -x VERVE_TLS=shm,self "$@" "$MPI/mpi_coll" >"$tmp/out" 2>"$tmp/err"
}

name="mpi_coll, 4 ranks, Open MPI's collectives (no coll verve)"
run_coll 4 ob1 --mca coll ^verve
check_rc "$name" 0 $?
check_count "$name" "$tmp/out" '^mpi_coll: rank [0-9]+ of 4: all checks passed$' 4

# Over ob1, coll verve has a worker of its own; over pml verve and over
# pml cm with the verve mtl it runs on theirs.
for n in 1 2 3 4 7 8; do
    for pml in ob1 verve cm; do
        case "$pml:$n" in
        verve:2|verve:4|cm:2|ob1:*) ;;
        *) continue ;;
        esac
        name="mpi_coll, $n ranks, coll verve over pml $pml"
        case $pml in
        ob1) on=""; extra="" ;;
        verve) on=", on pml verve's worker"; extra="" ;;
        cm) on=", on mtl verve's worker"; extra="--mca mtl verve" ;;
        esac
        path_now=$path
        [ "$pml" = cm ] && path_now=$top_builddir/src/ompi/mtl/.libs:$path
        # shellcheck disable=SC2086 # $extra is a list of options
        path=$path_now run_coll "$n" "$pml" --mca coll_verve_priority 100 \
            --mca coll_base_verbose 1 $extra
        check_rc "$name" 0 $?
        check_count "$name" "$tmp/out" \
            "^mpi_coll: rank [0-9]+ of $n: all checks passed\$" "$n"
        check_count "$name: initialized" "$tmp/err" \
            "coll verve: rank [0-9]+: initialized, priority 100$on\$" "$n"
        if [ "$n" -ge 2 ]; then
            check_count "$name: calls on verve" "$tmp/err" \
                "coll verve: rank [0-9]+: [1-9][0-9]* calls ran on verve" "$n"
            # the user op's allreduce, counted per rank
            check_count "$name: user op to the next component" "$tmp/err" \
                "coll verve: rank [0-9]+: [0-9]+ allreduce calls went to the next component" \
                "$n"
        fi
    done
done

# The per-collective switch: allreduce left to tuned (no user-op line for
# it, the others still on verve); a name that is no collective is said.
name="mpi_coll, 2 ranks, coll_verve_disable=allreduce,iallreduce"
run_coll 2 ob1 --mca coll_verve_priority 100 --mca coll_base_verbose 1 \
    --mca coll_verve_disable allreduce,iallreduce
check_rc "$name" 0 $?
check_count "$name" "$tmp/out" '^mpi_coll: rank [0-9]+ of 2: all checks passed$' 2
check_count "$name: calls on verve" "$tmp/err" \
    "coll verve: rank [0-9]+: [1-9][0-9]* calls ran on verve" 2
check_count "$name: no allreduce handed on" "$tmp/err" \
    "coll verve: rank [0-9]+: [0-9]+ allreduce calls went" 0
name="mpi_coll, 2 ranks, coll_verve_disable=allreduse"
run_coll 2 ob1 --mca coll_verve_priority 100 --mca coll_base_verbose 1 \
    --mca coll_verve_disable allreduse
check_rc "$name" 0 $?
check_count "$name: said" "$tmp/err" \
    "coll verve: coll_verve_disable names 'allreduse', which is not a collective" 2
check_count "$name: coll verve unused" "$tmp/err" \
    "coll verve: rank [0-9]+: initialized" 0

# A rank dies inside an allreduce: rank 0 gets errors, not a hang.
for pml in ob1 verve; do
    name="mpi_coll_fail, coll verve over pml $pml"
    $TIMEOUT "$MPIRUN" --allow-run-as-root --oversubscribe -n 2 \
        --mca pml "$pml" --mca mca_base_component_path "$path" \
        -x VERVE_TLS=shm,self --mca coll_verve_priority 100 \
        --enable-recovery "$MPI/mpi_coll_fail" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        fail "$name: timed out (exit status $rc): a dead member hangs rank 0"
        show
    fi
    check_count "$name" "$tmp/out" \
        '^mpi_coll_fail: rank 0 of 2: all checks passed$' 1
    check_count "$name: errors returned" "$tmp/out" \
        '^mpi_coll_fail: rank 0: MPI_(Allreduce|Barrier) .*: ' 2
done

mpi_finish mpi_coll.sh
