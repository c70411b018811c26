/*
 * Tag matching: the protocol layer's queues of posted receives and of
 * unexpected messages, per worker. Tag messages travel on the AM channel
 * flagged VA_AM_FLAG_TAG, so they take every protocol an AM takes; the
 * receive handlers hand them here instead of to a user handler.
 *
 * Order: every posted receive and every unexpected message gets a
 * sequence number. Posted receives are grouped by mask into a few
 * classes (MPI uses four: exact, any source, any tag, both), each a table
 * hashed by tag & mask, so per-tag order is list order within a bucket;
 * receives whose mask finds no free class sit in one list. An arriving
 * message takes the lowest-numbered of the first match in each class and
 * in that list. Unexpected messages sit both in a table by tag (for
 * receives with a full mask) and in one arrival list (for the others).
 * So a message costs a hash lookup per class however many receives are
 * posted, and matching order is posting/arrival order.
 */
#ifndef VA_TAG_H
#define VA_TAG_H

#include <verve/verve_tag.h>
#include "core/ve_types.h"
#include "va_am.h"

/* Buckets of intrusive lists of va_tag_entry_t, hashed by the whole tag;
 * doubles when it holds twice as many entries as buckets. */
typedef struct va_tag_table {
    vs_list_link_t *buckets;
    size_t mask;             /* bucket count - 1 */
    size_t count;
} va_tag_table_t;

verve_status_t va_tag_table_init(va_tag_table_t *table, size_t buckets);
void va_tag_table_cleanup(va_tag_table_t *table);

/* A message that arrived before its receive: eager data (a copy, or the
 * assembled fragments), or a rendezvous descriptor whose sender waits. */
struct verve_tag_message {
    va_tag_entry_t entry;    /* in unexp (by tag) */
    vs_list_link_t all;      /* in unexp_all (arrival order) */
    uint64_t src_uid;
    uint64_t sync_id;        /* eager synchronous: ATS on match; 0: none */
    size_t length;
    va_rndv_desc_t *desc;    /* rendezvous, or NULL */
    void *data;              /* eager payload */
    uint8_t inline_data[];   /* where data points unless it was handed
                                over (fragments) */
};
typedef struct verve_tag_message va_tag_msg_t;

/* Posted receives that share a mask, hashed by tag & mask. */
typedef struct va_tag_class {
    uint64_t mask;
    va_tag_table_t table;
} va_tag_class_t;

#define VA_TAG_CLASSES_MAX 8

struct va_tag_worker {
    va_tag_class_t classes[VA_TAG_CLASSES_MAX];
    unsigned num_classes;
    va_tag_class_t *last_class;  /* the last one posted to: runs of
                                    receives share a mask */
    vs_list_link_t exp_other;    /* posted receives with no class */
    va_tag_table_t unexp;
    vs_list_link_t unexp_all;
    uint64_t next_seq;
};

/* The worker's queues, made at first use; NULL when out of memory. */
va_tag_worker_t *va_tag_worker_create(ve_worker_t *worker);
static inline va_tag_worker_t *va_tag_worker_get(ve_worker_t *worker)
{
    return vs_likely(worker->tag != NULL) ? worker->tag
                                          : va_tag_worker_create(worker);
}

/* Posts a receive request on the expected queues. */
void va_tag_exp_post(va_tag_worker_t *tw, ve_request_t *req);
/* Takes the receive an arriving tag matches, or NULL. */
ve_request_t *va_tag_exp_match(va_tag_worker_t *tw, uint64_t tag);
void va_tag_exp_remove(va_tag_worker_t *tw, ve_request_t *req);

void va_tag_unexp_add(va_tag_worker_t *tw, va_tag_msg_t *msg);
/* The first unexpected message that matches, left in the queues. */
va_tag_msg_t *va_tag_unexp_find(va_tag_worker_t *tw, uint64_t tag,
                                uint64_t mask);
void va_tag_unexp_remove(va_tag_worker_t *tw, va_tag_msg_t *msg);

/* Arrivals, from the AM receive handlers. Eager: returns 1 when it kept
 * data, which it may do only when data_owned (a malloc'ed buffer the
 * caller would free). Rendezvous: always takes the descriptor. */
int va_tag_eager_arrived(ve_worker_t *worker, uint8_t am_flags,
                         const void *header, size_t header_length,
                         void *data, size_t length, int data_owned,
                         uint64_t src_uid);
void va_tag_rndv_arrived(ve_worker_t *worker, uint8_t am_flags,
                         const void *header, size_t header_length,
                         va_rndv_desc_t *desc, uint64_t src_uid);

/* Delivers an unexpected message to a receive: eager data is copied and
 * the status returned; a rendezvous starts and VERVE_INPROGRESS means
 * req completes later. The message is freed. */
verve_status_t va_tag_msg_take(ve_worker_t *worker, va_tag_msg_t *msg,
                               ve_request_t *req);
/* The final status of a receive (truncation), written to the user's
 * recv_info. */
verve_status_t va_tag_recv_status(ve_request_t *req, verve_status_t status);
void va_tag_msg_free(va_tag_msg_t *msg);
/* Frees the worker's queues (worker destroy). */
void va_tag_worker_cleanup(ve_worker_t *worker);
/* ep is going away: rendezvous descriptors it left in the unexpected
 * queue go, their senders told. */
void va_tag_ep_gone(ve_ep_t *ep);

#endif
