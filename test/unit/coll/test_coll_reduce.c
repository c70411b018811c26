/*
 * Unit tests of the reduction kernels: every datatype x op against a
 * reference written here element by element, out aliasing either input,
 * MINLOC/MAXLOC ties, user ops in operand order, rejected combinations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "coll/vc_reduce.h"

#define TEST_COUNT 37

static uint64_t test_state = 0x9e3779b97f4a7c15ull;

static uint64_t test_random(void)
{
    test_state ^= test_state >> 12;
    test_state ^= test_state << 25;
    test_state ^= test_state >> 27;
    return test_state * 0x2545f4914f6cdd1dull;
}

/* The reference for one integer element, on values widened to 64 bits
 * (sign-extended for signed types) and truncated by the caller. */
static uint64_t test_int_op(verve_coll_op_t op, int is_signed, uint64_t x,
                            uint64_t y)
{
    switch (op) {
    case VERVE_COLL_OP_SUM: return x + y;
    case VERVE_COLL_OP_PROD: return x * y;
    case VERVE_COLL_OP_MIN:
        return (is_signed ? (int64_t)y < (int64_t)x : y < x) ? y : x;
    case VERVE_COLL_OP_MAX:
        return (is_signed ? (int64_t)y > (int64_t)x : y > x) ? y : x;
    case VERVE_COLL_OP_BAND: return x & y;
    case VERVE_COLL_OP_BOR: return x | y;
    case VERVE_COLL_OP_BXOR: return x ^ y;
    case VERVE_COLL_OP_LAND: return x && y;
    case VERVE_COLL_OP_LOR: return x || y;
    case VERVE_COLL_OP_LXOR: return !x != !y;
    default: fail(); return 0;
    }
}

static uint64_t test_load(const void *p, size_t size, int is_signed)
{
    switch (size) {
    case 1: return is_signed ? (uint64_t)*(const int8_t *)p
                             : *(const uint8_t *)p;
    case 2: return is_signed ? (uint64_t)*(const int16_t *)p
                             : *(const uint16_t *)p;
    case 4: return is_signed ? (uint64_t)*(const int32_t *)p
                             : *(const uint32_t *)p;
    default: return *(const uint64_t *)p;
    }
}

static void test_integers(void **state)
{
    static const verve_coll_datatype_t dts[] = {
        VERVE_COLL_INT8, VERVE_COLL_INT16, VERVE_COLL_INT32,
        VERVE_COLL_INT64, VERVE_COLL_UINT8, VERVE_COLL_UINT16,
        VERVE_COLL_UINT32, VERVE_COLL_UINT64};
    uint8_t a[TEST_COUNT * 8], b[TEST_COUNT * 8], out[TEST_COUNT * 8];
    uint8_t alias[TEST_COUNT * 8];
    vc_op_t op;

    (void)state;
    for (unsigned d = 0; d < 8; ++d) {
        size_t size = vc_datatype_size(dts[d]);
        int is_signed = dts[d] <= VERVE_COLL_INT64;
        for (int o = VERVE_COLL_OP_SUM; o <= VERVE_COLL_OP_LXOR; ++o) {
            assert_int_equal(vc_op_init(&op, (verve_coll_op_t)o, dts[d],
                                        NULL, NULL, 0), VERVE_OK);
            assert_true(op.commutative);
            for (size_t i = 0; i < sizeof(a); ++i) {
                /* some zero elements for the logical ops */
                a[i] = (i % 5 == 0) ? 0 : (uint8_t)test_random();
                b[i] = (i % 7 == 0) ? 0 : (uint8_t)test_random();
            }
            memset(a, 0, size);       /* a whole zero element */
            vc_reduce(&op, a, b, out, TEST_COUNT);
            for (size_t i = 0; i < TEST_COUNT; ++i) {
                uint64_t want = test_int_op((verve_coll_op_t)o, is_signed,
                        test_load(a + i * size, size, is_signed),
                        test_load(b + i * size, size, is_signed));
                assert_memory_equal(out + i * size, &want, size);
            }
            /* out may be either input */
            memcpy(alias, a, sizeof(a));
            vc_reduce(&op, alias, b, alias, TEST_COUNT);
            assert_memory_equal(alias, out, TEST_COUNT * size);
            memcpy(alias, b, sizeof(b));
            vc_reduce(&op, a, alias, alias, TEST_COUNT);
            assert_memory_equal(alias, out, TEST_COUNT * size);
        }
    }
}

