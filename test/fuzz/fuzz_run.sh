#!/bin/bash
# make fuzz: every fuzz target under libFuzzer, ASan and UBSan, for a
# bounded time each; fails on a crash, a sanitizer report, a leak, an
# input slower than FUZZ_TIMEOUT or an overrun of the whole run.
#
#   fuzz_run.sh --build DIR   from a plain build: configures DIR with
#                             clang and --enable-fuzzing (once), then runs
#                             make fuzz there
#   fuzz_run.sh TARGET...     in such a build: runs each target
#
# Environment: FUZZ_SECONDS (per target; 10 unless set, CI sets 15),
# FUZZ_TIMEOUT (seconds one input may take, 10), FUZZ_CC (clang),
# FUZZ_JOBS (make -j, 2). Without clang or libFuzzer it says so and
# succeeds, except under CI=true, where that fails.
#
# Each target fuzzes from its seed corpus (test/fuzz/corpus/<name>, read
# only) into fuzz-out/<name>, which keeps what it found for the next run;
# a crashing input lands in fuzz-out/crash/ (see test/fuzz/README.md for
# turning it into a regression input).
set -u
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${FUZZ_SECONDS:-10}
input_timeout=${FUZZ_TIMEOUT:-10}

if [ "${1:-}" = --build ]; then
    dir=${2:?usage: fuzz_run.sh --build DIR}
    cc=${FUZZ_CC:-clang}
    probe=$(mktemp -d "${TMPDIR:-/tmp}/verve-fuzz.XXXXXX") || exit 1
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
        '{ return (int)(d == NULL && n > 0); }' >"$probe/probe.c"
    if ! command -v "$cc" >/dev/null 2>&1 ||
            ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/probe.c" \
                -o "$probe/probe" >"$probe/log" 2>&1; then
        rm -rf "$probe"
        echo "make fuzz: no $cc that links libFuzzer targets" \
             "(contrib/install-deps.sh installs clang and libclang-rt)"
        [ "${CI:-}" = true ] && exit 1
        echo "make fuzz: skipped"
        exit 0
    fi
    rm -rf "$probe"
    mkdir -p "$dir" || exit 1
    cd "$dir" || exit 1
    if ! [ -f Makefile ]; then
        echo "make fuzz: configuring $(pwd) with $cc --enable-fuzzing"
        "$srcdir/configure" -q CC="$cc" --enable-fuzzing || exit 1
    fi
    exec make -s -j"${FUZZ_JOBS:-2}" fuzz
fi

failed=0
out=fuzz-out
mkdir -p "$out/crash" || exit 1
for target in "$@"; do
    name=${target##*/}
    name=${name#fuzz_}
    name=${name#test_}
    name=${name%_fuzz}
    corpus=$srcdir/test/fuzz/corpus/$name
    mkdir -p "$out/$name"
    log=$out/$name.log
    # The parsers warn about every malformed input: keep only failures.
    VERVE_LOG_LEVEL=fatal timeout -k 10 $((seconds + 120)) "./$target" \
        -max_total_time="$seconds" -timeout="$input_timeout" \
        -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$out/crash/$name-" \
        "$out/$name" "$corpus" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    if [ "$rc" -ne 0 ]; then
        failed=1
        tail -60 "$log"
        echo "make fuzz: $name FAILED (exit $rc) after ${execs:-?} runs;" \
             "the input: $(ls "$out/crash/$name-"* 2>/dev/null | head -1)"
        echo "  reproduce: ./$target <input>; keep it as a regression:" \
             "cp <input> $corpus/crash-<what>"
        continue
    fi
    echo "make fuzz: $name: ${execs:-?} runs in ${seconds} s, corpus" \
         "$(ls "$corpus" | wc -l) seeds + $(ls "$out/$name" | wc -l) found"
done
exit $failed
