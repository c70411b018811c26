/*
 * MPI one-sided communication over whatever osc component mpirun
 * selected; mpi_mtl.sh runs it under pml cm with the verve mtl and osc
 * pt2pt, whose puts, gets and accumulates are point-to-point messages
 * through the mtl. Any number of ranks from 2. Windows from
 * MPI_Win_create (memory the program allocated) and MPI_Win_allocate;
 * in each, every rank owns a block per peer, so that concurrent epochs
 * never write one byte twice. Checked byte by byte against a pattern of
 * the byte's offset and the writing rank:
 *   - fence epochs: MPI_Put of small and large blocks to the next rank,
 *     MPI_Get of the previous rank's block, MPI_Accumulate (MPI_SUM of
 *     ints) from every rank to every rank, and MPI_Get_accumulate;
 *   - passive target: MPI_Win_lock (exclusive and shared) and
 *     MPI_Win_unlock around a put and a get at every other rank,
 *     MPI_Accumulate with MPI_SUM into one counter at rank 0 from every
 *     rank in turn, MPI_Win_lock_all with MPI_Win_flush, and
 *     MPI_Fetch_and_op and MPI_Compare_and_swap;
 *   - a vector datatype as the target of a put.
 * Prints "mpi_rma: rank R of N: all checks passed".
 */
#include <stdlib.h>

#include "mpi_check.h"

static int rank, size;

/* Each rank's window holds one block per rank (the block of rank w is
 * written by w only), a counter and the accumulate area. */
#define BLOCK (256 << 10)
#define INTS 4096

/* The byte at offset i of a block that rank `writer` puts in round
 * `round`: depends on both, so a block from the wrong rank or shifted
 * shows. */
static unsigned message_of(int writer, int round)
{
    return 3000u + (unsigned)round * 256u + (unsigned)writer;
}

static long first_wrong_int(const int *values, int count, int want_base,
                            int step)
{
    int i;

    for (i = 0; i < count; ++i) {
        if (values[i] != want_base + i * step) {
            return i;
        }
    }
    return -1;
}

struct window {
    const char *flavor;
    MPI_Win win;
    unsigned char *blocks; /* size blocks of BLOCK bytes */
    int *ints;             /* INTS ints for accumulates */
    long long *counter;    /* one counter, at rank 0 */
    void *base;            /* what MPI_Win_create was given, or NULL */
};

/* The displacement unit is 1: offsets below are in bytes. */
static size_t blocks_offset(int owner)
{
    return (size_t)owner * BLOCK;
}

static size_t ints_offset(void)
{
    return (size_t)size * BLOCK;
}

static size_t counter_offset(void)
{
    return ints_offset() + INTS * sizeof(int);
}

static size_t window_bytes(void)
{
    return counter_offset() + sizeof(long long);
}

static void window_open(struct window *w, int allocate)
{
    unsigned char *memory;

    if (allocate) {
        w->flavor = "MPI_Win_allocate";
        w->base = NULL;
        MPI_CALL(MPI_Win_allocate((MPI_Aint)window_bytes(), 1,
                                  MPI_INFO_NULL, MPI_COMM_WORLD, &memory,
                                  &w->win));
    } else {
        w->flavor = "MPI_Win_create";
        w->base = memory = malloc(window_bytes());
        MPI_CALL(MPI_Win_create(memory, (MPI_Aint)window_bytes(), 1,
                                MPI_INFO_NULL, MPI_COMM_WORLD, &w->win));
    }
    MPI_Win_set_errhandler(w->win, MPI_ERRORS_RETURN);
    w->blocks = memory;
    w->ints = (int *)(memory + ints_offset());
    w->counter = (long long *)(memory + counter_offset());
}

static void window_close(struct window *w)
{
    MPI_CALL(MPI_Win_free(&w->win));
    free(w->base);
}

/* Zeroes the window under a lock on itself (outside any fence epoch),
 * then a barrier: no rank writes to it before its owner has cleared it. */
static void window_clear(struct window *w)
{
    MPI_CALL(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, rank, 0, w->win));
    memset(w->blocks, 0, window_bytes());
    MPI_CALL(MPI_Win_unlock(rank, w->win));
    MPI_CALL(MPI_Barrier(MPI_COMM_WORLD));
}

