/* rc connections: one RC QP per pair of workers, connected by a CONNECT /
 * ACCEPT exchange over the interfaces' UD QPs (see rc.h). */
#include "rc.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/base/log.h"
#include "core/base/time.h"

static void vt_rc_conn_ah_attr(vt_rc_conn_t *conn, struct ibv_ah_attr *ah)
{
    const vt_verbs_port_t *port = &conn->iface->dev->port;

    memset(ah, 0, sizeof(*ah));
    ah->port_num = port->port_num;
    ah->dlid = conn->peer.lid;
    if (port->link_layer == VT_VERBS_LL_ETH) {
        /* RoCE routes by GID only. */
        ah->is_global = 1;
        memcpy(ah->grh.dgid.raw, conn->peer.gid, sizeof(conn->peer.gid));
        ah->grh.sgid_index = port->gid_index;
        ah->grh.hop_limit = 64;
    }
}

static verve_status_t vt_rc_conn_send_cm(vt_rc_conn_t *conn, uint8_t type)
{
    vt_rc_iface_t *iface = conn->iface;
    const vt_verbs_port_t *port = &iface->dev->port;
    struct ibv_send_wr wr, *bad;
    vt_rc_cm_msg_t msg;
    struct ibv_sge sge;
    vt_rc_op_t *op;
    unsigned i;
    int ret, buf;

    for (i = 0; i < VT_RC_UD_RX && iface->cm_ops[i].tx_buf >= 0; ++i) {
    }
    buf = vt_rc_tx_get(iface);
    if (i == VT_RC_UD_RX || buf < 0) {
        if (buf >= 0) {
            vt_rc_tx_put(iface, buf);
        }
        return VERVE_ERR_NO_RESOURCE;    /* resent by the retry timer */
    }
    memset(&msg, 0, sizeof(msg));
    msg.magic = htole32(VT_RC_CM_MAGIC);
    msg.type = type;
    msg.mtu = port->active_mtu;
    msg.lid = htole16(port->lid);
    msg.qpn = htole32(conn->qp->qp_num);
    msg.psn = htole32(conn->psn);
    msg.ud_qpn = htole32(iface->ud_qp->qp_num);
    memcpy(msg.gid, port->gid.raw, sizeof(msg.gid));
    msg.src_uid = htole64(iface->uid);
    msg.dst_uid = htole64(conn->peer_uid);
    memcpy(vt_rc_tx_buf(iface, buf), &msg, sizeof(msg));

    op = &iface->cm_ops[i];
    memset(op, 0, sizeof(*op));
    op->type = VT_RC_OP_CM;
    op->tx_buf = buf;
    sge.addr = (uintptr_t)vt_rc_tx_buf(iface, buf);
    sge.length = sizeof(msg);
    sge.lkey = iface->tx_mr->lkey;
    memset(&wr, 0, sizeof(wr));
    wr.wr_id = (uintptr_t)op;
    wr.sg_list = &sge;
    wr.num_sge = 1;
    wr.opcode = IBV_WR_SEND;
    wr.send_flags = IBV_SEND_SIGNALED;
    wr.wr.ud.ah = conn->ah;
    wr.wr.ud.remote_qpn = conn->peer_ud_qpn;
    wr.wr.ud.remote_qkey = VT_RC_CM_MAGIC;
    ret = ibv_post_send(iface->ud_qp, &wr, &bad);
    if (ret != 0) {
        vs_error("rc: sending %s to worker %016llx failed: %s",
                 type == VT_RC_CM_CONNECT ? "CONNECT" : "ACCEPT",
                 (unsigned long long)conn->peer_uid, strerror(ret));
        op->tx_buf = -1;
        vt_rc_tx_put(iface, buf);
        return VERVE_ERR_IO;
    }
    ++iface->cm_inflight;
    return VERVE_OK;
}

