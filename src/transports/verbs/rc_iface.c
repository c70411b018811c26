/* rc interface: CQs and their wakeup channel, the shared receive queue,
 * bounce buffers, the UD handshake QP, and progress. */
#include "rc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include "core/base/log.h"
#include "core/base/time.h"

#define VT_RC_UD_SLOT (VT_RC_GRH + sizeof(vt_rc_cm_msg_t))
#define VT_RC_POLL_BATCH 16
/* Receive buffers reposted to the SRQ in one call, at most. */
#define VT_RC_RX_BATCH 16
/* Progress calls between two looks at a send CQ that expects nothing:
 * a failed QP flushes unsignalled WRs too, and those CQEs must not fill
 * the CQ. */
#define VT_RC_TX_IDLE_POLL 64

int vt_rc_tx_get(vt_rc_iface_t *iface)
{
    if (vs_unlikely(iface->tx_num_free == 0)) {
        return -1;
    }
    return iface->tx_free[--iface->tx_num_free];
}

void vt_rc_tx_put(vt_rc_iface_t *iface, int index)
{
    iface->tx_free[iface->tx_num_free++] = index;
}

static verve_status_t vt_rc_srq_post(vt_rc_iface_t *iface, unsigned index)
{
    struct ibv_recv_wr wr, *bad;
    struct ibv_sge sge;
    int ret;

    vt_verbs_recv_chain(&wr, &sge, &index, 1, iface->rx_bufs,
                        (uint32_t)iface->cfg.seg_size, iface->rx_mr->lkey, 0);
    ret = ibv_post_srq_recv(iface->srq, &wr, &bad);
    if (ret != 0) {
        vs_error("rc: ibv_post_srq_recv of buffer %u on %s failed: %s",
                 index, iface->dev->port.dev_name, strerror(ret));
        return VERVE_ERR_IO;
    }
    return VERVE_OK;
}

/* Gives the consumed receive buffers back to the SRQ as one chain: one
 * lock and one queue update in the provider instead of one per message. */
static void vt_rc_srq_repost(vt_rc_iface_t *iface)
{
    struct ibv_recv_wr wr[VT_RC_RX_BATCH], *bad = NULL;
    struct ibv_sge sge[VT_RC_RX_BATCH];
    unsigned n = vs_min(iface->rx_num_repost, VT_RC_RX_BATCH), posted;
    int ret;

    vt_verbs_recv_chain(wr, sge, iface->rx_repost, n, iface->rx_bufs,
                        (uint32_t)iface->cfg.seg_size, iface->rx_mr->lkey, 0);
    ret = ibv_post_srq_recv(iface->srq, wr, &bad);
    posted = n;
    if (vs_unlikely(ret != 0)) {
        posted = bad != NULL ? (unsigned)(bad - wr) : 0;
        vs_error("rc: ibv_post_srq_recv of %u buffers on %s failed at "
                 "buffer %u: %s", n, iface->dev->port.dev_name,
                 iface->rx_repost[posted], strerror(ret));
    }
    /* What was not posted waits for the next try. */
    iface->rx_posted += posted;
    iface->rx_num_repost -= posted;
    memmove(iface->rx_repost, iface->rx_repost + posted,
            iface->rx_num_repost * sizeof(*iface->rx_repost));
}

static verve_status_t vt_rc_ud_post_recv(vt_rc_iface_t *iface,
                                         unsigned index)
{
    struct ibv_recv_wr wr, *bad;
    struct ibv_sge sge;
    int ret;

    vt_verbs_recv_chain(&wr, &sge, &index, 1, iface->ud_rx, VT_RC_UD_SLOT,
                        iface->tx_mr->lkey, 0);
    ret = ibv_post_recv(iface->ud_qp, &wr, &bad);
    if (ret != 0) {
        vs_error("rc: posting handshake receive %u failed: %s", index,
                 strerror(ret));
        return VERVE_ERR_IO;
    }
    return VERVE_OK;
}

