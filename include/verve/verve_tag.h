/**
 * @file verve_tag.h
 * @brief verve tag matching: two-sided messages matched at the receiver
 * by a 64-bit tag under a mask, the model MPI's point-to-point calls need.
 */
#ifndef VERVE_TAG_H
#define VERVE_TAG_H

#include <verve/verve.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup verve_tag Tag matching
 * @brief Tagged sends, receives with a tag mask, probe, cancel.
 *
 * Matching rules:
 * - A message matches a posted receive when
 *   (message tag & tag_mask) == (receive tag & tag_mask).
 * - Posted receives are matched in the order they were posted; messages
 *   from one endpoint are matched in the order they were sent (no
 *   overtaking), whatever their size or protocol. Messages of different
 *   endpoints are matched in the order the worker's progress finds them.
 * - A message that arrives before a matching receive waits in the
 *   worker's unexpected queue: eager data there is a copy, a large
 *   (rendezvous) message is a descriptor and its data moves only after a
 *   match, straight into the receive buffer (the sender's send completes
 *   only then).
 *
 * Matching happens inside the receiver's progress (and inside
 * verve_tag_recv_nbx() against the unexpected queue), so a sender's large
 * message, and a synchronous send, complete only once the receiver
 * progresses after posting its receive.
 *
 * Every call here follows the worker's thread mode (any thread under
 * #VERVE_THREAD_MODE_MULTI) and may be called from a callback or AM
 * handler. Completions run from verve_worker_progress() (and the calls
 * that progress), or inside verve_tag_recv_cancel(); a call that returns
 * #VERVE_OK completed in place and runs no callback.
 * @{
 */

/** A 64-bit message tag. */
typedef uint64_t verve_tag_t;

/** A message taken out of the unexpected queue by verve_tag_probe_nb()
 * with remove set; received with verve_tag_msg_recv_nbx() (exactly once;
 * the handle is invalid after a call that did not return
 * #VERVE_ERR_NO_MEMORY or #VERVE_ERR_INVALID_PARAM). */
typedef struct verve_tag_message *verve_tag_message_h;

/** What a receive found. Filled before the receive's callback runs, or
 * before the call returns #VERVE_OK (or #VERVE_ERR_MESSAGE_TRUNCATED) in
 * place, when the receive's param sets #VERVE_OP_ATTR_FIELD_RECV_INFO;
 * and by verve_tag_probe_nb(). */
typedef struct verve_tag_recv_info {
    /** The tag the sender gave. */
    verve_tag_t sender_tag;
    /** Bytes the sender sent (may exceed what was delivered: see
     * #VERVE_ERR_MESSAGE_TRUNCATED). */
    size_t length;
} verve_tag_recv_info_t;

/**
 * @brief Sends count bytes from buffer with tag.
 *
 * Completes, like verve_am_send_nbx(), when the buffer may be reused: in
 * place (#VERVE_OK) for small messages, later for large ones (once a
 * matching receive has taken the data).
 *
 * @param[in] ep         The endpoint to the receiver.
 * @param[in] buffer     Contiguous bytes, or count verve_iov_t with
 *                       #VERVE_DATATYPE_IOV; must stay valid and unchanged
 *                       until the call returns #VERVE_OK or its request
 *                       completes. NULL only when count is 0.
 * @param[in] count      Bytes, or iov entries.
 * @param[in] tag        The message's tag.
 * @param[in] param      Callback, user data, datatype, and
 *                       #VERVE_AM_SEND_FLAG_EAGER or
 *                       #VERVE_AM_SEND_FLAG_RNDV in flags to force a
 *                       protocol; may be NULL.
 * @param[out] request_p With #VERVE_INPROGRESS, the request; may be NULL.
 * @return As verve_am_send_nbx().
 */
VERVE_API verve_status_t verve_tag_send_nbx(verve_ep_h ep, const void *buffer,
        size_t count, verve_tag_t tag, const verve_request_param_t *param,
        verve_request_h *request_p);

/**
 * @brief Sends like verve_tag_send_nbx(), but completes only once a
 * receive at the peer has matched the message (MPI_Ssend): never in place.
 *
 * @param[in] ep         The endpoint to the receiver.
 * @param[in] buffer     As verve_tag_send_nbx(); in use until the request
 *                       completes.
 * @param[in] count      Bytes, or iov entries.
 * @param[in] tag        The message's tag.
 * @param[in] param      As verve_tag_send_nbx(); may be NULL.
 * @param[out] request_p The request; may be NULL (then only the callback
 *                       tells of completion).
 * @return #VERVE_INPROGRESS, or an error as verve_am_send_nbx().
 */
VERVE_API verve_status_t verve_tag_send_sync_nbx(verve_ep_h ep,
        const void *buffer, size_t count, verve_tag_t tag,
        const verve_request_param_t *param, verve_request_h *request_p);

/**
 * @brief Posts a receive for the first message whose tag matches tag under
 * tag_mask.
 *
 * A message already waiting in the unexpected queue is matched at once: an
 * eager one completes the receive in place. A message longer than length
 * completes the receive with #VERVE_ERR_MESSAGE_TRUNCATED after length
 * bytes were delivered; nothing is written past the buffer, and the
 * sender completes normally.
 *
 * @param[in] worker     The worker.
 * @param[out] buffer    Receives at most length bytes (contiguous only);
 *                       owned by verve until the call returns in place or
 *                       the request completes (or is canceled). NULL only
 *                       when length is 0.
 * @param[in] length     Size of buffer.
 * @param[in] tag        Tag to match.
 * @param[in] tag_mask   Bits of the tag that must match; 0 matches any
 *                       message.
 * @param[in] param      Callback, user data and recv_info (which must stay
 *                       valid until the receive completes); may be NULL.
 * @param[out] request_p With #VERVE_INPROGRESS, the request (verve's until
 *                       verve_request_free()); may be NULL.
 * @return #VERVE_OK (completed in place from the unexpected queue);
 *         #VERVE_ERR_MESSAGE_TRUNCATED in place (length bytes delivered);
 *         #VERVE_INPROGRESS; #VERVE_ERR_INVALID_PARAM (NULL buffer with a
 *         non-zero length, a datatype other than contiguous);
 *         #VERVE_ERR_NO_MEMORY (nothing was posted and no message left
 *         the unexpected queue).
 */
VERVE_API verve_status_t verve_tag_recv_nbx(verve_worker_h worker,
        void *buffer, size_t length, verve_tag_t tag, verve_tag_t tag_mask,
        const verve_request_param_t *param, verve_request_h *request_p);

/**
 * @brief Looks for a matching message in the unexpected queue without
 * posting a receive.
 *
 * Does not progress the worker: call verve_worker_progress() between
 * probes.
 *
 * @param[in] worker     The worker.
 * @param[in] tag        Tag to match.
 * @param[in] tag_mask   Bits of the tag that must match.
 * @param[in] remove     Non-zero: the message found leaves the queue (no
 *                       later receive or probe can see it) and
 *                       *message_p names it.
 * @param[out] info      Receives the first matching message's tag and
 *                       length; may be NULL.
 * @param[out] message_p With remove, receives the message, to receive with
 *                       verve_tag_msg_recv_nbx(); may be NULL without
 *                       remove.
 * @return #VERVE_OK when a message was found (the first in matching
 *         order); #VERVE_ERR_NO_ELEM when none is;
 *         #VERVE_ERR_INVALID_PARAM (remove with message_p NULL);
 *         #VERVE_ERR_NO_MEMORY.
 */
VERVE_API verve_status_t verve_tag_probe_nb(verve_worker_h worker,
        verve_tag_t tag, verve_tag_t tag_mask, int remove,
        verve_tag_recv_info_t *info, verve_tag_message_h *message_p);

/**
 * @brief Receives a message taken by verve_tag_probe_nb(): as
 * verve_tag_recv_nbx(), the matching already done.
 *
 * @param[in] worker     The worker of the probe.
 * @param[out] buffer    As verve_tag_recv_nbx().
 * @param[in] length     Size of buffer.
 * @param[in] message    The probed message; consumed unless the call
 *                       returns #VERVE_ERR_NO_MEMORY or
 *                       #VERVE_ERR_INVALID_PARAM.
 * @param[in] param      As verve_tag_recv_nbx(); may be NULL.
 * @param[out] request_p With #VERVE_INPROGRESS, the request; may be NULL.
 * @return As verve_tag_recv_nbx(); #VERVE_ERR_NO_MEMORY leaves the message
 *         untouched, to be received again.
 */
VERVE_API verve_status_t verve_tag_msg_recv_nbx(verve_worker_h worker,
        void *buffer, size_t length, verve_tag_message_h message,
        const verve_request_param_t *param, verve_request_h *request_p);

/**
 * @brief Cancels a posted receive that has not matched yet.
 *
 * The receive completes with #VERVE_ERR_CANCELED, its callback running
 * inside this call. A receive already matched completes as it would have.
 *
 * @param[in] worker  The receive's worker.
 * @param[in] request A receive request from verve_tag_recv_nbx(), not yet
 *                    given back; it still needs verve_request_free().
 * @return #VERVE_OK when canceled; #VERVE_ERR_BUSY when already matched
 *         (or completed); #VERVE_ERR_INVALID_PARAM when request is NULL,
 *         of another worker, or not a tag receive.
 */
VERVE_API verve_status_t verve_tag_recv_cancel(verve_worker_h worker,
        verve_request_h request);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
