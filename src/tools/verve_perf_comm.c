/*
 * verve_perf's plumbing: busy-poll progress, request completion, the window
 * of in-flight operations and the two AM handlers.
 *
 * Requests are completed with verve_request_test rather than callbacks, so
 * the counting never depends on whether a callback also runs for calls that
 * complete in place.
 */
#include <verve_config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "verve_perf.h"

/* Rendezvous receives still pulling data; bounded by the sender's window,
 * since a rendezvous send completes only after its data was pulled. */
#define PERF_RECV_PENDING_MAX (2 * PERF_WINDOW_MAX)

static verve_request_h perf_recv_pending[PERF_RECV_PENDING_MAX];
static size_t perf_recv_pending_count;
static size_t perf_window_count;

void perf_fatal(const char *op, verve_status_t status)
{
    fprintf(stderr, "verve_perf: %s failed: %s\n", op,
            verve_status_string(status));
    exit(1);
}

void perf_check(const char *op, verve_status_t status)
{
    if (status != VERVE_OK) {
        perf_fatal(op, status);
    }
}

void perf_ep_error_cb(void *arg, verve_ep_h ep, verve_status_t status)
{
    perf_ctx_t *ctx = arg;

    (void)ep;
    (void)status;
    ctx->peer_failed = 1;
}

uint8_t *perf_boot_value(perf_ctx_t *ctx, int rank, const char *key,
                         size_t min_length, size_t *length_p)
{
    verve_status_t status;
    size_t length = 0;
    uint8_t *value;

    status = verve_boot_get(ctx->boot, rank, key, NULL, &length);
    if ((status != VERVE_ERR_MESSAGE_TRUNCATED) || (length < min_length)) {
        perf_fatal("address exchange", (status == VERVE_OK) ?
                   VERVE_ERR_IO : status);
    }
    value = malloc(length);
    if (value == NULL) {
        perf_fatal("address exchange allocation", VERVE_ERR_NO_MEMORY);
    }
    perf_check("address exchange",
               verve_boot_get(ctx->boot, rank, key, value, &length));
    *length_p = length;
    return value;
}

static uint64_t perf_clock_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Per-iteration latencies are a few tens of nanoseconds: clock_gettime
 * costs about that and ticks in 10 ns steps here, so on x86 with an
 * invariant TSC the cycle counter is read instead, scaled once against the
 * monotonic clock (ucx_perftest does the same). */
#if defined(__x86_64__)
static double perf_tsc_ns_per_tick;

static int perf_tsc_invariant(void)
{
    FILE *cpuinfo = fopen("/proc/cpuinfo", "r");
    char line[4096];
    int constant = 0, nonstop = 0;

    if (cpuinfo == NULL) {
        return 0;
    }
    while (fgets(line, sizeof(line), cpuinfo) != NULL) {
        if (strncmp(line, "flags", 5) == 0) {
            constant = strstr(line, " constant_tsc") != NULL;
            nonstop = strstr(line, " nonstop_tsc") != NULL;
            break;
        }
    }
    fclose(cpuinfo);
    return constant && nonstop;
}

void perf_time_init(void)
{
    uint64_t t0, t1, c0, c1;

    if (!perf_tsc_invariant()) {
        return;
    }
    t0 = perf_clock_ns();
    c0 = __builtin_ia32_rdtsc();
    do {
        t1 = perf_clock_ns();
    } while (t1 - t0 < 20000000ull);
    c1 = __builtin_ia32_rdtsc();
    if (c1 > c0) {
        perf_tsc_ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
    }
}

uint64_t perf_time_ns(void)
{
    if (perf_tsc_ns_per_tick > 0) {
        return (uint64_t)((double)__builtin_ia32_rdtsc() *
                          perf_tsc_ns_per_tick);
    }
    return perf_clock_ns();
}
#else
void perf_time_init(void)
{
}

