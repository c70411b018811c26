/*
 * A driver for libFuzzer targets when libFuzzer is not there: runs the
 * target on the files and folders given (a corpus), else on generated
 * inputs, deterministic for a seed. Linked into plain builds so every
 * target compiles and runs in CI (under ASan/UBSan in the sanitizer
 * build). For real fuzzing, `make fuzz` builds the same targets with
 * clang and libFuzzer instead (test/fuzz/README.md).
 *
 * Generated inputs: a selector byte, then either random bytes or 64-bit
 * words drawn from small values, lengths and extremes, which get past
 * length checks far more often than random bytes do.
 *
 * Usage: fuzz_<target> [-n COUNT] [-s SEED] [FILE|FOLDER...]
 *   without a file: COUNT generated inputs (10,000 unless -n);
 *   with files: those only, unless -n asks for generated ones too.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Huge lengths from the wire must fail as allocations, not abort. The
 * sanitizer runtime looks the function up dynamically: it must stay
 * visible despite -fvisibility=hidden. */
__attribute__((visibility("default"))) const char *
__asan_default_options(void);
__attribute__((visibility("default"))) const char *
__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

static uint64_t fuzz_rand_state;

static uint64_t fuzz_rand(void)
{
    /* xorshift64*: reproducible from the seed on every libc */
    fuzz_rand_state ^= fuzz_rand_state >> 12;
    fuzz_rand_state ^= fuzz_rand_state << 25;
    fuzz_rand_state ^= fuzz_rand_state >> 27;
    return fuzz_rand_state * 0x2545f4914f6cdd1dull;
}

static uint64_t fuzz_word(size_t length)
{
    switch (fuzz_rand() % 8) {
    case 0: return 0;
    case 1: return 1 + fuzz_rand() % 16;
    case 2: return length;
    case 3: return length - fuzz_rand() % 64;
    case 4: return UINT64_MAX - fuzz_rand() % 4;
    case 5: return fuzz_rand() % 65536;
    case 6: return (uint64_t)1 << (fuzz_rand() % 64);
    default: return fuzz_rand();
    }
}

static size_t fuzz_generate(uint8_t *buffer, size_t max)
{
    size_t length = 1 + fuzz_rand() % (fuzz_rand() % 4 ? 96 : max - 1);
    size_t i;

    buffer[0] = (uint8_t)fuzz_rand();
    if (fuzz_rand() % 2) {
        for (i = 1; i < length; ++i) {
            buffer[i] = (uint8_t)fuzz_rand();
        }
        return length;
    }
    for (i = 1; i < length; i += 8) {
        uint64_t word = fuzz_word(length);
        memcpy(buffer + i, &word, (length - i < 8) ? length - i : 8);
    }
    return length;
}

static int fuzz_run_file(const char *path)
{
    static uint8_t data[1 << 20];
    FILE *file = fopen(path, "rb");
    uint8_t *copy;
    size_t size;

    if (file == NULL) {
        perror(path);
        return 1;
    }
    size = fread(data, 1, sizeof(data), file);
    fclose(file);
    /* A copy of exactly its size, as libFuzzer passes it: ASan sees a
     * read past the input's end. */
    copy = malloc(size ? size : 1);
    if (copy == NULL) {
        return 1;
    }
    memcpy(copy, data, size);
    LLVMFuzzerTestOneInput(copy, size);
    free(copy);
    return 0;
}

/* A folder is a corpus: every file in it, in name order (reproducible),
 * hidden files left out. */
static int fuzz_run_path(const char *path, unsigned long *runs)
{
    struct dirent **entries;
    char file[4096];
    int count, i, ret = 0;

    count = scandir(path, &entries, NULL, alphasort);
    if (count < 0) {
        ++*runs;
        return fuzz_run_file(path);
    }
    for (i = 0; i < count; ++i) {
        if (ret == 0 && entries[i]->d_name[0] != '.') {
            snprintf(file, sizeof(file), "%s/%s", path, entries[i]->d_name);
            ++*runs;
            ret = fuzz_run_file(file);
        }
        free(entries[i]);
    }
    free(entries);
    return ret;
}

int main(int argc, char **argv)
{
    static uint8_t buffer[8192];
    unsigned long count = 10000, i, runs = 0;
    uint64_t seed = 1;
    int arg, count_given = 0;

    for (arg = 1; arg < argc && argv[arg][0] == '-'; arg += 2) {
        if (arg + 1 >= argc) {
            goto usage;
        }
        if (strcmp(argv[arg], "-n") == 0) {
            count = strtoul(argv[arg + 1], NULL, 0);
            count_given = 1;
        } else if (strcmp(argv[arg], "-s") == 0) {
            seed = strtoull(argv[arg + 1], NULL, 0);
        } else {
            goto usage;
        }
    }
    if (arg < argc && !count_given) {
        count = 0;
    }
    for (; arg < argc; ++arg) {
        if (fuzz_run_path(argv[arg], &runs) != 0) {
            return 1;
        }
    }
    if (runs > 0) {
        printf("%lu corpus inputs: no crash\n", runs);
    }
    fuzz_rand_state = seed ? seed : 1;
    for (i = 0; i < count; ++i) {
        LLVMFuzzerTestOneInput(buffer, fuzz_generate(buffer, sizeof(buffer)));
    }
    if (count > 0) {
        printf("%lu generated inputs (seed %llu): no crash\n", count,
               (unsigned long long)seed);
    }
    return 0;

usage:
    fprintf(stderr, "usage: %s [-n COUNT] [-s SEED] [FILE|FOLDER...]\n",
            argv[0]);
    return 2;
}