static verve_status_t vt_rc_conn_create_qp(vt_rc_conn_t *conn)
{
    vt_rc_iface_t *iface = conn->iface;
    struct ibv_qp_init_attr init;
    struct ibv_qp_attr attr;

    memset(&init, 0, sizeof(init));
    init.send_cq = iface->send_cq;
    init.recv_cq = iface->recv_cq;
    init.srq = iface->srq;
    init.qp_type = IBV_QPT_RC;
    init.sq_sig_all = 0;
    init.cap.max_send_wr = iface->sq_size;
    init.cap.max_send_sge = 2;
    init.cap.max_inline_data = iface->cfg.max_inline;
    conn->qp = ibv_create_qp(iface->dev->pd, &init);
    if (conn->qp == NULL && init.cap.max_inline_data > 0) {
        /* The device may not inline that much: ask for nothing. */
        init.cap.max_inline_data = 0;
        conn->qp = ibv_create_qp(iface->dev->pd, &init);
    }
    if (conn->qp == NULL) {
        vs_error("rc: creating an RC QP of %u WRs to worker %016llx on %s "
                 "failed: %s", iface->sq_size,
                 (unsigned long long)conn->peer_uid,
                 iface->dev->port.dev_name, strerror(errno));
        return VERVE_ERR_NO_RESOURCE;
    }
    /* Every QP gets the same answer from the device. */
    iface->max_inline = init.cap.max_inline_data;
    memset(&attr, 0, sizeof(attr));
    attr.qp_state = IBV_QPS_INIT;
    attr.port_num = iface->dev->port.port_num;
    attr.qp_access_flags = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
                           IBV_ACCESS_REMOTE_ATOMIC;
    if (ibv_modify_qp(conn->qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
                      IBV_QP_PORT | IBV_QP_ACCESS_FLAGS) != 0) {
        vs_error("rc: RC QP 0x%x to INIT failed: %s", conn->qp->qp_num,
                 strerror(errno));
        ibv_destroy_qp(conn->qp);
        conn->qp = NULL;
        return VERVE_ERR_IO;
    }
    return VERVE_OK;
}

static verve_status_t vt_rc_conn_connect_qp(vt_rc_conn_t *conn,
                                            uint32_t remote_qpn,
                                            uint32_t remote_psn,
                                            uint8_t remote_mtu)
{
    vt_rc_iface_t *iface = conn->iface;
    struct ibv_qp_attr attr;

    memset(&attr, 0, sizeof(attr));
    attr.qp_state = IBV_QPS_RTR;
    attr.path_mtu = vs_min(iface->dev->port.active_mtu, remote_mtu);
    attr.dest_qp_num = remote_qpn;
    attr.rq_psn = remote_psn;
    attr.max_dest_rd_atomic = vs_min(iface->dev->attr.max_qp_rd_atom, 16);
    attr.min_rnr_timer = 12;
    vt_rc_conn_ah_attr(conn, &attr.ah_attr);
    if (ibv_modify_qp(conn->qp, &attr, IBV_QP_STATE | IBV_QP_AV |
                      IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
                      IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER) !=
        0) {
        vs_error("rc: RC QP 0x%x to RTR (peer qp 0x%x, mtu %zu) failed: %s",
                 conn->qp->qp_num, remote_qpn,
                 vt_verbs_mtu_bytes(attr.path_mtu), strerror(errno));
        return VERVE_ERR_IO;
    }
    memset(&attr, 0, sizeof(attr));
    attr.qp_state = IBV_QPS_RTS;
    attr.sq_psn = conn->psn;
    /* About half a second of retries before a silent peer fails the
     * connection; rnr_retry 7 waits for receive buffers forever. */
    attr.timeout = 14;
    attr.retry_cnt = 7;
    attr.rnr_retry = 7;
    attr.max_rd_atomic = vs_min(iface->dev->attr.max_qp_init_rd_atom, 16);
    if (ibv_modify_qp(conn->qp, &attr, IBV_QP_STATE | IBV_QP_SQ_PSN |
                      IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
                      IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC) != 0) {
        vs_error("rc: RC QP 0x%x to RTS failed: %s", conn->qp->qp_num,
                 strerror(errno));
        return VERVE_ERR_IO;
    }
    conn->state = VT_RC_CONN_CONNECTED;
    conn->remote_qpn = remote_qpn;
    --iface->num_connecting;
    vs_debug("rc: qp 0x%x of worker %016llx connected to qp 0x%x of "
             "%016llx", conn->qp->qp_num, (unsigned long long)iface->uid,
             remote_qpn, (unsigned long long)conn->peer_uid);
    return VERVE_OK;
}

