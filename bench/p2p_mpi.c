/*
 * p2p_mpi: point-to-point figures of an MPI library between two ranks,
 * for bench/vs-mpi.sh, which runs it over Open MPI's pml cm + mtl verve,
 * pml ucx and pml ob1 in turn.
 *
 *   lat   ping-pong, half a round trip in us
 *   bw    a window of WINDOW MPI_Isend (rank 0) / MPI_Irecv (rank 1), then a
 *         zero-byte ack from rank 1; MB/s with MB = 10^6 bytes
 *   rate  the bw loop at 8 B (or -s), messages/s
 *   init  MPI_Init and MPI_Finalize only; each rank prints the wall time
 *         they took inside the process (the script times the whole job)
 *
 * Each iteration runs back to back; batches of ITERS/20 consecutive
 * iterations (1 to 100) are timed on rank 0 and the figure comes from the
 * median batch (its mean per iteration), which a burst of noise on a
 * 2-CPU machine moves less than the mean of the whole loop does.
 *
 * Data: before and after the timed loop of every size, each side sends a
 * window of messages (one for lat) from distinct buffers filled with a
 * pattern of the byte offset and the iteration, into cleared buffers; the
 * receiver checks the received length and every byte, and a mismatch ends
 * the job with a message and exit status 1. The timed loops send the same
 * buffer over and over, its first and last 8 bytes stamped with the
 * iteration and checked on arrival.
 *
 * Built by the script with mpicc; not part of the verve build.
 */
#define _GNU_SOURCE
#define BENCH_NAME "p2p_mpi"
#include <getopt.h>
#include "bench_mpi.h"

#define SWEEP_MAX ((size_t)4 << 20)
#define WINDOW_MAX 1024
/* the check's window of large messages is cut to fit this, per side */
#define CHECK_BYTES ((size_t)64 << 20)

enum { TAG_DATA = 1, TAG_ACK = 2, TAG_CHECK = 3 };

enum { T_LAT, T_BW, T_RATE, T_INIT, T_LAST };

static const char *const test_names[T_LAST] = {"lat", "bw", "rate", "init"};

typedef struct options {
    unsigned tests;
    size_t sizes[SIZES_MAX];
    size_t num_sizes;
    size_t iters;       /* 0: by size */
    size_t warmup;      /* SIZE_MAX: iters / 10, at least 10 */
    size_t window;
} options_t;

static void usage(void)
{
    printf("usage: mpirun -n 2 p2p_mpi [-t TEST[,TEST]] [-s SIZE[,SIZE]] "
           "[-n ITERS] [-w WARMUP]\n               [-W WINDOW] [-h]\n"
           "  -t TEST   lat (ping-pong, half round trip, us), bw (window "
           "of Isend/Irecv\n            + 0 B ack, MB/s, MB = 10^6 B), "
           "rate (the bw loop, msg/s), init\n            (MPI_Init + "
           "MPI_Finalize only; each rank prints 'init RANK MS',\n"
           "            their wall time inside the process); default "
           "lat,bw,rate\n"
           "  -s SIZE   bytes, k/m suffix (2^10, 2^20), LO-HI for LO, "
           "2*LO ... HI (0-HI:\n            0, 1, 2 ... HI); default: "
           "lat 0-4m, bw 1-4m, rate 8\n"
           "  -n ITERS  timed iterations (windows for bw and rate); "
           "default by size\n"
           "  -w WARMUP untimed iterations first (default ITERS/10, at "
           "least 10)\n"
           "  -W WINDOW messages in flight in bw and rate (default 64)\n"
           "Prints one line per figure: 'lat SIZE US', 'bw SIZE MBPS', "
           "'rate SIZE MSGPS';\nlines starting with '#' are comments. "
           "Figures are rank 0's median batch of\nITERS/20 consecutive "
           "iterations. Data is checked before and after each\nsize's "
           "timed loop; a mismatch exits with status 1.\n");
}

/* ---- options ------------------------------------------------------------ */

static size_t parse_count(const char *arg, const char *what, int zero_ok)
{
    unsigned long long value;
    char *end;

    errno = 0;
    value = strtoull(arg, &end, 10);
    if (errno || *end != '\0' || *arg < '0' || *arg > '9' ||
        (value == 0 && !zero_ok)) {
        fail(what, arg);
    }
    return (size_t)value;
}

