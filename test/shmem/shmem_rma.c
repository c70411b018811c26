/*
 * Put and get at the size boundaries of verve's protocols, with data
 * checked; nonblocking put and get completed by quiet; fence ordering
 * (data, fence, flag: a reader that sees the flag sees the data);
 * strided iput/iget; two contexts of their own. Every PE talks to its right
 * neighbour, so 2 and 4 PEs cover self-free rings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shmem_check.h"

#define MAX_SIZE (4u << 20)

static const size_t sizes[] = {
    1, 2, 7, 8, 9, 63, 64, 65, 255, 256, 257, 4095, 4096, 4097, 8191, 8192,
    8193, 65535, 65536, 65537, 262144, 1048575, 1048576, 1048577, MAX_SIZE
};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static long flag;          /* data segment: a static symmetric object */
static long data_static[64];

static unsigned char pattern(int pe, size_t i, size_t size)
{
    return (unsigned char)(pe * 31 + i * 7 + size);
}

static void test_put_get(unsigned char *heap, unsigned char *local, int me,
                         int npes)
{
    int right = (me + 1) % npes, left = (me + npes - 1) % npes;
    size_t s, i;

    for (s = 0; s < NSIZES; s++) {
        size_t size = sizes[s];

        for (i = 0; i < size; i++) {
            local[i] = pattern(me, i, size);
        }
        memset(heap, 0, size + 1);
        shmem_barrier_all();
        shmem_putmem(heap, local, size, right);
        shmem_barrier_all();
        for (i = 0; i < size; i++) {
            SHMEM_CHECK(heap[i] == pattern(left, i, size),
                        "put %zu bytes: byte %zu is %u, expected %u", size,
                        i, heap[i], pattern(left, i, size));
        }
        SHMEM_CHECK(heap[size] == 0, "put %zu bytes wrote past the end",
                    size);
        memset(local, 0xee, size);
        shmem_getmem(local, heap, size, right);
        /* right's heap holds what right's left (this PE) put there */
        for (i = 0; i < size; i++) {
            SHMEM_CHECK(local[i] == pattern(me, i, size),
                        "get %zu bytes: byte %zu is %u, expected %u", size,
                        i, local[i], pattern(me, i, size));
        }
        shmem_barrier_all();
    }
}

static void test_nbi(unsigned char *heap, unsigned char *local, int me,
                     int npes)
{
    int right = (me + 1) % npes, left = (me + npes - 1) % npes;
    const size_t chunk = 4096, nchunks = 64;
    size_t c, i;

    for (i = 0; i < chunk * nchunks; i++) {
        local[i] = pattern(me, i, 1);
    }
    memset(heap, 0, chunk * nchunks);
    shmem_barrier_all();
    for (c = 0; c < nchunks; c++) {
        shmem_putmem_nbi(heap + c * chunk, local + c * chunk, chunk, right);
    }
    shmem_quiet();
    shmem_barrier_all();
    for (i = 0; i < chunk * nchunks; i++) {
        SHMEM_CHECK(heap[i] == pattern(left, i, 1),
                    "put_nbi: byte %zu is %u, expected %u", i, heap[i],
                    pattern(left, i, 1));
    }
    memset(local, 0, chunk * nchunks);
    for (c = 0; c < nchunks; c++) {
        shmem_getmem_nbi(local + c * chunk, heap + c * chunk, chunk, right);
    }
    shmem_quiet();
    for (i = 0; i < chunk * nchunks; i++) {
        SHMEM_CHECK(local[i] == pattern(me, i, 1),
                    "get_nbi: byte %zu is %u, expected %u", i, local[i],
                    pattern(me, i, 1));
    }
    shmem_barrier_all();
}

/* Each round: data, fence, flag into the right neighbour; the neighbour
 * waits for the flag and must find the data. Also the static (data
 * segment) objects, which oshmem registers as a second segment. */
static void test_fence(unsigned char *heap, int me, int npes)
{
    int right = (me + 1) % npes, left = (me + npes - 1) % npes;
    const int rounds = 200;
    long *box = (long *)heap, value;
    int r;

    flag = 0;
    *box = 0;
    shmem_barrier_all();
    for (r = 1; r <= rounds; r++) {
        value = (long)r * 1000 + me;
        shmem_long_put(box, &value, 1, right);
        shmem_fence();
        shmem_long_p(&flag, r, right);
        shmem_long_wait_until(&flag, SHMEM_CMP_GE, r);
        SHMEM_CHECK(*box == (long)r * 1000 + left,
                    "fence round %d: data %ld, expected %ld", r, *box,
                    (long)r * 1000 + left);
        shmem_barrier_all();
    }
    for (r = 0; r < 64; r++) {
        data_static[r] = 0;
    }
    shmem_barrier_all();
    for (r = 0; r < 64; r++) {
        shmem_long_p(&data_static[r], (long)me * 100 + r, right);
    }
    shmem_quiet();
    shmem_barrier_all();
    for (r = 0; r < 64; r++) {
        SHMEM_CHECK(data_static[r] == (long)left * 100 + r,
                    "static put %d: %ld", r, data_static[r]);
        SHMEM_CHECK(shmem_long_g(&data_static[r], right) ==
                    (long)me * 100 + r, "static get %d", r);
    }
    shmem_barrier_all();
}

