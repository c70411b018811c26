/* TCP endpoints: the pair connection to a peer, and the sends on it. */
#include "tcp.h"

#include <stdlib.h>
#include <string.h>
#include "core/base/log.h"

int vt_tcp_addr_parse(const void *address, size_t length,
                      vt_tcp_iface_addr_t *addr)
{
    if (length != sizeof(*addr)) {
        return 0;
    }
    memcpy(addr, address, sizeof(*addr));
    return addr->magic == VT_TCP_ADDR_MAGIC && addr->port != 0 &&
           addr->ipv4 != 0 && addr->uid != 0;
}

verve_status_t vt_tcp_ep_create(vt_iface_t *tl_iface, const void *address,
                                size_t length, vt_ep_t **ep_p)
{
    vt_tcp_iface_t *iface = vs_container_of(tl_iface, vt_tcp_iface_t, super);
    vt_tcp_iface_addr_t addr;
    verve_status_t status;
    vt_tcp_ep_t *ep;

    if (!vt_tcp_addr_parse(address, length, &addr)) {
        vs_error("tcp: ep_create: malformed address of %zu bytes (expected "
                 "%zu)", length, sizeof(addr));
        return VERVE_ERR_INVALID_PARAM;
    }
    ep = calloc(1, sizeof(*ep));
    if (ep == NULL) {
        vs_error("tcp: allocating an ep of %zu bytes failed", sizeof(*ep));
        return VERVE_ERR_NO_MEMORY;
    }
    /* Shared by every endpoint to that worker and kept until the
     * interface closes, so that queued bytes outlive a closed endpoint. */
    status = vt_tcp_conn_get(iface, &addr, &ep->conn);
    if (status != VERVE_OK) {
        free(ep);
        return status;
    }
    ++ep->conn->num_eps;
    ep->super.iface = tl_iface;
    vs_list_add_tail(&iface->eps, &ep->list);
    *ep_p = &ep->super;
    return VERVE_OK;
}

void vt_tcp_ep_destroy(vt_ep_t *tl_ep)
{
    vt_tcp_ep_t *ep = vs_container_of(tl_ep, vt_tcp_ep_t, super);
    vt_tcp_conn_t *conn = ep->conn;

    vs_list_del(&ep->list);
    /* The last endpoint of a failed connection: the sweep frees it. */
    if (--conn->num_eps == 0 && conn->state == VT_TCP_CONN_FAILED &&
        conn->in_hash) {
        conn->sweep = 0;
        vt_tcp_conn_retire(conn);
    }
    free(ep);
}

verve_status_t vt_tcp_ep_check(vt_ep_t *tl_ep)
{
    vt_tcp_ep_t *ep = vs_container_of(tl_ep, vt_tcp_ep_t, super);

    return vt_tcp_conn_check(ep->conn);
}

verve_status_t vt_tcp_ep_am_short(vt_ep_t *tl_ep, uint8_t id,
                                  const void *header, size_t header_length,
                                  const void *payload, size_t length)
{
    vt_tcp_ep_t *ep = vs_container_of(tl_ep, vt_tcp_ep_t, super);
    vt_tcp_iface_t *iface = vs_container_of(tl_ep->iface, vt_tcp_iface_t,
                                            super);
    size_t total = header_length + length;
    char frame[sizeof(vt_tcp_frame_hdr_t) + VT_TCP_SHORT_COPY_MAX];
    vt_tcp_frame_hdr_t hdr;
    struct iovec iov[3];

    if (vs_unlikely(total > iface->short_max || id >= VT_AM_ID_MAX)) {
        vs_error("tcp: am_short of %zu bytes with id %u to worker %016llx: "
                 "at most %zu bytes and id below %d", total, id,
                 (unsigned long long)ep->conn->peer_uid, iface->short_max,
                 VT_AM_ID_MAX);
        return VERVE_ERR_INVALID_PARAM;
    }
    vt_tcp_frame_hdr_init(&hdr, VT_TCP_FRAME_AM, id, total);
    if (total <= VT_TCP_SHORT_COPY_MAX) {
        /* Small: one contiguous send costs less than gathering. */
        memcpy(frame, &hdr, sizeof(hdr));
        memcpy(frame + sizeof(hdr), header, header_length);
        if (length > 0) {
            memcpy(frame + sizeof(hdr) + header_length, payload, length);
        }
        iov[0].iov_base = frame;
        iov[0].iov_len = sizeof(hdr) + total;
        return vt_tcp_conn_sendv(ep->conn, iov, 1, sizeof(hdr) + total);
    }
    iov[0].iov_base = &hdr;
    iov[0].iov_len = sizeof(hdr);
    iov[1].iov_base = (void *)header;
    iov[1].iov_len = header_length;
    iov[2].iov_base = (void *)payload;
    iov[2].iov_len = length;
    return vt_tcp_conn_sendv(ep->conn, iov, (length > 0) ? 3 : 2,
                             sizeof(hdr) + total);
}

ssize_t vt_tcp_ep_am_bcopy(vt_ep_t *tl_ep, uint8_t id, vt_pack_cb_t pack,
                           void *arg)
{
    vt_tcp_ep_t *ep = vs_container_of(tl_ep, vt_tcp_ep_t, super);

    if (vs_unlikely(id >= VT_AM_ID_MAX)) {
        vs_error("tcp: am_bcopy with id %u to worker %016llx: id must be "
                 "below %d", id, (unsigned long long)ep->conn->peer_uid,
                 VT_AM_ID_MAX);
        return VERVE_ERR_INVALID_PARAM;
    }
    return vt_tcp_conn_send_packed(ep->conn, id, pack, arg);
}

verve_status_t vt_tcp_ep_flush(vt_ep_t *tl_ep, vt_completion_t *comp)
{
    vt_tcp_ep_t *ep = vs_container_of(tl_ep, vt_tcp_ep_t, super);

    (void)comp;
    if (ep->conn->state == VT_TCP_CONN_FAILED) {
        return VERVE_ERR_PEER_FAILED;
    }
    /* Done once the kernel holds every byte: it delivers them without us.
     * Bytes still in our queue leave only from this worker's progress, so
     * a caller that blocks outside verve after a flush that said done
     * would strand them and wait forever for a peer that waits for them.
     * The engine asks again from progress, which writes the queue out. */
    return (ep->conn->tx.head != ep->conn->tx.tail) ? VERVE_INPROGRESS
                                                     : VERVE_OK;
}
