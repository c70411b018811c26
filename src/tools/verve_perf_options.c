/* Command line of verve_perf, in the style of ucx_perftest. */
#include <verve_config.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "verve_perf.h"

static const char *const perf_test_names[PERF_TEST_LAST] = {
    [PERF_TEST_AM_LAT] = "am_lat",
    [PERF_TEST_AM_BW] = "am_bw",
    [PERF_TEST_AM_MR] = "am_mr",
    [PERF_TEST_PUT_LAT] = "put_lat",
    [PERF_TEST_PUT_BW] = "put_bw",
    [PERF_TEST_GET_LAT] = "get_lat",
    [PERF_TEST_GET_BW] = "get_bw",
    [PERF_TEST_FADD_LAT] = "fadd_lat",
    [PERF_TEST_SWAP_LAT] = "swap_lat",
    [PERF_TEST_TAG_LAT] = "tag_lat",
    [PERF_TEST_TAG_BW] = "tag_bw",
    [PERF_TEST_TAG_MR] = "tag_mr",
    [PERF_TEST_BARRIER] = "barrier",
    [PERF_TEST_BCAST] = "bcast",
    [PERF_TEST_REDUCE] = "reduce",
    [PERF_TEST_ALLREDUCE] = "allreduce",
    [PERF_TEST_ALLGATHER] = "allgather",
    [PERF_TEST_ALLTOALL] = "alltoall",
};

/* am_lat's default sweep (the collectives' stops at 1 MiB); the other
 * tests sweep powers of 4. */
static const size_t perf_sizes_am_lat[] = {
    8, 64, 512, 4096, 32768, 262144, 1048576, 4194304
};
#define PERF_SIZES_AM_LAT_COUNT \
    (sizeof(perf_sizes_am_lat) / sizeof(perf_sizes_am_lat[0]))

const char *perf_test_name(perf_test_id_t test)
{
    return (test < PERF_TEST_LAST) ? perf_test_names[test] : "unknown";
}

int perf_test_is_coll(perf_test_id_t test)
{
    return (test >= PERF_TEST_COLL_FIRST) && (test < PERF_TEST_LAST);
}

void perf_options_usage(FILE *stream)
{
    fprintf(stream,
        "usage: verve_run -n N verve_perf [options]  (or mpirun -n N ...)\n"
        "Point-to-point tests: rank 0 measures and prints, rank 1 is the "
        "peer. With\nmore ranks (an even number), pairs (2, 3), (4, 5) ... "
        "run the same tests at\nthe same time; rank 0 still reports its "
        "own pair, now on a loaded machine.\nCollective tests: every rank "
        "of the job (1 or more) is one team; rank 0\nis the root of bcast "
        "and reduce and prints the slowest rank's figures.\n\n"
        "  -t TEST[,TEST]  test to run (default am_lat), or 'all' (every\n"
        "                  point-to-point test) or 'coll' (every "
        "collective):\n"
        "                  am_lat am_bw am_mr put_lat put_bw get_lat get_bw\n"
        "                  fadd_lat swap_lat tag_lat tag_bw tag_mr;\n"
        "                  collectives: barrier bcast\n"
        "                  reduce allreduce allgather alltoall (not mixed\n"
        "                  with point-to-point tests in one run)\n"
        "  -s SIZE[,SIZE]  message sizes, k/m/g suffixes allowed; LO-HI is\n"
        "                  LO, 2*LO, ... up to HI (default: a sweep 1 B..4 "
        "MiB\n                  in powers of 4; am_lat: "
        "8,64,512,4k,32k,256k,1m,4m\n"
        "                  (tag_lat too);\n"
        "                  collectives: the same up to 1m; am_mr and\n"
        "                  tag_mr: 8;\n"
        "                  atomics: 8; barrier: none, reported as 0)\n"
        "  -n ITERS        measured iterations (default: 100000 up to 4 KiB\n"
        "                  (collectives 20000), 10000 up to 64 KiB, 1000\n"
        "                  above)\n"
        "  -w WARMUP       warm-up iterations (default ITERS/10, at least 10)\n"
        "  -W WINDOW       outstanding operations in bw/mr tests (default 32)\n"
        "  -c CPU0,CPU1    pin rank 0 to CPU0 and rank 1 to CPU1\n"
        "  --algo ALG[/RADIX]\n"
        "                  force collective algorithm ALG on every "
        "collective\n"
        "                  test of the run (verve_info -l lists them per\n"
        "                  collective; e.g. rd, rab, ring, knomial/4). It\n"
        "                  sets VERVE_COLL_TUNE to COLL:0-inf:ALG for each\n"
        "                  one before the worker is created, replacing any\n"
        "                  value from the environment\n"
        "  --json          one JSON object per line and size\n"
        "  -h, --help      this help\n"
        "  --version       the library version\n\n"
        "Latency tests report per-iteration figures: half a round trip for\n"
        "am_lat, tag_lat and put_lat (ping-pong), the whole operation for\n"
        "get_lat, fadd_lat and swap_lat. Bandwidth is in MB/s with MB =\n"
        "2^20 bytes, as ucx_perftest reports it.\n"
        "Collectives run as persistent collectives (verve_coll_init once "
        "per\nsize, verve_coll_start per iteration); each size is checked "
        "once before\nit is timed (a wrong result fails the run). SIZE is "
        "the buffer of one\nmember: the message of bcast, reduce and "
        "allreduce, each member's part\nof allgather, the block to each "
        "peer of alltoall. Reductions sum int64\nelements (int32 when "
        "SIZE is not a multiple of 8, uint8 when not of 4).\n"
        "Iterations run back to back, each timed. Rows, in us and each the\n"
        "largest over the ranks (rank 0 prints them): lat_batch, the median\n"
        "over batches of ITERS/20 consecutive iterations (1 to 100) of the\n"
        "batch's mean, the steady time per operation; lat_avg, the mean;\n"
        "lat_min, lat_med (p50) and lat_p99 of single iterations. bw =\n"
        "SIZE / lat_batch in MB/s.\n");
}

