/*
 * coll_mpi: the collective tests of verve_perf through MPI, for
 * bench/vs-ompi-coll.sh. Same options, sizes, datatypes, data checks,
 * timing (each iteration timed back to back, the cycle counter where
 * invariant), statistics (each the largest over the ranks, the median of
 * batch means, bw from it) and rows as `verve_perf -t COLL`, so the
 * script reads both the same way; the algo column says "mpi".
 *
 * Built by the script with mpicc; not part of the verve build.
 */
#define _GNU_SOURCE
#define BENCH_NAME "coll_mpi"
#include <getopt.h>
#include <sched.h>
#include "bench_mpi.h"

enum { T_BARRIER, T_BCAST, T_REDUCE, T_ALLREDUCE, T_ALLGATHER, T_ALLTOALL,
       T_LAST };

static const char *const test_names[T_LAST] = {
    "barrier", "bcast", "reduce", "allreduce", "allgather", "alltoall"
};

typedef struct options {
    unsigned tests;
    size_t sizes[SIZES_MAX];
    size_t num_sizes;
    size_t iters;       /* 0: by size */
    size_t warmup;      /* SIZE_MAX: iters / 10, at least 10 */
    int cpus[2];
    int num_cpus;
    int json;
} options_t;

static uint8_t *sendbuf, *recvbuf;
static size_t buffer_length;

static void usage(void)
{
    printf("usage: mpirun -n N coll_mpi [-t TEST[,TEST]] [-s SIZE[,SIZE]] "
           "[-n ITERS]\n                [-w WARMUP] [-c CPU0,CPU1] [--json]"
           "\nTESTS: barrier bcast reduce allreduce allgather alltoall coll "
           "(default allreduce).\nSIZE: bytes with k/m suffix, LO-HI for "
           "LO, 2*LO ... HI (default 8 B..1 MiB\nin powers of 8). Rows as "
           "verve_perf -t COLL prints them.\n");
}

/* ---- time: the cycle counter where it is invariant, as verve_perf ---- */

static double ns_per_tick;

static void time_init(void)
{
#if defined(__x86_64__)
    FILE *cpuinfo = fopen("/proc/cpuinfo", "r");
    char line[4096];
    int invariant = 0;
    uint64_t t0, t1, c0, c1;

    if (cpuinfo == NULL) {
        return;
    }
    while (fgets(line, sizeof(line), cpuinfo) != NULL) {
        if (strncmp(line, "flags", 5) == 0) {
            invariant = strstr(line, " constant_tsc") &&
                        strstr(line, " nonstop_tsc");
            break;
        }
    }
    fclose(cpuinfo);
    if (!invariant) {
        return;
    }
    t0 = clock_ns();
    c0 = __builtin_ia32_rdtsc();
    do {
        t1 = clock_ns();
    } while (t1 - t0 < 20000000ull);
    c1 = __builtin_ia32_rdtsc();
    if (c1 > c0) {
        ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
    }
#endif
}

static uint64_t time_ns(void)
{
#if defined(__x86_64__)
    if (ns_per_tick > 0) {
        return (uint64_t)((double)__builtin_ia32_rdtsc() * ns_per_tick);
    }
#endif
    return clock_ns();
}

/* ---- options ------------------------------------------------------------ */

