/*
 * verve tag matching: two-sided messages matched at the receiver by a
 * 64-bit tag under a mask, the model MPI's point-to-point calls need.
 *
 * Matching rules:
 * - A message matches a posted receive when
 *   (message tag & tag_mask) == (receive tag & tag_mask).
 * - Posted receives are matched in the order they were posted; messages
 *   from one endpoint are matched in the order they were sent (no
 *   overtaking), whatever their size or protocol.
 * - A message that arrives before a matching receive waits in the
 *   worker's unexpected queue: eager data there is a copy, a large
 *   (rendezvous) message is a descriptor and its data moves only after a
 *   match, straight into the receive buffer.
 *
 * Every call here is made with the worker's thread mode rules (any thread
 * under VERVE_THREAD_MODE_MULTI). Completions run from
 * verve_worker_progress, or in place when a call returns VERVE_OK.
 */
#ifndef VERVE_TAG_H
#define VERVE_TAG_H

#include <verve/verve.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t verve_tag_t;

/* A message taken out of the unexpected queue by verve_tag_probe_nb with
 * remove set; received with verve_tag_msg_recv_nbx (exactly once). */
typedef struct verve_tag_message *verve_tag_message_h;

/* What a receive found. Filled before the receive's callback runs, or
 * before the call returns VERVE_OK (or VERVE_ERR_MESSAGE_TRUNCATED) in
 * place, when the receive's param sets VERVE_OP_ATTR_FIELD_RECV_INFO. */
typedef struct verve_tag_recv_info {
    verve_tag_t sender_tag; /* the tag the sender gave */
    size_t length;          /* bytes the sender sent (may exceed what was
                               delivered: see VERVE_ERR_MESSAGE_TRUNCATED) */
} verve_tag_recv_info_t;

/* Sends count bytes from buffer (contiguous; or count iovs with
 * VERVE_DATATYPE_IOV) with tag. Completes, like verve_am_send_nbx, when
 * the buffer may be reused: in place (VERVE_OK) for small messages, later
 * for large ones. VERVE_AM_SEND_FLAG_EAGER/RNDV in param->flags force a
 * protocol. */
VERVE_API verve_status_t verve_tag_send_nbx(verve_ep_h ep, const void *buffer,
        size_t count, verve_tag_t tag, const verve_request_param_t *param,
        verve_request_h *request_p);

/* The same, but completes only once a receive at the peer has matched
 * the message (MPI_Ssend): never in place. */
VERVE_API verve_status_t verve_tag_send_sync_nbx(verve_ep_h ep,
        const void *buffer, size_t count, verve_tag_t tag,
        const verve_request_param_t *param, verve_request_h *request_p);

/* Posts a receive of at most length bytes into buffer (contiguous only),
 * for the first message whose tag matches tag under tag_mask. Returns
 * VERVE_OK when an eager message already waiting completed it in place,
 * VERVE_INPROGRESS with a request, or an error. A message longer than
 * length completes the receive with VERVE_ERR_MESSAGE_TRUNCATED after
 * length bytes were delivered; nothing is written past the buffer, and
 * the sender completes normally. VERVE_ERR_NO_MEMORY: nothing was posted
 * and no message left the unexpected queue. */
VERVE_API verve_status_t verve_tag_recv_nbx(verve_worker_h worker,
        void *buffer, size_t length, verve_tag_t tag, verve_tag_t tag_mask,
        const verve_request_param_t *param, verve_request_h *request_p);

/* Looks for a matching message in the unexpected queue without posting a
 * receive. Returns VERVE_OK and fills *info when one is there (the first
 * in matching order), VERVE_ERR_NO_ELEM when none is. With remove set
 * the message leaves the queue (no later receive or probe can see it)
 * and *message_p names it; message_p may be NULL otherwise. Does not
 * progress the worker: call verve_worker_progress between probes. */
VERVE_API verve_status_t verve_tag_probe_nb(verve_worker_h worker,
        verve_tag_t tag, verve_tag_t tag_mask, int remove,
        verve_tag_recv_info_t *info, verve_tag_message_h *message_p);

/* Receives a message taken by verve_tag_probe_nb: as verve_tag_recv_nbx,
 * the matching already done. VERVE_ERR_NO_MEMORY leaves the message
 * untouched, to be received again. */
VERVE_API verve_status_t verve_tag_msg_recv_nbx(verve_worker_h worker,
        void *buffer, size_t length, verve_tag_message_h message,
        const verve_request_param_t *param, verve_request_h *request_p);

/* Cancels a posted receive that has not matched yet: it completes with
 * VERVE_ERR_CANCELED (its callback runs) and VERVE_OK is returned. A
 * receive already matched, or a request that is not a tag receive, is
 * left alone and VERVE_ERR_BUSY (or VERVE_ERR_INVALID_PARAM) returned:
 * it completes as it would have. */
VERVE_API verve_status_t verve_tag_recv_cancel(verve_worker_h worker,
        verve_request_h request);

#ifdef __cplusplus
}
#endif

#endif