static void parse_options(int argc, char **argv, options_t *opts)
{
    static const struct option long_opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}
    };
    int c;

    memset(opts, 0, sizeof(*opts));
    opts->tests = (1u << T_LAT) | (1u << T_BW) | (1u << T_RATE);
    opts->warmup = SIZE_MAX;
    opts->window = 64;
    while ((c = getopt_long(argc, argv, "t:s:n:w:W:h", long_opts, NULL)) !=
           -1) {
        switch (c) {
        case 't':
            opts->tests = parse_tests(optarg, test_names, T_LAST, NULL,
                                      "-t: unknown test '%s' (lat, bw, "
                                      "rate, init)");
            if (opts->tests == 0) {
                fail("-t: no test given%s", "");
            }
            break;
        case 's':
            parse_sizes(optarg, 1, opts->sizes, &opts->num_sizes);
            break;
        case 'n':
            opts->iters = parse_count(optarg, "-n: bad iteration count '%s'",
                                      0);
            break;
        case 'w':
            opts->warmup = parse_count(optarg, "-w: bad warm-up count '%s'",
                                       1);
            break;
        case 'W':
            opts->window = parse_count(optarg, "-W: bad window '%s'", 0);
            if (opts->window > WINDOW_MAX) {
                fail("-W: window above %s", "1024");
            }
            break;
        case 'h': help_exit(usage);
        default: fail("bad option%s (see --help)", "");
        }
    }
    if (optind < argc) {
        fail("unexpected argument '%s' (see --help)", argv[optind]);
    }
}

static size_t test_sizes(const options_t *opts, int test, size_t *sizes)
{
    size_t count = 0, size;

    if (opts->num_sizes > 0) {
        for (size = 0; size < opts->num_sizes; ++size) {
            /* a 0 B bandwidth or rate is no figure: left out */
            if (opts->sizes[size] > 0 || test == T_LAT) {
                sizes[count++] = opts->sizes[size];
            }
        }
        return count;
    }
    if (test == T_RATE) {
        sizes[0] = 8;
        return 1;
    }
    if (test == T_LAT) {
        sizes[count++] = 0;
    }
    for (size = 1; size <= SWEEP_MAX; size *= 2) {
        sizes[count++] = size;
    }
    return count;
}

static size_t test_iters(const options_t *opts, int test, size_t size)
{
    size_t bytes;

    if (opts->iters) {
        return opts->iters;
    }
    if (test == T_LAT) {
        return size <= 4096 ? 50000 : size <= 65536 ? 10000 :
               size <= 1048576 ? 500 : 100;
    }
    /* windows: about 1 GiB in all, 20 to 10000 of them */
    bytes = size * opts->window;
    return ((size_t)1 << 30) / bytes < 20 ? 20 :
           ((size_t)1 << 30) / bytes > 10000 ? 10000 :
           ((size_t)1 << 30) / bytes;
}

/* ---- data and its check ------------------------------------------------- */

static uint8_t pattern(size_t offset, size_t iter)
{
    return (uint8_t)((offset * 131u + iter * 7u + 1u) ^ (offset >> 8) ^
                     (iter >> 5));
}

static void fill(uint8_t *buf, size_t size, size_t iter)
{
    size_t i;

    for (i = 0; i < size; ++i) {
        buf[i] = pattern(i, iter);
    }
}

