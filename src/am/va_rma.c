/*
 * Put, get and atomics. A key the lane reaches natively (mapped shared
 * memory, CMA, RDMA) goes straight to the transport: in place, without a
 * request, on lanes that complete in place; with a request whose
 * completion the transport calls on lanes that complete later
 * (VT_CAP_ASYNC). Any other key is emulated over AM by the target's
 * progress. Every path checks the range against the key first.
 */
#include <string.h>
#include "va_am.h"
#include "va_rma.h"
#include "core/ve_ep.h"
#include "core/ve_mem.h"
#include "core/ve_request.h"
#include "core/ve_worker.h"
#include "core/base/log.h"

static verve_status_t va_rma_check(ve_ep_t *ep, ve_rkey_t *rkey,
                                   uint64_t remote_addr, size_t length,
                                   const char *op)
{
    verve_status_t status;

    if (vs_unlikely(rkey == NULL || rkey->ep != ep)) {
        vs_error("%s: the remote key was not unpacked on this endpoint", op);
        return VERVE_ERR_INVALID_RKEY;
    }
    if (vs_unlikely(ep->flags & VE_EP_FLAG_FAILED)) {
        return ep->error;
    }
    status = ve_rkey_check(rkey, remote_addr, length);
    if (vs_unlikely(status != VERVE_OK)) {
        vs_error("%s: [0x%llx, +%zu) is outside the remote region "
                 "[0x%llx, +%llu)", op, (unsigned long long)remote_addr,
                 length, (unsigned long long)rkey->base,
                 (unsigned long long)rkey->length);
    }
    return status;
}

static void va_rma_transport_done(vt_completion_t *comp,
                                  verve_status_t status)
{
    ve_request_t *req = vs_container_of(comp, ve_request_t, rma.comp);

    req->flags &= ~VE_REQ_FLAG_TRANSPORT;
    ve_ep_request_done(req, status);
}

/* Hands rma.comp to the transport for one native op. */
static vt_completion_t *va_rma_comp_arm(ve_request_t *req)
{
    req->rma.comp.func = va_rma_transport_done;
    req->rma.comp.count = 1;
    req->rma.comp.status = VERVE_OK;
    req->flags |= VE_REQ_FLAG_TRANSPORT;
    return &req->rma.comp;
}

static verve_status_t va_rma_comp_result(ve_request_t *req,
                                         verve_status_t status)
{
    if (status != VERVE_INPROGRESS) {
        req->flags &= ~VE_REQ_FLAG_TRANSPORT;
    }
    return status;
}

static verve_status_t va_put_native_send(ve_request_t *req)
{
    ve_ep_t *ep = req->ep;
    return va_rma_comp_result(req, ep->vt_ep->iface->ops->ep_put(
            ep->vt_ep, req->rma.buffer, req->rma.length, req->rma.remote_addr,
            req->rma.rkey->vt_rkey, va_rma_comp_arm(req)));
}

static verve_status_t va_get_native_send(ve_request_t *req)
{
    ve_ep_t *ep = req->ep;
    return va_rma_comp_result(req, ep->vt_ep->iface->ops->ep_get(
            ep->vt_ep, req->rma.buffer, req->rma.length, req->rma.remote_addr,
            req->rma.rkey->vt_rkey, va_rma_comp_arm(req)));
}

/* On the key's atomics lane, which may not be the endpoint's. */
static verve_status_t va_amo_native_send(ve_request_t *req)
{
    vt_ep_t *vt_ep = req->amo.rkey->amo_vt_ep;
    return va_rma_comp_result(req, vt_ep->iface->ops->ep_atomic(
            vt_ep, (vt_atomic_op_t)req->amo.op, req->amo.size,
            req->amo.value, req->amo.compare, req->amo.result,
            req->amo.remote_addr, req->amo.rkey->amo_vt_rkey,
            va_rma_comp_arm(req)));
}

int va_rma_what(const ve_request_t *req, ve_request_what_t *what)
{
    static const char device[] = "the transport to complete it";
    static const char reply[] = "the target's reply, which only its "
                                "progress sends";
    static const struct {
        ve_request_send_t send;
        const char *op;
        const char *waits_for;
    } ops[] = {
        {va_put_native_send, "put", device},
        {va_get_native_send, "get", device},
        {va_amo_native_send, "atomic", device},
        {va_put_emulated_send, "put (emulated over AM)", reply},
        {va_get_emulated_send, "get (emulated over AM)", reply},
        {va_amo_emulated_send, "atomic (emulated over AM)", reply},
    };

    for (size_t i = 0; i < vs_array_size(ops); ++i) {
        if (req->send == ops[i].send) {
            what->op = ops[i].op;
            what->waits_for = ops[i].waits_for;
            return 1;
        }
    }
    return 0;
}

