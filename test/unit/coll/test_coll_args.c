/*
 * The argument checks of the collectives (vc_args.c), through
 * vc_coll_create as verve_coll_nbx and verve_coll_init call it: each case
 * starts from valid arguments, which must be accepted, changes one thing,
 * and the result must be VERVE_ERR_INVALID_PARAM with dst untouched. The
 * issue behind it: src.datatype INT32 with dst.datatype left at zero (INT8)
 * summed 300 + 300 into -168 with status OK.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "coll/vc_coll.h"

#define TEST_SIZE 4
#define TEST_ELEMS 64
#define TEST_FILL 0xa5

typedef void (*test_change_t)(verve_coll_args_t *args);

typedef struct {
    vc_worker_t vw;
    vc_team_t team;
    uint8_t src[TEST_ELEMS * 8];
    uint8_t dst[TEST_ELEMS * 8];
    size_t counts[TEST_SIZE];
    size_t displs[TEST_SIZE];
} test_env_t;

static test_env_t *test_env;

static void test_user_op(const void *in1, const void *in2, void *out,
                         size_t count, void *arg)
{
    (void)in1, (void)in2, (void)out, (void)count, (void)arg;
}

/* Valid arguments of type on member rank of TEST_SIZE. */
static verve_coll_args_t test_args(verve_coll_type_t type, unsigned rank)
{
    verve_coll_args_t args;
    unsigned i;

    test_env->team.rank = rank;
    for (i = 0; i < TEST_SIZE; ++i) {
        test_env->counts[i] = 2;
        test_env->displs[i] = 2 * i;
    }
    memset(&args, 0, sizeof(args));
    args.field_mask = VERVE_COLL_ARGS_FIELD_ROOT | VERVE_COLL_ARGS_FIELD_FLAGS;
    args.coll_type = type;
    args.op = VERVE_COLL_OP_SUM;
    args.root = 0;
    args.src.buffer = test_env->src;
    args.src.count = 2;
    args.src.counts = test_env->counts;
    args.src.displs = test_env->displs;
    args.src.datatype = VERVE_COLL_INT32;
    args.dst.buffer = test_env->dst;
    args.dst.count = 2;
    args.dst.counts = test_env->counts;
    args.dst.displs = test_env->displs;
    args.dst.datatype = VERVE_COLL_INT32;
    return args;
}

static verve_status_t test_create(const verve_coll_args_t *args)
{
    verve_status_t status;
    vc_coll_t *coll = NULL;
    uint8_t fill[sizeof(test_env->dst)];

    memset(fill, TEST_FILL, sizeof(fill));
    memset(test_env->dst, TEST_FILL, sizeof(test_env->dst));
    status = vc_coll_create(&test_env->team, args, 0, &coll);
    if (status == VERVE_OK) {
        vc_coll_free(coll);
    }
    assert_memory_equal(test_env->dst, fill, sizeof(fill));
    return status;
}

static void test_reject(verve_coll_type_t type, unsigned rank,
                        test_change_t change)
{
    verve_coll_args_t args = test_args(type, rank);

    assert_int_equal(test_create(&args), VERVE_OK);
    args = test_args(type, rank);
    change(&args);
    assert_int_equal(test_create(&args), VERVE_ERR_INVALID_PARAM);
}

static void test_accept(verve_coll_type_t type, unsigned rank,
                        test_change_t change)
{
    verve_coll_args_t args = test_args(type, rank);

    change(&args);
    assert_int_equal(test_create(&args), VERVE_OK);
}

static void change_dst_int8(verve_coll_args_t *args)
{
    args->dst.datatype = VERVE_COLL_INT8;
}

static void change_src_float(verve_coll_args_t *args)
{
    args->src.datatype = VERVE_COLL_FLOAT;
}

static void change_in_place_src_float(verve_coll_args_t *args)
{
    args->flags |= VERVE_COLL_FLAG_IN_PLACE;
    args->src.datatype = VERVE_COLL_FLOAT;
}

static void change_dst_datatype_range(verve_coll_args_t *args)
{
    args->src.datatype = (verve_coll_datatype_t)99;
    args->dst.datatype = (verve_coll_datatype_t)99;
}

static void change_count_huge(verve_coll_args_t *args)
{
    args->dst.count = SIZE_MAX / 2;
}

static void change_count_overflow(verve_coll_args_t *args)
{
    args->dst.count = SIZE_MAX / 3;
}

static void change_src_null(verve_coll_args_t *args)
{
    args->src.buffer = NULL;
}

static void change_dst_null(verve_coll_args_t *args)
{
    args->dst.buffer = NULL;
}

static void change_null_count_zero(verve_coll_args_t *args)
{
    args->src.buffer = NULL;
    args->dst.buffer = NULL;
    args->dst.count = 0;
    args->src.count = 0;
}

static void change_root_out(verve_coll_args_t *args)
{
    args->root = TEST_SIZE;
}

