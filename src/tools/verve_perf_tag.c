/*
 * The tag-matching tests: tag_lat is a ping-pong of tagged messages,
 * each side receiving before it answers (as osu_latency does over MPI);
 * tag_bw and tag_mr stream tagged sends against a window of posted
 * receives, acknowledged once at the end.
 */
#include <verve_config.h>
#include <verve/verve_tag.h>
#include "verve_perf.h"

#define PERF_TAG 0x7461670000000001ULL   /* any fixed tag */
#define PERF_TAG_MASK UINT64_MAX

static verve_status_t perf_tag_send_start(perf_ctx_t *ctx, size_t size,
                                          verve_request_h *request_p)
{
    verve_request_param_t param = {.op_attr_mask = 0};
    verve_status_t status;

    *request_p = NULL;
    while ((status = verve_tag_send_nbx(ctx->ep, ctx->send_buffer, size,
                                        PERF_TAG, &param, request_p)) ==
           VERVE_ERR_NO_RESOURCE) {
        perf_progress(ctx);
    }
    return status;
}

static verve_status_t perf_tag_recv_start(perf_ctx_t *ctx, size_t size,
                                          verve_request_h *request_p)
{
    verve_request_param_t param = {.op_attr_mask = 0};

    *request_p = NULL;
    return verve_tag_recv_nbx(ctx->worker, ctx->recv_buffer, size, PERF_TAG,
                              PERF_TAG_MASK, &param, request_p);
}

static void perf_tag_send(perf_ctx_t *ctx, size_t size)
{
    verve_request_h request;
    verve_status_t status = perf_tag_send_start(ctx, size, &request);

    perf_request_finish(ctx, "tag send", status, request);
}

static void perf_tag_recv(perf_ctx_t *ctx, size_t size)
{
    verve_request_h request;
    verve_status_t status = perf_tag_recv_start(ctx, size, &request);

    perf_request_finish(ctx, "tag recv", status, request);
}

uint64_t perf_tag_lat(perf_ctx_t *ctx, size_t size, size_t iters,
                      double *samples)
{
    uint64_t start, t0;
    size_t i;

    start = perf_time_ns();
    for (i = 0; i < iters; ++i) {
        if (ctx->rank == 0) {
            t0 = perf_time_ns();
            perf_tag_send(ctx, size);
            perf_tag_recv(ctx, size);
            if (samples != NULL) {
                samples[i] = (double)(perf_time_ns() - t0) / 2.0;
            }
        } else {
            perf_tag_recv(ctx, size);
            perf_tag_send(ctx, size);
        }
    }
    return perf_time_ns() - start;
}

uint64_t perf_tag_stream(perf_ctx_t *ctx, size_t size, size_t iters)
{
    uint64_t ctl_base = ctx->ctl_count;
    verve_request_h request;
    verve_status_t status;
    uint64_t start;
    size_t i;

    start = perf_time_ns();
    for (i = 0; i < iters; ++i) {
        if (ctx->rank == 0) {
            status = perf_tag_send_start(ctx, size, &request);
            perf_window_add(ctx, "tag send", status, request);
        } else {
            status = perf_tag_recv_start(ctx, size, &request);
            perf_window_add(ctx, "tag recv", status, request);
        }
    }
    perf_window_drain(ctx);
    if (ctx->rank == 0) {
        perf_ctl_wait(ctx, ctl_base + 1);
    } else {
        perf_ctl_send(ctx);
    }
    return perf_time_ns() - start;
}
