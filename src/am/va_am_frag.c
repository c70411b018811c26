/*
 * Fragmented eager: an AM too large for one copy send, on a lane that
 * cannot let the receiver read the sender's memory (tcp; verbs until user
 * buffers are registered), goes as a run of copy sends. The first carries
 * the user header and the total length; the receiver assembles them into
 * one allocation and delivers the message once, as eager data that a
 * persistent handler may keep. Fragments of one message travel on one
 * lane, which keeps them in order, so the receiver needs no reordering.
 *
 * The total a first part claims is allocated at once, so it is bounded
 * (VERVE_AM_FRAG_MAX) before anything is allocated; a message whose sender
 * failed, or whose next part does not come within VERVE_AM_FRAG_TIMEOUT,
 * is dropped: a peer cannot make the receiver hold memory for ever.
 */
#include <stdlib.h>
#include <string.h>
#include "va_am.h"
#include "va_tag.h"
#include "core/ve_ep.h"
#include "core/ve_proto.h"
#include "core/ve_worker.h"
#include "core/base/log.h"
#include "core/base/time.h"

/* A message being assembled, in worker->frags. */
typedef struct va_frag_msg {
    uint64_t src_uid;
    uint64_t msg_id;
    uint64_t last_ns;       /* when its last part came */
    size_t length;          /* payload bytes announced by the first part */
    size_t received;
    uint8_t *data;          /* NULL: dropped, the rest is only counted */
    uint8_t am_id;
    uint8_t am_flags;       /* VA_AM_FLAG_* */
    uint16_t header_length;
    uint8_t header[];       /* the user header */
} va_frag_msg_t;

typedef struct va_frag_pack_args {
    const void *prefix;
    size_t prefix_length;
    const void *header;
    size_t header_length;
    const void *data;
    size_t length;
} va_frag_pack_args_t;

/* The message id is unique per sending worker, the key per receiver. */
static uint64_t va_frag_key(uint64_t src_uid, uint64_t msg_id)
{
    return vs_hash_u64(src_uid) ^ msg_id;
}

static size_t va_frag_pack(void *dest, void *arg)
{
    va_frag_pack_args_t *args = arg;
    uint8_t *p = dest;

    memcpy(p, args->prefix, args->prefix_length);
    p += args->prefix_length;
    if (args->header_length > 0) {
        memcpy(p, args->header, args->header_length);
        p += args->header_length;
    }
    if (args->length > 0) {
        memcpy(p, args->data, args->length);
    }
    return args->prefix_length + args->header_length + args->length;
}

int va_frag_fits(const ve_lane_t *lane, size_t header_length)
{
    /* The first part carries at least one payload byte, so only the first
     * one has offset 0. */
    return sizeof(va_frag_first_t) + header_length <
           lane->caps.am_bcopy_max;
}

verve_status_t va_frag_send(ve_request_t *req)
{
    ve_ep_t *ep = req->ep;
    size_t max = ep->lane->caps.am_bcopy_max;
    const uint8_t *payload = req->am.buffer;
    va_frag_pack_args_t args;
    va_frag_first_t first;
    va_frag_t frag;
    ssize_t packed;

    if (!(req->am.proto_flags & VA_PROTO_FLAG_FRAG_STARTED) &&
        req->am.length > req->worker->context->config.frag_max) {
        vs_error("worker %016llx: AM of %zu bytes to %016llx: more than "
                 "VERVE_AM_FRAG_MAX=%zu, the largest message receivers "
                 "assemble from fragments",
                 (unsigned long long)req->worker->uid, req->am.length,
                 (unsigned long long)ep->peer->uid,
                 req->worker->context->config.frag_max);
        return VERVE_ERR_INVALID_PARAM;
    }
    if (!(req->am.proto_flags & VA_PROTO_FLAG_FRAG_STARTED)) {
        /* Not in reqs_by_id: fragments get no reply, the id only names
         * the message (and completion's removal of a missing id is a
         * no-op). A synchronous message has its id already, registered
         * for the ATS. */
        if (req->id == 0) {
            req->id = ++req->worker->next_req_id;
        }
        memset(&first, 0, sizeof(first));
        first.frag.msg_id = req->id;
        first.am.id = (uint8_t)req->am.id;
        first.am.flags = va_request_am_flags(req);
        first.am.header_length = (uint16_t)req->am.header_length;
        first.length = req->am.length;
        args.prefix = &first;
        args.prefix_length = sizeof(first);
        args.header = req->am.header;
        args.header_length = req->am.header_length;
        args.data = payload;
        args.length = vs_min(req->am.length,
                             max - sizeof(first) - req->am.header_length);
        packed = ep->vt_ep->iface->ops->ep_am_bcopy(ep->vt_ep, VE_AM_FRAG,
                                                   va_frag_pack, &args);
        if (packed < 0) {
            return (verve_status_t)packed;
        }
        req->am.proto_flags |= VA_PROTO_FLAG_FRAG_STARTED;
        req->am.offset = args.length;
    }
    args.prefix = &frag;
    args.prefix_length = sizeof(frag);
    args.header_length = 0;
    frag.msg_id = req->id;
    while (req->am.offset < req->am.length) {
        frag.offset = req->am.offset;
        args.data = payload + req->am.offset;
        args.length = vs_min(req->am.length - req->am.offset,
                             max - sizeof(frag));
        packed = ep->vt_ep->iface->ops->ep_am_bcopy(ep->vt_ep, VE_AM_FRAG,
                                                   va_frag_pack, &args);
        if (packed < 0) {
            return (verve_status_t)packed;
        }
        req->am.offset += args.length;
    }
    return VERVE_OK;
}

