/*
 * mpi_coll: MPI's collectives, each checked against a result computed
 * without collectives (every rank's input is a known function of its
 * rank), on MPI_COMM_WORLD, a dup, and splits (even/odd ranks, reversed
 * order): barrier, bcast (roots 0 and last, every size class, a
 * non-contiguous datatype at the root only), reduce and allreduce (every
 * predefined integer and float type with every op it takes, MINLOC and
 * MAXLOC pairs, in place, count 0, a user op), allgather (in place),
 * alltoall, gather and scatter (in place at the root), floating-point
 * results bitwise equal on every rank, and 10,000 back-to-back
 * allreduces. Run by mpi_coll.sh with coll verve and without.
 */
#include <stdlib.h>

#include "mpi_check.h"

#define BIG 100000

/* Rank r's i-th input: small, so that sums and products stay exact. */
static long input(int rank, size_t i)
{
    return (long)((rank + 1) * 3 + (int)(i % 7));
}

static void test_barrier(MPI_Comm comm)
{
    int k;

    for (k = 0; k < 3; ++k) {
        MPI_CALL(MPI_Barrier(comm));
    }
}

static void test_bcast(MPI_Comm comm, int rank, int size)
{
    static const size_t sizes[] = {0, 1, 7, 64, 1000, BIG};
    unsigned char *buffer = malloc(BIG);
    int roots[2] = {0, size - 1}, r;
    size_t s;

    for (r = 0; r < 2; ++r) {
        for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); ++s) {
            unsigned message = (unsigned)(s * 2 + (size_t)r);
            long bad;
            if (rank == roots[r]) {
                check_fill(buffer, sizes[s], message);
            } else {
                memset(buffer, 0xee, sizes[s]);
            }
            MPI_CALL(MPI_Bcast(buffer, (int)sizes[s], MPI_BYTE, roots[r],
                               comm));
            bad = check_verify(buffer, sizes[s], message);
            CHECK(bad < 0, "bcast of %zu B from root %d: byte %ld",
                  sizes[s], roots[r], bad);
        }
    }
    free(buffer);
}

/* The root sends every other int (a vector), the others receive them
 * packed: same type signature, different datatypes. */
static void test_bcast_vector(MPI_Comm comm, int rank)
{
    enum { N = 1000 };
    int *data = malloc(2 * N * sizeof(int)), i;
    MPI_Datatype vector;

    if (rank == 0) {
        for (i = 0; i < 2 * N; ++i) {
            data[i] = (i % 2 == 0) ? i * 5 + 1 : -1;
        }
        MPI_CALL(MPI_Type_vector(N, 1, 2, MPI_INT, &vector));
        MPI_CALL(MPI_Type_commit(&vector));
        MPI_CALL(MPI_Bcast(data, 1, vector, 0, comm));
        MPI_CALL(MPI_Type_free(&vector));
        for (i = 0; i < 2 * N; ++i) {
            CHECK(data[i] == ((i % 2 == 0) ? i * 5 + 1 : -1),
                  "the root's vector changed at %d: %d", i, data[i]);
        }
    } else {
        for (i = 0; i < N; ++i) {
            data[i] = -7;
        }
        MPI_CALL(MPI_Bcast(data, N, MPI_INT, 0, comm));
        for (i = 0; i < N; ++i) {
            CHECK(data[i] == 2 * i * 5 + 1, "vector bcast element %d: %d, "
                  "expected %d", i, data[i], 2 * i * 5 + 1);
        }
    }
    free(data);
}

/* The reduction of input(r, i) over ranks 0..size-1 for an integer op. */
static long expect_int(MPI_Op op, int size, size_t i)
{
    long acc = input(0, i);
    int r;

    for (r = 1; r < size; ++r) {
        long v = input(r, i);
        if (op == MPI_SUM) {
            acc += v;
        } else if (op == MPI_PROD) {
            acc *= v;   /* kept small by the callers (see below) */
        } else if (op == MPI_MIN) {
            acc = v < acc ? v : acc;
        } else if (op == MPI_MAX) {
            acc = v > acc ? v : acc;
        } else if (op == MPI_BAND) {
            acc &= v;
        } else if (op == MPI_BOR) {
            acc |= v;
        } else if (op == MPI_BXOR) {
            acc ^= v;
        } else if (op == MPI_LAND) {
            acc = acc && v;
        } else if (op == MPI_LOR) {
            acc = acc || v;
        } else {
            acc = !acc != !v;
        }
    }
    /* a logical op yields 0 or 1 once applied; one rank's input is
     * returned as it is (Open MPI's self component copies it) */
    if ((op == MPI_LAND || op == MPI_LOR || op == MPI_LXOR) && size > 1) {
        acc = acc != 0;
    }
    return acc;
}