static void check_block(const struct window *w, int writer, size_t length,
                        unsigned message, const char *what)
{
    long bad = check_verify(w->blocks + blocks_offset(writer), length,
                            message);

    CHECK(bad < 0, "%s, %s: block of rank %d (%zu bytes): wrong byte at "
          "%ld", w->flavor, what, writer, length, bad);
}

/* Fence epochs: put to the next rank, get from the previous rank,
 * accumulate from everyone to everyone, get_accumulate. */
static void test_fence(struct window *w)
{
    static const size_t lengths[] = {1, 8, 4096, BLOCK};
    int next = (rank + 1) % size, previous = (rank + size - 1) % size;
    unsigned char *origin = malloc(BLOCK);
    int *values = malloc(INTS * sizeof(int));
    int *fetched = malloc(INTS * sizeof(int));
    size_t k;
    int i, target;
    long bad;

    window_clear(w);
    MPI_CALL(MPI_Win_fence(MPI_MODE_NOPRECEDE, w->win));
    for (k = 0; k < sizeof(lengths) / sizeof(lengths[0]); ++k) {
        size_t length = lengths[k];
        check_fill(origin, length, message_of(rank, (int)k));
        MPI_CALL(MPI_Put(origin, (int)length, MPI_BYTE, next,
                         (MPI_Aint)blocks_offset(rank), (int)length,
                         MPI_BYTE, w->win));
        MPI_CALL(MPI_Win_fence(0, w->win));
        check_block(w, previous, length, message_of(previous, (int)k),
                    "MPI_Put in a fence epoch");

        /* Get back what this rank put at the next rank. */
        memset(origin, 0, length);
        MPI_CALL(MPI_Get(origin, (int)length, MPI_BYTE, next,
                         (MPI_Aint)blocks_offset(rank), (int)length,
                         MPI_BYTE, w->win));
        MPI_CALL(MPI_Win_fence(0, w->win));
        bad = check_verify(origin, length, message_of(rank, (int)k));
        CHECK(bad < 0, "%s, MPI_Get of %zu bytes from rank %d: wrong "
              "byte at %ld", w->flavor, length, next, bad);
    }

    /* Every rank adds rank * 1000 + i to int i at every rank. */
    for (i = 0; i < INTS; ++i) {
        values[i] = rank * 1000 + i;
    }
    for (target = 0; target < size; ++target) {
        MPI_CALL(MPI_Accumulate(values, INTS, MPI_INT, target,
                                (MPI_Aint)ints_offset(), INTS, MPI_INT,
                                MPI_SUM, w->win));
    }
    MPI_CALL(MPI_Win_fence(0, w->win));
    bad = first_wrong_int(w->ints, INTS, 1000 * (size * (size - 1) / 2),
                          size);
    CHECK(bad < 0, "%s, MPI_Accumulate (MPI_SUM) from %d ranks: int %ld "
          "is %d", w->flavor, size, bad, bad < 0 ? 0 : w->ints[bad]);
    /* No rank changes the ints before every rank has read its own. */
    MPI_CALL(MPI_Win_fence(0, w->win));

    /* Rank r replaces ints at the next rank by -i and fetches what was
     * there, the sums above. */
    for (i = 0; i < INTS; ++i) {
        values[i] = -i;
    }
    MPI_CALL(MPI_Get_accumulate(values, INTS, MPI_INT, fetched, INTS,
                                MPI_INT, next, (MPI_Aint)ints_offset(),
                                INTS, MPI_INT, MPI_REPLACE, w->win));
    MPI_CALL(MPI_Win_fence(0, w->win));
    bad = first_wrong_int(fetched, INTS, 1000 * (size * (size - 1) / 2),
                          size);
    CHECK(bad < 0, "%s, MPI_Get_accumulate fetched int %ld as %d",
          w->flavor, bad, bad < 0 ? 0 : fetched[bad]);
    bad = first_wrong_int(w->ints, INTS, 0, -1);
    CHECK(bad < 0, "%s, MPI_Get_accumulate (MPI_REPLACE): int %ld is %d",
          w->flavor, bad, bad < 0 ? 0 : w->ints[bad]);
    /* Ends the fence epochs: passive-target ones come next. */
    MPI_CALL(MPI_Win_fence(MPI_MODE_NOSUCCEED, w->win));
    free(origin);
    free(values);
    free(fetched);
}

