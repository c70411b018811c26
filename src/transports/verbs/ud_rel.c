/*
 * The ud reliability engine, send side and timers: see ud_rel.h for the
 * protocol and the memory bound, ud_rel_rx.c for reception. A cumulative
 * ack of psn p means every datagram before p was delivered in order, so
 * the send side completes a message when its last fragment is acked.
 */
#include "ud_rel_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/base/compiler.h"
#include "core/base/log.h"

#define VT_UD_REL_GROW_PEERS 256
#define VT_UD_REL_GROW_SKBS 64
#define VT_UD_REL_GROW_RX 4

/* ---- set-up */

void vt_ud_rel_params_from_config(vt_ud_rel_params_t *params,
                                  const vt_ud_config_t *config)
{
    params->window = config->window;
    params->ack_count = config->ack_count;
    params->ack_delay_ns = (uint64_t)(config->ack_delay * 1e9);
    params->rto_min_ns = (uint64_t)(config->rto_min * 1e9);
    params->rto_max_ns = (uint64_t)(config->rto_max * 1e9);
    params->timeout_ns = (uint64_t)(config->timeout * 1e9);
    params->max_msg = config->max_msg;
    params->ooo_max = config->ooo_max;
}

static verve_status_t vt_ud_rel_params_check(const vt_ud_rel_params_t *p)
{
    size_t frag_max;

    if ((p->mtu <= VT_UD_REL_HDR_LEN) || (p->mtu > UINT16_MAX)) {
        vs_error("ud: reliability engine: invalid mtu %zu (must be in "
                 "%d..%d bytes)", p->mtu, VT_UD_REL_HDR_LEN + 1, UINT16_MAX);
        return VERVE_ERR_INVALID_PARAM;
    }
    if ((p->window == 0) || (p->window > VT_UD_REL_WINDOW_MAX) ||
        (p->ack_count == 0)) {
        vs_error("ud: reliability engine: invalid window %u or ack count "
                 "%u (window 1..%d, ack count >= 1)", p->window,
                 p->ack_count, VT_UD_REL_WINDOW_MAX);
        return VERVE_ERR_INVALID_PARAM;
    }
    if ((p->rto_min_ns == 0) || (p->rto_max_ns < p->rto_min_ns) ||
        (p->rto_max_ns > UINT32_MAX)) {
        vs_error("ud: reliability engine: invalid retransmission timeouts "
                 "%llu..%llu ns (min > 0, max >= min, max < 4.29 s)",
                 (unsigned long long)p->rto_min_ns,
                 (unsigned long long)p->rto_max_ns);
        return VERVE_ERR_INVALID_PARAM;
    }
    /* A message must fit in the window, or it could never be sent. */
    frag_max = p->mtu - VT_UD_REL_HDR_LEN;
    if ((p->max_msg == 0) ||
        ((p->max_msg + frag_max - 1) / frag_max > p->window)) {
        vs_error("ud: reliability engine: largest message %zu bytes does "
                 "not fit in a window of %u datagrams of %zu payload bytes",
                 p->max_msg, p->window, frag_max);
        return VERVE_ERR_INVALID_PARAM;
    }
    if ((p->tx == NULL) || (p->deliver == NULL)) {
        vs_error("ud: reliability engine: transmit and deliver callbacks "
                 "are required");
        return VERVE_ERR_INVALID_PARAM;
    }
    return VERVE_OK;
}

