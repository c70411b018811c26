/* Endpoints: lane selection, wireup, queued sends, failure. */
#ifndef VE_EP_H
#define VE_EP_H

#include "ve_types.h"

verve_status_t ve_ep_create_internal(ve_worker_t *worker,
                                     const void *address, size_t length,
                                     ve_ep_t **ep_p);
/* The endpoint replies to worker `uid` go through; NULL when that worker
 * never introduced itself. */
ve_ep_t *ve_ep_for_uid(ve_worker_t *worker, uint64_t uid);
void ve_ep_destroy(ve_ep_t *ep, verve_status_t status);

/* Starts req->send on the endpoint, queueing it behind earlier sends or
 * when the transport is full; returns VERVE_INPROGRESS while the request
 * is queued or waits for a reply, otherwise its final status (the request
 * is then not on any list). */
verve_status_t ve_ep_start(ve_request_t *req);
/* The same for a request nobody waits for: it is released once done. */
void ve_ep_start_internal(ve_request_t *req);
/* The reply for an outstanding request arrived. */
void ve_ep_request_done(ve_request_t *req, verve_status_t status);
/* Queues a request whose first send attempt found the transport full. */
void ve_ep_queue(ve_request_t *req);
/* What the endpoint's lane offers to this peer: the lane's capabilities
 * less those its transport endpoint lacks (vt_ep_t.caps_off). */
static inline uint32_t ve_ep_caps(const ve_ep_t *ep)
{
    return ep->lane->caps.flags & ~ep->vt_ep->caps_off;
}

static inline int ve_ep_has_pending(const ve_ep_t *ep)
{
    return !vs_list_is_empty(&ep->pending);
}

/* Puts a request that waits for a peer's message on the outstanding list,
 * so that a failure of the peer completes it. */
static inline void ve_ep_track(ve_request_t *req)
{
    vs_list_add_tail(&req->ep->outstanding, &req->list);
}

/* A key's part for another component than the endpoint's lane: where
 * that component asks for every atomic on its memory (VT_CAP_AMO_LANE),
 * the key's atomics go through its lane (to the same peer). Returns
 * VERVE_ERR_INVALID_RKEY for malformed bytes, else VERVE_OK (the part is
 * then used or ignored). */
verve_status_t ve_ep_amo_unpack(ve_rkey_t *rkey, uint8_t component_id,
                                const void *buffer, size_t length);
/* Points the key's atomics at the endpoint's own lane, unless
 * ve_ep_amo_unpack chose another one. */
void ve_ep_amo_default(ve_rkey_t *rkey);

unsigned ve_ep_progress_pending(ve_worker_t *worker);
/* Warns once about each request that has waited on its peer longer than
 * VERVE_STALL_WARN (ve_stall.c); from the worker's liveness timer. */
void ve_worker_check_stalls(ve_worker_t *worker, uint64_t now_ns);
void ve_ep_check_peers(ve_worker_t *worker);
void ve_ep_fail(ve_ep_t *ep, verve_status_t status);
/* Adds a flush (or close) request completed when the endpoint is idle. */
verve_status_t ve_ep_flush(ve_ep_t *ep, ve_request_t *req);

#endif
