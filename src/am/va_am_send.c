/*
 * AM send. Four protocols, chosen by size and the lane's capabilities:
 * eager short (header and payload inline in one transport message, no
 * request), eager copy (packed into the transport's buffer), rendezvous
 * (the receiver reads the payload from the sender's memory) and, where the
 * lane cannot do that, fragmented eager (va_am_frag.c).
 */
#include <stdlib.h>
#include <string.h>
#include "va_am.h"
#include "va_chan.h"
#include "core/ve_ep.h"
#include "core/ve_proto.h"
#include "core/ve_request.h"
#include "core/ve_worker.h"
#include "core/base/log.h"

typedef struct va_pack_args {
    va_am_header_t am;
    const void *header;
    size_t header_length;
    const void *buffer;
    size_t count;
    verve_datatype_t datatype;
    size_t length;
} va_pack_args_t;

static size_t va_payload_length(const void *buffer, size_t count,
                                verve_datatype_t datatype)
{
    const verve_iov_t *iov = buffer;
    size_t length = 0, i;

    if (datatype == VERVE_DATATYPE_CONTIG) {
        return count;
    }
    for (i = 0; i < count; ++i) {
        length += iov[i].length;
    }
    return length;
}

static void va_payload_copy(void *dest, const void *buffer, size_t count,
                            verve_datatype_t datatype)
{
    const verve_iov_t *iov = buffer;
    uint8_t *p = dest;
    size_t i;

    if (datatype == VERVE_DATATYPE_CONTIG) {
        if (count > 0) {
            memcpy(dest, buffer, count);
        }
        return;
    }
    for (i = 0; i < count; ++i) {
        if (iov[i].length > 0) {
            memcpy(p, iov[i].buffer, iov[i].length);
        }
        p += iov[i].length;
    }
}

static size_t va_eager_pack(void *dest, void *arg)
{
    va_pack_args_t *args = arg;
    uint8_t *p = dest;

    memcpy(p, &args->am, sizeof(args->am));
    p += sizeof(args->am);
    if (args->header_length > 0) {
        memcpy(p, args->header, args->header_length);
    }
    p += args->header_length;
    va_payload_copy(p, args->buffer, args->count, args->datatype);
    return sizeof(args->am) + args->header_length + args->length;
}

/* Eager copy of a user AM, from the call or from a queued request. */
static verve_status_t va_eager_bcopy(ve_ep_t *ep, unsigned id,
                                     uint8_t am_flags,
                                     const void *header, size_t header_length,
                                     const void *buffer, size_t count,
                                     verve_datatype_t datatype, size_t length)
{
    va_pack_args_t args = {{(uint8_t)id, am_flags, (uint16_t)header_length},
                           header, header_length, buffer, count, datatype,
                           length};
    ssize_t packed = ep->vt_ep->iface->ops->ep_am_bcopy(
            ep->vt_ep, VE_AM_EAGER, va_eager_pack, &args);
    return (packed < 0) ? (verve_status_t)packed : VERVE_OK;
}

static verve_status_t va_eager_send(ve_request_t *req)
{
    return va_eager_bcopy(req->ep, req->am.id, va_request_am_flags(req),
                          req->am.header,
                          req->am.header_length, req->am.buffer,
                          req->am.count, req->am.datatype, req->am.length);
}

/* A synchronous message then waits for the receiver's ATS. */
static verve_status_t va_eager_sync_send(ve_request_t *req)
{
    verve_status_t status = va_eager_send(req);
    return (status == VERVE_OK) ? VERVE_INPROGRESS : status;
}

static verve_status_t va_frag_sync_send(ve_request_t *req)
{
    verve_status_t status = va_frag_send(req);
    return (status == VERVE_OK) ? VERVE_INPROGRESS : status;
}

typedef struct va_parts_args {
    const va_part_t *parts;
    unsigned count;
} va_parts_args_t;

static size_t va_parts_pack(void *dest, void *arg)
{
    va_parts_args_t *args = arg;
    uint8_t *p = dest;
    unsigned i;

    for (i = 0; i < args->count; ++i) {
        if (args->parts[i].length > 0) {
            memcpy(p, args->parts[i].data, args->parts[i].length);
            p += args->parts[i].length;
        }
    }
    return (size_t)(p - (uint8_t *)dest);
}

ssize_t va_send_parts(ve_ep_t *ep, uint8_t am_id, const va_part_t *parts,
                      unsigned count)
{
    va_parts_args_t args = {parts, count};
    return ep->vt_ep->iface->ops->ep_am_bcopy(ep->vt_ep, am_id,
                                              va_parts_pack, &args);
}

