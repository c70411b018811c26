/*
 * Unit tests of the schedules, without a network: for team sizes 1 to 17
 * every member's schedule is built (through vc_coll_create, as the library
 * does), then a small interpreter runs them all together, delivering each
 * send to the receive with the same (source, destination, tag) in order
 * at the receiver's next fence. It fails on a deadlock, a size mismatch
 * or a message nobody receives, and the results are compared with a
 * sequential reference: integer sums exactly, and a non-commutative
 * user op (2x2 matrix products) to check rank order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "coll/vc_coll.h"

#define TEST_MAX_N 17

typedef struct {
    unsigned src, dst;
    uint16_t tag;
    void *data;
    size_t length;
} test_msg_t;

static test_msg_t *test_msgs;
static size_t test_num_msgs, test_max_msgs;

static uint64_t test_gen(unsigned rank, size_t index)
{
    uint64_t x = ((uint64_t)rank << 40) ^ (index * 0x9e3779b97f4a7c15ull);
    x = (x ^ (x >> 29)) * 0xbf58476d1ce4e5b9ull;
    return x ^ (x >> 32);
}

static uint64_t test_matmul(uint64_t a, uint64_t b)
{
    uint64_t a00 = a & 0xffff, a01 = (a >> 16) & 0xffff;
    uint64_t a10 = (a >> 32) & 0xffff, a11 = a >> 48;
    uint64_t b00 = b & 0xffff, b01 = (b >> 16) & 0xffff;
    uint64_t b10 = (b >> 32) & 0xffff, b11 = b >> 48;

    return ((a00 * b00 + a01 * b10) & 0xffff) |
           (((a00 * b01 + a01 * b11) & 0xffff) << 16) |
           (((a10 * b00 + a11 * b10) & 0xffff) << 32) |
           (((a10 * b01 + a11 * b11) & 0xffff) << 48);
}

static void test_user_op(const void *in1, const void *in2, void *out,
                         size_t count, void *arg)
{
    const uint64_t *a = in1, *b = in2;
    uint64_t *o = out;

    (void)arg;
    for (size_t i = 0; i < count; ++i) {
        o[i] = test_matmul(a[i], b[i]);
    }
}

static void test_send(unsigned src, const vc_step_t *step)
{
    if (test_num_msgs == test_max_msgs) {
        test_max_msgs = test_max_msgs ? 2 * test_max_msgs : 64;
        test_msgs = realloc(test_msgs, test_max_msgs * sizeof(*test_msgs));
        assert_non_null(test_msgs);
    }
    test_msgs[test_num_msgs].src = src;
    test_msgs[test_num_msgs].dst = step->peer;
    test_msgs[test_num_msgs].tag = step->tag;
    test_msgs[test_num_msgs].length = step->length;
    test_msgs[test_num_msgs].data = malloc(step->length + 1);
    if (step->length > 0) {
        memcpy(test_msgs[test_num_msgs].data, step->src, step->length);
    }
    ++test_num_msgs;
}

/* Completes the posted receives of rank that have a message: 1 when none
 * is left waiting. */
static int test_match(unsigned rank, vc_sched_t *sched, unsigned *pending,
                      unsigned *num_pending)
{
    unsigned kept = 0;

    for (unsigned p = 0; p < *num_pending; ++p) {
        vc_step_t *step = &sched->steps[pending[p]];
        size_t m;
        for (m = 0; m < test_num_msgs; ++m) {
            test_msg_t *msg = &test_msgs[m];
            if (msg->data != NULL && msg->dst == rank &&
                msg->src == step->peer && msg->tag == step->tag) {
                break;
            }
        }
        if (m == test_num_msgs) {
            pending[kept++] = pending[p];
            continue;
        }
        assert_int_equal(test_msgs[m].length, step->length);
        if (step->length > 0) {
            memcpy(step->dst, test_msgs[m].data, step->length);
        }
        free(test_msgs[m].data);
        test_msgs[m].data = NULL;
    }
    *num_pending = kept;
    return kept == 0;
}

/* Runs the n schedules to the end; fails on a deadlock. */
static void test_simulate(vc_coll_t **colls, unsigned n)
{
    unsigned pos[TEST_MAX_N] = {0}, num_pending[TEST_MAX_N] = {0};
    unsigned *pending[TEST_MAX_N];
    int progress = 1, done = 0;

    for (unsigned r = 0; r < n; ++r) {
        pending[r] = malloc((colls[r]->sched.num_steps + 1) *
                            sizeof(unsigned));
    }
    test_num_msgs = 0;
    while (progress && !done) {
        progress = 0;
        done = 1;
        for (unsigned r = 0; r < n; ++r) {
            vc_sched_t *sched = &colls[r]->sched;
            while (pos[r] < sched->num_steps) {
                vc_step_t *step = &sched->steps[pos[r]];
                if (step->type == VC_STEP_FENCE &&
                    !test_match(r, sched, pending[r], &num_pending[r])) {
                    break;
                }
                if (step->type == VC_STEP_SEND) {
                    test_send(r, step);
                } else if (step->type == VC_STEP_RECV) {
                    assert_true(step->peer < n && step->peer != r);
                    pending[r][num_pending[r]++] = pos[r];
                } else if (step->type == VC_STEP_REDUCE) {
                    vc_reduce(&sched->op, step->src, step->src2, step->dst,
                              step->length);
                } else if (step->type == VC_STEP_COPY) {
                    memmove(step->dst, step->src, step->length);
                }
                ++pos[r];
                progress = 1;
            }
            if (pos[r] == sched->num_steps &&
                test_match(r, sched, pending[r], &num_pending[r])) {
                continue;
            }
            done = 0;
        }
    }
    assert_true(done);   /* otherwise: a deadlock */
    for (size_t m = 0; m < test_num_msgs; ++m) {
        assert_null(test_msgs[m].data);   /* every message received */
    }
    for (unsigned r = 0; r < n; ++r) {
        free(pending[r]);
    }
}

