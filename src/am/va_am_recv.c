/* AM receive: eager delivery, rendezvous descriptors, ATS. */
#include <stdlib.h>
#include <string.h>
#include "va_am.h"
#include "core/ve_ep.h"
#include "core/ve_proto.h"
#include "core/ve_request.h"
#include "core/ve_worker.h"
#include "core/base/log.h"

/* What a handler gets as `data` for a rendezvous. */
typedef struct va_rndv_desc {
    ve_worker_t *worker;
    ve_ep_t *ep;            /* back to the sender */
    uint64_t req_id;        /* the sender's request */
    uint64_t address;
    size_t length;
    int in_handler;
    int taken;              /* verve_am_recv_data_nbx was called */
} va_rndv_desc_t;

typedef struct va_reply_args {
    va_reply_t reply;
    uint8_t am_id;
} va_reply_args_t;

static verve_status_t va_reply_send(ve_request_t *req)
{
    vt_ep_t *vt_ep = req->ep->vt_ep;
    return vt_ep->iface->ops->ep_am_short(
            vt_ep, (uint8_t)req->am.id, req->am.header_inline,
            sizeof(va_reply_t), NULL, 0);
}

void va_send_reply(ve_ep_t *ep, uint8_t am_id, const va_reply_t *reply)
{
    verve_status_t status;
    ve_request_t *req;

    if (!ve_ep_has_pending(ep) && !(ep->flags & VE_EP_FLAG_FAILED)) {
        status = ep->vt_ep->iface->ops->ep_am_short(ep->vt_ep, am_id, reply,
                                                    sizeof(*reply), NULL, 0);
        if (status != VERVE_ERR_NO_RESOURCE) {
            return;
        }
    }
    req = ve_request_get(ep->worker, ep, NULL);
    if (req == NULL) {
        vs_error("worker %016llx: reply to %016llx lost: out of memory",
                 (unsigned long long)ep->worker->uid,
                 (unsigned long long)ep->peer->uid);
        return;
    }
    req->am.id = am_id;
    memcpy(req->am.header_inline, reply, sizeof(*reply));
    req->send = va_reply_send;
    ve_request_set_internal(req);
    status = ve_ep_start(req);
    if (status != VERVE_INPROGRESS) {
        ve_request_complete(req, status);
    }
}

static ve_am_handler_t *va_handler_get(ve_worker_t *worker, unsigned id,
                                       uint64_t src_uid)
{
    ve_am_handler_t *handler = &worker->am_handlers[id];
    if (handler->cb == NULL) {
        vs_warn("worker %016llx: AM %u from %016llx dropped: no handler "
                "set for this id", (unsigned long long)worker->uid, id,
                (unsigned long long)src_uid);
        return NULL;
    }
    return handler;
}

void va_eager_handler(void *arg, void *data, size_t length, uint64_t src_uid)
{
    ve_worker_t *worker = arg;
    verve_am_recv_param_t param;
    ve_am_handler_t *handler;
    va_am_header_t am;
    uint8_t *payload;
    size_t payload_length;
    verve_status_t status;

    if (length < sizeof(am)) {
        goto err_malformed;
    }
    memcpy(&am, data, sizeof(am));
    if (am.header_length > length - sizeof(am)) {
        goto err_malformed;
    }
    handler = va_handler_get(worker, am.id, src_uid);
    if (handler == NULL) {
        return;
    }
    payload = (uint8_t *)data + sizeof(am) + am.header_length;
    payload_length = length - sizeof(am) - am.header_length;
    param.recv_attr = VERVE_AM_RECV_ATTR_FLAG_DATA;
    param.reply_ep = ve_ep_for_uid(worker, src_uid);
    if (!(handler->flags & VERVE_AM_FLAG_PERSISTENT_DATA)) {
        handler->cb(handler->arg, (uint8_t *)data + sizeof(am),
                    am.header_length, payload, payload_length, &param);
        return;
    }
    /* The transport reuses its buffer after we return: a handler that may
     * keep the data gets its own copy. */
    {
        void *copy = malloc(payload_length ? payload_length : 1);
        if (copy == NULL) {
            vs_error("worker %016llx: AM %u dropped: out of memory for "
                     "%zu bytes", (unsigned long long)worker->uid, am.id,
                     payload_length);
            return;
        }
        memcpy(copy, payload, payload_length);
        status = handler->cb(handler->arg, (uint8_t *)data + sizeof(am),
                             am.header_length, copy, payload_length, &param);
        if (status != VERVE_INPROGRESS) {
            free(copy);
        }
    }
    return;

err_malformed:
    vs_warn("worker %016llx: dropped a malformed AM of %zu bytes from "
            "%016llx", (unsigned long long)worker->uid, length,
            (unsigned long long)src_uid);
}

VERVE_API void verve_am_data_release(verve_worker_h worker, void *data)
{
    (void)worker;
    free(data);
}

