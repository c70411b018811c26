/* Endpoints: one lane per peer, picked from the peer's address. */
#include <stdlib.h>
#include <string.h>
#include "ve_ep.h"
#include "ve_layer.h"
#include "ve_proto.h"
#include "ve_request.h"
#include "ve_worker.h"
#include "core/base/log.h"

static ve_peer_t *ve_peer_get(ve_worker_t *worker, uint64_t uid,
                              const void *address, size_t length)
{
    ve_peer_t *peer = vs_hash_get(&worker->peers, uid);
    if (peer != NULL) {
        return peer;
    }
    peer = calloc(1, sizeof(*peer));
    if (peer == NULL) {
        return NULL;
    }
    peer->address = malloc(length);
    if (peer->address == NULL ||
        vs_hash_put(&worker->peers, uid, peer) != VERVE_OK) {
        free(peer->address);
        free(peer);
        return NULL;
    }
    memcpy(peer->address, address, length);
    peer->address_length = length;
    peer->uid = uid;
    return peer;
}

static ve_lane_t *ve_ep_select_lane(ve_worker_t *worker,
                                    const ve_address_entry_t *entries,
                                    unsigned count,
                                    const ve_address_entry_t **entry_p)
{
    ve_lane_t *best = NULL;
    unsigned i, j;

    for (i = 0; i < count; ++i) {
        for (j = 0; j < worker->num_ifaces; ++j) {
            ve_lane_t *lane = &worker->ifaces[j];
            if (lane->component->id != entries[i].component_id ||
                !lane->iface->ops->iface_is_reachable(
                        lane->iface, entries[i].address, entries[i].length)) {
                continue;
            }
            if (best == NULL || lane->caps.latency_ns < best->caps.latency_ns) {
                best = lane;
                *entry_p = &entries[i];
            }
        }
    }
    return best;
}

static size_t ve_wireup_pack(void *dest, void *arg)
{
    ve_request_t *req = arg;
    memcpy(dest, req->am.header, req->am.header_length);
    return req->am.header_length;
}

static verve_status_t ve_wireup_send(ve_request_t *req)
{
    ssize_t packed = req->ep->vt_ep->iface->ops->ep_am_bcopy(
            req->ep->vt_ep, VE_AM_WIREUP, ve_wireup_pack, req);
    return packed < 0 ? (verve_status_t)packed : VERVE_OK;
}

/* Introduces this worker to the peer, so that its handlers get a reply
 * endpoint. Sent first on the lane: the peer sees it before any message
 * that needs it. */
