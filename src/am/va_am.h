/* Protocol-layer internals shared by its files. */
#ifndef VA_AM_H
#define VA_AM_H

#include "core/ve_types.h"
#include "va_wire.h"
#include "core/ve_layer.h"
#include "core/ve_proto.h"

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
    /* The message's wire flags (VA_AM_FLAG_*) sit above this shift. */
    VA_PROTO_AM_FLAGS_SHIFT = 8
};
/* The wire flags of a request's messages. */
static inline uint8_t va_request_am_flags(const ve_request_t *req)
{
    return (uint8_t)(req->am.proto_flags >> VA_PROTO_AM_FLAGS_SHIFT);
}

/* Sends a message of the AM channel: a user AM (am_flags 0), a
 * collectives' message (VA_AM_FLAG_COLL) or a tag message
 * (VA_AM_FLAG_TAG, optionally VA_AM_FLAG_SYNC: then the request always
 * waits for the receiver's ATS and its id is written into the last 8
 * bytes of the header copy that travels). */
verve_status_t va_am_send_flags(ve_ep_t *ep, unsigned id, uint8_t am_flags,
        const void *header, size_t header_length, const void *buffer,
        size_t count, const verve_request_param_t *param,
        verve_request_h *request_p);
int va_frag_fits(const ve_lane_t *lane, size_t header_length);
/* The layer's request_what hook for the requests each file starts: 0 when req is
 * not one of them. */
int va_am_send_what(const ve_request_t *req, ve_request_what_t *what);
int va_am_recv_what(const ve_request_t *req, ve_request_what_t *what);
int va_rma_what(const ve_request_t *req, ve_request_what_t *what);
verve_status_t va_frag_send(ve_request_t *req);
void va_frag_handler(void *arg, void *data, size_t length, uint64_t src_uid);
/* The protocol layer's hooks on the worker (va_handlers.c registers
 * them): fragments of a failed sender go, fragments that stopped coming
 * expire, what is left goes at worker destroy. */
void va_frag_peer_failed(ve_worker_t *worker, uint64_t uid);
void va_frag_worker_check(ve_worker_t *worker, uint64_t now_ns);
void va_frag_worker_cleanup(ve_worker_t *worker);

/* What a handler gets as `data` for a rendezvous. */
typedef struct va_rndv_desc {
    ve_worker_t *worker;
    ve_ep_t *ep;            /* back to the sender */
    uint64_t req_id;        /* the sender's request */
    uint64_t address;
    size_t length;
    vt_rkey_t *rkey;        /* the sender's buffer, on ep's lane */
    int in_handler;
    int taken;              /* verve_am_recv_data_nbx was called */
} va_rndv_desc_t;

/* Receives a rendezvous into buffer (verve_am_recv_data_nbx without the
 * lock); the descriptor is freed unless a handler is running on it. */
verve_status_t va_rndv_recv(ve_worker_t *worker, va_rndv_desc_t *desc,
                            void *buffer, size_t length,
                            const verve_request_param_t *param,
                            verve_request_h *request_p);
/* Answers the sender (ATS with status) and frees the descriptor: a
 * rendezvous nobody will read. */
void va_rndv_drop(va_rndv_desc_t *desc, verve_status_t status);

void va_eager_handler(void *arg, void *data, size_t length, uint64_t src_uid);
void va_rts_handler(void *arg, void *data, size_t length, uint64_t src_uid);
/* ATS: the reply completes its request. */
void va_reply_handler(void *arg, void *data, size_t length,
                      uint64_t src_uid);
void va_put_done_handler(void *arg, void *data, size_t length,
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
