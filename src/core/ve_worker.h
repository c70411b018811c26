/* Worker internals shared by the engine and the protocol layer. */
#ifndef VE_WORKER_H
#define VE_WORKER_H

#include "ve_types.h"

/* Serialises API calls in VERVE_THREAD_MODE_MULTI. The mutex is recursive:
 * AM handlers run inside progress and may call the API. */
static inline void ve_worker_lock(ve_worker_t *worker)
{
    if (worker->thread_mode == VERVE_THREAD_MODE_MULTI) {
        pthread_mutex_lock(&worker->lock);
    }
}

static inline void ve_worker_unlock(ve_worker_t *worker)
{
    if (worker->thread_mode == VERVE_THREAD_MODE_MULTI) {
        pthread_mutex_unlock(&worker->lock);
    }
}

unsigned ve_worker_progress(ve_worker_t *worker);

/* Installs the handler of the protocol layer's second AM channel
 * (VA_AM_FLAG_COLL), for the layer that uses it. */
void ve_worker_set_chan(ve_worker_t *worker, verve_am_recv_cb_t cb,
                        void *arg);
/* Adds progress(arg) to every progress call of the worker, until removed:
 * for an upper layer waiting on something no transport reports.
 * VERVE_ERR_NO_RESOURCE when VE_MAX_LAYER_POLLS are in use. Removing one
 * from inside its own call is allowed. */
verve_status_t ve_worker_poll_add(ve_worker_t *worker,
                                  unsigned (*progress)(void *arg), void *arg);
void ve_worker_poll_remove(ve_worker_t *worker,
                           unsigned (*progress)(void *arg), void *arg);

/* A random non-zero 64-bit id: worker uids and memory key ids, which must
 * not repeat across processes and runs. */
uint64_t ve_random_id(void);

/* Worker address: magic, version, uid, then one entry per interface. */
verve_status_t ve_address_pack(ve_worker_t *worker, void **address_p,
                               size_t *length_p);
typedef struct ve_address_entry {
    uint8_t component_id;
    const void *address;
    size_t length;
} ve_address_entry_t;
/* Checks the bytes (they come from a peer) and lists the entries. */
verve_status_t ve_address_unpack(const void *address, size_t length,
                                 uint64_t *uid_p, ve_address_entry_t *entries,
                                 unsigned max_entries, unsigned *count_p);

#endif