uint64_t perf_time_ns(void)
{
    return perf_clock_ns();
}
#endif

static void perf_recv_pending_reap(perf_ctx_t *ctx)
{
    verve_status_t status;
    size_t i = 0;

    while (i < perf_recv_pending_count) {
        status = verve_request_test(perf_recv_pending[i]);
        if (status == VERVE_INPROGRESS) {
            ++i;
            continue;
        }
        verve_request_free(perf_recv_pending[i]);
        if (status != VERVE_OK) {
            perf_fatal("am receive of rendezvous data", status);
        }
        perf_recv_pending[i] = perf_recv_pending[--perf_recv_pending_count];
        ++ctx->data_count;
    }
}

void perf_progress(perf_ctx_t *ctx)
{
    verve_worker_progress(ctx->worker);
    if (perf_recv_pending_count > 0) {
        perf_recv_pending_reap(ctx);
    }
    if (ctx->async_status != VERVE_OK) {
        perf_fatal("am receive", ctx->async_status);
    }
    if (ctx->peer_failed) {
        perf_fatal("peer connection", VERVE_ERR_PEER_FAILED);
    }
}

void perf_request_finish(perf_ctx_t *ctx, const char *op,
                         verve_status_t status, verve_request_h request)
{
    if (status == VERVE_INPROGRESS) {
        while ((status = verve_request_test(request)) == VERVE_INPROGRESS) {
            perf_progress(ctx);
        }
        verve_request_free(request);
    }
    if (status != VERVE_OK) {
        perf_fatal(op, status);
    }
}

void perf_barrier(perf_ctx_t *ctx)
{
    verve_request_param_t param = {.op_attr_mask = 0};
    verve_request_h request = NULL;
    verve_status_t status;

    /* The bootstrap barrier progresses no worker: what this rank still
     * holds for a peer goes out first, or a peer waiting for it would
     * never reach the barrier. */
    status = verve_worker_flush_nbx(ctx->worker, &param, &request);
    perf_request_finish(ctx, "worker flush before a barrier", status,
                        request);
    perf_check("barrier", verve_boot_barrier(ctx->boot));
}

/* Handlers must not block: a rendezvous payload is only started here and
 * counted by perf_progress once it has landed. */
static verve_status_t perf_am_data_cb(void *arg, const void *header,
                                      size_t header_length, void *data,
                                      size_t length,
                                      const verve_am_recv_param_t *param)
{
    perf_ctx_t *ctx = arg;
    verve_request_param_t rparam = {.op_attr_mask = 0};
    verve_request_h request = NULL;
    verve_status_t status;

    (void)header;
    (void)header_length;
    if (!(param->recv_attr & VERVE_AM_RECV_ATTR_FLAG_RNDV)) {
        ++ctx->data_count;
        return VERVE_OK;
    }
    if (length > ctx->buffer_length) {
        ctx->async_status = VERVE_ERR_MESSAGE_TRUNCATED;
        return VERVE_OK;
    }
    status = verve_am_recv_data_nbx(ctx->worker, data, ctx->recv_buffer,
                                    length, &rparam, &request);
    if (status == VERVE_OK) {
        ++ctx->data_count;
    } else if (status != VERVE_INPROGRESS) {
        ctx->async_status = status;
    } else if (perf_recv_pending_count == PERF_RECV_PENDING_MAX) {
        verve_request_free(request);
        ctx->async_status = VERVE_ERR_NO_RESOURCE;
    } else {
        perf_recv_pending[perf_recv_pending_count++] = request;
    }
    return VERVE_OK;
}

static verve_status_t perf_am_ctl_cb(void *arg, const void *header,
                                     size_t header_length, void *data,
                                     size_t length,
                                     const verve_am_recv_param_t *param)
{
    perf_ctx_t *ctx = arg;

    (void)header;
    (void)header_length;
    (void)data;
    (void)length;
    (void)param;
    ++ctx->ctl_count;
    return VERVE_OK;
}

