/*
 * The ud reliability engine, receive side: acks for what we sent, and data
 * for us. Ordering argument: data is accepted only as the psn expected
 * next, either on arrival or when a gap fills and the datagrams held
 * beyond it are replayed in psn order, so fragments are reassembled by
 * appending and one message per peer is in reassembly at a time.
 */
#include "ud_rel_int.h"

#include <string.h>
#include "core/base/log.h"

/* ---- acks of what we sent */

/* A round-trip sample (RFC 6298 smoothing, in ns). */
static void vt_ud_rel_rtt_sample(vt_ud_rel_peer_t *peer, uint64_t now)
{
    uint32_t rtt = (uint32_t)vs_min(now - peer->rtt_start, UINT32_MAX);
    uint32_t diff;

    if (peer->srtt == 0) {
        peer->srtt = vs_max(rtt, 1);
        peer->rttvar = rtt / 2;
    } else {
        diff = (peer->srtt > rtt) ? peer->srtt - rtt : rtt - peer->srtt;
        peer->rttvar = (uint32_t)(((uint64_t)peer->rttvar * 3 + diff) / 4);
        peer->srtt = (uint32_t)(((uint64_t)peer->srtt * 7 + rtt) / 8);
    }
    peer->rtt_start = 0;
}

/* The peer has every psn before ack_psn and, beyond it, those in sack. */
static void vt_ud_rel_process_ack(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer,
                                  const vt_ud_rel_hdr_t *hdr, uint64_t now)
{
    uint16_t ack_psn = hdr->ack_psn;
    uint16_t advance = (uint16_t)(ack_psn - peer->una);
    uint16_t inflight = (uint16_t)(peer->tx_psn - peer->una);
    vt_ud_rel_flush_t *flush;
    vt_ud_rel_skb_t *skb;

    /* An old ack (reordered) or one beyond what we sent (corrupt). */
    if (advance > inflight) {
        return;
    }
    if (advance > 0) {
        peer->una = ack_psn;
        peer->tx_sack = 0;
        if (vt_ud_rel_psn_before(peer->resent_upto, ack_psn)) {
            peer->resent_upto = ack_psn;
        }
        peer->last_progress = now;
        /* Karn: a backed-off timeout stays until a datagram sent once is
         * acked, or a round trip longer than rto_min would keep firing
         * the timer before any ack and never be measured. */
        if ((peer->rtt_start != 0) &&
            vt_ud_rel_psn_before(peer->rtt_psn, ack_psn)) {
            vt_ud_rel_rtt_sample(peer, now);
            peer->rto = vt_ud_rel_rto_base(rel, peer);
        }
        peer->rto_deadline = now + peer->rto;
        /* Each skb is off the list before its callback, which may send
         * again. */
        while (!vs_list_is_empty(&peer->unacked)) {
            skb = vs_list_entry(peer->unacked.next, vt_ud_rel_skb_t, link);
            if (!vt_ud_rel_psn_before(skb->psn, ack_psn)) {
                break;
            }
            vs_list_del(&skb->link);
            if (skb->comp != NULL) {
                vt_completion_update(skb->comp, VERVE_OK);
            }
            vs_mpool_put(skb);
        }
        while (!vs_list_is_empty(&peer->flushes)) {
            flush = vs_list_entry(peer->flushes.next, vt_ud_rel_flush_t,
                                  link);
            if (vt_ud_rel_psn_before(peer->una, flush->psn)) {
                break;
            }
            vs_list_del(&flush->link);
            vt_completion_update(flush->comp, VERVE_OK);
            vs_mpool_put(flush);
        }
    }
    if (!vs_list_is_empty(&peer->unacked)) {
        peer->tx_sack = hdr->sack;
        vt_ud_rel_resend_holes(rel, peer,
                               hdr->flags & VT_UD_REL_FLAG_OVERFLOW);
    }
}

/* ---- data for us */

/* Appends an in-order data datagram to the message in reassembly. Returns
 * 0 when it must be dropped without being counted as received (no buffer:
 * the sender will send it again). */