static verve_status_t va_rma_start(ve_ep_t *ep,
                                   const verve_request_param_t *param,
                                   ve_request_send_t send,
                                   ve_request_t **req_p)
{
    ve_request_t *req = ve_request_get(ep->worker, ep, param);
    if (req == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    req->send = send;
    *req_p = req;
    return VERVE_OK;
}

/* Put and get differ only in direction: the native transport op, or the
 * emulated send. */
static verve_status_t va_rma_nbx(ve_ep_t *ep, void *buffer, size_t length,
                                 uint64_t remote_addr, ve_rkey_t *rkey,
                                 const verve_request_param_t *param,
                                 verve_request_h *request_p, int is_put)
{
    ve_worker_t *worker = ep->worker;
    const vt_iface_ops_t *ops = ep->vt_ep->iface->ops;
    verve_status_t status;
    ve_request_t *req;
    int native;

    ve_worker_lock(worker);
    status = va_rma_check(ep, rkey, remote_addr, length,
                          is_put ? "verve_put_nbx" : "verve_get_nbx");
    if (status != VERVE_OK || length == 0) {
        goto out;
    }
    native = !!(rkey->caps & VT_CAP_RMA);
    if (vs_likely(native && !(ep->lane->caps.flags & VT_CAP_ASYNC) &&
                  !ve_ep_has_pending(ep))) {
        status = is_put ? ops->ep_put(ep->vt_ep, buffer, length, remote_addr,
                                      rkey->vt_rkey, NULL)
                        : ops->ep_get(ep->vt_ep, buffer, length, remote_addr,
                                      rkey->vt_rkey, NULL);
        if (status != VERVE_ERR_NO_RESOURCE) {
            goto out;
        }
    }
    status = va_rma_start(ep, param,
                          native ? (is_put ? va_put_native_send
                                           : va_get_native_send)
                                 : (is_put ? va_put_emulated_send
                                           : va_get_emulated_send), &req);
    if (status != VERVE_OK) {
        goto out;
    }
    req->rma.buffer = buffer;
    req->rma.length = length;
    req->rma.offset = 0;
    req->rma.acked = 0;
    req->rma.remote_addr = remote_addr;
    req->rma.rkey = rkey;
    status = ve_request_return(req, ve_ep_start(req), request_p);
out:
    ve_worker_unlock(worker);
    return status;
}

VERVE_API verve_status_t verve_put_nbx(verve_ep_h ep, const void *buffer,
        size_t length, uint64_t remote_addr, verve_rkey_h rkey,
        const verve_request_param_t *param, verve_request_h *request_p)
{
    /* The buffer is only read: rma.buffer is shared with get. */
    return va_rma_nbx(ep, (void *)buffer, length, remote_addr, rkey, param,
                      request_p, 1);
}

VERVE_API verve_status_t verve_get_nbx(verve_ep_h ep, void *buffer,
        size_t length, uint64_t remote_addr, verve_rkey_h rkey,
        const verve_request_param_t *param, verve_request_h *request_p)
{
    return va_rma_nbx(ep, buffer, length, remote_addr, rkey, param,
                      request_p, 0);
}

VERVE_API verve_status_t verve_atomic_nbx(verve_ep_h ep, verve_atomic_op_t op,
        uint64_t value, uint64_t compare, void *result, size_t op_size,
        uint64_t remote_addr, verve_rkey_h rkey,
        const verve_request_param_t *param, verve_request_h *request_p)
{
    static const vt_atomic_op_t vt_ops[] = {
        [VERVE_ATOMIC_ADD] = VT_ATOMIC_ADD,
        [VERVE_ATOMIC_FADD] = VT_ATOMIC_FADD,
        [VERVE_ATOMIC_SWAP] = VT_ATOMIC_SWAP,
        [VERVE_ATOMIC_CSWAP] = VT_ATOMIC_CSWAP,
    };
    ve_worker_t *worker = ep->worker;
    verve_status_t status;
    ve_request_t *req;
    uint32_t cap;

    if ((unsigned)op >= VERVE_ATOMIC_OP_LAST ||
        (op_size != 4 && op_size != 8) || (remote_addr % op_size) != 0 ||
        (op != VERVE_ATOMIC_ADD && result == NULL)) {
        vs_error("verve_atomic_nbx: invalid arguments (op %d, size %zu, "
                 "address 0x%llx, result %p)", (int)op, op_size,
                 (unsigned long long)remote_addr, result);
        return VERVE_ERR_INVALID_PARAM;
    }
    ve_worker_lock(worker);
    status = va_rma_check(ep, rkey, remote_addr, op_size,
                          "verve_atomic_nbx");
    if (status != VERVE_OK) {
        goto out;
    }
    cap = (op_size == 4) ? VT_CAP_AMO32 : VT_CAP_AMO64;
    /* amo_caps: the key's atomics lane, and whether it completes later. */
    if (vs_likely((rkey->amo_caps & (cap | VT_CAP_ASYNC)) == cap &&
                  !ve_ep_has_pending(ep))) {
        status = rkey->amo_vt_ep->iface->ops->ep_atomic(
                rkey->amo_vt_ep, vt_ops[op], op_size, value, compare,
                result, remote_addr, rkey->amo_vt_rkey, NULL);
        if (status != VERVE_ERR_NO_RESOURCE) {
            goto out;
        }
    }
    status = va_rma_start(ep, param,
                          (rkey->amo_caps & cap) ? va_amo_native_send
                                                 : va_amo_emulated_send,
                          &req);
    if (status != VERVE_OK) {
        goto out;
    }
    req->amo.op = vt_ops[op];
    req->amo.size = op_size;
    req->amo.value = value;
    req->amo.compare = compare;
    req->amo.result = result;
    req->amo.remote_addr = remote_addr;
    req->amo.rkey = rkey;
    status = ve_request_return(req, ve_ep_start(req), request_p);
out:
    ve_worker_unlock(worker);
    return status;
}
