/*
 * The layers above the engine: src/am (the protocols) and src/coll (the
 * collectives) keep state per worker and must hear of a worker's birth
 * and death, of endpoints that failed or went, and of the idle timer.
 * The engine names none of their functions: each registers a ve_layer_t
 * once, from a constructor, and workers call what is registered, in
 * registration order (cleanup in reverse).
 */
#ifndef VE_LAYER_H
#define VE_LAYER_H

#include "ve_types.h"

/* What a request is and what it waits for, in words, for the warning
 * about a request that waits too long (VERVE_STALL_WARN). */
typedef struct ve_request_what {
    const char *op;          /* "get (emulated over AM)" */
    const char *waits_for;   /* "the target's reply (...)" */
} ve_request_what_t;

typedef struct ve_layer {
    const char *name;
    /* Before any interface opens (a peer's message may come at once). */
    verve_status_t (*worker_init)(ve_worker_t *worker);
    /* After every endpoint and interface is gone. */
    void (*worker_cleanup)(ve_worker_t *worker);
    /* An endpoint failed; before the user's error callback. */
    void (*ep_failed)(ve_ep_t *ep, verve_status_t status);
    /* An endpoint is going away (closed or destroyed). */
    void (*ep_gone)(ve_ep_t *ep);
    /* The worker's idle timer (every VERVE_FAILURE_CHECK). */
    void (*worker_check)(ve_worker_t *worker, uint64_t now_ns);
    /* Names req if this layer started it: returns 1 with what filled. */
    int (*request_what)(const ve_request_t *req, ve_request_what_t *what);
} ve_layer_t;

/* Registers layer (every hook may be NULL); returns its slot in each
 * worker's layer_data[]. From a constructor: before any worker exists. */
unsigned ve_layer_register(const ve_layer_t *layer);

/* For the engine. */
verve_status_t ve_layers_worker_init(ve_worker_t *worker);
void ve_layers_worker_cleanup(ve_worker_t *worker);
void ve_layers_ep_failed(ve_ep_t *ep, verve_status_t status);
void ve_layers_ep_gone(ve_ep_t *ep);
void ve_layers_worker_check(ve_worker_t *worker, uint64_t now_ns);
/* what->op stays NULL when no layer started req. */
void ve_layers_request_what(const ve_request_t *req, ve_request_what_t *what);

#endif
