/*
 * RMA and atomics between every pair of ranks, on allocated (shareable)
 * and on registered plain memory: N ranks fetch-add one counter and the
 * total is exact, puts and gets land where they should, and bad keys or
 * out-of-range addresses fail without touching the target.
 */
#include <stdlib.h>
#include <string.h>
#include "it_common.h"
#include "../pattern.h"

#define AREA (96 * 1024) /* each rank's part of a peer's region */
#define NUM_FADD 3000  /* per rank and kind; --fadds=N changes it */
#define MAX_RKEY 512

typedef struct region {
    size_t length;           /* 64 bytes, then AREA per rank */
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
        .length = 64 + (size_t)job->size * AREA};
    uint8_t *rkeys = malloc((size_t)job->size * (MAX_RKEY + 8));
    size_t *lengths = calloc((size_t)job->size, sizeof(size_t));
    uint64_t *bases = malloc((size_t)job->size * (8 + 8));
    uint64_t base;
    void *packed;
    size_t length;

    memset(r, 0, sizeof(*r));
    r->length = mp.length;
    if (allocate) {
        mp.flags = VERVE_MEM_MAP_ALLOCATE;
    } else {
        r->plain = aligned_alloc(4096, (r->length + 4095) & ~(size_t)4095);
        mp.address = r->plain;
    }
    it_check(job, verve_mem_map(job->context, &mp, &r->mem) == VERVE_OK,
             "mem map");
    r->base = verve_mem_address(r->mem);
    memset(r->base, 0, r->length);
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

/* One atomic on peer p's region, waited for; returns the old value. */
static uint64_t amo(it_job_t *job, region_t *r, int p, verve_atomic_op_t op,
                    uint64_t value, uint64_t compare, size_t size,
                    uint64_t raddr, const char *what)
{
    uint64_t result = 0;
    uint32_t result32 = 0;
    verve_request_h req;
    verve_status_t status;

    status = verve_atomic_nbx(job->eps[p], op, value, compare,
                              (size == 8) ? (void *)&result
                                          : (void *)&result32,
                              size, raddr, r->rkeys[p], NULL, &req);
    it_wait(job, status, &req, VERVE_OK, what);
    return (size == 8) ? result : result32;
}

#define AMO_CHECK(_job, _got, _want, _what, _p) \
    it_check(_job, (_got) == (_want), "%s at rank %d: old value 0x%llx, " \
             "expected 0x%llx", _what, _p, (unsigned long long)(_got), \
             (unsigned long long)(_want))

/* The two words every op sequence below leaves in an area. */
#define AMO_WORD0 11ull
#define AMO_WORD1 ((7ull << 32) | 0x1234567aull)
#define AMO_ROUNDS 50

/* Every op at both sizes on each peer's region, with known results: rank
 * q works on the first two words of its area in peer p's region. A 4-byte
 * op that carries into, or writes, the other half of its word, an op that
 * returns the new value instead of the old, a compare-swap that stores
 * on a mismatch, or an add that is lost shows in a result or in the
 * words left. Then every rank increments rank 0's counter by compare-swap
 * (a store on a mismatch loses increments) and swaps distinct values into
 * one word (each value, and the word's first, must be seen exactly once).
 */