ssize_t va_send_chunk(ve_ep_t *ep, uint8_t am_id, const void *header,
                      size_t header_length, const void *data,
                      size_t length)
{
    va_part_t parts[] = {{header, header_length}, {data, length}};
    return va_send_parts(ep, am_id, parts, 2);
}

/* On lanes that reach the peer's buffer through a key, the buffer is
 * registered for the rendezvous (until the request completes; through the
 * component's cache where it has one) and its packed key travels after
 * the user header. */
static verve_status_t va_rts_key(ve_request_t *req, uint8_t *key,
                                 size_t *key_length_p)
{
    const vt_component_t *component = req->ep->lane->component;
    verve_status_t status;
    size_t key_length;

    if (!(req->ep->lane->caps.flags & VT_CAP_ZCOPY_KEY)) {
        *key_length_p = 0;
        return VERVE_OK;
    }
    if (!(req->flags & VE_REQ_FLAG_RNDV_MEMH)) {
        status = (component->mem_reg_cached != NULL ?
                  component->mem_reg_cached : component->mem_reg)(
                (void *)req->am.buffer, req->am.length, &req->am.rndv_memh);
        if (status != VERVE_OK) {
            vs_error("rendezvous: registering %zu bytes at %p on %s "
                     "failed: %s", req->am.length, req->am.buffer,
                     component->name, verve_status_string(status));
            return status;
        }
        req->flags |= VE_REQ_FLAG_RNDV_MEMH;
    }
    key_length = component->rkey_packed_size(req->am.rndv_memh);
    if (key_length > VA_RNDV_KEY_MAX) {
        vs_error("rendezvous: %s packs keys of %zu bytes, more than %d",
                 component->name, key_length, VA_RNDV_KEY_MAX);
        return VERVE_ERR_UNSUPPORTED;
    }
    component->rkey_pack(req->am.rndv_memh, key);
    *key_length_p = key_length;
    return VERVE_OK;
}

/* The RTS goes out; the request then waits for the receiver's ATS. */
static verve_status_t va_rts_send(ve_request_t *req)
{
    uint8_t key[VA_RNDV_KEY_MAX];
    verve_status_t status;
    size_t key_length;
    va_rts_t rts;
    ssize_t packed;

    if (ve_request_add_id(req) != VERVE_OK) {
        return VERVE_ERR_NO_MEMORY;
    }
    status = va_rts_key(req, key, &key_length);
    if (status != VERVE_OK) {
        return status;
    }
    memset(&rts, 0, sizeof(rts));
    rts.am.id = (uint8_t)req->am.id;
    rts.am.flags = va_request_am_flags(req);
    rts.am.header_length = (uint16_t)req->am.header_length;
    rts.key_length = (uint16_t)key_length;
    rts.key_component = req->ep->lane->component->id;
    rts.req_id = req->id;
    rts.address = (uint64_t)(uintptr_t)req->am.buffer;
    rts.length = req->am.length;
    {
        va_part_t parts[] = {{&rts, sizeof(rts)},
                             {req->am.header, req->am.header_length},
                             {key, key_length}};
        packed = va_send_parts(req->ep, VE_AM_RTS, parts, 3);
    }
    return (packed < 0) ? (verve_status_t)packed : VERVE_INPROGRESS;
}

/* Keeps what the request needs beyond the call: the user header (copied,
 * as the API promises) and, for an iov rendezvous, a contiguous copy of
 * the payload for the peer to read. */
static verve_status_t va_request_prepare(ve_request_t *req, unsigned id,
                                         const void *header,
                                         size_t header_length,
                                         const void *buffer, size_t count,
                                         verve_datatype_t datatype,
                                         size_t length)
{
    req->am.id = id;
    req->am.header_length = header_length;
    req->am.buffer = buffer;
    req->am.count = count;
    req->am.datatype = datatype;
    req->am.length = length;
    req->am.offset = 0;
    req->am.proto_flags = 0;
    if (header_length <= sizeof(req->am.header_inline)) {
        req->am.header = req->am.header_inline;
    } else {
        req->am.header = malloc(header_length);
        if (req->am.header == NULL) {
            return VERVE_ERR_NO_MEMORY;
        }
        req->flags |= VE_REQ_FLAG_HEADER_ALLOC;
    }
    if (header_length > 0) {
        memcpy(req->am.header, header, header_length);
    }
    return VERVE_OK;
}

/* The request of a synchronous message is known to the receiver by its
 * id, which travels at the end of the header. */
