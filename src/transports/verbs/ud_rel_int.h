/*
 * What the two halves of the ud reliability engine share: the wire header
 * codec and the peer helpers. ud_rel.c sends and runs timers, ud_rel_rx.c
 * receives.
 */
#ifndef VT_UD_REL_INT_H
#define VT_UD_REL_INT_H

#include <endian.h>
#include <string.h>
#include "ud_rel.h"

typedef struct vt_ud_rel_hdr {
    uint64_t src_id;
    uint16_t psn;
    uint16_t ack_psn;
    uint64_t sack;
    uint8_t flags;
    uint8_t am_id;
} vt_ud_rel_hdr_t;

/* Offsets in the packed header (see ud_rel.h). */
#define VT_UD_REL_OFF_PSN 8
#define VT_UD_REL_OFF_ACK 10
#define VT_UD_REL_OFF_SACK 12
#define VT_UD_REL_OFF_FLAGS 20

/* Little-endian fields at any alignment: one load or store each, where
 * byte-wise shifts cost a dozen instructions a field on every datagram. */
static inline void vt_ud_rel_put16(uint8_t *p, uint16_t v)
{
    v = htole16(v);
    memcpy(p, &v, sizeof(v));
}

static inline uint16_t vt_ud_rel_get16(const uint8_t *p)
{
    uint16_t v;

    memcpy(&v, p, sizeof(v));
    return le16toh(v);
}

static inline void vt_ud_rel_put64(uint8_t *p, uint64_t v)
{
    v = htole64(v);
    memcpy(p, &v, sizeof(v));
}

static inline uint64_t vt_ud_rel_get64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return le64toh(v);
}

static inline void vt_ud_rel_hdr_pack(uint8_t *p, const vt_ud_rel_hdr_t *hdr)
{
    vt_ud_rel_put64(p, hdr->src_id);
    vt_ud_rel_put16(p + VT_UD_REL_OFF_PSN, hdr->psn);
    vt_ud_rel_put16(p + VT_UD_REL_OFF_ACK, hdr->ack_psn);
    vt_ud_rel_put64(p + VT_UD_REL_OFF_SACK, hdr->sack);
    p[VT_UD_REL_OFF_FLAGS] = hdr->flags;
    p[VT_UD_REL_OFF_FLAGS + 1] = hdr->am_id;
}

static inline void vt_ud_rel_hdr_unpack(const uint8_t *p,
                                        vt_ud_rel_hdr_t *hdr)
{
    hdr->src_id = vt_ud_rel_get64(p);
    hdr->psn = vt_ud_rel_get16(p + VT_UD_REL_OFF_PSN);
    hdr->ack_psn = vt_ud_rel_get16(p + VT_UD_REL_OFF_ACK);
    hdr->sack = vt_ud_rel_get64(p + VT_UD_REL_OFF_SACK);
    hdr->flags = p[VT_UD_REL_OFF_FLAGS];
    hdr->am_id = p[VT_UD_REL_OFF_FLAGS + 1];
}

/* The timeout before back-off: from the measured round trip once there is
 * one (srtt + 4 rttvar), within [rto_min, rto_max]. */
static inline uint32_t vt_ud_rel_rto_base(const vt_ud_rel_t *rel,
                                          const vt_ud_rel_peer_t *peer)
{
    uint64_t rto = (uint64_t)peer->srtt + 4 * (uint64_t)peer->rttvar;

    rto = vs_max(rto, rel->params.rto_min_ns);
    return (uint32_t)vs_min(rto, rel->params.rto_max_ns);
}

void vt_ud_rel_peer_activate(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer);
void vt_ud_rel_peer_maybe_deactivate(vt_ud_rel_peer_t *peer);
void vt_ud_rel_tx_ack(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer);
void vt_ud_rel_tx_skb(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer,
                      vt_ud_rel_skb_t *skb);
/* The peer reported (tx_sack) datagrams beyond una: resend the holes
 * below the highest of them, or below tx_psn after an overflow, that were
 * not resent yet. */
void vt_ud_rel_resend_holes(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer,
                            int overflow);

#endif