static void vt_rc_handle_send_wc(vt_rc_iface_t *iface, struct ibv_wc *wc)
{
    vt_rc_op_t *op = (vt_rc_op_t *)(uintptr_t)wc->wr_id;

    /* The flushed CQE of an unsignalled WR of a failed QP is no CQE that
     * progress waited for. */
    if (op->signalled) {
        op->signalled = 0;
        --iface->tx_signalled;
    }
    if (op->type == VT_RC_OP_CM) {
        if (wc->status != IBV_WC_SUCCESS) {
            vs_debug("rc: handshake send failed: %s (resent later)",
                     ibv_wc_status_str(wc->status));
        }
        vt_rc_tx_put(iface, op->tx_buf);
        op->tx_buf = -1;
        --iface->cm_inflight;
        return;
    }
    if (wc->status != IBV_WC_SUCCESS && wc->status != IBV_WC_WR_FLUSH_ERR) {
        /* wc->opcode is undefined in an error completion: name the op
         * from our own record. */
        static const char *const names[] = {
            [VT_RC_OP_SEND] = "send", [VT_RC_OP_PUT] = "RDMA write",
            [VT_RC_OP_GET] = "RDMA read", [VT_RC_OP_FADD] = "fetch-add",
            [VT_RC_OP_CSWAP] = "compare-swap", [VT_RC_OP_SWAP] = "swap",
            [VT_RC_OP_FLUSH] = "flush", [VT_RC_OP_CM] = "handshake"};
        vs_error("rc: %s on qp 0x%x to worker %016llx failed: %s (vendor "
                 "error 0x%x)", names[op->type], wc->qp_num,
                 (unsigned long long)op->conn->peer_uid,
                 ibv_wc_status_str(wc->status), wc->vendor_err);
    }
    vt_rc_op_complete(op->conn, op, vt_verbs_wc_status(wc->status));
}

static void vt_rc_handle_recv_wc(vt_rc_iface_t *iface, struct ibv_wc *wc)
{
    unsigned index = (unsigned)wc->wr_id;
    vt_rc_conn_t *conn;
    uint8_t id;
    char *data;

    if (wc->qp_num == iface->ud_qp->qp_num) {
        if (wc->status == IBV_WC_SUCCESS && wc->byte_len > VT_RC_GRH) {
            VT_VERBS_MARK_DEFINED(iface->ud_rx +
                                  (size_t)index * VT_RC_UD_SLOT,
                                  wc->byte_len);
            vt_rc_conn_handle_cm(iface, iface->ud_rx +
                                 (size_t)index * VT_RC_UD_SLOT + VT_RC_GRH,
                                 wc->byte_len - VT_RC_GRH);
        }
        vt_rc_ud_post_recv(iface, index);
        return;
    }
    --iface->rx_posted;
    data = iface->rx_bufs + (size_t)index * iface->cfg.seg_size;
    if (vs_unlikely(wc->status != IBV_WC_SUCCESS)) {
        vs_debug("rc: receive on qp 0x%x completed with %s", wc->qp_num,
                 ibv_wc_status_str(wc->status));
        goto repost;
    }
    /* Messages come in runs from one peer: skip the map for those. A
     * connection stays allocated until the iface closes, and a released
     * QP leaves conn->qp NULL. */
    conn = iface->rx_last_conn;
    if (vs_unlikely(conn == NULL || conn->qp == NULL ||
                    conn->qp->qp_num != wc->qp_num)) {
        conn = vs_hash_get(&iface->conn_by_qpn, wc->qp_num);
        iface->rx_last_conn = conn;
    }
    id = (uint8_t)ntohl(wc->imm_data);
    if (vs_unlikely(conn == NULL || !(wc->wc_flags & IBV_WC_WITH_IMM) ||
                    id >= VT_AM_ID_MAX || iface->am_handlers[id] == NULL)) {
        vs_error("rc: dropped a message of %u bytes on qp 0x%x: unknown "
                 "connection or am id %u without handler", wc->byte_len,
                 wc->qp_num, id);
        goto repost;
    }
    VT_VERBS_MARK_DEFINED(data, wc->byte_len);
    iface->am_handlers[id](iface->am_args[id], data, wc->byte_len,
                           conn->peer_uid);
repost:
    iface->rx_repost[iface->rx_num_repost++] = index;
    if (iface->rx_num_repost >= iface->rx_batch) {
        vt_rc_srq_repost(iface);
    }
}

static void vt_rc_handle_wc(vt_rc_iface_t *iface, struct ibv_wc *wc)
{
    if (wc->opcode & IBV_WC_RECV) {
        vt_rc_handle_recv_wc(iface, wc);
    } else {
        vt_rc_handle_send_wc(iface, wc);
    }
}

