/*
 * The one hash map: open addressing with linear probing, 64-bit keys to
 * pointers. Every key value is allowed (emptiness is marked by a NULL value,
 * not by a reserved key), which is why values must not be NULL.
 */
#ifndef VS_HASH_H
#define VS_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <verve/verve_status.h>

typedef struct vs_hash_slot {
    uint64_t key;
    void *value;     /* NULL: empty */
    int tombstone;
} vs_hash_slot_t;

typedef struct vs_hash {
    vs_hash_slot_t *slots;
    size_t capacity;  /* power of two */
    size_t count;     /* live entries */
    size_t used;      /* live + tombstones */
} vs_hash_t;

verve_status_t vs_hash_init(vs_hash_t *h, size_t initial_capacity);
void vs_hash_cleanup(vs_hash_t *h);
/* Inserts or replaces; value must not be NULL. */
verve_status_t vs_hash_put(vs_hash_t *h, uint64_t key, void *value);
void *vs_hash_get(const vs_hash_t *h, uint64_t key);
/* Returns the removed value, or NULL. */
void *vs_hash_del(vs_hash_t *h, uint64_t key);
static inline size_t vs_hash_count(const vs_hash_t *h)
{
    return h->count;
}

/* Iteration: for (size_t i = 0; vs_hash_next(h, &i, &k, &v);) */
int vs_hash_next(const vs_hash_t *h, size_t *iter, uint64_t *key_p,
                 void **value_p);

/* Inline: the tag matcher hashes every message and every receive. */
static inline uint64_t vs_hash_u64(uint64_t key)
{
    /* The splitmix64 / MurmurHash3 finaliser: every input bit flips each
     * output bit with probability close to 1/2, so sequential keys (ranks,
     * addresses with equal low bits) spread over the table. */
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9ull;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebull;
    key ^= key >> 31;
    return key;
}

#endif