static verve_status_t vt_rc_conn_create(vt_rc_iface_t *iface,
                                        const vt_verbs_addr_t *peer,
                                        vt_rc_conn_t **conn_p)
{
    struct ibv_ah_attr ah_attr;
    verve_status_t status;
    vt_rc_conn_t *conn;

    conn = calloc(1, sizeof(*conn));
    if (conn == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    conn->ops = calloc(iface->sq_size, sizeof(*conn->ops));
    if (conn->ops == NULL) {
        status = VERVE_ERR_NO_MEMORY;
        goto err_free;
    }
    conn->iface = iface;
    conn->peer = *peer;
    conn->peer_uid = peer->uid;
    conn->peer_ud_qpn = peer->qpn;
    conn->state = VT_RC_CONN_CONNECTING;
    conn->error = VERVE_OK;
    conn->psn = (uint32_t)(vs_time_ns() & 0xffffff);
    vt_rc_conn_ah_attr(conn, &ah_attr);
    conn->ah = vt_verbs_ah_create(iface->dev->pd, &ah_attr);
    if (conn->ah == NULL) {
        vs_error("rc: ibv_create_ah to worker %016llx failed: %s",
                 (unsigned long long)peer->uid, strerror(errno));
        status = VERVE_ERR_UNREACHABLE;
        goto err_free;
    }
    status = vt_rc_conn_create_qp(conn);
    if (status != VERVE_OK) {
        goto err_ah;
    }
    if (vs_hash_put(&iface->conn_by_uid, conn->peer_uid, conn) !=
                VERVE_OK ||
        vs_hash_put(&iface->conn_by_qpn, conn->qp->qp_num, conn) !=
                VERVE_OK) {
        vs_hash_del(&iface->conn_by_uid, conn->peer_uid);
        status = VERVE_ERR_NO_MEMORY;
        goto err_qp;
    }
    conn->next = iface->conns;
    iface->conns = conn;
    ++iface->num_connecting;
    *conn_p = conn;
    return VERVE_OK;

err_qp:
    ibv_destroy_qp(conn->qp);
err_ah:
    ibv_destroy_ah(conn->ah);
err_free:
    free(conn->ops);
    free(conn);
    return status;
}

/* A worker's connection to itself: its QP connected to itself, with no
 * handshake. The engine makes one for atomics on its own memory where the
 * device's atomics are atomic only among themselves (IBV_ATOMIC_HCA), so
 * that they go through the device like everyone else's. */
static verve_status_t vt_rc_conn_loopback(vt_rc_iface_t *iface,
                                          const vt_verbs_addr_t *self,
                                          vt_rc_conn_t **conn_p)
{
    verve_status_t status;
    vt_rc_conn_t *conn;

    status = vt_rc_conn_create(iface, self, &conn);
    if (status != VERVE_OK) {
        return status;
    }
    status = vt_rc_conn_connect_qp(conn, conn->qp->qp_num, conn->psn,
                                   iface->dev->port.active_mtu);
    if (status != VERVE_OK) {
        vt_rc_conn_fail(conn, status);
        return status;
    }
    *conn_p = conn;
    return VERVE_OK;
}

verve_status_t vt_rc_conn_get(vt_rc_iface_t *iface,
                              const vt_verbs_addr_t *peer,
                              vt_rc_conn_t **conn_p)
{
    vt_rc_conn_t *conn = vs_hash_get(&iface->conn_by_uid, peer->uid);
    struct ibv_qp_init_attr init;
    struct ibv_qp_attr attr;
    verve_status_t status;

    /* A connection nobody used since it went to error on the other side
     * (a remote access error fails both QPs of the pair) looks connected
     * here: ask the device before handing it out again. */
    if (conn != NULL && conn->state == VT_RC_CONN_CONNECTED &&
        conn->refcount == 0 &&
        (ibv_query_qp(conn->qp, &attr, IBV_QP_STATE, &init) != 0 ||
         attr.qp_state == IBV_QPS_ERR)) {
        vt_rc_conn_fail(conn, VERVE_ERR_PEER_FAILED);
        conn = NULL;
    }
    if (conn == NULL && peer->uid == iface->uid) {
        return vt_rc_conn_loopback(iface, peer, conn_p);
    }
    if (conn == NULL) {
        status = vt_rc_conn_create(iface, peer, &conn);
        if (status != VERVE_OK) {
            return status;
        }
        conn->next_retry_ns = vs_time_ns() +
                              (uint64_t)(iface->cfg.connect_retry * 1e9);
        /* A full UD queue now is fixed by the retry timer. */
        (void)vt_rc_conn_send_cm(conn, VT_RC_CM_CONNECT);
    }
    *conn_p = conn;
    return VERVE_OK;
}

void vt_rc_conn_handle_cm(vt_rc_iface_t *iface, const void *data,
                          size_t length)
{
    vt_verbs_addr_t peer;
    vt_rc_cm_msg_t msg;
    vt_rc_conn_t *conn;
    uint32_t qpn, psn;

    if (length < sizeof(msg)) {
        return;
    }
    memcpy(&msg, data, sizeof(msg));
    qpn = le32toh(msg.qpn);
    psn = le32toh(msg.psn) & 0xffffff;
    if (le32toh(msg.magic) != VT_RC_CM_MAGIC ||
        le64toh(msg.dst_uid) != iface->uid || qpn == 0 ||
        qpn >= (1u << 24) || vt_verbs_mtu_bytes(msg.mtu) == 0 ||
        (msg.type != VT_RC_CM_CONNECT && msg.type != VT_RC_CM_ACCEPT)) {
        vs_debug("rc: dropped a malformed or misdirected handshake");
        return;
    }
    memset(&peer, 0, sizeof(peer));
    peer.magic = VT_RC_ADDR_MAGIC;
    peer.link_layer = iface->dev->port.link_layer;
    peer.mtu = msg.mtu;
    peer.lid = le16toh(msg.lid);
    peer.qpn = le32toh(msg.ud_qpn);
    memcpy(peer.gid, msg.gid, sizeof(peer.gid));
    peer.uid = le64toh(msg.src_uid);
    conn = vs_hash_get(&iface->conn_by_uid, peer.uid);
    if (conn != NULL && conn->state == VT_RC_CONN_CONNECTED &&
        msg.type == VT_RC_CM_CONNECT && qpn != conn->remote_qpn) {
        /* The peer dropped the QP we know (an access error moved the pair
         * to error, or it closed and came back) and connects anew: ours is
         * dead too, even if nothing told us yet. */
        vt_rc_conn_fail(conn, VERVE_ERR_PEER_FAILED);
        conn = NULL;
    }
    if (conn == NULL) {
        if (msg.type != VT_RC_CM_CONNECT ||
            vt_rc_conn_create(iface, &peer, &conn) != VERVE_OK) {
            return;
        }
    }
    if (conn->state == VT_RC_CONN_CONNECTING &&
        vt_rc_conn_connect_qp(conn, qpn, psn, msg.mtu) != VERVE_OK) {
        vt_rc_conn_fail(conn, VERVE_ERR_UNREACHABLE);
        return;
    }
    if (msg.type == VT_RC_CM_CONNECT &&
        conn->state == VT_RC_CONN_CONNECTED) {
        /* Also answers a resent CONNECT whose ACCEPT was lost. */
        (void)vt_rc_conn_send_cm(conn, VT_RC_CM_ACCEPT);
    }
}

void vt_rc_conn_retry(vt_rc_iface_t *iface)
{
    uint64_t now = vs_time_ns();
    vt_rc_conn_t *conn;

    for (conn = iface->conns; conn != NULL; conn = conn->next) {
        if (conn->state != VT_RC_CONN_CONNECTING ||
            now < conn->next_retry_ns) {
            continue;
        }
        conn->next_retry_ns = now +
                              (uint64_t)(iface->cfg.connect_retry * 1e9);
        vs_debug("rc: resending CONNECT to worker %016llx",
                 (unsigned long long)conn->peer_uid);
        (void)vt_rc_conn_send_cm(conn, VT_RC_CM_CONNECT);
    }
}

verve_status_t vt_rc_conn_check(vt_rc_conn_t *conn)
{
    uint64_t now;

    if (conn->state == VT_RC_CONN_FAILED) {
        return VERVE_ERR_PEER_FAILED;
    }
    if (conn->state != VT_RC_CONN_CONNECTED) {
        conn->stall_since_ns = 0;
        return VERVE_OK;
    }
    if (conn->sq_head == conn->sq_tail) {
        conn->stall_since_ns = 0;
        /* An idle connection learns nothing of a dead peer: a zero-length
         * write does, through the QP's retry timeout, and costs the
         * peer's CPU nothing. */
        (void)vt_rc_conn_fence(conn, NULL);
        return VERVE_OK;
    }
    now = vs_time_ns();
    if (conn->sq_tail != conn->seen_tail || conn->stall_since_ns == 0) {
        conn->seen_tail = conn->sq_tail;
        conn->stall_since_ns = now;
        return VERVE_OK;
    }
    if (conn->unsignalled > 0 && vt_rc_conn_fence(conn, NULL) != NULL) {
        /* Unsignalled sends ended the ring: their CQE never comes, however
         * alive the peer (a barrier message, then nothing for a while on
         * this connection). A signalled write asks for one; the stall
         * clock starts again from it. */
        conn->stall_since_ns = now;
        return VERVE_OK;
    }
    if ((double)(now - conn->stall_since_ns) >
        conn->iface->cfg.peer_timeout * 1e9) {
        vs_error("rc: no send to worker %016llx completed for %.1f s "
                 "(%u in flight): taking the peer for dead",
                 (unsigned long long)conn->peer_uid,
                 conn->iface->cfg.peer_timeout,
                 (unsigned)(conn->sq_head - conn->sq_tail));
        vt_rc_conn_fail(conn, VERVE_ERR_PEER_FAILED);
        return VERVE_ERR_PEER_FAILED;
    }
    return VERVE_OK;
}

/* Removes a map entry only if it still names this connection: a newer one
 * may own the key now. */
static void vt_rc_conn_unmap(vs_hash_t *map, uint64_t key,
                             vt_rc_conn_t *conn)
{
    if (vs_hash_get(map, key) == conn) {
        vs_hash_del(map, key);
    }
}

void vt_rc_conn_release_qp(vt_rc_conn_t *conn)
{
    if (conn->qp == NULL) {
        return;
    }
    vt_rc_conn_unmap(&conn->iface->conn_by_qpn, conn->qp->qp_num, conn);
    if (ibv_destroy_qp(conn->qp) != 0) {
        vs_warn("rc: ibv_destroy_qp(0x%x) failed: %s", conn->qp->qp_num,
                strerror(errno));
    }
    conn->qp = NULL;
}

static void vt_rc_conn_abort(vt_rc_conn_t *conn, verve_status_t status)
{
    vt_rc_op_t *op;

    if (conn->state == VT_RC_CONN_CONNECTING) {
        --conn->iface->num_connecting;
    }
    conn->state = VT_RC_CONN_FAILED;
    conn->error = status;
    /* A new endpoint to this peer makes a new connection. */
    vt_rc_conn_unmap(&conn->iface->conn_by_uid, conn->peer_uid, conn);
    /* Everything in flight ends now with the error; the flushed CQEs that
     * still arrive for them are then ignored (they are behind sq_tail,
     * and the connection's memory stays until the iface closes). */
    if (conn->sq_head != conn->sq_tail) {
        op = &conn->ops[(conn->sq_head - 1) & (conn->iface->sq_size - 1)];
        vt_rc_op_complete(conn, op, status);
    }
    if (conn->refcount == 0) {
        vt_rc_conn_release_qp(conn);
    }
}

void vt_rc_conn_fail(vt_rc_conn_t *conn, verve_status_t status)
{
    if (conn->state == VT_RC_CONN_FAILED) {
        return;
    }
    vs_warn("rc: connection to worker %016llx (qp 0x%x) failed: %s",
            (unsigned long long)conn->peer_uid, conn->qp->qp_num,
            verve_status_string(status));
    vt_rc_conn_abort(conn, status);
}

void vt_rc_conn_destroy(vt_rc_conn_t *conn)
{
    if (conn->state != VT_RC_CONN_FAILED) {
        vt_rc_conn_abort(conn, VERVE_ERR_CANCELED);
    }
    vt_rc_conn_release_qp(conn);
    ibv_destroy_ah(conn->ah);
    free(conn->ops);
    free(conn);
}
