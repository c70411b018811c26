#!/bin/sh
# After make install: the tools' man1 pages and a man3 page for every
# public function of every public header are installed (the function's
# own page is a link to its group's page, which must be there too), and
# where man(1) is here, every installed page renders without a troff
# warning (a line of text that troff would take for a request).
# usage: check_man_install.sh MANDIR INCLUDEDIR
set -u
mandir=$1
includedir=$2
failures=0
checked=0

need()
{
    checked=$((checked + 1))
    if [ ! -s "$mandir/$1" ]; then
        echo "FAIL: $mandir/$1 is not installed"
        failures=$((failures + 1))
        return 1
    fi
}

for tool in verve_run verve_perf verve_info; do
    need "man1/$tool.1"
done
# VERVE_API marks every public function; its name follows on that line.
functions=$(grep -ho 'VERVE_API .*\bverve_[a-z0-9_]*(' "$includedir"/*.h |
            grep -o 'verve_[a-z0-9_]*($' | tr -d '(' | sort -u)
[ -n "$functions" ] || { echo "FAIL: no public function found"; exit 1; }
for f in $functions; do
    need "man3/$f.3" || continue
    # A link page (.so man3/GROUP.3) needs its target.
    target=$(sed -n 's/^\.so //p' "$mandir/man3/$f.3")
    [ -z "$target" ] || need "$target"
done
if command -v man >/dev/null 2>&1; then
    for page in "$mandir"/man1/verve*.1 "$mandir"/man3/verve*.3 \
                "$mandir"/man3/VERVE_*.3; do
        [ -f "$page" ] && ! grep -q '^\.so ' "$page" || continue
        warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
        if [ -n "$warnings" ]; then
            echo "FAIL: $page renders with warnings: $warnings"
            failures=$((failures + 1))
        fi
    done
else
    echo "check_man_install: no man(1) here, rendering not checked"
fi
echo "check_man_install: $checked pages checked, $failures failures"
[ "$failures" -eq 0 ]
