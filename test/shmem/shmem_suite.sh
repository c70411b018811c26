#!/bin/sh
# OpenSHMEM over verve: the programs of test/shmem under oshrun with
# spml, atomic and sshmem verve, over shm and tcp, at 2 and 4 PEs. Run by `make
# check` with $top_builddir, $SHMEM_HAVE_COMPONENTS, $OSHMEM_OSHRUN and
# $OMPI_PKGLIBDIR set from configure. Skips (77) when the components
# were not built, except under CI=true, where that fails: CI's machine
# has Open MPI's OpenSHMEM, so a skip would leave the components untested
# while CI stayed green. SHMEM_TIMEOUT: seconds for one oshrun (120).
set -u

top_builddir=${top_builddir:-.}
SHMEM=$top_builddir/test/shmem
OSHRUN=${OSHMEM_OSHRUN:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmem_test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP
failures=0

skip()
{
    if [ "${CI:-}" = true ]; then
        echo "FAIL: $* (CI=true: the OpenSHMEM tests must run)"
        exit 1
    fi
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

if [ "${SHMEM_HAVE_COMPONENTS:-no}" != yes ]; then
    skip "spml verve and atomic verve were not built (configure found no" \
         "Open MPI 4.1 with oshmem's headers and oshrun; see --with-ompi)"
fi
if [ -z "$OSHRUN" ] || [ ! -x "$OSHRUN" ]; then
    skip "configure found no oshrun next to mpicc (OSHMEM_OSHRUN='$OSHRUN')"
fi
for _file in "$top_builddir/src/ompi/shmem/.libs/mca_spml_verve.so" \
             "$top_builddir/src/ompi/shmem/.libs/mca_atomic_verve.so" \
             "$top_builddir/src/ompi/shmem/.libs/mca_sshmem_verve.so" \
             "$SHMEM/shmem_rma" "$SHMEM/shmem_amo" "$SHMEM/shmem_kill"; do
    if [ ! -e "$_file" ]; then
        echo "FAIL: $_file is not built"
        exit 1
    fi
done

# In the sanitizer build the programs carry the ASan runtime, so the
# components (and libverve) that shmem_init loads find it in place. Leak
# checking is off, as Open MPI leaks thousands of blocks of its own.
# oshmem maps the symmetric heap at 0xFF000000 by default, inside ASan's
# shadow gap (every access there faults in ASan's own check): move it to
# high memory, 0x600000000000.
asan_mca=
if nm "$SHMEM/shmem_rma" 2>/dev/null | grep -q __asan_init; then
    asan_options=${ASAN_OPTIONS:-}
    ASAN_OPTIONS="${asan_options:+$asan_options:}detect_leaks=0"
    export ASAN_OPTIONS
    asan_mca="--mca sshmem_base_start_address 105553116266496"
fi

# Open MPI's own folder stays on the path, or its other components
# (pml, scoll, memheap, ...) are not found.
component_path=$top_builddir/src/ompi/shmem/.libs
if [ -n "${OMPI_PKGLIBDIR:-}" ]; then
    component_path=$component_path:$OMPI_PKGLIBDIR
fi
TIMEOUT=
if command -v timeout >/dev/null; then
    TIMEOUT="timeout -k 5 ${SHMEM_TIMEOUT:-120}"
fi

# oshrun_verve N TLS SSHMEM PROGRAM: N PEs with spml and atomic verve,
# the heap from sshmem SSHMEM, and VERVE_TLS=TLS; output in $tmp/out and
# $tmp/err.
oshrun_verve()
{
    # shellcheck disable=SC2086 # $asan_mca is a list of options
    $TIMEOUT "$OSHRUN" --allow-run-as-root --oversubscribe -n "$1" \
        --mca spml verve --mca atomic verve --mca sshmem "$3" \
        --mca spml_base_verbose 1 --mca atomic_base_verbose 1 \
        --mca sshmem_base_verbose 1 \
        --mca mca_base_component_path "$component_path" $asan_mca \
        -x VERVE_TLS="$2" "$4" >"$tmp/out" 2>"$tmp/err"
}

# check_count NAME FILE PATTERN COUNT
check_count()
{
    _got=$(grep -c -E -e "$3" "$2")
    if [ "$_got" -eq "$4" ]; then
        ok "$1: $4 lines '$3'"
    else
        fail "$1: $_got lines matching '$3', expected $4"
        show
    fi
}

# run_program N TLS SSHMEM PROGRAM PASSES: exit status 0, PASSES "pass:"
# lines, and spml verve and atomic verve selected on each PE (and sshmem
# verve when SSHMEM is verve).
run_program()
{
    _name="$4 at $1 PEs over $2, heap from sshmem $3"
    oshrun_verve "$1" "$2" "$3" "$SHMEM/$4"
    _rc=$?
    if [ $_rc -eq 0 ]; then
        ok "$_name: exit status 0"
    else
        fail "$_name: exit status $_rc, expected 0"
        show
        return
    fi
    check_count "$_name: tests passed" "$tmp/out" "^pass: " "$5"
    if [ "$3" = verve ]; then
        check_count "$_name: sshmem verve allocated the heap" "$tmp/err" \
            "sshmem verve: heap of [0-9]+ bytes at 0x[0-9a-f]+\$" "$1"
    fi
    check_count "$_name: spml verve selected" "$tmp/err" \
        "spml verve: PE [0-9]+ has endpoints to $1 PEs\$" "$1"
    check_count "$_name: atomic verve selected" "$tmp/err" \
        "atomic verve: atomics over spml verve's endpoints\$" "$1"
}

# shm with sshmem verve's heap: the peers map it (copies, CPU atomics);
# tcp: everything emulated over AM, served by the target's progress
# (registered with opal_progress); shm with oshmem's own mmap heap: puts
# and gets by CMA, atomics emulated. The data segment is always reached
# the latter way.
for tls in shm,self tcp,self; do
    for n in 2 4; do
        run_program "$n" "$tls" verve shmem_rma 5
        run_program "$n" "$tls" verve shmem_amo 5
    done
done
for n in 2 4; do
    run_program "$n" shm,self mmap shmem_rma 5
    run_program "$n" shm,self mmap shmem_amo 5
done

# A PE killed (SIGKILL) while the others put to it, fetch-add on it and
# wait on it: the job ends with a non-zero status well before the timeout
# (oshrun reports the death and stops the others; timeout's own 124 or
# 137 would come only after SHMEM_TIMEOUT seconds).
for tls in shm,self tcp,self; do
    for n in 2 4; do
        _name="shmem_kill at $n PEs over $tls"
        _start=$(date +%s)
        oshrun_verve "$n" "$tls" verve "$SHMEM/shmem_kill"
        _rc=$?
        _took=$(($(date +%s) - _start))
        if [ "$_rc" -ne 0 ] && [ "$_took" -lt "${SHMEM_TIMEOUT:-120}" ]; then
            ok "$_name: exit status $_rc after ${_took}s"
        else
            fail "$_name: exit status $_rc after ${_took}s (expected" \
                 "non-zero, before the timeout)"
            show
        fi
        check_count "$_name: all PEs started" "$tmp/out" \
            "^pass: before the kill\$" 1
    done
done

if [ $failures -ne 0 ]; then
    echo "shmem_suite.sh: $failures check(s) failed"
    exit 1
fi
echo "shmem_suite.sh: all checks passed"
exit 0
