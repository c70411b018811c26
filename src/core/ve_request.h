/* Requests: allocation from the worker's pool, completion, reply ids. */
#ifndef VE_REQUEST_H
#define VE_REQUEST_H

#include "ve_types.h"
#include "core/base/compiler.h"
#include "core/base/list.h"
#include "core/base/mpool.h"

void ve_request_no_memory(ve_worker_t *worker);
/* Runs the callback and releases the request if the user freed it (or it
 * is internal). Must be called once. */
void ve_request_complete(ve_request_t *req, verve_status_t status);

/* NULL when out of memory. The request starts VERVE_INPROGRESS. Inline:
 * every operation takes one, and the call cost as much as the work. */
static inline ve_request_t *ve_request_get(ve_worker_t *worker, ve_ep_t *ep,
                                           const verve_request_param_t *param)
{
    ve_request_t *req = vs_mpool_get(&worker->req_mp);

    if (vs_unlikely(req == NULL)) {
        ve_request_no_memory(worker);
        return NULL;
    }
    req->status = VERVE_INPROGRESS;
    req->flags = 0;
    req->cb = NULL;
    req->user_data = NULL;
    req->worker = worker;
    req->ep = ep;
    req->id = 0;
    req->send = NULL;
    req->first_error = VERVE_OK;
    vs_list_init(&req->list);
    if (param != NULL) {
        if (param->op_attr_mask & VERVE_OP_ATTR_FIELD_CALLBACK) {
            req->cb = param->cb;
        }
        if (param->op_attr_mask & VERVE_OP_ATTR_FIELD_USER_DATA) {
            req->user_data = param->user_data;
        }
    }
    return req;
}
/* Hands a started request to the user: INPROGRESS sets *request_p, any
 * other status completes and releases it in place. */
static inline verve_status_t ve_request_return(ve_request_t *req,
                                               verve_status_t status,
                                               verve_request_h *request_p)
{
    if (status == VERVE_INPROGRESS) {
        /* The callback runs only for requests handed to the user: one that
         * completes here reports through the return value instead. */
        req->flags |= VE_REQ_FLAG_CALLBACK;
        if (request_p != NULL) {
            *request_p = req;
        } else {
            req->flags |= VE_REQ_FLAG_RELEASED;
        }
        return status;
    }
    req->flags |= VE_REQ_FLAG_RELEASED;
    ve_request_complete(req, status);
    return status;
}
/* Marks a request internal: released on completion. */
void ve_request_set_internal(ve_request_t *req);

/* Reply matching: an id a peer echoes back, checked on arrival so a
 * stale or forged id from the wire finds nothing. Adding is idempotent
 * (a queued send retried keeps its id); completion removes it. */
verve_status_t ve_request_add_id(ve_request_t *req);
ve_request_t *ve_request_find_id(ve_worker_t *worker, uint64_t id);

#endif