static void test_strided(int me, int npes)
{
    int right = (me + 1) % npes, left = (me + npes - 1) % npes;
    long *target = shmem_malloc(64 * sizeof(long));
    long source[32], back[32];
    int i;

    for (i = 0; i < 64; i++) {
        target[i] = -1;
    }
    for (i = 0; i < 32; i++) {
        source[i] = me * 1000 + i;
    }
    shmem_barrier_all();
    shmem_long_iput(target, source, 2, 1, 32, right);
    shmem_barrier_all();
    for (i = 0; i < 64; i++) {
        long expected = (i % 2 == 0) ? left * 1000 + i / 2 : -1;

        SHMEM_CHECK(target[i] == expected, "iput: target[%d] = %ld, "
                    "expected %ld", i, target[i], expected);
    }
    shmem_long_iget(back, target, 1, 2, 32, right);
    for (i = 0; i < 32; i++) {
        SHMEM_CHECK(back[i] == me * 1000 + i, "iget: back[%d] = %ld", i,
                    back[i]);
    }
    shmem_barrier_all();
    shmem_free(target);
}

/* Two contexts of their own beside the default one: puts on each,
 * completed by that context's quiet; gets and a fetch-add through them;
 * the static data segment through one. */
static void test_ctx(int me, int npes)
{
    int right = (me + 1) % npes, left = (me + npes - 1) % npes;
    long *target = shmem_malloc(32 * sizeof(long));
    long *counter = shmem_malloc(sizeof(long));
    shmem_ctx_t ctx[2];
    long source[32], back[16], old;
    int i, c, rc;

    for (c = 0; c < 2; c++) {
        rc = shmem_ctx_create(c == 0 ? SHMEM_CTX_PRIVATE : 0, &ctx[c]);
        SHMEM_CHECK(rc == 0, "shmem_ctx_create returned %d", rc);
    }
    for (i = 0; i < 32; i++) {
        source[i] = me * 100 + i;
        target[i] = 0;
    }
    *counter = 0;
    flag = 0;
    shmem_barrier_all();
    shmem_ctx_long_put_nbi(ctx[0], target, source, 16, right);
    shmem_ctx_long_put_nbi(ctx[1], target + 16, source + 16, 16, right);
    shmem_ctx_quiet(ctx[0]);
    shmem_ctx_quiet(ctx[1]);
    old = shmem_ctx_long_atomic_fetch_add(ctx[1], counter, 1, 0);
    SHMEM_CHECK(old >= 0 && old < npes, "ctx fetch-add got %ld", old);
    shmem_ctx_long_p(ctx[0], &flag, me + 1, right);
    shmem_ctx_quiet(ctx[0]);
    shmem_barrier_all();
    for (i = 0; i < 32; i++) {
        SHMEM_CHECK(target[i] == left * 100 + i, "ctx put: %d: %ld", i,
                    target[i]);
    }
    SHMEM_CHECK(flag == left + 1, "ctx put to static: %ld", flag);
    if (me == 0) {
        SHMEM_CHECK(*counter == npes, "ctx fetch-add total %ld", *counter);
    }
    shmem_ctx_long_get(ctx[1], back, target, 16, right);
    for (i = 0; i < 16; i++) {
        SHMEM_CHECK(back[i] == me * 100 + i, "ctx get: %d: %ld", i,
                    back[i]);
    }
    shmem_barrier_all();
    for (c = 0; c < 2; c++) {
        shmem_ctx_destroy(ctx[c]);
    }
    shmem_barrier_all();
    shmem_free(counter);
    shmem_free(target);
}

int main(void)
{
    unsigned char *heap, *local;
    int me, npes;

    shmem_init();
    me = shmem_my_pe();
    npes = shmem_n_pes();
    heap = shmem_malloc(MAX_SIZE + 1);
    local = malloc(MAX_SIZE);
    SHMEM_CHECK(heap != NULL && local != NULL, "allocating %u bytes",
                MAX_SIZE);

    test_put_get(heap, local, me, npes);
    SHMEM_PASS("put/get at size boundaries");
    test_nbi(heap, local, me, npes);
    SHMEM_PASS("put_nbi/get_nbi + quiet");
    test_fence(heap, me, npes);
    SHMEM_PASS("fence ordering, static objects");
    test_strided(me, npes);
    SHMEM_PASS("iput/iget");
    test_ctx(me, npes);
    SHMEM_PASS("contexts: put_nbi + ctx_quiet, get, fetch-add");

    free(local);
    shmem_free(heap);
    shmem_finalize();
    return 0;
}
