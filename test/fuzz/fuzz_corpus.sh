#!/bin/bash
# Replays every fuzz target's seed corpus (test/fuzz/corpus/<name>) once,
# in every build: the inputs that once crashed a parser, and the valid
# messages that reach deep into it, must go through cleanly. Fails on a
# crash, a sanitizer report, a corpus without its target or a target
# without its corpus.
set -u
build=${top_builddir:-.}
corpus=${top_srcdir:-.}/test/fuzz/corpus
failed=0

# The program of a corpus: test/fuzz/fuzz_<name>, or a unit test's
# (test/unit/boot/test_boot_kvs_fuzz for boot_kvs).
program_of() {
    case $1 in
    boot_kvs) echo "$build/test/unit/boot/test_boot_kvs_fuzz" ;;
    *) echo "$build/test/fuzz/fuzz_$1" ;;
    esac
}

for dir in "$corpus"/*/; do
    name=$(basename "$dir")
    program=$(program_of "$name")
    if ! [ -x "$program" ]; then
        # ud_rel is built with the verbs transports only.
        if [ "$name" = ud_rel ] &&
                ! grep -qs '^#define HAVE_VERBS 1' "$build/verve_config.h"
        then
            echo "$name: skipped (built without verbs)"
            continue
        fi
        echo "$name: no program $program for the corpus" >&2
        failed=1
        continue
    fi
    files=("$dir"*)
    if ! [ -f "${files[0]}" ]; then
        echo "$name: empty corpus $dir" >&2
        failed=1
        continue
    fi
    # Files, not the folder: a libFuzzer build (make fuzz) runs files
    # once each, where it would fuzz a folder. The parsers warn about
    # every malformed input: keep only failures.
    if ! out=$(VERVE_LOG_LEVEL=fatal "$program" "${files[@]}" 2>&1); then
        printf '%s\n' "$out" | tail -40 >&2
        echo "$name: FAILED on its corpus (${#files[@]} inputs)" >&2
        failed=1
        continue
    fi
    echo "$name: ${#files[@]} inputs replayed"
done
for program in "$build"/test/fuzz/fuzz_*; do
    [ -x "$program" ] && [ -f "$program" ] || continue
    name=${program##*/fuzz_}
    if ! [ -d "$corpus/$name" ]; then
        echo "fuzz_$name: no corpus in $corpus/$name" >&2
        failed=1
    fi
done
exit $failed
