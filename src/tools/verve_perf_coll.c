/*
 * verve_perf's collective tests: the whole job is one team, each size runs
 * as one persistent collective (verve_coll_init once, verve_coll_start per
 * iteration), is checked once with known data, warmed up, then timed on
 * every rank; rank 0 (the root of bcast and reduce) reports the slowest
 * rank's figures.
 *
 * --algo goes through VERVE_COLL_TUNE: the public API chooses algorithms
 * only through the selection table, which the worker reads when it is
 * created, so the variable is set before that.
 */
#include <verve_config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "verve_perf.h"

/* Each rank puts its worker address under this key. */
#define PERF_COLL_ADDRESS_KEY "perf.coll.address"
#define PERF_COLL_TUNE_MAX 512

static verve_coll_type_t perf_coll_type(perf_test_id_t test)
{
    switch (test) {
    case PERF_TEST_BCAST:
        return VERVE_COLL_BCAST;
    case PERF_TEST_REDUCE:
        return VERVE_COLL_REDUCE;
    case PERF_TEST_ALLREDUCE:
        return VERVE_COLL_ALLREDUCE;
    case PERF_TEST_ALLGATHER:
        return VERVE_COLL_ALLGATHER;
    case PERF_TEST_ALLTOALL:
        return VERVE_COLL_ALLTOALL;
    default:
        return VERVE_COLL_BARRIER;
    }
}

/* Reductions sum the widest integers that tile the size, the same choice
 * as bench/coll_mpi.c, so both reduce the same element count. */
static verve_coll_datatype_t perf_coll_datatype(perf_test_id_t test,
                                                size_t size)
{
    if ((test != PERF_TEST_REDUCE) && (test != PERF_TEST_ALLREDUCE)) {
        return VERVE_COLL_UINT8;
    }
    if (size % 8 == 0) {
        return VERVE_COLL_INT64;
    }
    return (size % 4 == 0) ? VERVE_COLL_INT32 : VERVE_COLL_UINT8;
}

/* The largest buffer any selected test needs: alltoall and allgather hold
 * one block per member. */
static size_t perf_coll_buffer_length(const perf_ctx_t *ctx)
{
    size_t sizes[PERF_SIZES_MAX];
    size_t max = 8, count, i;
    int test;

    for (test = PERF_TEST_COLL_FIRST; test < PERF_TEST_LAST; ++test) {
        if (!(ctx->opts->tests & (1u << test))) {
            continue;
        }
        count = perf_options_sizes(ctx->opts, test, sizes, PERF_SIZES_MAX);
        for (i = 0; i < count; ++i) {
            max = (sizes[i] > max) ? sizes[i] : max;
        }
    }
    return max * (size_t)ctx->job_size;
}

static void perf_coll_connect(perf_ctx_t *ctx)
{
    verve_ep_params_t eparams = {
        .field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS |
                      VERVE_EP_PARAM_FIELD_ERR_HANDLER,
        .err_cb = perf_ep_error_cb,
        .err_arg = ctx
    };
    void *address;
    uint8_t *theirs;
    size_t length;
    int rank;

    perf_check("worker address pack",
               verve_worker_address_pack(ctx->worker, &address, &length));
    perf_check("address exchange",
               verve_boot_put(ctx->boot, PERF_COLL_ADDRESS_KEY, address,
                              length));
    verve_worker_address_release(address);
    perf_check("address exchange", verve_boot_fence(ctx->boot));
    ctx->eps = calloc((size_t)ctx->job_size, sizeof(*ctx->eps));
    if (ctx->eps == NULL) {
        perf_fatal("endpoint table allocation", VERVE_ERR_NO_MEMORY);
    }
    for (rank = 0; rank < ctx->job_size; ++rank) {
        if (rank == ctx->job_rank) {
            continue;
        }
        theirs = perf_boot_value(ctx, rank, PERF_COLL_ADDRESS_KEY, 1,
                                 &length);
        eparams.address = theirs;
        eparams.address_length = length;
        perf_check("endpoint create",
                   verve_ep_create(ctx->worker, &eparams, &ctx->eps[rank]));
        free(theirs);
    }
}

