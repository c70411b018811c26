/*
 * verve_perf: benchmark started by `verve_run -n N` or `mpirun -n N`.
 * Point-to-point tests run between rank pairs (0, 1), (2, 3), ...: rank 0
 * measures and prints, rank 1 is its peer. Collective tests run over every
 * rank of the job as one team; rank 0 (the root of rooted collectives)
 * reports its own timings.
 */
#ifndef VERVE_PERF_H
#define VERVE_PERF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <verve/verve.h>
#include <verve/verve_boot.h>
#include <verve/verve_coll.h>

#define PERF_SIZES_MAX 64
#define PERF_SIZE_LIMIT ((size_t)1 << 30)
#define PERF_WINDOW_MAX 4096

/* AM ids used between the two ranks. */
#define PERF_AM_DATA 1  /* measured payload: counted on arrival */
#define PERF_AM_CTL 2   /* end of a phase: "done" or "ack" */

typedef enum perf_test_id {
    PERF_TEST_AM_LAT,
    PERF_TEST_AM_BW,
    PERF_TEST_AM_MR,
    PERF_TEST_PUT_LAT,
    PERF_TEST_PUT_BW,
    PERF_TEST_GET_LAT,
    PERF_TEST_GET_BW,
    PERF_TEST_FADD_LAT,
    PERF_TEST_SWAP_LAT,
    PERF_TEST_TAG_LAT,
    PERF_TEST_TAG_BW,
    PERF_TEST_TAG_MR,
    PERF_TEST_BARRIER,             /* collectives from here on */
    PERF_TEST_BCAST,
    PERF_TEST_REDUCE,
    PERF_TEST_ALLREDUCE,
    PERF_TEST_ALLGATHER,
    PERF_TEST_ALLTOALL,
    PERF_TEST_LAST
} perf_test_id_t;

#define PERF_TEST_COLL_FIRST PERF_TEST_BARRIER
#define PERF_TESTS_P2P ((1u << PERF_TEST_COLL_FIRST) - 1)
#define PERF_TESTS_COLL (((1u << PERF_TEST_LAST) - 1) & ~PERF_TESTS_P2P)
#define PERF_ALGO_MAX 32

typedef struct perf_options {
    uint32_t tests;                /* bit per perf_test_id_t */
    size_t sizes[PERF_SIZES_MAX];  /* empty: the test's default sweep */
    size_t num_sizes;
    size_t iters;                  /* 0: scaled by size */
    size_t warmup;                 /* SIZE_MAX: iters / 10, at least 10 */
    unsigned window;               /* outstanding ops in bw/mr tests */
    int json;
    int cpus[2];                   /* -c: CPU of rank 0 and rank 1 */
    int num_cpus;                  /* 0: no pinning */
    /* --algo: the algorithm forced on every collective test ("" none) */
    char algo[PERF_ALGO_MAX];
    int help;                      /* -h/--help given */
    int version;                   /* --version given */
} perf_options_t;

typedef struct perf_ctx {
    const perf_options_t *opts;
    verve_boot_h boot;
    int rank;                /* in its pair: 0 measures, 1 answers */
    int job_rank;            /* pairs are job ranks (0, 1), (2, 3), ... */
    verve_context_h context;
    verve_worker_h worker;
    verve_ep_h ep;               /* to the peer */
    verve_mem_h memh;            /* this rank's target region */
    uint8_t *region;
    size_t region_length;
    verve_rkey_h rkey;           /* the peer's region */
    uint64_t remote_addr;
    uint8_t *send_buffer;        /* source of puts and AMs */
    uint8_t *recv_buffer;        /* destination of gets and rndv AMs */
    size_t buffer_length;
    verve_request_h *window;     /* in-flight requests, opts->window */
    uint64_t seq;                /* put_lat marker, runs across phases */
    /* Written by AM handlers and request callbacks during progress. */
    uint64_t data_count;         /* DATA messages fully received */
    uint64_t ctl_count;          /* CTL messages received */
    verve_status_t async_status; /* first failure seen in a callback */
    int peer_failed;
    /* Collective tests: the whole job as one team. */
    int job_size;
    verve_ep_h *eps;             /* job_size entries, NULL for this rank */
    verve_team_h team;
} perf_ctx_t;

/* One measured (test, size) point. */
typedef struct perf_result {
    perf_test_id_t test;
    size_t size;
    size_t iters;
    unsigned ranks;      /* collectives: team size */
    double lat_us_avg;
    /* collectives: the median over batches of consecutive iterations of
     * the batch's mean, the steady time per operation */
    double lat_us_batch;
    double lat_us_min;
    double lat_us_median;
    double lat_us_p99;
    double bw_MBps;      /* MB = 2^20 bytes, as ucx_perftest counts */
    double msg_rate;     /* per second */
} perf_result_t;