static int perf_error(char *errbuf, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* "64k" -> 65536. Returns 0 on success. */
static int perf_parse_size(const char *str, size_t *size_p)
{
    unsigned long long value;
    char *end;
    int shift = 0;

    if ((*str < '0') || (*str > '9')) {
        return -1;
    }
    errno = 0;
    value = strtoull(str, &end, 10);
    if (errno != 0) {
        return -1;
    }
    switch (*end) {
    case 'k': case 'K': shift = 10; ++end; break;
    case 'm': case 'M': shift = 20; ++end; break;
    case 'g': case 'G': shift = 30; ++end; break;
    default: break;
    }
    if ((*end == 'b') || (*end == 'B')) {
        ++end;
    }
    if ((*end != '\0') || (value > (PERF_SIZE_LIMIT >> shift))) {
        return -1;
    }
    *size_p = (size_t)(value << shift);
    return 0;
}

/* A positive count, no suffix. Returns 0 on success. */
static int perf_parse_count(const char *str, size_t min, size_t max,
                            size_t *count_p)
{
    unsigned long long value;
    char *end;

    if ((*str < '0') || (*str > '9')) {
        return -1;
    }
    errno = 0;
    value = strtoull(str, &end, 10);
    if ((errno != 0) || (*end != '\0') || (value < min) || (value > max)) {
        return -1;
    }
    *count_p = (size_t)value;
    return 0;
}

static int perf_parse_cpus(const char *arg, perf_options_t *opts)
{
    unsigned long cpu;
    const char *p = arg;
    char *end;
    int i;

    for (i = 0; i < 2; ++i) {
        if ((*p < '0') || (*p > '9')) {
            return -1;
        }
        errno = 0;
        cpu = strtoul(p, &end, 10);
        if ((errno != 0) || (cpu >= 4096)) {
            return -1;
        }
        opts->cpus[i] = (int)cpu;
        if (*end != ((i == 0) ? ',' : '\0')) {
            return -1;
        }
        p = end + 1;
    }
    opts->num_cpus = 2;
    return 0;
}

static int perf_parse_tests(const char *arg, uint32_t *tests_p,
                            char *errbuf, size_t errlen)
{
    char list[256];
    char *save = NULL;
    char *name;
    uint32_t tests = 0;
    int id;

    if (strlen(arg) >= sizeof(list)) {
        return perf_error(errbuf, errlen, "-t: list too long");
    }
    strcpy(list, arg);
    for (name = strtok_r(list, ",", &save); name != NULL;
         name = strtok_r(NULL, ",", &save)) {
        if (strcmp(name, "all") == 0) {
            tests |= PERF_TESTS_P2P;
            continue;
        }
        if (strcmp(name, "coll") == 0) {
            tests |= PERF_TESTS_COLL;
            continue;
        }
        for (id = 0; id < PERF_TEST_LAST; ++id) {
            if (strcmp(name, perf_test_names[id]) == 0) {
                break;
            }
        }
        if (id == PERF_TEST_LAST) {
            return perf_error(errbuf, errlen,
                              "-t: unknown test '%s' (accepted: am_lat, "
                              "am_bw, am_mr, put_lat, put_bw, get_lat, "
                              "get_bw, fadd_lat, swap_lat, tag_lat, "
                              "tag_bw, tag_mr, all, barrier, "
                              "bcast, reduce, allreduce, allgather, "
                              "alltoall, coll)", name);
        }
        tests |= 1u << id;
    }
    if (tests == 0) {
        return perf_error(errbuf, errlen, "-t: no test named");
    }
    if ((tests & PERF_TESTS_P2P) && (tests & PERF_TESTS_COLL)) {
        /* pairs and one team need different endpoints and rank counts */
        return perf_error(errbuf, errlen, "-t: point-to-point and "
                          "collective tests cannot run in one run ('%s')",
                          arg);
    }
    *tests_p = tests;
    return 0;
}

/* Appends LO, 2*LO, ... up to HI for the item "LO-HI"; 0 on success. */
static int perf_parse_size_range(char *item, perf_options_t *opts,
                                 char *errbuf, size_t errlen)
{
    char *dash = strchr(item, '-');
    size_t lo, hi, size;

    *dash = '\0';
    if ((perf_parse_size(item, &lo) != 0) ||
        (perf_parse_size(dash + 1, &hi) != 0) || (lo == 0) || (lo > hi)) {
        *dash = '-';
        return perf_error(errbuf, errlen, "-s: bad size range '%s' "
                          "(accepted: LO-HI with 1 <= LO <= HI <= 1g)",
                          item);
    }
    for (size = lo; size <= hi; size *= 2) {
        if (opts->num_sizes == PERF_SIZES_MAX) {
            return perf_error(errbuf, errlen, "-s: more than %d sizes",
                              PERF_SIZES_MAX);
        }
        opts->sizes[opts->num_sizes++] = size;
    }
    return 0;
}

/* The library checks the algorithm against each collective; here only
 * what could not be a name, so nothing else slips into VERVE_COLL_TUNE. */
static int perf_parse_algo(const char *arg, perf_options_t *opts,
                           char *errbuf, size_t errlen)
{
    size_t length = strlen(arg);

    if ((length == 0) || (length >= sizeof(opts->algo)) ||
        (strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789_/") != length)) {
        return perf_error(errbuf, errlen, "--algo: bad algorithm '%s' "
                          "(accepted: a name such as rd, ring or knomial/4; "
                          "verve_info -l lists them)", arg);
    }
    strcpy(opts->algo, arg);
    return 0;
}

static int perf_parse_sizes(const char *arg, perf_options_t *opts,
                            char *errbuf, size_t errlen)
{
    char list[1024];
    char *save = NULL;
    char *item;

    if (strlen(arg) >= sizeof(list)) {
        return perf_error(errbuf, errlen, "-s: list too long");
    }
    strcpy(list, arg);
    opts->num_sizes = 0;
    for (item = strtok_r(list, ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save)) {
        if (strchr(item, '-') != NULL) {
            if (perf_parse_size_range(item, opts, errbuf, errlen) != 0) {
                return -1;
            }
            continue;
        }
        if (opts->num_sizes == PERF_SIZES_MAX) {
            return perf_error(errbuf, errlen, "-s: more than %d sizes",
                              PERF_SIZES_MAX);
        }
        if ((perf_parse_size(item, &opts->sizes[opts->num_sizes]) != 0) ||
            (opts->sizes[opts->num_sizes] == 0)) {
            return perf_error(errbuf, errlen,
                              "-s: bad size '%s' (accepted: 1 to 1g, with "
                              "an optional k, m or g suffix)", item);
        }
        ++opts->num_sizes;
    }
    if (opts->num_sizes == 0) {
        return perf_error(errbuf, errlen, "-s: no size given");
    }
    return 0;
}

int perf_options_parse(int argc, char **argv, perf_options_t *opts,
                       char *errbuf, size_t errlen)
{
    enum { OPT_JSON = 256, OPT_VERSION, OPT_ALGO };
    static const struct option long_opts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"algo", required_argument, NULL, OPT_ALGO},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0}
    };
    size_t count;
    int c;

    memset(opts, 0, sizeof(*opts));
    opts->tests = 1u << PERF_TEST_AM_LAT;
    opts->warmup = SIZE_MAX;
    opts->window = 32;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":t:s:n:w:W:c:h", long_opts,
                            NULL)) != -1) {
        switch (c) {
        case 't':
            if (perf_parse_tests(optarg, &opts->tests, errbuf, errlen) != 0) {
                return -1;
            }
            break;
        case 's':
            if (perf_parse_sizes(optarg, opts, errbuf, errlen) != 0) {
                return -1;
            }
            break;
        case 'n':
            if (perf_parse_count(optarg, 1, 1000000000, &opts->iters) != 0) {
                return perf_error(errbuf, errlen, "-n: bad iteration count "
                                  "'%s' (accepted: 1 to 1000000000)", optarg);
            }
            break;
        case 'w':
            if (perf_parse_count(optarg, 0, 1000000000, &opts->warmup) != 0) {
                return perf_error(errbuf, errlen, "-w: bad warm-up count "
                                  "'%s' (accepted: 0 to 1000000000)", optarg);
            }
            break;
        case 'W':
            if (perf_parse_count(optarg, 1, PERF_WINDOW_MAX, &count) != 0) {
                return perf_error(errbuf, errlen, "-W: bad window '%s' "
                                  "(accepted: 1 to %d)", optarg,
                                  PERF_WINDOW_MAX);
            }
            opts->window = (unsigned)count;
            break;
        case 'c':
            if (perf_parse_cpus(optarg, opts) != 0) {
                return perf_error(errbuf, errlen, "-c: bad CPU list '%s' "
                                  "(accepted: two CPU numbers, such as "
                                  "0,1)", optarg);
            }
            break;
        case OPT_JSON:
            opts->json = 1;
            break;
        case OPT_ALGO:
            if (perf_parse_algo(optarg, opts, errbuf, errlen) != 0) {
                return -1;
            }
            break;
        case 'h':
            opts->help = 1;
            return 1;
        case OPT_VERSION:
            opts->version = 1;
            return 1;
        case ':':
            return perf_error(errbuf, errlen, "option '%s' needs a value",
                              argv[optind - 1]);
        default:
            return perf_error(errbuf, errlen, "unknown option '%s' (see "
                              "--help)", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        return perf_error(errbuf, errlen, "unexpected argument '%s' (see "
                          "--help)", argv[optind]);
    }
    if ((opts->algo[0] != '\0') && !(opts->tests & PERF_TESTS_COLL)) {
        return perf_error(errbuf, errlen, "--algo applies to collective "
                          "tests only (-t barrier, bcast, reduce, "
                          "allreduce, allgather, alltoall or coll)");
    }
    return 0;
}

int perf_options_tune(const perf_options_t *opts, char *tune, size_t max)
{
    size_t used = 0;
    int test, length;

    if (max == 0) {
        return -1;
    }
    tune[0] = '\0';
    for (test = PERF_TEST_COLL_FIRST; test < PERF_TEST_LAST; ++test) {
        if (!(opts->tests & (1u << test)) || (opts->algo[0] == '\0')) {
            continue;
        }
        length = snprintf(tune + used, max - used, "%s%s:0-inf:%s",
                          (used > 0) ? ";" : "", perf_test_names[test],
                          opts->algo);
        if ((length < 0) || ((size_t)length >= max - used)) {
            return -1;
        }
        used += (size_t)length;
    }
    return 0;
}

size_t perf_options_sizes(const perf_options_t *opts, perf_test_id_t test,
                          size_t *sizes, size_t max)
{
    size_t count = 0;
    size_t i, size;

    if ((test == PERF_TEST_FADD_LAT) || (test == PERF_TEST_SWAP_LAT)) {
        sizes[0] = 8; /* 64-bit atomics: the size is fixed */
        return 1;
    }
    if (test == PERF_TEST_BARRIER) {
        sizes[0] = 0; /* no data: one row */
        return 1;
    }
    if (opts->num_sizes > 0) {
        for (i = 0; (i < opts->num_sizes) && (i < max); ++i) {
            sizes[i] = opts->sizes[i];
        }
        return i;
    }
    switch (test) {
    case PERF_TEST_AM_MR:
    case PERF_TEST_TAG_MR:
        sizes[0] = 8;
        return 1;
    case PERF_TEST_AM_LAT:
    case PERF_TEST_TAG_LAT:
        for (i = 0; (i < PERF_SIZES_AM_LAT_COUNT) && (i < max); ++i) {
            sizes[i] = perf_sizes_am_lat[i];
        }
        return i;
    case PERF_TEST_BCAST:
    case PERF_TEST_REDUCE:
    case PERF_TEST_ALLREDUCE:
    case PERF_TEST_ALLGATHER:
    case PERF_TEST_ALLTOALL:
        for (i = 0; (i < PERF_SIZES_AM_LAT_COUNT) && (i < max) &&
                    (perf_sizes_am_lat[i] <= (1u << 20)); ++i) {
            sizes[i] = perf_sizes_am_lat[i];
        }
        return i;
    default:
        for (size = 1; (size <= (4u << 20)) && (count < max); size *= 4) {
            sizes[count++] = size;
        }
        return count;
    }
}

size_t perf_options_iters(const perf_options_t *opts, perf_test_id_t test,
                          size_t size)
{
    if (opts->iters != 0) {
        return opts->iters;
    }
    if (size <= 4096) {
        /* a collective round is several messages: keep runs short */
        return perf_test_is_coll(test) ? 20000 : 100000;
    }
    return (size <= 65536) ? 10000 : 1000;
}

size_t perf_options_warmup(const perf_options_t *opts, size_t iters)
{
    if (opts->warmup != SIZE_MAX) {
        return opts->warmup;
    }
    return (iters / 10 < 10) ? 10 : iters / 10;
}
