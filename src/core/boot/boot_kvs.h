/*
 * One rank's put values, by key, and their byte format between ranks (the
 * builtin fence carries packed entries through an allgather). A rank puts
 * a handful of keys (worker address, a remote key), so a table is a plain
 * array searched in order; ranks index an array of tables.
 */
#ifndef VS_BOOT_KVS_H
#define VS_BOOT_KVS_H

#include <stddef.h>
#include <stdint.h>
#include <verve/verve_boot.h>

typedef struct vs_boot_kvs_entry {
    char key[VERVE_BOOT_KEY_MAX];
    size_t length;
    uint8_t *value;          /* NULL when length is 0 */
} vs_boot_kvs_entry_t;

typedef struct vs_boot_kvs {
    vs_boot_kvs_entry_t *entries;
    size_t count;
    size_t capacity;
} vs_boot_kvs_t;

/* 1 when key is a string of 1 to VERVE_BOOT_KEY_MAX - 1 characters. */
int vs_boot_kvs_key_valid(const char *key);

void vs_boot_kvs_cleanup(vs_boot_kvs_t *kvs);
const vs_boot_kvs_entry_t *vs_boot_kvs_find(const vs_boot_kvs_t *kvs,
                                            const char *key);
/* Copies key and value in. VERVE_ERR_INVALID_PARAM when key is there. */
verve_status_t vs_boot_kvs_add(vs_boot_kvs_t *kvs, const char *key,
                               const void *value, size_t length);

/* Bytes that entries [first, count) take packed, and the packing itself:
 * per entry a u32 key length, a u64 value length (host byte order: both
 * ends are the same build on the same host), the key without its NUL and
 * the value. */
size_t vs_boot_kvs_packed_size(const vs_boot_kvs_t *kvs, size_t first);
void vs_boot_kvs_pack(const vs_boot_kvs_t *kvs, size_t first, void *buffer);
/* Adds the entries packed in buffer; they come from another process, so
 * every length is checked first and nothing is added unless all of them
 * are well formed (VERVE_ERR_IO) and new to kvs (VERVE_ERR_INVALID_PARAM).
 */
verve_status_t vs_boot_kvs_unpack(vs_boot_kvs_t *kvs, const void *buffer,
                                  size_t length);

/* The get contract of verve_boot.h: copies src when *length_p is large
 * enough, else returns VERVE_ERR_MESSAGE_TRUNCATED; writes the length. */
verve_status_t vs_boot_kvs_copy_out(const void *src, size_t src_length,
                                    void *value, size_t *length_p);

#endif