typedef struct int_type {
    MPI_Datatype type;
    size_t size;
    const char *name;
} int_type_t;

static void store(void *buffer, size_t size, size_t i, long value)
{
    switch (size) {
    case 1: ((int8_t *)buffer)[i] = (int8_t)value; break;
    case 2: ((int16_t *)buffer)[i] = (int16_t)value; break;
    case 4: ((int32_t *)buffer)[i] = (int32_t)value; break;
    default: ((int64_t *)buffer)[i] = (int64_t)value; break;
    }
}

static long load(const void *buffer, size_t size, size_t i)
{
    switch (size) {
    case 1: return ((const int8_t *)buffer)[i];
    case 2: return ((const int16_t *)buffer)[i];
    case 4: return ((const int32_t *)buffer)[i];
    default: return (long)((const int64_t *)buffer)[i];
    }
}

/* Every integer type with every op, reduce at the last rank and
 * allreduce, in and out of place, counts 0, 1, 1000. PROD only at 1
 * element and at most 4 ranks (no overflow: the inputs are < 30). */
static void test_reduce_int(MPI_Comm comm, int rank, int size)
{
    static const int_type_t types[] = {
        {MPI_SIGNED_CHAR, 1, "MPI_SIGNED_CHAR"},
        {MPI_SHORT, 2, "MPI_SHORT"}, {MPI_INT, 4, "MPI_INT"},
        {MPI_UNSIGNED, 4, "MPI_UNSIGNED"}, {MPI_LONG, 8, "MPI_LONG"},
        {MPI_INT64_T, 8, "MPI_INT64_T"},
        {MPI_UNSIGNED_LONG_LONG, 8, "MPI_UNSIGNED_LONG_LONG"},
    };
    static const MPI_Op ops[] = {MPI_SUM, MPI_PROD, MPI_MIN, MPI_MAX,
                                 MPI_BAND, MPI_BOR, MPI_BXOR, MPI_LAND,
                                 MPI_LOR, MPI_LXOR};
    static const size_t counts[] = {0, 1, 1000};
    unsigned char *in = malloc(1000 * 8), *out = malloc(1000 * 8);
    size_t t, o, c, i;
    int place, root = size - 1;

    for (t = 0; t < sizeof(types) / sizeof(types[0]); ++t) {
        size_t es = types[t].size;
        for (o = 0; o < sizeof(ops) / sizeof(ops[0]); ++o) {
            for (c = 0; c < 3; ++c) {
                size_t n = counts[c];
                if (ops[o] == MPI_PROD && (n > 1 || size > 4)) {
                    continue;
                }
                for (place = 0; place < 2; ++place) {
                    for (i = 0; i < n; ++i) {
                        store(in, es, i, input(rank, i));
                        store(out, es, i, place ? input(rank, i) : -1);
                    }
                    MPI_CALL(MPI_Allreduce(place ? MPI_IN_PLACE : in, out,
                                           (int)n, types[t].type, ops[o],
                                           comm));
                    for (i = 0; i < n; ++i) {
                        long want = expect_int(ops[o], size, i);
                        if (types[t].size == 1) {
                            want = (int8_t)want;
                        }
                        CHECK(load(out, es, i) == want, "allreduce %s op "
                              "%zu count %zu%s element %zu: %ld, expected "
                              "%ld", types[t].name, o, n,
                              place ? " in place" : "", i,
                              load(out, es, i), want);
                    }
                    for (i = 0; i < n; ++i) {
                        store(out, es, i, (place && rank == root)
                                          ? input(rank, i) : -1);
                    }
                    MPI_CALL(MPI_Reduce((place && rank == root)
                                        ? MPI_IN_PLACE : in, out, (int)n,
                                        types[t].type, ops[o], root, comm));
                    for (i = 0; i < n; ++i) {
                        long want = (rank == root)
                                ? expect_int(ops[o], size, i) : -1;
                        if (types[t].size == 1) {
                            want = (int8_t)want;
                        }
                        CHECK(load(out, es, i) == want, "reduce %s op %zu "
                              "count %zu element %zu: %ld, expected %ld",
                              types[t].name, o, n, i, load(out, es, i),
                              want);
                    }
                }
            }
        }
    }
    free(in);
    free(out);
}