verve_status_t vt_ud_rel_init(vt_ud_rel_t *rel,
                              const vt_ud_rel_params_t *params)
{
    verve_status_t status;

    status = vt_ud_rel_params_check(params);
    if (status != VERVE_OK) {
        return status;
    }
    memset(rel, 0, sizeof(*rel));
    rel->params = *params;
    rel->frag_max = params->mtu - VT_UD_REL_HDR_LEN;
    vs_list_init(&rel->active);
    status = vs_hash_init(&rel->peers, 64);
    if (status != VERVE_OK) {
        return status;
    }
    status = vs_mpool_init(&rel->peer_mp, "ud_peers",
                           sizeof(vt_ud_rel_peer_t), 0,
                           VT_UD_REL_GROW_PEERS, 0);
    if (status != VERVE_OK) {
        goto err_hash;
    }
    status = vs_mpool_init(&rel->skb_mp, "ud_skbs",
                           sizeof(vt_ud_rel_skb_t) + params->mtu, 0,
                           VT_UD_REL_GROW_SKBS, 0);
    if (status != VERVE_OK) {
        goto err_hash;
    }
    status = vs_mpool_init(&rel->flush_mp, "ud_flushes",
                           sizeof(vt_ud_rel_flush_t), 0, 0, 0);
    if (status != VERVE_OK) {
        goto err_hash;
    }
    status = vs_mpool_init(&rel->rx_mp, "ud_reassembly", params->max_msg, 0,
                           VT_UD_REL_GROW_RX, 0);
    if (status != VERVE_OK) {
        goto err_hash;
    }
    status = vs_mpool_init(&rel->ooo_mp, "ud_out_of_order",
                           sizeof(vt_ud_rel_skb_t) + params->mtu, 0,
                           VT_UD_REL_GROW_SKBS, params->ooo_max);
    if (status != VERVE_OK) {
        goto err_hash;
    }
    return VERVE_OK;

err_hash:
    vs_hash_cleanup(&rel->peers);
    return status;
}

void vt_ud_rel_cleanup(vt_ud_rel_t *rel)
{
    size_t iter = 0;
    uint64_t key;
    void *value;

    /* Destroying removes from the table, so restart the walk each time. */
    while (vs_hash_next(&rel->peers, &iter, &key, &value)) {
        vt_ud_rel_peer_destroy(rel, value);
        iter = 0;
    }
    vs_mpool_cleanup(&rel->ooo_mp);
    vs_mpool_cleanup(&rel->rx_mp);
    vs_mpool_cleanup(&rel->flush_mp);
    vs_mpool_cleanup(&rel->skb_mp);
    vs_mpool_cleanup(&rel->peer_mp);
    vs_hash_cleanup(&rel->peers);
}

size_t vt_ud_rel_mem_bytes(const vt_ud_rel_t *rel)
{
    const vs_mpool_t *pools[] = {&rel->peer_mp, &rel->skb_mp,
                                 &rel->flush_mp, &rel->rx_mp, &rel->ooo_mp};
    size_t bytes = rel->peers.capacity * sizeof(vs_hash_slot_t);

    for (size_t i = 0; i < vs_array_size(pools); ++i) {
        bytes += pools[i]->num_elems * pools[i]->stride;
    }
    return bytes;
}

/* ---- peers */

verve_status_t vt_ud_rel_peer_create(vt_ud_rel_t *rel, uint64_t id,
                                     void *arg, vt_ud_rel_peer_t **peer_p)
{
    vt_ud_rel_peer_t *peer;
    verve_status_t status;

    if (vs_hash_get(&rel->peers, id) != NULL) {
        vs_error("ud: peer create failed: id 0x%llx is already a peer",
                 (unsigned long long)id);
        return VERVE_ERR_INVALID_PARAM;
    }
    peer = vs_mpool_get(&rel->peer_mp);
    if (peer == NULL) {
        vs_error("ud: peer create failed: no memory for %zu bytes of state",
                 sizeof(*peer));
        return VERVE_ERR_NO_MEMORY;
    }
    memset(peer, 0, sizeof(*peer));
    vs_list_init(&peer->active_link);
    vs_list_init(&peer->unacked);
    vs_list_init(&peer->flushes);
    vs_list_init(&peer->ooo);
    peer->arg = arg;
    peer->rto = (uint32_t)rel->params.rto_min_ns;
    peer->state = VT_UD_REL_PEER_ACTIVE;
    peer->id = id;
    status = vs_hash_put(&rel->peers, peer->id, peer);
    if (status != VERVE_OK) {
        vs_mpool_put(peer);
        return status;
    }
    *peer_p = peer;
    return VERVE_OK;
}