static unsigned vt_rc_poll(vt_rc_iface_t *iface, struct ibv_cq *cq)
{
    struct ibv_wc wc[VT_RC_POLL_BATCH];
    int n, i;

    n = ibv_poll_cq(cq, VT_RC_POLL_BATCH, wc);
    if (vs_unlikely(n < 0)) {
        vs_error("rc: ibv_poll_cq on %s failed: %d",
                 iface->dev->port.dev_name, n);
        return 0;
    }
    for (i = 0; i < n; ++i) {
        vt_rc_handle_wc(iface, &wc[i]);
    }
    return (unsigned)n;
}

void vt_rc_iface_poll_send(vt_rc_iface_t *iface)
{
    vt_rc_poll(iface, iface->send_cq);
}

verve_status_t vt_rc_iface_wait(vt_rc_iface_t *iface, vt_rc_op_t *op)
{
    /* Send completions only: receives would run handlers inside an RMA
     * call. RDMA reads, writes and atomics need no progress from the
     * peer, so this ends. */
    vt_rc_conn_t *conn = op->conn;
    uint64_t tail = conn->sq_tail, since = vs_time_ns();
    unsigned spins = 0;

    while (!op->done) {
        /* Past the first spins, the device, when it runs on our CPUs,
         * needs the CPU more than we do (see VT_CAP_IDLE_YIELD). */
        if (vt_rc_poll(iface, iface->send_cq) == 0 &&
            iface->dev->idle_yield && spins > VT_IDLE_YIELD_POLLS) {
            sched_yield();
        }
        if (vs_likely((++spins & 1023) != 0)) {
            continue;
        }
        /* The same watchdog as ep_check: a QP that neither completes nor
         * fails (seen with SoftRoCE and a dead peer) must not hang us. */
        if (conn->sq_tail != tail) {
            tail = conn->sq_tail;
            since = vs_time_ns();
        } else if ((double)(vs_time_ns() - since) >
                   iface->cfg.peer_timeout * 1e9) {
            vt_rc_conn_fail(conn, VERVE_ERR_PEER_FAILED);
        }
    }
    return op->status;
}

static void vt_rc_iface_drain_events(vt_rc_iface_t *iface)
{
    struct ibv_cq *cq;
    void *ctx;

    while (ibv_get_cq_event(iface->channel, &cq, &ctx) == 0) {
        ibv_ack_cq_events(cq, 1);
    }
    iface->armed = 0;
}

static unsigned vt_rc_iface_progress(vt_iface_t *tl_iface)
{
    vt_rc_iface_t *iface = vs_container_of(tl_iface, vt_rc_iface_t, super);
    unsigned count = 0, i, n;

    if (vs_unlikely(iface->armed)) {
        vt_rc_iface_drain_events(iface);
    }
    if (vs_unlikely(iface->in_progress)) {
        return 0;
    }
    iface->in_progress = 1;
    if (vs_unlikely(iface->num_stash > 0)) {
        n = iface->num_stash;
        iface->num_stash = 0;
        for (i = 0; i < n; ++i) {
            vt_rc_handle_wc(iface, &iface->stash[i]);
        }
        count += n;
    }
    /* Receives first: they are what a waiting caller is after. The send
     * CQ only while a CQE is due (selective signalling leaves most sends
     * without one): an empty poll takes the CQ's lock in the provider,
     * and a busy-polling caller pays it on every call. */
    count += vt_rc_poll(iface, iface->recv_cq);
    if (iface->tx_signalled + iface->cm_inflight > 0 ||
        vs_unlikely(++iface->tx_idle_polls >= VT_RC_TX_IDLE_POLL)) {
        iface->tx_idle_polls = 0;
        count += vt_rc_poll(iface, iface->send_cq);
    }
    if (vs_unlikely(iface->num_connecting > 0)) {
        vt_rc_conn_retry(iface);
    }
    iface->in_progress = 0;
    return count;
}