/* Sums of doubles in an order MPI leaves open: every rank must get the
 * same bits (verve gives that; checked by gathering them). */
static void test_float(MPI_Comm comm, int rank, int size)
{
    enum { N = 1000 };
    double *in = malloc(N * sizeof(double)), *out = malloc(N * sizeof(double));
    double *all = malloc((size_t)size * N * sizeof(double));
    float fin[3] = {1.5f * (float)rank, 2.0f, -0.25f}, fout[3];
    int i, r;

    for (i = 0; i < N; ++i) {
        in[i] = 0.1 * (rank + 1) + 1e-3 * i + 1.0 / (i + 3);
    }
    MPI_CALL(MPI_Allreduce(in, out, N, MPI_DOUBLE, MPI_SUM, comm));
    MPI_CALL(MPI_Allgather(out, N, MPI_DOUBLE, all, N, MPI_DOUBLE, comm));
    for (r = 0; r < size; ++r) {
        CHECK(memcmp(all + (size_t)r * N, out, N * sizeof(double)) == 0,
              "rank %d's double sums differ from this rank's", r);
    }
    for (i = 0; i < N; ++i) {
        double want = 0;
        for (r = 0; r < size; ++r) {
            want += 0.1 * (r + 1) + 1e-3 * i + 1.0 / (i + 3);
        }
        CHECK(out[i] > want - 1e-9 && out[i] < want + 1e-9,
              "double sum %d: %.17g, expected about %.17g", i, out[i], want);
    }
    MPI_CALL(MPI_Allreduce(fin, fout, 3, MPI_FLOAT, MPI_MAX, comm));
    CHECK(fout[0] == 1.5f * (float)(size - 1) && fout[1] == 2.0f &&
          fout[2] == -0.25f, "float max: %g %g %g", fout[0], fout[1],
          fout[2]);
    free(in);
    free(out);
    free(all);
}

/* MINLOC and MAXLOC: ties go to the smaller index. */
static void test_loc(MPI_Comm comm, int rank, int size)
{
    struct { int value; int index; } in2[2], out2[2];
    struct { double value; int index; } ind[1], outd[1];

    in2[0].value = (rank % 3 == 1) ? -5 : rank;   /* min -5 at rank 1 */
    in2[0].index = rank;
    in2[1].value = 7;                             /* a tie everywhere */
    in2[1].index = rank;
    MPI_CALL(MPI_Allreduce(in2, out2, 2, MPI_2INT, MPI_MINLOC, comm));
    CHECK(out2[0].value == (size > 1 ? -5 : 0) &&
          out2[0].index == (size > 1 ? 1 : 0),
          "MINLOC: (%d, %d)", out2[0].value, out2[0].index);
    CHECK(out2[1].value == 7 && out2[1].index == 0, "MINLOC tie: (%d, %d)",
          out2[1].value, out2[1].index);
    ind[0].value = 1.0 + rank;
    ind[0].index = 100 + rank;
    MPI_CALL(MPI_Allreduce(ind, outd, 1, MPI_DOUBLE_INT, MPI_MAXLOC, comm));
    CHECK(outd[0].value == (double)size && outd[0].index == 99 + size,
          "MAXLOC: (%g, %d)", outd[0].value, outd[0].index);
}

static void user_sum(void *in, void *inout, int *len, MPI_Datatype *type)
{
    int i;

    (void)type;
    for (i = 0; i < *len; ++i) {
        ((int *)inout)[i] += ((int *)in)[i];
    }
}

/* A user op is no op of verve's: the call goes to the next component. */
static void test_user_op(MPI_Comm comm, int rank, int size)
{
    int in[4], out[4], i;
    MPI_Op op;

    for (i = 0; i < 4; ++i) {
        in[i] = (int)input(rank, (size_t)i);
    }
    MPI_CALL(MPI_Op_create(user_sum, 1, &op));
    MPI_CALL(MPI_Allreduce(in, out, 4, MPI_INT, op, comm));
    MPI_CALL(MPI_Op_free(&op));
    for (i = 0; i < 4; ++i) {
        CHECK(out[i] == expect_int(MPI_SUM, size, (size_t)i),
              "user op sum %d: %d", i, out[i]);
    }
}