void vt_ud_rel_peer_activate(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer)
{
    if (!peer->active) {
        vs_list_add_tail(&rel->active, &peer->active_link);
        peer->active = 1;
    }
}

static void vt_ud_rel_peer_deactivate(vt_ud_rel_peer_t *peer)
{
    if (peer->active) {
        vs_list_del(&peer->active_link);
        peer->active = 0;
    }
}

/* Whether we owe the peer an ack: datagrams accepted since our last one,
 * or a duplicate or gap that asks for one at once. */
static int vt_ud_rel_owes_ack(const vt_ud_rel_peer_t *peer)
{
    return peer->rx_unacked > 0 || peer->ack_now;
}

void vt_ud_rel_peer_maybe_deactivate(vt_ud_rel_peer_t *peer)
{
    if (vs_list_is_empty(&peer->unacked) && !vt_ud_rel_owes_ack(peer)) {
        vt_ud_rel_peer_deactivate(peer);
    }
}

/*
 * Ends every pending operation of a peer with status. The lists are taken
 * off the peer first, so a completion callback that sends again sees an
 * empty, consistent peer (and fails at once if it is failed).
 */
static void vt_ud_rel_peer_abort(vt_ud_rel_peer_t *peer,
                                 verve_status_t status)
{
    vs_list_link_t unacked;
    vs_list_link_t flushes;
    vt_ud_rel_flush_t *flush;
    vt_ud_rel_skb_t *skb;

    vs_list_init(&unacked);
    vs_list_init(&flushes);
    if (!vs_list_is_empty(&peer->unacked)) {
        vs_list_insert_after(&peer->unacked, &unacked);
        vs_list_del(&peer->unacked);
    }
    if (!vs_list_is_empty(&peer->flushes)) {
        vs_list_insert_after(&peer->flushes, &flushes);
        vs_list_del(&peer->flushes);
    }
    peer->una = peer->tx_psn;
    peer->resent_upto = peer->tx_psn;
    peer->tx_sack = 0;
    peer->rx_sack = 0;
    peer->rx_overflow = 0;
    peer->rx_unacked = 0;
    peer->ack_now = 0;
    if (peer->rx_buffer != NULL) {
        vs_mpool_put(peer->rx_buffer);
        peer->rx_buffer = NULL;
    }
    while (!vs_list_is_empty(&peer->ooo)) {
        skb = vs_list_entry(peer->ooo.next, vt_ud_rel_skb_t, link);
        vs_list_del(&skb->link);
        vs_mpool_put(skb);
    }
    vt_ud_rel_peer_deactivate(peer);

    while (!vs_list_is_empty(&unacked)) {
        skb = vs_list_entry(unacked.next, vt_ud_rel_skb_t, link);
        vs_list_del(&skb->link);
        if (skb->comp != NULL) {
            vt_completion_update(skb->comp, status);
        }
        vs_mpool_put(skb);
    }
    while (!vs_list_is_empty(&flushes)) {
        flush = vs_list_entry(flushes.next, vt_ud_rel_flush_t, link);
        vs_list_del(&flush->link);
        vt_completion_update(flush->comp, status);
        vs_mpool_put(flush);
    }
}

void vt_ud_rel_peer_destroy(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer)
{
    peer->state = VT_UD_REL_PEER_FAILED;
    vt_ud_rel_peer_abort(peer, VERVE_ERR_CANCELED);
    vs_hash_del(&rel->peers, peer->id);
    if (rel->last_peer == peer) {
        rel->last_peer = NULL;
    }
    vs_mpool_put(peer);
}

static void vt_ud_rel_peer_fail(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer,
                                uint64_t now)
{
    vs_warn("ud: peer 0x%llx failed: no ack for %.3f s "
            "(VERVE_UD_TIMEOUT %.3f s), %u datagrams unacked",
            (unsigned long long)peer->id,
            (double)(now - peer->last_progress) * 1e-9,
            (double)rel->params.timeout_ns * 1e-9,
            (unsigned)(uint16_t)(peer->tx_psn - peer->una));
    peer->state = VT_UD_REL_PEER_FAILED;
    vt_ud_rel_peer_abort(peer, VERVE_ERR_PEER_FAILED);
    if (rel->params.failed != NULL) {
        rel->params.failed(rel->params.arg, peer->arg);
    }
}

