/* Public endpoint calls. */
#include <stdlib.h>
#include "ve_ep.h"
#include "ve_request.h"
#include "ve_worker.h"
#include "core/base/log.h"

VERVE_API verve_status_t verve_ep_create(verve_worker_h worker,
        const verve_ep_params_t *params, verve_ep_h *ep_p)
{
    verve_status_t status;
    ve_ep_t *ep;

    if (params == NULL || ep_p == NULL ||
        !(params->field_mask & VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS)) {
        vs_error("verve_ep_create: the remote worker address is required");
        return VERVE_ERR_INVALID_PARAM;
    }
    ve_worker_lock(worker);
    status = ve_ep_create_internal(worker, params->address,
                                   params->address_length, &ep);
    if (status == VERVE_OK) {
        ep->flags |= VE_EP_FLAG_USER;
        if (params->field_mask & VERVE_EP_PARAM_FIELD_ERR_HANDLER) {
            ep->err_cb = params->err_cb;
            ep->err_arg = params->err_arg;
        }
        if (params->field_mask & VERVE_EP_PARAM_FIELD_USER_DATA) {
            ep->user_data = params->user_data;
        }
        *ep_p = ep;
    }
    ve_worker_unlock(worker);
    return status;
}

VERVE_API void *verve_ep_user_data(verve_ep_h ep)
{
    return ep->user_data;
}

VERVE_API verve_status_t verve_ep_close_nbx(verve_ep_h ep,
        verve_ep_close_mode_t mode, const verve_request_param_t *param,
        verve_request_h *request_p)
{
    ve_worker_t *worker = ep->worker;
    verve_status_t status = VERVE_OK;
    ve_request_t *req;

    ve_worker_lock(worker);
    if (mode == VERVE_EP_CLOSE_FORCE || (ep->flags & VE_EP_FLAG_FAILED)) {
        ve_ep_destroy(ep, VERVE_ERR_CANCELED);
        goto out;
    }
    req = ve_request_get(worker, ep, param);
    if (req == NULL) {
        status = VERVE_ERR_NO_MEMORY;
        goto out;
    }
    req->flags |= VE_REQ_FLAG_CLOSE;
    ep->flags |= VE_EP_FLAG_CLOSING;
    status = ve_ep_flush(ep, req);
    if (status != VERVE_INPROGRESS) {
        ve_ep_destroy(ep, VERVE_ERR_CANCELED);
    }
    status = ve_request_return(req, status, request_p);
out:
    ve_worker_unlock(worker);
    return status;
}

VERVE_API verve_status_t verve_ep_flush_nbx(verve_ep_h ep,
        const verve_request_param_t *param, verve_request_h *request_p)
{
    ve_worker_t *worker = ep->worker;
    verve_status_t status;
    ve_request_t *req;

    ve_worker_lock(worker);
    req = ve_request_get(worker, ep, param);
    if (req == NULL) {
        status = VERVE_ERR_NO_MEMORY;
    } else {
        status = ve_request_return(req, ve_ep_flush(ep, req), request_p);
    }
    ve_worker_unlock(worker);
    return status;
}

/* A worker flush is one flush request per endpoint under a parent request
 * that counts them down. */
typedef struct ve_worker_flush {
    ve_request_t *parent;
    int count;
    verve_status_t status;
} ve_worker_flush_t;

static void ve_worker_flush_cb(verve_request_h request, verve_status_t status,
                               void *user_data)
{
    ve_worker_flush_t *flush = user_data;
    (void)request;
    if (status != VERVE_OK && flush->status == VERVE_OK) {
        flush->status = status;
    }
    if (--flush->count == 0) {
        ve_request_t *parent = flush->parent;
        verve_status_t final = flush->status;
        free(flush);
        ve_request_complete(parent, final);
    }
}

VERVE_API verve_status_t verve_worker_flush_nbx(verve_worker_h worker,
        const verve_request_param_t *param, verve_request_h *request_p)
{
    verve_request_param_t child_param = {
        .op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                        VERVE_OP_ATTR_FIELD_USER_DATA,
        .cb = ve_worker_flush_cb};
    ve_worker_flush_t *flush;
    verve_status_t status = VERVE_OK;
    vs_list_link_t *link;
    ve_request_t *parent;

    ve_worker_lock(worker);
    parent = ve_request_get(worker, NULL, param);
    flush = calloc(1, sizeof(*flush));
    if (parent == NULL || flush == NULL) {
        free(flush);
        if (parent != NULL) {
            vs_mpool_put(parent);
        }
        ve_worker_unlock(worker);
        return VERVE_ERR_NO_MEMORY;
    }
    flush->parent = parent;
    flush->count = 1; /* held until every endpoint is started */
    child_param.user_data = flush;
    for (link = worker->eps.next; link != &worker->eps; link = link->next) {
        ve_ep_t *ep = vs_list_entry(link, ve_ep_t, list);
        ve_request_t *child = ve_request_get(worker, ep, &child_param);
        verve_status_t child_status;
        if (child == NULL) {
            status = VERVE_ERR_NO_MEMORY;
            break;
        }
        child_status = ve_ep_flush(ep, child);
        if (child_status == VERVE_INPROGRESS) {
            ++flush->count;
            child->flags |= VE_REQ_FLAG_CALLBACK | VE_REQ_FLAG_RELEASED;
        } else {
            vs_mpool_put(child);
            if (child_status != VERVE_OK && status == VERVE_OK) {
                status = child_status;
            }
        }
    }
    flush->status = status;
    if (--flush->count == 0) {
        free(flush);
        status = ve_request_return(parent, status, request_p);
    } else {
        status = ve_request_return(parent, VERVE_INPROGRESS, request_p);
    }
    ve_worker_unlock(worker);
    return status;
}

VERVE_API verve_status_t verve_worker_fence(verve_worker_h worker)
{
    /* Operations that complete in place are already ordered; a fence waits
     * for the ones that need a reply, which is what orders a later
     * operation after them on every lane. */
    verve_request_h req = NULL;
    verve_status_t status = verve_worker_flush_nbx(worker, NULL, &req);
    if (status == VERVE_INPROGRESS) {
        status = verve_request_wait(worker, req);
        verve_request_free(req);
    }
    return status;
}