/* Passive target: lock/put/unlock and lock/get/unlock at every other
 * rank; accumulates into one counter; lock_all with flushes; fetch and
 * op, compare and swap. */
static void test_lock(struct window *w)
{
    unsigned char *origin = malloc(BLOCK);
    long long one = 1, previous = -1, total = 0, want;
    size_t length;
    int target, round, i;
    long bad;

    window_clear(w);
    for (target = 0; target < size; ++target) {
        if (target == rank) {
            continue;
        }
        /* Sizes differ per target, so that a block at the wrong target
         * shows as well. */
        length = (size_t)BLOCK - (size_t)target * 1000;
        check_fill(origin, length, message_of(rank, 10 + target));
        MPI_CALL(MPI_Win_lock(target % 2 ? MPI_LOCK_EXCLUSIVE
                                         : MPI_LOCK_SHARED,
                              target, 0, w->win));
        MPI_CALL(MPI_Put(origin, (int)length, MPI_BYTE, target,
                         (MPI_Aint)blocks_offset(rank), (int)length,
                         MPI_BYTE, w->win));
        MPI_CALL(MPI_Win_unlock(target, w->win));

        memset(origin, 0, length);
        MPI_CALL(MPI_Win_lock(MPI_LOCK_SHARED, target, 0, w->win));
        MPI_CALL(MPI_Get(origin, (int)length, MPI_BYTE, target,
                         (MPI_Aint)blocks_offset(rank), (int)length,
                         MPI_BYTE, w->win));
        MPI_CALL(MPI_Win_unlock(target, w->win));
        bad = check_verify(origin, length, message_of(rank, 10 + target));
        CHECK(bad < 0, "%s, lock/MPI_Get/unlock of %zu bytes from rank "
              "%d: wrong byte at %ld", w->flavor, length, target, bad);
    }
    MPI_CALL(MPI_Barrier(MPI_COMM_WORLD));
    for (i = 0; i < size; ++i) {
        if (i != rank) {
            length = (size_t)BLOCK - (size_t)rank * 1000;
            check_block(w, i, length, message_of(i, 10 + rank),
                        "lock/MPI_Put/unlock");
        }
    }

    /* Each rank adds 1 to rank 0's counter 20 times, each under its own
     * exclusive lock; then fetch-and-op adds rank + 1 once. */
    MPI_CALL(MPI_Barrier(MPI_COMM_WORLD));
    for (round = 0; round < 20; ++round) {
        MPI_CALL(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, w->win));
        MPI_CALL(MPI_Accumulate(&one, 1, MPI_LONG_LONG, 0,
                                (MPI_Aint)counter_offset(), 1,
                                MPI_LONG_LONG, MPI_SUM, w->win));
        MPI_CALL(MPI_Win_unlock(0, w->win));
    }
    want = rank + 1;
    MPI_CALL(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, w->win));
    MPI_CALL(MPI_Fetch_and_op(&want, &previous, MPI_LONG_LONG, 0,
                              (MPI_Aint)counter_offset(), MPI_SUM, w->win));
    MPI_CALL(MPI_Win_unlock(0, w->win));
    CHECK(previous >= 20 && previous < 20 * size + size * (size + 1) / 2,
          "%s, MPI_Fetch_and_op fetched %lld", w->flavor, previous);
    MPI_CALL(MPI_Barrier(MPI_COMM_WORLD));
    MPI_CALL(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, w->win));
    MPI_CALL(MPI_Get(&total, 1, MPI_LONG_LONG, 0, (MPI_Aint)counter_offset(),
                     1, MPI_LONG_LONG, w->win));
    MPI_CALL(MPI_Win_unlock(0, w->win));
    want = 20LL * size + (long long)size * (size + 1) / 2;
    CHECK(total == want, "%s, counter at rank 0 after accumulates from %d "
          "ranks: %lld, expected %lld", w->flavor, size, total, want);

    /* Compare and swap: each rank swaps the counter from the total to
     * its rank once; exactly one succeeds. */
    MPI_CALL(MPI_Barrier(MPI_COMM_WORLD));
    {
        long long mine = rank, compare = want, old = -1;
        int won, winners = 0;
        MPI_CALL(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, w->win));
        MPI_CALL(MPI_Compare_and_swap(&mine, &compare, &old, MPI_LONG_LONG,
                                      0, (MPI_Aint)counter_offset(),
                                      w->win));
        MPI_CALL(MPI_Win_unlock(0, w->win));
        won = (old == want);
        CHECK(won || (old >= 0 && old < size), "%s, MPI_Compare_and_swap "
              "found %lld", w->flavor, old);
        MPI_CALL(MPI_Allreduce(&won, &winners, 1, MPI_INT, MPI_SUM,
                               MPI_COMM_WORLD));
        CHECK(winners == 1, "%s, MPI_Compare_and_swap: %d winners",
              w->flavor, winners);
    }

    /* lock_all: every rank puts a small block at every rank, flushes
     * each, then reads it back before unlock_all. */
    MPI_CALL(MPI_Barrier(MPI_COMM_WORLD));
    MPI_CALL(MPI_Win_lock_all(0, w->win));
    for (target = 0; target < size; ++target) {
        unsigned char *slot = origin + (size_t)target * 512;
        check_fill(slot, 512, message_of(rank, 40 + target));
        MPI_CALL(MPI_Put(slot, 512, MPI_BYTE, target,
                         (MPI_Aint)blocks_offset(rank), 512, MPI_BYTE,
                         w->win));
        MPI_CALL(MPI_Win_flush(target, w->win));
    }
    for (target = 0; target < size; ++target) {
        unsigned char back[512];
        MPI_CALL(MPI_Get(back, 512, MPI_BYTE, target,
                         (MPI_Aint)blocks_offset(rank), 512, MPI_BYTE,
                         w->win));
        MPI_CALL(MPI_Win_flush(target, w->win));
        bad = check_verify(back, 512, message_of(rank, 40 + target));
        CHECK(bad < 0, "%s, lock_all/MPI_Put/flush/MPI_Get at rank %d: "
              "wrong byte at %ld", w->flavor, target, bad);
    }
    MPI_CALL(MPI_Win_unlock_all(w->win));
    MPI_CALL(MPI_Barrier(MPI_COMM_WORLD));
    for (i = 0; i < size; ++i) {
        check_block(w, i, 512, message_of(i, 40 + rank), "lock_all");
    }
    free(origin);
}