/* ---- transmission */

void vt_ud_rel_tx_skb(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer,
                      vt_ud_rel_skb_t *skb)
{
    /* Every data datagram carries our latest acks, so any ack we owed is
     * paid by it. */
    vt_ud_rel_put16(skb->data + VT_UD_REL_OFF_ACK, peer->rx_psn);
    vt_ud_rel_put64(skb->data + VT_UD_REL_OFF_SACK, peer->rx_sack);
    if (peer->rx_overflow) {
        skb->data[VT_UD_REL_OFF_FLAGS] |= VT_UD_REL_FLAG_OVERFLOW;
    } else {
        skb->data[VT_UD_REL_OFF_FLAGS] &= (uint8_t)~VT_UD_REL_FLAG_OVERFLOW;
    }
    peer->rx_overflow = 0;
    peer->rx_unacked = 0;
    peer->ack_now = 0;
    (void)rel->params.tx(rel->params.arg, peer->arg, skb->data, skb->length);
}

void vt_ud_rel_tx_ack(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer)
{
    uint8_t datagram[VT_UD_REL_HDR_LEN];
    vt_ud_rel_hdr_t hdr = {
        .src_id = rel->params.local_id,
        .psn = peer->tx_psn,
        .ack_psn = peer->rx_psn,
        .sack = peer->rx_sack,
        .flags = peer->rx_overflow ? VT_UD_REL_FLAG_OVERFLOW : 0,
        .am_id = 0
    };

    vt_ud_rel_hdr_pack(datagram, &hdr);
    peer->rx_overflow = 0;
    peer->rx_unacked = 0;
    peer->ack_now = 0;
    ++rel->stats.tx_ack;
    (void)rel->params.tx(rel->params.arg, peer->arg, datagram,
                         sizeof(datagram));
}

static int vt_ud_rel_is_sacked(const vt_ud_rel_peer_t *peer, uint16_t psn)
{
    uint16_t distance = (uint16_t)(psn - peer->una);

    return (distance >= 1) && (distance <= VT_UD_REL_SACK_BITS) &&
           ((peer->tx_sack >> (distance - 1)) & 1);
}

/* On a timeout: everything unacked the peer does not hold goes again,
 * oldest first. */
static unsigned vt_ud_rel_resend_all(vt_ud_rel_t *rel,
                                     vt_ud_rel_peer_t *peer)
{
    vt_ud_rel_skb_t *skb;
    unsigned count = 0;

    vs_list_for_each(skb, &peer->unacked, link) {
        if (!vt_ud_rel_is_sacked(peer, skb->psn)) {
            vt_ud_rel_tx_skb(rel, peer, skb);
            ++count;
        }
    }
    peer->resent_upto = peer->tx_psn;
    /* Karn: the ack of a resent datagram is no round-trip sample. */
    peer->rtt_start = 0;
    rel->stats.tx_resend += count;
    return count;
}

void vt_ud_rel_resend_holes(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer,
                            int overflow)
{
    vt_ud_rel_skb_t *skb;
    uint16_t limit;

    /* Datagrams after the highest one the peer holds may still be on the
     * way: only the holes below it are known to be lost, unless the peer
     * had to drop what came beyond its sack window. */
    if (overflow) {
        limit = peer->tx_psn;
    } else if (peer->tx_sack != 0) {
        limit = (uint16_t)(peer->una + 1 +
                           (63 - __builtin_clzll(peer->tx_sack)));
    } else {
        return;
    }
    vs_list_for_each(skb, &peer->unacked, link) {
        if (!vt_ud_rel_psn_before(skb->psn, limit)) {
            break;
        }
        if (vt_ud_rel_is_sacked(peer, skb->psn) ||
            vt_ud_rel_psn_before(skb->psn, peer->resent_upto)) {
            continue;
        }
        vt_ud_rel_tx_skb(rel, peer, skb);
        ++rel->stats.tx_resend;
        ++rel->stats.fast_resends;
        peer->rtt_start = 0;
    }
    if (vt_ud_rel_psn_before(peer->resent_upto, limit)) {
        peer->resent_upto = limit;
    }
}