/* Checks a received message's length and bytes; a mismatch ends the job. */
static void verify(int test, const uint8_t *buf, size_t size, size_t iter,
                   const MPI_Status *status)
{
    int count;
    size_t i;

    MPI_Get_count(status, MPI_BYTE, &count);
    if ((size_t)count != size) {
        fprintf(stderr, "p2p_mpi: rank %d: %s of %zu B, iteration %zu: "
                "received %d B\n", rank, test_names[test], size, iter,
                count);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (i = 0; i < size; ++i) {
        if (buf[i] != pattern(i, iter)) {
            fprintf(stderr, "p2p_mpi: rank %d: %s of %zu B, iteration %zu: "
                    "byte %zu is 0x%02x, expected 0x%02x\n", rank,
                    test_names[test], size, iter, i, buf[i],
                    pattern(i, iter));
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
}

/* lat: one checked round trip, rank 0's message then rank 1's reply,
 * each with its own iteration number. */
static void check_lat(size_t size, size_t iter, uint8_t *sbuf, uint8_t *rbuf)
{
    int peer = 1 - rank;
    MPI_Status status;

    memset(rbuf, 0, size);
    fill(sbuf, size, iter + (size_t)rank);
    if (rank == 0) {
        MPI_Send(sbuf, (int)size, MPI_BYTE, peer, TAG_CHECK, MPI_COMM_WORLD);
        MPI_Recv(rbuf, (int)size, MPI_BYTE, peer, TAG_CHECK, MPI_COMM_WORLD,
                 &status);
        verify(T_LAT, rbuf, size, iter + 1, &status);
    } else {
        MPI_Recv(rbuf, (int)size, MPI_BYTE, peer, TAG_CHECK, MPI_COMM_WORLD,
                 &status);
        verify(T_LAT, rbuf, size, iter, &status);
        MPI_Send(sbuf, (int)size, MPI_BYTE, peer, TAG_CHECK, MPI_COMM_WORLD);
    }
}

/* bw and rate: one checked window, message k of it from and into its own
 * buffer with iteration iter + k, so that a transport which mixes up the
 * order or the buffers of one window is caught too. */
static void check_window(int test, size_t size, size_t window, size_t iter,
                         uint8_t *buf)
{
    MPI_Request requests[WINDOW_MAX];
    MPI_Status statuses[WINDOW_MAX];
    size_t k;

    if (size > 0 && window > CHECK_BYTES / size) {
        window = CHECK_BYTES / size < 2 ? 2 : CHECK_BYTES / size;
    }
    for (k = 0; k < window; ++k) {
        if (rank == 0) {
            fill(buf + k * size, size, iter + k);
            MPI_Isend(buf + k * size, (int)size, MPI_BYTE, 1, TAG_CHECK,
                      MPI_COMM_WORLD, &requests[k]);
        } else {
            memset(buf + k * size, 0, size);
            MPI_Irecv(buf + k * size, (int)size, MPI_BYTE, 0, TAG_CHECK,
                      MPI_COMM_WORLD, &requests[k]);
        }
    }
    MPI_Waitall((int)window, requests, statuses);
    for (k = 0; k < window && rank == 1; ++k) {
        verify(test, buf + k * size, size, iter + k, &statuses[k]);
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

/* ---- timed loops -------------------------------------------------------- */

/* The timed loops send the same buffer over and over; its first (and, past
 * 16 B, last) 8 bytes carry the iteration number, written before each
 * send and checked after each receive (a few ns on a 250 ns half round
 * trip, once per window in bw and rate), so that a transport which
 * completes a timed receive without delivering it cannot go unseen. */
static void stamp(uint8_t *buf, size_t size, uint64_t value)
{
    size_t j;

    for (j = 0; j < size && j < 8; ++j) {
        buf[j] = (uint8_t)(value >> (8 * j));
        if (size > 16) {
            buf[size - 8 + j] = (uint8_t)(value >> (8 * j));
        }
    }
}

static void check_stamp(int test, const uint8_t *buf, size_t size,
                        uint64_t value)
{
    size_t j;

    for (j = 0; j < size && j < 8; ++j) {
        if (buf[j] != (uint8_t)(value >> (8 * j)) ||
            (size > 16 && buf[size - 8 + j] != (uint8_t)(value >> (8 * j)))) {
            fprintf(stderr, "p2p_mpi: rank %d: %s of %zu B, timed "
                    "iteration stamp %llu: byte %zu or %zu differs: the "
                    "message was not delivered\n", rank, test_names[test],
                    size, (unsigned long long)value, j, size - 8 + j);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
}

static void pingpong(uint8_t *buf, size_t size, size_t iter)
{
    if (rank == 0) {
        stamp(buf, size, 2 * iter);
        MPI_Send(buf, (int)size, MPI_BYTE, 1, TAG_DATA, MPI_COMM_WORLD);
        MPI_Recv(buf, (int)size, MPI_BYTE, 1, TAG_DATA, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        check_stamp(T_LAT, buf, size, 2 * iter + 1);
    } else {
        MPI_Recv(buf, (int)size, MPI_BYTE, 0, TAG_DATA, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        check_stamp(T_LAT, buf, size, 2 * iter);
        stamp(buf, size, 2 * iter + 1);
        MPI_Send(buf, (int)size, MPI_BYTE, 0, TAG_DATA, MPI_COMM_WORLD);
    }
}

static void window_once(int test, uint8_t *buf, size_t size, size_t window,
                        size_t iter)
{
    MPI_Request requests[WINDOW_MAX];
    size_t k;

    if (rank == 0) {
        stamp(buf, size, iter);
    }
    for (k = 0; k < window; ++k) {
        if (rank == 0) {
            MPI_Isend(buf, (int)size, MPI_BYTE, 1, TAG_DATA, MPI_COMM_WORLD,
                      &requests[k]);
        } else {
            MPI_Irecv(buf, (int)size, MPI_BYTE, 0, TAG_DATA, MPI_COMM_WORLD,
                      &requests[k]);
        }
    }
    MPI_Waitall((int)window, requests, MPI_STATUSES_IGNORE);
    if (rank == 0) {
        MPI_Recv(NULL, 0, MPI_BYTE, 1, TAG_ACK, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
    } else {
        check_stamp(test, buf, size, iter);
        MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_ACK, MPI_COMM_WORLD);
    }
}

static void once(int test, uint8_t *buf, size_t size, size_t window,
                 size_t iter)
{
    if (test == T_LAT) {
        pingpong(buf, size, iter);
    } else {
        window_once(test, buf, size, window, iter);
    }
}

static void check(int test, size_t size, size_t window, size_t iter,
                  uint8_t *buf)
{
    if (test == T_LAT) {
        check_lat(size, iter, buf, buf + size);
    } else {
        check_window(test, size, window, iter, buf);
    }
}

static void run_test(const options_t *opts, int test, size_t size,
                     uint8_t *buf)
{
    size_t iters = test_iters(opts, test, size), length, batches, warmup;
    size_t i, b;
    double *seconds, per_iter;
    uint64_t t0;

    warmup = warmup_count(opts->warmup, iters);
    length = batch_length(iters);
    batches = iters / length;
    seconds = malloc(batches * sizeof(*seconds));
    if (seconds == NULL) {
        fail("out of memory%s", "");
    }
    check(test, size, opts->window, 0, buf);
    for (i = 1; i <= warmup; ++i) {
        once(test, buf, size, opts->window, i);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    for (b = 0; b < batches; ++b) {
        t0 = clock_ns();
        for (i = 0; i < length; ++i) {
            once(test, buf, size, opts->window, warmup + 1 + b * length + i);
        }
        seconds[b] = (double)(clock_ns() - t0) * 1e-9;
    }
    /* the iteration numbers of the second check differ from the first's,
     * so a buffer the timed loop left untouched cannot pass it */
    check(test, size, opts->window, warmup + iters + 1, buf);
    /* the median batch's mean per iteration */
    per_iter = median(seconds, batches) / (double)length;
    free(seconds);
    if (rank != 0) {
        return;
    }
    if (test == T_LAT) {
        printf("lat %zu %.3f\n", size, per_iter / 2 * 1e6);
    } else if (test == T_BW) {
        printf("bw %zu %.1f\n", size,
               (double)(size * opts->window) / per_iter / 1e6);
    } else {
        printf("rate %zu %.0f\n", size, (double)opts->window / per_iter);
    }
    fflush(stdout);
}

/* init: MPI_Init and MPI_Finalize only. Wall time from just before one to
 * just after the other, with only MPI_Comm_rank in between; each rank
 * prints its own, as none can collect them after MPI_Finalize. */
static int run_init(int argc, char **argv)
{
    uint64_t t0 = clock_ns(), t1;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Finalize();
    t1 = clock_ns();
    printf("init %d %.3f\n", rank, (double)(t1 - t0) * 1e-6);
    return 0;
}

/* Whether the command line is exactly '-t init'. */
static int init_only(int argc, char **argv)
{
    return argc == 3 && strcmp(argv[1], "-t") == 0 &&
           strcmp(argv[2], "init") == 0;
}

int main(int argc, char **argv)
{
    size_t sizes[SIZES_MAX], count, i, max = 8, window_bytes;
    options_t opts;
    uint8_t *buf;
    int test;

    if (init_only(argc, argv)) {
        return run_init(argc, argv);
    }
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    parse_options(argc, argv, &opts);
    if (opts.tests & (1u << T_INIT)) {
        fail("-t init runs alone ('-t init', nothing else)%s", "");
    }
    if (nranks != 2) {
        fail("needs 2 ranks (mpirun -n 2), has %s",
             nranks == 1 ? "1" : "more");
    }
    for (test = 0; test < T_LAST; ++test) {
        count = (opts.tests & (1u << test)) ? test_sizes(&opts, test, sizes)
                                            : 0;
        for (i = 0; i < count; ++i) {
            max = sizes[i] > max ? sizes[i] : max;
        }
    }
    /* lat: a send and a receive buffer; bw and rate: the check's window */
    window_bytes = max * opts.window > CHECK_BYTES ?
                   (CHECK_BYTES / max < 2 ? 2 * max : CHECK_BYTES) :
                   max * opts.window;
    buf = malloc(window_bytes > 2 * max ? window_bytes : 2 * max);
    if (buf == NULL) {
        fail("out of memory%s", "");
    }
    if (rank == 0) {
        char version[MPI_MAX_LIBRARY_VERSION_STRING];
        int length;

        MPI_Get_library_version(version, &length);
        version[strcspn(version, ",\n")] = '\0';
        printf("# p2p_mpi: %s, window %zu\n", version, opts.window);
    }
    for (test = 0; test < T_LAST; ++test) {
        count = (opts.tests & (1u << test)) ? test_sizes(&opts, test, sizes)
                                            : 0;
        for (i = 0; i < count; ++i) {
            run_test(&opts, test, sizes[i], buf);
        }
    }
    free(buf);
    MPI_Finalize();
    return 0;
}
