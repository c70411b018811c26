#!/bin/bash
# Every parser of peer bytes on 20,000 generated inputs from two seeds:
# fails on a crash, a sanitizer report or a hang (CI's timeout).
set -u
fuzz=${top_builddir:-.}/test/fuzz/fuzz_wire
for seed in 1 2; do
    # the parsers warn about every malformed input: keep only failures
    VERVE_LOG_LEVEL=fatal "$fuzz" -n 10000 -s "$seed" || exit 1
done