void perf_coll_setup(perf_ctx_t *ctx)
{
    verve_context_params_t cparams = {
        .field_mask = VERVE_CONTEXT_PARAM_FIELD_NAME,
        .name = "verve_perf"
    };
    verve_worker_params_t wparams = {.field_mask = 0};
    verve_team_params_t tparams = {
        .field_mask = VERVE_TEAM_PARAM_FIELD_EPS |
                      VERVE_TEAM_PARAM_FIELD_SIZE |
                      VERVE_TEAM_PARAM_FIELD_RANK
    };
    char tune[PERF_COLL_TUNE_MAX] = "";
    verve_request_h request = NULL;
    verve_status_t status;

    ctx->buffer_length = perf_coll_buffer_length(ctx);
    ctx->send_buffer = calloc(1, ctx->buffer_length);
    ctx->recv_buffer = calloc(1, ctx->buffer_length);
    if ((ctx->send_buffer == NULL) || (ctx->recv_buffer == NULL)) {
        perf_fatal("buffer allocation", VERVE_ERR_NO_MEMORY);
    }
    if (ctx->opts->algo[0] != '\0') {
        if (perf_options_tune(ctx->opts, tune, sizeof(tune)) != 0) {
            perf_fatal("--algo rules", VERVE_ERR_INVALID_PARAM);
        }
        if (setenv("VERVE_COLL_TUNE", tune, 1) != 0) {
            perf_fatal("setting VERVE_COLL_TUNE", VERVE_ERR_NO_MEMORY);
        }
    }
    /* Context creation checks every setting, VERVE_COLL_TUNE included. */
    status = verve_context_create(&cparams, &ctx->context);
    if ((status == VERVE_ERR_INVALID_CONFIG) && (ctx->opts->algo[0])) {
        fprintf(stderr, "verve_perf: --algo %s: not an algorithm of every "
                "collective tested (VERVE_COLL_TUNE=%s; verve_info -l "
                "lists them)\n", ctx->opts->algo, tune);
    }
    perf_check("context create", status);
    perf_check("worker create",
               verve_worker_create(ctx->context, &wparams, &ctx->worker));
    perf_coll_connect(ctx);

    tparams.eps = ctx->eps;
    tparams.size = (unsigned)ctx->job_size;
    tparams.rank = (unsigned)ctx->job_rank;
    status = verve_team_create_nbx(ctx->worker, &tparams, &ctx->team, NULL,
                                   &request);
    perf_request_finish(ctx, "team create", status, request);
    perf_barrier(ctx);
}

void perf_coll_teardown(perf_ctx_t *ctx)
{
    verve_request_param_t param = {.op_attr_mask = 0};
    verve_request_h request;
    verve_status_t status;
    int rank;

    perf_barrier(ctx);
    verve_team_destroy(ctx->team);
    for (rank = 0; rank < ctx->job_size; ++rank) {
        if (ctx->eps[rank] == NULL) {
            continue;
        }
        request = NULL;
        status = verve_ep_close_nbx(ctx->eps[rank], VERVE_EP_CLOSE_FLUSH,
                                    &param, &request);
        perf_request_finish(ctx, "endpoint close", status, request);
    }
    /* No rank tears down its worker while a peer may still flush to it. */
    perf_barrier(ctx);
    verve_worker_destroy(ctx->worker);
    verve_context_destroy(ctx->context);
    free(ctx->eps);
    free(ctx->recv_buffer);
    free(ctx->send_buffer);
}

/* ---- known data and its check ------------------------------------------ */

/* Byte i of the block that `owner` contributes: no period shorter than
 * 256 bytes, and different for neighbouring owners. */
static uint8_t perf_coll_pattern(size_t owner, size_t i)
{
    return (uint8_t)((owner * 131u + i * 7u + 1u) ^ (i >> 8));
}

