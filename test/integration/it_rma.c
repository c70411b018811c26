/*
 * RMA and atomics between every pair of ranks, on allocated (shareable)
 * and on registered plain memory: N ranks fetch-add one counter and the
 * total is exact, puts and gets land where they should, and bad keys or
 * out-of-range addresses fail without touching the target.
 */
#include <stdlib.h>
#include <string.h>
#include "it_common.h"

#define REGION 65536
#define SLOT 4096
#define NUM_FADD 3000  /* per rank and kind; --fadds=N changes it */
#define MAX_RKEY 512

typedef struct region {
    verve_mem_h mem;
    uint8_t *base;
    void *plain;
    uint64_t *remote_base;   /* by rank */
    verve_rkey_h *rkeys;     /* by rank */
} region_t;

static void region_init(it_job_t *job, region_t *r, int allocate)
{
    verve_mem_map_params_t mp = {
        .field_mask = VERVE_MEM_MAP_PARAM_FIELD_ADDRESS |
                      VERVE_MEM_MAP_PARAM_FIELD_LENGTH |
                      VERVE_MEM_MAP_PARAM_FIELD_FLAGS,
        .length = REGION};
    uint8_t *rkeys = malloc((size_t)job->size * (MAX_RKEY + 8));
    size_t *lengths = calloc((size_t)job->size, sizeof(size_t));
    uint64_t *bases = malloc((size_t)job->size * (8 + 8));
    uint64_t base;
    void *packed;
    size_t length;

    memset(r, 0, sizeof(*r));
    if (allocate) {
        mp.flags = VERVE_MEM_MAP_ALLOCATE;
    } else {
        r->plain = aligned_alloc(4096, REGION);
        mp.address = r->plain;
    }
    it_check(job, verve_mem_map(job->context, &mp, &r->mem) == VERVE_OK,
             "mem map");
    r->base = verve_mem_address(r->mem);
    memset(r->base, 0, REGION);
    it_check(job, verve_rkey_pack(job->context, r->mem, &packed, &length) ==
             VERVE_OK, "rkey pack");
    it_allgather(job, packed, length, MAX_RKEY, rkeys, lengths);
    verve_rkey_buffer_release(packed);
    base = (uint64_t)(uintptr_t)r->base;
    it_allgather(job, &base, sizeof(base), sizeof(base), bases, NULL);
    r->rkeys = calloc((size_t)job->size, sizeof(*r->rkeys));
    r->remote_base = calloc((size_t)job->size, sizeof(uint64_t));
    for (int p = 0; p < job->size; ++p) {
        verve_status_t status = verve_rkey_unpack(
                job->eps[p], rkeys + (size_t)p * MAX_RKEY, lengths[p],
                &r->rkeys[p]);
        it_check(job, status == VERVE_OK, "rkey unpack from %d: %s", p,
                 verve_status_string(status));
        r->remote_base[p] = bases[p];
    }
    free(rkeys);
    free(lengths);
    free(bases);
}

static void region_fini(it_job_t *job, region_t *r)
{
    for (int p = 0; p < job->size; ++p) {
        verve_rkey_destroy(r->rkeys[p]);
    }
    if (r->mem != NULL) {
        verve_mem_unmap(job->context, r->mem);
    }
    free(r->plain);
    free(r->rkeys);
    free(r->remote_base);
}

static uint8_t pattern(int src, int dst, size_t i, int kind)
{
    return (uint8_t)(src * 17 + dst * 5 + i * 3 + kind * 101);
}

/* Every rank adds 1 to rank 0's counter NUM_FADD times; the values seen
 * are distinct, so their sum is known exactly. */