unsigned vt_ud_rel_peer_window_free(const vt_ud_rel_peer_t *peer,
                                    const vt_ud_rel_t *rel)
{
    return rel->params.window - (uint16_t)(peer->tx_psn - peer->una);
}

/* Copies length bytes of the (header, payload) pair from offset on. */
static void vt_ud_rel_copy_parts(uint8_t *dest, size_t offset, size_t length,
                                 const void *header, size_t header_length,
                                 const void *payload)
{
    size_t part;

    if (offset < header_length) {
        part = vs_min(length, header_length - offset);
        memcpy(dest, (const uint8_t *)header + offset, part);
        dest += part;
        length -= part;
        offset = header_length;
    }
    if (length > 0) {
        memcpy(dest, (const uint8_t *)payload + (offset - header_length),
               length);
    }
}

verve_status_t vt_ud_rel_send(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer,
                              uint8_t am_id, const void *header,
                              size_t header_length, const void *payload,
                              size_t length, vt_completion_t *comp)
{
    size_t total = header_length + length;
    vs_list_link_t skbs;
    vt_ud_rel_skb_t *skb;
    vt_ud_rel_hdr_t hdr;
    size_t num_frags;
    size_t offset;
    size_t part;

    if (vs_unlikely(peer->state == VT_UD_REL_PEER_FAILED)) {
        return VERVE_ERR_PEER_FAILED;
    }
    if (vs_unlikely(total > rel->params.max_msg)) {
        vs_error("ud: send of %zu bytes to peer 0x%llx failed: larger "
                 "than the largest message (VERVE_UD_MAX_MSG %zu)", total,
                 (unsigned long long)peer->id, rel->params.max_msg);
        return VERVE_ERR_INVALID_PARAM;
    }
    num_frags = (total == 0) ? 1 : (total + rel->frag_max - 1) /
                                   rel->frag_max;
    if (num_frags > vt_ud_rel_peer_window_free(peer, rel)) {
        return VERVE_ERR_NO_RESOURCE;
    }

    /* Take every buffer first, so the message is sent whole or not at
     * all. */
    vs_list_init(&skbs);
    for (size_t i = 0; i < num_frags; ++i) {
        skb = vs_mpool_get(&rel->skb_mp);
        if (skb == NULL) {
            while (!vs_list_is_empty(&skbs)) {
                skb = vs_list_entry(skbs.next, vt_ud_rel_skb_t, link);
                vs_list_del(&skb->link);
                vs_mpool_put(skb);
            }
            vs_error("ud: send of %zu bytes to peer 0x%llx failed: no memory "
                     "for %zu datagram buffers", total,
                     (unsigned long long)peer->id, num_frags);
            return VERVE_ERR_NO_MEMORY;
        }
        vs_list_add_tail(&skbs, &skb->link);
    }

    if (vs_list_is_empty(&peer->unacked)) {
        /* The timers start at the next progress call, which knows the
         * time (see vt_ud_rel_progress). */
        peer->last_progress = 0;
        peer->rto_deadline = 0;
        peer->resent_upto = peer->una;
        peer->tx_sack = 0;
    }
    hdr.src_id = rel->params.local_id;
    hdr.am_id = am_id;
    offset = 0;
    for (size_t i = 0; i < num_frags; ++i) {
        skb = vs_list_entry(skbs.next, vt_ud_rel_skb_t, link);
        vs_list_del(&skb->link);
        part = vs_min(total - offset, rel->frag_max);
        hdr.psn = peer->tx_psn++;
        hdr.ack_psn = peer->rx_psn;
        hdr.sack = peer->rx_sack;
        hdr.flags = VT_UD_REL_FLAG_DATA;
        if (i == 0) {
            hdr.flags |= VT_UD_REL_FLAG_FIRST;
        }
        if (i == num_frags - 1) {
            hdr.flags |= VT_UD_REL_FLAG_LAST;
        }
        /* Filling the window: ask for the ack now rather than after the
         * delay, or the sender idles for it. */
        if (vt_ud_rel_peer_window_free(peer, rel) == 0) {
            hdr.flags |= VT_UD_REL_FLAG_ACK_REQ;
        }
        vt_ud_rel_hdr_pack(skb->data, &hdr);
        vt_ud_rel_copy_parts(skb->data + VT_UD_REL_HDR_LEN, offset, part,
                             header, header_length, payload);
        skb->psn = hdr.psn;
        skb->length = (uint16_t)(VT_UD_REL_HDR_LEN + part);
        skb->comp = (i == num_frags - 1) ? comp : NULL;
        offset += part;
        vs_list_add_tail(&peer->unacked, &skb->link);
        ++rel->stats.tx_data;
        if ((peer->rtt_start == 0) && (rel->now != 0)) {
            /* Time from the owner's latest clock reading: early by at
             * most one progress call, which only makes the estimate
             * larger, the safe side. */
            peer->rtt_psn = skb->psn;
            peer->rtt_start = rel->now;
        }
        vt_ud_rel_tx_skb(rel, peer, skb);
    }
    vt_ud_rel_peer_activate(rel, peer);
    return (comp == NULL) ? VERVE_OK : VERVE_INPROGRESS;
}

