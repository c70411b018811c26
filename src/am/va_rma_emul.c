/*
 * RMA emulated over AM: the target's progress applies puts, serves gets
 * and runs atomics on its own memory, after looking the key id up among
 * its registered regions and checking the range, so a stale or forged key
 * is answered with an error and touches nothing.
 */
#include <string.h>
#include "va_am.h"
#include "va_rma.h"
#include "core/ve_ep.h"
#include "core/ve_mem.h"
#include "core/ve_proto.h"
#include "core/ve_request.h"
#include "core/ve_worker.h"
#include "core/base/log.h"

static size_t va_chunk_max(ve_ep_t *ep, size_t header_length)
{
    return ep->lane->caps.am_bcopy_max - header_length;
}

verve_status_t va_put_emulated_send(ve_request_t *req)
{
    size_t max = va_chunk_max(req->ep, sizeof(va_rma_header_t));
    va_rma_header_t header;

    if (ve_request_add_id(req) != VERVE_OK) {
        return VERVE_ERR_NO_MEMORY;
    }
    header.key_id = req->rma.rkey->key_id;
    header.req_id = req->id;
    while (req->rma.offset < req->rma.length) {
        size_t chunk = vs_min(max, req->rma.length - req->rma.offset);
        ssize_t packed;
        header.address = req->rma.remote_addr + req->rma.offset;
        header.length = chunk;
        packed = va_send_chunk(req->ep, VE_AM_PUT, &header, sizeof(header),
                               (uint8_t *)req->rma.buffer + req->rma.offset,
                               chunk);
        if (packed < 0) {
            return (verve_status_t)packed;
        }
        req->rma.offset += chunk;
    }
    return VERVE_INPROGRESS;
}

verve_status_t va_get_emulated_send(ve_request_t *req)
{
    va_rma_header_t header;
    ssize_t packed;

    if (ve_request_add_id(req) != VERVE_OK) {
        return VERVE_ERR_NO_MEMORY;
    }
    header.key_id = req->rma.rkey->key_id;
    header.address = req->rma.remote_addr;
    header.req_id = req->id;
    header.length = req->rma.length;
    packed = va_send_chunk(req->ep, VE_AM_GET_REQ, &header, sizeof(header),
                           NULL, 0);
    return (packed < 0) ? (verve_status_t)packed : VERVE_INPROGRESS;
}

verve_status_t va_amo_emulated_send(ve_request_t *req)
{
    va_amo_header_t header;
    ssize_t packed;

    if (ve_request_add_id(req) != VERVE_OK) {
        return VERVE_ERR_NO_MEMORY;
    }
    memset(&header, 0, sizeof(header));
    header.key_id = req->amo.rkey->key_id;
    header.address = req->amo.remote_addr;
    header.req_id = req->id;
    header.value = req->amo.value;
    header.compare = req->amo.compare;
    header.op = (uint8_t)req->amo.op;
    header.size = (uint8_t)req->amo.size;
    packed = va_send_chunk(req->ep, VE_AM_AMO_REQ, &header, sizeof(header),
                           NULL, 0);
    return (packed < 0) ? (verve_status_t)packed : VERVE_INPROGRESS;
}

static ve_ep_t *va_reply_ep(ve_worker_t *worker, uint64_t src_uid,
                            const char *what)
{
    ve_ep_t *ep = ve_ep_for_uid(worker, src_uid);
    if (ep == NULL) {
        vs_warn("worker %016llx: %s from unknown worker %016llx dropped",
                (unsigned long long)worker->uid, what,
                (unsigned long long)src_uid);
    }
    return ep;
}

void va_put_handler(void *arg, void *data, size_t length, uint64_t src_uid)
{
    ve_worker_t *worker = arg;
    va_reply_t reply = {0, VERVE_OK, 0, 0};
    va_rma_header_t header;
    ve_mem_t *mem;
    ve_ep_t *ep;

    if (length < sizeof(header)) {
        return;
    }
    memcpy(&header, data, sizeof(header));
    ep = va_reply_ep(worker, src_uid, "put");
    if (ep == NULL) {
        return;
    }
    reply.req_id = header.req_id;
    reply.length = (uint32_t)(length - sizeof(header));
    if (header.length != length - sizeof(header)) {
        reply.status = VERVE_ERR_INVALID_PARAM;
    } else {
        reply.status = ve_mem_lookup(worker->context, header.key_id,
                                     header.address, header.length, &mem);
    }
    if (reply.status == VERVE_OK) {
        memcpy((void *)(uintptr_t)header.address,
               (uint8_t *)data + sizeof(header), header.length);
    }
    va_send_reply(ep, VE_AM_RMA_REPLY, &reply);
}

/* The target's side of a get: sends the data back in chunks, resuming
 * where the transport was full. rma.remote_addr holds the initiator's
 * request id. */