typedef struct {
    verve_coll_type_t type;
    int user;           /* the non-commutative op, else a uint64 sum */
    size_t count;
    int in_place;
    unsigned root;
    unsigned radix;
} test_case_t;

static uint64_t test_fold(const test_case_t *c, unsigned n, size_t index)
{
    uint64_t acc = test_gen(0, index);

    for (unsigned r = 1; r < n; ++r) {
        acc = c->user ? test_matmul(acc, test_gen(r, index))
                      : acc + test_gen(r, index);
    }
    return acc;
}

static void test_run(vc_worker_t *vw, unsigned n, const test_case_t *c)
{
    vc_team_t teams[TEST_MAX_N];
    vc_coll_t *colls[TEST_MAX_N];
    uint64_t *src[TEST_MAX_N], *dst[TEST_MAX_N];
    size_t total = (size_t)n * c->count + 1, cnt = c->count;
    verve_coll_args_t args;

    for (unsigned r = 0; r < n; ++r) {
        memset(&teams[r], 0, sizeof(teams[r]));
        teams[r].vw = vw;
        teams[r].rank = r;
        teams[r].size = n;
        src[r] = calloc(total, sizeof(uint64_t));
        dst[r] = calloc(total, sizeof(uint64_t));
        /* scatter's input is in src even in place */
        uint64_t *in = (c->in_place && c->type != VERVE_COLL_SCATTER) ?
                       dst[r] : src[r];
        switch (c->type) {
        case VERVE_COLL_BCAST:
            for (size_t i = 0; r == c->root && i < cnt; ++i) {
                dst[r][i] = test_gen(r, i);
            }
            break;
        case VERVE_COLL_ALLGATHER:
            for (size_t i = 0; i < cnt; ++i) {
                (c->in_place ? dst[r] + r * cnt : src[r])[i] =
                        test_gen(r, i);
            }
            break;
        case VERVE_COLL_GATHER:
            for (size_t i = 0; i < cnt; ++i) {
                ((c->in_place && r == c->root) ? dst[r] + r * cnt
                                               : src[r])[i] = test_gen(r, i);
            }
            break;
        case VERVE_COLL_REDUCE: case VERVE_COLL_ALLREDUCE:
            for (size_t i = 0; i < cnt; ++i) {
                ((c->in_place && (c->type == VERVE_COLL_ALLREDUCE ||
                                  r == c->root)) ? dst[r] : src[r])[i] =
                        test_gen(r, i);
            }
            break;
        default:    /* n blocks of input */
            for (size_t i = 0; i < n * cnt; ++i) {
                in[i] = test_gen(r, i);
            }
            break;
        }
        memset(&args, 0, sizeof(args));
        args.field_mask = VERVE_COLL_ARGS_FIELD_ROOT |
                          VERVE_COLL_ARGS_FIELD_FLAGS |
                          VERVE_COLL_ARGS_FIELD_USER_OP |
                          (c->radix ? VERVE_COLL_ARGS_FIELD_RADIX : 0);
        args.coll_type = c->type;
        args.root = c->root;
        args.radix = c->radix;
        args.flags = c->in_place ? VERVE_COLL_FLAG_IN_PLACE : 0;
        args.op = c->user ? VERVE_COLL_OP_USER : VERVE_COLL_OP_SUM;
        args.user_op = test_user_op;
        args.src.buffer = src[r];
        args.dst.buffer = dst[r];
        args.dst.count = cnt;
        args.src.datatype = VERVE_COLL_UINT64;
        args.dst.datatype = VERVE_COLL_UINT64;
        assert_int_equal(vc_coll_create(&teams[r], &args, 0, &colls[r]),
                         VERVE_OK);
    }
    test_simulate(colls, n);
    for (unsigned r = 0; r < n; ++r) {
        for (size_t i = 0; i < cnt; ++i) {
            for (unsigned k = 0; k < n; ++k) {
                switch (c->type) {
                case VERVE_COLL_ALLGATHER:
                    assert_int_equal(dst[r][k * cnt + i], test_gen(k, i));
                    break;
                case VERVE_COLL_GATHER:
                    if (r == c->root) {
                        assert_int_equal(dst[r][k * cnt + i],
                                         test_gen(k, i));
                    }
                    break;
                case VERVE_COLL_ALLTOALL:
                    assert_int_equal(dst[r][k * cnt + i],
                                     test_gen(k, r * cnt + i));
                    break;
                default:
                    break;
                }
            }
            switch (c->type) {
            case VERVE_COLL_BCAST:
                assert_int_equal(dst[r][i], test_gen(c->root, i));
                break;
            case VERVE_COLL_SCATTER:
                if (!(c->in_place && r == c->root)) {
                    assert_int_equal(dst[r][i], test_gen(c->root,
                                                         r * cnt + i));
                }
                break;
            case VERVE_COLL_ALLREDUCE:
                assert_int_equal(dst[r][i], test_fold(c, n, i));
                break;
            case VERVE_COLL_REDUCE:
                if (r == c->root) {
                    assert_int_equal(dst[r][i], test_fold(c, n, i));
                }
                break;
            case VERVE_COLL_REDUCE_SCATTER:
                assert_int_equal(dst[r][i], test_fold(c, n, r * cnt + i));
                break;
            default:
                break;
            }
        }
        vc_sched_cleanup(&colls[r]->sched);
        free(colls[r]);
        free(src[r]);
        free(dst[r]);
    }
}

