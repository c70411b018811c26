# Shared by the MPI test scripts (mpi_pml.sh, mpi_mtl.sh, mpi_netns.sh,
# test/verbs/mpi_rc.sh); sourced, never run. POSIX sh. They run under `make check` with $top_builddir,
# $MPI_HAVE_MTL, $OMPI_MPIRUN and $OMPI_PKGLIBDIR set from configure;
# print "ok: ..." or "FAIL: ..." for each check and end with
# mpi_finish, which exits 1 when a check failed. MPI_TIMEOUT: seconds
# for one mpirun (default 180).
set -u

top_builddir=${top_builddir:-.}
MPI=$top_builddir/test/mpi
MPIRUN=${OMPI_MPIRUN:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpi_test.XXXXXX") || exit 1
# A script that makes more to undo appends to this (run on exit).
mpi_cleanup='rm -rf "$tmp"'
trap 'eval "$mpi_cleanup"' EXIT
trap 'exit 130' INT TERM HUP
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

# mpi_need PROGRAM...: skips (77) when the component was not built or
# there is no mpirun; fails when one of test/mpi's PROGRAMs is missing.
mpi_need()
{
    if [ "${MPI_HAVE_MTL:-no}" != yes ]; then
        skip "the Open MPI components were not built (configure found" \
             "no Open MPI 4.1 with its internal headers; see --with-ompi)"
    fi
    if [ -z "$MPIRUN" ] || [ ! -x "$MPIRUN" ]; then
        skip "configure found no mpirun next to mpicc (OMPI_MPIRUN='$MPIRUN')"
    fi
    for _program in "$top_builddir/src/ompi/pml/.libs/mca_pml_verve.so" \
                    "$top_builddir/src/ompi/mtl/.libs/mca_mtl_verve.so" "$@"; do
        case $_program in
        */*) ;;
        *) _program=$MPI/$_program ;;
        esac
        if [ ! -e "$_program" ]; then
            echo "FAIL: $_program is not built"
            exit 1
        fi
    done
}

# In the sanitizer build the MPI programs carry the ASan runtime, so the
# component (and libverve) that their MPI_Init loads finds it in place.
# Leak checking is off in the runs, as Open MPI leaks thousands of blocks
# of its own (mpi_mtl.sh has one run that looks for verve's leaks).
asan=no
if nm "$MPI/mpi_p2p" 2>/dev/null | grep -q __asan_init; then
    asan=yes
    asan_options=${ASAN_OPTIONS:-}
    ASAN_OPTIONS="${asan_options:+$asan_options:}detect_leaks=0"
    export ASAN_OPTIONS
fi

# mpi_use_layer LAYER: which of verve's components the runs that follow
# use to carry point-to-point: pml (pml verve) or mtl (pml cm with the
# verve mtl). Sets $component_path (Open MPI's own folder must stay on
# it, or its other components are not found), $layer_mca (mpirun's
# options) and $MPI_LAYER.
mpi_use_layer()
{
    MPI_LAYER=$1
    component_path=$top_builddir/src/ompi/$1/.libs
    if [ -n "${OMPI_PKGLIBDIR:-}" ]; then
        component_path=$component_path:$OMPI_PKGLIBDIR
    fi
    case $1 in
    pml) layer_mca="--mca pml verve --mca pml_base_verbose 1" ;;
    mtl) layer_mca="--mca pml cm --mca mtl verve --mca mtl_base_verbose 1" ;;
    *) echo "mpi_use_layer: unknown layer '$1'"; exit 1 ;;
    esac
}
mpi_use_layer "${MPI_LAYER:-pml}"
TIMEOUT=
if command -v timeout >/dev/null; then
    TIMEOUT="timeout -k 5 ${MPI_TIMEOUT:-180}"
fi

# mpirun_verve N TLS [MPIRUN-OPTIONS...] PROGRAM ARGS...: N ranks over
# verve's component of mpi_use_layer, with VERVE_TLS=TLS; output in
# $tmp/out and $tmp/err.
mpirun_verve()
{
    _n=$1
    _tls=$2
    shift 2
    # shellcheck disable=SC2086 # $layer_mca is a list of options
    $TIMEOUT "$MPIRUN" --allow-run-as-root --oversubscribe -n "$_n" \
        $layer_mca --mca mca_base_component_path "$component_path" \
        -x VERVE_TLS="$_tls" "$@" >"$tmp/out" 2>"$tmp/err"
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
    _got=$(grep -c -E -e "$3" "$2")
    if [ "$_got" -eq "$4" ]; then
        ok "$1: $4 lines '$3'"
    else
        fail "$1: $_got lines matching '$3', expected $4"
        show
    fi
}

# check_selected NAME N: verve's component carries point-to-point on
# each of N ranks: the line its add_procs prints at verbose level 1,
# which only the selected component's does, so a fallback to ob1 (which
# would still let the component initialise, then drop it) fails.
check_selected()
{
    case $MPI_LAYER in
    pml) _line="pml verve: rank [0-9]+ carries point-to-point, [0-9]+"
         _line="$_line processes known" ;;
    *) _line="mtl verve: rank [0-9]+ has endpoints to $2 processes" ;;
    esac
    check_count "$1: verve $MPI_LAYER selected" "$tmp/err" \
        "^\\[.*\\] $_line\$" "$2"
}

# mpi_rank_pid RANK: the pid of rank RANK, from the component's line in
# $tmp/err ("[host:pid] pml verve: rank R carries ...", "[host:pid] mtl
# verve: rank R has endpoints ...", the pid zero-padded to 5 digits by
# Open MPI); verve's own lines carry a "[host:pid]" prefix too, unpadded.
mpi_rank_pid()
{
    _rank_line="$MPI_LAYER verve: rank $1 \\(has\\|carries\\) "
    sed -n "s/^\\[[^:]*:0*\\([0-9]*\\)\\] $_rank_line.*/\\1/p" "$tmp/err"
}

# mpi_rank_sed RANK SCRIPT: sed -n SCRIPT over rank RANK's lines in
# $tmp/err (those of its pid).
mpi_rank_sed()
{
    _pid=$(mpi_rank_pid "$1")
    grep "^\\[[^:]*:0*${_pid:-none}\\] " "$tmp/err" | sed -n "$2"
}

# mpi_stop_relays: stops, by their ids, the relays that mpi_in_netns.sh
# started with $tmp/relay.log as their log and that still run (a rank
# that hung keeps its relay).
mpi_stop_relays()
{
    [ -f "$tmp/relay.log" ] || return 0
    for _pid in $(sed -n 's/^netns_relay: pid \([0-9]*\) .*/\1/p' \
                  "$tmp/relay.log"); do
        if grep -q netns_relay "/proc/$_pid/cmdline" 2>/dev/null; then
            kill "$_pid" 2>/dev/null
        fi
    done
}

# mpi_finish SCRIPT
mpi_finish()
{
    if [ $failures -ne 0 ]; then
        echo "$1: $failures check(s) failed"
        exit 1
    fi
    echo "$1: all checks passed"
    exit 0
}