static void test_allgather(MPI_Comm comm, int rank, int size)
{
    enum { N = 333 };
    size_t total = (size_t)size * N, i;
    unsigned char *in = malloc(N), *out = malloc(total + 8);
    int place, r;

    for (place = 0; place < 2; ++place) {
        check_fill(in, N, (unsigned)rank);
        memset(out, 0xee, total + 8);
        if (place) {
            memcpy(out + (size_t)rank * N, in, N);
        }
        MPI_CALL(MPI_Allgather(place ? MPI_IN_PLACE : in, N, MPI_BYTE, out,
                               N, MPI_BYTE, comm));
        for (r = 0; r < size; ++r) {
            long bad = check_verify(out + (size_t)r * N, N, (unsigned)r);
            CHECK(bad < 0, "allgather%s block of rank %d: byte %ld",
                  place ? " in place" : "", r, bad);
        }
        for (i = total; i < total + 8; ++i) {
            CHECK(out[i] == 0xee, "allgather wrote past the end (%zu)", i);
        }
    }
    free(in);
    free(out);
}

static void test_alltoall(MPI_Comm comm, int rank, int size)
{
    enum { N = 200 };
    size_t total = (size_t)size * N;
    unsigned char *in = malloc(total), *out = malloc(total);
    int r;

    for (r = 0; r < size; ++r) {
        check_fill(in + (size_t)r * N, N, (unsigned)(rank * 1000 + r));
    }
    memset(out, 0xee, total);
    MPI_CALL(MPI_Alltoall(in, N, MPI_BYTE, out, N, MPI_BYTE, comm));
    for (r = 0; r < size; ++r) {
        long bad = check_verify(out + (size_t)r * N, N,
                                (unsigned)(r * 1000 + rank));
        CHECK(bad < 0, "alltoall block from rank %d: byte %ld", r, bad);
    }
    free(in);
    free(out);
}

static void test_gather_scatter(MPI_Comm comm, int rank, int size)
{
    enum { N = 77 };
    size_t total = (size_t)size * N;
    unsigned char *mine = malloc(N), *all = malloc(total);
    int root = size / 2, place, r;

    for (place = 0; place < 2; ++place) {
        check_fill(mine, N, (unsigned)(rank + 50));
        memset(all, 0xee, total);
        if (place && rank == root) {
            memcpy(all + (size_t)root * N, mine, N);
        }
        MPI_CALL(MPI_Gather((place && rank == root) ? MPI_IN_PLACE : mine,
                            N, MPI_BYTE, all, N, MPI_BYTE, root, comm));
        if (rank == root) {
            for (r = 0; r < size; ++r) {
                long bad = check_verify(all + (size_t)r * N, N,
                                        (unsigned)(r + 50));
                CHECK(bad < 0, "gather%s block of rank %d: byte %ld",
                      place ? " in place" : "", r, bad);
            }
        }
        if (rank == root) {
            for (r = 0; r < size; ++r) {
                check_fill(all + (size_t)r * N, N, (unsigned)(r + 90));
            }
        }
        memset(mine, 0xee, N);
        MPI_CALL(MPI_Scatter(all, N, MPI_BYTE,
                             (place && rank == root) ? MPI_IN_PLACE : mine,
                             N, MPI_BYTE, root, comm));
        if (!(place && rank == root)) {
            long bad = check_verify(mine, N, (unsigned)(rank + 90));
            CHECK(bad < 0, "scatter%s block: byte %ld",
                  place ? " in place" : "", bad);
        }
    }
    free(mine);
    free(all);
}

/* Member r's count in the v tests: differs per member, 0 for some. */
static int vcount(int r)
{
    return (r % 3 == 1) ? 0 : 5 + 11 * r;
}

/* allgatherv, gatherv, scatterv and alltoallv with counts that differ per
 * member and gaps between the blocks (which must stay untouched), and
 * allgatherv into a non-contiguous receive datatype (every int of a
 * pair). */
