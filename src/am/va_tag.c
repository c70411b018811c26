/* Tag matching: the public calls (verve_tag.h). */
#include <string.h>
#include "va_tag.h"
#include "core/ve_ep.h"
#include "core/ve_proto.h"
#include "core/ve_request.h"
#include "core/ve_worker.h"
#include "core/base/log.h"

/* The common case, MPI's small message: contiguous bytes that fit one
 * short transport message with nothing queued ahead. Its prefix has a
 * fixed size, so building it is two stores rather than the general
 * path's checks and copies. VERVE_ERR_NO_RESOURCE: take the general
 * path (which also queues when the transport is full). */
static verve_status_t va_tag_send_short(ve_ep_t *ep, const void *buffer,
                                        size_t length, uint64_t tag)
{
    const va_am_header_t am = {0, VA_AM_FLAG_TAG, sizeof(va_tag_header_t)};
    uint8_t prefix[sizeof(am) + sizeof(va_tag_header_t)];
    verve_status_t status = VERVE_ERR_NO_RESOURCE;

    if (length > 0 && buffer == NULL) {
        return VERVE_ERR_NO_RESOURCE;
    }
    memcpy(prefix, &am, sizeof(am));
    memcpy(prefix + sizeof(am), &tag, sizeof(tag));
    ve_worker_lock(ep->worker);
    if (vs_likely(!(ep->flags & VE_EP_FLAG_FAILED) &&
                  sizeof(prefix) + length <= ep->lane->caps.am_short_max &&
                  !ve_ep_has_pending(ep))) {
        status = ep->vt_ep->iface->ops->ep_am_short(
                ep->vt_ep, VE_AM_EAGER, prefix, sizeof(prefix), buffer,
                length);
    }
    ve_worker_unlock(ep->worker);
    return status;
}

VERVE_API verve_status_t verve_tag_send_nbx(verve_ep_h ep, const void *buffer,
        size_t count, verve_tag_t tag, const verve_request_param_t *param,
        verve_request_h *request_p)
{
    va_tag_header_t header = {tag};
    verve_status_t status;

    if (param == NULL ||
        !(param->op_attr_mask & (VERVE_OP_ATTR_FIELD_DATATYPE |
                                 VERVE_OP_ATTR_FIELD_FLAGS))) {
        status = va_tag_send_short(ep, buffer, count, tag);
        if (status != VERVE_ERR_NO_RESOURCE) {
            return status;
        }
    }
    return va_am_send_flags(ep, 0, VA_AM_FLAG_TAG, &header, sizeof(header),
                            buffer, count, param, request_p);
}

VERVE_API verve_status_t verve_tag_send_sync_nbx(verve_ep_h ep,
        const void *buffer, size_t count, verve_tag_t tag,
        const verve_request_param_t *param, verve_request_h *request_p)
{
    /* req_id is written by the send, once the request exists. */
    va_tag_sync_header_t header = {tag, 0};

    return va_am_send_flags(ep, 0, VA_AM_FLAG_TAG | VA_AM_FLAG_SYNC,
                            &header, sizeof(header), buffer, count, param,
                            request_p);
}

static verve_status_t va_tag_recv_check(const char *func, void *buffer,
                                        size_t length,
                                        const verve_request_param_t *param)
{
    if ((buffer == NULL && length > 0) ||
        (param != NULL &&
         (param->op_attr_mask & VERVE_OP_ATTR_FIELD_DATATYPE) &&
         param->datatype != VERVE_DATATYPE_CONTIG)) {
        vs_error("%s: invalid arguments (buffer %p of %zu bytes, a "
                 "receive takes contiguous bytes only)", func, buffer,
                 length);
        return VERVE_ERR_INVALID_PARAM;
    }
    return VERVE_OK;
}

static void va_tag_info_write(verve_tag_recv_info_t *info, uint64_t tag,
                              size_t length)
{
    if (info != NULL) {
        info->sender_tag = tag;
        info->length = length;
    }
}

static verve_tag_recv_info_t *va_tag_param_info(
        const verve_request_param_t *param)
{
    return (param != NULL &&
            (param->op_attr_mask & VERVE_OP_ATTR_FIELD_RECV_INFO)) ?
           param->recv_info : NULL;
}

/* Receives an unexpected message that left the queues: eager data in
 * place with no request; a rendezvous through one. */
/* The request a rendezvous message needs, taken before the message
 * leaves the queue (or its handle is consumed): without one, the message
 * stays where it was and NO_MEMORY is returned, nothing lost. NULL (and
 * VERVE_OK) for eager data, which completes in place. */
static verve_status_t va_tag_msg_request(ve_worker_t *worker,
                                         const va_tag_msg_t *msg,
                                         const verve_request_param_t *param,
                                         ve_request_t **req_p)
{
    *req_p = NULL;
    if (msg->desc == NULL) {
        return VERVE_OK;
    }
    *req_p = ve_request_get(worker, NULL, param);
    return (*req_p == NULL) ? VERVE_ERR_NO_MEMORY : VERVE_OK;
}

/* Receives msg, out of the queues, into buffer; req from
 * va_tag_msg_request. */