/* A put whose target datatype is a vector (every other int): the gaps
 * at the target stay untouched. */
static void test_vector(struct window *w)
{
    enum { COUNT = 1000 };
    int next = (rank + 1) % size, previous = (rank + size - 1) % size;
    int values[COUNT], i, bad = -1;
    MPI_Datatype vector;

    window_clear(w);
    for (i = 0; i < COUNT; ++i) {
        values[i] = rank * 100000 + i;
    }
    MPI_CALL(MPI_Type_vector(COUNT, 1, 2, MPI_INT, &vector));
    MPI_CALL(MPI_Type_commit(&vector));
    MPI_CALL(MPI_Win_fence(MPI_MODE_NOPRECEDE, w->win));
    MPI_CALL(MPI_Put(values, COUNT, MPI_INT, next, (MPI_Aint)ints_offset(),
                     1, vector, w->win));
    MPI_CALL(MPI_Win_fence(MPI_MODE_NOSUCCEED, w->win));
    for (i = 0; i < 2 * COUNT && bad < 0; ++i) {
        int want = (i % 2) ? 0 : previous * 100000 + i / 2;
        if (w->ints[i] != want) {
            bad = i;
        }
    }
    CHECK(bad < 0, "%s, MPI_Put to a vector: int %d is %d", w->flavor, bad,
          bad < 0 ? 0 : w->ints[bad]);
    MPI_CALL(MPI_Type_free(&vector));
}

int main(int argc, char **argv)
{
    struct window w;
    int allocate, rc;

    MPI_Init(&argc, &argv);
    check_init("mpi_rma");
    rank = check_rank;
    size = check_size;
    if (size < 2) {
        fprintf(stderr, "mpi_rma: run with 2 or more ranks\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    for (allocate = 0; allocate < 2; ++allocate) {
        window_open(&w, allocate);
        test_fence(&w);
        test_lock(&w);
        test_vector(&w);
        window_close(&w);
    }
    rc = check_finish();
    MPI_Finalize();
    return rc;
}