static verve_status_t va_request_sync(ve_request_t *req)
{
    if (req->am.header_length < sizeof(req->id) ||
        ve_request_add_id(req) != VERVE_OK) {
        return VERVE_ERR_NO_MEMORY;
    }
    memcpy(req->am.header + req->am.header_length - sizeof(req->id),
           &req->id, sizeof(req->id));
    return VERVE_OK;
}

static ve_request_send_t va_send_func(uint8_t am_flags, int rndv, int frag)
{
    if (frag) {
        return (am_flags & VA_AM_FLAG_SYNC) ? va_frag_sync_send
                                            : va_frag_send;
    }
    if (rndv) {
        return va_rts_send;
    }
    return (am_flags & VA_AM_FLAG_SYNC) ? va_eager_sync_send : va_eager_send;
}

int va_am_send_what(const ve_request_t *req, ve_request_what_t *what)
{
    uint8_t am_flags;

    if (req->send != va_eager_send && req->send != va_eager_sync_send &&
        req->send != va_frag_send && req->send != va_frag_sync_send &&
        req->send != va_rts_send) {
        return 0;
    }
    am_flags = va_request_am_flags(req);
    if (am_flags & VA_AM_FLAG_COLL) {
        what->op = "collective message";
    } else if (am_flags & VA_AM_FLAG_TAG) {
        what->op = (am_flags & VA_AM_FLAG_SYNC) ? "synchronous tag send"
                                                : "tag send";
    } else {
        what->op = "AM send";
    }
    if (req->send == va_rts_send) {
        what->waits_for = "the receiver to take the data (rendezvous: it "
                          "must call progress, and match a tag message "
                          "with a receive)";
    } else if (am_flags & VA_AM_FLAG_SYNC) {
        what->waits_for = "a receive at the peer to match it";
    } else {
        what->waits_for = "the transport to send it";
    }
    return 1;
}