static verve_status_t vt_rc_iface_arm(vt_iface_t *tl_iface)
{
    vt_rc_iface_t *iface = vs_container_of(tl_iface, vt_rc_iface_t, super);
    struct ibv_cq *cqs[2] = {iface->send_cq, iface->recv_cq};
    int i, n;

    if (iface->num_stash > 0) {
        return VERVE_ERR_BUSY;
    }
    for (i = 0; i < 2; ++i) {
        if (ibv_req_notify_cq(cqs[i], 0) != 0) {
            vs_error("rc: ibv_req_notify_cq on %s failed: %s",
                     iface->dev->port.dev_name, strerror(errno));
            return VERVE_ERR_BUSY;
        }
    }
    iface->armed = 1;
    /* A completion that arrived before the request raises no event: look
     * after arming, and keep what we took for the next progress. */
    for (i = 0; i < 2; ++i) {
        n = ibv_poll_cq(cqs[i],
                        (int)(vs_array_size(iface->stash) -
                              iface->num_stash),
                        &iface->stash[iface->num_stash]);
        if (n > 0) {
            iface->num_stash += (unsigned)n;
        }
    }
    return iface->num_stash > 0 ? VERVE_ERR_BUSY : VERVE_OK;
}

static void vt_rc_iface_query(vt_iface_t *tl_iface, vt_iface_caps_t *caps)
{
    vt_rc_iface_t *iface = vs_container_of(tl_iface, vt_rc_iface_t, super);

    memset(caps, 0, sizeof(*caps));
    caps->flags = VT_CAP_AM_SHORT | VT_CAP_AM_BCOPY | VT_CAP_RMA |
                  VT_CAP_WAKEUP | VT_CAP_ASYNC | VT_CAP_GET_ZCOPY |
                  VT_CAP_ZCOPY_KEY;
    if (iface->dev->idle_yield) {
        caps->flags |= VT_CAP_IDLE_YIELD;
    }
    if (vt_rc_native_atomics(iface)) {
        caps->flags |= VT_CAP_AMO64;
        if (iface->dev->attr.atomic_cap == IBV_ATOMIC_HCA) {
            caps->flags |= VT_CAP_AMO_LANE;   /* see its keys (rc_atomic.c) */
        }
    }
    caps->am_short_max = iface->cfg.seg_size;
    caps->am_bcopy_max = iface->cfg.seg_size;
    /* One RDMA read: the largest message verbs allows. */
    caps->zcopy_max = vs_min((size_t)iface->dev->port.max_msg_sz,
                             (size_t)iface->dev->attr.max_mr_size);
    caps->address_length = sizeof(vt_verbs_addr_t);
    caps->latency_ns = 1500;
    caps->bandwidth_MBps = 5000;
}

static void vt_rc_iface_address(vt_iface_t *tl_iface, void *address)
{
    vt_rc_iface_t *iface = vs_container_of(tl_iface, vt_rc_iface_t, super);

    vt_verbs_addr_pack(iface->dev, VT_RC_ADDR_MAGIC, iface->ud_qp->qp_num,
                       iface->uid, address);
}

static int vt_rc_iface_is_reachable(vt_iface_t *tl_iface,
                                    const void *address, size_t length)
{
    vt_rc_iface_t *iface = vs_container_of(tl_iface, vt_rc_iface_t, super);

    return vt_verbs_addr_reachable(iface->dev, VT_RC_ADDR_MAGIC, address,
                                   length);
}

static void vt_rc_iface_close(vt_iface_t *tl_iface)
{
    vt_rc_iface_t *iface = vs_container_of(tl_iface, vt_rc_iface_t, super);
    vt_rc_conn_t *conn;

    while ((conn = iface->conns) != NULL) {
        iface->conns = conn->next;
        vt_rc_conn_destroy(conn);
    }
    if (iface->epoll_fd >= 0) {
        epoll_ctl(iface->epoll_fd, EPOLL_CTL_DEL, iface->channel->fd, NULL);
    }
    ibv_destroy_qp(iface->ud_qp);
    ibv_destroy_srq(iface->srq);
    /* A CQ with unacknowledged events cannot be destroyed. */
    vt_rc_iface_drain_events(iface);
    ibv_destroy_cq(iface->recv_cq);
    ibv_destroy_cq(iface->send_cq);
    ibv_destroy_comp_channel(iface->channel);
    ibv_dereg_mr(iface->tx_mr);
    ibv_dereg_mr(iface->rx_mr);
    free(iface->tx_bufs);
    free(iface->rx_bufs);
    free(iface->tx_free);
    free(iface->rx_repost);
    vs_hash_cleanup(&iface->conn_by_qpn);
    vs_hash_cleanup(&iface->conn_by_uid);
    vt_verbs_dev_put(iface->dev);
    vs_config_release(&vt_rc_config_table, &iface->cfg);
    free(iface);
}

