#!/bin/sh
# The tools' man pages (doc/man/*.1, written by hand) name the same
# options as the tools' --help: every option --help lists has an entry
# in the page's OPTIONS (a .TP item), and every entry there is an option
# --help lists, so that neither goes stale when the other changes.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
failures=0

# options_of: the option names (-x, --long) in option columns, one a line.
options_of()
{
    grep -oE '(^|[ ",])--?[A-Za-z][A-Za-z0-9-]*' | sed 's/^[ ",]//' |
        sort -u
}

# The option column of each --help line that starts with an option, and
# the options in brackets on its usage line ([-h|--help]).
help_options()
{
    "$top_builddir/src/tools/$1" --help |
        awk '/^ +-/ { sub(/^ +/, ""); split($0, f, /   */); print f[1] }
             tolower($1) == "usage:" { s = $0
                 while (match(s, /\[-[^]]*\]/)) {
                     print substr(s, RSTART + 1, RLENGTH - 2)
                     s = substr(s, RSTART + RLENGTH) } }' |
        tr '|' ' ' | options_of
}

# The line after each .TP of the page, troff escapes removed.
man_options()
{
    awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' \
        "$top_srcdir/doc/man/$1.1" |
        sed -e 's/\\-/-/g' -e 's/\\f[A-Z]//g' -e 's/^\.[A-Z]* //' |
        options_of
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_man1.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
for tool in verve_run verve_perf verve_info; do
    if ! help_options "$tool" >"$tmp/help" || [ ! -s "$tmp/help" ]; then
        echo "FAIL: $tool --help listed no options"
        failures=$((failures + 1))
        continue
    fi
    man_options "$tool" >"$tmp/man"
    only_help=$(comm -23 "$tmp/help" "$tmp/man" | tr '\n' ' ')
    only_man=$(comm -13 "$tmp/help" "$tmp/man" | tr '\n' ' ')
    if [ -z "$only_help$only_man" ]; then
        echo "ok: doc/man/$tool.1 names the options of $tool --help:" \
             $(tr '\n' ' ' <"$tmp/help")
        continue
    fi
    [ -n "$only_help" ] &&
        echo "FAIL: $tool --help has options doc/man/$tool.1 lacks: $only_help"
    [ -n "$only_man" ] &&
        echo "FAIL: doc/man/$tool.1 has options $tool --help lacks: $only_man"
    failures=$((failures + 1))
done
[ "$failures" -eq 0 ]
