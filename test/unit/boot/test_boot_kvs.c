/*
 * Unit tests of the bootstrap's key-value tables: adding and finding, the
 * packed format between ranks (round trip, and every kind of malformed
 * buffer a peer could send), and the get length contract.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/log.h"
#include "core/boot/boot_kvs.h"

static void test_kvs_key_valid(void **state)
{
    char key[VERVE_BOOT_KEY_MAX + 1];

    (void)state;
    assert_false(vs_boot_kvs_key_valid(NULL));
    assert_false(vs_boot_kvs_key_valid(""));
    assert_true(vs_boot_kvs_key_valid("a"));
    memset(key, 'k', sizeof(key));
    key[VERVE_BOOT_KEY_MAX - 1] = '\0';
    assert_true(vs_boot_kvs_key_valid(key));
    key[VERVE_BOOT_KEY_MAX - 1] = 'k';
    key[VERVE_BOOT_KEY_MAX] = '\0';
    assert_false(vs_boot_kvs_key_valid(key));
}

static void test_kvs_add_find(void **state)
{
    const vs_boot_kvs_entry_t *entry;
    vs_boot_kvs_t kvs = {0};
    int i;

    (void)state;
    assert_null(vs_boot_kvs_find(&kvs, "a"));
    assert_int_equal(vs_boot_kvs_add(&kvs, "a", "one", 3), VERVE_OK);
    assert_int_equal(vs_boot_kvs_add(&kvs, "empty", NULL, 0), VERVE_OK);
    assert_int_equal(vs_boot_kvs_add(&kvs, "a", "two", 3),
                     VERVE_ERR_INVALID_PARAM);
    /* Past the first growth of the array. */
    for (i = 0; i < 20; ++i) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(vs_boot_kvs_add(&kvs, key, &i, sizeof(i)),
                         VERVE_OK);
    }
    entry = vs_boot_kvs_find(&kvs, "a");
    assert_non_null(entry);
    assert_int_equal(entry->length, 3);
    assert_memory_equal(entry->value, "one", 3);
    entry = vs_boot_kvs_find(&kvs, "empty");
    assert_non_null(entry);
    assert_int_equal(entry->length, 0);
    entry = vs_boot_kvs_find(&kvs, "k19");
    assert_non_null(entry);
    assert_int_equal(*(int *)entry->value, 19);
    assert_int_equal(kvs.count, 22);
    vs_boot_kvs_cleanup(&kvs);
    assert_int_equal(kvs.count, 0);
}

static void test_kvs_pack_unpack(void **state)
{
    vs_boot_kvs_t src = {0}, dst = {0};
    const vs_boot_kvs_entry_t *entry;
    uint8_t big[5000];
    size_t length;
    void *buffer;

    (void)state;
    memset(big, 0x3c, sizeof(big));
    assert_int_equal(vs_boot_kvs_add(&src, "old", "x", 1), VERVE_OK);
    assert_int_equal(vs_boot_kvs_add(&src, "big", big, sizeof(big)),
                     VERVE_OK);
    assert_int_equal(vs_boot_kvs_add(&src, "empty", NULL, 0), VERVE_OK);

    /* From entry 1 on: what a fence after the one that sent "old" sends. */
    length = vs_boot_kvs_packed_size(&src, 1);
    assert_int_equal(length, 2 * 12 + 3 + sizeof(big) + 5);
    buffer = malloc(length);
    assert_non_null(buffer);
    vs_boot_kvs_pack(&src, 1, buffer);
    assert_int_equal(vs_boot_kvs_unpack(&dst, buffer, length), VERVE_OK);
    assert_int_equal(dst.count, 2);
    assert_null(vs_boot_kvs_find(&dst, "old"));
    entry = vs_boot_kvs_find(&dst, "big");
    assert_non_null(entry);
    assert_int_equal(entry->length, sizeof(big));
    assert_memory_equal(entry->value, big, sizeof(big));
    entry = vs_boot_kvs_find(&dst, "empty");
    assert_non_null(entry);
    assert_int_equal(entry->length, 0);

    /* The same entries again: refused whole, the table left as it was. */
    assert_int_equal(vs_boot_kvs_unpack(&dst, buffer, length),
                     VERVE_ERR_INVALID_PARAM);
    assert_int_equal(dst.count, 2);
    assert_int_equal(vs_boot_kvs_unpack(&dst, NULL, 0), VERVE_OK);
    free(buffer);
    vs_boot_kvs_cleanup(&dst);
    vs_boot_kvs_cleanup(&src);
}