static void test_v(MPI_Comm comm, int rank, int size)
{
    int *counts = malloc((size_t)size * sizeof(int));
    int *displs = malloc((size_t)size * sizeof(int));
    int *scounts = malloc((size_t)size * sizeof(int));
    int *sdispls = malloc((size_t)size * sizeof(int));
    int total = 0, r, i, root = size - 1;
    unsigned char *in, *out, *all;
    int *pairs;
    MPI_Datatype every_other;

    for (r = 0; r < size; ++r) {
        counts[r] = vcount(r);
        displs[r] = total + 3;          /* a gap of 3 before each block */
        total += counts[r] + 3;
    }
    in = malloc((size_t)vcount(rank) + 1);
    out = malloc((size_t)total + 1);
    check_fill(in, (size_t)vcount(rank), (unsigned)(rank + 300));
    memset(out, 0xee, (size_t)total);
    MPI_CALL(MPI_Allgatherv(in, vcount(rank), MPI_BYTE, out, counts, displs,
                            MPI_BYTE, comm));
    for (r = 0; r < size; ++r) {
        long bad = check_verify(out + displs[r], (size_t)counts[r],
                                (unsigned)(r + 300));
        CHECK(bad < 0, "allgatherv block of rank %d: byte %ld", r, bad);
        CHECK(out[displs[r] - 1] == 0xee && out[displs[r] - 3] == 0xee,
              "allgatherv wrote into the gap before block %d", r);
    }
    /* gatherv at the last rank, scatterv back from it */
    memset(out, 0xee, (size_t)total);
    MPI_CALL(MPI_Gatherv(in, vcount(rank), MPI_BYTE, out, counts, displs,
                         MPI_BYTE, root, comm));
    if (rank == root) {
        for (r = 0; r < size; ++r) {
            long bad = check_verify(out + displs[r], (size_t)counts[r],
                                    (unsigned)(r + 300));
            CHECK(bad < 0, "gatherv block of rank %d: byte %ld", r, bad);
            CHECK(out[displs[r] - 1] == 0xee, "gatherv wrote into a gap");
            check_fill(out + displs[r], (size_t)counts[r],
                       (unsigned)(r + 400));
        }
    }
    memset(in, 0xee, (size_t)vcount(rank));
    MPI_CALL(MPI_Scatterv(out, counts, displs, MPI_BYTE, in, vcount(rank),
                          MPI_BYTE, root, comm));
    {
        long bad = check_verify(in, (size_t)vcount(rank),
                                (unsigned)(rank + 400));
        CHECK(bad < 0, "scatterv block: byte %ld", bad);
    }
    /* alltoallv: rank sends vcount(rank + r) bytes to r */
    all = malloc((size_t)size * 64 + 1);
    for (r = 0, i = 0; r < size; ++r) {
        scounts[r] = vcount(rank + r) % 50;
        sdispls[r] = i;
        check_fill(all + i, (size_t)scounts[r], (unsigned)(rank * 100 + r));
        i += scounts[r] + 1;
    }
    for (r = 0, total = 0; r < size; ++r) {
        counts[r] = vcount(r + rank) % 50;
        displs[r] = total;
        total += counts[r] + 2;
    }
    free(out);
    out = malloc((size_t)total + 1);
    memset(out, 0xee, (size_t)total);
    MPI_CALL(MPI_Alltoallv(all, scounts, sdispls, MPI_BYTE, out, counts,
                           displs, MPI_BYTE, comm));
    for (r = 0; r < size; ++r) {
        long bad = check_verify(out + displs[r], (size_t)counts[r],
                                (unsigned)(r * 100 + rank));
        CHECK(bad < 0, "alltoallv block from rank %d: byte %ld", r, bad);
        CHECK(out[displs[r] + counts[r]] == 0xee,
              "alltoallv wrote past block %d", r);
    }
    /* allgatherv into every other int: each member gives 2 ints */
    pairs = malloc((size_t)size * 6 * sizeof(int));
    for (i = 0; i < size * 6; ++i) {
        pairs[i] = -1;
    }
    MPI_CALL(MPI_Type_vector(2, 1, 2, MPI_INT, &every_other));
    MPI_CALL(MPI_Type_commit(&every_other));
    for (r = 0; r < size; ++r) {
        counts[r] = 1;
        displs[r] = 2 * r;      /* in extents of every_other: 3 ints */
    }
    {
        int mine[2] = {rank * 10 + 1, rank * 10 + 2};
        MPI_Aint lb, extent;
        MPI_Type_get_extent(every_other, &lb, &extent);
        CHECK(extent == 3 * (MPI_Aint)sizeof(int), "vector extent %ld",
              (long)extent);
        MPI_CALL(MPI_Allgatherv(mine, 2, MPI_INT, pairs, counts, displs,
                                every_other, comm));
    }
    for (r = 0; r < size; ++r) {
        int *block = pairs + 6 * r;
        CHECK(block[0] == r * 10 + 1 && block[2] == r * 10 + 2 &&
              block[1] == -1, "allgatherv into a vector, rank %d: %d %d %d",
              r, block[0], block[1], block[2]);
    }
    MPI_CALL(MPI_Type_free(&every_other));
    free(pairs);
    free(all);
    free(in);
    free(out);
    free(counts);
    free(displs);
    free(scounts);
    free(sdispls);
}