static void parse_options(int argc, char **argv, options_t *opts)
{
    static const struct option long_opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}
    };
    char *end;
    int c;

    memset(opts, 0, sizeof(*opts));
    opts->tests = 1u << T_ALLREDUCE;
    opts->warmup = SIZE_MAX;
    while ((c = getopt_long(argc, argv, "t:s:n:w:c:h", long_opts, NULL)) !=
           -1) {
        switch (c) {
        case 't':
            opts->tests = parse_tests(optarg, test_names, T_LAST, "coll",
                                      "-t: unknown test '%s'");
            break;
        case 's':
            parse_sizes(optarg, 0, opts->sizes, &opts->num_sizes);
            break;
        case 'n':
            opts->iters = strtoull(optarg, &end, 10);
            if (*end || opts->iters == 0) {
                fail("-n: bad iteration count '%s'", optarg);
            }
            break;
        case 'w':
            opts->warmup = strtoull(optarg, &end, 10);
            if (*end) {
                fail("-w: bad warm-up count '%s'", optarg);
            }
            break;
        case 'c':
            if (sscanf(optarg, "%d,%d", &opts->cpus[0], &opts->cpus[1]) !=
                2) {
                fail("-c: bad CPU list '%s'", optarg);
            }
            opts->num_cpus = 2;
            break;
        case 'j': opts->json = 1; break;
        case 'h': help_exit(usage);
        default: fail("bad option%s (see --help)", "");
        }
    }
}

static size_t test_sizes(const options_t *opts, int test, size_t *sizes)
{
    static const size_t sweep[] = {8, 64, 512, 4096, 32768, 262144,
                                   1048576};
    size_t i;

    if (test == T_BARRIER) {
        sizes[0] = 0;
        return 1;
    }
    if (opts->num_sizes > 0) {
        memcpy(sizes, opts->sizes, opts->num_sizes * sizeof(*sizes));
        return opts->num_sizes;
    }
    for (i = 0; i < sizeof(sweep) / sizeof(sweep[0]); ++i) {
        sizes[i] = sweep[i];
    }
    return i;
}

static size_t test_iters(const options_t *opts, size_t size)
{
    if (opts->iters) {
        return opts->iters;
    }
    return size <= 4096 ? 20000 : size <= 65536 ? 10000 : 1000;
}

/* ---- data and its check: verve_perf_coll.c's patterns ------------------- */

static uint8_t pattern(size_t owner, size_t i)
{
    return (uint8_t)((owner * 131u + i * 7u + 1u) ^ (i >> 8));
}

static MPI_Datatype reduce_type(size_t size, size_t *esize)
{
    if (size % 8 == 0) {
        *esize = 8;
        return MPI_INT64_T;
    }
    if (size % 4 == 0) {
        *esize = 4;
        return MPI_INT32_T;
    }
    *esize = 1;
    return MPI_UINT8_T;
}

static void store(uint8_t *buf, size_t esize, size_t i, uint64_t v)
{
    int64_t v64 = (int64_t)v;
    int32_t v32 = (int32_t)v;

    if (esize == 8) {
        memcpy(buf + i * 8, &v64, 8);
    } else if (esize == 4) {
        memcpy(buf + i * 4, &v32, 4);
    } else {
        buf[i] = (uint8_t)v;
    }
}

static uint64_t load(const uint8_t *buf, size_t esize, size_t i)
{
    int64_t v64;
    int32_t v32;

    if (esize == 8) {
        memcpy(&v64, buf + i * 8, 8);
        return (uint64_t)v64;
    }
    if (esize == 4) {
        memcpy(&v32, buf + i * 4, 4);
        return (uint32_t)v32;
    }
    return buf[i];
}

static void mismatch(int test, size_t size, size_t i, unsigned long long got,
                     unsigned long long want)
{
    fprintf(stderr, "coll_mpi: rank %d: %s of %zu B: item %zu is %llu, "
            "expected %llu\n", rank, test_names[test], size, i, got, want);
    MPI_Abort(MPI_COMM_WORLD, 1);
}