static verve_status_t vt_rc_iface_alloc_buffers(vt_rc_iface_t *iface)
{
    const vt_rc_config_t *cfg = &iface->cfg;
    size_t tx_length = (size_t)cfg->tx_bufs * cfg->seg_size +
                       VT_RC_UD_RX * VT_RC_UD_SLOT;
    struct ibv_pd *pd = iface->dev->pd;
    unsigned i;

    iface->rx_bufs = aligned_alloc(4096, vs_align_up((size_t)cfg->rx_queue *
                                                     cfg->seg_size, 4096));
    iface->tx_bufs = aligned_alloc(4096, vs_align_up(tx_length, 4096));
    iface->tx_free = calloc(cfg->tx_bufs, sizeof(int));
    iface->rx_repost = calloc(cfg->rx_queue, sizeof(unsigned));
    if (iface->rx_bufs == NULL || iface->tx_bufs == NULL ||
        iface->tx_free == NULL || iface->rx_repost == NULL) {
        vs_error("rc: allocating %u receive and %u bounce buffers of %zu "
                 "bytes failed", cfg->rx_queue, cfg->tx_bufs, cfg->seg_size);
        return VERVE_ERR_NO_MEMORY;
    }
    iface->ud_rx = iface->tx_bufs + (size_t)cfg->tx_bufs * cfg->seg_size;
    iface->rx_mr = ibv_reg_mr(pd, iface->rx_bufs,
                              (size_t)cfg->rx_queue * cfg->seg_size,
                              IBV_ACCESS_LOCAL_WRITE);
    iface->tx_mr = ibv_reg_mr(pd, iface->tx_bufs, tx_length,
                              IBV_ACCESS_LOCAL_WRITE);
    if (iface->rx_mr == NULL || iface->tx_mr == NULL) {
        vs_error("rc: registering %zu bytes of buffers on %s failed: %s",
                 (size_t)cfg->rx_queue * cfg->seg_size + tx_length,
                 iface->dev->port.dev_name, strerror(errno));
        return VERVE_ERR_NO_MEMORY;
    }
    for (i = 0; i < cfg->tx_bufs; ++i) {
        iface->tx_free[i] = (int)(cfg->tx_bufs - 1 - i);
    }
    iface->tx_num_free = cfg->tx_bufs;
    /* A quarter of the SRQ at most waits for its repost. */
    iface->rx_batch = vs_min(VT_RC_RX_BATCH, cfg->rx_queue / 4);
    return VERVE_OK;
}

static verve_status_t vt_rc_iface_create_queues(vt_rc_iface_t *iface)
{
    struct ibv_context *ctx = iface->dev->context;
    struct ibv_srq_init_attr srq_attr;
    unsigned cq_size = iface->cfg.tx_bufs + iface->cfg.sq_size +
                       VT_RC_UD_RX;

    iface->channel = ibv_create_comp_channel(ctx);
    if (iface->channel == NULL) {
        vs_error("rc: ibv_create_comp_channel on %s failed: %s",
                 iface->dev->port.dev_name, strerror(errno));
        return VERVE_ERR_IO;
    }
    /* ibv_get_cq_event must not block progress. */
    if (fcntl(iface->channel->fd, F_SETFL,
              fcntl(iface->channel->fd, F_GETFL) | O_NONBLOCK) != 0) {
        vs_error("rc: making completion channel fd %d non-blocking "
                 "failed: %s", iface->channel->fd, strerror(errno));
        return VERVE_ERR_IO;
    }
    /* The send CQ overflows unless it holds every signalled WR of every
     * QP; large enough for a few connections, which is what rc is for. */
    iface->send_cq = ibv_create_cq(ctx, (int)(cq_size * 4), NULL,
                                   iface->channel, 0);
    iface->recv_cq = ibv_create_cq(ctx, (int)(iface->cfg.rx_queue +
                                              VT_RC_UD_RX),
                                   NULL, iface->channel, 0);
    if (iface->send_cq == NULL || iface->recv_cq == NULL) {
        vs_error("rc: ibv_create_cq of %u entries on %s failed: %s",
                 cq_size * 4, iface->dev->port.dev_name, strerror(errno));
        return VERVE_ERR_IO;
    }
    memset(&srq_attr, 0, sizeof(srq_attr));
    srq_attr.attr.max_wr = iface->cfg.rx_queue;
    srq_attr.attr.max_sge = 1;
    iface->srq = ibv_create_srq(iface->dev->pd, &srq_attr);
    if (iface->srq == NULL) {
        vs_error("rc: ibv_create_srq of %u entries on %s failed: %s",
                 iface->cfg.rx_queue, iface->dev->port.dev_name,
                 strerror(errno));
        return VERVE_ERR_IO;
    }
    return VERVE_OK;
}