/* verve_perf_options.c */
const char *perf_test_name(perf_test_id_t test);
/* Returns 0 to run, 1 when --help or --version asks to print and exit 0,
 * -1 on a bad flag (message in errbuf, exit 2). */
int perf_options_parse(int argc, char **argv, perf_options_t *opts,
                       char *errbuf, size_t errlen);
void perf_options_usage(FILE *stream);
/* The sizes a test runs: the user's list or the test's default sweep. */
size_t perf_options_sizes(const perf_options_t *opts, perf_test_id_t test,
                          size_t *sizes, size_t max);
size_t perf_options_iters(const perf_options_t *opts, perf_test_id_t test,
                          size_t size);
int perf_test_is_coll(perf_test_id_t test);
/* The VERVE_COLL_TUNE value that forces opts->algo on the selected
 * collectives; 0 on success, -1 when it does not fit in max bytes. */
int perf_options_tune(const perf_options_t *opts, char *tune, size_t max);
size_t perf_options_warmup(const perf_options_t *opts, size_t iters);

/* verve_perf_comm.c: progress, requests and AM handlers. */
void perf_fatal(const char *op, verve_status_t status)
    __attribute__((noreturn));
/* Exits through perf_fatal unless status is VERVE_OK. */
void perf_check(const char *op, verve_status_t status);
/* The endpoints' error handler: marks the peer failed for perf_progress. */
void perf_ep_error_cb(void *arg, verve_ep_h ep, verve_status_t status);
/* Rank's bootstrap value under key, malloc'ed, of *length_p bytes, at
 * least min_length; exits on a missing or shorter value. */
uint8_t *perf_boot_value(perf_ctx_t *ctx, int rank, const char *key,
                         size_t min_length, size_t *length_p);
/* Calibrates the clock perf_time_ns reads; call once before measuring. */
void perf_time_init(void);
uint64_t perf_time_ns(void);
void perf_progress(perf_ctx_t *ctx);
/* Completes a call's outcome: returns when done, exits on error. */
void perf_request_finish(perf_ctx_t *ctx, const char *op,
                         verve_status_t status, verve_request_h request);
/* Flushes the worker (progressing it), then waits in the bootstrap
 * barrier; exits on error. */
void perf_barrier(perf_ctx_t *ctx);
verve_status_t perf_handlers_set(perf_ctx_t *ctx);
/* Sends `size` bytes of the send buffer and waits for completion. */
void perf_am_send(perf_ctx_t *ctx, unsigned id, size_t size);
/* Starts a DATA AM and puts its request in the window. */
void perf_am_send_windowed(perf_ctx_t *ctx, size_t size);
void perf_ctl_send(perf_ctx_t *ctx);
void perf_ctl_wait(perf_ctx_t *ctx, uint64_t target);
void perf_data_wait(perf_ctx_t *ctx, uint64_t target);
/* Keeps at most opts->window requests in flight. */
void perf_window_add(perf_ctx_t *ctx, const char *op, verve_status_t status,
                     verve_request_h request);
void perf_window_drain(perf_ctx_t *ctx);

/* verve_perf_tests.c: both ranks call it with the same arguments. */
void perf_test_run(perf_ctx_t *ctx, perf_test_id_t test, size_t size,
                   size_t iters, size_t warmup, perf_result_t *result);

/* verve_perf_tag.c: the tag-matching tests. */
uint64_t perf_tag_lat(perf_ctx_t *ctx, size_t size, size_t iters,
                      double *samples);
uint64_t perf_tag_stream(perf_ctx_t *ctx, size_t size, size_t iters);

/* verve_perf_coll.c: the collective tests; every rank calls them. */
void perf_coll_setup(perf_ctx_t *ctx);
void perf_coll_run_all(perf_ctx_t *ctx);
void perf_coll_teardown(perf_ctx_t *ctx);

/* verve_perf_report.c */
/* Sorts samples (ns per iteration) and fills the latency fields. */
void perf_report_latency(perf_result_t *result, double *samples_ns,
                         size_t count);
/* Iterations per batch for perf_report_batches: about 20 batches, at
 * most 100 iterations each. */
size_t perf_report_batch_length(size_t count);
/* Fills lat_us_batch from samples in the order they were taken; call it
 * before perf_report_latency, which sorts them. */
void perf_report_batches(perf_result_t *result, const double *samples_ns,
                         size_t count);
/* Fills every field from a total time over result->iters operations. */
void perf_report_total(perf_result_t *result, uint64_t total_ns);
void perf_report_header(const perf_options_t *opts);
void perf_report_print(const perf_options_t *opts,
                       const perf_result_t *result);
void perf_report_coll_header(const perf_options_t *opts);
void perf_report_coll_print(const perf_options_t *opts,
                            const perf_result_t *result);

#endif
