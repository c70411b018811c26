/*
 * verve_perf: set-up and tear-down around the tests. Runs under
 * `verve_run -n N` or `mpirun -n N`: worker addresses and remote keys
 * travel through the bootstrap's put/fence/get. Collective tests have
 * their own set-up (verve_perf_coll.c).
 */
#include <verve_config.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "verve_perf.h"

/* Each rank puts one bootstrap value under this key: the header below,
 * its worker address, then the packed rkey of its region. */
#define PERF_EXCHANGE_KEY "perf.peer"

typedef struct perf_exchange_header {
    uint64_t address_length;
    uint64_t rkey_length;
    uint64_t region_address;
} perf_exchange_header_t;

static size_t perf_max_size(const perf_options_t *opts)
{
    size_t sizes[PERF_SIZES_MAX];
    size_t max = 8; /* atomics and the 8-byte control message */
    size_t count, i;
    int test;

    for (test = 0; test < PERF_TEST_LAST; ++test) {
        if (!(opts->tests & (1u << test))) {
            continue;
        }
        count = perf_options_sizes(opts, test, sizes, PERF_SIZES_MAX);
        for (i = 0; i < count; ++i) {
            max = (sizes[i] > max) ? sizes[i] : max;
        }
    }
    return max;
}

/* Pinning keeps both ranks on fixed cores: otherwise the scheduler's
 * placement (same core pair or not) dominates small-message latency. */
static void perf_cpu_pin(const perf_ctx_t *ctx)
{
    cpu_set_t set;
    int cpu;

    /* -c places the pair that reports; the others go where they fall */
    if (ctx->opts->num_cpus == 0 || ctx->job_rank > 1) {
        return;
    }
    cpu = ctx->opts->cpus[ctx->rank];
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        fprintf(stderr, "verve_perf: rank %d: pinning to CPU %d failed: "
                "%s\n", ctx->rank, cpu, strerror(errno));
        exit(1);
    }
}

/* Reads rank's value; returns it (malloc'ed) with its header checked. */
static uint8_t *perf_exchange_get(perf_ctx_t *ctx, int rank,
                                  perf_exchange_header_t *header)
{
    size_t length;
    uint8_t *value = perf_boot_value(ctx, rank, PERF_EXCHANGE_KEY,
                                     sizeof(*header), &length);

    memcpy(header, value, sizeof(*header));
    if (header->address_length + header->rkey_length !=
        length - sizeof(*header)) {
        perf_fatal("address exchange", VERVE_ERR_IO);
    }
    return value;
}

static void perf_setup(perf_ctx_t *ctx)
{
    verve_context_params_t cparams = {
        .field_mask = VERVE_CONTEXT_PARAM_FIELD_FEATURES |
                      VERVE_CONTEXT_PARAM_FIELD_NAME,
        .features = VERVE_FEATURE_AM | VERVE_FEATURE_RMA |
                    VERVE_FEATURE_AMO32 | VERVE_FEATURE_AMO64 |
                    VERVE_FEATURE_WAKEUP,
        .name = "verve_perf"
    };
    verve_worker_params_t wparams = {.field_mask = 0};
    verve_mem_map_params_t mparams = {
        .field_mask = VERVE_MEM_MAP_PARAM_FIELD_LENGTH |
                      VERVE_MEM_MAP_PARAM_FIELD_FLAGS,
        .flags = VERVE_MEM_MAP_ALLOCATE
    };
    verve_ep_params_t eparams = {
        .field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS |
                      VERVE_EP_PARAM_FIELD_ERR_HANDLER,
        .err_cb = perf_ep_error_cb,
        .err_arg = ctx
    };
    perf_exchange_header_t header;
    void *address, *rkey_buffer;
    size_t address_length, rkey_length, length;
    uint8_t *mine, *theirs;
    int peer = ctx->job_rank ^ 1;

    ctx->buffer_length = perf_max_size(ctx->opts);
    ctx->send_buffer = calloc(1, ctx->buffer_length);
    ctx->recv_buffer = calloc(1, ctx->buffer_length);
    ctx->window = calloc(ctx->opts->window, sizeof(*ctx->window));
    if ((ctx->send_buffer == NULL) || (ctx->recv_buffer == NULL) ||
        (ctx->window == NULL)) {
        perf_fatal("buffer allocation", VERVE_ERR_NO_MEMORY);
    }

    perf_check("context create", verve_context_create(&cparams,
                                                      &ctx->context));
    perf_check("worker create", verve_worker_create(ctx->context, &wparams,
                                                    &ctx->worker));
    perf_check("am handler set", perf_handlers_set(ctx));
    mparams.length = ctx->buffer_length;
    perf_check("memory map", verve_mem_map(ctx->context, &mparams,
                                           &ctx->memh));
    ctx->region = verve_mem_address(ctx->memh);
    ctx->region_length = verve_mem_length(ctx->memh);
    perf_check("worker address pack",
               verve_worker_address_pack(ctx->worker, &address,
                                         &address_length));
    perf_check("rkey pack", verve_rkey_pack(ctx->context, ctx->memh,
                                            &rkey_buffer, &rkey_length));

    /* One value per rank: the header, the address, the rkey. */
    header.address_length = address_length;
    header.rkey_length = rkey_length;
    header.region_address = (uintptr_t)ctx->region;
    length = sizeof(header) + address_length + rkey_length;
    mine = malloc(length);
    if (mine == NULL) {
        perf_fatal("address exchange allocation", VERVE_ERR_NO_MEMORY);
    }
    memcpy(mine, &header, sizeof(header));
    memcpy(mine + sizeof(header), address, address_length);
    memcpy(mine + sizeof(header) + address_length, rkey_buffer, rkey_length);
    verve_worker_address_release(address);
    verve_rkey_buffer_release(rkey_buffer);
    perf_check("address exchange", verve_boot_put(ctx->boot,
                                                  PERF_EXCHANGE_KEY, mine,
                                                  length));
    free(mine);
    perf_check("address exchange", verve_boot_fence(ctx->boot));
    theirs = perf_exchange_get(ctx, peer, &header);

    eparams.address = theirs + sizeof(header);
    eparams.address_length = header.address_length;
    perf_check("endpoint create", verve_ep_create(ctx->worker, &eparams,
                                                  &ctx->ep));
    perf_check("rkey unpack",
               verve_rkey_unpack(ctx->ep, theirs + sizeof(header) +
                                 header.address_length, header.rkey_length,
                                 &ctx->rkey));
    ctx->remote_addr = header.region_address;
    free(theirs);
    if (ctx->remote_addr % 8 != 0) {
        /* The atomics need 8-byte alignment of the peer's region. */
        perf_fatal("alignment check of the peer's region",
                   VERVE_ERR_INVALID_PARAM);
    }
    perf_barrier(ctx);
}