static verve_status_t vt_rc_iface_create_ud(vt_rc_iface_t *iface)
{
    struct ibv_qp_init_attr init;
    struct ibv_qp_attr attr;
    unsigned i;

    memset(&init, 0, sizeof(init));
    init.send_cq = iface->send_cq;
    init.recv_cq = iface->recv_cq;
    init.qp_type = IBV_QPT_UD;
    init.cap.max_send_wr = VT_RC_UD_RX;
    init.cap.max_recv_wr = VT_RC_UD_RX;
    init.cap.max_send_sge = 1;
    init.cap.max_recv_sge = 1;
    iface->ud_qp = ibv_create_qp(iface->dev->pd, &init);
    if (iface->ud_qp == NULL) {
        vs_error("rc: creating the handshake UD QP on %s failed: %s",
                 iface->dev->port.dev_name, strerror(errno));
        return VERVE_ERR_IO;
    }
    memset(&attr, 0, sizeof(attr));
    attr.qp_state = IBV_QPS_INIT;
    attr.port_num = iface->dev->port.port_num;
    attr.qkey = VT_RC_CM_MAGIC;
    if (ibv_modify_qp(iface->ud_qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
                      IBV_QP_PORT | IBV_QP_QKEY) != 0) {
        goto err;
    }
    attr.qp_state = IBV_QPS_RTR;
    if (ibv_modify_qp(iface->ud_qp, &attr, IBV_QP_STATE) != 0) {
        goto err;
    }
    attr.qp_state = IBV_QPS_RTS;
    attr.sq_psn = 0;
    if (ibv_modify_qp(iface->ud_qp, &attr, IBV_QP_STATE | IBV_QP_SQ_PSN) !=
        0) {
        goto err;
    }
    for (i = 0; i < VT_RC_UD_RX; ++i) {
        if (vt_rc_ud_post_recv(iface, i) != VERVE_OK) {
            return VERVE_ERR_IO;
        }
    }
    return VERVE_OK;

err:
    vs_error("rc: bringing the handshake UD QP 0x%x to %d on %s failed: %s",
             iface->ud_qp->qp_num, (int)attr.qp_state,
             iface->dev->port.dev_name, strerror(errno));
    return VERVE_ERR_IO;
}

/* Releases what vt_rc_iface_open made so far (NULL members are skipped). */
static void vt_rc_iface_cleanup(vt_rc_iface_t *iface)
{
    if (iface->ud_qp != NULL) {
        ibv_destroy_qp(iface->ud_qp);
    }
    if (iface->srq != NULL) {
        ibv_destroy_srq(iface->srq);
    }
    if (iface->recv_cq != NULL) {
        ibv_destroy_cq(iface->recv_cq);
    }
    if (iface->send_cq != NULL) {
        ibv_destroy_cq(iface->send_cq);
    }
    if (iface->channel != NULL) {
        ibv_destroy_comp_channel(iface->channel);
    }
    if (iface->tx_mr != NULL) {
        ibv_dereg_mr(iface->tx_mr);
    }
    if (iface->rx_mr != NULL) {
        ibv_dereg_mr(iface->rx_mr);
    }
    free(iface->tx_bufs);
    free(iface->rx_bufs);
    free(iface->tx_free);
    free(iface->rx_repost);
}

