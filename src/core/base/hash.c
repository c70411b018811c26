/*
 * Open-addressing hash map with linear probing. A deleted entry leaves a
 * tombstone so that probes for keys inserted after it still walk past;
 * tombstones count towards the load, and a resize drops them.
 */
#include "hash.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

#define VS_HASH_MIN_CAPACITY 8
/* Load factor limit, as a fraction: past 70% linear probing chains grow
 * quickly. */
#define VS_HASH_LOAD_NUM 7
#define VS_HASH_LOAD_DEN 10

static int vs_hash_slot_is_live(const vs_hash_slot_t *slot)
{
    return slot->value != NULL;
}

static int vs_hash_slot_is_empty(const vs_hash_slot_t *slot)
{
    return (slot->value == NULL) && !slot->tombstone;
}

static size_t vs_hash_round_capacity(size_t capacity)
{
    size_t rounded = VS_HASH_MIN_CAPACITY;

    while ((rounded < capacity) && (rounded <= SIZE_MAX / 2)) {
        rounded *= 2;
    }
    return rounded;
}

verve_status_t vs_hash_init(vs_hash_t *h, size_t initial_capacity)
{
    size_t capacity = vs_hash_round_capacity(initial_capacity);
    vs_hash_slot_t *slots;

    slots = calloc(capacity, sizeof(*slots));
    if (slots == NULL) {
        vs_error("hash: failed to allocate %zu slots", capacity);
        return VERVE_ERR_NO_MEMORY;
    }
    h->slots = slots;
    h->capacity = capacity;
    h->count = 0;
    h->used = 0;
    return VERVE_OK;
}

void vs_hash_cleanup(vs_hash_t *h)
{
    free(h->slots);
    h->slots = NULL;
    h->capacity = 0;
    h->count = 0;
    h->used = 0;
}

/* Index of the live slot holding key, or of the slot where it would go:
 * the first tombstone on its probe sequence, else the empty slot that ends
 * it. The load limit guarantees an empty slot exists. */
static size_t vs_hash_probe(const vs_hash_t *h, uint64_t key, int *found_p)
{
    const size_t mask = h->capacity - 1;
    size_t tombstone = SIZE_MAX;
    const vs_hash_slot_t *slot;
    size_t i;

    for (i = vs_hash_u64(key) & mask;; i = (i + 1) & mask) {
        slot = &h->slots[i];
        if (vs_hash_slot_is_empty(slot)) {
            *found_p = 0;
            return (tombstone != SIZE_MAX) ? tombstone : i;
        }
        if (slot->tombstone) {
            if (tombstone == SIZE_MAX) {
                tombstone = i;
            }
        } else if (slot->key == key) {
            *found_p = 1;
            return i;
        }
    }
}

static verve_status_t vs_hash_resize(vs_hash_t *h, size_t capacity)
{
    vs_hash_slot_t *old_slots = h->slots;
    size_t old_capacity = h->capacity;
    vs_hash_slot_t *slots;
    size_t i, j;
    int found;

    slots = calloc(capacity, sizeof(*slots));
    if (slots == NULL) {
        vs_error("hash: failed to grow from %zu to %zu slots (%zu entries)",
                 old_capacity, capacity, h->count);
        return VERVE_ERR_NO_MEMORY;
    }
    h->slots = slots;
    h->capacity = capacity;
    h->used = h->count;
    for (i = 0; i < old_capacity; ++i) {
        if (vs_hash_slot_is_live(&old_slots[i])) {
            j = vs_hash_probe(h, old_slots[i].key, &found);
            h->slots[j] = old_slots[i];
        }
    }
    free(old_slots);
    return VERVE_OK;
}

static int vs_hash_has_room(const vs_hash_t *h)
{
    return (h->used + 1) * VS_HASH_LOAD_DEN <= h->capacity * VS_HASH_LOAD_NUM;
}

/* Rehashes into a table with room for more entries within the load
 * limit. */
static verve_status_t vs_hash_rehash(vs_hash_t *h)
{
    size_t capacity = h->capacity;

    /* Double when live entries fill over half of the limit; otherwise the
     * load is mostly tombstones, and rehashing at the same size clears
     * them without growing a map that only churns. */
    if ((h->count + 1) * VS_HASH_LOAD_DEN * 2 >
        capacity * VS_HASH_LOAD_NUM) {
        if (capacity > SIZE_MAX / 2 / sizeof(vs_hash_slot_t)) {
            vs_error("hash: cannot grow past %zu slots", capacity);
            return VERVE_ERR_NO_MEMORY;
        }
        capacity *= 2;
    }
    return vs_hash_resize(h, capacity);
}

verve_status_t vs_hash_put(vs_hash_t *h, uint64_t key, void *value)
{
    verve_status_t status;
    vs_hash_slot_t *slot;
    int found;
    size_t i;

    if (value == NULL) {
        vs_error("hash: put of key 0x%llx with a NULL value (NULL means "
                 "absent)", (unsigned long long)key);
        return VERVE_ERR_INVALID_PARAM;
    }
    if (h->slots == NULL) {
        vs_error("hash: put of key 0x%llx into a map that was cleaned up",
                 (unsigned long long)key);
        return VERVE_ERR_INVALID_PARAM;
    }

    i = vs_hash_probe(h, key, &found);
    if (found) {
        h->slots[i].value = value;
        return VERVE_OK;
    }

    /* Only filling an empty slot raises the load; reusing a tombstone
     * does not. */
    if (vs_hash_slot_is_empty(&h->slots[i]) && !vs_hash_has_room(h)) {
        status = vs_hash_rehash(h);
        if (status != VERVE_OK) {
            return status;
        }
        i = vs_hash_probe(h, key, &found);
    }
    if (vs_hash_slot_is_empty(&h->slots[i])) {
        ++h->used;
    }
    slot = &h->slots[i];
    slot->key = key;
    slot->value = value;
    slot->tombstone = 0;
    ++h->count;
    return VERVE_OK;
}

void *vs_hash_get(const vs_hash_t *h, uint64_t key)
{
    int found;
    size_t i;

    if (h->slots == NULL) {
        return NULL;
    }
    i = vs_hash_probe(h, key, &found);
    return found ? h->slots[i].value : NULL;
}

void *vs_hash_del(vs_hash_t *h, uint64_t key)
{
    vs_hash_slot_t *slot;
    void *value;
    int found;
    size_t i;

    if (h->slots == NULL) {
        return NULL;
    }
    i = vs_hash_probe(h, key, &found);
    if (!found) {
        return NULL;
    }
    slot = &h->slots[i];
    value = slot->value;
    slot->value = NULL;
    slot->tombstone = 1;
    --h->count;
    return value;
}

int vs_hash_next(const vs_hash_t *h, size_t *iter, uint64_t *key_p,
                 void **value_p)
{
    for (size_t i = *iter; i < h->capacity; ++i) {
        if (vs_hash_slot_is_live(&h->slots[i])) {
            *key_p = h->slots[i].key;
            *value_p = h->slots[i].value;
            *iter = i + 1;
            return 1;
        }
    }
    *iter = h->capacity;
    return 0;
}
