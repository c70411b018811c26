/* AM receive: eager delivery, rendezvous descriptors, ATS. */
#include <stdlib.h>
#include <string.h>
#include "va_am.h"
#include "va_tag.h"
#include "core/ve_ep.h"
#include "core/ve_proto.h"
#include "core/ve_request.h"
#include "core/ve_worker.h"
#include "core/base/log.h"

static void va_rndv_desc_free(va_rndv_desc_t *desc)
{
    if (desc->rkey != NULL) {
        desc->ep->lane->component->rkey_release(desc->rkey);
    }
    free(desc);
}

/* Inline in one slot when it fits, else a copy send. */
static verve_status_t va_control_post(ve_ep_t *ep, uint8_t am_id,
                                      const void *data, size_t length)
{
    ssize_t packed;

    if (length <= ep->lane->caps.am_short_max) {
        return ep->vt_ep->iface->ops->ep_am_short(ep->vt_ep, am_id, data,
                                                  length, NULL, 0);
    }
    packed = va_send_chunk(ep, am_id, data, length, NULL, 0);
    return (packed < 0) ? (verve_status_t)packed : VERVE_OK;
}

static verve_status_t va_control_send(ve_request_t *req)
{
    return va_control_post(req->ep, (uint8_t)req->am.id,
                           req->am.header_inline, req->am.header_length);
}

void va_send_control(ve_ep_t *ep, uint8_t am_id, const void *data,
                     size_t length)
{
    ve_request_t *req;

    if (!ve_ep_has_pending(ep) && !(ep->flags & VE_EP_FLAG_FAILED) &&
        va_control_post(ep, am_id, data, length) != VERVE_ERR_NO_RESOURCE) {
        return;
    }
    req = ve_request_get(ep->worker, ep, NULL);
    if (req == NULL) {
        vs_error("worker %016llx: reply to %016llx lost: out of memory",
                 (unsigned long long)ep->worker->uid,
                 (unsigned long long)ep->peer->uid);
        return;
    }
    req->am.id = am_id;
    req->am.header_length = length;
    memcpy(req->am.header_inline, data, length);
    req->send = va_control_send;
    ve_ep_start_internal(req);
}

ve_request_t *va_reply_parse(ve_worker_t *worker, const void *data,
                             size_t length, uint64_t src_uid,
                             va_reply_t *reply)
{
    if (length != sizeof(*reply)) {
        vs_warn("worker %016llx: dropped a malformed reply of %zu bytes "
                "from %016llx", (unsigned long long)worker->uid, length,
                (unsigned long long)src_uid);
        return NULL;
    }
    memcpy(reply, data, sizeof(*reply));
    return va_reply_request(worker, reply->req_id, src_uid);
}

ve_request_t *va_reply_request(ve_worker_t *worker, uint64_t req_id,
                               uint64_t src_uid)
{
    ve_request_t *req = ve_request_find_id(worker, req_id);
    if (req == NULL || req->ep->peer->uid != src_uid) {
        vs_warn("worker %016llx: reply from %016llx for unknown request "
                "%llu dropped", (unsigned long long)worker->uid,
                (unsigned long long)src_uid, (unsigned long long)req_id);
        return NULL;
    }
    return req;
}

/* Completes a request with its reply's status, or the first error it
 * recorded on the way. */
void va_request_finish(ve_request_t *req, int32_t reply_status)
{
    if (reply_status != VERVE_OK && req->first_error == VERVE_OK) {
        req->first_error = va_wire_status(reply_status);
    }
    ve_ep_request_done(req, req->first_error);
}