verve_status_t vt_ud_rel_flush(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer,
                               vt_completion_t *comp)
{
    vt_ud_rel_flush_t *flush;

    if (peer->state == VT_UD_REL_PEER_FAILED) {
        return VERVE_ERR_PEER_FAILED;
    }
    /* The peer may be flushing too, waiting for our ack of what it sent
     * last, while we go on to block where nothing progresses (a bootstrap
     * barrier before closing): then only our keepalive thread would
     * answer it, seconds later. A flush owes nothing. */
    if (vt_ud_rel_owes_ack(peer)) {
        vt_ud_rel_tx_ack(rel, peer);
    }
    if (vs_list_is_empty(&peer->unacked)) {
        return VERVE_OK;
    }
    if (comp == NULL) {
        return VERVE_INPROGRESS;    /* polled: nothing to record */
    }
    flush = vs_mpool_get(&rel->flush_mp);
    if (flush == NULL) {
        vs_error("ud: flush of peer 0x%llx failed: no memory for its record",
                 (unsigned long long)peer->id);
        return VERVE_ERR_NO_MEMORY;
    }
    flush->comp = comp;
    flush->psn = peer->tx_psn;
    vs_list_add_tail(&peer->flushes, &flush->link);
    return VERVE_INPROGRESS;
}

/* ---- timers */

static unsigned vt_ud_rel_peer_progress(vt_ud_rel_t *rel,
                                        vt_ud_rel_peer_t *peer, uint64_t now)
{
    uint64_t fail_at;
    unsigned count = 0;

    if (!vs_list_is_empty(&peer->unacked)) {
        if (peer->last_progress == 0) {
            /* First progress after the send that filled an empty window:
             * the timers count from now. */
            peer->last_progress = now;
            peer->rto_deadline = now + peer->rto;
        } else if (now >= peer->rto_deadline) {
            if (now - peer->last_progress >= rel->params.timeout_ns) {
                vt_ud_rel_peer_fail(rel, peer, now);
                return 0;
            }
            ++rel->stats.timeouts;
            count += vt_ud_rel_resend_all(rel, peer);
            peer->rto = (uint32_t)vs_min((uint64_t)peer->rto * 2,
                                         rel->params.rto_max_ns);
            /* Wake at the failure time rather than a back-off later. */
            fail_at = peer->last_progress + rel->params.timeout_ns;
            peer->rto_deadline = vs_min(now + peer->rto, fail_at);
        }
    }
    if (peer->ack_now ||
        ((peer->rx_unacked > 0) && (now >= peer->ack_deadline))) {
        vt_ud_rel_tx_ack(rel, peer);
        ++count;
    }
    vt_ud_rel_peer_maybe_deactivate(peer);
    return count;
}