verve_status_t vt_rc_iface_open(const vt_iface_params_t *params,
                                vt_iface_t **iface_p)
{
    struct epoll_event event;
    vt_rc_iface_t *iface;
    verve_status_t status;
    unsigned i;

    iface = calloc(1, sizeof(*iface));
    if (iface == NULL) {
        vs_error("rc: allocating an iface of %zu bytes failed",
                 sizeof(*iface));
        return VERVE_ERR_NO_MEMORY;
    }
    status = vs_config_read(&vt_rc_config_table, &iface->cfg);
    if (status != VERVE_OK) {
        free(iface);
        return status;
    }
    status = vt_verbs_dev_get(&iface->dev);
    if (status != VERVE_OK) {
        goto err_config;    /* VERVE_ERR_NO_ELEM: no device here */
    }
    iface->super.ops = &vt_rc_iface_ops;
    iface->uid = params->uid;
    iface->epoll_fd = params->epoll_fd;
    iface->sq_size = iface->cfg.sq_size;
    for (i = 0; i < VT_RC_UD_RX; ++i) {
        iface->cm_ops[i].tx_buf = -1;
    }
    memcpy(iface->am_handlers, params->am_handlers,
           sizeof(iface->am_handlers));
    memcpy(iface->am_args, params->am_args, sizeof(iface->am_args));
    if (vs_hash_init(&iface->conn_by_uid, 16) != VERVE_OK ||
        vs_hash_init(&iface->conn_by_qpn, 16) != VERVE_OK) {
        status = VERVE_ERR_NO_MEMORY;
        goto err_hash;
    }
    status = vt_rc_iface_alloc_buffers(iface);
    if (status != VERVE_OK) {
        goto err_queues;
    }
    status = vt_rc_iface_create_queues(iface);
    if (status != VERVE_OK) {
        goto err_queues;
    }
    status = vt_rc_iface_create_ud(iface);
    if (status != VERVE_OK) {
        goto err_queues;
    }
    for (i = 0; i < iface->cfg.rx_queue; ++i) {
        status = vt_rc_srq_post(iface, i);
        if (status != VERVE_OK) {
            goto err_queues;
        }
        ++iface->rx_posted;
    }
    if (iface->epoll_fd >= 0) {
        memset(&event, 0, sizeof(event));
        event.events = EPOLLIN;
        event.data.ptr = &iface->super;
        if (epoll_ctl(iface->epoll_fd, EPOLL_CTL_ADD, iface->channel->fd,
                      &event) != 0) {
            vs_error("rc: adding completion channel fd %d to epoll fd %d "
                     "failed: %s", iface->channel->fd, iface->epoll_fd,
                     strerror(errno));
            status = VERVE_ERR_IO;
            goto err_queues;
        }
    }
    vs_debug("rc: iface of worker %016llx on %s:%u, handshake qp 0x%x",
             (unsigned long long)iface->uid, iface->dev->port.dev_name,
             iface->dev->port.port_num, iface->ud_qp->qp_num);
    *iface_p = &iface->super;
    return VERVE_OK;

err_queues:
    vt_rc_iface_cleanup(iface);
err_hash:
    vs_hash_cleanup(&iface->conn_by_qpn);
    vs_hash_cleanup(&iface->conn_by_uid);
    vt_verbs_dev_put(iface->dev);
err_config:
    vs_config_release(&vt_rc_config_table, &iface->cfg);
    free(iface);
    return status;
}

const vt_iface_ops_t vt_rc_iface_ops = {
    .iface_close = vt_rc_iface_close,
    .iface_query = vt_rc_iface_query,
    .iface_address = vt_rc_iface_address,
    .iface_is_reachable = vt_rc_iface_is_reachable,
    .iface_progress = vt_rc_iface_progress,
    .iface_arm = vt_rc_iface_arm,
    .ep_create = vt_rc_ep_create,
    .ep_destroy = vt_rc_ep_destroy,
    .ep_check = vt_rc_ep_check,
    .ep_am_short = vt_rc_ep_am_short,
    .ep_am_bcopy = vt_rc_ep_am_bcopy,
    .ep_get_zcopy = vt_rc_ep_get_zcopy,
    .ep_put_zcopy = vt_no_put_zcopy,
    .ep_put = vt_rc_ep_put,
    .ep_get = vt_rc_ep_get,
    .ep_atomic = vt_rc_ep_atomic,
    .ep_flush = vt_rc_ep_flush
};
