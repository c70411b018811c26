/*
 * Every atomic of atomic verve on 32 and 64 bits, under contention: all
 * PEs hit one location on PE 0 (fetch-add: the total and the set of old
 * values are exact; and/or/xor: each PE owns bits; swap: a token passes
 * through without loss; compare-swap: a lock guards a non-atomic
 * read-modify-write). Then shmem_barrier_all, a sum and max reduction
 * and a broadcast.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shmem_check.h"

#define ITERS 500

static long long counter64;
static int counter32;
static unsigned long long bits64;
static unsigned int bits32;
static long long token64;
static int lock;
static long long guarded;

static long psync_reduce[SHMEM_REDUCE_SYNC_SIZE];
static long long pwrk[SHMEM_REDUCE_MIN_WRKDATA_SIZE];
static long psync_bcast[SHMEM_BCAST_SYNC_SIZE];
static long long red_src[4], red_dst[4];
static long long bcast_buf[8];

static void reset(void)
{
    counter64 = 0;
    counter32 = 0;
    bits64 = 0;
    bits32 = 0;
    token64 = 0;
    lock = 0;
    guarded = 0;
    shmem_barrier_all();
}

static void test_fetch_add(int me, int npes)
{
    char *seen = calloc((size_t)ITERS * npes, 1);
    long long *olds = malloc(sizeof(long long) * ITERS);
    long long *all = shmem_malloc(sizeof(long long) * ITERS * npes);
    int i;

    reset();
    for (i = 0; i < ITERS; i++) {
        olds[i] = shmem_longlong_atomic_fetch_add(&counter64, 1, 0);
        shmem_int_atomic_add(&counter32, 2, 0);
        (void)shmem_int_atomic_fetch_inc(&counter32, 0);
    }
    shmem_barrier_all();
    if (me == 0) {
        SHMEM_CHECK(counter64 == (long long)ITERS * npes,
                    "fetch-add total %lld, expected %lld", counter64,
                    (long long)ITERS * npes);
        SHMEM_CHECK(counter32 == 3 * ITERS * npes,
                    "32-bit add total %d, expected %d", counter32,
                    3 * ITERS * npes);
    }
    /* Every old value 0 .. ITERS*npes-1 was handed out exactly once. */
    for (i = 0; i < ITERS; i++) {
        shmem_longlong_p(&all[me * ITERS + i], olds[i], 0);
    }
    shmem_barrier_all();
    if (me == 0) {
        for (i = 0; i < ITERS * npes; i++) {
            SHMEM_CHECK(all[i] >= 0 && all[i] < (long long)ITERS * npes &&
                        !seen[all[i]], "old value %lld repeated or out of "
                        "range", all[i]);
            seen[all[i]] = 1;
        }
    }
    shmem_barrier_all();
    shmem_free(all);
    free(olds);
    free(seen);
}

static void test_bitwise(int me, int npes)
{
    unsigned long long mine64 = 1ull << (me * 8 + 3);
    unsigned int mine32 = 1u << (me * 4 + 1);
    unsigned long long old64;
    unsigned int old32;
    int i;

    reset();
    for (i = 0; i < ITERS; i++) {
        /* Each PE toggles its own bits; the others' must never move. */
        old64 = shmem_ulonglong_atomic_fetch_or(&bits64, mine64, 0);
        SHMEM_CHECK((old64 & mine64) == 0, "fetch_or: my bit already set "
                    "(%llx)", old64);
        old64 = shmem_ulonglong_atomic_fetch_and(&bits64, ~mine64, 0);
        SHMEM_CHECK((old64 & mine64) == mine64, "fetch_and: my bit lost "
                    "(%llx)", old64);
        old32 = shmem_uint_atomic_fetch_xor(&bits32, mine32, 0);
        SHMEM_CHECK((old32 & mine32) == 0, "fetch_xor: bit set (%x)",
                    old32);
        shmem_uint_atomic_xor(&bits32, mine32, 0);
        shmem_uint_atomic_or(&bits32, mine32, 0);
        shmem_uint_atomic_and(&bits32, ~mine32, 0);
        old32 = shmem_uint_atomic_fetch_or(&bits32, 0, 0);
        SHMEM_CHECK((old32 & mine32) == 0, "32-bit or/and: bit set (%x)",
                    old32);
    }
    shmem_ulonglong_atomic_or(&bits64, mine64, 0);
    (void)shmem_uint_atomic_fetch_and(&bits32, 0xffffffffu, 0);
    shmem_ulonglong_atomic_and(&bits64, ~0ull, 0);
    shmem_barrier_all();
    if (me == 0) {
        unsigned long long all = 0;

        for (i = 0; i < npes; i++) {
            all |= 1ull << (i * 8 + 3);
        }
        SHMEM_CHECK(bits64 == all, "or total %llx, expected %llx", bits64,
                    all);
        SHMEM_CHECK(bits32 == 0, "32-bit bits %x, expected 0", bits32);
    }
    shmem_barrier_all();
}

/* Each PE swaps its own values in; the chain of old values it gets back
 * sums, over all PEs plus what is left, to everything put in. */
