/* ud endpoints: a reference on the peer of a worker, and active messages
 * through the reliability engine. */
#include "ud.h"

#include <stdlib.h>
#include <string.h>
#include "core/base/log.h"

static void vt_ud_ah_attr(const vt_ud_iface_t *iface,
                          const vt_verbs_addr_t *addr,
                          struct ibv_ah_attr *ah)
{
    const vt_verbs_port_t *port = &iface->dev->port;

    memset(ah, 0, sizeof(*ah));
    ah->port_num = port->port_num;
    ah->dlid = addr->lid;
    if (port->link_layer == VT_VERBS_LL_ETH) {
        /* RoCE routes by GID only. */
        ah->is_global = 1;
        memcpy(ah->grh.dgid.raw, addr->gid, sizeof(addr->gid));
        ah->grh.sgid_index = port->gid_index;
        ah->grh.hop_limit = 64;
    }
}

verve_status_t vt_ud_ep_create(vt_iface_t *tl_iface, const void *address,
                               size_t length, vt_ep_t **ep_p)
{
    vt_ud_iface_t *iface = vs_container_of(tl_iface, vt_ud_iface_t, super);
    struct ibv_ah_attr ah_attr;
    vt_verbs_addr_t addr;
    verve_status_t status;
    vt_ud_ep_t *ep;

    if (!vt_verbs_addr_parse(address, length, VT_UD_ADDR_MAGIC, &addr)) {
        vs_error("ud: endpoint create failed: malformed address of %zu "
                 "bytes (expected %zu)", length, sizeof(addr));
        return VERVE_ERR_INVALID_PARAM;
    }
    ep = calloc(1, sizeof(*ep));
    if (ep == NULL) {
        vs_error("ud: endpoint create to %016llx failed: no memory",
                 (unsigned long long)addr.uid);
        return VERVE_ERR_NO_MEMORY;
    }
    vt_ud_ah_attr(iface, &addr, &ah_attr);
    vt_ud_enter(iface);
    status = vt_ud_peer_get(iface, addr.uid, &ah_attr, addr.qpn, &ep->peer);
    vt_ud_leave(iface);
    if (status != VERVE_OK) {
        free(ep);
        return status;
    }
    ++ep->peer->refcount;
    ep->super.iface = tl_iface;
    *ep_p = &ep->super;
    return VERVE_OK;
}

/* The peer stays: it may still send to us, and what we sent is still
 * being delivered; it goes when the interface closes. */
void vt_ud_ep_destroy(vt_ep_t *tl_ep)
{
    vt_ud_ep_t *ep = vs_container_of(tl_ep, vt_ud_ep_t, super);

    --ep->peer->refcount;
    free(ep);
}

verve_status_t vt_ud_ep_check(vt_ep_t *tl_ep)
{
    vt_ud_ep_t *ep = vs_container_of(tl_ep, vt_ud_ep_t, super);

    return vt_ud_rel_peer_is_failed(ep->peer->rel) ? VERVE_ERR_PEER_FAILED :
                                                     VERVE_OK;
}

/* The engine treats a datagram the QP could not take as lost, which costs
 * a retransmission timeout: refuse a message whose fragments do not all
 * find a send slot now, after taking the send completions there are
 * (progress reaps them only when slots run low). */
static int vt_ud_ep_has_slots(vt_ud_iface_t *iface, size_t length)
{
    size_t frag = iface->mtu - VT_UD_REL_HDR_LEN;
    size_t need = vs_max((length + frag - 1) / frag, 1);

    if (iface->tx_num_free < need) {
        vt_ud_iface_reap_sends(iface);
    }
    return iface->tx_num_free >= need;
}

verve_status_t vt_ud_ep_am_short(vt_ep_t *tl_ep, uint8_t id,
                                 const void *header, size_t header_length,
                                 const void *payload, size_t length)
{
    vt_ud_ep_t *ep = vs_container_of(tl_ep, vt_ud_ep_t, super);
    vt_ud_iface_t *iface = ep->peer->iface;

    verve_status_t status = VERVE_ERR_NO_RESOURCE;

    vt_ud_enter(iface);
    if (vt_ud_ep_has_slots(iface, header_length + length)) {
        status = vt_ud_rel_send(&iface->rel, ep->peer->rel, id, header,
                                header_length, payload, length, NULL);
    }
    vt_ud_leave(iface);
    return status;
}

ssize_t vt_ud_ep_am_bcopy(vt_ep_t *tl_ep, uint8_t id, vt_pack_cb_t pack,
                          void *arg)
{
    vt_ud_ep_t *ep = vs_container_of(tl_ep, vt_ud_ep_t, super);
    vt_ud_iface_t *iface = ep->peer->iface;
    verve_status_t status;
    size_t length;

    if (vt_ud_rel_peer_is_failed(ep->peer->rel)) {
        return VERVE_ERR_PEER_FAILED;
    }
    vt_ud_enter(iface);
    length = pack(iface->bcopy_buf, arg);
    if (vt_ud_ep_has_slots(iface, length)) {
        status = vt_ud_rel_send(&iface->rel, ep->peer->rel, id, NULL, 0,
                                iface->bcopy_buf, length, NULL);
    } else {
        status = VERVE_ERR_NO_RESOURCE;
    }
    vt_ud_leave(iface);
    return (status == VERVE_OK) ? (ssize_t)length : status;
}

verve_status_t vt_ud_ep_flush(vt_ep_t *tl_ep, vt_completion_t *comp)
{
    vt_ud_ep_t *ep = vs_container_of(tl_ep, vt_ud_ep_t, super);
    vt_ud_iface_t *iface = ep->peer->iface;
    verve_status_t status;

    vt_ud_enter(iface);
    status = vt_ud_rel_flush(&iface->rel, ep->peer->rel, comp);
    vt_ud_leave(iface);
    return status;
}