static verve_status_t ve_ep_send_wireup(ve_ep_t *ep)
{
    ve_worker_t *worker = ep->worker;
    ve_request_t *req = ve_request_get(worker, ep, NULL);
    verve_status_t status;
    void *address;
    size_t length;

    if (req == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    status = ve_address_pack(worker, &address, &length);
    if (status != VERVE_OK) {
        vs_mpool_put(req);
        return status;
    }
    req->am.header = address;
    req->am.header_length = length;
    req->flags |= VE_REQ_FLAG_HEADER_ALLOC;
    req->send = ve_wireup_send;
    ve_ep_start_internal(req);
    return VERVE_OK;
}

verve_status_t ve_ep_create_internal(ve_worker_t *worker,
                                     const void *address, size_t length,
                                     ve_ep_t **ep_p)
{
    ve_address_entry_t entries[VE_MAX_IFACES];
    const ve_address_entry_t *entry = NULL;
    unsigned count;
    uint64_t uid;
    ve_lane_t *lane;
    ve_peer_t *peer;
    ve_ep_t *ep;
    verve_status_t status;

    status = ve_address_unpack(address, length, &uid, entries,
                               VE_MAX_IFACES, &count);
    if (status != VERVE_OK) {
        return status;
    }
    lane = ve_ep_select_lane(worker, entries, count, &entry);
    if (lane == NULL) {
        vs_error("worker %016llx: no transport reaches worker %016llx "
                 "(%u transports in its address; check VERVE_TLS)",
                 (unsigned long long)worker->uid, (unsigned long long)uid,
                 count);
        return VERVE_ERR_UNREACHABLE;
    }
    peer = ve_peer_get(worker, uid, address, length);
    ep = calloc(1, sizeof(*ep));
    if (peer == NULL || ep == NULL) {
        status = VERVE_ERR_NO_MEMORY;
        goto err_free;
    }
    status = lane->iface->ops->ep_create(lane->iface, entry->address,
                                         entry->length, &ep->vt_ep);
    if (status != VERVE_OK) {
        vs_error("%s: cannot connect to worker %016llx: %s",
                 lane->component->name, (unsigned long long)uid,
                 verve_status_string(status));
        goto err_free;
    }
    ep->worker = worker;
    ep->peer = peer;
    ep->lane = lane;
    worker->idle_yield_eps += !!(lane->caps.flags & VT_CAP_IDLE_YIELD);
    ep->error = VERVE_OK;
    vs_list_init(&ep->pending);
    vs_list_init(&ep->outstanding);
    vs_list_init(&ep->flushes);
    vs_list_init(&ep->pending_list);
    vs_list_add_tail(&worker->eps, &ep->list);
    if (peer->ep == NULL) {
        peer->ep = ep;
    }
    status = ve_ep_send_wireup(ep);
    if (status != VERVE_OK) {
        ve_ep_destroy(ep, status);
        return status;
    }
    vs_debug("worker %016llx: endpoint to %016llx on %s",
             (unsigned long long)worker->uid, (unsigned long long)uid,
             lane->component->name);
    *ep_p = ep;
    return VERVE_OK;

err_free:
    free(ep);
    return status;
}

/* The endpoint's atomics lane: an endpoint of `lane` to the same peer,
 * made once. */
static verve_status_t ve_ep_amo_connect(ve_ep_t *ep, ve_lane_t *lane)
{
    ve_address_entry_t entries[VE_MAX_IFACES];
    verve_status_t status;
    unsigned count, i;
    uint64_t uid;

    if (ep->amo_vt_ep != NULL) {
        /* One atomics lane per endpoint: a second component asking for
         * its own would be a second agent on the same words. */
        return ep->amo_vt_ep->iface == lane->iface ? VERVE_OK
                                                   : VERVE_ERR_UNSUPPORTED;
    }
    status = ve_address_unpack(ep->peer->address, ep->peer->address_length,
                               &uid, entries, VE_MAX_IFACES, &count);
    if (status != VERVE_OK) {
        return status;
    }
    for (i = 0; i < count; ++i) {
        if (entries[i].component_id != lane->component->id ||
            !lane->iface->ops->iface_is_reachable(
                    lane->iface, entries[i].address, entries[i].length)) {
            continue;
        }
        status = lane->iface->ops->ep_create(lane->iface, entries[i].address,
                                             entries[i].length,
                                             &ep->amo_vt_ep);
        if (status == VERVE_OK) {
            vs_debug("worker %016llx: atomics to %016llx on %s",
                     (unsigned long long)ep->worker->uid,
                     (unsigned long long)uid, lane->component->name);
        }
        return status;
    }
    return VERVE_ERR_UNREACHABLE;
}

verve_status_t ve_ep_amo_unpack(ve_rkey_t *rkey, uint8_t component_id,
                                const void *buffer, size_t length)
{
    ve_ep_t *ep = rkey->ep;
    ve_worker_t *worker = ep->worker;
    const uint32_t amo = VT_CAP_AMO32 | VT_CAP_AMO64;
    ve_lane_t *lane = NULL;
    verve_status_t status;
    vt_rkey_t *vt_rkey;
    unsigned i;

    if (!worker->context->config.rma_native || rkey->amo_component != NULL) {
        return VERVE_OK;
    }
    for (i = 0; i < worker->num_ifaces && lane == NULL; ++i) {
        if (worker->ifaces[i].component->id == component_id) {
            lane = &worker->ifaces[i];
        }
    }
    if (lane == NULL || !(lane->caps.flags & VT_CAP_AMO_LANE)) {
        return VERVE_OK;
    }
    status = lane->component->rkey_unpack(lane->iface, buffer, length,
                                          &vt_rkey);
    if (status != VERVE_OK) {
        return status == VERVE_ERR_INVALID_RKEY ? status : VERVE_OK;
    }
    if (!(vt_rkey->flags & VT_CAP_AMO_LANE) || !(vt_rkey->flags & amo)) {
        lane->component->rkey_release(vt_rkey);
        return VERVE_OK;
    }
    /* Keys are unpacked outside the worker's lock; an endpoint is made
     * under it. */
    ve_worker_lock(worker);
    status = ve_ep_amo_connect(ep, lane);
    ve_worker_unlock(worker);
    if (status != VERVE_OK) {
        /* The atomics stay on the endpoint's lane, which may race the
         * device's: say so. */
        vs_warn("worker %016llx: no %s lane to %016llx for atomics (%s): "
                "atomics on its memory may race the device's",
                (unsigned long long)worker->uid, lane->component->name,
                (unsigned long long)ep->peer->uid,
                verve_status_string(status));
        lane->component->rkey_release(vt_rkey);
        return VERVE_OK;
    }
    rkey->amo_vt_ep = ep->amo_vt_ep;
    rkey->amo_vt_rkey = vt_rkey;
    rkey->amo_component = lane->component;
    rkey->amo_caps = (vt_rkey->flags & amo) |
                     (lane->caps.flags & VT_CAP_ASYNC);
    return VERVE_OK;
}

void ve_ep_amo_default(ve_rkey_t *rkey)
{
    if (rkey->amo_component == NULL) {
        rkey->amo_vt_ep = rkey->ep->vt_ep;
        rkey->amo_vt_rkey = rkey->vt_rkey;
        rkey->amo_caps = (rkey->caps & (VT_CAP_AMO32 | VT_CAP_AMO64)) |
                         (rkey->ep->lane->caps.flags & VT_CAP_ASYNC);
    }
}

ve_ep_t *ve_ep_for_uid(ve_worker_t *worker, uint64_t uid)
{
    ve_peer_t *peer = worker->last_peer;
    ve_ep_t *ep;

    if (peer == NULL || peer->uid != uid) {
        peer = vs_hash_get(&worker->peers, uid);
        if (peer == NULL) {
            return NULL;
        }
        /* peers live as long as the worker: the pointer stays valid */
        worker->last_peer = peer;
    }
    if (vs_likely(peer->ep != NULL)) {
        return peer->ep;
    }
    if (ve_ep_create_internal(worker, peer->address, peer->address_length,
                              &ep) != VERVE_OK) {
        return NULL;
    }
    return peer->ep;
}

void ve_wireup_handler(void *arg, void *data, size_t length,
                       uint64_t src_uid)
{
    ve_worker_t *worker = arg;
    ve_address_entry_t entries[VE_MAX_IFACES];
    unsigned count;
    uint64_t uid;

    if (ve_address_unpack(data, length, &uid, entries, VE_MAX_IFACES,
                          &count) != VERVE_OK || uid != src_uid) {
        vs_warn("worker %016llx: dropped a malformed wireup from %016llx",
                (unsigned long long)worker->uid,
                (unsigned long long)src_uid);
        return;
    }
    if (ve_peer_get(worker, uid, data, length) == NULL) {
        vs_error("worker %016llx: no memory to record peer %016llx",
                 (unsigned long long)worker->uid, (unsigned long long)uid);
    }
}

/* Requests the transport holds stay: it completes them itself. */
static void ve_ep_complete_list(vs_list_link_t *head, verve_status_t status)
{
    vs_list_link_t *link = head->next;

    while (link != head) {
        ve_request_t *req = vs_list_entry(link, ve_request_t, list);
        link = link->next;
        if (req->flags & VE_REQ_FLAG_TRANSPORT) {
            continue;
        }
        vs_list_del(&req->list);
        ve_request_complete(req, status);
        /* A callback may have completed others: start again. */
        link = head->next;
    }
}

static void ve_ep_remove_pending(ve_ep_t *ep)
{
    if (ep->flags & VE_EP_FLAG_ON_PENDING) {
        vs_list_del(&ep->pending_list);
        ep->flags &= ~VE_EP_FLAG_ON_PENDING;
    }
}

/* Callbacks run from a completion may close the endpoint the code around
 * them still reads: while held, a destroy only marks it, and the last
 * release frees it. Returns 0 when it was destroyed meanwhile. */
static void ve_ep_hold(ve_ep_t *ep)
{
    ++ep->busy;
}

static int ve_ep_release(ve_ep_t *ep)
{
    if (!(ep->flags & VE_EP_FLAG_DESTROYED)) {
        --ep->busy;
        return 1;
    }
    if (--ep->busy == 0) {
        free(ep);
    }
    return 0;
}

void ve_ep_destroy(ve_ep_t *ep, verve_status_t status)
{
    if (ep->flags & VE_EP_FLAG_DESTROYED) {
        return;     /* closed again by a callback its destroy ran */
    }
    ep->flags |= VE_EP_FLAG_DESTROYED;
    ve_ep_hold(ep);
    ve_layers_ep_gone(ep);
    ve_ep_remove_pending(ep);
    ve_ep_complete_list(&ep->pending, status);
    ve_ep_complete_list(&ep->outstanding, status);
    ve_ep_complete_list(&ep->flushes, VERVE_OK);
    if (ep->peer->ep == ep) {
        ep->peer->ep = NULL;
    }
    vs_list_del(&ep->list);
    ep->worker->idle_yield_eps -= !!(ep->lane->caps.flags &
                                     VT_CAP_IDLE_YIELD);
    /* Completes what the transport still held, through the requests'
     * completions. */
    ep->vt_ep->iface->ops->ep_destroy(ep->vt_ep);
    if (ep->amo_vt_ep != NULL) {
        ep->amo_vt_ep->iface->ops->ep_destroy(ep->amo_vt_ep);
    }
    if (!vs_list_is_empty(&ep->outstanding)) {
        vs_error("worker %016llx: %s left operations to %016llx "
                 "uncompleted at close", (unsigned long long)ep->worker->uid,
                 ep->lane->component->name,
                 (unsigned long long)ep->peer->uid);
        while (!vs_list_is_empty(&ep->outstanding)) {
            ve_request_t *req = vs_list_entry(ep->outstanding.next,
                                              ve_request_t, list);
            vs_list_del(&req->list);
            ve_request_complete(req, status);
        }
    }
    ve_ep_release(ep);
}

static void ve_ep_add_pending(ve_ep_t *ep)
{
    if (!(ep->flags & VE_EP_FLAG_ON_PENDING)) {
        vs_list_add_tail(&ep->worker->pending_eps, &ep->pending_list);
        ep->flags |= VE_EP_FLAG_ON_PENDING;
    }
}

/* The transports' part of a flush, on the atomics lane too. */
static verve_status_t ve_ep_transport_flush(ve_ep_t *ep)
{
    verve_status_t status = ep->vt_ep->iface->ops->ep_flush(ep->vt_ep, NULL);

    if (vs_unlikely(ep->amo_vt_ep != NULL) && status == VERVE_OK) {
        status = ep->amo_vt_ep->iface->ops->ep_flush(ep->amo_vt_ep, NULL);
    }
    return status;
}

/* Flushes finish once nothing is queued or waiting for a reply and the
 * transport has finished what it was given (asked again from progress
 * while it has not); a close request then destroys the endpoint. */
static void ve_ep_check_flushes(ve_ep_t *ep)
{
    verve_status_t status = ep->error;
    int close = 0;

    if ((ep->flags & VE_EP_FLAG_DESTROYED) ||
        vs_list_is_empty(&ep->flushes) ||
        !vs_list_is_empty(&ep->outstanding) || ve_ep_has_pending(ep)) {
        return;
    }
    if (!(ep->flags & VE_EP_FLAG_FAILED)) {
        status = ve_ep_transport_flush(ep);
        if (status == VERVE_INPROGRESS) {
            ve_ep_add_pending(ep);
            return;
        }
    }
    ve_ep_hold(ep);
    while (!vs_list_is_empty(&ep->flushes)) {
        ve_request_t *req = vs_list_entry(ep->flushes.next, ve_request_t,
                                          list);
        vs_list_del(&req->list);
        close |= !!(req->flags & VE_REQ_FLAG_CLOSE);
        ve_request_complete(req, status);
    }
    if (ve_ep_release(ep) && close) {
        ve_ep_destroy(ep, VERVE_ERR_CANCELED);
    }
}

void ve_ep_queue(ve_request_t *req)
{
    ve_ep_t *ep = req->ep;
    vs_list_add_tail(&ep->pending, &req->list);
    ve_ep_add_pending(ep);
}

/* One send attempt. Leaves the request on the outstanding list when it
 * waits for a reply (VERVE_INPROGRESS), on no list otherwise. */
static verve_status_t ve_ep_try_send(ve_request_t *req)
{
    verve_status_t status;

    /* On the outstanding list before sending: a reply may be handled by a
     * nested progress call before send returns. */
    vs_list_add_tail(&req->ep->outstanding, &req->list);
    status = req->send(req);
    if (status != VERVE_INPROGRESS) {
        vs_list_del(&req->list);
    }
    return status;
}

verve_status_t ve_ep_start(ve_request_t *req)
{
    ve_ep_t *ep = req->ep;
    verve_status_t status;

    if (vs_unlikely(ep->flags & (VE_EP_FLAG_FAILED |
                                 VE_EP_FLAG_DESTROYED))) {
        /* Destroyed: started by a callback that its close runs. */
        return (ep->flags & VE_EP_FLAG_FAILED) ? ep->error
                                               : VERVE_ERR_CANCELED;
    }
    if (ve_ep_has_pending(ep)) {
        ve_ep_queue(req);
        return VERVE_INPROGRESS;
    }
    status = ve_ep_try_send(req);
    if (status == VERVE_ERR_NO_RESOURCE) {
        ve_ep_queue(req);
        return VERVE_INPROGRESS;
    }
    if (vs_unlikely(status == VERVE_ERR_PEER_FAILED)) {
        /* The transport knows before the liveness check does. */
        ve_ep_fail(ep, status);
    }
    return status;
}

void ve_ep_start_internal(ve_request_t *req)
{
    verve_status_t status;

    ve_request_set_internal(req);
    status = ve_ep_start(req);
    if (status != VERVE_INPROGRESS) {
        ve_request_complete(req, status);
    }
}

void ve_ep_request_done(ve_request_t *req, verve_status_t status)
{
    ve_ep_t *ep = req->ep;

    /* The request's callback may close the endpoint. */
    ve_ep_hold(ep);
    vs_list_del(&req->list);
    ve_request_complete(req, status);
    if (vs_unlikely(status == VERVE_ERR_PEER_FAILED)) {
        ve_ep_fail(ep, status);
    }
    ve_ep_check_flushes(ep);
    ve_ep_release(ep);
}

static unsigned ve_ep_send_pending(ve_ep_t *ep)
{
    unsigned count = 0;

    while (ve_ep_has_pending(ep)) {
        ve_request_t *req = vs_list_entry(ep->pending.next, ve_request_t,
                                          list);
        verve_status_t status;
        vs_list_del(&req->list);
        status = ve_ep_try_send(req);
        if (status == VERVE_INPROGRESS) {
            ++count;
            continue;
        }
        if (status == VERVE_ERR_NO_RESOURCE) {
            vs_list_add_head(&ep->pending, &req->list);
            break;
        }
        ++count;
        ve_request_complete(req, status);
        if (vs_unlikely(status == VERVE_ERR_PEER_FAILED)) {
            ve_ep_fail(ep, status);     /* fails the rest of the queue */
            break;
        }
    }
    return count;
}

unsigned ve_ep_progress_pending(ve_worker_t *worker)
{
    size_t rounds = vs_list_length(&worker->pending_eps);
    unsigned count = 0;

    /* Each ep leaves the list while it is served and goes back to the
     * tail while it has sends queued or a transport flush not done: no
     * pointer into the list is kept across the callbacks, which may
     * close any ep. One pass serves as many eps as were queued at its
     * start. */
    while (rounds-- > 0 && !vs_list_is_empty(&worker->pending_eps)) {
        ve_ep_t *ep = vs_list_entry(worker->pending_eps.next, ve_ep_t,
                                    pending_list);
        ve_ep_remove_pending(ep);
        ve_ep_hold(ep);
        count += ve_ep_send_pending(ep);
        if (ve_ep_has_pending(ep)) {
            ve_ep_add_pending(ep);
        } else {
            ve_ep_check_flushes(ep);
        }
        ve_ep_release(ep);
    }
    return count;
}

void ve_ep_fail(ve_ep_t *ep, verve_status_t status)
{
    if (ep->flags & (VE_EP_FLAG_FAILED | VE_EP_FLAG_DESTROYED)) {
        return;
    }
    vs_warn("worker %016llx: peer %016llx on %s failed: %s",
            (unsigned long long)ep->worker->uid,
            (unsigned long long)ep->peer->uid, ep->lane->component->name,
            verve_status_string(status));
    ep->flags |= VE_EP_FLAG_FAILED;
    ep->error = status;
    /* Every callback below may close the endpoint. */
    ve_ep_hold(ep);
    ve_ep_remove_pending(ep);
    ve_ep_complete_list(&ep->pending, status);
    ve_ep_complete_list(&ep->outstanding, status);
    ve_layers_ep_failed(ep, status);
    if ((ep->flags & (VE_EP_FLAG_USER | VE_EP_FLAG_DESTROYED)) ==
                VE_EP_FLAG_USER && ep->err_cb != NULL) {
        ep->err_cb(ep->err_arg, ep, status);
    }
    ve_ep_check_flushes(ep);
    ve_ep_release(ep);
}

/* Up to this many progress rounds take what dead peers left in the
 * queues; live peers may keep them busy longer, so it is bounded. */
#define VE_EP_DRAIN_ROUNDS 64

void ve_ep_check_peers(ve_worker_t *worker)
{
    vs_list_link_t *link, *next;
    unsigned dying = 0, i, round, count;

    for (link = worker->eps.next; link != &worker->eps; link = link->next) {
        ve_ep_t *ep = vs_list_entry(link, ve_ep_t, list);
        verve_status_t status;
        if (ep->flags & VE_EP_FLAG_FAILED) {
            continue;
        }
        status = ep->vt_ep->iface->ops->ep_check(ep->vt_ep);
        if (status != VERVE_OK) {
            ep->flags |= VE_EP_FLAG_DYING;
            ep->error = status;
            ++dying;
        }
    }
    if (dying == 0) {
        return;
    }
    /* What a peer sent before it died may still sit in a queue that the
     * last poll found empty: take it before its requests fail, or its
     * last messages would be lost. It sends nothing after its death. */
    for (round = 0; round < VE_EP_DRAIN_ROUNDS; ++round) {
        count = 0;
        for (i = 0; i < worker->num_ifaces; ++i) {
            count += worker->ifaces[i].iface->ops->iface_progress(
                    worker->ifaces[i].iface);
        }
        if (count == 0) {
            break;
        }
    }
    for (link = worker->eps.next; link != &worker->eps; link = next) {
        ve_ep_t *ep = vs_list_entry(link, ve_ep_t, list);
        next = link->next;
        if (ep->flags & VE_EP_FLAG_DYING) {
            ep->flags &= (uint16_t)~VE_EP_FLAG_DYING;
            ve_ep_fail(ep, ep->error);
            /* Its callbacks may have closed any endpoint, the next one
             * too: look again from the start (the flag is cleared). */
            next = worker->eps.next;
        }
    }
}

verve_status_t ve_ep_flush(ve_ep_t *ep, ve_request_t *req)
{
    verve_status_t status;

    if (vs_list_is_empty(&ep->outstanding) && !ve_ep_has_pending(ep)) {
        if (ep->flags & VE_EP_FLAG_FAILED) {
            return ep->error;
        }
        status = ve_ep_transport_flush(ep);
        if (status != VERVE_INPROGRESS) {
            return status;
        }
        ve_ep_add_pending(ep);
    }
    vs_list_add_tail(&ep->flushes, &req->list);
    return VERVE_INPROGRESS;
}
