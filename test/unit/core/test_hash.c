/* Unit tests of the hash map, checked against a plain reference array. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/base/hash.h"
#include "core/base/log.h"

#define TEST_NUM_KEYS 4096

/* Deterministic pseudo-random numbers (xorshift64*), so that a failure
 * reproduces. */
static uint64_t test_random_state = 0x9e3779b97f4a7c15ull;

static uint64_t test_random(void)
{
    test_random_state ^= test_random_state >> 12;
    test_random_state ^= test_random_state << 25;
    test_random_state ^= test_random_state >> 27;
    return test_random_state * 0x2545f4914f6cdd1dull;
}

/* Keys spread over the whole 64-bit range, including 0 and UINT64_MAX,
 * and a run of sequential ones that collide in low bits without mixing. */
static uint64_t test_key(size_t index)
{
    if (index == 0) {
        return 0;
    }
    if (index == 1) {
        return UINT64_MAX;
    }
    if (index < TEST_NUM_KEYS / 2) {
        return (uint64_t)index << 32;
    }
    return vs_hash_u64(index) ^ 0x5555;
}

static char test_values[TEST_NUM_KEYS];

static void check_load(const vs_hash_t *h)
{
    assert_int_equal(h->capacity & (h->capacity - 1), 0);
    assert_true(h->used * 10 <= h->capacity * 7);
    assert_true(h->count <= h->used);
}

static void check_against(const vs_hash_t *h, void *const *reference)
{
    size_t live = 0;
    size_t seen = 0;
    uint64_t key;
    void *value;

    for (size_t i = 0; i < TEST_NUM_KEYS; ++i) {
        assert_ptr_equal(vs_hash_get(h, test_key(i)), reference[i]);
        live += (reference[i] != NULL);
    }
    assert_int_equal(vs_hash_count(h), live);

    /* Iteration visits every live entry once: each value points into
     * test_values at its key's index. */
    for (size_t iter = 0; vs_hash_next(h, &iter, &key, &value);) {
        size_t index = (size_t)((char *)value - test_values);
        assert_true(index < TEST_NUM_KEYS);
        assert_int_equal(key, test_key(index));
        assert_ptr_equal(reference[index], value);
        ++seen;
    }
    assert_int_equal(seen, live);
    check_load(h);
}

static void test_basic(void **state)
{
    vs_hash_t h;
    int a, b;

    (void)state;
    assert_int_equal(vs_hash_init(&h, 0), VERVE_OK);
    assert_null(vs_hash_get(&h, 1));
    assert_null(vs_hash_del(&h, 1));
    assert_int_equal(vs_hash_put(&h, 1, &a), VERVE_OK);
    assert_int_equal(vs_hash_put(&h, 0, &b), VERVE_OK);
    assert_int_equal(vs_hash_count(&h), 2);
    assert_ptr_equal(vs_hash_get(&h, 1), &a);
    assert_ptr_equal(vs_hash_get(&h, 0), &b);

    /* Replacing keeps the count. */
    assert_int_equal(vs_hash_put(&h, 1, &b), VERVE_OK);
    assert_int_equal(vs_hash_count(&h), 2);
    assert_ptr_equal(vs_hash_get(&h, 1), &b);

    assert_ptr_equal(vs_hash_del(&h, 1), &b);
    assert_null(vs_hash_get(&h, 1));
    assert_null(vs_hash_del(&h, 1));
    assert_int_equal(vs_hash_count(&h), 1);

    vs_log_level = VS_LOG_FATAL;
    assert_int_equal(vs_hash_put(&h, 5, NULL), VERVE_ERR_INVALID_PARAM);
    vs_log_level = VS_LOG_WARN;
    assert_int_equal(vs_hash_count(&h), 1);
    vs_hash_cleanup(&h);
    assert_null(vs_hash_get(&h, 0));
}

static void test_grow(void **state)
{
    void *reference[TEST_NUM_KEYS] = {0};
    vs_hash_t h;

    (void)state;
    assert_int_equal(vs_hash_init(&h, 4), VERVE_OK);
    for (size_t i = 0; i < TEST_NUM_KEYS; ++i) {
        assert_int_equal(vs_hash_put(&h, test_key(i), &test_values[i]),
                         VERVE_OK);
        reference[i] = &test_values[i];
        check_load(&h);
    }
    check_against(&h, reference);
    assert_true(h.capacity >= TEST_NUM_KEYS * 10 / 7);
    vs_hash_cleanup(&h);
}

static void test_random_ops(void **state)
{
    void *reference[TEST_NUM_KEYS] = {0};
    size_t index;
    vs_hash_t h;

    (void)state;
    assert_int_equal(vs_hash_init(&h, 16), VERVE_OK);
    for (int op = 0; op < 200000; ++op) {
        index = test_random() % TEST_NUM_KEYS;
        /* More puts than deletes first, then the reverse, so the map both
         * grows and drains through tombstones. */
        if ((test_random() % 100) < ((op < 100000) ? 60 : 35)) {
            assert_int_equal(vs_hash_put(&h, test_key(index),
                                         &test_values[index]), VERVE_OK);
            reference[index] = &test_values[index];
        } else {
            assert_ptr_equal(vs_hash_del(&h, test_key(index)),
                             reference[index]);
            reference[index] = NULL;
        }
        if (op % 20000 == 0) {
            check_against(&h, reference);
        }
    }
    check_against(&h, reference);
    vs_hash_cleanup(&h);
}

/* Insert-delete churn on a small live set must not grow the table: the
 * tombstones are cleared by rehashing in place. */
static void test_churn_stays_small(void **state)
{
    vs_hash_t h;
    int value;

    (void)state;
    assert_int_equal(vs_hash_init(&h, 8), VERVE_OK);
    for (uint64_t key = 0; key < 100000; ++key) {
        assert_int_equal(vs_hash_put(&h, key, &value), VERVE_OK);
        if (key >= 2) {
            assert_ptr_equal(vs_hash_del(&h, key - 2), &value);
        }
        check_load(&h);
    }
    assert_int_equal(vs_hash_count(&h), 2);
    assert_true(h.capacity <= 16);
    assert_ptr_equal(vs_hash_get(&h, 99999), &value);
    assert_ptr_equal(vs_hash_get(&h, 99998), &value);
    vs_hash_cleanup(&h);
}

static void test_mixer(void **state)
{
    unsigned buckets[256] = {0};
    uint64_t a, b;
    int flipped;

    (void)state;
    /* Sequential keys spread evenly over the low bits. */
    for (uint64_t key = 0; key < 65536; ++key) {
        ++buckets[vs_hash_u64(key) & 255];
    }
    for (size_t i = 0; i < 256; ++i) {
        assert_in_range(buckets[i], 128, 384);
    }

    /* Flipping one input bit flips about half of the output bits. */
    for (int bit = 0; bit < 64; ++bit) {
        a = vs_hash_u64(0x0123456789abcdefull);
        b = vs_hash_u64(0x0123456789abcdefull ^ (1ull << bit));
        flipped = __builtin_popcountll(a ^ b);
        assert_in_range(flipped, 12, 52);
    }
    assert_int_not_equal(vs_hash_u64(1), vs_hash_u64(2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_grow),
        cmocka_unit_test(test_random_ops),
        cmocka_unit_test(test_churn_stays_small),
        cmocka_unit_test(test_mixer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