verve_status_t va_am_send_flags(ve_ep_t *ep, unsigned id, uint8_t am_flags,
        const void *header, size_t header_length, const void *buffer,
        size_t count, const verve_request_param_t *param,
        verve_request_h *request_p)
{
    const int sync = am_flags & VA_AM_FLAG_SYNC;
    ve_worker_t *worker = ep->worker;
    const vt_iface_caps_t *caps = &ep->lane->caps;
    verve_datatype_t datatype = VERVE_DATATYPE_CONTIG;
    uint32_t flags = 0;
    size_t length, eager_length, rndv_thresh;
    verve_status_t status;
    ve_request_t *req;
    int rndv, frag;

    if (param != NULL) {
        if (param->op_attr_mask & VERVE_OP_ATTR_FIELD_DATATYPE) {
            datatype = param->datatype;
        }
        if (param->op_attr_mask & VERVE_OP_ATTR_FIELD_FLAGS) {
            flags = param->flags;
        }
    }
    if (vs_unlikely(id >= VERVE_AM_ID_MAX || header_length > UINT16_MAX ||
                    (datatype != VERVE_DATATYPE_CONTIG &&
                     datatype != VERVE_DATATYPE_IOV) ||
                    (count > 0 && buffer == NULL) ||
                    (header_length > 0 && header == NULL))) {
        vs_error("verve_am_send_nbx: invalid arguments (id %u, header %zu "
                 "bytes, datatype %d)", id, header_length, (int)datatype);
        return VERVE_ERR_INVALID_PARAM;
    }
    ve_worker_lock(worker);
    if (vs_unlikely(ep->flags & VE_EP_FLAG_FAILED)) {
        status = ep->error;
        goto out;
    }
    length = va_payload_length(buffer, count, datatype);
    eager_length = sizeof(va_am_header_t) + header_length + length;

    /* Fast path: nothing queued ahead, fits one slot, no request. */
    if (vs_likely(datatype == VERVE_DATATYPE_CONTIG && !sync &&
                  eager_length <= caps->am_short_max &&
                  header_length <= 64 &&
                  !(flags & VERVE_AM_SEND_FLAG_RNDV) &&
                  !ve_ep_has_pending(ep))) {
        uint8_t prefix[sizeof(va_am_header_t) + 64];
        va_am_header_t am = {(uint8_t)id, am_flags,
                             (uint16_t)header_length};
        memcpy(prefix, &am, sizeof(am));
        if (header_length > 0) {
            memcpy(prefix + sizeof(am), header, header_length);
        }
        status = ep->vt_ep->iface->ops->ep_am_short(
                ep->vt_ep, VE_AM_EAGER, prefix, sizeof(am) + header_length,
                buffer, length);
        if (status != VERVE_ERR_NO_RESOURCE) {
            goto out;
        }
    }

    rndv_thresh = ep->worker->context->config.rndv_thresh;
    if (rndv_thresh == 0 || rndv_thresh > caps->am_bcopy_max) {
        rndv_thresh = caps->am_bcopy_max;
    }
    rndv = (flags & VERVE_AM_SEND_FLAG_RNDV) ||
           (!(flags & VERVE_AM_SEND_FLAG_EAGER) &&
            (eager_length > caps->am_bcopy_max || length >= rndv_thresh));
    if (!rndv && eager_length > caps->am_bcopy_max) {
        /* The user's sizes, and the limit on them: what goes on the
         * wire also holds verve's own header, which the user never set. */
        vs_error("verve_am_send_nbx: an eager message (forced with "
                 "VERVE_AM_SEND_FLAG_EAGER) of %zu payload + %zu header "
                 "bytes exceeds what %s carries eagerly: %zu bytes in all",
                 length, header_length, ep->lane->component->name,
                 caps->am_bcopy_max - sizeof(va_am_header_t));
        status = VERVE_ERR_INVALID_PARAM;
        goto out;
    }
    frag = rndv && (!(ve_ep_caps(ep) & VT_CAP_GET_ZCOPY) ||
                    length > caps->zcopy_max ||
                    !worker->context->config.am_zcopy);
    if (frag ? !va_frag_fits(ep->lane, header_length)
             : (rndv && sizeof(va_rts_t) + header_length +
                                ((caps->flags & VT_CAP_ZCOPY_KEY) ?
                                 VA_RNDV_KEY_MAX : 0) > caps->am_bcopy_max)) {
        vs_error("verve_am_send_nbx: %s cannot carry a rendezvous of %zu "
                 "bytes with a %zu-byte header", ep->lane->component->name,
                 length, header_length);
        status = VERVE_ERR_UNSUPPORTED;
        goto out;
    }
    if (!rndv && !sync && !ve_ep_has_pending(ep)) {
        status = va_eager_bcopy(ep, id, am_flags, header, header_length,
                                buffer, count, datatype, length);
        if (status != VERVE_ERR_NO_RESOURCE) {
            goto out;
        }
    }

    /* Slow path: a request that waits in the queue or for the ATS. */
    req = ve_request_get(worker, ep, param);
    if (req == NULL) {
        status = VERVE_ERR_NO_MEMORY;
        goto out;
    }
    status = va_request_prepare(req, id, header, header_length, buffer,
                                count, datatype, length);
    if (status == VERVE_OK && rndv && datatype == VERVE_DATATYPE_IOV) {
        void *bounce = malloc(length ? length : 1);
        if (bounce == NULL) {
            status = VERVE_ERR_NO_MEMORY;
        } else {
            va_payload_copy(bounce, buffer, count, datatype);
            req->am.buffer = bounce;
            req->am.datatype = VERVE_DATATYPE_CONTIG;
            req->am.count = length;
            req->flags |= VE_REQ_FLAG_BUFFER_ALLOC;
        }
    }
    if (status != VERVE_OK) {
        ve_request_set_internal(req);
        ve_request_complete(req, status);
        goto out;
    }
    req->am.proto_flags |= (uint32_t)am_flags << VA_PROTO_AM_FLAGS_SHIFT;
    if (sync) {
        status = va_request_sync(req);
        if (status != VERVE_OK) {
            ve_request_set_internal(req);
            ve_request_complete(req, status);
            goto out;
        }
    }
    req->send = va_send_func(am_flags, rndv, frag);
    status = ve_request_return(req, ve_ep_start(req), request_p);
out:
    ve_worker_unlock(worker);
    return status;
}

VERVE_API verve_status_t verve_am_send_nbx(verve_ep_h ep, unsigned id,
        const void *header, size_t header_length, const void *buffer,
        size_t count, const verve_request_param_t *param,
        verve_request_h *request_p)
{
    return va_am_send_flags(ep, id, 0, header, header_length, buffer, count,
                            param, request_p);
}

verve_status_t va_chan_send_nbx(ve_ep_t *ep, const void *header,
                                size_t header_length, const void *buffer,
                                size_t length,
                                const verve_request_param_t *param,
                                verve_request_h *request_p)
{
    verve_request_param_t contig;

    /* Collectives send contiguous bytes: the datatype field is theirs. */
    contig = (param != NULL) ? *param : (verve_request_param_t){0};
    contig.op_attr_mask &= ~(uint64_t)VERVE_OP_ATTR_FIELD_DATATYPE;
    return va_am_send_flags(ep, 0, VA_AM_FLAG_COLL, header, header_length,
                            buffer, length, &contig, request_p);
}
