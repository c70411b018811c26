/*
 * What bench/p2p_mpi.c and bench/coll_mpi.c share: the failure and help
 * exits, the -s and -t parsers, the clock and the median. Each program is
 * built on its own by its script (`mpicc bench/X.c`), so this header holds
 * the functions themselves; every one is used by both programs (an unused
 * static function would warn). A program defines _GNU_SOURCE and
 * BENCH_NAME (its name, which starts its error messages) before it
 * includes this header.
 */
#ifndef BENCH_MPI_H
#define BENCH_MPI_H

#ifndef BENCH_NAME
#error "define BENCH_NAME before including bench_mpi.h"
#endif

#include <errno.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIZES_MAX 64
#define SIZE_LIMIT ((size_t)1 << 30)

static int rank, nranks;

/* Rank 0 prints "BENCH_NAME: " and fmt with arg; every rank exits 2. */
static void fail(const char *fmt, const char *arg)
{
    if (rank == 0) {
        fprintf(stderr, BENCH_NAME ": ");
        fprintf(stderr, fmt, arg);
        fprintf(stderr, "\n");
    }
    MPI_Finalize();
    exit(2);
}

/* -h: rank 0 prints usage; every rank exits 0. */
static _Noreturn void help_exit(void (*usage)(void))
{
    if (rank == 0) {
        usage();
    }
    MPI_Finalize();
    exit(0);
}

static uint64_t clock_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- options ------------------------------------------------------------ */

/* Bytes with a k, m or g suffix (2^10, 2^20, 2^30), at most SIZE_LIMIT. */
static int parse_size(const char *str, size_t *size_p)
{
    unsigned long long value;
    char *end;
    int shift = 0;

    if (*str < '0' || *str > '9') {
        return -1;
    }
    errno = 0;
    value = strtoull(str, &end, 10);
    switch (*end) {
    case 'k': case 'K': shift = 10; ++end; break;
    case 'm': case 'M': shift = 20; ++end; break;
    case 'g': case 'G': shift = 30; ++end; break;
    default: break;
    }
    if (errno || *end != '\0' || value > (SIZE_LIMIT >> shift)) {
        return -1;
    }
    *size_p = (size_t)(value << shift);
    return 0;
}

/* -s SIZE[,SIZE]: LO-HI stands for LO, 2*LO ... HI. Where zero_ok, 0-HI
 * stands for 0, 1, 2 ... HI; elsewhere 0 is a bad size. At most SIZES_MAX
 * sizes in sizes[], their count in *count_p. */
static void parse_sizes(char *arg, int zero_ok, size_t *sizes,
                        size_t *count_p)
{
    char *save = NULL, *item, *dash;
    size_t lo, hi, size, count = 0;

    for (item = strtok_r(arg, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        dash = strchr(item, '-');
        if (dash != NULL) {
            *dash = '\0';
        }
        if (parse_size(item, &lo) || (lo == 0 && !zero_ok)) {
            fail("-s: bad size '%s'", item);
        }
        hi = lo;
        if (dash != NULL && (parse_size(dash + 1, &hi) || hi < lo)) {
            fail("-s: bad size range ending '%s'", dash + 1);
        }
        for (size = lo; size <= hi; size = size ? 2 * size : 1) {
            if (count == SIZES_MAX) {
                fail("-s: more than %s sizes", "64");
            }
            sizes[count++] = size;
        }
    }
    *count_p = count;
}

/* -t NAME[,NAME]: a bit per test, 1 << its index in names[0..count);
 * all_name, where not NULL, names every test. An unknown name fails with
 * unknown_fmt. */
static unsigned parse_tests(char *arg, const char *const *names, int count,
                            const char *all_name, const char *unknown_fmt)
{
    char *save = NULL, *name;
    unsigned tests = 0;
    int t;

    for (name = strtok_r(arg, ",", &save); name;
         name = strtok_r(NULL, ",", &save)) {
        if (all_name != NULL && strcmp(name, all_name) == 0) {
            tests |= (1u << count) - 1;
            continue;
        }
        for (t = 0; t < count && strcmp(name, names[t]); ++t) {
        }
        if (t == count) {
            fail(unknown_fmt, name);
        }
        tests |= 1u << t;
    }
    return tests;
}

/* -w: SIZE_MAX where not given, then iters / 10, at least 10. */
static size_t warmup_count(size_t warmup, size_t iters)
{
    if (warmup != SIZE_MAX) {
        return warmup;
    }
    return iters / 10 < 10 ? 10 : iters / 10;
}

/* ---- statistics --------------------------------------------------------- */

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Both figure from batches of iters/20 consecutive iterations (1 to 100),
 * which a burst of noise on a 2-CPU machine moves less than the whole
 * loop's mean. */
static size_t batch_length(size_t iters)
{
    return iters / 20 < 1 ? 1 : iters / 20 > 100 ? 100 : iters / 20;
}

/* Sorts values; the lower median (verve_perf's 50th percentile). */
static double median(double *values, size_t count)
{
    qsort(values, count, sizeof(*values), compare);
    return values[(count - 1) / 2];
}

#endif
