/*
 * Put values by key (boot_kvs.h), and put/fence/get for the backends that
 * have only an allgather (builtin, single).
 */
#include "verve_config.h"
#include "boot.h"
#include "boot_wire.h"

#include "core/base/log.h"
#include <stdlib.h>
#include <string.h>

/* u32 key length, u64 value length */
#define VS_BOOT_KVS_ENTRY_HEADER (sizeof(uint32_t) + sizeof(uint64_t))

int vs_boot_kvs_key_valid(const char *key)
{
    return (key != NULL) && (key[0] != '\0') &&
           (memchr(key, '\0', VERVE_BOOT_KEY_MAX) != NULL);
}

void vs_boot_kvs_cleanup(vs_boot_kvs_t *kvs)
{
    size_t i;

    for (i = 0; i < kvs->count; ++i) {
        free(kvs->entries[i].value);
    }
    free(kvs->entries);
    memset(kvs, 0, sizeof(*kvs));
}

const vs_boot_kvs_entry_t *vs_boot_kvs_find(const vs_boot_kvs_t *kvs,
                                            const char *key)
{
    size_t i;

    for (i = 0; i < kvs->count; ++i) {
        if (strcmp(kvs->entries[i].key, key) == 0) {
            return &kvs->entries[i];
        }
    }
    return NULL;
}

/* key_length characters of key, not NUL-terminated in a packed buffer. */
static verve_status_t vs_boot_kvs_add_n(vs_boot_kvs_t *kvs, const char *key,
                                        size_t key_length, const void *value,
                                        size_t length)
{
    vs_boot_kvs_entry_t *entries, *entry;
    size_t capacity;

    if (kvs->count == kvs->capacity) {
        capacity = (kvs->capacity == 0) ? 8 : 2 * kvs->capacity;
        entries = realloc(kvs->entries, capacity * sizeof(*entries));
        if (entries == NULL) {
            vs_error("boot: growing a key table to %zu entries failed",
                     capacity);
            return VERVE_ERR_NO_MEMORY;
        }
        kvs->entries = entries;
        kvs->capacity = capacity;
    }

    entry = &kvs->entries[kvs->count];
    memset(entry, 0, sizeof(*entry));
    memcpy(entry->key, key, key_length);
    if (length > 0) {
        entry->value = malloc(length);
        if (entry->value == NULL) {
            vs_error("boot: allocating %zu bytes for the value of '%s' "
                     "failed", length, entry->key);
            return VERVE_ERR_NO_MEMORY;
        }
        memcpy(entry->value, value, length);
    }
    entry->length = length;
    ++kvs->count;
    return VERVE_OK;
}

verve_status_t vs_boot_kvs_add(vs_boot_kvs_t *kvs, const char *key,
                               const void *value, size_t length)
{
    if (vs_boot_kvs_find(kvs, key) != NULL) {
        return VERVE_ERR_INVALID_PARAM;
    }
    return vs_boot_kvs_add_n(kvs, key, strlen(key), value, length);
}

size_t vs_boot_kvs_packed_size(const vs_boot_kvs_t *kvs, size_t first)
{
    size_t i, total = 0;

    for (i = first; i < kvs->count; ++i) {
        total += VS_BOOT_KVS_ENTRY_HEADER + strlen(kvs->entries[i].key) +
                 kvs->entries[i].length;
    }
    return total;
}

void vs_boot_kvs_pack(const vs_boot_kvs_t *kvs, size_t first, void *buffer)
{
    uint8_t *p = buffer;
    uint32_t key_length;
    uint64_t length;
    size_t i;

    for (i = first; i < kvs->count; ++i) {
        key_length = (uint32_t)strlen(kvs->entries[i].key);
        length = kvs->entries[i].length;
        memcpy(p, &key_length, sizeof(key_length));
        p += sizeof(key_length);
        memcpy(p, &length, sizeof(length));
        p += sizeof(length);
        memcpy(p, kvs->entries[i].key, key_length);
        p += key_length;
        if (length > 0) {
            memcpy(p, kvs->entries[i].value, length);
            p += length;
        }
    }
}

/* Reads the entry at *offset; returns 0 when it does not fit in length
 * bytes or its key is not a valid key. */
static int vs_boot_kvs_entry_parse(const uint8_t *buffer, size_t length,
                                   size_t *offset, const char **key_p,
                                   size_t *key_length_p,
                                   const uint8_t **value_p,
                                   size_t *value_length_p)
{
    size_t left = length - *offset;
    uint32_t key_length;
    uint64_t value_length;
    const uint8_t *p = buffer + *offset;

    if (left < VS_BOOT_KVS_ENTRY_HEADER) {
        return 0;
    }
    memcpy(&key_length, p, sizeof(key_length));
    memcpy(&value_length, p + sizeof(key_length), sizeof(value_length));
    p += VS_BOOT_KVS_ENTRY_HEADER;
    left -= VS_BOOT_KVS_ENTRY_HEADER;
    if ((key_length == 0) || (key_length >= VERVE_BOOT_KEY_MAX) ||
        (key_length > left) || (value_length > left - key_length) ||
        (memchr(p, '\0', key_length) != NULL)) {
        return 0;
    }
    *key_p = (const char *)p;
    *key_length_p = key_length;
    *value_p = p + key_length;
    *value_length_p = (size_t)value_length;
    *offset += VS_BOOT_KVS_ENTRY_HEADER + key_length + (size_t)value_length;
    return 1;
}

