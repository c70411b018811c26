#!/bin/sh
# Every installed tool answers --help (and -h) with its usage on stdout
# and exit status 0, and refuses an unknown option with a message naming
# it and a non-zero status, instead of running with it ignored.
. "$(dirname "$0")/it_lib.sh"

# help_ok TOOL: --help and -h print a usage line and succeed.
help_ok()
{
    for _opt in --help -h; do
        _out=$("$top_builddir/src/tools/$1" "$_opt" 2>/dev/null) || {
            echo "$1 $_opt: exit $?"
            return 1
        }
        echo "$_out" | grep -qi "^usage: .*$1" || {
            echo "$1 $_opt printed no usage line:"
            echo "$_out" | head -3
            return 1
        }
    done
}

# bad_option TOOL: an unknown long option fails and is named on stderr.
bad_option()
{
    if _err=$("$top_builddir/src/tools/$1" --no-such-option 2>&1 \
              >/dev/null); then
        echo "$1 accepted --no-such-option"
        return 1
    fi
    echo "$_err" | grep -q -- "--no-such-option" || {
        echo "$1 did not name the bad option: $_err"
        return 1
    }
}

for tool in verve_info verve_run verve_perf; do
    run "$tool --help" help_ok "$tool"
    run "$tool rejects an unknown option" bad_option "$tool"
done
it_finish