static void test_fadd_contention(it_job_t *job, region_t *r, size_t size,
                                 int num_fadd)
{
    uint64_t sum = 0, *sums = malloc((size_t)job->size * 16);
    uint64_t total = (uint64_t)num_fadd * job->size, all = 0;
    uint64_t raddr = r->remote_base[0] + (size == 8 ? 0 : 8);

    for (int i = 0; i < num_fadd; ++i) {
        uint64_t result = 0;
        uint32_t result32 = 0;
        verve_request_h req;
        verve_status_t status = verve_atomic_nbx(
                job->eps[0], VERVE_ATOMIC_FADD, 1, 0,
                size == 8 ? (void *)&result : (void *)&result32, size, raddr,
                r->rkeys[0], NULL, &req);
        it_wait(job, status, &req, VERVE_OK, "fetch-add");
        sum += (size == 8) ? result : result32;
    }
    it_barrier(job);
    if (job->rank == 0) {
        uint64_t value = 0;
        memcpy(&value, r->base + (size == 8 ? 0 : 8), size);
        it_check(job, value == total, "counter is %llu, expected %llu",
                 (unsigned long long)value, (unsigned long long)total);
    }
    it_allgather(job, &sum, sizeof(sum), sizeof(sum), sums, NULL);
    for (int p = 0; p < job->size; ++p) {
        all += sums[p];
    }
    it_check(job, all == total * (total - 1) / 2,
             "fetched values sum to %llu, expected %llu: some were seen "
             "twice", (unsigned long long)all,
             (unsigned long long)(total * (total - 1) / 2));
    free(sums);
}

static void test_put_get(it_job_t *job, region_t *r, int kind)
{
    uint8_t *buffer = malloc(SLOT);
    verve_request_h req;

    for (int p = 0; p < job->size; ++p) {
        for (size_t i = 0; i < SLOT; ++i) {
            buffer[i] = pattern(job->rank, p, i, kind);
        }
        it_wait(job, verve_put_nbx(job->eps[p], buffer, SLOT,
                                   r->remote_base[p] + 64 +
                                           (uint64_t)job->rank * SLOT,
                                   r->rkeys[p], NULL, &req),
                &req, VERVE_OK, "put");
    }
    it_wait(job, verve_worker_flush_nbx(job->worker, NULL, &req), &req,
            VERVE_OK, "flush");
    it_barrier(job);
    for (int src = 0; src < job->size; ++src) {
        const uint8_t *slot = r->base + 64 + (size_t)src * SLOT;
        for (size_t i = 0; i < SLOT; ++i) {
            it_check(job, slot[i] == pattern(src, job->rank, i, kind),
                     "put from rank %d: byte %zu is %u", src, i, slot[i]);
        }
    }
    for (int p = 0; p < job->size; ++p) {
        memset(buffer, 0, SLOT);
        it_wait(job, verve_get_nbx(job->eps[p], buffer, SLOT,
                                   r->remote_base[p] + 64 +
                                           (uint64_t)job->rank * SLOT,
                                   r->rkeys[p], NULL, &req),
                &req, VERVE_OK, "get");
        for (size_t i = 0; i < SLOT; ++i) {
            it_check(job, buffer[i] == pattern(job->rank, p, i, kind),
                     "get from rank %d: byte %zu is %u", p, i, buffer[i]);
        }
    }
    it_barrier(job);
    free(buffer);
}

static void test_errors(it_job_t *job, region_t *r)
{
    int peer = (job->rank + 1) % job->size;
    uint8_t garbage[48], data[16] = {0};
    uint64_t result;
    verve_rkey_h rkey;
    verve_request_h req;

    for (size_t i = 0; i < sizeof(garbage); ++i) {
        garbage[i] = (uint8_t)(i * 29 + job->rank);
    }
    it_check(job, verve_rkey_unpack(job->eps[peer], garbage, sizeof(garbage),
                                    &rkey) == VERVE_ERR_INVALID_RKEY,
             "garbage rkey accepted");
    it_check(job, verve_put_nbx(job->eps[peer], data, sizeof(data),
                                r->remote_base[peer] + REGION - 8,
                                r->rkeys[peer], NULL, &req) ==
             VERVE_ERR_OUT_OF_RANGE, "put past the end accepted");
    it_check(job, verve_get_nbx(job->eps[peer], data, sizeof(data),
                                r->remote_base[peer] - 16, r->rkeys[peer],
                                NULL, &req) == VERVE_ERR_OUT_OF_RANGE,
             "get before the start accepted");
    it_check(job, verve_atomic_nbx(job->eps[peer], VERVE_ATOMIC_SWAP, 1, 0,
                                   &result, 8, r->remote_base[peer] + REGION,
                                   r->rkeys[peer], NULL, &req) ==
             VERVE_ERR_OUT_OF_RANGE, "atomic past the end accepted");
    it_barrier(job);
}