static void va_rndv_finish(va_rndv_desc_t *desc, verve_status_t status)
{
    va_reply_t reply = {desc->req_id, status, 0, 0};
    if (desc->ep != NULL) {
        va_send_reply(desc->ep, VE_AM_ATS, &reply);
    }
}

void va_rts_handler(void *arg, void *data, size_t length, uint64_t src_uid)
{
    ve_worker_t *worker = arg;
    verve_am_recv_param_t param;
    ve_am_handler_t *handler;
    va_rndv_desc_t *desc;
    verve_status_t status;
    va_rts_t rts;

    if (length < sizeof(rts)) {
        goto err_malformed;
    }
    memcpy(&rts, data, sizeof(rts));
    if (rts.am.header_length != length - sizeof(rts)) {
        goto err_malformed;
    }
    desc = calloc(1, sizeof(*desc));
    if (desc == NULL) {
        vs_error("worker %016llx: rendezvous from %016llx dropped: out of "
                 "memory", (unsigned long long)worker->uid,
                 (unsigned long long)src_uid);
        return;
    }
    desc->worker = worker;
    desc->ep = ve_ep_for_uid(worker, src_uid);
    desc->req_id = rts.req_id;
    desc->address = rts.address;
    desc->length = rts.length;
    handler = va_handler_get(worker, rts.am.id, src_uid);
    if (handler == NULL) {
        va_rndv_finish(desc, VERVE_ERR_CANCELED);
        free(desc);
        return;
    }
    param.recv_attr = VERVE_AM_RECV_ATTR_FLAG_RNDV;
    param.reply_ep = desc->ep;
    desc->in_handler = 1;
    status = handler->cb(handler->arg, (uint8_t *)data + sizeof(rts),
                         rts.am.header_length, desc, desc->length, &param);
    desc->in_handler = 0;
    if (desc->taken) {
        free(desc);
    } else if (status != VERVE_INPROGRESS) {
        /* The handler let the data go: the sender completes anyway. */
        va_rndv_finish(desc, VERVE_OK);
        free(desc);
    }
    return;

err_malformed:
    vs_warn("worker %016llx: dropped a malformed rendezvous of %zu bytes "
            "from %016llx", (unsigned long long)worker->uid, length,
            (unsigned long long)src_uid);
}

VERVE_API verve_status_t verve_am_recv_data_nbx(verve_worker_h worker,
        void *data_desc, void *buffer, size_t length,
        const verve_request_param_t *param, verve_request_h *request_p)
{
    va_rndv_desc_t *desc = data_desc;
    vt_remote_buffer_t remote;
    verve_status_t status;
    ve_ep_t *ep;

    (void)param;
    (void)request_p;
    if (desc == NULL || desc->taken || (buffer == NULL && desc->length)) {
        return VERVE_ERR_INVALID_PARAM;
    }
    ve_worker_lock(worker);
    ep = desc->ep;
    if (length < desc->length) {
        vs_error("verve_am_recv_data_nbx: buffer of %zu bytes for a "
                 "%zu-byte message", length, desc->length);
        status = VERVE_ERR_MESSAGE_TRUNCATED;
    } else if (ep == NULL) {
        status = VERVE_ERR_UNREACHABLE;
    } else if (ep->flags & VE_EP_FLAG_FAILED) {
        status = ep->error;
    } else if (desc->length == 0) {
        status = VERVE_OK;
    } else {
        remote.address = desc->address;
        remote.length = desc->length;
        /* Transports here complete get_zcopy in place; one that cannot
         * will need a request with a completion (verbs). */
        status = ep->vt_ep->iface->ops->ep_get_zcopy(
                ep->vt_ep, buffer, desc->length, &remote, NULL);
        if (status == VERVE_INPROGRESS) {
            status = VERVE_ERR_UNSUPPORTED;
        }
    }
    va_rndv_finish(desc, status);
    desc->taken = 1;
    if (!desc->in_handler) {
        free(desc);
    }
    ve_worker_unlock(worker);
    return status;
}

void va_ats_handler(void *arg, void *data, size_t length, uint64_t src_uid)
{
    ve_worker_t *worker = arg;
    ve_request_t *req;
    va_reply_t reply;

    if (length != sizeof(reply)) {
        vs_warn("worker %016llx: dropped a malformed ATS from %016llx",
                (unsigned long long)worker->uid,
                (unsigned long long)src_uid);
        return;
    }
    memcpy(&reply, data, sizeof(reply));
    req = ve_request_find_id(worker, reply.req_id);
    if (req == NULL || req->ep->peer->uid != src_uid) {
        vs_warn("worker %016llx: ATS from %016llx for unknown request %llu",
                (unsigned long long)worker->uid,
                (unsigned long long)src_uid,
                (unsigned long long)reply.req_id);
        return;
    }
    ve_request_take_id(worker, reply.req_id);
    ve_ep_request_done(req, reply.status > 0 ? VERVE_ERR_IO
                                             : (verve_status_t)reply.status);
}
