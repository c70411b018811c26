/*
 * The measured loops. Both ranks run the same test function; rank 0 drives
 * and times, rank 1 answers. Every phase ends quiet (no message in flight),
 * so counters read at a phase's start are a valid base for the next.
 */
#include <verve_config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "verve_perf.h"

/* put_lat's marker byte: never 0 (the region is cleared to 0 before each
 * test) and different from the previous iteration's. */
static uint8_t perf_seq_next(perf_ctx_t *ctx)
{
    return (uint8_t)(ctx->seq++ % 255 + 1);
}

static void perf_wait_byte(perf_ctx_t *ctx, size_t offset, uint8_t value)
{
    volatile uint8_t *byte = (volatile uint8_t *)ctx->region + offset;

    /* Progress also serves puts that the engine emulates over AM. */
    while (*byte != value) {
        perf_progress(ctx);
    }
}

static verve_status_t perf_put_start(perf_ctx_t *ctx, size_t size,
                                     verve_request_h *request_p)
{
    verve_request_param_t param = {.op_attr_mask = 0};
    verve_status_t status;

    *request_p = NULL;
    while ((status = verve_put_nbx(ctx->ep, ctx->send_buffer, size,
                                   ctx->remote_addr, ctx->rkey, &param,
                                   request_p)) == VERVE_ERR_NO_RESOURCE) {
        perf_progress(ctx);
    }
    return status;
}

static verve_status_t perf_get_start(perf_ctx_t *ctx, size_t size,
                                     verve_request_h *request_p)
{
    verve_request_param_t param = {.op_attr_mask = 0};
    verve_status_t status;

    *request_p = NULL;
    while ((status = verve_get_nbx(ctx->ep, ctx->recv_buffer, size,
                                   ctx->remote_addr, ctx->rkey, &param,
                                   request_p)) == VERVE_ERR_NO_RESOURCE) {
        perf_progress(ctx);
    }
    return status;
}

static uint64_t perf_am_lat(perf_ctx_t *ctx, size_t size, size_t iters,
                            double *samples)
{
    uint64_t base = ctx->data_count;
    uint64_t start, t0;
    size_t i;

    start = perf_time_ns();
    for (i = 0; i < iters; ++i) {
        if (ctx->rank == 0) {
            t0 = perf_time_ns();
            perf_am_send(ctx, PERF_AM_DATA, size);
            perf_data_wait(ctx, base + i + 1);
            if (samples != NULL) {
                samples[i] = (double)(perf_time_ns() - t0) / 2.0;
            }
        } else {
            perf_data_wait(ctx, base + i + 1);
            perf_am_send(ctx, PERF_AM_DATA, size);
        }
    }
    return perf_time_ns() - start;
}

/* am_bw and am_mr: a one-way stream, acknowledged once at the end. */
static uint64_t perf_am_stream(perf_ctx_t *ctx, size_t size, size_t iters)
{
    uint64_t data_base = ctx->data_count;
    uint64_t ctl_base = ctx->ctl_count;
    uint64_t start;
    size_t i;

    start = perf_time_ns();
    if (ctx->rank == 0) {
        for (i = 0; i < iters; ++i) {
            perf_am_send_windowed(ctx, size);
        }
        perf_window_drain(ctx);
        perf_ctl_wait(ctx, ctl_base + 1);
    } else {
        perf_data_wait(ctx, data_base + iters);
        perf_ctl_send(ctx);
    }
    return perf_time_ns() - start;
}

/* Ping-pong through the peer's memory: the peer polls the last byte of
 * its region, as ucx_perftest's put_lat does. */
static uint64_t perf_put_lat(perf_ctx_t *ctx, size_t size, size_t iters,
                             double *samples)
{
    verve_request_h request;
    verve_status_t status;
    uint64_t start, t0;
    uint8_t seq;
    size_t i;

    start = perf_time_ns();
    for (i = 0; i < iters; ++i) {
        seq = perf_seq_next(ctx);
        t0 = perf_time_ns();
        if (ctx->rank != 0) {
            perf_wait_byte(ctx, size - 1, seq);
        }
        ctx->send_buffer[size - 1] = seq;
        status = perf_put_start(ctx, size, &request);
        perf_request_finish(ctx, "put", status, request);
        if (ctx->rank == 0) {
            perf_wait_byte(ctx, size - 1, seq);
            if (samples != NULL) {
                samples[i] = (double)(perf_time_ns() - t0) / 2.0;
            }
        }
    }
    return perf_time_ns() - start;
}

typedef verve_status_t (*perf_rma_start_t)(perf_ctx_t *ctx, size_t size,
                                           verve_request_h *request_p);

/* put_bw and get_bw: a window of operations, then a flush, so that the
 * bandwidth counts data that reached its destination, not data queued. */
static uint64_t perf_rma_bw(perf_ctx_t *ctx, size_t size, size_t iters,
                            perf_rma_start_t start_op, const char *op)
{
    verve_request_param_t param = {.op_attr_mask = 0};
    uint64_t ctl_base = ctx->ctl_count;
    verve_request_h request;
    verve_status_t status;
    uint64_t start, total;
    size_t i;

    if (ctx->rank != 0) {
        perf_ctl_wait(ctx, ctl_base + 1);
        return 0;
    }
    start = perf_time_ns();
    for (i = 0; i < iters; ++i) {
        status = start_op(ctx, size, &request);
        perf_window_add(ctx, op, status, request);
    }
    perf_window_drain(ctx);
    request = NULL;
    status = verve_ep_flush_nbx(ctx->ep, &param, &request);
    perf_request_finish(ctx, "endpoint flush", status, request);
    total = perf_time_ns() - start;
    perf_ctl_send(ctx);
    return total;
}