verve_status_t perf_handlers_set(perf_ctx_t *ctx)
{
    verve_am_handler_params_t params = {
        .field_mask = VERVE_AM_HANDLER_PARAM_FIELD_ID |
                      VERVE_AM_HANDLER_PARAM_FIELD_CB |
                      VERVE_AM_HANDLER_PARAM_FIELD_ARG,
        .arg = ctx
    };
    verve_status_t status;

    params.id = PERF_AM_DATA;
    params.cb = perf_am_data_cb;
    status = verve_worker_set_am_handler(ctx->worker, &params);
    if (status != VERVE_OK) {
        return status;
    }
    params.id = PERF_AM_CTL;
    params.cb = perf_am_ctl_cb;
    return verve_worker_set_am_handler(ctx->worker, &params);
}

/* Starts an AM of `size` bytes of the send buffer. Returns VERVE_OK or
 * VERVE_INPROGRESS with *request_p set; exits on error. */
static verve_status_t perf_am_send_start(perf_ctx_t *ctx, unsigned id,
                                         size_t size,
                                         verve_request_h *request_p)
{
    verve_request_param_t param = {.op_attr_mask = 0};
    verve_status_t status;

    *request_p = NULL;
    while ((status = verve_am_send_nbx(ctx->ep, id, NULL, 0,
                                       ctx->send_buffer, size, &param,
                                       request_p)) == VERVE_ERR_NO_RESOURCE) {
        perf_progress(ctx);
    }
    if ((status != VERVE_OK) && (status != VERVE_INPROGRESS)) {
        perf_fatal("am send", status);
    }
    return status;
}

void perf_am_send(perf_ctx_t *ctx, unsigned id, size_t size)
{
    verve_request_h request;
    verve_status_t status;

    status = perf_am_send_start(ctx, id, size, &request);
    perf_request_finish(ctx, "am send", status, request);
}

void perf_am_send_windowed(perf_ctx_t *ctx, size_t size)
{
    verve_request_h request;
    verve_status_t status;

    status = perf_am_send_start(ctx, PERF_AM_DATA, size, &request);
    perf_window_add(ctx, "am send", status, request);
}

void perf_ctl_send(perf_ctx_t *ctx)
{
    perf_am_send(ctx, PERF_AM_CTL, 8);
}

void perf_ctl_wait(perf_ctx_t *ctx, uint64_t target)
{
    while (ctx->ctl_count < target) {
        perf_progress(ctx);
    }
}

void perf_data_wait(perf_ctx_t *ctx, uint64_t target)
{
    while (ctx->data_count < target) {
        perf_progress(ctx);
    }
}

/* Frees the completed requests of the window; exits on a failed one. */
static void perf_window_reap(perf_ctx_t *ctx, const char *op)
{
    verve_status_t status;
    size_t i = 0;

    while (i < perf_window_count) {
        status = verve_request_test(ctx->window[i]);
        if (status == VERVE_INPROGRESS) {
            ++i;
            continue;
        }
        verve_request_free(ctx->window[i]);
        if (status != VERVE_OK) {
            perf_fatal(op, status);
        }
        ctx->window[i] = ctx->window[--perf_window_count];
    }
}

void perf_window_add(perf_ctx_t *ctx, const char *op, verve_status_t status,
                     verve_request_h request)
{
    if (status == VERVE_OK) {
        return;
    }
    if (status != VERVE_INPROGRESS) {
        perf_fatal(op, status);
    }
    ctx->window[perf_window_count++] = request;
    while (perf_window_count >= ctx->opts->window) {
        perf_progress(ctx);
        perf_window_reap(ctx, op);
    }
}

void perf_window_drain(perf_ctx_t *ctx)
{
    while (perf_window_count > 0) {
        perf_progress(ctx);
        perf_window_reap(ctx, "operation in window");
    }
}