static void va_frag_deliver_am(ve_worker_t *worker, va_frag_msg_t *msg)
{
    /* am_id is 8 bits wide and the table has VERVE_AM_ID_MAX (256)
     * entries: every value indexes it. */
    ve_am_handler_t *handler = (msg->am_flags & VA_AM_FLAG_COLL) ?
                               &worker->chan_handler :
                               &worker->am_handlers[msg->am_id];
    verve_am_recv_param_t param;
    verve_status_t status;

    if (handler->cb == NULL) {
        vs_warn("worker %016llx: AM %u of %zu bytes from %016llx dropped: "
                "no handler set for this id",
                (unsigned long long)worker->uid, msg->am_id, msg->length,
                (unsigned long long)msg->src_uid);
        free(msg->data);
        return;
    }
    param.recv_attr = VERVE_AM_RECV_ATTR_FLAG_DATA;
    param.reply_ep = ve_ep_for_uid(worker, msg->src_uid);
    status = handler->cb(handler->arg, msg->header, msg->header_length,
                         msg->data, msg->length, &param);
    /* The data is one allocation of ours: a persistent handler keeps it
     * and gives it back with verve_am_data_release. */
    if (!(handler->flags & VERVE_AM_FLAG_PERSISTENT_DATA) ||
        status != VERVE_INPROGRESS) {
        free(msg->data);
    }
}

static void va_frag_deliver(ve_worker_t *worker, va_frag_msg_t *msg)
{
    if (msg->am_flags & VA_AM_FLAG_TAG) {
        if (!va_tag_eager_arrived(worker, msg->am_flags, msg->header,
                                  msg->header_length, msg->data,
                                  msg->length, 1, msg->src_uid)) {
            free(msg->data);
        }
        return;
    }
    va_frag_deliver_am(worker, msg);
}

static va_frag_msg_t *va_frag_start(ve_worker_t *worker, const uint8_t *data,
                                    size_t length, uint64_t src_uid,
                                    size_t *chunk_p)
{
    va_frag_first_t first;
    va_frag_msg_t *msg;
    size_t chunk;

    if (length < sizeof(first)) {
        return NULL;
    }
    memcpy(&first, data, sizeof(first));
    chunk = length - sizeof(first);
    if (first.am.header_length > chunk ||
        chunk - first.am.header_length > first.length) {
        return NULL;
    }
    chunk -= first.am.header_length;
    if (first.length > worker->context->config.frag_max) {
        vs_warn("worker %016llx: AM %u from %016llx claims %llu bytes, "
                "more than VERVE_AM_FRAG_MAX=%zu: dropped",
                (unsigned long long)worker->uid, first.am.id,
                (unsigned long long)src_uid,
                (unsigned long long)first.length,
                worker->context->config.frag_max);
        return NULL;
    }
    msg = malloc(sizeof(*msg) + first.am.header_length);
    if (msg == NULL) {
        vs_error("worker %016llx: fragmented AM from %016llx dropped: out "
                 "of memory", (unsigned long long)worker->uid,
                 (unsigned long long)src_uid);
        return NULL;
    }
    msg->src_uid = src_uid;
    msg->msg_id = first.frag.msg_id;
    msg->last_ns = vs_time_ns();
    msg->length = first.length;
    msg->received = 0;
    msg->am_id = first.am.id;
    msg->am_flags = first.am.flags;
    msg->header_length = first.am.header_length;
    memcpy(msg->header, data + sizeof(first), first.am.header_length);
    msg->data = malloc(first.length ? first.length : 1);
    if (msg->data == NULL) {
        /* Kept as a record so the rest of the message is consumed
         * quietly rather than warned about part by part. */
        vs_error("worker %016llx: AM %u of %llu bytes from %016llx "
                 "dropped: out of memory", (unsigned long long)worker->uid,
                 first.am.id, (unsigned long long)first.length,
                 (unsigned long long)src_uid);
    }
    *chunk_p = chunk;
    return msg;
}

