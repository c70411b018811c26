/* Tag matching: messages arriving, delivered to receives or queued. */
#include <stdlib.h>
#include <string.h>
#include "va_tag.h"
#include "core/ve_ep.h"
#include "core/ve_proto.h"
#include "core/ve_request.h"
#include "core/base/log.h"

/* Reads a tag header; 0 when it is malformed. */
static inline int va_tag_header_parse(uint8_t am_flags, const void *header,
                                      size_t header_length, uint64_t *tag_p,
                                      uint64_t *sync_id_p)
{
    va_tag_sync_header_t sync;

    if (vs_likely(!(am_flags & VA_AM_FLAG_SYNC))) {
        if (vs_unlikely(header_length != sizeof(va_tag_header_t))) {
            return 0;
        }
        memcpy(tag_p, header, sizeof(*tag_p));
        *sync_id_p = 0;
        return 1;
    }
    if (header_length != sizeof(sync)) {
        return 0;
    }
    memcpy(&sync, header, sizeof(sync));
    *tag_p = sync.tag;
    *sync_id_p = sync.req_id;
    return 1;
}

/* Tells a synchronous sender that its message was taken. */
static void va_tag_sync_ack(ve_worker_t *worker, uint64_t src_uid,
                            uint64_t sync_id)
{
    va_reply_t reply = {sync_id, VERVE_OK, 0, 0};
    ve_ep_t *ep = ve_ep_for_uid(worker, src_uid);

    if (ep == NULL) {
        vs_warn("worker %016llx: no way back to %016llx to complete its "
                "synchronous send", (unsigned long long)worker->uid,
                (unsigned long long)src_uid);
        return;
    }
    va_send_reply(ep, VE_AM_ATS, &reply);
}

verve_status_t va_tag_recv_status(ve_request_t *req, verve_status_t status)
{
    if (status == VERVE_OK && req->tag.sender_length > req->tag.length) {
        status = VERVE_ERR_MESSAGE_TRUNCATED;
    }
    if (req->tag.info != NULL) {
        req->tag.info->sender_tag = req->tag.sender_tag;
        req->tag.info->length = req->tag.sender_length;
    }
    return status;
}

static void va_tag_recv_complete(ve_request_t *req, verve_status_t status)
{
    ve_request_complete(req, va_tag_recv_status(req, status));
}

static void va_tag_rndv_done(verve_request_h rndv_req, verve_status_t status,
                             void *user_data)
{
    (void)rndv_req;
    va_tag_recv_complete(user_data, status);
}

/* The sender's data moves now, straight into the receive buffer: only
 * what fits (the descriptor is trimmed), the sender completing as for a
 * whole read. */
static verve_status_t va_tag_rndv_start(ve_worker_t *worker,
                                        va_rndv_desc_t *desc,
                                        ve_request_t *req, uint64_t tag)
{
    verve_request_param_t param;

    req->tag.sender_tag = tag;
    req->tag.sender_length = desc->length;
    desc->length = vs_min(desc->length, req->tag.length);
    param.op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                         VERVE_OP_ATTR_FIELD_USER_DATA;
    param.cb = va_tag_rndv_done;
    param.user_data = req;
    return va_rndv_recv(worker, desc, req->tag.buffer, desc->length, &param,
                        NULL);
}

static void va_tag_eager_copy(ve_request_t *req, const void *data,
                              size_t length, uint64_t tag)
{
    req->tag.sender_tag = tag;
    req->tag.sender_length = length;
    if (length > req->tag.length) {
        length = req->tag.length;
    }
    if (length > 0) {
        memcpy(req->tag.buffer, data, length);
    }
}

void va_tag_msg_free(va_tag_msg_t *msg)
{
    if (msg->data != msg->inline_data) {
        free(msg->data);
    }
    free(msg);
}

verve_status_t va_tag_msg_take(ve_worker_t *worker, va_tag_msg_t *msg,
                               ve_request_t *req)
{
    verve_status_t status;

    if (msg->desc != NULL) {
        status = va_tag_rndv_start(worker, msg->desc, req, msg->entry.tag);
    } else {
        va_tag_eager_copy(req, msg->data, msg->length, msg->entry.tag);
        if (msg->sync_id != 0) {
            va_tag_sync_ack(worker, msg->src_uid, msg->sync_id);
        }
        status = VERVE_OK;
    }
    va_tag_msg_free(msg);
    return status;
}

static va_tag_msg_t *va_tag_msg_new(ve_worker_t *worker, size_t copy_length,
                                    uint64_t src_uid, uint64_t tag,
                                    size_t length)
{
    va_tag_msg_t *msg = malloc(sizeof(*msg) + copy_length);

    if (msg == NULL) {
        vs_error("worker %016llx: tag message from %016llx dropped: out "
                 "of memory for %zu bytes", (unsigned long long)worker->uid,
                 (unsigned long long)src_uid, copy_length);
        return NULL;
    }
    msg->entry.tag = tag;
    msg->src_uid = src_uid;
    msg->sync_id = 0;
    msg->length = length;
    msg->desc = NULL;
    msg->data = msg->inline_data;
    return msg;
}

/* The queues an arriving message is matched against, with its tag and
 * synchronous id; NULL when its header is malformed (*status_p
 * VERVE_ERR_IO) or the queues cannot be made (VERVE_ERR_NO_MEMORY). */