static void change_flags_unknown(verve_coll_args_t *args)
{
    args->flags |= 1u << 7;
}

static void change_radix_one(verve_coll_args_t *args)
{
    args->field_mask |= VERVE_COLL_ARGS_FIELD_RADIX;
    args->radix = 1;
}

static void change_radix_big(verve_coll_args_t *args)
{
    args->field_mask |= VERVE_COLL_ARGS_FIELD_RADIX;
    args->radix = VC_RADIX_MAX + 1;
}

static void change_float_band(verve_coll_args_t *args)
{
    args->src.datatype = VERVE_COLL_FLOAT;
    args->dst.datatype = VERVE_COLL_FLOAT;
    args->op = VERVE_COLL_OP_BAND;
}

static void change_double_lxor(verve_coll_args_t *args)
{
    args->src.datatype = VERVE_COLL_DOUBLE;
    args->dst.datatype = VERVE_COLL_DOUBLE;
    args->op = VERVE_COLL_OP_LXOR;
}

static void change_int_minloc(verve_coll_args_t *args)
{
    args->op = VERVE_COLL_OP_MINLOC;
}

static void change_user_without_op(verve_coll_args_t *args)
{
    args->op = VERVE_COLL_OP_USER;
}

static void change_user_with_op(verve_coll_args_t *args)
{
    args->op = VERVE_COLL_OP_USER;
    args->field_mask |= VERVE_COLL_ARGS_FIELD_USER_OP;
    args->user_op = test_user_op;
}

static void change_op_range(verve_coll_args_t *args)
{
    args->op = VERVE_COLL_OP_LAST;
}

static void change_type_range(verve_coll_args_t *args)
{
    args->coll_type = VERVE_COLL_TYPE_LAST;
}

static void change_dst_counts_null(verve_coll_args_t *args)
{
    args->dst.counts = NULL;
}

static void change_dst_displs_null(verve_coll_args_t *args)
{
    args->dst.displs = NULL;
}

static void change_src_counts_null(verve_coll_args_t *args)
{
    args->src.counts = NULL;
}

static void change_displ_overflow(verve_coll_args_t *args)
{
    test_env->displs[2] = SIZE_MAX - 1;
    (void)args;
}

static void change_count_sized(verve_coll_args_t *args)
{
    test_env->counts[3] = SIZE_MAX / 4;
    (void)args;
}

static void test_datatype(void **state)
{
    (void)state;
    /* the case, and the other way round */
    test_reject(VERVE_COLL_ALLREDUCE, 1, change_dst_int8);
    test_reject(VERVE_COLL_ALLREDUCE, 1, change_src_float);
    test_reject(VERVE_COLL_REDUCE, 0, change_dst_int8);
    test_reject(VERVE_COLL_REDUCE, 2, change_src_float);
    test_reject(VERVE_COLL_REDUCE_SCATTER, 1, change_src_float);
    test_reject(VERVE_COLL_ALLGATHER, 1, change_src_float);
    test_reject(VERVE_COLL_GATHER, 3, change_src_float);
    test_reject(VERVE_COLL_ALLTOALL, 1, change_src_float);
    test_reject(VERVE_COLL_ALLGATHERV, 1, change_src_float);
    test_reject(VERVE_COLL_GATHERV, 1, change_src_float);
    test_reject(VERVE_COLL_ALLTOALLV, 1, change_src_float);
    /* the root of scatter reads src even in place */
    test_reject(VERVE_COLL_SCATTER, 0, change_src_float);
    test_reject(VERVE_COLL_SCATTER, 0, change_in_place_src_float);
    test_reject(VERVE_COLL_SCATTERV, 0, change_in_place_src_float);
    test_reject(VERVE_COLL_ALLREDUCE, 1, change_dst_datatype_range);
    test_reject(VERVE_COLL_BCAST, 1, change_dst_datatype_range);
    /* src not read: its datatype does not matter */
    test_accept(VERVE_COLL_ALLREDUCE, 1, change_in_place_src_float);
    test_accept(VERVE_COLL_REDUCE, 0, change_in_place_src_float);
    test_accept(VERVE_COLL_BCAST, 1, change_src_float);
    test_accept(VERVE_COLL_SCATTER, 1, change_src_float);
    test_accept(VERVE_COLL_BARRIER, 1, change_dst_int8);
}

