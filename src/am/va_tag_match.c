/* Tag matching queues: the hashed table and the ordered lists. */
#include <stdlib.h>
#include "va_tag.h"
#include "core/base/hash.h"
#include "core/base/log.h"

#define VA_TAG_TABLE_MIN 64

static inline vs_list_link_t *va_tag_bucket(const va_tag_table_t *table,
                                     uint64_t tag)
{
    return &table->buckets[vs_hash_u64(tag) & table->mask];
}

verve_status_t va_tag_table_init(va_tag_table_t *table, size_t buckets)
{
    size_t i;

    table->buckets = malloc(buckets * sizeof(*table->buckets));
    if (table->buckets == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    for (i = 0; i < buckets; ++i) {
        vs_list_init(&table->buckets[i]);
    }
    table->mask = buckets - 1;
    table->count = 0;
    return VERVE_OK;
}

void va_tag_table_cleanup(va_tag_table_t *table)
{
    free(table->buckets);
    table->buckets = NULL;
}

/* Entries of one tag share a bucket before and after, and are moved in
 * list order, so per-tag order survives. Out of memory leaves the table
 * as it is: longer chains, nothing lost. */
static vs_noinline void va_tag_table_grow(va_tag_table_t *table)
{
    va_tag_table_t bigger;
    size_t i;

    if (va_tag_table_init(&bigger, (table->mask + 1) * 2) != VERVE_OK) {
        return;
    }
    for (i = 0; i <= table->mask; ++i) {
        vs_list_link_t *bucket = &table->buckets[i];
        while (!vs_list_is_empty(bucket)) {
            va_tag_entry_t *entry = vs_list_entry(bucket->next,
                                                  va_tag_entry_t, link);
            vs_list_del(&entry->link);
            vs_list_add_tail(va_tag_bucket(&bigger, entry->tag),
                             &entry->link);
        }
    }
    bigger.count = table->count;
    va_tag_table_cleanup(table);
    *table = bigger;
}

/* Inlined into the queue operations below, the only callers: on the
 * path of every message, a call costs as much as the work. */
static inline void va_tag_table_add(va_tag_table_t *table,
                                    va_tag_entry_t *entry)
{
    if (vs_unlikely(table->count >= 2 * (table->mask + 1))) {
        va_tag_table_grow(table);
    }
    vs_list_add_tail(va_tag_bucket(table, entry->tag), &entry->link);
    ++table->count;
}

static inline void va_tag_table_del(va_tag_table_t *table,
                                    va_tag_entry_t *entry)
{
    vs_list_del(&entry->link);
    --table->count;
}

/* The first entry added with exactly this tag, or NULL. */
static inline va_tag_entry_t *va_tag_table_first(const va_tag_table_t *table,
                                                 uint64_t tag)
{
    vs_list_link_t *bucket = va_tag_bucket(table, tag), *link;

    for (link = bucket->next; link != bucket; link = link->next) {
        va_tag_entry_t *entry = vs_list_entry(link, va_tag_entry_t, link);
        if (entry->tag == tag) {
            return entry;
        }
    }
    return NULL;
}

va_tag_worker_t *va_tag_worker_create(ve_worker_t *worker)
{
    va_tag_worker_t *tw = calloc(1, sizeof(*tw));

    if (tw == NULL ||
        va_tag_table_init(&tw->unexp, VA_TAG_TABLE_MIN) != VERVE_OK) {
        free(tw);
        vs_error("worker %016llx: out of memory for the tag matching "
                 "queues", (unsigned long long)worker->uid);
        return NULL;
    }
    vs_list_init(&tw->exp_other);
    vs_list_init(&tw->unexp_all);
    worker->tag = tw;
    return tw;
}

/* The class of a mask, made when there is room; NULL: none. */
static va_tag_class_t *va_tag_class_get(va_tag_worker_t *tw, uint64_t mask,
                                        int create)
{
    va_tag_class_t *class = tw->last_class;
    unsigned i;

    if (vs_likely(class != NULL && class->mask == mask)) {
        return class;
    }
    for (i = 0; i < tw->num_classes; ++i) {
        if (tw->classes[i].mask == mask) {
            tw->last_class = &tw->classes[i];
            return tw->last_class;
        }
    }
    if (!create || tw->num_classes == VA_TAG_CLASSES_MAX) {
        return NULL;
    }
    class = &tw->classes[tw->num_classes];
    if (va_tag_table_init(&class->table, VA_TAG_TABLE_MIN) != VERVE_OK) {
        return NULL;
    }
    class->mask = mask;
    ++tw->num_classes;
    tw->last_class = class;
    return class;
}

void va_tag_exp_post(va_tag_worker_t *tw, ve_request_t *req)
{
    va_tag_class_t *class = va_tag_class_get(tw, req->tag.mask, 1);

    req->tag.entry.seq = tw->next_seq++;
    req->tag.posted = 1;
    if (class != NULL) {
        va_tag_table_add(&class->table, &req->tag.entry);
    } else {
        vs_list_add_tail(&tw->exp_other, &req->tag.entry.link);
    }
}

void va_tag_exp_remove(va_tag_worker_t *tw, ve_request_t *req)
{
    va_tag_class_t *class = va_tag_class_get(tw, req->tag.mask, 0);

    if (class != NULL) {
        va_tag_table_del(&class->table, &req->tag.entry);
    } else {
        vs_list_del(&req->tag.entry.link);
    }
    req->tag.posted = 0;
}

ve_request_t *va_tag_exp_match(va_tag_worker_t *tw, uint64_t tag)
{
    va_tag_class_t *class, *found_class = NULL;
    ve_request_t *req = NULL, *other;
    va_tag_entry_t *entry;
    unsigned i;

    for (i = 0; i < tw->num_classes; ++i) {
        class = &tw->classes[i];
        if (class->table.count == 0) {
            continue;
        }
        entry = va_tag_table_first(&class->table, tag & class->mask);
        if (entry != NULL && (req == NULL || entry->seq <
                                             req->tag.entry.seq)) {
            req = vs_container_of(entry, ve_request_t, tag.entry);
            found_class = class;
        }
    }
    vs_list_for_each(other, &tw->exp_other, tag.entry.link) {
        if (((other->tag.entry.tag ^ tag) & other->tag.mask) == 0) {
            if (req == NULL || other->tag.entry.seq < req->tag.entry.seq) {
                req = other;
                found_class = NULL;
            }
            break;
        }
    }
    if (req != NULL) {
        if (found_class != NULL) {
            va_tag_table_del(&found_class->table, &req->tag.entry);
        } else {
            vs_list_del(&req->tag.entry.link);
        }
        req->tag.posted = 0;
    }
    return req;
}

void va_tag_unexp_add(va_tag_worker_t *tw, va_tag_msg_t *msg)
{
    msg->entry.seq = tw->next_seq++;
    va_tag_table_add(&tw->unexp, &msg->entry);
    vs_list_add_tail(&tw->unexp_all, &msg->all);
}

void va_tag_unexp_remove(va_tag_worker_t *tw, va_tag_msg_t *msg)
{
    va_tag_table_del(&tw->unexp, &msg->entry);
    vs_list_del(&msg->all);
}

va_tag_msg_t *va_tag_unexp_find(va_tag_worker_t *tw, uint64_t tag,
                                uint64_t mask)
{
    va_tag_entry_t *entry;
    va_tag_msg_t *msg;

    if (tw->unexp.count == 0) {
        return NULL;
    }
    if (mask == UINT64_MAX) {
        entry = va_tag_table_first(&tw->unexp, tag);
        return (entry == NULL) ? NULL
                               : vs_container_of(entry, va_tag_msg_t, entry);
    }
    vs_list_for_each(msg, &tw->unexp_all, all) {
        if (((msg->entry.tag ^ tag) & mask) == 0) {
            return msg;
        }
    }
    return NULL;
}