static void test_reduce_scatter(MPI_Comm comm, int rank, int size)
{
    enum { N = 10 };
    long *in = malloc((size_t)size * N * sizeof(long)), out[N];
    int *counts = malloc((size_t)size * sizeof(int));
    size_t i;
    int r;

    for (i = 0; i < (size_t)size * N; ++i) {
        in[i] = input(rank, i);
    }
    MPI_CALL(MPI_Reduce_scatter_block(in, out, N, MPI_LONG, MPI_SUM, comm));
    for (i = 0; i < N; ++i) {
        CHECK(out[i] == expect_int(MPI_SUM, size, (size_t)rank * N + i),
              "reduce_scatter_block element %zu: %ld", i, out[i]);
    }
    for (r = 0; r < size; ++r) {
        counts[r] = N;
    }
    MPI_CALL(MPI_Reduce_scatter(in, out, counts, MPI_LONG, MPI_MAX, comm));
    for (i = 0; i < N; ++i) {
        CHECK(out[i] == expect_int(MPI_MAX, size, (size_t)rank * N + i),
              "reduce_scatter element %zu: %ld", i, out[i]);
    }
    free(counts);
    free(in);
}

/* Every nonblocking collective outstanding at once on one communicator,
 * with point-to-point traffic around the ring in between, then checked. */