static uint64_t perf_get_lat(perf_ctx_t *ctx, size_t size, size_t iters,
                             double *samples)
{
    uint64_t ctl_base = ctx->ctl_count;
    verve_request_h request;
    verve_status_t status;
    uint64_t start, t0, total;
    size_t i;

    if (ctx->rank != 0) {
        perf_ctl_wait(ctx, ctl_base + 1);
        return 0;
    }
    start = perf_time_ns();
    for (i = 0; i < iters; ++i) {
        t0 = perf_time_ns();
        status = perf_get_start(ctx, size, &request);
        perf_request_finish(ctx, "get", status, request);
        if (samples != NULL) {
            samples[i] = (double)(perf_time_ns() - t0);
        }
    }
    total = perf_time_ns() - start;
    perf_ctl_send(ctx);
    return total;
}


static uint64_t perf_atomic_lat(perf_ctx_t *ctx, verve_atomic_op_t op,
                                size_t iters, double *samples)
{
    verve_request_param_t param = {.op_attr_mask = 0};
    uint64_t ctl_base = ctx->ctl_count;
    const char *name = (op == VERVE_ATOMIC_FADD) ? "atomic fadd" :
                                                   "atomic swap";
    verve_request_h request;
    verve_status_t status;
    uint64_t start, t0, total, result;
    size_t i;

    if (ctx->rank != 0) {
        perf_ctl_wait(ctx, ctl_base + 1);
        return 0;
    }
    start = perf_time_ns();
    for (i = 0; i < iters; ++i) {
        t0 = perf_time_ns();
        request = NULL;
        while ((status = verve_atomic_nbx(ctx->ep, op, 1 + i, 0, &result,
                                          sizeof(result), ctx->remote_addr,
                                          ctx->rkey, &param, &request)) ==
               VERVE_ERR_NO_RESOURCE) {
            perf_progress(ctx);
        }
        perf_request_finish(ctx, name, status, request);
        if (samples != NULL) {
            samples[i] = (double)(perf_time_ns() - t0);
        }
    }
    total = perf_time_ns() - start;
    perf_ctl_send(ctx);
    return total;
}

static int perf_test_is_lat(perf_test_id_t test)
{
    switch (test) {
    case PERF_TEST_AM_LAT:
    case PERF_TEST_PUT_LAT:
    case PERF_TEST_GET_LAT:
    case PERF_TEST_FADD_LAT:
    case PERF_TEST_SWAP_LAT:
    case PERF_TEST_TAG_LAT:
        return 1;
    default:
        return 0;
    }
}

/* One pass of `iters` iterations; samples (rank 0, latency tests) gets the
 * time of each iteration in ns. Returns the pass's time on rank 0. */
static uint64_t perf_phase_run(perf_ctx_t *ctx, perf_test_id_t test,
                               size_t size, size_t iters, double *samples)
{
    switch (test) {
    case PERF_TEST_AM_LAT:
        return perf_am_lat(ctx, size, iters, samples);
    case PERF_TEST_AM_BW:
    case PERF_TEST_AM_MR:
        return perf_am_stream(ctx, size, iters);
    case PERF_TEST_PUT_LAT:
        return perf_put_lat(ctx, size, iters, samples);
    case PERF_TEST_PUT_BW:
        return perf_rma_bw(ctx, size, iters, perf_put_start, "put");
    case PERF_TEST_GET_LAT:
        return perf_get_lat(ctx, size, iters, samples);
    case PERF_TEST_GET_BW:
        return perf_rma_bw(ctx, size, iters, perf_get_start, "get");
    case PERF_TEST_FADD_LAT:
        return perf_atomic_lat(ctx, VERVE_ATOMIC_FADD, iters, samples);
    case PERF_TEST_SWAP_LAT:
        return perf_atomic_lat(ctx, VERVE_ATOMIC_SWAP, iters, samples);
    case PERF_TEST_TAG_LAT:
        return perf_tag_lat(ctx, size, iters, samples);
    case PERF_TEST_TAG_BW:
    case PERF_TEST_TAG_MR:
        return perf_tag_stream(ctx, size, iters);
    default:
        return 0;
    }
}

void perf_test_run(perf_ctx_t *ctx, perf_test_id_t test, size_t size,
                   size_t iters, size_t warmup, perf_result_t *result)
{
    double *samples = NULL;
    uint64_t total;

    memset(result, 0, sizeof(*result));
    result->test = test;
    result->size = size;
    result->iters = iters;
    /* put_lat polls for a marker byte: start each test from zeros, and let
     * neither rank start before the other has cleared its region. */
    memset(ctx->region, 0, size);
    perf_barrier(ctx);
    if (warmup > 0) {
        perf_phase_run(ctx, test, size, warmup, NULL);
        perf_barrier(ctx);
    }
    if ((ctx->rank == 0) && perf_test_is_lat(test)) {
        samples = malloc(iters * sizeof(*samples));
        if (samples == NULL) {
            perf_fatal("allocation of latency samples", VERVE_ERR_NO_MEMORY);
        }
    }
    total = perf_phase_run(ctx, test, size, iters, samples);
    if (ctx->rank == 0) {
        perf_report_total(result, total);
        if (samples != NULL) {
            perf_report_latency(result, samples, iters);
        }
    }
    free(samples);
    perf_barrier(ctx);
}
