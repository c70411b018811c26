/* Protocol-layer internals shared by its files. */
#ifndef VA_AM_H
#define VA_AM_H

#include "core/ve_types.h"
#include "va_wire.h"

/* Largest packed transport key a rendezvous carries. */
#define VA_RNDV_KEY_MAX 64

/* A piece of a copy send. */
typedef struct va_part {
    const void *data;
    size_t length;
} va_part_t;

/* Sends the parts (any may be empty) one after the other as one copy-send
 * AM: the transport's packed length, or a negative verve_status_t. */
ssize_t va_send_parts(ve_ep_t *ep, uint8_t am_id, const va_part_t *parts,
                      unsigned count);
/* The same for two parts, header then data. */
ssize_t va_send_chunk(ve_ep_t *ep, uint8_t am_id, const void *header,
                      size_t header_length, const void *data,
                      size_t length);

/* A status as it came from the wire: positive values are not statuses. */
static inline verve_status_t va_wire_status(int32_t status)
{
    return (status > 0) ? VERVE_ERR_IO : (verve_status_t)status;
}

/* Sends a small control message (at most VE_REQ_HEADER_INLINE bytes) on
 * ep, queueing it when the transport is full. */
void va_send_control(ve_ep_t *ep, uint8_t am_id, const void *data,
                     size_t length);
static inline void va_send_reply(ve_ep_t *ep, uint8_t am_id,
                                 const va_reply_t *reply)
{
    va_send_control(ep, am_id, reply, sizeof(*reply));
}

/* The request a reply is for, checked to come from the worker it went
 * to; NULL (and a warning) otherwise. */
ve_request_t *va_reply_request(ve_worker_t *worker, uint64_t req_id,
                               uint64_t src_uid);
/* Checks a received va_reply_t and finds its request (NULL: dropped). */
ve_request_t *va_reply_parse(ve_worker_t *worker, const void *data,
                             size_t length, uint64_t src_uid,
                             va_reply_t *reply);
void va_request_finish(ve_request_t *req, int32_t reply_status);

/* Fragmented eager (va_am_frag.c): whether a lane can carry a header of
 * this length that way, the request's send step, and the receive side. */
enum {
    VA_PROTO_FLAG_FRAG_STARTED = 1u << 0,  /* the first part went out */
    VA_PROTO_FLAG_COLL = 1u << 1           /* sent with VA_AM_FLAG_COLL */
};
/* The wire flags of a request's messages. */
static inline uint8_t va_request_am_flags(const ve_request_t *req)
{
    return (req->am.proto_flags & VA_PROTO_FLAG_COLL) ? VA_AM_FLAG_COLL : 0;
}
int va_frag_fits(const ve_lane_t *lane, size_t header_length);
verve_status_t va_frag_send(ve_request_t *req);
void va_frag_handler(void *arg, void *data, size_t length, uint64_t src_uid);

void va_eager_handler(void *arg, void *data, size_t length, uint64_t src_uid);
void va_rts_handler(void *arg, void *data, size_t length, uint64_t src_uid);
/* ATS and PUT_DONE: the reply completes its request. */
void va_reply_handler(void *arg, void *data, size_t length,
                      uint64_t src_uid);
void va_rtr_handler(void *arg, void *data, size_t length, uint64_t src_uid);
void va_put_handler(void *arg, void *data, size_t length, uint64_t src_uid);
void va_get_req_handler(void *arg, void *data, size_t length,
                        uint64_t src_uid);
void va_get_reply_handler(void *arg, void *data, size_t length,
                          uint64_t src_uid);
void va_amo_req_handler(void *arg, void *data, size_t length,
                        uint64_t src_uid);
void va_rma_reply_handler(void *arg, void *data, size_t length,
                          uint64_t src_uid);

#endif