/* The owner did not progress for `pause` (a long computation): no ack
 * could reach us meanwhile, so that time is no evidence against any
 * peer, and their failure clocks move on by it. */
static void vt_ud_rel_owner_paused(vt_ud_rel_t *rel, uint64_t pause)
{
    vt_ud_rel_peer_t *peer;

    vs_list_for_each(peer, &rel->active, active_link) {
        if (peer->last_progress != 0) {
            peer->last_progress = vs_min(peer->last_progress + pause,
                                         rel->now);
        }
    }
}

unsigned vt_ud_rel_progress(vt_ud_rel_t *rel, uint64_t now)
{
    vt_ud_rel_peer_t *peer;
    vt_ud_rel_peer_t *tmp;
    unsigned count = 0;

    /* 0 marks "timers not started" in last_progress. */
    now = vs_max(now, 1);
    rel->now = now;
    /* Shorter pauses cost a peer at most a quarter of its timeout. A
     * sleeping owner wakes for its timers, at most rto_max apart: that
     * is no pause. */
    if (vs_unlikely(rel->last_call != 0 &&
                    now - rel->last_call >
                    vs_max(rel->params.timeout_ns / 4,
                           2 * rel->params.rto_max_ns))) {
        vt_ud_rel_owner_paused(rel, now - rel->last_call);
    }
    rel->last_call = now;
    vs_list_for_each_safe(peer, tmp, &rel->active, active_link) {
        count += vt_ud_rel_peer_progress(rel, peer, now);
    }
    return count;
}

unsigned vt_ud_rel_resend_due(vt_ud_rel_t *rel, uint64_t now)
{
    vt_ud_rel_peer_t *peer;
    unsigned count = 0;

    /* The failure clock (last_progress) is the owner's to judge when it
     * returns; only the back-off moves here. */
    vs_list_for_each(peer, &rel->active, active_link) {
        if (!vs_list_is_empty(&peer->unacked) &&
            (peer->last_progress == 0 || now >= peer->rto_deadline)) {
            ++rel->stats.timeouts;
            count += vt_ud_rel_resend_all(rel, peer);
            peer->rto = (uint32_t)vs_min((uint64_t)peer->rto * 2,
                                         rel->params.rto_max_ns);
            peer->rto_deadline = now + peer->rto;
        } else if (vt_ud_rel_owes_ack(peer)) {
            vt_ud_rel_tx_ack(rel, peer);
            ++count;
        }
    }
    return count;
}

uint64_t vt_ud_rel_next_deadline(const vt_ud_rel_t *rel)
{
    const vt_ud_rel_peer_t *peer;
    uint64_t deadline = UINT64_MAX;

    vs_list_for_each(peer, &rel->active, active_link) {
        if (peer->ack_now) {
            return rel->now;
        }
        if (!vs_list_is_empty(&peer->unacked)) {
            if (peer->last_progress == 0) {
                return rel->now;
            }
            deadline = vs_min(deadline, peer->rto_deadline);
        }
        if (peer->rx_unacked > 0) {
            deadline = vs_min(deadline, peer->ack_deadline);
        }
    }
    return deadline;
}

const char *vt_ud_rel_stats_str(const vt_ud_rel_stats_t *stats,
                                char *buffer, size_t max)
{
    snprintf(buffer, max, "sent %llu datagrams, %llu again (%llu for "
             "selective acks), %llu standalone acks, %llu timer expiries; "
             "accepted %llu, %llu duplicates, %llu after a gap, %llu "
             "dropped, %llu busy notices",
             (unsigned long long)stats->tx_data,
             (unsigned long long)stats->tx_resend,
             (unsigned long long)stats->fast_resends,
             (unsigned long long)stats->tx_ack,
             (unsigned long long)stats->timeouts,
             (unsigned long long)stats->rx_data,
             (unsigned long long)stats->rx_dup,
             (unsigned long long)stats->rx_ooo,
             (unsigned long long)stats->rx_drop,
             (unsigned long long)stats->rx_busy);
    return buffer;
}
