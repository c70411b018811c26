/* Requests: allocation from the worker's pool, completion, reply ids. */
#ifndef VE_REQUEST_H
#define VE_REQUEST_H

#include "ve_types.h"

/* NULL when out of memory. The request starts VERVE_INPROGRESS. */
ve_request_t *ve_request_get(ve_worker_t *worker, ve_ep_t *ep,
                             const verve_request_param_t *param);
/* Runs the callback and releases the request if the user freed it (or it
 * is internal). Must be called once. */
void ve_request_complete(ve_request_t *req, verve_status_t status);
/* Hands a started request to the user: INPROGRESS sets *request_p, any
 * other status completes and releases it in place. */
verve_status_t ve_request_return(ve_request_t *req, verve_status_t status,
                                 verve_request_h *request_p);
/* Marks a request internal: released on completion. */
void ve_request_set_internal(ve_request_t *req);

/* Reply matching: an id a peer echoes back, checked on arrival so a
 * stale or forged id from the wire finds nothing. Adding is idempotent
 * (a queued send retried keeps its id); completion removes it. */
verve_status_t ve_request_add_id(ve_request_t *req);
ve_request_t *ve_request_find_id(ve_worker_t *worker, uint64_t id);

#endif