static void test_swap(int me, int npes)
{
    long long sum_in = 0, sum_out = 0, v;
    long long *sums = shmem_malloc(2 * sizeof(long long) * npes);
    int i, got;

    reset();
    for (i = 0; i < ITERS; i++) {
        v = (long long)me * 100000 + i + 1;
        sum_in += v;
        sum_out += shmem_longlong_atomic_swap(&token64, v, 0);
        got = shmem_int_atomic_swap(&counter32, me, 0);
        SHMEM_CHECK(got >= 0 && got < npes, "32-bit swap got %d", got);
    }
    shmem_longlong_p(&sums[2 * me], sum_in, 0);
    shmem_longlong_p(&sums[2 * me + 1], sum_out, 0);
    shmem_barrier_all();
    if (me == 0) {
        long long in = 0, out = token64;

        for (i = 0; i < npes; i++) {
            in += sums[2 * i];
            out += sums[2 * i + 1];
        }
        SHMEM_CHECK(in == out, "swap: %lld in, %lld out", in, out);
    }
    shmem_barrier_all();
    shmem_free(sums);
}

/* A compare-swap lock around a get, an increment and a put: the count is
 * exact only if the lock excludes. */
static void test_cswap_lock(int me, int npes)
{
    long long value;
    int i, old;

    reset();
    for (i = 0; i < ITERS / 5; i++) {
        while ((old = shmem_int_atomic_compare_swap(&lock, 0, me + 1, 0)) !=
               0) {
            SHMEM_CHECK(old >= 1 && old <= npes, "lock held by %d", old);
        }
        value = shmem_longlong_g(&guarded, 0);
        shmem_longlong_p(&guarded, value + 1, 0);
        shmem_quiet();
        old = shmem_int_atomic_compare_swap(&lock, me + 1, 0, 0);
        SHMEM_CHECK(old == me + 1, "unlock found %d", old);
        (void)shmem_longlong_atomic_compare_swap(&counter64, -1, 7, 0);
    }
    shmem_barrier_all();
    if (me == 0) {
        SHMEM_CHECK(guarded == (long long)(ITERS / 5) * npes,
                    "guarded count %lld, expected %lld", guarded,
                    (long long)(ITERS / 5) * npes);
        SHMEM_CHECK(counter64 == 0, "failing cswap stored %lld", counter64);
    }
    shmem_barrier_all();
}

static void test_collectives(int me, int npes)
{
    long long expected_sum = 0;
    int i;

    for (i = 0; i < SHMEM_REDUCE_SYNC_SIZE; i++) {
        psync_reduce[i] = SHMEM_SYNC_VALUE;
    }
    for (i = 0; i < SHMEM_BCAST_SYNC_SIZE; i++) {
        psync_bcast[i] = SHMEM_SYNC_VALUE;
    }
    for (i = 0; i < 4; i++) {
        red_src[i] = (long long)(me + 1) * (i + 1);
    }
    shmem_barrier_all();
    shmem_longlong_sum_to_all(red_dst, red_src, 4, 0, 0, npes, pwrk,
                              psync_reduce);
    for (i = 0; i < npes; i++) {
        expected_sum += i + 1;
    }
    for (i = 0; i < 4; i++) {
        SHMEM_CHECK(red_dst[i] == expected_sum * (i + 1),
                    "sum_to_all[%d] = %lld, expected %lld", i, red_dst[i],
                    expected_sum * (i + 1));
    }
    shmem_barrier_all();
    shmem_longlong_max_to_all(red_dst, red_src, 4, 0, 0, npes, pwrk,
                              psync_reduce);
    for (i = 0; i < 4; i++) {
        SHMEM_CHECK(red_dst[i] == (long long)npes * (i + 1),
                    "max_to_all[%d] = %lld", i, red_dst[i]);
    }
    for (i = 0; i < 8; i++) {
        bcast_buf[i] = (me == 1 % npes) ? 4242 + i : -1;
    }
    shmem_barrier_all();
    shmem_broadcast64(bcast_buf, bcast_buf, 8, 1 % npes, 0, 0, npes,
                      psync_bcast);
    shmem_barrier_all();
    for (i = 0; i < 8; i++) {
        /* The root's target is left alone by the specification. */
        SHMEM_CHECK(me == 1 % npes || bcast_buf[i] == 4242 + i,
                    "broadcast[%d] = %lld", i, bcast_buf[i]);
    }
    shmem_barrier_all();
}

int main(void)
{
    int me, npes;

    shmem_init();
    me = shmem_my_pe();
    npes = shmem_n_pes();

    test_fetch_add(me, npes);
    SHMEM_PASS("fetch-add, add, inc under contention (32 and 64 bits)");
    test_bitwise(me, npes);
    SHMEM_PASS("and, or, xor and their fetching forms");
    test_swap(me, npes);
    SHMEM_PASS("swap (32 and 64 bits)");
    test_cswap_lock(me, npes);
    SHMEM_PASS("compare-swap lock");
    test_collectives(me, npes);
    SHMEM_PASS("barrier_all, sum/max reductions, broadcast");

    shmem_finalize();
    return 0;
}