static va_tag_worker_t *va_tag_arrival(ve_worker_t *worker, uint8_t am_flags,
                                       const void *header,
                                       size_t header_length,
                                       uint64_t src_uid, uint64_t *tag_p,
                                       uint64_t *sync_id_p,
                                       verve_status_t *status_p)
{
    if (vs_unlikely(!va_tag_header_parse(am_flags, header, header_length,
                                         tag_p, sync_id_p))) {
        vs_warn("worker %016llx: dropped a tag message with a %zu-byte "
                "header from %016llx", (unsigned long long)worker->uid,
                header_length, (unsigned long long)src_uid);
        *status_p = VERVE_ERR_IO;
        return NULL;
    }
    *status_p = VERVE_ERR_NO_MEMORY;
    return va_tag_worker_get(worker);
}

int va_tag_eager_arrived(ve_worker_t *worker, uint8_t am_flags,
                         const void *header, size_t header_length,
                         void *data, size_t length, int data_owned,
                         uint64_t src_uid)
{
    uint64_t tag, sync_id;
    verve_status_t status;
    va_tag_worker_t *tw;
    ve_request_t *req;
    va_tag_msg_t *msg;

    tw = va_tag_arrival(worker, am_flags, header, header_length, src_uid,
                        &tag, &sync_id, &status);
    if (tw == NULL) {
        return 0;
    }
    req = va_tag_exp_match(tw, tag);
    if (req != NULL) {
        va_tag_eager_copy(req, data, length, tag);
        if (vs_unlikely(sync_id != 0)) {
            va_tag_sync_ack(worker, src_uid, sync_id);
        }
        va_tag_recv_complete(req, VERVE_OK);
        return 0;
    }
    msg = va_tag_msg_new(worker, data_owned ? 0 : length, src_uid, tag,
                         length);
    if (msg == NULL) {
        return 0;
    }
    msg->sync_id = sync_id;
    if (data_owned) {
        msg->data = data;
    } else if (length > 0) {
        memcpy(msg->data, data, length);
    }
    va_tag_unexp_add(tw, msg);
    return data_owned;
}

void va_tag_rndv_arrived(ve_worker_t *worker, uint8_t am_flags,
                         const void *header, size_t header_length,
                         va_rndv_desc_t *desc, uint64_t src_uid)
{
    uint64_t tag, sync_id;
    verve_status_t status;
    va_tag_worker_t *tw;
    ve_request_t *req;
    va_tag_msg_t *msg;

    tw = va_tag_arrival(worker, am_flags, header, header_length, src_uid,
                        &tag, &sync_id, &status);
    if (tw == NULL) {
        va_rndv_drop(desc, status);
        return;
    }
    req = va_tag_exp_match(tw, tag);
    if (req != NULL) {
        status = va_tag_rndv_start(worker, desc, req, tag);
        if (status != VERVE_INPROGRESS) {
            va_tag_recv_complete(req, status);
        }
        return;
    }
    msg = va_tag_msg_new(worker, 0, src_uid, tag, desc->length);
    if (msg == NULL) {
        va_rndv_drop(desc, VERVE_ERR_NO_MEMORY);
        return;
    }
    msg->desc = desc;
    msg->data = NULL;
    va_tag_unexp_add(tw, msg);
}

void va_tag_ep_gone(ve_ep_t *ep)
{
    va_tag_worker_t *tw = ep->worker->tag;
    va_tag_msg_t *msg, *next;

    if (tw == NULL) {
        return;
    }
    /* Their data can no longer be read: the senders are told. */
    vs_list_for_each_safe(msg, next, &tw->unexp_all, all) {
        if (msg->desc != NULL && msg->desc->ep == ep) {
            va_tag_unexp_remove(tw, msg);
            va_rndv_drop(msg->desc, VERVE_ERR_CANCELED);
            msg->desc = NULL;
            va_tag_msg_free(msg);
        }
    }
}

static void va_tag_cancel_all(vs_list_link_t *list)
{
    while (!vs_list_is_empty(list)) {
        ve_request_t *req = vs_list_entry(list->next, ve_request_t,
                                          tag.entry.link);
        vs_list_del(&req->tag.entry.link);
        req->tag.posted = 0;
        va_tag_recv_complete(req, VERVE_ERR_CANCELED);
    }
}

/* At worker destroy, after every endpoint: what is left is freed, and
 * receives still posted complete as canceled. */
void va_tag_worker_cleanup(ve_worker_t *worker)
{
    va_tag_worker_t *tw = worker->tag;
    va_tag_msg_t *msg, *next;
    unsigned c;
    size_t i;

    if (tw == NULL) {
        return;
    }
    vs_list_for_each_safe(msg, next, &tw->unexp_all, all) {
        va_tag_unexp_remove(tw, msg);
        if (msg->desc != NULL) {
            va_rndv_drop(msg->desc, VERVE_ERR_CANCELED);
        }
        va_tag_msg_free(msg);
    }
    for (c = 0; c < tw->num_classes; ++c) {
        va_tag_table_t *table = &tw->classes[c].table;
        for (i = 0; i <= table->mask; ++i) {
            va_tag_cancel_all(&table->buckets[i]);
        }
        va_tag_table_cleanup(table);
    }
    va_tag_cancel_all(&tw->exp_other);
    va_tag_table_cleanup(&tw->unexp);
    free(tw);
    worker->tag = NULL;
}