void va_frag_handler(void *arg, void *data, size_t length, uint64_t src_uid)
{
    ve_worker_t *worker = arg;
    const uint8_t *bytes = data;
    va_frag_msg_t *msg;
    size_t chunk;
    va_frag_t frag;
    uint64_t key;

    if (length < sizeof(frag)) {
        goto err_malformed;
    }
    memcpy(&frag, data, sizeof(frag));
    key = va_frag_key(src_uid, frag.msg_id);
    if (frag.offset == 0) {
        msg = va_frag_start(worker, bytes, length, src_uid, &chunk);
        if (msg == NULL) {
            goto err_malformed;
        }
        if (vs_hash_get(&worker->frags, key) != NULL ||
            vs_hash_put(&worker->frags, key, msg) != VERVE_OK) {
            free(msg->data);
            free(msg);
            goto err_malformed;
        }
        bytes += sizeof(va_frag_first_t) + msg->header_length;
    } else {
        msg = vs_hash_get(&worker->frags, key);
        chunk = length - sizeof(frag);
        if (msg == NULL || msg->src_uid != src_uid ||
            msg->msg_id != frag.msg_id || frag.offset != msg->received ||
            chunk > msg->length - msg->received) {
            goto err_malformed;
        }
        bytes += sizeof(frag);
        msg->last_ns = vs_time_ns();
    }
    if (msg->data != NULL && chunk > 0) {
        memcpy(msg->data + msg->received, bytes, chunk);
    }
    msg->received += chunk;
    if (msg->received < msg->length) {
        return;
    }
    vs_hash_del(&worker->frags, key);
    if (msg->data != NULL) {
        va_frag_deliver(worker, msg);
    }
    free(msg);
    return;

err_malformed:
    vs_warn("worker %016llx: dropped a malformed or unexpected AM fragment "
            "of %zu bytes from %016llx", (unsigned long long)worker->uid,
            length, (unsigned long long)src_uid);
}

/* Drops the first message in assembly that `drop` selects; 0: none. */
static int va_frag_drop_one(ve_worker_t *worker,
                            int (*drop)(const va_frag_msg_t *msg,
                                        uint64_t arg),
                            uint64_t arg, const char *why)
{
    uint64_t key;
    void *value;
    size_t iter;

    for (iter = 0; vs_hash_next(&worker->frags, &iter, &key, &value);) {
        va_frag_msg_t *msg = value;
        if (!drop(msg, arg)) {
            continue;
        }
        vs_warn("worker %016llx: AM %u from %016llx dropped with %zu of "
                "its %zu bytes: %s", (unsigned long long)worker->uid,
                msg->am_id, (unsigned long long)msg->src_uid, msg->received,
                msg->length, why);
        vs_hash_del(&worker->frags, key);
        free(msg->data);
        free(msg);
        return 1;
    }
    return 0;
}

static int va_frag_from(const va_frag_msg_t *msg, uint64_t uid)
{
    return msg->src_uid == uid;
}

static int va_frag_idle_since(const va_frag_msg_t *msg, uint64_t before_ns)
{
    return msg->last_ns < before_ns;
}

void va_frag_peer_failed(ve_worker_t *worker, uint64_t uid)
{
    while (vs_hash_count(&worker->frags) > 0 &&
           va_frag_drop_one(worker, va_frag_from, uid, "the sender failed")) {
    }
}

void va_frag_worker_check(ve_worker_t *worker, uint64_t now_ns)
{
    uint64_t timeout = (uint64_t)(worker->context->config.frag_timeout * 1e9);

    while (vs_hash_count(&worker->frags) > 0 && now_ns > timeout &&
           va_frag_drop_one(worker, va_frag_idle_since, now_ns - timeout,
                            "no part came within VERVE_AM_FRAG_TIMEOUT")) {
    }
}

void va_frag_worker_cleanup(ve_worker_t *worker)
{
    uint64_t key;
    void *value;
    size_t iter;

    va_tag_worker_cleanup(worker);
    /* Messages a failed or departed peer never finished. */
    for (iter = 0; vs_hash_next(&worker->frags, &iter, &key, &value);) {
        va_frag_msg_t *msg = value;
        free(msg->data);
        free(msg);
    }
}
