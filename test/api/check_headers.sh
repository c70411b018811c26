#!/bin/sh
# Each public header compiles on its own, as C11 with every warning an
# error, so that users can include any of them first.
set -u
top_srcdir=${top_srcdir:-.}
CC=${CC:-cc}
failures=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_headers.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
for header in "$top_srcdir"/include/verve/*.h; do
    name=$(basename "$header")
    printf '#include <verve/%s>\nint main(void) { return 0; }\n' "$name" \
        > "$tmp/t.c"
    if $CC -std=c11 -Wall -Wextra -Wpedantic -Werror \
            -I"$top_srcdir/include" -c "$tmp/t.c" -o "$tmp/t.o"; then
        echo "ok: $name compiles alone"
    else
        echo "FAIL: $name does not compile alone"
        failures=$((failures + 1))
    fi
done
[ "$failures" -eq 0 ]