/* Each table forces other algorithms; together they cover all. */
static const char *const test_tunes[] = {
    "allreduce:0-inf:rd;allgather:0-inf:rd;alltoall:0-inf:pairwise;"
    "reduce_scatter:0-inf:ring",
    "allreduce:0-inf:rab;allgather:0-inf:bruck;alltoall:0-inf:bruck;"
    "reduce_scatter:0-inf:allreduce",
    "allreduce:0-inf:ring;allgather:0-inf:ring",
};

static void test_all(void **state)
{
    static const verve_coll_type_t types[] = {
        VERVE_COLL_BARRIER, VERVE_COLL_BCAST, VERVE_COLL_REDUCE,
        VERVE_COLL_ALLREDUCE, VERVE_COLL_REDUCE_SCATTER,
        VERVE_COLL_ALLGATHER, VERVE_COLL_ALLTOALL, VERVE_COLL_GATHER,
        VERVE_COLL_SCATTER};
    static const size_t counts[] = {0, 1, 5, 23};
    vc_worker_t *vw = calloc(1, sizeof(*vw));
    unsigned cases = 0;

    (void)state;
    for (unsigned tune = 0; tune < 3; ++tune) {
        assert_int_equal(vc_select_table_init(&vw->table, test_tunes[tune]),
                         VERVE_OK);
        for (unsigned n = 1; n <= TEST_MAX_N; ++n) {
            for (unsigned t = 0; t < sizeof(types) / sizeof(types[0]); ++t) {
                for (unsigned k = 0; k < 4; ++k) {
                    test_case_t c = {types[t], (int)(k & 1), counts[k],
                                     (int)((k >> 1) & 1), (n * 7 + k) % n,
                                     0};
                    if (types[t] == VERVE_COLL_BCAST ||
                        types[t] == VERVE_COLL_REDUCE) {
                        c.radix = 2 + (k + n + tune) % 7;
                    }
                    test_run(vw, n, &c);
                    ++cases;
                }
            }
        }
    }
    print_message("%u schedules simulated\n", cases);
    free(vw);
    free(test_msgs);
    test_msgs = NULL;
    test_max_msgs = 0;
}

/* Building blocks of the schedule itself. */
static void test_steps(void **state)
{
    vc_sched_t sched;
    uint8_t a[4] = {1, 2, 3, 4};

    (void)state;
    vc_sched_init(&sched, NULL);
    /* a copy onto itself, an empty copy or reduction add nothing */
    assert_int_equal(vc_sched_copy(&sched, a, a, 4), VERVE_OK);
    assert_int_equal(vc_sched_copy(&sched, a + 1, a, 0), VERVE_OK);
    assert_int_equal(vc_sched_reduce(&sched, a, a, a, 0), VERVE_OK);
    assert_int_equal(sched.num_steps, 0);
    /* fences do not repeat */
    assert_int_equal(vc_sched_fence(&sched), VERVE_OK);
    assert_int_equal(vc_sched_fence(&sched), VERVE_OK);
    assert_int_equal(sched.num_steps, 1);
    for (unsigned i = 0; i < 100; ++i) {
        assert_int_equal(vc_sched_recv(&sched, 1, (uint16_t)i, a, 4),
                         VERVE_OK);
    }
    assert_int_equal(sched.num_recvs, 100);
    assert_int_equal(sched.steps[100].slot, 99);
    assert_int_equal(vc_sched_ready(&sched), VERVE_OK);
    assert_non_null(sched.recvs);
    vc_sched_cleanup(&sched);
    assert_int_equal(vc_block_start(10, 4, 0), 0);
    assert_int_equal(vc_block_start(10, 4, 2), 6);
    assert_int_equal(vc_block_start(10, 4, 4), 10);
    assert_int_equal(vc_block_count(10, 4, 1), 3);
    assert_int_equal(vc_block_count(10, 4, 3), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steps),
        cmocka_unit_test(test_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