static void perf_teardown(perf_ctx_t *ctx)
{
    verve_request_param_t param = {.op_attr_mask = 0};
    verve_request_h request = NULL;
    verve_status_t status;

    /* Neither rank closes while the other may still use the endpoint. */
    perf_barrier(ctx);
    verve_rkey_destroy(ctx->rkey);
    status = verve_ep_close_nbx(ctx->ep, VERVE_EP_CLOSE_FLUSH, &param,
                                &request);
    perf_request_finish(ctx, "endpoint close", status, request);
    perf_barrier(ctx);
    perf_check("memory unmap", verve_mem_unmap(ctx->context, ctx->memh));
    verve_worker_destroy(ctx->worker);
    verve_context_destroy(ctx->context);
    free(ctx->window);
    free(ctx->recv_buffer);
    free(ctx->send_buffer);
}

static void perf_run_all(perf_ctx_t *ctx)
{
    size_t sizes[PERF_SIZES_MAX];
    perf_result_t result;
    size_t count, i, iters;
    int test;

    if (ctx->job_rank == 0) {
        perf_report_header(ctx->opts);
    }
    for (test = 0; test < PERF_TEST_LAST; ++test) {
        if (!(ctx->opts->tests & (1u << test))) {
            continue;
        }
        count = perf_options_sizes(ctx->opts, test, sizes, PERF_SIZES_MAX);
        for (i = 0; i < count; ++i) {
            iters = perf_options_iters(ctx->opts, test, sizes[i]);
            perf_test_run(ctx, test, sizes[i], iters,
                          perf_options_warmup(ctx->opts, iters), &result);
            if (ctx->job_rank == 0) {
                perf_report_print(ctx->opts, &result);
            }
        }
    }
}

/* Before a rank exits on an error that rank 0 reports: verve_run stops the
 * whole job when the first rank exits, which may be before rank 0 printed
 * why. The barrier's own failure changes nothing here. */
static void perf_exit_together(verve_boot_h boot)
{
    fflush(stderr);
    (void)verve_boot_barrier(boot);
    verve_boot_finalize(boot);
}

int main(int argc, char **argv)
{
    char errbuf[512];
    perf_options_t opts;
    perf_ctx_t ctx;
    verve_status_t status;
    int rc, size;

    memset(&ctx, 0, sizeof(ctx));
    ctx.opts = &opts;
    rc = perf_options_parse(argc, argv, &opts, errbuf, sizeof(errbuf));
    if (rc > 0) {
        if (opts.help) {
            perf_options_usage(stdout);
        } else {
            printf("verve_perf (verve) %s\n", verve_version_string());
        }
        return 0;
    }
    status = verve_boot_init(&ctx.boot);
    if (rc < 0) {
        /* Every rank sees the same flags: let one of them say so. */
        if ((status != VERVE_OK) || (verve_boot_rank(ctx.boot) == 0)) {
            fprintf(stderr, "verve_perf: %s\n", errbuf);
        }
        if (status == VERVE_OK) {
            perf_exit_together(ctx.boot);
        }
        return 2;
    }
    perf_check("bootstrap init", status);
    perf_time_init();
    ctx.job_rank = verve_boot_rank(ctx.boot);
    size = verve_boot_size(ctx.boot);
    if (opts.tests & PERF_TESTS_COLL) {
        ctx.rank = ctx.job_rank;
        ctx.job_size = size;
        perf_cpu_pin(&ctx);
        perf_coll_setup(&ctx);
        perf_coll_run_all(&ctx);
        perf_coll_teardown(&ctx);
        verve_boot_finalize(ctx.boot);
        return 0;
    }
    ctx.rank = ctx.job_rank % 2;
    if (size < 2 || size % 2 != 0) {
        if (ctx.job_rank == 0) {
            fprintf(stderr, "verve_perf: needs an even number of ranks (2, "
                    "or pairs side by side), got %d: run it with `verve_run "
                    "-n 2 verve_perf [options]`\n", size);
        }
        perf_exit_together(ctx.boot);
        return 2;
    }
    perf_cpu_pin(&ctx);
    perf_setup(&ctx);
    perf_run_all(&ctx);
    perf_teardown(&ctx);
    verve_boot_finalize(ctx.boot);
    return 0;
}