static int vt_ud_rel_accept(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer,
                            const vt_ud_rel_hdr_t *hdr, const uint8_t *data,
                            size_t length, uint8_t **complete_p)
{
    unsigned boundary = hdr->flags & (VT_UD_REL_FLAG_FIRST |
                                      VT_UD_REL_FLAG_LAST);

    *complete_p = NULL;
    if (hdr->flags & VT_UD_REL_FLAG_FIRST) {
        if (peer->rx_buffer != NULL) {
            /* Only a broken sender starts a message inside another. */
            vs_error("ud: peer 0x%llx started a message at psn %u before "
                     "ending the previous one; dropping %u bytes of it",
                     (unsigned long long)peer->id, hdr->psn,
                     peer->rx_length);
            vs_mpool_put(peer->rx_buffer);
            peer->rx_buffer = NULL;
        }
        if (boundary != (VT_UD_REL_FLAG_FIRST | VT_UD_REL_FLAG_LAST)) {
            peer->rx_buffer = vs_mpool_get(&rel->rx_mp);
            if (peer->rx_buffer == NULL) {
                return 0;
            }
            peer->rx_length = 0;
            peer->rx_am_id = hdr->am_id;
        }
    } else if (peer->rx_buffer == NULL) {
        vs_error("ud: peer 0x%llx sent a middle fragment (psn %u) outside a "
                 "message; dropped", (unsigned long long)peer->id,
                 hdr->psn);
        return 1;
    }
    if (peer->rx_buffer == NULL) {
        return 1;   /* a whole message in one datagram: delivered in place */
    }
    if (peer->rx_length + length > rel->params.max_msg) {
        vs_error("ud: peer 0x%llx sent a message over %zu bytes (psn %u); "
                 "dropped", (unsigned long long)peer->id, rel->params.max_msg,
                 hdr->psn);
        vs_mpool_put(peer->rx_buffer);
        peer->rx_buffer = NULL;
        return 1;
    }
    memcpy(peer->rx_buffer + peer->rx_length, data, length);
    peer->rx_length += (uint32_t)length;
    if (hdr->flags & VT_UD_REL_FLAG_LAST) {
        *complete_p = peer->rx_buffer;
        peer->rx_buffer = NULL;
    }
    return 1;
}

/* The datagram rx_psn expects. Returns 1 when the next psn is held in ooo
 * and can be replayed now. */
static int vt_ud_rel_recv_next(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer,
                               const vt_ud_rel_hdr_t *hdr, uint8_t *data,
                               size_t length, uint64_t now)
{
    int single = (hdr->flags & VT_UD_REL_FLAG_FIRST) &&
                 (hdr->flags & VT_UD_REL_FLAG_LAST);
    uint8_t *complete;
    int next_held;

    if (!vt_ud_rel_accept(rel, peer, hdr, data, length, &complete)) {
        ++rel->stats.rx_drop;
        return 0;
    }
    /* Counted as received before delivery, so a reply sent from the
     * handler piggybacks the ack of this datagram. */
    ++rel->stats.rx_data;
    ++peer->rx_psn;
    next_held = peer->rx_sack & 1;
    peer->rx_sack >>= 1;
    if (peer->rx_unacked++ == 0) {
        peer->ack_deadline = now + rel->params.ack_delay_ns;
    }
    vt_ud_rel_peer_activate(rel, peer);
    if (complete != NULL) {
        rel->params.deliver(rel->params.arg, peer->arg, peer->rx_am_id,
                            complete, peer->rx_length);
        vs_mpool_put(complete);
    } else if (single) {
        rel->params.deliver(rel->params.arg, peer->arg, hdr->am_id, data,
                            length);
    }
    if ((peer->rx_unacked >= rel->params.ack_count) ||
        (hdr->flags & VT_UD_REL_FLAG_ACK_REQ)) {
        vt_ud_rel_tx_ack(rel, peer);
    }
    return next_held;
}

/* A datagram beyond a gap: held if it is within the sack window and the
 * engine-wide pool has room, so that only the gap is resent. */
static void vt_ud_rel_recv_ooo(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer,
                               const void *datagram, size_t length,
                               uint16_t psn)
{
    uint16_t distance = (uint16_t)(psn - peer->rx_psn);
    vt_ud_rel_skb_t *skb;
    vs_list_link_t *pos;
    uint64_t bit;

    ++rel->stats.rx_ooo;
    if ((distance > VT_UD_REL_SACK_BITS) || (rel->params.ooo_max == 0)) {
        ++rel->stats.rx_drop;
        peer->rx_overflow = 1;
        return;
    }
    bit = 1ull << (distance - 1);
    if (peer->rx_sack & bit) {
        ++rel->stats.rx_dup;
        return;
    }
    skb = vs_mpool_get(&rel->ooo_mp);
    if (skb == NULL) {
        ++rel->stats.rx_drop;
        peer->rx_overflow = 1;
        return;
    }
    memcpy(skb->data, datagram, length);
    skb->psn = psn;
    skb->length = (uint16_t)length;
    skb->comp = NULL;
    /* Sorted by psn; arrivals are mostly in order, so search from the
     * tail. */
    for (pos = peer->ooo.prev; pos != &peer->ooo; pos = pos->prev) {
        if (vt_ud_rel_psn_before(vs_list_entry(pos, vt_ud_rel_skb_t,
                                               link)->psn, psn)) {
            break;
        }
    }
    vs_list_insert_after(pos, &skb->link);
    peer->rx_sack |= bit;
}