static void test_atomic_ops(it_job_t *job, region_t *r)
{
    uint64_t *words, counter, sum = 0, xor = 0, all[2] = {0, 0};
    /* it_allgather's output has room for a length per rank */
    uint64_t *results = malloc((size_t)job->size * (16 + 8)), mine[2];
    uint64_t raddr, guess, old;
    unsigned tries = 0;

    for (int p = 0; p < job->size; ++p) {
        raddr = r->remote_base[p] + 64 + (uint64_t)job->rank * AREA;
        amo(job, r, p, VERVE_ATOMIC_ADD, 5, 0, 8, raddr, "add");
        AMO_CHECK(job, amo(job, r, p, VERVE_ATOMIC_FADD, 1, 0, 8, raddr,
                           "fetch-add"), 5ull, "fetch-add after add", p);
        AMO_CHECK(job, amo(job, r, p, VERVE_ATOMIC_SWAP, 9, 0, 8, raddr,
                           "swap"), 6ull, "swap", p);
        AMO_CHECK(job, amo(job, r, p, VERVE_ATOMIC_CSWAP, 1, 8, 8, raddr,
                           "compare-swap"), 9ull,
                  "compare-swap, mismatch", p);
        AMO_CHECK(job, amo(job, r, p, VERVE_ATOMIC_CSWAP, AMO_WORD0, 9, 8,
                           raddr, "compare-swap"), 9ull,
                  "compare-swap, match", p);
        /* 4-byte ops on the low half of word 1, then its high half */
        raddr += 8;
        AMO_CHECK(job, amo(job, r, p, VERVE_ATOMIC_SWAP, 0xfffffffe, 0, 4,
                           raddr, "swap/4"), 0ull, "swap/4", p);
        AMO_CHECK(job, amo(job, r, p, VERVE_ATOMIC_FADD, 3, 0, 4, raddr,
                           "fetch-add/4"), 0xfffffffeull,
                  "fetch-add/4 (wraps)", p);
        AMO_CHECK(job, amo(job, r, p, VERVE_ATOMIC_CSWAP, 5, 2, 4, raddr,
                           "compare-swap/4"), 1ull,
                  "compare-swap/4, mismatch", p);
        AMO_CHECK(job, amo(job, r, p, VERVE_ATOMIC_CSWAP, 0x12345678, 1, 4,
                           raddr, "compare-swap/4"), 1ull,
                  "compare-swap/4, match", p);
        amo(job, r, p, VERVE_ATOMIC_ADD, 2, 0, 4, raddr, "add/4");
        AMO_CHECK(job, amo(job, r, p, VERVE_ATOMIC_CSWAP, 7, 0, 4,
                           raddr + 4, "compare-swap/4"), 0ull,
                  "compare-swap/4 on the high half", p);
    }
    /* rank 0's counter by compare-swap, and its swap word */
    for (unsigned i = 0; i < AMO_ROUNDS; ++i) {
        uint64_t mine = ((uint64_t)(job->rank + 1) << 32) | (i + 1);

        guess = 0;
        while ((old = amo(job, r, 0, VERVE_ATOMIC_CSWAP, guess + 1, guess, 8,
                          r->remote_base[0] + 16, "counter")) != guess) {
            guess = old;
            ++tries;
        }
        old = amo(job, r, 0, VERVE_ATOMIC_SWAP, mine, 0, 8,
                  r->remote_base[0] + 24, "swap chain");
        sum += old;
        xor ^= old;
    }
    it_barrier(job);

    words = (uint64_t *)((uint8_t *)r->base + 64);
    for (int q = 0; q < job->size; ++q) {
        uint64_t *area = words + (size_t)q * (AREA / 8);
        it_check(job, area[0] == AMO_WORD0 && area[1] == AMO_WORD1,
                 "rank %d's atomics left 0x%llx 0x%llx here, expected 0x%llx "
                 "0x%llx", q, (unsigned long long)area[0],
                 (unsigned long long)area[1], (unsigned long long)AMO_WORD0,
                 (unsigned long long)AMO_WORD1);
    }
    mine[0] = sum;
    mine[1] = xor;
    it_allgather(job, mine, sizeof(mine), sizeof(mine), results, NULL);
    if (job->rank == 0) {
        memcpy(&counter, (uint8_t *)r->base + 16, 8);
        it_check(job, counter == (uint64_t)job->size * AMO_ROUNDS,
                 "counter by compare-swap is %llu, expected %llu (%u "
                 "retries here)", (unsigned long long)counter,
                 (unsigned long long)job->size * AMO_ROUNDS, tries);
        /* what was swapped out, and the last value left, are the word's
         * first value (0) and every value swapped in, each once */
        memcpy(&old, (uint8_t *)r->base + 24, 8);
        all[0] = old;
        all[1] = old;
        for (int q = 0; q < job->size; ++q) {
            all[0] += results[2 * q];
            all[1] ^= results[2 * q + 1];
            for (unsigned i = 0; i < AMO_ROUNDS; ++i) {
                uint64_t v = ((uint64_t)(q + 1) << 32) | (i + 1);
                all[0] -= v;
                all[1] ^= v;
            }
        }
        it_check(job, all[0] == 0 && all[1] == 0, "swap chain: the values "
                 "seen are not the values swapped in, each once");
    }
    it_barrier(job);
    free(results);
}

/* Puts and gets of aligned and unaligned sizes at unaligned offsets, laid
 * out one after another in each rank's area with a gap before each: a
 * piece that lands at another offset, spills past its end or is written
 * twice shows as a bad byte or a touched gap. */
typedef struct rma_case {
    size_t misalign;   /* the offset's remainder modulo 64 */
    size_t size;
} rma_case_t;

static const rma_case_t rma_cases[] = {
    {0, 4096}, {1, 1}, {7, 3}, {100 % 64, 4095}, {1, 4097}, {7, 65537},
    {36, 1000}, {3, 8}, {0, 256 * 3}};
#define NUM_RMA_CASES (sizeof(rma_cases) / sizeof(rma_cases[0]))
#define RMA_GUARD 16

/* Where case k starts in an area: after the previous case and a gap of at
 * least 64 bytes, at its misalignment. */
static size_t rma_case_offset(size_t k)
{
    size_t end = 0;

    for (size_t j = 0; j <= k; ++j) {
        size_t start = ((end + 64 + 63) & ~(size_t)63) + rma_cases[j].misalign;

        if (j == k) {
            return start;
        }
        end = start + rma_cases[j].size;
    }
    return 0;
}