static void perf_coll_pattern_fill(uint8_t *buffer, size_t owner,
                                   size_t size)
{
    size_t i;

    for (i = 0; i < size; ++i) {
        buffer[i] = perf_coll_pattern(owner, i);
    }
}

static uint64_t perf_coll_element_load(const uint8_t *buffer,
                                       verve_coll_datatype_t datatype,
                                       size_t index)
{
    int64_t v64;
    int32_t v32;

    switch (datatype) {
    case VERVE_COLL_INT64:
        memcpy(&v64, buffer + index * 8, 8);
        return (uint64_t)v64;
    case VERVE_COLL_INT32:
        memcpy(&v32, buffer + index * 4, 4);
        return (uint64_t)(uint32_t)v32;
    default:
        return buffer[index];
    }
}

static void perf_coll_element_store(uint8_t *buffer,
                                    verve_coll_datatype_t datatype,
                                    size_t index, uint64_t value)
{
    int64_t v64 = (int64_t)value;
    int32_t v32 = (int32_t)value;

    switch (datatype) {
    case VERVE_COLL_INT64:
        memcpy(buffer + index * 8, &v64, 8);
        break;
    case VERVE_COLL_INT32:
        memcpy(buffer + index * 4, &v32, 4);
        break;
    default:
        buffer[index] = (uint8_t)value;
        break;
    }
}

/* Element i of rank r's input to a sum: the expected result is
 * (i % 5 + 1) * size * (size + 1) / 2, truncated to the element. */
static uint64_t perf_coll_addend(int rank, size_t i)
{
    return (uint64_t)(rank + 1) * (i % 5 + 1);
}

/* Fills the buffers of one collective with known data. */
static void perf_coll_data_fill(perf_ctx_t *ctx, perf_test_id_t test,
                                const verve_coll_args_t *args, size_t size)
{
    size_t n = (size_t)ctx->job_size, me = (size_t)ctx->job_rank;
    size_t count = args->dst.count, i;

    memset(ctx->recv_buffer, 0, ctx->buffer_length);
    switch (test) {
    case PERF_TEST_BCAST:
        if (me == 0) {
            perf_coll_pattern_fill(ctx->recv_buffer, n, size);
        }
        break;
    case PERF_TEST_REDUCE:
    case PERF_TEST_ALLREDUCE:
        for (i = 0; i < count; ++i) {
            perf_coll_element_store(ctx->send_buffer, args->dst.datatype, i,
                                    perf_coll_addend(ctx->job_rank, i));
        }
        break;
    case PERF_TEST_ALLGATHER:
        perf_coll_pattern_fill(ctx->send_buffer, me, size);
        break;
    case PERF_TEST_ALLTOALL:
        for (i = 0; i < n; ++i) {
            perf_coll_pattern_fill(ctx->send_buffer + i * size, me * n + i,
                                   size);
        }
        break;
    default:
        break;
    }
}

static void perf_coll_mismatch(perf_ctx_t *ctx, perf_test_id_t test,
                               size_t size, const char *what, size_t index,
                               uint64_t got, uint64_t expected)
{
    fprintf(stderr, "verve_perf: rank %d: %s of %zu B over %d ranks "
            "(algorithm %s) gave a wrong result: %s %zu is %llu, expected "
            "%llu\n", ctx->job_rank, perf_test_name(test), size,
            ctx->job_size, ctx->opts->algo[0] ? ctx->opts->algo : "auto",
            what, index, (unsigned long long)got,
            (unsigned long long)expected);
    exit(1);
}

static void perf_coll_blocks_check(perf_ctx_t *ctx, perf_test_id_t test,
                                   size_t size)
{
    size_t n = (size_t)ctx->job_size, me = (size_t)ctx->job_rank;
    size_t block, i, owner;
    uint8_t expected;

    for (block = 0; block < n; ++block) {
        owner = (test == PERF_TEST_ALLGATHER) ? block : block * n + me;
        for (i = 0; i < size; ++i) {
            expected = perf_coll_pattern(owner, i);
            if (ctx->recv_buffer[block * size + i] != expected) {
                perf_coll_mismatch(ctx, test, size, "byte",
                                   block * size + i,
                                   ctx->recv_buffer[block * size + i],
                                   expected);
            }
        }
    }
}

