/*
 * Requests that wait on a peer too long (VERVE_STALL_WARN): an emulated
 * get whose target never calls progress hangs without a word otherwise.
 *
 * Cheap by construction: starting a request reads no clock. The worker's
 * liveness timer (idle progress, every VERVE_FAILURE_CHECK) walks the
 * endpoints' queues; a request seen there the first time is stamped with
 * that check's time, and one whose stamp is older than the limit is
 * warned about once. A warning thus comes between the limit and the limit
 * plus one check period after the request started waiting.
 */
#include <math.h>
#include <stdio.h>
#include "ve_ep.h"
#include "ve_layer.h"
#include "core/base/log.h"

/* What a request in one of the endpoint's queues waits for, when the
 * protocol layer does not say. */
typedef enum ve_stall_queue {
    VE_STALL_PENDING,        /* not yet sent */
    VE_STALL_OUTSTANDING,    /* sent, waits for a reply */
    VE_STALL_FLUSH           /* a flush or close */
} ve_stall_queue_t;

static void ve_stall_warn(const ve_ep_t *ep, const ve_request_t *req,
                          ve_stall_queue_t queue, uint32_t waited_ms)
{
    ve_request_what_t what;
    const char *waits_for;
    char waited[32];

    ve_layers_request_what(req, &what);
    if (queue == VE_STALL_FLUSH) {
        what.op = (req->flags & VE_REQ_FLAG_CLOSE) ? "endpoint close"
                                                   : "flush";
        waits_for = "the endpoint's earlier operations to complete";
    } else if (queue == VE_STALL_PENDING) {
        waits_for = "room to send: the transport to the peer is full "
                    "(the peer takes no messages?)";
    } else {
        waits_for = what.waits_for != NULL ? what.waits_for
                                           : "the peer's reply";
    }
    if (waited_ms < 10000) {
        snprintf(waited, sizeof(waited), "%u ms", (unsigned)waited_ms);
    } else {
        snprintf(waited, sizeof(waited), "%.0f s", waited_ms / 1e3);
    }
    vs_warn("worker %016llx: %s to peer %016llx over %s has waited %s "
            "(VERVE_STALL_WARN) for %s; is the peer alive and calling "
            "progress?", (unsigned long long)ep->worker->uid,
            what.op != NULL ? what.op : "an operation",
            (unsigned long long)ep->peer->uid, ep->lane->component->name,
            waited, waits_for);
}

static void ve_stall_check_list(const ve_ep_t *ep, vs_list_link_t *head,
                                ve_stall_queue_t queue, uint32_t now_ms,
                                uint32_t limit_ms)
{
    vs_list_link_t *link;

    for (link = head->next; link != head; link = link->next) {
        ve_request_t *req = vs_list_entry(link, ve_request_t, list);
        uint32_t waited;
        if (req->flags & VE_REQ_FLAG_STALL_WARNED) {
            continue;
        }
        if (!(req->flags & VE_REQ_FLAG_STALL_SEEN)) {
            req->flags |= VE_REQ_FLAG_STALL_SEEN;
            req->stall_ms = now_ms;
            continue;
        }
        /* Modulo 2^32: right across the wrap, for waits under 49 days. */
        waited = now_ms - req->stall_ms;
        if (waited >= limit_ms) {
            req->flags |= VE_REQ_FLAG_STALL_WARNED;
            ve_stall_warn(ep, req, queue, waited);
        }
    }
}

void ve_worker_check_stalls(ve_worker_t *worker, uint64_t now_ns)
{
    double limit = worker->context->config.stall_warn;
    uint32_t now_ms = (uint32_t)(now_ns / 1000000u);
    uint32_t limit_ms;
    vs_list_link_t *link;

    /* Waits of 49 days and more are never warned about: as good as inf. */
    if (!isfinite(limit) || limit * 1e3 >= (double)UINT32_MAX) {
        return;
    }
    limit_ms = (uint32_t)(limit * 1e3);
    for (link = worker->eps.next; link != &worker->eps; link = link->next) {
        ve_ep_t *ep = vs_list_entry(link, ve_ep_t, list);
        ve_stall_check_list(ep, &ep->pending, VE_STALL_PENDING, now_ms,
                            limit_ms);
        ve_stall_check_list(ep, &ep->outstanding, VE_STALL_OUTSTANDING,
                            now_ms, limit_ms);
        ve_stall_check_list(ep, &ep->flushes, VE_STALL_FLUSH, now_ms,
                            limit_ms);
    }
}
