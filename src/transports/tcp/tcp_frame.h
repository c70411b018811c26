/*
 * TCP wire framing. Every message on a stream is an 8-byte header and its
 * payload. A connection opens with a handshake (tcp_auth.c):
 *     connector: HELLO      its worker uid and a nonce
 *     acceptor:  CHALLENGE  its uid, its nonce, its proof of the job key
 *     connector: PROOF      its proof of the job key
 *     acceptor:  ACK or NACK (the pair keeps this connection or the other)
 * then AM frames, in both directions. Fields are little endian (the hosts
 * that run one job share a byte order; the HELLO's magic catches a
 * mismatch).
 *
 * Bytes come from the network: the parser checks every field and tells
 * apart "need more bytes" from "malformed", which closes the stream.
 */
#ifndef VT_TCP_FRAME_H
#define VT_TCP_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "transports/vt_iface.h"
#include "core/base/auth.h"

#define VT_TCP_HELLO_MAGIC 0x6f6c6568u   /* "helo" */
#define VT_TCP_HELLO_VERSION 2

enum {
    VT_TCP_FRAME_AM = 0,
    VT_TCP_FRAME_HELLO = 1,  /* first on a connection: who made it */
    VT_TCP_FRAME_ACK = 2,    /* answer to a proof: the pair keeps it */
    VT_TCP_FRAME_NACK = 3,   /* the pair keeps the other one */
    VT_TCP_FRAME_CHALLENGE = 4,
    VT_TCP_FRAME_PROOF = 5
};

typedef struct vt_tcp_frame_hdr {
    uint8_t type;            /* VT_TCP_FRAME_* */
    uint8_t am_id;           /* AM frames: below VT_AM_ID_MAX */
    uint16_t reserved;
    uint32_t length;         /* payload bytes after the header */
} vt_tcp_frame_hdr_t;

typedef struct vt_tcp_hello {
    uint32_t magic;
    uint16_t version;
    uint16_t reserved;
    uint64_t uid;            /* the sending worker */
    uint8_t nonce[VS_AUTH_NONCE_SIZE];
} vt_tcp_hello_t;

typedef struct vt_tcp_challenge {
    uint64_t uid;            /* the accepting worker */
    uint8_t nonce[VS_AUTH_NONCE_SIZE];
    uint8_t mac[VS_AUTH_MAC_SIZE];   /* the acceptor's proof */
} vt_tcp_challenge_t;

typedef struct vt_tcp_proof {
    uint8_t mac[VS_AUTH_MAC_SIZE];   /* the connector's proof */
} vt_tcp_proof_t;

/* The largest handshake payload: all a connection that has not proved
 * itself may make us buffer. */
#define VT_TCP_HS_PAYLOAD_MAX sizeof(vt_tcp_challenge_t)

typedef enum vt_tcp_parse {
    VT_TCP_PARSE_OK,         /* one complete frame */
    VT_TCP_PARSE_MORE,       /* *need_p bytes in all are needed */
    VT_TCP_PARSE_BAD
} vt_tcp_parse_t;

static inline void vt_tcp_frame_hdr_init(vt_tcp_frame_hdr_t *hdr,
                                         uint8_t type, uint8_t am_id,
                                         size_t length)
{
    hdr->type = type;
    hdr->am_id = am_id;
    hdr->reserved = 0;
    hdr->length = (uint32_t)length;
}

/* Looks at the first `avail` bytes of a stream. On OK, *hdr is the frame
 * and *need_p its size with the header; on MORE, *need_p is how many bytes
 * the frame needs at least (the header alone until it is in). payload_max
 * bounds what an AM frame may claim, hence what we buffer for it. */
static inline vt_tcp_parse_t vt_tcp_frame_parse(const void *data,
                                                size_t avail,
                                                size_t payload_max,
                                                vt_tcp_frame_hdr_t *hdr,
                                                size_t *need_p)
{
    size_t need;

    if (avail < sizeof(*hdr)) {
        *need_p = sizeof(*hdr);
        return VT_TCP_PARSE_MORE;
    }
    memcpy(hdr, data, sizeof(*hdr));
    switch (hdr->type) {
    case VT_TCP_FRAME_AM:
        if (hdr->am_id >= VT_AM_ID_MAX || hdr->length > payload_max) {
            return VT_TCP_PARSE_BAD;
        }
        break;
    case VT_TCP_FRAME_HELLO:
        if (hdr->length != sizeof(vt_tcp_hello_t)) {
            return VT_TCP_PARSE_BAD;
        }
        break;
    case VT_TCP_FRAME_CHALLENGE:
        if (hdr->length != sizeof(vt_tcp_challenge_t)) {
            return VT_TCP_PARSE_BAD;
        }
        break;
    case VT_TCP_FRAME_PROOF:
        if (hdr->length != sizeof(vt_tcp_proof_t)) {
            return VT_TCP_PARSE_BAD;
        }
        break;
    case VT_TCP_FRAME_ACK:
    case VT_TCP_FRAME_NACK:
        if (hdr->length != 0) {
            return VT_TCP_PARSE_BAD;
        }
        break;
    default:
        return VT_TCP_PARSE_BAD;
    }
    need = sizeof(*hdr) + hdr->length;
    *need_p = need;
    return (avail >= need) ? VT_TCP_PARSE_OK : VT_TCP_PARSE_MORE;
}

#endif