static void test_floats(void **state)
{
    float fa[TEST_COUNT], fb[TEST_COUNT], fo[TEST_COUNT];
    double da[TEST_COUNT], db[TEST_COUNT], dout[TEST_COUNT];
    vc_op_t fop, dop;

    (void)state;
    for (size_t i = 0; i < TEST_COUNT; ++i) {
        da[i] = (double)(test_random() % 100000) / 7.0 - 5000.0;
        db[i] = (double)(test_random() % 100000) / 3.0 - 5000.0;
        fa[i] = (float)da[i];
        fb[i] = (float)db[i];
    }
    for (int o = VERVE_COLL_OP_SUM; o <= VERVE_COLL_OP_MAX; ++o) {
        assert_int_equal(vc_op_init(&fop, (verve_coll_op_t)o,
                                    VERVE_COLL_FLOAT, NULL, NULL, 0),
                         VERVE_OK);
        assert_int_equal(vc_op_init(&dop, (verve_coll_op_t)o,
                                    VERVE_COLL_DOUBLE, NULL, NULL, 0),
                         VERVE_OK);
        vc_reduce(&fop, fa, fb, fo, TEST_COUNT);
        vc_reduce(&dop, da, db, dout, TEST_COUNT);
        for (size_t i = 0; i < TEST_COUNT; ++i) {
            float fw = (o == VERVE_COLL_OP_SUM) ? fa[i] + fb[i] :
                       (o == VERVE_COLL_OP_PROD) ? fa[i] * fb[i] :
                       (o == VERVE_COLL_OP_MIN) ? (fa[i] < fb[i] ? fa[i]
                                                                 : fb[i])
                                                : (fa[i] > fb[i] ? fa[i]
                                                                 : fb[i]);
            double dw = (o == VERVE_COLL_OP_SUM) ? da[i] + db[i] :
                        (o == VERVE_COLL_OP_PROD) ? da[i] * db[i] :
                        (o == VERVE_COLL_OP_MIN) ? (da[i] < db[i] ? da[i]
                                                                  : db[i])
                                                 : (da[i] > db[i] ? da[i]
                                                                  : db[i]);
            /* one IEEE operation: exact bits */
            assert_memory_equal(&fo[i], &fw, sizeof(fw));
            assert_memory_equal(&dout[i], &dw, sizeof(dw));
        }
    }
}

typedef struct {
    double value;
    int32_t index;
} test_double_int_t;

static void test_minloc_maxloc(void **state)
{
    test_double_int_t a[4] = {{1.0, 5}, {2.0, 1}, {3.0, 9}, {-1.0, 2}};
    test_double_int_t b[4] = {{1.0, 3}, {1.0, 7}, {3.0, 4}, {0.0, 0}};
    test_double_int_t out[4];
    struct { int64_t value; int32_t index; } la[1] = {{7, 3}}, lb[1] = {{7,
                                                                        2}};
    struct { int64_t value; int32_t index; } lo[1];
    vc_op_t op;

    (void)state;
    assert_int_equal(vc_op_init(&op, VERVE_COLL_OP_MINLOC,
                                VERVE_COLL_DOUBLE_INT, NULL, NULL, 0),
                     VERVE_OK);
    vc_reduce(&op, a, b, out, 4);
    assert_true(out[0].value == 1.0 && out[0].index == 3);   /* tie */
    assert_true(out[1].value == 1.0 && out[1].index == 7);
    assert_true(out[2].value == 3.0 && out[2].index == 4);   /* tie */
    assert_true(out[3].value == -1.0 && out[3].index == 2);
    /* ties make the result independent of operand order */
    vc_reduce(&op, b, a, out, 4);
    assert_true(out[0].index == 3 && out[2].index == 4);
    assert_int_equal(vc_op_init(&op, VERVE_COLL_OP_MAXLOC,
                                VERVE_COLL_DOUBLE_INT, NULL, NULL, 0),
                     VERVE_OK);
    vc_reduce(&op, a, b, out, 4);
    assert_true(out[1].value == 2.0 && out[1].index == 1);
    assert_true(out[3].value == 0.0 && out[3].index == 0);
    assert_int_equal(vc_op_init(&op, VERVE_COLL_OP_MAXLOC,
                                VERVE_COLL_INT64_INT, NULL, NULL, 0),
                     VERVE_OK);
    vc_reduce(&op, la, lb, lo, 1);
    assert_true(lo[0].value == 7 && lo[0].index == 2);
    assert_int_equal(vc_datatype_size(VERVE_COLL_DOUBLE_INT),
                     sizeof(test_double_int_t));
}