/* Checks this rank's result of the collective filled by
 * perf_coll_data_fill. */
static void perf_coll_data_check(perf_ctx_t *ctx, perf_test_id_t test,
                                 const verve_coll_args_t *args, size_t size)
{
    verve_coll_datatype_t datatype = args->dst.datatype;
    size_t esize = verve_coll_datatype_size(datatype);
    uint64_t n = (uint64_t)ctx->job_size, expected, got, mask;
    size_t i;

    switch (test) {
    case PERF_TEST_BCAST:
        for (i = 0; i < size; ++i) {
            if (ctx->recv_buffer[i] != perf_coll_pattern(n, i)) {
                perf_coll_mismatch(ctx, test, size, "byte", i,
                                   ctx->recv_buffer[i],
                                   perf_coll_pattern(n, i));
            }
        }
        break;
    case PERF_TEST_REDUCE:
    case PERF_TEST_ALLREDUCE:
        if ((test == PERF_TEST_REDUCE) && (ctx->job_rank != 0)) {
            break;
        }
        mask = (esize >= 8) ? UINT64_MAX : ((1ull << (esize * 8)) - 1);
        for (i = 0; i < args->dst.count; ++i) {
            expected = ((i % 5 + 1) * n * (n + 1) / 2) & mask;
            got = perf_coll_element_load(ctx->recv_buffer, datatype, i) &
                  mask;
            if (got != expected) {
                perf_coll_mismatch(ctx, test, size, "element", i, got,
                                   expected);
            }
        }
        break;
    case PERF_TEST_ALLGATHER:
    case PERF_TEST_ALLTOALL:
        perf_coll_blocks_check(ctx, test, size);
        break;
    default:
        break;
    }
}

/* ---- the timed loop ----------------------------------------------------- */

static void perf_coll_args_init(const perf_ctx_t *ctx, perf_test_id_t test,
                                size_t size, verve_coll_args_t *args)
{
    verve_coll_datatype_t datatype = perf_coll_datatype(test, size);

    memset(args, 0, sizeof(*args));
    args->field_mask = VERVE_COLL_ARGS_FIELD_ROOT;
    args->coll_type = perf_coll_type(test);
    args->root = 0;
    args->op = VERVE_COLL_OP_SUM;
    args->src.buffer = ctx->send_buffer;
    args->src.datatype = datatype;
    args->dst.buffer = ctx->recv_buffer;
    args->dst.datatype = datatype;
    args->dst.count = size / verve_coll_datatype_size(datatype);
    args->src.count = args->dst.count;
}

/* verve_request_test progresses the worker itself: one progress per
 * spin, as an MPI wait loop makes, where perf_request_finish makes two
 * (it serves the point-to-point tests' receives too). */
static void perf_coll_once(perf_ctx_t *ctx, verve_coll_h coll,
                           const char *name)
{
    verve_request_param_t param = {.op_attr_mask = 0};
    verve_request_h request = NULL;
    verve_status_t status;

    status = verve_coll_start(coll, &param, &request);
    if (status == VERVE_INPROGRESS) {
        while ((status = verve_request_test(request)) == VERVE_INPROGRESS) {
            if (ctx->peer_failed) {
                perf_fatal(name, VERVE_ERR_PEER_FAILED);
            }
        }
        verve_request_free(request);
    }
    if (status != VERVE_OK) {
        perf_fatal(name, status);
    }
}

/* Every statistic becomes its maximum over the ranks, so that a rank that
 * only injects (the root of a bcast) does not hide the one that waits. The
 * exchange itself is a verve allreduce, outside the timed loop. */
