/*
 * Wire formats of the protocol layer. Every field that arrives from a peer
 * is checked before use: lengths against the received size, request ids
 * against the table of requests waiting for a reply, keys against the
 * registered regions.
 */
#ifndef VA_WIRE_H
#define VA_WIRE_H

#include <stdint.h>

/* VE_AM_EAGER: this, the user header, the payload. */
typedef struct va_am_header {
    uint8_t id;
    uint8_t flags;          /* VA_AM_FLAG_* */
    uint16_t header_length;
} va_am_header_t;

enum {
    /* For the collectives' channel (worker->chan_handler); id unused. */
    VA_AM_FLAG_COLL = 1u << 0,
    /* A tag-matched message (va_tag.h); id unused, the user header is a
     * va_tag_header_t. */
    VA_AM_FLAG_TAG = 1u << 1,
    /* Synchronous: the last 8 bytes of the user header are the sender's
     * request id. A message that arrived eager is answered with an ATS
     * for that id once the receiver has taken it (matched it); a
     * rendezvous needs nothing more, its ATS comes after the match. */
    VA_AM_FLAG_SYNC = 1u << 2
};

/* The user header of a VA_AM_FLAG_TAG message; with VA_AM_FLAG_SYNC the
 * request id follows. */
typedef struct va_tag_header {
    uint64_t tag;
} va_tag_header_t;

typedef struct va_tag_sync_header {
    uint64_t tag;
    uint64_t req_id;
} va_tag_sync_header_t;

/* VE_AM_RTS: this, the user header, then key_length bytes of the key of
 * the sender's buffer, packed by component key_component (lanes with
 * VT_CAP_ZCOPY_KEY; none elsewhere). The receiver reads [address, +length)
 * from the sender's memory and answers with ATS. */
typedef struct va_rts {
    va_am_header_t am;
    uint16_t key_length;
    uint8_t key_component;
    uint8_t reserved;
    uint64_t req_id;
    uint64_t address;
    uint64_t length;
} va_rts_t;

/* VE_AM_FRAG: a part of a message too large for one copy send; this,
 * then payload bytes [offset, +n). The first part (offset 0) is a
 * va_frag_first_t followed by the user header, then payload. */
typedef struct va_frag {
    uint64_t msg_id;
    uint64_t offset;
} va_frag_t;

typedef struct va_frag_first {
    va_frag_t frag;
    va_am_header_t am;
    uint32_t reserved;
    uint64_t length;     /* total payload bytes */
} va_frag_first_t;

/* VE_AM_RTR: the receiver asks the sender to write [offset, +length) of
 * its payload to address, then to answer with VE_AM_PUT_DONE. */
typedef struct va_rtr {
    uint64_t send_req_id;
    uint64_t recv_req_id;
    uint64_t address;
    uint64_t offset;
    uint64_t length;
} va_rtr_t;

/* VE_AM_ATS, VE_AM_PUT_DONE and VE_AM_RMA_REPLY. */
typedef struct va_reply {
    uint64_t req_id;
    int32_t status;
    uint32_t length;     /* bytes this reply accounts for */
    uint64_t result;     /* atomic result */
} va_reply_t;

/* VE_AM_PUT: this, then length bytes. VE_AM_GET_REQ: this alone. */
typedef struct va_rma_header {
    uint64_t key_id;
    uint64_t address;
    uint64_t req_id;
    uint64_t length;
} va_rma_header_t;

/* VE_AM_GET_REPLY: this, then length bytes at offset. */
typedef struct va_get_reply {
    uint64_t req_id;
    uint64_t offset;
    int32_t status;
    uint32_t length;
} va_get_reply_t;

/* VE_AM_AMO_REQ. */
typedef struct va_amo_header {
    uint64_t key_id;
    uint64_t address;
    uint64_t req_id;
    uint64_t value;
    uint64_t compare;
    uint8_t op;
    uint8_t size;
    uint8_t reserved[6];
} va_amo_header_t;

#endif