verve_status_t vs_boot_kvs_unpack(vs_boot_kvs_t *kvs, const void *buffer,
                                  size_t length)
{
    char key[VERVE_BOOT_KEY_MAX];
    size_t offset, key_length, value_length, first = kvs->count;
    const uint8_t *value;
    verve_status_t status;
    const char *key_ptr;

    for (offset = 0; offset < length;) {
        if (!vs_boot_kvs_entry_parse(buffer, length, &offset, &key_ptr,
                                     &key_length, &value, &value_length)) {
            vs_error("boot: malformed key-value entry at byte %zu of %zu",
                     offset, length);
            return VERVE_ERR_IO;
        }
        memcpy(key, key_ptr, key_length);
        key[key_length] = '\0';
        if (vs_boot_kvs_find(kvs, key) != NULL) {
            vs_error("boot: key '%s' received twice", key);
            return VERVE_ERR_INVALID_PARAM;
        }
    }

    /* The first pass found every entry whole, and a key twice only across
     * entries already there; a key repeated within the buffer is caught
     * here, with the entries of this buffer taken back out. */
    for (offset = 0; offset < length;) {
        (void)vs_boot_kvs_entry_parse(buffer, length, &offset, &key_ptr,
                                      &key_length, &value, &value_length);
        memcpy(key, key_ptr, key_length);
        key[key_length] = '\0';
        if (vs_boot_kvs_find(kvs, key) != NULL) {
            vs_error("boot: key '%s' received twice", key);
            status = VERVE_ERR_INVALID_PARAM;
            goto err_remove;
        }
        status = vs_boot_kvs_add_n(kvs, key, key_length, value,
                                   value_length);
        if (status != VERVE_OK) {
            goto err_remove;
        }
    }
    return VERVE_OK;

err_remove:
    while (kvs->count > first) {
        free(kvs->entries[--kvs->count].value);
    }
    return status;
}

verve_status_t vs_boot_kvs_copy_out(const void *src, size_t src_length,
                                    void *value, size_t *length_p)
{
    size_t room = *length_p;

    *length_p = src_length;
    if (room < src_length) {
        return VERVE_ERR_MESSAGE_TRUNCATED;
    }
    if (src_length > 0) {
        memcpy(value, src, src_length);
    }
    return VERVE_OK;
}

verve_status_t vs_boot_kvs_op_put(verve_boot_h boot, const char *key,
                                  const void *value, size_t length)
{
    return vs_boot_kvs_add(&boot->kvs[boot->rank], key, value, length);
}

verve_status_t vs_boot_kvs_op_get(verve_boot_h boot, int rank,
                                  const char *key, void *value,
                                  size_t *length_p)
{
    const vs_boot_kvs_entry_t *entry = vs_boot_kvs_find(&boot->kvs[rank],
                                                        key);

    if (entry == NULL) {
        return VERVE_ERR_NO_ELEM;
    }
    return vs_boot_kvs_copy_out(entry->value, entry->length, value,
                                length_p);
}

verve_status_t vs_boot_kvs_op_fence(verve_boot_h boot)
{
    const vs_boot_kvs_t *own = &boot->kvs[boot->rank];
    uint64_t mine, max = 0, *lengths;
    uint8_t *in = NULL, *out = NULL;
    verve_status_t status;
    int r;

    lengths = calloc((size_t)boot->size, sizeof(*lengths));
    if (lengths == NULL) {
        vs_error("boot: rank %d: fence: allocating %d lengths failed",
                 boot->rank, boot->size);
        return VERVE_ERR_NO_MEMORY;
    }
    mine = vs_boot_kvs_packed_size(own, boot->kvs_fenced);
    status = boot->ops->allgather(boot, &mine, sizeof(mine), lengths);
    if (status != VERVE_OK) {
        goto out_free;
    }
    for (r = 0; r < boot->size; ++r) {
        max = (lengths[r] > max) ? lengths[r] : max;
    }
    /* Every rank sees the same lengths, so all of them skip or refuse
     * the second round together. */
    if (max == 0) {
        goto out_free;
    }
    if (max > VS_BOOT_WIRE_MAX_TOTAL / (uint64_t)boot->size) {
        vs_error("boot: rank %d: fence: a rank put %llu bytes since the "
                 "last fence, more than the %llu bytes per rank a job of "
                 "%d can exchange", boot->rank, (unsigned long long)max,
                 (unsigned long long)(VS_BOOT_WIRE_MAX_TOTAL /
                                      (uint64_t)boot->size), boot->size);
        status = VERVE_ERR_NO_RESOURCE;
        goto out_free;
    }

    in = calloc(1, (size_t)max);
    out = malloc((size_t)max * (size_t)boot->size);
    if ((in == NULL) || (out == NULL)) {
        vs_error("boot: rank %d: fence: allocating %llu bytes failed",
                 boot->rank, (unsigned long long)(max * (boot->size + 1)));
        status = VERVE_ERR_NO_MEMORY;
        goto out_free;
    }
    vs_boot_kvs_pack(own, boot->kvs_fenced, in);
    status = boot->ops->allgather(boot, in, (size_t)max, out);
    if (status != VERVE_OK) {
        goto out_free;
    }
    for (r = 0; r < boot->size; ++r) {
        if (r == boot->rank) {
            continue;
        }
        status = vs_boot_kvs_unpack(&boot->kvs[r], out + (size_t)r * max,
                                    (size_t)lengths[r]);
        if (status != VERVE_OK) {
            vs_error("boot: rank %d: fence: the values of rank %d are "
                     "unusable (%s)", boot->rank, r,
                     verve_status_string(status));
            status = VERVE_ERR_IO;
            goto out_free;
        }
    }
    boot->kvs_fenced = own->count;

out_free:
    free(out);
    free(in);
    free(lengths);
    return status;
}