static void perf_coll_stats_max(perf_ctx_t *ctx, perf_result_t *result)
{
    double mine[5] = {result->lat_us_avg, result->lat_us_min,
                      result->lat_us_median, result->lat_us_p99,
                      result->lat_us_batch};
    double max[5];
    verve_coll_args_t args = {
        .coll_type = VERVE_COLL_ALLREDUCE,
        .op = VERVE_COLL_OP_MAX,
        .src = {.buffer = mine, .datatype = VERVE_COLL_DOUBLE},
        .dst = {.buffer = max, .count = 5, .datatype = VERVE_COLL_DOUBLE}
    };
    verve_request_param_t param = {.op_attr_mask = 0};
    verve_request_h request = NULL;
    verve_status_t status;

    status = verve_coll_nbx(ctx->team, &args, &param, &request);
    perf_request_finish(ctx, "allreduce of the figures", status, request);
    result->lat_us_avg = max[0];
    result->lat_us_min = max[1];
    result->lat_us_median = max[2];
    result->lat_us_p99 = max[3];
    result->lat_us_batch = max[4];
    /* the steady figure: the machine's noise moves the mean far more */
    result->bw_MBps = (max[4] > 0.0) ?
                      (double)result->size / max[4] * 1e6 / 1048576.0 : 0.0;
}

static void perf_coll_test_run(perf_ctx_t *ctx, perf_test_id_t test,
                               size_t size, size_t iters, size_t warmup,
                               perf_result_t *result)
{
    const char *name = perf_test_name(test);
    double *samples = NULL;
    verve_coll_args_t args;
    verve_coll_h coll;
    uint64_t t0;
    size_t i;

    memset(result, 0, sizeof(*result));
    result->test = test;
    result->size = size;
    result->iters = iters;
    result->ranks = (unsigned)ctx->job_size;
    perf_coll_args_init(ctx, test, size, &args);
    perf_check("persistent collective init",
               verve_coll_init(ctx->team, &args, &coll));
    perf_coll_data_fill(ctx, test, &args, size);
    perf_coll_once(ctx, coll, name);
    perf_coll_data_check(ctx, test, &args, size);

    for (i = 0; i < warmup; ++i) {
        perf_coll_once(ctx, coll, name);
    }
    samples = malloc(iters * sizeof(*samples));
    if (samples == NULL) {
        perf_fatal("allocation of latency samples", VERVE_ERR_NO_MEMORY);
    }
    /* Every rank enters the timed loop together, none carrying the
     * warm-up's skew. */
    perf_barrier(ctx);
    for (i = 0; i < iters; ++i) {
        t0 = perf_time_ns();
        perf_coll_once(ctx, coll, name);
        samples[i] = (double)(perf_time_ns() - t0);
    }
    perf_report_batches(result, samples, iters);
    perf_report_latency(result, samples, iters);
    free(samples);
    verve_coll_destroy(coll);
    perf_coll_stats_max(ctx, result);
    perf_barrier(ctx);
}

void perf_coll_run_all(perf_ctx_t *ctx)
{
    size_t sizes[PERF_SIZES_MAX];
    perf_result_t result;
    size_t count, i, iters;
    int test;

    if (ctx->job_rank == 0) {
        perf_report_coll_header(ctx->opts);
    }
    for (test = PERF_TEST_COLL_FIRST; test < PERF_TEST_LAST; ++test) {
        if (!(ctx->opts->tests & (1u << test))) {
            continue;
        }
        count = perf_options_sizes(ctx->opts, test, sizes, PERF_SIZES_MAX);
        for (i = 0; i < count; ++i) {
            iters = perf_options_iters(ctx->opts, test, sizes[i]);
            perf_coll_test_run(ctx, test, sizes[i], iters,
                               perf_options_warmup(ctx->opts, iters),
                               &result);
            if (ctx->job_rank == 0) {
                perf_report_coll_print(ctx->opts, &result);
            }
        }
    }
}