/* in1 ++ in2 as a string: order-sensitive. */
static void test_concat(const void *in1, const void *in2, void *out,
                        size_t count, void *arg)
{
    const uint32_t *a = in1, *b = in2;
    uint32_t *o = out;

    ++*(int *)arg;
    for (size_t i = 0; i < count; ++i) {
        o[i] = a[i] * 10 + b[i];
    }
}

static void test_user(void **state)
{
    uint32_t a[3] = {1, 2, 3}, b[3] = {4, 5, 6}, out[3];
    int calls = 0;
    vc_op_t op;

    (void)state;
    assert_int_equal(vc_op_init(&op, VERVE_COLL_OP_USER, VERVE_COLL_UINT32,
                                test_concat, &calls, 0), VERVE_OK);
    assert_false(op.commutative);
    vc_reduce(&op, a, b, out, 3);
    assert_int_equal(out[0], 14);
    assert_int_equal(out[2], 36);
    vc_reduce(&op, a, b, out, 0);      /* nothing to do: not called */
    assert_int_equal(calls, 1);
    assert_int_equal(vc_op_init(&op, VERVE_COLL_OP_USER, VERVE_COLL_UINT32,
                                test_concat, &calls, 1), VERVE_OK);
    assert_true(op.commutative);
}

static void test_rejected(void **state)
{
    vc_op_t op;

    (void)state;
    assert_int_equal(vc_op_init(&op, VERVE_COLL_OP_BAND, VERVE_COLL_FLOAT,
                                NULL, NULL, 0), VERVE_ERR_INVALID_PARAM);
    assert_int_equal(vc_op_init(&op, VERVE_COLL_OP_LXOR, VERVE_COLL_DOUBLE,
                                NULL, NULL, 0), VERVE_ERR_INVALID_PARAM);
    assert_int_equal(vc_op_init(&op, VERVE_COLL_OP_MINLOC, VERVE_COLL_INT32,
                                NULL, NULL, 0), VERVE_ERR_INVALID_PARAM);
    assert_int_equal(vc_op_init(&op, VERVE_COLL_OP_SUM,
                                VERVE_COLL_FLOAT_INT, NULL, NULL, 0),
                     VERVE_ERR_INVALID_PARAM);
    assert_int_equal(vc_op_init(&op, VERVE_COLL_OP_USER, VERVE_COLL_INT8,
                                NULL, NULL, 0), VERVE_ERR_INVALID_PARAM);
    assert_int_equal(vc_op_init(&op, VERVE_COLL_OP_LAST, VERVE_COLL_INT8,
                                NULL, NULL, 0), VERVE_ERR_INVALID_PARAM);
    assert_int_equal(vc_op_init(&op, VERVE_COLL_OP_SUM,
                                VERVE_COLL_DATATYPE_LAST, NULL, NULL, 0),
                     VERVE_ERR_INVALID_PARAM);
    assert_int_equal(vc_datatype_size(VERVE_COLL_DATATYPE_LAST), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_floats),
        cmocka_unit_test(test_minloc_maxloc),
        cmocka_unit_test(test_user),
        cmocka_unit_test(test_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