/* A key whose region its owner unmapped: the access fails with
 * VERVE_ERR_INVALID_RKEY and nothing is written into memory the owner may
 * have reused.
 *
 * Where an access error breaks the connection (breaks_connection: RDMA,
 * whose queue pair then goes to error both ways) only rank 0 makes a
 * stale access, a put, so that it is the first error on its connection
 * and needs no progress from its target (native); the error must show in
 * the put or, for a put completed locally, in the flush after it. Every
 * rank then reconnects before going on. */
static void test_stale_key(it_job_t *job, region_t *r, int breaks_connection)
{
    int peer = (job->rank + 1) % job->size;
    uint64_t result = 0;
    uint8_t data[64] = {1};
    verve_status_t status, flushed = VERVE_OK;
    verve_request_h req;

    if (job->size == 1) {
        return;
    }
    memset(r->plain, 0xee, 64);
    verve_mem_unmap(job->context, r->mem);
    r->mem = NULL;
    it_barrier(job);
    if (!breaks_connection) {
        status = verve_atomic_nbx(job->eps[peer], VERVE_ATOMIC_FADD, 1, 0,
                                  &result, 8, r->remote_base[peer],
                                  r->rkeys[peer], NULL, &req);
        it_wait(job, status, &req, VERVE_ERR_INVALID_RKEY,
                "atomic, stale key");
    }
    if (!breaks_connection || job->rank == 0) {
        status = verve_put_nbx(job->eps[peer], data, sizeof(data),
                               r->remote_base[peer], r->rkeys[peer], NULL,
                               &req);
        if (status == VERVE_INPROGRESS) {
            status = verve_request_wait(job->worker, req);
            verve_request_free(req);
        }
        if (breaks_connection && status == VERVE_OK) {
            flushed = verve_ep_flush_nbx(job->eps[peer], NULL, &req);
            if (flushed == VERVE_INPROGRESS) {
                flushed = verve_request_wait(job->worker, req);
                verve_request_free(req);
            }
        }
        it_check(job, status == VERVE_ERR_INVALID_RKEY ||
                 (breaks_connection && status == VERVE_OK &&
                  flushed != VERVE_OK),
                 "put, stale key: %s (flush: %s)",
                 verve_status_string(status), verve_status_string(flushed));
    }
    if (breaks_connection) {
        it_reconnect(job);
    } else {
        it_barrier(job);
    }
    for (size_t i = 0; i < 64; ++i) {
        it_check(job, ((uint8_t *)r->plain)[i] == 0xee,
                 "a put with a stale key changed byte %zu", i);
    }
}

int main(int argc, char **argv)
{
    int breaks_connection = 0, num_fadd = NUM_FADD;
    it_job_t job;
    region_t allocated, registered;

    /* Over a lossy, delayed link each fetch-add is a round trip that loss
     * stretches: there a few hundred show exactly-once as well. */
    for (int i = 1; i < argc; ++i) {
        char *end = NULL;

        if (strcmp(argv[i], "--access-error-breaks-connection") == 0) {
            breaks_connection = 1;
            continue;
        }
        if (strncmp(argv[i], "--fadds=", 8) == 0) {
            long value = strtol(argv[i] + 8, &end, 10);

            if (end != argv[i] + 8 && *end == '\0' && value > 0 &&
                value <= NUM_FADD * 100) {
                num_fadd = (int)value;
                continue;
            }
        }
        fprintf(stderr, "usage: it_rma [--access-error-breaks-connection] "
                        "[--fadds=N]\n");
        return 2;
    }
    it_job_init(&job);
    region_init(&job, &allocated, 1);
    region_init(&job, &registered, 0);
    test_fadd_contention(&job, &allocated, 8, num_fadd);
    test_fadd_contention(&job, &allocated, 4, num_fadd);
    test_fadd_contention(&job, &registered, 8, num_fadd);
    test_fadd_contention(&job, &registered, 4, num_fadd);
    test_put_get(&job, &allocated, 0);
    test_put_get(&job, &registered, 1);
    test_errors(&job, &allocated);
    test_errors(&job, &registered);
    test_stale_key(&job, &registered, breaks_connection);
    printf("rank %d: RMA and atomics checked with %d ranks\n", job.rank,
           job.size);
    region_fini(&job, &allocated);
    region_fini(&job, &registered);
    it_job_finalize(&job);
    return 0;
}