static verve_status_t va_get_reply_send(ve_request_t *req)
{
    size_t max = va_chunk_max(req->ep, sizeof(va_get_reply_t));
    va_get_reply_t header = {req->rma.remote_addr, 0, VERVE_OK, 0};

    while (req->rma.offset < req->rma.length) {
        size_t chunk = vs_min(max, req->rma.length - req->rma.offset);
        ssize_t packed;
        header.offset = req->rma.offset;
        header.length = (uint32_t)chunk;
        packed = va_send_chunk(req->ep, VE_AM_GET_REPLY, &header,
                               sizeof(header),
                               (uint8_t *)req->rma.buffer + req->rma.offset,
                               chunk);
        if (packed < 0) {
            return (verve_status_t)packed;
        }
        req->rma.offset += chunk;
    }
    return VERVE_OK;
}

void va_get_req_handler(void *arg, void *data, size_t length,
                        uint64_t src_uid)
{
    ve_worker_t *worker = arg;
    va_rma_header_t header;
    verve_status_t status;
    ve_request_t *req;
    ve_mem_t *mem;
    ve_ep_t *ep;

    if (length != sizeof(header)) {
        return;
    }
    memcpy(&header, data, sizeof(header));
    ep = va_reply_ep(worker, src_uid, "get");
    if (ep == NULL) {
        return;
    }
    status = ve_mem_lookup(worker->context, header.key_id, header.address,
                           header.length, &mem);
    req = (status == VERVE_OK) ? ve_request_get(worker, ep, NULL) : NULL;
    if (req == NULL) {
        /* The initiator waits for an answer: give it the error. */
        va_get_reply_t reply = {header.req_id, 0,
                                (status != VERVE_OK) ? status
                                                     : VERVE_ERR_NO_MEMORY,
                                0};
        va_send_chunk(ep, VE_AM_GET_REPLY, &reply, sizeof(reply), NULL, 0);
        return;
    }
    req->rma.buffer = (void *)(uintptr_t)header.address;
    req->rma.length = header.length;
    req->rma.offset = 0;
    req->rma.remote_addr = header.req_id;
    req->send = va_get_reply_send;
    ve_ep_start_internal(req);
}

void va_get_reply_handler(void *arg, void *data, size_t length,
                          uint64_t src_uid)
{
    ve_worker_t *worker = arg;
    va_get_reply_t reply;
    ve_request_t *req;

    if (length < sizeof(reply)) {
        return;
    }
    memcpy(&reply, data, sizeof(reply));
    req = va_reply_request(worker, reply.req_id, src_uid);
    if (req == NULL) {
        return;
    }
    if (reply.status != VERVE_OK) {
        va_request_finish(req, reply.status);
        return;
    }
    if (reply.length != length - sizeof(reply) ||
        reply.offset > req->rma.length ||
        reply.length > req->rma.length - reply.offset) {
        va_request_finish(req, VERVE_ERR_IO);
        return;
    }
    memcpy((uint8_t *)req->rma.buffer + reply.offset,
           (uint8_t *)data + sizeof(reply), reply.length);
    req->rma.acked += reply.length;
    if (req->rma.acked >= req->rma.length) {
        va_request_finish(req, VERVE_OK);
    }
}

void va_amo_req_handler(void *arg, void *data, size_t length,
                        uint64_t src_uid)
{
    ve_worker_t *worker = arg;
    va_reply_t reply = {0, VERVE_OK, 0, 0};
    va_amo_header_t header;
    ve_mem_t *mem;
    ve_ep_t *ep;

    if (length != sizeof(header)) {
        return;
    }
    memcpy(&header, data, sizeof(header));
    ep = va_reply_ep(worker, src_uid, "atomic");
    if (ep == NULL) {
        return;
    }
    reply.req_id = header.req_id;
    reply.length = header.size;
    if ((header.size != 4 && header.size != 8) ||
        header.op > VT_ATOMIC_CSWAP || header.address % header.size != 0) {
        reply.status = VERVE_ERR_INVALID_PARAM;
    } else {
        reply.status = ve_mem_lookup(worker->context, header.key_id,
                                     header.address, header.size, &mem);
    }
    if (reply.status == VERVE_OK) {
        vt_atomic_apply((vt_atomic_op_t)header.op, header.size,
                        (void *)(uintptr_t)header.address, header.value,
                        header.compare, &reply.result);
    }
    va_send_reply(ep, VE_AM_RMA_REPLY, &reply);
}

void va_rma_reply_handler(void *arg, void *data, size_t length,
                          uint64_t src_uid)
{
    va_reply_t reply;
    ve_request_t *req = va_reply_parse(arg, data, length, src_uid, &reply);

    if (req == NULL) {
        return;
    }
    if (req->send == va_amo_emulated_send) {
        if (reply.status == VERVE_OK && req->amo.result != NULL) {
            if (req->amo.size == 4) {
                uint32_t result32 = (uint32_t)reply.result;
                memcpy(req->amo.result, &result32, sizeof(result32));
            } else {
                memcpy(req->amo.result, &reply.result, sizeof(reply.result));
            }
        }
        va_request_finish(req, reply.status);
        return;
    }
    /* A put is answered chunk by chunk: it completes with the first error
     * once every chunk it sent is accounted for. */
    if (reply.status != VERVE_OK && req->first_error == VERVE_OK) {
        req->first_error = va_wire_status(reply.status);
    }
    req->rma.acked += reply.length;
    if (req->rma.acked >= req->rma.length) {
        va_request_finish(req, VERVE_OK);
    }
}