static ve_am_handler_t *va_handler_get(ve_worker_t *worker, unsigned id,
                                       uint8_t am_flags, uint64_t src_uid)
{
    ve_am_handler_t *handler = (am_flags & VA_AM_FLAG_COLL) ?
                               &worker->chan_handler :
                               &worker->am_handlers[id];
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
    payload = (uint8_t *)data + sizeof(am) + am.header_length;
    payload_length = length - sizeof(am) - am.header_length;
    if (am.flags & VA_AM_FLAG_TAG) {
        va_tag_eager_arrived(worker, am.flags, (uint8_t *)data + sizeof(am),
                             am.header_length, payload, payload_length, 0,
                             src_uid);
        return;
    }
    handler = va_handler_get(worker, am.id, am.flags, src_uid);
    if (handler == NULL) {
        return;
    }
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

void va_rndv_drop(va_rndv_desc_t *desc, verve_status_t status)
{
    va_rndv_finish(desc, status);
    va_rndv_desc_free(desc);
}

/* The key of the sender's buffer, unpacked on the lane the read goes
 * through, which must be the sender's kind. */
static verve_status_t va_rts_unpack_key(va_rndv_desc_t *desc,
                                        const va_rts_t *rts,
                                        const void *key)
{
    const vt_component_t *component;
    verve_status_t status;

    if (rts->key_length == 0) {
        return VERVE_OK;
    }
    if (desc->ep == NULL) {
        return VERVE_ERR_UNREACHABLE;
    }
    component = desc->ep->lane->component;
    if (component->id != rts->key_component) {
        vs_error("worker %016llx: rendezvous from %016llx keyed for "
                 "component %u arrived where replies go through %s",
                 (unsigned long long)desc->worker->uid,
                 (unsigned long long)desc->ep->peer->uid,
                 rts->key_component, component->name);
        return VERVE_ERR_UNSUPPORTED;
    }
    status = component->rkey_unpack(desc->ep->lane->iface, key,
                                     rts->key_length, &desc->rkey);
    if (status != VERVE_OK) {
        vs_error("worker %016llx: rendezvous from %016llx: its %s key "
                 "does not unpack: %s", (unsigned long long)desc->worker->uid,
                 (unsigned long long)desc->ep->peer->uid, component->name,
                 verve_status_string(status));
        desc->rkey = NULL;
    }
    return status;
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
    if ((size_t)rts.am.header_length + rts.key_length !=
        length - sizeof(rts)) {
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
    status = va_rts_unpack_key(desc, &rts, (uint8_t *)data + sizeof(rts) +
                               rts.am.header_length);
    if (status != VERVE_OK) {
        va_rndv_drop(desc, status);
        return;
    }
    if (rts.am.flags & VA_AM_FLAG_TAG) {
        va_tag_rndv_arrived(worker, rts.am.flags,
                            (uint8_t *)data + sizeof(rts),
                            rts.am.header_length, desc, src_uid);
        return;
    }
    handler = va_handler_get(worker, rts.am.id, rts.am.flags, src_uid);
    if (handler == NULL) {
        va_rndv_drop(desc, VERVE_ERR_CANCELED);
        return;
    }
    param.recv_attr = VERVE_AM_RECV_ATTR_FLAG_RNDV;
    param.reply_ep = desc->ep;
    desc->in_handler = 1;
    status = handler->cb(handler->arg, (uint8_t *)data + sizeof(rts),
                         rts.am.header_length, desc, desc->length, &param);
    desc->in_handler = 0;
    if (desc->taken) {
        va_rndv_desc_free(desc);
    } else if (status != VERVE_INPROGRESS) {
        /* The handler let the data go: the sender completes anyway. */
        va_rndv_drop(desc, VERVE_OK);
    }
    return;

err_malformed:
    vs_warn("worker %016llx: dropped a malformed rendezvous of %zu bytes "
            "from %016llx", (unsigned long long)worker->uid, length,
            (unsigned long long)src_uid);
}

/* Reads [0, length) of the sender's payload into buffer. */
static verve_status_t va_rndv_read(ve_ep_t *ep, va_rndv_desc_t *desc,
                                   void *buffer, size_t length)
{
    vt_remote_buffer_t remote = {desc->address, length, desc->rkey};
    verve_status_t status;

    /* Transports here complete get_zcopy in place; one that cannot will
     * need a request with a completion (verbs). */
    status = ep->vt_ep->iface->ops->ep_get_zcopy(ep->vt_ep, buffer, length,
                                                 &remote, NULL);
    return (status == VERVE_INPROGRESS) ? VERVE_ERR_UNSUPPORTED : status;
}

/* Lanes that complete later (verbs): the read completes the receive
 * request from progress and sends the ATS then. */
static void va_rndv_read_end(ve_request_t *req, verve_status_t status)
{
    va_reply_t reply = {req->rndv.send_req_id, status, 0, 0};
    va_send_reply(req->ep, VE_AM_ATS, &reply);
}

static void va_rndv_read_done(vt_completion_t *comp, verve_status_t status)
{
    ve_request_t *req = vs_container_of(comp, ve_request_t, rndv.comp);

    req->flags &= ~VE_REQ_FLAG_TRANSPORT;
    va_rndv_read_end(req, status);
    ve_ep_request_done(req, status);
}

static verve_status_t va_rndv_read_send(ve_request_t *req)
{
    ve_ep_t *ep = req->ep;
    vt_remote_buffer_t remote = {req->rndv.address, req->rndv.length,
                                 req->rndv.rkey};
    verve_status_t status;

    req->rndv.comp.func = va_rndv_read_done;
    req->rndv.comp.count = 1;
    req->rndv.comp.status = VERVE_OK;
    req->flags |= VE_REQ_FLAG_TRANSPORT;
    status = ep->vt_ep->iface->ops->ep_get_zcopy(ep->vt_ep,
                                                 req->rndv.buffer,
                                                 req->rndv.length, &remote,
                                                 &req->rndv.comp);
    if (status != VERVE_INPROGRESS) {
        req->flags &= ~VE_REQ_FLAG_TRANSPORT;
        if (status != VERVE_ERR_NO_RESOURCE) {
            va_rndv_read_end(req, status);
        }
    }
    return status;
}

static verve_status_t va_rndv_recv_async(va_rndv_desc_t *desc, void *buffer,
                                         const verve_request_param_t *param,
                                         verve_request_h *request_p)
{
    ve_request_t *req = ve_request_get(desc->worker, desc->ep, param);

    if (req == NULL) {
        va_rndv_finish(desc, VERVE_ERR_NO_MEMORY);
        return VERVE_ERR_NO_MEMORY;
    }
    req->rndv.send_req_id = desc->req_id;
    req->rndv.address = desc->address;
    req->rndv.buffer = buffer;
    req->rndv.length = desc->length;
    req->rndv.rkey = desc->rkey;
    desc->rkey = NULL;
    req->flags |= VE_REQ_FLAG_RNDV_RKEY;
    req->send = va_rndv_read_send;
    return ve_request_return(req, ve_ep_start(req), request_p);
}

/* Both sides copy at once: the sender writes the tail (asked for with
 * RTR) while this side reads the head, which on two cores nearly halves
 * the time of a large message. The request completes with PUT_DONE. */
static verve_status_t va_rndv_recv_split(va_rndv_desc_t *desc, void *buffer,
                                         const verve_request_param_t *param,
                                         verve_request_h *request_p)
{
    ve_ep_t *ep = desc->ep;
    /* page-aligned halves; a threshold set below a page splits nothing */
    size_t head = vs_min(vs_align_up(desc->length / 2, 4096), desc->length);
    ve_request_t *req = ve_request_get(desc->worker, ep, param);
    verve_status_t status;
    va_rtr_t rtr;

    if (req != NULL && ve_request_add_id(req) != VERVE_OK) {
        vs_mpool_put(req);
        req = NULL;
    }
    if (req == NULL) {
        /* The sender waits for an ATS whatever happens here. */
        va_rndv_finish(desc, VERVE_ERR_NO_MEMORY);
        return VERVE_ERR_NO_MEMORY;
    }
    rtr.send_req_id = desc->req_id;
    rtr.recv_req_id = req->id;
    rtr.address = (uint64_t)(uintptr_t)buffer + head;
    rtr.offset = head;
    rtr.length = desc->length - head;
    req->rndv.buffer = (uint8_t *)buffer + head;
    req->rndv.length = rtr.length;
    va_send_control(ep, VE_AM_RTR, &rtr, sizeof(rtr));
    ve_ep_track(req);
    status = va_rndv_read(ep, desc, buffer, head);
    if (status != VERVE_OK) {
        req->first_error = status;
    }
    /* ATS after RTR on the same lane: the sender has written its part by
     * the time it learns that ours is read. */
    va_rndv_finish(desc, status);
    return ve_request_return(req, VERVE_INPROGRESS, request_p);
}

verve_status_t va_rndv_recv(ve_worker_t *worker, va_rndv_desc_t *desc,
                            void *buffer, size_t length,
                            const verve_request_param_t *param,
                            verve_request_h *request_p)
{
    ve_ep_t *ep = desc->ep;
    verve_status_t status;
    int async;

    /* Splitting completes later: only for callers that can be told. */
    async = request_p != NULL ||
            (param != NULL &&
             (param->op_attr_mask & VERVE_OP_ATTR_FIELD_CALLBACK));
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
    } else if (ep->lane->caps.flags & VT_CAP_ASYNC) {
        if (async) {
            status = va_rndv_recv_async(desc, buffer, param, request_p);
            goto out_taken;
        }
        vs_error("verve_am_recv_data_nbx: a rendezvous over %s completes "
                 "later: pass a request pointer or a callback",
                 ep->lane->component->name);
        status = VERVE_ERR_UNSUPPORTED;
    } else if (async &&
               desc->length >= worker->context->config.rndv_split &&
               (ve_ep_caps(ep) & VT_CAP_PUT_ZCOPY)) {
        status = va_rndv_recv_split(desc, buffer, param, request_p);
        goto out_taken;
    } else {
        status = va_rndv_read(ep, desc, buffer, desc->length);
    }
    va_rndv_finish(desc, status);
out_taken:
    desc->taken = 1;
    if (!desc->in_handler) {
        va_rndv_desc_free(desc);
    }
    return status;
}

VERVE_API verve_status_t verve_am_recv_data_nbx(verve_worker_h worker,
        void *data_desc, void *buffer, size_t length,
        const verve_request_param_t *param, verve_request_h *request_p)
{
    va_rndv_desc_t *desc = data_desc;
    verve_status_t status;

    if (desc == NULL || desc->taken || (buffer == NULL && desc->length)) {
        return VERVE_ERR_INVALID_PARAM;
    }
    ve_worker_lock(worker);
    status = va_rndv_recv(worker, desc, buffer, length, param, request_p);
    ve_worker_unlock(worker);
    return status;
}

/* The sender's side of RTR: write the part the receiver asked for. */
void va_rtr_handler(void *arg, void *data, size_t length, uint64_t src_uid)
{
    ve_worker_t *worker = arg;
    va_reply_t done = {0, VERVE_OK, 0, 0};
    vt_remote_buffer_t remote;
    ve_request_t *req;
    va_rtr_t rtr;

    if (length != sizeof(rtr)) {
        return;
    }
    memcpy(&rtr, data, sizeof(rtr));
    req = va_reply_request(worker, rtr.send_req_id, src_uid);
    if (req == NULL) {
        return;
    }
    if (rtr.offset > req->am.length ||
        rtr.length > req->am.length - rtr.offset) {
        vs_warn("worker %016llx: RTR from %016llx for [%llu, +%llu) of a "
                "%zu-byte message dropped", (unsigned long long)worker->uid,
                (unsigned long long)src_uid,
                (unsigned long long)rtr.offset,
                (unsigned long long)rtr.length, req->am.length);
        return;
    }
    remote.address = rtr.address;
    remote.length = rtr.length;
    remote.rkey = NULL;   /* RTR is used only on lanes without keys */
    done.req_id = rtr.recv_req_id;
    done.status = req->ep->vt_ep->iface->ops->ep_put_zcopy(
            req->ep->vt_ep, (const uint8_t *)req->am.buffer + rtr.offset,
            rtr.length, &remote, NULL);
    if (done.status != VERVE_OK) {
        req->first_error = done.status;
    }
    va_send_reply(req->ep, VE_AM_PUT_DONE, &done);
}

/* The sender wrote the tail of a split rendezvous into our buffer. */
void va_put_done_handler(void *arg, void *data, size_t length,
                         uint64_t src_uid)
{
    va_reply_t reply;
    ve_request_t *req = va_reply_parse(arg, data, length, src_uid, &reply);

    if (req != NULL) {
        if (reply.status == VERVE_OK) {
            vs_mark_defined(req->rndv.buffer, req->rndv.length);
        }
        va_request_finish(req, reply.status);
    }
}

void va_reply_handler(void *arg, void *data, size_t length,
                      uint64_t src_uid)
{
    va_reply_t reply;
    ve_request_t *req = va_reply_parse(arg, data, length, src_uid, &reply);

    if (req != NULL) {
        va_request_finish(req, reply.status);
    }
}

int va_am_recv_what(const ve_request_t *req, ve_request_what_t *what)
{
    if (req->send == va_rndv_read_send) {
        what->op = "rendezvous receive";
        what->waits_for = "the read of the sender's data";
        return 1;
    }
    if (req->send == va_control_send) {
        what->op = "protocol reply";
        what->waits_for = "the transport to send it";
        return 1;
    }
    return 0;
}
