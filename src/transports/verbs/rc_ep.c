/* rc endpoints: the send ring with selective signalling, and active
 * messages as sends with the AM id in the immediate data. */
#include "rc.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "core/base/log.h"

verve_status_t vt_rc_ep_create(vt_iface_t *tl_iface, const void *address,
                               size_t length, vt_ep_t **ep_p)
{
    vt_rc_iface_t *iface = vs_container_of(tl_iface, vt_rc_iface_t, super);
    vt_verbs_addr_t addr;
    verve_status_t status;
    vt_rc_conn_t *conn;
    vt_rc_ep_t *ep;

    if (!vt_verbs_addr_parse(address, length, VT_RC_ADDR_MAGIC, &addr)) {
        vs_error("rc: ep_create: %zu bytes are not an rc address", length);
        return VERVE_ERR_INVALID_PARAM;
    }
    ep = calloc(1, sizeof(*ep));
    if (ep == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    status = vt_rc_conn_get(iface, &addr, &conn);
    if (status != VERVE_OK) {
        free(ep);
        return status;
    }
    ++conn->refcount;
    ep->super.iface = tl_iface;
    ep->conn = conn;
    *ep_p = &ep->super;
    return VERVE_OK;
}

void vt_rc_ep_destroy(vt_ep_t *tl_ep)
{
    vt_rc_ep_t *ep = vs_container_of(tl_ep, vt_rc_ep_t, super);
    vt_rc_conn_t *conn = ep->conn;
    vt_rc_op_t *last;

    /* Operations in flight complete before ep_destroy returns (vt_iface.h);
     * a dead peer ends the wait with the QP's retry timeout. */
    while (conn->sq_head != conn->sq_tail &&
           conn->state == VT_RC_CONN_CONNECTED) {
        last = &conn->ops[(conn->sq_head - 1) & (conn->iface->sq_size - 1)];
        if (conn->unsignalled > 0) {
            /* Unsignalled sends end the ring: no CQE would come. */
            last = vt_rc_conn_fence(conn, NULL);
        }
        if (last != NULL) {
            (void)vt_rc_iface_wait(conn->iface, last);
        } else {
            vt_rc_iface_poll_send(conn->iface);
        }
    }
    /* A live connection stays: the peer may still send on its side. */
    if (--conn->refcount == 0 && conn->state == VT_RC_CONN_FAILED) {
        vt_rc_conn_release_qp(conn);
    }
    free(ep);
}

verve_status_t vt_rc_ep_check(vt_ep_t *tl_ep)
{
    return vt_rc_conn_check(vs_container_of(tl_ep, vt_rc_ep_t, super)->conn);
}

vt_rc_op_t *vt_rc_op_get(vt_rc_conn_t *conn)
{
    unsigned size = conn->iface->sq_size;
    vt_rc_op_t *op;

    if (vs_unlikely(conn->sq_head - conn->sq_tail >= size)) {
        return NULL;
    }
    op = &conn->ops[conn->sq_head & (size - 1)];
    memset(op, 0, sizeof(*op));
    op->conn = conn;
    op->sn = conn->sq_head++;
    op->tx_buf = -1;
    return op;
}

verve_status_t vt_rc_op_post(vt_rc_conn_t *conn, vt_rc_op_t *op,
                             struct ibv_send_wr *wr, int signal)
{
    struct ibv_send_wr *bad;
    int ret;

    wr->wr_id = (uintptr_t)op;
    wr->next = NULL;
    op->signalled = 0;
    if (signal || ++conn->unsignalled >= conn->iface->cfg.signal_every) {
        wr->send_flags |= IBV_SEND_SIGNALED;
        conn->unsignalled = 0;
        op->signalled = 1;
    }
    ret = ibv_post_send(conn->qp, wr, &bad);
    if (vs_likely(ret == 0)) {
        /* Progress polls the send CQ only while a CQE is due. */
        conn->iface->tx_signalled += op->signalled;
    } else {
        vs_error("rc: ibv_post_send on qp 0x%x to worker %016llx failed: "
                 "%s (%u WRs in flight)", conn->qp->qp_num,
                 (unsigned long long)conn->peer_uid, strerror(ret),
                 (unsigned)(conn->sq_head - conn->sq_tail));
        /* op was the last entry taken: give it back. */
        --conn->sq_head;
        return VERVE_ERR_IO;
    }
    return VERVE_OK;
}

static void vt_rc_op_finish(vt_rc_conn_t *conn, vt_rc_op_t *op,
                            verve_status_t status)
{
    vt_rc_iface_t *iface = conn->iface;

    if (op->type == VT_RC_OP_SEND) {
        if (op->tx_buf >= 0) {
            vt_rc_tx_put(iface, op->tx_buf);
            op->tx_buf = -1;
        }
        op->status = status;
        op->done = 1;
        return;
    }
    vt_rc_rma_complete(conn, op, status);
}

void vt_rc_op_complete(vt_rc_conn_t *conn, vt_rc_op_t *op,
                       verve_status_t status)
{
    unsigned mask = conn->iface->sq_size - 1;
    uint64_t last = op->sn, sn;
    vt_rc_op_t *entry;

    /* Already completed by a failure of the connection. */
    if (last < conn->sq_tail) {
        return;
    }
    /* In-order completion: the unsignalled entries before op succeeded
     * unless the connection failed. */
    for (sn = conn->sq_tail; sn <= last; ++sn) {
        entry = &conn->ops[sn & mask];
        conn->sq_tail = sn + 1;
        vt_rc_op_finish(conn, entry,
                        sn == last ? status : conn->error);
    }
    if (status != VERVE_OK && status != VERVE_ERR_CANCELED) {
        /* The QP is in the error state now: only this connection ends. */
        vt_rc_conn_fail(conn, status);
    }
}

static inline verve_status_t vt_rc_ep_ready(vt_rc_conn_t *conn)
{
    if (vs_likely(conn->state == VT_RC_CONN_CONNECTED)) {
        return VERVE_OK;
    }
    /* Until connected the engine queues sends and retries them. */
    return conn->state == VT_RC_CONN_FAILED ? conn->error
                                            : VERVE_ERR_NO_RESOURCE;
}

static verve_status_t vt_rc_ep_send(vt_rc_conn_t *conn, uint8_t id,
                                    struct ibv_sge *sge, int num_sge,
                                    int tx_buf, int inline_send)
{
    struct ibv_send_wr wr;
    vt_rc_op_t *op;

    if (vs_unlikely(conn->sq_head - conn->sq_tail >= conn->iface->sq_size)) {
        return VERVE_ERR_NO_RESOURCE;
    }
    /* Not vt_rc_op_get: a send's completion reads only these fields
     * (vt_rc_op_finish), and clearing the whole entry per message shows
     * in the latency of emulated devices. */
    op = &conn->ops[conn->sq_head & (conn->iface->sq_size - 1)];
    op->conn = conn;
    op->sn = conn->sq_head++;
    op->type = VT_RC_OP_SEND;
    op->tx_buf = tx_buf;
    op->done = 0;
    memset(&wr, 0, sizeof(wr));
    wr.sg_list = sge;
    wr.num_sge = num_sge;
    wr.opcode = IBV_WR_SEND_WITH_IMM;
    wr.imm_data = htonl(id);
    wr.send_flags = inline_send ? IBV_SEND_INLINE : 0;
    /* A bounce buffer comes back only through a CQE. */
    return vt_rc_op_post(conn, op, &wr, tx_buf >= 0);
}

verve_status_t vt_rc_ep_am_short(vt_ep_t *tl_ep, uint8_t id,
                                 const void *header, size_t header_length,
                                 const void *payload, size_t length)
{
    vt_rc_ep_t *ep = vs_container_of(tl_ep, vt_rc_ep_t, super);
    vt_rc_conn_t *conn = ep->conn;
    vt_rc_iface_t *iface = conn->iface;
    size_t total = header_length + length;
    struct ibv_sge sge[2];
    verve_status_t status;
    int buf, n = 0;

    if (vs_unlikely(total > iface->cfg.seg_size || id >= VT_AM_ID_MAX)) {
        vs_error("rc: am_short of %zu bytes with id %u to worker %016llx: "
                 "at most %zu bytes and id below %d", total, id,
                 (unsigned long long)conn->peer_uid, iface->cfg.seg_size,
                 VT_AM_ID_MAX);
        return VERVE_ERR_INVALID_PARAM;
    }
    status = vt_rc_ep_ready(conn);
    if (vs_unlikely(status != VERVE_OK)) {
        return status;
    }
    if (total <= iface->max_inline) {
        sge[0].addr = (uintptr_t)header;
        sge[0].length = (uint32_t)header_length;
        sge[0].lkey = 0;
        n = header_length > 0;
        if (length > 0) {
            sge[n].addr = (uintptr_t)payload;
            sge[n].length = (uint32_t)length;
            sge[n].lkey = 0;
            ++n;
        }
        return vt_rc_ep_send(conn, id, sge, n, -1, 1);
    }
    buf = vt_rc_tx_get(iface);
    if (vs_unlikely(buf < 0)) {
        return VERVE_ERR_NO_RESOURCE;
    }
    memcpy(vt_rc_tx_buf(iface, buf), header, header_length);
    if (length > 0) {
        memcpy(vt_rc_tx_buf(iface, buf) + header_length, payload, length);
    }
    sge[0].addr = (uintptr_t)vt_rc_tx_buf(iface, buf);
    sge[0].length = (uint32_t)total;
    sge[0].lkey = iface->tx_mr->lkey;
    status = vt_rc_ep_send(conn, id, sge, 1, buf, 0);
    if (status != VERVE_OK) {
        vt_rc_tx_put(iface, buf);
    }
    return status;
}

ssize_t vt_rc_ep_am_bcopy(vt_ep_t *tl_ep, uint8_t id, vt_pack_cb_t pack,
                          void *arg)
{
    vt_rc_ep_t *ep = vs_container_of(tl_ep, vt_rc_ep_t, super);
    vt_rc_conn_t *conn = ep->conn;
    vt_rc_iface_t *iface = conn->iface;
    verve_status_t status;
    struct ibv_sge sge;
    size_t length;
    int buf;

    if (vs_unlikely(id >= VT_AM_ID_MAX)) {
        vs_error("rc: am_bcopy with id %u to worker %016llx: id must be "
                 "below %d", id, (unsigned long long)conn->peer_uid,
                 VT_AM_ID_MAX);
        return VERVE_ERR_INVALID_PARAM;
    }
    status = vt_rc_ep_ready(conn);
    if (vs_unlikely(status != VERVE_OK)) {
        return status;
    }
    if (vs_unlikely(conn->sq_head - conn->sq_tail >= iface->sq_size)) {
        return VERVE_ERR_NO_RESOURCE;
    }
    buf = vt_rc_tx_get(iface);
    if (vs_unlikely(buf < 0)) {
        return VERVE_ERR_NO_RESOURCE;
    }
    length = pack(vt_rc_tx_buf(iface, buf), arg);
    if (vs_unlikely(length > iface->cfg.seg_size)) {
        vs_fatal("rc: am_bcopy pack callback wrote %zu bytes into a bounce "
                 "buffer of %zu: memory is corrupt", length,
                 iface->cfg.seg_size);
        abort();
    }
    sge.addr = (uintptr_t)vt_rc_tx_buf(iface, buf);
    sge.length = (uint32_t)length;
    sge.lkey = iface->tx_mr->lkey;
    status = vt_rc_ep_send(conn, id, &sge, 1, buf, 0);
    if (status != VERVE_OK) {
        vt_rc_tx_put(iface, buf);
        return status;
    }
    return (ssize_t)length;
}