/* Writes one entry header + key + value at p; returns its size. */
static size_t test_entry(uint8_t *p, uint32_t key_length, uint64_t length,
                         const char *key, size_t key_bytes,
                         size_t value_bytes)
{
    memcpy(p, &key_length, sizeof(key_length));
    memcpy(p + 4, &length, sizeof(length));
    memcpy(p + 12, key, key_bytes);
    memset(p + 12 + key_bytes, 0x77, value_bytes);
    return 12 + key_bytes + value_bytes;
}

static void test_kvs_unpack_malformed(void **state)
{
    char long_key[VERVE_BOOT_KEY_MAX + 1];
    vs_boot_kvs_t kvs = {0};
    uint8_t buffer[256];
    size_t n;

    (void)state;
    memset(long_key, 'k', sizeof(long_key));
    assert_int_equal(vs_boot_kvs_add(&kvs, "there", "v", 1), VERVE_OK);

    /* A header cut short. */
    n = test_entry(buffer, 3, 1, "abc", 3, 1);
    assert_int_equal(vs_boot_kvs_unpack(&kvs, buffer, 11), VERVE_ERR_IO);
    /* A value longer than what follows, and one whose length wraps. */
    assert_int_equal(vs_boot_kvs_unpack(&kvs, buffer, n - 1), VERVE_ERR_IO);
    n = test_entry(buffer, 3, UINT64_MAX - 1, "abc", 3, 1);
    assert_int_equal(vs_boot_kvs_unpack(&kvs, buffer, n), VERVE_ERR_IO);
    /* Keys: empty, too long, longer than the buffer, with a NUL inside. */
    n = test_entry(buffer, 0, 1, "", 0, 1);
    assert_int_equal(vs_boot_kvs_unpack(&kvs, buffer, n), VERVE_ERR_IO);
    n = test_entry(buffer, VERVE_BOOT_KEY_MAX, 0, long_key,
                   VERVE_BOOT_KEY_MAX, 0);
    assert_int_equal(vs_boot_kvs_unpack(&kvs, buffer, n), VERVE_ERR_IO);
    n = test_entry(buffer, 40, 0, "abc", 3, 0);
    assert_int_equal(vs_boot_kvs_unpack(&kvs, buffer, n), VERVE_ERR_IO);
    n = test_entry(buffer, 3, 0, "a\0c", 3, 0);
    assert_int_equal(vs_boot_kvs_unpack(&kvs, buffer, n), VERVE_ERR_IO);
    /* A good entry, then a broken one: nothing is added. */
    n = test_entry(buffer, 3, 1, "abc", 3, 1);
    n += test_entry(buffer + n, 3, 9, "def", 3, 1);
    assert_int_equal(vs_boot_kvs_unpack(&kvs, buffer, n), VERVE_ERR_IO);
    /* The same key twice in one buffer, and a key already there. */
    n = test_entry(buffer, 3, 1, "abc", 3, 1);
    n += test_entry(buffer + n, 3, 1, "abc", 3, 1);
    assert_int_equal(vs_boot_kvs_unpack(&kvs, buffer, n),
                     VERVE_ERR_INVALID_PARAM);
    n = test_entry(buffer, 5, 1, "there", 5, 1);
    assert_int_equal(vs_boot_kvs_unpack(&kvs, buffer, n),
                     VERVE_ERR_INVALID_PARAM);

    assert_int_equal(kvs.count, 1);
    assert_null(vs_boot_kvs_find(&kvs, "abc"));
    vs_boot_kvs_cleanup(&kvs);
}

static void test_kvs_copy_out(void **state)
{
    char out[8];
    size_t length;

    (void)state;
    memset(out, '-', sizeof(out));
    length = 3;
    assert_int_equal(vs_boot_kvs_copy_out("abcd", 4, out, &length),
                     VERVE_ERR_MESSAGE_TRUNCATED);
    assert_int_equal(length, 4);
    assert_int_equal(out[0], '-');
    length = sizeof(out);
    assert_int_equal(vs_boot_kvs_copy_out("abcd", 4, out, &length),
                     VERVE_OK);
    assert_int_equal(length, 4);
    assert_memory_equal(out, "abcd-", 5);
    length = 0;
    assert_int_equal(vs_boot_kvs_copy_out(NULL, 0, NULL, &length),
                     VERVE_OK);
    assert_int_equal(length, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kvs_key_valid),
        cmocka_unit_test(test_kvs_add_find),
        cmocka_unit_test(test_kvs_pack_unpack),
        cmocka_unit_test(test_kvs_unpack_malformed),
        cmocka_unit_test(test_kvs_copy_out),
    };

    /* The rejections below are expected; their messages are noise. */
    vs_log_level = VS_LOG_FATAL;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