static void run_once(int test, size_t size)
{
    size_t esize;
    MPI_Datatype type = reduce_type(size, &esize);

    switch (test) {
    case T_BARRIER:
        MPI_Barrier(MPI_COMM_WORLD);
        break;
    case T_BCAST:
        MPI_Bcast(recvbuf, (int)size, MPI_UINT8_T, 0, MPI_COMM_WORLD);
        break;
    case T_REDUCE:
        MPI_Reduce(sendbuf, recvbuf, (int)(size / esize), type, MPI_SUM, 0,
                   MPI_COMM_WORLD);
        break;
    case T_ALLREDUCE:
        MPI_Allreduce(sendbuf, recvbuf, (int)(size / esize), type, MPI_SUM,
                      MPI_COMM_WORLD);
        break;
    case T_ALLGATHER:
        MPI_Allgather(sendbuf, (int)size, MPI_UINT8_T, recvbuf, (int)size,
                      MPI_UINT8_T, MPI_COMM_WORLD);
        break;
    case T_ALLTOALL:
        MPI_Alltoall(sendbuf, (int)size, MPI_UINT8_T, recvbuf, (int)size,
                     MPI_UINT8_T, MPI_COMM_WORLD);
        break;
    }
}

static void check_once(int test, size_t size)
{
    size_t n = (size_t)nranks, me = (size_t)rank, esize, i, b, owner;
    uint64_t mask, want;

    memset(recvbuf, 0, buffer_length);
    reduce_type(size, &esize);
    for (i = 0; i < size / esize && (test == T_REDUCE ||
                                     test == T_ALLREDUCE); ++i) {
        store(sendbuf, esize, i, (uint64_t)(rank + 1) * (i % 5 + 1));
    }
    for (i = 0; i < size; ++i) {
        if (test == T_BCAST && rank == 0) {
            recvbuf[i] = pattern(n, i);
        } else if (test == T_ALLGATHER) {
            sendbuf[i] = pattern(me, i);
        }
        for (b = 0; b < n && test == T_ALLTOALL; ++b) {
            sendbuf[b * size + i] = pattern(me * n + b, i);
        }
    }
    run_once(test, size);
    if (test == T_BCAST) {
        for (i = 0; i < size; ++i) {
            if (recvbuf[i] != pattern(n, i)) {
                mismatch(test, size, i, recvbuf[i], pattern(n, i));
            }
        }
    } else if (test == T_ALLREDUCE || (test == T_REDUCE && rank == 0)) {
        mask = esize >= 8 ? UINT64_MAX : (1ull << (esize * 8)) - 1;
        for (i = 0; i < size / esize; ++i) {
            want = ((i % 5 + 1) * n * (n + 1) / 2) & mask;
            if ((load(recvbuf, esize, i) & mask) != want) {
                mismatch(test, size, i, load(recvbuf, esize, i), want);
            }
        }
    } else if (test == T_ALLGATHER || test == T_ALLTOALL) {
        for (b = 0; b < n; ++b) {
            owner = (test == T_ALLGATHER) ? b : b * n + me;
            for (i = 0; i < size; ++i) {
                if (recvbuf[b * size + i] != pattern(owner, i)) {
                    mismatch(test, size, b * size + i,
                             recvbuf[b * size + i], pattern(owner, i));
                }
            }
        }
    }
}

/* ---- timing and rows ---------------------------------------------------- */

static double percentile(const double *sorted, size_t count, double pct)
{
    size_t r = (size_t)(pct / 100.0 * (double)count + 0.999999);

    r = r ? r : 1;
    return sorted[(r > count ? count : r) - 1];
}

/* verve_perf_report.c's lat_batch: the median over batches of iters/20
 * consecutive iterations (1 to 100) of the batch's mean. */
static double batch_median(const double *samples, size_t iters)
{
    size_t length = batch_length(iters);
    size_t batches = iters / length, b, i;
    double *means = malloc(batches * sizeof(*means)), batch;

    if (means == NULL) {
        return 0;
    }
    for (b = 0; b < batches; ++b) {
        means[b] = 0;
        for (i = 0; i < length; ++i) {
            means[b] += samples[b * length + i];
        }
        means[b] /= (double)length;
    }
    batch = median(means, batches);
    free(means);
    return batch;
}