static uint64_t rma_id(int src, int dst, int kind)
{
    return pattern_id((uint64_t)src << 16 | (uint64_t)dst, (uint64_t)kind);
}

/* The area rank src wrote in this rank's region: every case holds its
 * bytes, every gap is still zero. */
static void check_area(it_job_t *job, const uint8_t *area, int src, int kind)
{
    uint64_t id = rma_id(src, job->rank, kind);
    size_t end = 0;
    char why[256];

    for (size_t k = 0; k < NUM_RMA_CASES; ++k) {
        size_t offset = rma_case_offset(k);

        for (size_t i = end; i < offset; ++i) {
            it_check(job, area[i] == 0, "put from rank %d: gap byte at "
                     "offset %zu is 0x%02x, before the %zu-byte put at %zu",
                     src, i, area[i], rma_cases[k].size, offset);
        }
        it_check(job, !pattern_check(id, offset, area + offset,
                                     rma_cases[k].size, why, sizeof(why)),
                 "put from rank %d, %zu bytes at offset %zu: %s", src,
                 rma_cases[k].size, offset, why);
        end = offset + rma_cases[k].size;
    }
    for (size_t i = end; i < AREA; ++i) {
        it_check(job, area[i] == 0, "put from rank %d: byte at offset %zu, "
                 "past the last put, is 0x%02x", src, i, area[i]);
    }
}

static void test_put_get(it_job_t *job, region_t *r, int kind)
{
    size_t max = 0;
    uint8_t *buffer;
    verve_request_h req;
    char why[256];

    for (size_t k = 0; k < NUM_RMA_CASES; ++k) {
        max = rma_cases[k].size > max ? rma_cases[k].size : max;
    }
    buffer = malloc(max + 2 * RMA_GUARD + 8);
    for (int p = 0; p < job->size; ++p) {
        uint64_t area = r->remote_base[p] + 64 + (uint64_t)job->rank * AREA;

        for (size_t k = 0; k < NUM_RMA_CASES; ++k) {
            size_t offset = rma_case_offset(k);
            /* The local buffer unaligned too, differently from the remote
             * address. */
            uint8_t *local = buffer + RMA_GUARD + (k % 8);

            pattern_fill(rma_id(job->rank, p, kind), offset, local,
                         rma_cases[k].size);
            it_wait(job, verve_put_nbx(job->eps[p], local, rma_cases[k].size,
                                       area + offset, r->rkeys[p], NULL,
                                       &req),
                    &req, VERVE_OK, "put");
        }
    }
    it_wait(job, verve_worker_flush_nbx(job->worker, NULL, &req), &req,
            VERVE_OK, "flush");
    it_barrier(job);
    for (int src = 0; src < job->size; ++src) {
        check_area(job, r->base + 64 + (size_t)src * AREA, src, kind);
    }
    for (int p = 0; p < job->size; ++p) {
        uint64_t area = r->remote_base[p] + 64 + (uint64_t)job->rank * AREA;

        for (size_t k = 0; k < NUM_RMA_CASES; ++k) {
            size_t offset = rma_case_offset(k), size = rma_cases[k].size;
            uint8_t *local = buffer + RMA_GUARD + (7 - k % 8);

            memset(buffer, 0xa5, max + 2 * RMA_GUARD + 8);
            it_wait(job, verve_get_nbx(job->eps[p], local, size,
                                       area + offset, r->rkeys[p], NULL,
                                       &req),
                    &req, VERVE_OK, "get");
            it_check(job, !pattern_check(rma_id(job->rank, p, kind), offset,
                                         local, size, why, sizeof(why)),
                     "get of %zu bytes at offset %zu from rank %d: %s", size,
                     offset, p, why);
            for (uint8_t *g = buffer; g < buffer + max + 2 * RMA_GUARD + 8;
                 ++g) {
                it_check(job, (g >= local && g < local + size) || *g == 0xa5,
                         "get of %zu bytes at offset %zu from rank %d wrote "
                         "byte %td of the local buffer, outside [%td, %td)",
                         size, offset, p, g - local, (ptrdiff_t)0,
                         (ptrdiff_t)size);
            }
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
                                r->remote_base[peer] + r->length - 8,
                                r->rkeys[peer], NULL, &req) ==
             VERVE_ERR_OUT_OF_RANGE, "put past the end accepted");
    it_check(job, verve_get_nbx(job->eps[peer], data, sizeof(data),
                                r->remote_base[peer] - 16, r->rkeys[peer],
                                NULL, &req) == VERVE_ERR_OUT_OF_RANGE,
             "get before the start accepted");
    it_check(job, verve_atomic_nbx(job->eps[peer], VERVE_ATOMIC_SWAP, 1, 0,
                                   &result, 8, r->remote_base[peer] + r->length,
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
    region_t allocated, registered, atomics;

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
    region_init(&job, &atomics, 1);
    test_atomic_ops(&job, &atomics);
    region_fini(&job, &atomics);
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