static void test_counts(void **state)
{
    static const verve_coll_type_t all[] = {
        VERVE_COLL_BCAST, VERVE_COLL_REDUCE, VERVE_COLL_ALLREDUCE,
        VERVE_COLL_REDUCE_SCATTER, VERVE_COLL_ALLGATHER,
        VERVE_COLL_ALLTOALL, VERVE_COLL_GATHER, VERVE_COLL_SCATTER};
    unsigned t;

    (void)state;
    for (t = 0; t < sizeof(all) / sizeof(all[0]); ++t) {
        test_reject(all[t], 0, change_count_huge);
        test_reject(all[t], 0, change_count_overflow);
        test_reject(all[t], 0, change_dst_null);
        test_reject(all[t], 0, change_flags_unknown);
        test_accept(all[t], 0, change_null_count_zero);
        test_accept(all[t], 1, change_null_count_zero);
    }
    test_reject(VERVE_COLL_ALLREDUCE, 1, change_src_null);
    test_reject(VERVE_COLL_REDUCE, 1, change_src_null);
    test_reject(VERVE_COLL_SCATTER, 0, change_src_null);
    test_reject(VERVE_COLL_ALLGATHERV, 1, change_src_null);
    /* non-roots of reduce, gather and scatter leave dst or src alone */
    test_accept(VERVE_COLL_REDUCE, 1, change_dst_null);
    test_accept(VERVE_COLL_GATHER, 1, change_dst_null);
    test_accept(VERVE_COLL_SCATTER, 1, change_src_null);
}

static void test_roots_radix(void **state)
{
    (void)state;
    test_reject(VERVE_COLL_BCAST, 1, change_root_out);
    test_reject(VERVE_COLL_REDUCE, 1, change_root_out);
    test_reject(VERVE_COLL_GATHER, 1, change_root_out);
    test_reject(VERVE_COLL_GATHERV, 1, change_root_out);
    test_reject(VERVE_COLL_SCATTER, 1, change_root_out);
    test_reject(VERVE_COLL_SCATTERV, 1, change_root_out);
    test_accept(VERVE_COLL_ALLREDUCE, 1, change_root_out);
    test_reject(VERVE_COLL_BCAST, 1, change_radix_one);
    test_reject(VERVE_COLL_REDUCE, 1, change_radix_big);
    test_reject(VERVE_COLL_BARRIER, 1, change_flags_unknown);
    test_reject(VERVE_COLL_BARRIER, 1, change_type_range);
}

static void test_ops(void **state)
{
    static const verve_coll_type_t reductions[] = {
        VERVE_COLL_REDUCE, VERVE_COLL_ALLREDUCE, VERVE_COLL_REDUCE_SCATTER};
    unsigned t;

    (void)state;
    for (t = 0; t < 3; ++t) {
        test_reject(reductions[t], 0, change_float_band);
        test_reject(reductions[t], 0, change_double_lxor);
        test_reject(reductions[t], 0, change_int_minloc);
        test_reject(reductions[t], 0, change_user_without_op);
        test_reject(reductions[t], 0, change_op_range);
        test_accept(reductions[t], 0, change_user_with_op);
    }
    /* an op means nothing to a collective that does not reduce */
    test_accept(VERVE_COLL_ALLGATHER, 0, change_op_range);
}

static void test_v(void **state)
{
    (void)state;
    test_reject(VERVE_COLL_ALLGATHERV, 1, change_dst_counts_null);
    test_reject(VERVE_COLL_ALLGATHERV, 1, change_dst_displs_null);
    test_reject(VERVE_COLL_ALLGATHERV, 1, change_displ_overflow);
    test_reject(VERVE_COLL_ALLGATHERV, 1, change_count_sized);
    test_reject(VERVE_COLL_ALLGATHERV, 1, change_dst_null);
    test_reject(VERVE_COLL_GATHERV, 0, change_dst_counts_null);
    test_reject(VERVE_COLL_GATHERV, 0, change_displ_overflow);
    test_reject(VERVE_COLL_GATHERV, 0, change_dst_null);
    test_reject(VERVE_COLL_SCATTERV, 0, change_src_counts_null);
    test_reject(VERVE_COLL_SCATTERV, 0, change_count_sized);
    test_reject(VERVE_COLL_SCATTERV, 0, change_src_null);
    test_reject(VERVE_COLL_ALLTOALLV, 1, change_src_counts_null);
    test_reject(VERVE_COLL_ALLTOALLV, 1, change_dst_counts_null);
    test_reject(VERVE_COLL_ALLTOALLV, 1, change_displ_overflow);
    /* non-roots do not read the root's arrays */
    test_accept(VERVE_COLL_GATHERV, 1, change_dst_counts_null);
    test_accept(VERVE_COLL_SCATTERV, 1, change_src_counts_null);
}

static int test_setup(void **state)
{
    (void)state;
    test_env = calloc(1, sizeof(*test_env));
    assert_non_null(test_env);
    assert_int_equal(vc_select_table_init(&test_env->vw.table, NULL),
                     VERVE_OK);
    test_env->team.vw = &test_env->vw;
    test_env->team.size = TEST_SIZE;
    /* not 0: the creation barrier would set up shared memory */
    test_env->team.next_seq = 1;
    return 0;
}

static int test_teardown(void **state)
{
    (void)state;
    free(test_env);
    test_env = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_datatype),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_roots_radix),
        cmocka_unit_test(test_ops),
        cmocka_unit_test(test_v),
    };
    return cmocka_run_group_tests(tests, test_setup, test_teardown);
}