static void run_test(const options_t *opts, int test, size_t size)
{
    size_t iters = test_iters(opts, size), warmup, i;
    double *samples = malloc(iters * sizeof(*samples));
    double mine[5] = {0, 0, 0, 0, 0}, max[5];
    uint64_t t0;

    warmup = warmup_count(opts->warmup, iters);
    if (samples == NULL) {
        fail("out of memory%s", "");
    }
    check_once(test, size);
    for (i = 0; i < warmup; ++i) {
        run_once(test, size);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    for (i = 0; i < iters; ++i) {
        t0 = time_ns();
        run_once(test, size);
        samples[i] = (double)(time_ns() - t0);
    }
    for (i = 0; i < iters; ++i) {
        mine[0] += samples[i];
    }
    mine[4] = batch_median(samples, iters) / 1e3;
    qsort(samples, iters, sizeof(*samples), compare);
    mine[0] = mine[0] / (double)iters / 1e3;
    mine[1] = samples[0] / 1e3;
    mine[2] = percentile(samples, iters, 50.0) / 1e3;
    mine[3] = percentile(samples, iters, 99.0) / 1e3;
    free(samples);
    MPI_Allreduce(mine, max, 5, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (rank != 0) {
        return;
    }
    double bw = max[4] > 0 ? (double)size / max[4] * 1e6 / 1048576.0 : 0;
    if (opts->json) {
        printf("{\"test\":\"%s\",\"size\":%zu,\"ranks\":%d,"
               "\"algo\":\"mpi\",\"iters\":%zu,\"lat_us_batch\":%.3f,"
               "\"lat_us_avg\":%.3f,\"lat_us_min\":%.3f,"
               "\"lat_us_median\":%.3f,\"lat_us_p99\":%.3f,"
               "\"bw_MBps\":%.2f}\n", test_names[test], size, nranks,
               iters, max[4], max[0], max[1], max[2], max[3], bw);
    } else {
        printf("%-9s %10zu %5d %-10s %9zu %9.3f %9.3f %9.3f %9.3f %9.3f "
               "%11.2f\n", test_names[test], size, nranks, "mpi", iters,
               max[4], max[0], max[1], max[2], max[3], bw);
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    size_t sizes[SIZES_MAX], count, i, max = 8;
    options_t opts;
    cpu_set_t set;
    int test;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    parse_options(argc, argv, &opts);
    if (opts.num_cpus && rank < 2) {
        CPU_ZERO(&set);
        CPU_SET(opts.cpus[rank], &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0) {
            fail("pinning failed: %s", strerror(errno));
        }
    }
    time_init();
    for (test = 0; test < T_LAST; ++test) {
        count = (opts.tests & (1u << test)) ? test_sizes(&opts, test, sizes)
                                            : 0;
        for (i = 0; i < count; ++i) {
            max = sizes[i] > max ? sizes[i] : max;
        }
    }
    buffer_length = max * (size_t)nranks;
    sendbuf = calloc(1, buffer_length);
    recvbuf = calloc(1, buffer_length);
    if (sendbuf == NULL || recvbuf == NULL) {
        fail("out of memory%s", "");
    }
    if (rank == 0 && !opts.json) {
        printf("%-9s %10s %5s %-10s %9s %9s %9s %9s %9s %9s %11s\n",
               "test", "size", "ranks", "algo", "iters", "lat_batch",
               "lat_avg", "lat_min", "lat_med", "lat_p99", "bw");
        printf("%-9s %10s %5s %-10s %9s %9s %9s %9s %9s %9s %11s\n", "",
               "(bytes)", "", "", "", "(us)", "(us)", "(us)", "(us)",
               "(us)", "(MB/s)");
    }
    for (test = 0; test < T_LAST; ++test) {
        count = (opts.tests & (1u << test)) ? test_sizes(&opts, test, sizes)
                                            : 0;
        for (i = 0; i < count; ++i) {
            run_test(&opts, test, sizes[i]);
        }
    }
    free(sendbuf);
    free(recvbuf);
    MPI_Finalize();
    return 0;
}
