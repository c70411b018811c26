/* Request life cycle. */
#include <stdlib.h>
#include "ve_request.h"
#include "ve_worker.h"
#include "core/base/log.h"

void ve_request_no_memory(ve_worker_t *worker)
{
    vs_error("worker %016llx: out of memory for a request",
             (unsigned long long)worker->uid);
}

static void ve_request_release(ve_request_t *req)
{
    if (req->flags & VE_REQ_FLAG_HEADER_ALLOC) {
        free(req->am.header);
    }
    if (req->flags & VE_REQ_FLAG_BUFFER_ALLOC) {
        free((void *)req->am.buffer);
    }
    vs_mpool_put(req);
}

/* A rendezvous's registration or the key it read through: the lane's
 * component is reached while the ep still exists, which completion
 * guarantees and a later release would not. */
static void ve_request_release_rndv(ve_request_t *req)
{
    const vt_component_t *component = req->ep->lane->component;

    if (req->flags & VE_REQ_FLAG_RNDV_MEMH) {
        component->mem_dereg(req->am.rndv_memh);
    }
    if (req->flags & VE_REQ_FLAG_RNDV_RKEY) {
        component->rkey_release(req->rndv.rkey);
    }
    req->flags &= ~(VE_REQ_FLAG_RNDV_MEMH | VE_REQ_FLAG_RNDV_RKEY);
}

void ve_request_complete(ve_request_t *req, verve_status_t status)
{
    if (vs_unlikely(req->flags & (VE_REQ_FLAG_RNDV_MEMH |
                                  VE_REQ_FLAG_RNDV_RKEY))) {
        ve_request_release_rndv(req);
    }
    req->status = status;
    req->flags |= VE_REQ_FLAG_COMPLETED;
    if (req->id != 0) {
        vs_hash_del(&req->worker->reqs_by_id, req->id);
        req->id = 0;
    }
    if ((req->flags & VE_REQ_FLAG_CALLBACK) && req->cb != NULL) {
        /* The callback may free the request: it is released below. */
        req->flags |= VE_REQ_FLAG_IN_CALLBACK;
        req->cb(req, status, req->user_data);
        req->flags &= ~VE_REQ_FLAG_IN_CALLBACK;
    }
    if (req->flags & VE_REQ_FLAG_RELEASED) {
        ve_request_release(req);
    }
}

void ve_request_set_internal(ve_request_t *req)
{
    req->flags |= VE_REQ_FLAG_RELEASED;
}

verve_status_t ve_request_add_id(ve_request_t *req)
{
    ve_worker_t *worker = req->worker;

    if (req->id != 0) {
        return VERVE_OK;
    }
    req->id = ++worker->next_req_id;
    if (vs_hash_put(&worker->reqs_by_id, req->id, req) != VERVE_OK) {
        req->id = 0;
        return VERVE_ERR_NO_MEMORY;
    }
    return VERVE_OK;
}

ve_request_t *ve_request_find_id(ve_worker_t *worker, uint64_t id)
{
    return (id == 0) ? NULL : vs_hash_get(&worker->reqs_by_id, id);
}

VERVE_API verve_status_t verve_request_test(verve_request_h request)
{
    ve_request_t *req = request;
    ve_worker_t *worker = req->worker;
    verve_status_t status;

    ve_worker_lock(worker);
    if (!(req->flags & VE_REQ_FLAG_COMPLETED)) {
        ve_worker_progress(worker);
    }
    status = (req->flags & VE_REQ_FLAG_COMPLETED) ? req->status
                                                  : VERVE_INPROGRESS;
    ve_worker_unlock(worker);
    return status;
}

VERVE_API verve_status_t verve_request_wait(verve_worker_h worker,
                                            verve_request_h request)
{
    ve_request_t *req = request;
    verve_status_t status;
    unsigned spins = 0;

    ve_worker_lock(worker);
    while (!(req->flags & VE_REQ_FLAG_COMPLETED)) {
        if (ve_worker_progress(worker) != 0) {
            spins = 0;
            continue;
        }
        if (++spins >= worker->context->config.spin_count &&
            (worker->context->features & VERVE_FEATURE_WAKEUP)) {
            /* A short timeout bounds the cost of a wakeup we cannot be
             * told about (a peer on a transport without events). The
             * lock is recursive: wait releases its own hold only. */
            ve_worker_unlock(worker);
            verve_worker_wait(worker, 10);
            ve_worker_lock(worker);
            spins = 0;
        } else if (worker->thread_mode == VERVE_THREAD_MODE_MULTI) {
            /* let the other threads of this worker in */
            ve_worker_unlock(worker);
            ve_worker_lock(worker);
        }
    }
    status = req->status;
    ve_worker_unlock(worker);
    return status;
}

VERVE_API void verve_request_free(verve_request_h request)
{
    ve_request_t *req = request;
    ve_worker_t *worker = req->worker;

    ve_worker_lock(worker);
    if ((req->flags & VE_REQ_FLAG_COMPLETED) &&
        !(req->flags & VE_REQ_FLAG_IN_CALLBACK)) {
        ve_request_release(req);
    } else {
        req->flags |= VE_REQ_FLAG_RELEASED;
    }
    ve_worker_unlock(worker);
}
