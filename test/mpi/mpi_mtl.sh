#!/bin/sh
# The verve mtl under Open MPI's mpirun (--mca pml cm --mca mtl verve):
# mpi_p2p at 2 and 4 ranks (4 oversubscribes the cores) over shm and over
# tcp, mpi_threads under MPI_THREAD_MULTIPLE, and mpi_fail, a peer that
# dies while rank 0 waits for it. Every run must show that the verve mtl
# carries point-to-point on each rank: its "mtl verve: rank R has
# endpoints to N processes" line at mtl_base_verbose 1, which only pml
# cm's add_procs makes it print, so a fallback to ob1 (which would still
# let cm initialise the mtl, then drop it) or to another mtl fails.
# Run by `make check` with $top_builddir, $MPI_HAVE_MTL, $OMPI_MPIRUN and
# $OMPI_PKGLIBDIR set from configure; exits 77 (SKIP) when the component
# was not built; prints "FAIL: ..." for each failed check and exits 1.
set -u

top_builddir=${top_builddir:-.}
MPI=$top_builddir/test/mpi
COMPONENT_DIR=$top_builddir/src/ompi/mtl/.libs
MPIRUN=${OMPI_MPIRUN:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpi_mtl.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0

skip()
{
    echo "SKIP: $*"
    exit 77
}

fail()
{
    echo "FAIL: $*"
    failures=$((failures + 1))
}

ok()
{
    echo "ok: $*"
}

show()
{
    echo "--- stdout:"; tail -20 "$tmp/out"
    echo "--- stderr:"; tail -30 "$tmp/err"
}

if [ "${MPI_HAVE_MTL:-no}" != yes ]; then
    skip "the Open MPI mtl component was not built (configure found no" \
         "Open MPI 4.1 with its internal headers; see --with-ompi)"
fi
if [ -z "$MPIRUN" ] || [ ! -x "$MPIRUN" ]; then
    skip "configure found no mpirun next to mpicc (OMPI_MPIRUN='$MPIRUN')"
fi
for file in "$COMPONENT_DIR/mca_mtl_verve.so" "$MPI/mpi_p2p" \
            "$MPI/mpi_fail" "$MPI/mpi_threads"; do
    if [ ! -e "$file" ]; then
        echo "FAIL: $file is not built"
        exit 1
    fi
done

# In the sanitizer build the MPI programs carry the ASan runtime, so the
# component (and libverve) that their MPI_Init loads finds it in place.
# Leak checking is off in the runs below, as Open MPI leaks thousands of
# blocks of its own; one run at the end looks for leaks from verve's
# code only.
asan=no
if nm "$MPI/mpi_p2p" 2>/dev/null | grep -q __asan_init; then
    asan=yes
    asan_options=${ASAN_OPTIONS:-}
    ASAN_OPTIONS="${asan_options:+$asan_options:}detect_leaks=0"
    export ASAN_OPTIONS
fi

# Open MPI's own folder must stay on the path, or pml cm is not found.
component_path=$COMPONENT_DIR
if [ -n "${OMPI_PKGLIBDIR:-}" ]; then
    component_path=$component_path:$OMPI_PKGLIBDIR
fi
TIMEOUT=
if command -v timeout >/dev/null; then
    TIMEOUT="timeout -k 5 180"
fi

# mpirun_mtl N TLS PROGRAM ARGS...: output in $tmp/out and $tmp/err.
mpirun_mtl()
{
    n=$1
    tls=$2
    shift 2
    $TIMEOUT "$MPIRUN" --allow-run-as-root --oversubscribe -n "$n" \
        --mca pml cm --mca mtl verve --mca mtl_base_verbose 1 \
        --mca mca_base_component_path "$component_path" \
        -x VERVE_TLS="$tls" "$@" >"$tmp/out" 2>"$tmp/err"
}

check_rc()
{
    if [ "$3" -eq "$2" ]; then
        ok "$1: exit status $3"
    else
        fail "$1: exit status $3, expected $2"
        show
    fi
}

# check_count NAME FILE PATTERN COUNT
check_count()
{
    got=$(grep -c -E -e "$3" "$2")
    if [ "$got" -eq "$4" ]; then
        ok "$1: $4 lines '$3'"
    else
        fail "$1: $got lines matching '$3', expected $4"
        show
    fi
}

# The verve mtl under pml cm, not a fallback, on every rank.
check_selected()
{
    check_count "$1: verve mtl selected" "$tmp/err" \
        "^\\[.*\\] mtl verve: rank [0-9]+ has endpoints to $2 processes$" \
        "$2"
}

for tls in shm,self tcp,self; do
    for n in 2 4; do
        name="mpi_p2p, $n ranks, VERVE_TLS=$tls"
        mpirun_mtl "$n" "$tls" "$MPI/mpi_p2p"
        check_rc "$name" 0 $?
        check_selected "$name" "$n"
        check_count "$name" "$tmp/out" \
            "^mpi_p2p: rank [0-9]+ of $n: all checks passed$" "$n"
    done
done

for tls in shm,self tcp,self; do
    name="mpi_threads, 2 ranks, VERVE_TLS=$tls"
    mpirun_mtl 2 "$tls" "$MPI/mpi_threads"
    check_rc "$name" 0 $?
    check_selected "$name" 2
    check_count "$name" "$tmp/out" \
        '^mpi_threads: rank [0-9]+ of 2: all checks passed$' 2
    if grep -q 'MPI_THREAD_MULTIPLE not provided' "$tmp/out"; then
        echo "note: this Open MPI does not provide MPI_THREAD_MULTIPLE;" \
             "mpi_threads ran single-threaded"
    else
        check_count "$name: thread mode" "$tmp/err" \
            'mtl verve: initialized.*thread mode multi' 2
    fi
done

# A dead peer: rank 0 must report errors, not hang, and the mtl must
# name the peer and the cause. --enable-recovery keeps mpirun from
# killing rank 0 as soon as rank 1 is gone.
for tls in shm,self tcp,self; do
    name="mpi_fail, VERVE_TLS=$tls"
    mpirun_mtl 2 "$tls" --enable-recovery "$MPI/mpi_fail"
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
    check_count "$name: the mtl names the dead peer" "$tmp/err" \
        'mtl verve: rank 0: peer rank 1 on .* failed: ' 1
done

# Leaks whose allocation passes through the mtl or libverve (their
# source folders or libraries appear in the stack; libmpi's frames alone
# do not count). Open MPI has no frame pointers: the slow unwinder.
if [ "$asan" = yes ]; then
    name="mpi_p2p, 2 ranks, leaks from verve"
    leak_options=detect_leaks=1:fast_unwind_on_malloc=0
    ASAN_OPTIONS="${asan_options:+$asan_options:}$leak_options" \
    LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}exitcode=0" \
        mpirun_mtl 2 shm,self "$MPI/mpi_p2p"
    check_rc "$name" 0 $?
    verve_frames='mca_mtl_verve|libverve|/src/(core|am|coll|transports|ompi)/'
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

if [ $failures -ne 0 ]; then
    echo "mpi_mtl.sh: $failures check(s) failed"
    exit 1
fi
echo "mpi_mtl.sh: all checks passed"