static verve_status_t va_tag_msg_recv(ve_worker_t *worker, va_tag_msg_t *msg,
                                      ve_request_t *req, void *buffer,
                                      size_t length,
                                      const verve_request_param_t *param,
                                      verve_request_h *request_p)
{
    ve_request_t req_on_stack;
    verve_status_t status;

    if (req == NULL) {
        /* Only the fields va_tag_msg_take uses for eager data. */
        req = &req_on_stack;
        req->tag.buffer = buffer;
        req->tag.length = length;
        req->tag.info = va_tag_param_info(param);
        status = va_tag_msg_take(worker, msg, req);
        return va_tag_recv_status(req, status);
    }
    req->flags |= VE_REQ_FLAG_TAG_RECV;
    req->tag.buffer = buffer;
    req->tag.length = length;
    req->tag.posted = 0;
    req->tag.info = va_tag_param_info(param);
    status = va_tag_msg_take(worker, msg, req);
    if (status != VERVE_INPROGRESS) {
        status = va_tag_recv_status(req, status);
    }
    return ve_request_return(req, status, request_p);
}

VERVE_API verve_status_t verve_tag_recv_nbx(verve_worker_h worker,
        void *buffer, size_t length, verve_tag_t tag, verve_tag_t tag_mask,
        const verve_request_param_t *param, verve_request_h *request_p)
{
    verve_status_t status;
    va_tag_worker_t *tw;
    ve_request_t *req;
    va_tag_msg_t *msg;

    status = va_tag_recv_check("verve_tag_recv_nbx", buffer, length, param);
    if (status != VERVE_OK) {
        return status;
    }
    ve_worker_lock(worker);
    tw = va_tag_worker_get(worker);
    if (tw == NULL) {
        status = VERVE_ERR_NO_MEMORY;
        goto out;
    }
    tag &= tag_mask;
    msg = (tw->unexp.count > 0) ? va_tag_unexp_find(tw, tag, tag_mask)
                                : NULL;
    if (msg != NULL) {
        status = va_tag_msg_request(worker, msg, param, &req);
        if (status == VERVE_OK) {
            va_tag_unexp_remove(tw, msg);
            status = va_tag_msg_recv(worker, msg, req, buffer, length, param,
                                     request_p);
        }
        goto out;
    }
    req = ve_request_get(worker, NULL, param);
    if (req == NULL) {
        status = VERVE_ERR_NO_MEMORY;
        goto out;
    }
    req->flags |= VE_REQ_FLAG_TAG_RECV;
    req->tag.entry.tag = tag;
    req->tag.mask = tag_mask;
    req->tag.buffer = buffer;
    req->tag.length = length;
    req->tag.info = va_tag_param_info(param);
    req->tag.sender_tag = 0;
    req->tag.sender_length = 0;
    va_tag_exp_post(tw, req);
    status = ve_request_return(req, VERVE_INPROGRESS, request_p);
out:
    ve_worker_unlock(worker);
    return status;
}

VERVE_API verve_status_t verve_tag_probe_nb(verve_worker_h worker,
        verve_tag_t tag, verve_tag_t tag_mask, int remove,
        verve_tag_recv_info_t *info, verve_tag_message_h *message_p)
{
    verve_status_t status = VERVE_ERR_NO_ELEM;
    va_tag_worker_t *tw;
    va_tag_msg_t *msg;

    if (remove && message_p == NULL) {
        return VERVE_ERR_INVALID_PARAM;
    }
    ve_worker_lock(worker);
    tw = va_tag_worker_get(worker);
    if (tw == NULL) {
        status = VERVE_ERR_NO_MEMORY;
        goto out;
    }
    msg = va_tag_unexp_find(tw, tag & tag_mask, tag_mask);
    if (msg != NULL) {
        va_tag_info_write(info, msg->entry.tag, msg->length);
        if (remove) {
            va_tag_unexp_remove(tw, msg);
            *message_p = msg;
        }
        status = VERVE_OK;
    }
out:
    ve_worker_unlock(worker);
    return status;
}

VERVE_API verve_status_t verve_tag_msg_recv_nbx(verve_worker_h worker,
        void *buffer, size_t length, verve_tag_message_h message,
        const verve_request_param_t *param, verve_request_h *request_p)
{
    verve_status_t status;
    ve_request_t *req;

    if (message == NULL) {
        return VERVE_ERR_INVALID_PARAM;
    }
    status = va_tag_recv_check("verve_tag_msg_recv_nbx", buffer, length,
                               param);
    if (status != VERVE_OK) {
        return status;
    }
    ve_worker_lock(worker);
    status = va_tag_msg_request(worker, message, param, &req);
    if (status == VERVE_OK) {
        status = va_tag_msg_recv(worker, message, req, buffer, length, param,
                                 request_p);
    }
    ve_worker_unlock(worker);
    return status;
}

VERVE_API verve_status_t verve_tag_recv_cancel(verve_worker_h worker,
        verve_request_h request)
{
    ve_request_t *req = request;
    verve_status_t status;

    if (req == NULL || req->worker != worker) {
        return VERVE_ERR_INVALID_PARAM;
    }
    /* flags and posted change under the lock, from progress in another
     * thread too */
    ve_worker_lock(worker);
    if (!(req->flags & VE_REQ_FLAG_TAG_RECV)) {
        status = VERVE_ERR_INVALID_PARAM;
    } else if (req->tag.posted) {
        va_tag_exp_remove(worker->tag, req);
        ve_request_complete(req, va_tag_recv_status(req,
                                                    VERVE_ERR_CANCELED));
        status = VERVE_OK;
    } else {
        status = VERVE_ERR_BUSY;
    }
    ve_worker_unlock(worker);
    return status;
}