static void test_nonblocking(MPI_Comm comm, int rank, int size)
{
    enum { N = 500, B = 40 };
    long sum_in[N], sum_out[N], red_out[N];
    unsigned char bc[4096], ag_in[B], *ag_out = malloc((size_t)size * B);
    unsigned char *a2a_in = malloc((size_t)size * B);
    unsigned char *a2a_out = malloc((size_t)size * B);
    unsigned char *g_out = malloc((size_t)size * B), sc_out[B];
    unsigned char *gathered = malloc((size_t)size * B);
    unsigned char ring_out[1000], ring_in[1000];
    MPI_Request reqs[11];
    int i, r, root = size - 1;

    for (i = 0; i < N; ++i) {
        sum_in[i] = input(rank, (size_t)i);
    }
    if (rank == 0) {
        check_fill(bc, sizeof(bc), 700);
    }
    check_fill(ag_in, B, (unsigned)(800 + rank));
    for (r = 0; r < size; ++r) {
        check_fill(a2a_in + (size_t)r * B, B, (unsigned)(rank * 50 + r));
    }
    if (rank == root) {
        for (r = 0; r < size; ++r) {
            check_fill(g_out + (size_t)r * B, B, (unsigned)(900 + r));
        }
    }
    check_fill(ring_out, sizeof(ring_out), (unsigned)(1000 + rank));
    MPI_CALL(MPI_Iallreduce(sum_in, sum_out, N, MPI_LONG, MPI_SUM, comm,
                            &reqs[0]));
    MPI_CALL(MPI_Ibcast(bc, sizeof(bc), MPI_BYTE, 0, comm, &reqs[1]));
    MPI_CALL(MPI_Irecv(ring_in, sizeof(ring_in), MPI_BYTE,
                       (rank + size - 1) % size, 5, comm, &reqs[2]));
    MPI_CALL(MPI_Isend(ring_out, sizeof(ring_out), MPI_BYTE,
                       (rank + 1) % size, 5, comm, &reqs[3]));
    MPI_CALL(MPI_Ibarrier(comm, &reqs[4]));
    MPI_CALL(MPI_Iallgather(ag_in, B, MPI_BYTE, ag_out, B, MPI_BYTE, comm,
                            &reqs[5]));
    MPI_CALL(MPI_Ialltoall(a2a_in, B, MPI_BYTE, a2a_out, B, MPI_BYTE, comm,
                           &reqs[6]));
    MPI_CALL(MPI_Ireduce(sum_in, red_out, N, MPI_LONG, MPI_MAX, root, comm,
                         &reqs[7]));
    MPI_CALL(MPI_Iscatter(g_out, B, MPI_BYTE, sc_out, B, MPI_BYTE, root,
                          comm, &reqs[8]));
    MPI_CALL(MPI_Igather(ag_in, B, MPI_BYTE, gathered, B, MPI_BYTE, 0, comm,
                         &reqs[9]));
    MPI_CALL(MPI_Ibarrier(comm, &reqs[10]));
    MPI_CALL(MPI_Waitall(11, reqs, MPI_STATUSES_IGNORE));
    for (i = 0; i < N; ++i) {
        CHECK(sum_out[i] == expect_int(MPI_SUM, size, (size_t)i),
              "iallreduce element %d: %ld", i, sum_out[i]);
        CHECK(rank != root || red_out[i] == expect_int(MPI_MAX, size,
                                                       (size_t)i),
              "ireduce element %d: %ld", i, red_out[i]);
    }
    CHECK(check_verify(bc, sizeof(bc), 700) < 0, "ibcast data");
    CHECK(check_verify(ring_in, sizeof(ring_in),
                       (unsigned)(1000 + (rank + size - 1) % size)) < 0,
          "ring message beside the collectives");
    for (r = 0; r < size; ++r) {
        CHECK(check_verify(ag_out + (size_t)r * B, B,
                           (unsigned)(800 + r)) < 0,
              "iallgather block of rank %d", r);
        CHECK(check_verify(a2a_out + (size_t)r * B, B,
                           (unsigned)(r * 50 + rank)) < 0,
              "ialltoall block from rank %d", r);
        CHECK(rank != 0 || check_verify(gathered + (size_t)r * B, B,
                                        (unsigned)(800 + r)) < 0,
              "igather block of rank %d", r);
    }
    CHECK(check_verify(sc_out, B, (unsigned)(900 + rank)) < 0,
          "iscatter block");
    free(gathered);
    free(ag_out);
    free(a2a_in);
    free(a2a_out);
    free(g_out);
}

static void test_many(MPI_Comm comm, int rank, int size)
{
    long value, sum;
    int k;

    for (k = 0; k < 10000; ++k) {
        value = rank + k;
        MPI_CALL(MPI_Allreduce(&value, &sum, 1, MPI_LONG, MPI_SUM, comm));
        if (sum != (long)size * k + (long)size * (size - 1) / 2) {
            CHECK(0, "allreduce %d of 10000: %ld", k, sum);
            break;
        }
    }
}

static void test_comm(MPI_Comm comm)
{
    int rank, size;

    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    test_barrier(comm);
    test_bcast(comm, rank, size);
    test_bcast_vector(comm, rank);
    test_reduce_int(comm, rank, size);
    test_float(comm, rank, size);
    test_loc(comm, rank, size);
    test_user_op(comm, rank, size);
    test_allgather(comm, rank, size);
    test_alltoall(comm, rank, size);
    test_gather_scatter(comm, rank, size);
    test_v(comm, rank, size);
    test_reduce_scatter(comm, rank, size);
    test_nonblocking(comm, rank, size);
}

int main(int argc, char **argv)
{
    MPI_Comm dup, half, reversed;

    MPI_Init(&argc, &argv);
    check_init("mpi_coll");
    test_comm(MPI_COMM_WORLD);
    MPI_CALL(MPI_Comm_dup(MPI_COMM_WORLD, &dup));
    test_comm(dup);
    MPI_CALL(MPI_Comm_split(MPI_COMM_WORLD, check_rank % 2, check_rank,
                            &half));
    test_comm(half);
    MPI_CALL(MPI_Comm_split(MPI_COMM_WORLD, 0, -check_rank, &reversed));
    test_comm(reversed);
    test_many(reversed, check_size - 1 - check_rank, check_size);
    MPI_CALL(MPI_Comm_free(&reversed));
    MPI_CALL(MPI_Comm_free(&half));
    MPI_CALL(MPI_Comm_free(&dup));
    return check_finish() | (MPI_Finalize() != MPI_SUCCESS);
}
