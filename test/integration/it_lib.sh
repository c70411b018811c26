# Shared by the integration scripts (sourced): where the programs are, and
# run NAME COMMAND..., which prints "ok: NAME", or "FAIL: NAME" with the
# end of the command's output and counts it in $failures; it_finish
# reports the count and sets the exit status.
top_builddir=${top_builddir:-.}
RUN=$top_builddir/src/tools/verve_run
IT=$top_builddir/test/integration
failures=0

run()
{
    name=$1
    shift
    if out=$("$@" 2>&1); then
        echo "ok: $name"
    else
        rc=$?
        echo "FAIL: $name (exit $rc)"
        echo "$out" | tail -20
        failures=$((failures + 1))
    fi
}

it_finish()
{
    echo "$failures failure(s)"
    [ "$failures" -eq 0 ]
}