static void vt_ud_rel_recv_data(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer,
                                const vt_ud_rel_hdr_t *hdr,
                                uint8_t *datagram, size_t length,
                                uint64_t now)
{
    vt_ud_rel_hdr_t held_hdr;
    vt_ud_rel_skb_t *skb;
    int next_held;

    if (hdr->psn != peer->rx_psn) {
        /* A duplicate (our ack was lost or late) or a gap: either way the
         * sender should hear where we are soon. */
        if (vt_ud_rel_psn_before(hdr->psn, peer->rx_psn)) {
            ++rel->stats.rx_dup;
        } else {
            vt_ud_rel_recv_ooo(rel, peer, datagram, length, hdr->psn);
        }
        peer->ack_now = 1;
        vt_ud_rel_peer_activate(rel, peer);
        return;
    }
    next_held = vt_ud_rel_recv_next(rel, peer, hdr,
                                    datagram + VT_UD_REL_HDR_LEN,
                                    length - VT_UD_REL_HDR_LEN, now);
    /* The gap is filled: replay what was held beyond it (rx_sack and the
     * sorted list agree, so the head is the psn expected now). */
    while (next_held) {
        skb = vs_list_entry(peer->ooo.next, vt_ud_rel_skb_t, link);
        vs_list_del(&skb->link);
        vt_ud_rel_hdr_unpack(skb->data, &held_hdr);
        next_held = vt_ud_rel_recv_next(rel, peer, &held_hdr,
                                        skb->data + VT_UD_REL_HDR_LEN,
                                        skb->length - VT_UD_REL_HDR_LEN,
                                        now);
        vs_mpool_put(skb);
    }
}

int vt_ud_rel_datagram_src(const void *datagram, size_t length,
                           uint64_t *id_p)
{
    if (length < VT_UD_REL_HDR_LEN) {
        return 0;
    }
    *id_p = vt_ud_rel_get64(datagram);
    return 1;
}

int vt_ud_rel_datagram_is_busy(const void *datagram, size_t length)
{
    return (length >= VT_UD_REL_HDR_LEN) &&
           (((const uint8_t *)datagram)[VT_UD_REL_OFF_FLAGS] &
            VT_UD_REL_FLAG_BUSY);
}

void vt_ud_rel_pack_busy(uint64_t local_id, void *buffer)
{
    vt_ud_rel_hdr_t hdr = {.src_id = local_id,
                           .flags = VT_UD_REL_FLAG_BUSY};

    vt_ud_rel_hdr_pack(buffer, &hdr);
}

void vt_ud_rel_recv(vt_ud_rel_t *rel, const void *datagram, size_t length,
                    uint64_t now)
{
    vt_ud_rel_peer_t *peer;
    vt_ud_rel_hdr_t hdr;

    rel->now = now;
    if ((length < VT_UD_REL_HDR_LEN) || (length > rel->params.mtu)) {
        ++rel->stats.rx_drop;
        return;
    }
    vt_ud_rel_hdr_unpack(datagram, &hdr);
    peer = vt_ud_rel_peer_find(rel, hdr.src_id);
    if ((peer == NULL) || (peer->state == VT_UD_REL_PEER_FAILED)) {
        ++rel->stats.rx_drop;
        return;
    }
    if (vs_unlikely(hdr.flags & VT_UD_REL_FLAG_BUSY)) {
        /* Alive: what we sent waits for its owner's next progress. The
         * retransmissions go on, backed off, so it gets it then. */
        ++rel->stats.rx_busy;
        if (peer->last_progress != 0) {
            peer->last_progress = now;
        }
        return;
    }
    vt_ud_rel_process_ack(rel, peer, &hdr, now);
    if (hdr.flags & VT_UD_REL_FLAG_DATA) {
        /* The receive buffer is the owner's, writable during the call. */
        vt_ud_rel_recv_data(rel, peer, &hdr, (uint8_t *)datagram, length,
                            now);
    }
    vt_ud_rel_peer_maybe_deactivate(peer);
}
