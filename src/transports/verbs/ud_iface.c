/* ud interface: the UD QP, its buffers and CQs, peers with their address
 * handles, the engine's callbacks, and progress (see ud.h). */
#include "ud.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "core/base/log.h"
#include "core/base/time.h"

#define VT_UD_POLL_BATCH 16
/* Send completions only free send slots: they are reaped once half the
 * slots are in use, or when a message needs more, not on every progress
 * call, where an empty poll of the send CQ costs as much as the receive
 * poll that matters. The send CQ has a place for every slot, so it
 * cannot overflow meanwhile. */
#define VT_UD_REAP_BELOW (VT_UD_TX_QUEUE / 2)

_Static_assert(VT_UD_RX_QUEUE % VT_UD_RX_BATCH == 0,
               "receive buffers are posted in whole batches");
/* Marks receive WRs: the opcode of a failed completion is undefined. */
#define VT_UD_WR_RECV (1ull << 32)

/* ---- peers */

verve_status_t vt_ud_peer_get(vt_ud_iface_t *iface, uint64_t uid,
                              struct ibv_ah_attr *ah_attr, uint32_t qpn,
                              vt_ud_peer_t **peer_p)
{
    vt_ud_rel_peer_t *rel_peer = vt_ud_rel_peer_find(&iface->rel, uid);
    verve_status_t status;
    vt_ud_peer_t *peer;

    if (rel_peer != NULL) {
        *peer_p = rel_peer->arg;
        return VERVE_OK;
    }
    peer = vs_mpool_get(&iface->peer_mp);
    if (peer == NULL) {
        vs_error("ud: no memory for peer %016llx", (unsigned long long)uid);
        return VERVE_ERR_NO_MEMORY;
    }
    memset(peer, 0, sizeof(*peer));
    peer->iface = iface;
    peer->uid = uid;
    peer->qpn = qpn;
    peer->ah = vt_verbs_ah_create(iface->dev->pd, ah_attr);
    if (peer->ah == NULL) {
        vs_error("ud: ibv_create_ah to worker %016llx (qpn 0x%x) failed: %s",
                 (unsigned long long)uid, qpn, strerror(errno));
        status = VERVE_ERR_UNREACHABLE;
        goto err_put;
    }
    status = vt_ud_rel_peer_create(&iface->rel, uid, peer, &peer->rel);
    if (status != VERVE_OK) {
        goto err_destroy_ah;
    }
    status = vt_ud_keepalive_add(iface, peer);
    if (status != VERVE_OK) {
        goto err_destroy_rel;
    }
    *peer_p = peer;
    return VERVE_OK;

err_destroy_rel:
    vt_ud_rel_peer_destroy(&iface->rel, peer->rel);
err_destroy_ah:
    ibv_destroy_ah(peer->ah);
err_put:
    vs_mpool_put(peer);
    return status;
}

static void vt_ud_peers_destroy(vt_ud_iface_t *iface)
{
    size_t iter = 0;
    uint64_t key;
    void *value;

    /* Destroying removes from the table, so restart the walk each time. */
    while (vs_hash_next(&iface->rel.peers, &iter, &key, &value)) {
        vt_ud_rel_peer_t *rel_peer = value;
        vt_ud_peer_t *peer = rel_peer->arg;

        vt_ud_rel_peer_destroy(&iface->rel, rel_peer);
        ibv_destroy_ah(peer->ah);
        vs_mpool_put(peer);
        iter = 0;
    }
}

/* ---- the engine's callbacks */

/* Gives receive buffers back to the QP as one chain: one lock and one
 * queue update in the provider instead of one per datagram. */
static verve_status_t vt_ud_post_recvs(vt_ud_iface_t *iface,
                                       const unsigned *index, unsigned n)
{
    struct ibv_recv_wr wr[VT_UD_RX_BATCH], *bad = NULL;
    struct ibv_sge sge[VT_UD_RX_BATCH];
    int ret;

    vt_verbs_recv_chain(wr, sge, index, n, iface->rx_bufs,
                        (uint32_t)(VT_UD_GRH + iface->mtu),
                        iface->rx_mr->lkey, VT_UD_WR_RECV);
    ret = ibv_post_recv(iface->qp, wr, &bad);
    if (ret != 0) {
        vs_error("ud: ibv_post_recv of %u buffers on %s failed at buffer "
                 "%u: %s", n, iface->dev->port.dev_name,
                 bad != NULL ? index[bad - wr] : index[0], strerror(ret));
        return VERVE_ERR_IO;
    }
    return VERVE_OK;
}

/* A consumed receive buffer goes back with the next full batch; the QP
 * holds VT_UD_RX_QUEUE - VT_UD_RX_BATCH buffers at least meanwhile. A
 * batch whose post fails is not kept: only a QP in error refuses one, and
 * nothing arrives on that QP any more. */
static void vt_ud_repost_recv(vt_ud_iface_t *iface, unsigned index)
{
    iface->rx_repost[iface->rx_num_repost++] = index;
    if (iface->rx_num_repost == VT_UD_RX_BATCH) {
        iface->rx_num_repost = 0;
        vt_ud_post_recvs(iface, iface->rx_repost, VT_UD_RX_BATCH);
    }
}

/* The engine keeps its own copy until acked, so the datagram is copied to
 * a registered slot and the slot returns on the send completion. */
static verve_status_t vt_ud_tx(void *arg, void *peer_arg,
                               const void *datagram, size_t length)
{
    vt_ud_iface_t *iface = arg;
    vt_ud_peer_t *peer = peer_arg;
    struct ibv_send_wr wr, *bad;
    struct ibv_sge sge;
    unsigned slot;
    uint8_t *buffer;
    int ret;

    if (vs_unlikely(iface->tx_num_free == 0)) {
        return VERVE_ERR_NO_RESOURCE;   /* the engine resends it later */
    }
    slot = iface->tx_free[--iface->tx_num_free];
    buffer = iface->tx_bufs + (size_t)slot * iface->mtu;
    memcpy(buffer, datagram, length);
    sge.addr = (uintptr_t)buffer;
    sge.length = (uint32_t)length;
    sge.lkey = iface->tx_mr->lkey;
    memset(&wr, 0, sizeof(wr));
    wr.wr_id = slot;
    wr.sg_list = &sge;
    wr.num_sge = 1;
    wr.opcode = IBV_WR_SEND;
    wr.send_flags = IBV_SEND_SIGNALED;
    wr.wr.ud.ah = peer->ah;
    wr.wr.ud.remote_qpn = peer->qpn;
    wr.wr.ud.remote_qkey = VT_UD_QKEY;
    ret = ibv_post_send(iface->qp, &wr, &bad);
    if (vs_unlikely(ret != 0)) {
        iface->tx_free[iface->tx_num_free++] = slot;
        vs_debug("ud: ibv_post_send of %zu bytes to %016llx failed: %s",
                 length, (unsigned long long)peer->uid, strerror(ret));
        return VERVE_ERR_NO_RESOURCE;
    }
    return VERVE_OK;
}

static void vt_ud_deliver(void *arg, void *peer_arg, uint8_t am_id,
                          void *data, size_t length)
{
    vt_ud_iface_t *iface = arg;
    vt_ud_peer_t *peer = peer_arg;

    if (vs_unlikely((am_id >= VT_AM_ID_MAX) ||
                    (iface->am_handlers[am_id] == NULL))) {
        vs_error("ud: message of %zu bytes from %016llx has AM id %u with "
                 "no handler; dropped", length,
                 (unsigned long long)peer->uid, am_id);
        return;
    }
    iface->am_handlers[am_id](iface->am_args[am_id], data, length,
                              peer->uid);
}

/* ---- completions */

static void vt_ud_handle_send_wc(vt_ud_iface_t *iface, struct ibv_wc *wc)
{
    /* A failed send is a lost datagram: the engine resends it. */
    if (vs_unlikely(wc->status != IBV_WC_SUCCESS)) {
        vs_debug("ud: send completion on %s: %s",
                 iface->dev->port.dev_name, ibv_wc_status_str(wc->status));
    }
    iface->tx_free[iface->tx_num_free++] = (unsigned)wc->wr_id;
}

static void vt_ud_handle_recv_wc(vt_ud_iface_t *iface, struct ibv_wc *wc,
                                 uint64_t now)
{
    unsigned index = (unsigned)(wc->wr_id & ~VT_UD_WR_RECV);
    uint8_t *buffer = iface->rx_bufs +
                      (size_t)index * (VT_UD_GRH + iface->mtu);
    struct ibv_ah_attr ah_attr;
    vt_ud_peer_t *peer;
    size_t length;
    uint64_t uid;

    if (vs_unlikely(wc->status != IBV_WC_SUCCESS)) {
        if (wc->status != IBV_WC_WR_FLUSH_ERR) {
            vs_error("ud: receive completion on %s: %s",
                     iface->dev->port.dev_name,
                     ibv_wc_status_str(wc->status));
        }
        return;   /* flushed at close: not reposted */
    }
    if (wc->byte_len < VT_UD_GRH) {
        goto repost;
    }
    length = wc->byte_len - VT_UD_GRH;
    if (!vt_ud_rel_datagram_src(buffer + VT_UD_GRH, length, &uid)) {
        goto repost;
    }
    /* A worker we have no endpoint to yet: make the peer from the
     * completion, so that our acks can reach it; not from a keepalive,
     * which comes from another QP and needs no answer. */
    if (vt_ud_rel_peer_find(&iface->rel, uid) == NULL) {
        if (vt_ud_rel_datagram_is_busy(buffer + VT_UD_GRH, length)) {
            goto repost;
        }
        if (ibv_init_ah_from_wc(iface->dev->context,
                                iface->dev->port.port_num, wc,
                                (struct ibv_grh *)buffer, &ah_attr) != 0 ||
            vt_ud_peer_get(iface, uid, &ah_attr, wc->src_qp, &peer) !=
                VERVE_OK) {
            goto repost;
        }
    }
    vt_ud_rel_recv(&iface->rel, buffer + VT_UD_GRH, length, now);
repost:
    vt_ud_repost_recv(iface, index);
}

static void vt_ud_handle_wc(vt_ud_iface_t *iface, struct ibv_wc *wc,
                            uint64_t now)
{
    if (wc->wr_id & VT_UD_WR_RECV) {
        vt_ud_handle_recv_wc(iface, wc, now);
    } else {
        vt_ud_handle_send_wc(iface, wc);
    }
}

static unsigned vt_ud_poll(vt_ud_iface_t *iface, struct ibv_cq *cq,
                           uint64_t now)
{
    struct ibv_wc wc[VT_UD_POLL_BATCH];
    int n;

    n = ibv_poll_cq(cq, VT_UD_POLL_BATCH, wc);
    if (vs_unlikely(n < 0)) {
        vs_error("ud: ibv_poll_cq on %s failed: %d",
                 iface->dev->port.dev_name, n);
        return 0;
    }
    for (int i = 0; i < n; ++i) {
        vt_ud_handle_wc(iface, &wc[i], now);
    }
    return (unsigned)n;
}

static void vt_ud_iface_drain_events(vt_ud_iface_t *iface)
{
    struct ibv_cq *cq;
    uint64_t expirations;
    void *ctx;

    while (ibv_get_cq_event(iface->channel, &cq, &ctx) == 0) {
        ibv_ack_cq_events(cq, 1);
    }
    /* Disarmed as well as read: a timer left running would fire after
     * this progress and keep a level-triggered epoll set awake. */
    if (iface->timer_fd >= 0) {
        struct itimerspec off;

        memset(&off, 0, sizeof(off));
        timerfd_settime(iface->timer_fd, 0, &off, NULL);
        while (read(iface->timer_fd, &expirations, sizeof(expirations)) > 0) {
        }
    }
    iface->armed = 0;
}

void vt_ud_iface_reap_sends(vt_ud_iface_t *iface)
{
    while (vt_ud_poll(iface, iface->send_cq, 0) == VT_UD_POLL_BATCH) {
    }
}

static unsigned vt_ud_iface_progress(vt_iface_t *tl_iface)
{
    vt_ud_iface_t *iface = vs_container_of(tl_iface, vt_ud_iface_t, super);
    uint64_t now = vs_time_ns();
    unsigned count = 0;

    vt_ud_enter(iface);
    atomic_store_explicit(&iface->progress_ns, now, memory_order_relaxed);
    if (vs_unlikely(iface->armed)) {
        vt_ud_iface_drain_events(iface);
    }
    if (vs_unlikely(iface->num_stash > 0)) {
        unsigned n = iface->num_stash;
        iface->num_stash = 0;
        for (unsigned i = 0; i < n; ++i) {
            vt_ud_handle_wc(iface, &iface->stash[i], now);
        }
        count += n;
    }
    if (iface->tx_num_free <= VT_UD_REAP_BELOW) {
        count += vt_ud_poll(iface, iface->send_cq, now);
    }
    count += vt_ud_poll(iface, iface->recv_cq, now);
    count += vt_ud_rel_progress(&iface->rel, now);
    vt_ud_leave(iface);
    return count;
}

/* A sleeping worker must still wake for retransmissions and delayed acks:
 * the timer fd fires at the engine's next deadline. */
static verve_status_t vt_ud_iface_arm_entered(vt_ud_iface_t *iface)
{
    struct ibv_cq *cqs[2] = {iface->send_cq, iface->recv_cq};
    uint64_t deadline = vt_ud_rel_next_deadline(&iface->rel);
    uint64_t now = vs_time_ns();
    struct itimerspec spec;
    uint64_t delay;

    if ((iface->num_stash > 0) || (deadline <= now)) {
        return VERVE_ERR_BUSY;
    }
    /* Progress leaves send completions in the CQ (VT_UD_REAP_BELOW): take
     * them now, or the look after arming finds them and refuses to sleep,
     * a stash at a time. */
    vt_ud_iface_reap_sends(iface);
    for (int i = 0; i < 2; ++i) {
        if (ibv_req_notify_cq(cqs[i], 0) != 0) {
            vs_error("ud: ibv_req_notify_cq on %s failed: %s",
                     iface->dev->port.dev_name, strerror(errno));
            return VERVE_ERR_BUSY;
        }
    }
    memset(&spec, 0, sizeof(spec));
    if (deadline != UINT64_MAX) {
        delay = deadline - now;
        spec.it_value.tv_sec = (time_t)(delay / 1000000000ull);
        spec.it_value.tv_nsec = (long)(delay % 1000000000ull);
    }
    if (timerfd_settime(iface->timer_fd, 0, &spec, NULL) != 0) {
        vs_error("ud: timerfd_settime on fd %d failed: %s", iface->timer_fd,
                 strerror(errno));
        return VERVE_ERR_BUSY;
    }
    iface->armed = 1;
    /* A completion that arrived before the request raises no event: look
     * after arming, and keep what we took for the next progress. */
    for (int i = 0; i < 2; ++i) {
        int n = ibv_poll_cq(cqs[i], (int)(vs_array_size(iface->stash) -
                                          iface->num_stash),
                            &iface->stash[iface->num_stash]);
        if (n > 0) {
            iface->num_stash += (unsigned)n;
        }
    }
    if (iface->num_stash > 0) {
        return VERVE_ERR_BUSY;
    }
    /* Asleep is not busy: any datagram wakes us (ud_keepalive.c). */
    atomic_store_explicit(&iface->progress_ns, VT_UD_ASLEEP,
                          memory_order_relaxed);
    return VERVE_OK;
}

static verve_status_t vt_ud_iface_arm(vt_iface_t *tl_iface)
{
    vt_ud_iface_t *iface = vs_container_of(tl_iface, vt_ud_iface_t, super);
    verve_status_t status;

    vt_ud_enter(iface);
    status = vt_ud_iface_arm_entered(iface);
    vt_ud_leave(iface);
    return status;
}

static void vt_ud_iface_query(vt_iface_t *tl_iface, vt_iface_caps_t *caps)
{
    vt_ud_iface_t *iface = vs_container_of(tl_iface, vt_ud_iface_t, super);

    memset(caps, 0, sizeof(*caps));
    caps->flags = VT_CAP_AM_SHORT | VT_CAP_AM_BCOPY |
                  (iface->timer_fd >= 0 ? VT_CAP_WAKEUP : 0) |
                  (iface->dev->idle_yield ? VT_CAP_IDLE_YIELD : 0);
    caps->am_short_max = iface->rel.params.max_msg;
    caps->am_bcopy_max = iface->rel.params.max_msg;
    caps->address_length = sizeof(vt_verbs_addr_t);
    caps->latency_ns = 2000;
    caps->bandwidth_MBps = 3000;
}

static void vt_ud_iface_address(vt_iface_t *tl_iface, void *address)
{
    vt_ud_iface_t *iface = vs_container_of(tl_iface, vt_ud_iface_t, super);

    vt_verbs_addr_pack(iface->dev, VT_UD_ADDR_MAGIC, iface->qp->qp_num,
                       iface->uid, address);
}

static int vt_ud_iface_is_reachable(vt_iface_t *tl_iface,
                                    const void *address, size_t length)
{
    vt_ud_iface_t *iface = vs_container_of(tl_iface, vt_ud_iface_t, super);

    return vt_verbs_addr_reachable(iface->dev, VT_UD_ADDR_MAGIC, address,
                                   length);
}

/* ---- open and close */

/* Releases what vt_ud_iface_open made so far (NULL members are skipped). */
static void vt_ud_iface_cleanup(vt_ud_iface_t *iface)
{
    vt_ud_keepalive_stop(iface);
    if (iface->qp != NULL) {
        ibv_destroy_qp(iface->qp);
    }
    if (iface->channel != NULL) {
        vt_ud_iface_drain_events(iface);
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
    if (iface->timer_fd >= 0) {
        close(iface->timer_fd);
    }
    free(iface->tx_bufs);
    free(iface->rx_bufs);
    free(iface->tx_free);
    free(iface->bcopy_buf);
}

/* What the reliability engine did, for VERVE_LOG_LEVEL=debug: resends,
 * standalone acks and timer expiries are what make a run slower than its
 * packet count suggests. */
static void vt_ud_iface_log_stats(const vt_ud_iface_t *iface)
{
    char line[256];

    vs_debug("ud: qp 0x%x %s", iface->qp->qp_num,
             vt_ud_rel_stats_str(&iface->rel.stats, line, sizeof(line)));
}

static void vt_ud_iface_close(vt_iface_t *tl_iface)
{
    vt_ud_iface_t *iface = vs_container_of(tl_iface, vt_ud_iface_t, super);

    vt_ud_iface_log_stats(iface);
    if (iface->epoll_fd >= 0) {
        epoll_ctl(iface->epoll_fd, EPOLL_CTL_DEL, iface->channel->fd, NULL);
        epoll_ctl(iface->epoll_fd, EPOLL_CTL_DEL, iface->timer_fd, NULL);
    }
    /* The QPs go first: no send may still use an address handle. */
    vt_ud_keepalive_stop(iface);
    ibv_destroy_qp(iface->qp);
    iface->qp = NULL;
    vt_ud_peers_destroy(iface);
    vt_ud_rel_cleanup(&iface->rel);
    vs_mpool_cleanup(&iface->peer_mp);
    vt_ud_iface_cleanup(iface);
    vt_verbs_dev_put(iface->dev);
    vs_config_release(&vt_ud_config_table, &iface->cfg);
    free(iface);
}

static verve_status_t vt_ud_iface_alloc_buffers(vt_ud_iface_t *iface)
{
    size_t rx_length = (size_t)VT_UD_RX_QUEUE * (VT_UD_GRH + iface->mtu);
    size_t tx_length = (size_t)VT_UD_TX_QUEUE * iface->mtu;
    struct ibv_pd *pd = iface->dev->pd;

    iface->rx_bufs = aligned_alloc(4096, vs_align_up(rx_length, 4096));
    iface->tx_bufs = aligned_alloc(4096, vs_align_up(tx_length, 4096));
    iface->tx_free = calloc(VT_UD_TX_QUEUE, sizeof(*iface->tx_free));
    iface->bcopy_buf = malloc(iface->rel.params.max_msg);
    if (iface->rx_bufs == NULL || iface->tx_bufs == NULL ||
        iface->tx_free == NULL || iface->bcopy_buf == NULL) {
        vs_error("ud: allocating %d receive and %d send buffers of %zu "
                 "bytes failed", VT_UD_RX_QUEUE, VT_UD_TX_QUEUE, iface->mtu);
        return VERVE_ERR_NO_MEMORY;
    }
    iface->rx_mr = ibv_reg_mr(pd, iface->rx_bufs, rx_length,
                              IBV_ACCESS_LOCAL_WRITE);
    iface->tx_mr = ibv_reg_mr(pd, iface->tx_bufs, tx_length, 0);
    if (iface->rx_mr == NULL || iface->tx_mr == NULL) {
        vs_error("ud: registering %zu bytes of buffers on %s failed: %s",
                 rx_length + tx_length, iface->dev->port.dev_name,
                 strerror(errno));
        return VERVE_ERR_NO_MEMORY;
    }
    for (unsigned i = 0; i < VT_UD_TX_QUEUE; ++i) {
        iface->tx_free[i] = VT_UD_TX_QUEUE - 1 - i;
    }
    iface->tx_num_free = VT_UD_TX_QUEUE;
    return VERVE_OK;
}

static verve_status_t vt_ud_iface_create_qp(vt_ud_iface_t *iface)
{
    struct ibv_context *ctx = iface->dev->context;
    struct ibv_qp_init_attr init;

    iface->channel = ibv_create_comp_channel(ctx);
    if (iface->channel == NULL) {
        vs_error("ud: ibv_create_comp_channel on %s failed: %s",
                 iface->dev->port.dev_name, strerror(errno));
        return VERVE_ERR_IO;
    }
    /* ibv_get_cq_event must not block progress. */
    if (fcntl(iface->channel->fd, F_SETFL,
              fcntl(iface->channel->fd, F_GETFL) | O_NONBLOCK) != 0) {
        vs_error("ud: making completion channel fd %d non-blocking "
                 "failed: %s", iface->channel->fd, strerror(errno));
        return VERVE_ERR_IO;
    }
    iface->send_cq = ibv_create_cq(ctx, VT_UD_TX_QUEUE, NULL,
                                   iface->channel, 0);
    iface->recv_cq = ibv_create_cq(ctx, VT_UD_RX_QUEUE, NULL,
                                   iface->channel, 0);
    if (iface->send_cq == NULL || iface->recv_cq == NULL) {
        vs_error("ud: ibv_create_cq of %d and %d entries on %s failed: %s",
                 VT_UD_TX_QUEUE, VT_UD_RX_QUEUE, iface->dev->port.dev_name,
                 strerror(errno));
        return VERVE_ERR_IO;
    }
    memset(&init, 0, sizeof(init));
    init.send_cq = iface->send_cq;
    init.recv_cq = iface->recv_cq;
    init.qp_type = IBV_QPT_UD;
    init.cap.max_send_wr = VT_UD_TX_QUEUE;
    init.cap.max_recv_wr = VT_UD_RX_QUEUE;
    init.cap.max_send_sge = 1;
    init.cap.max_recv_sge = 1;
    iface->qp = ibv_create_qp(iface->dev->pd, &init);
    if (iface->qp == NULL) {
        vs_error("ud: creating a UD QP of %d send and %d receive WRs on %s "
                 "failed: %s", VT_UD_TX_QUEUE, VT_UD_RX_QUEUE,
                 iface->dev->port.dev_name, strerror(errno));
        return VERVE_ERR_IO;
    }
    if (vt_ud_qp_to_rts(iface, iface->qp) != VERVE_OK) {
        return VERVE_ERR_IO;
    }
    for (unsigned i = 0; i < VT_UD_RX_QUEUE; i += VT_UD_RX_BATCH) {
        unsigned index[VT_UD_RX_BATCH];

        for (unsigned j = 0; j < VT_UD_RX_BATCH; ++j) {
            index[j] = i + j;
        }
        if (vt_ud_post_recvs(iface, index, VT_UD_RX_BATCH) != VERVE_OK) {
            return VERVE_ERR_IO;
        }
    }
    return VERVE_OK;
}

verve_status_t vt_ud_qp_to_rts(vt_ud_iface_t *iface, struct ibv_qp *qp)
{
    struct ibv_qp_attr attr;

    memset(&attr, 0, sizeof(attr));
    attr.qp_state = IBV_QPS_INIT;
    attr.port_num = iface->dev->port.port_num;
    attr.qkey = VT_UD_QKEY;
    if (ibv_modify_qp(qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
                      IBV_QP_PORT | IBV_QP_QKEY) != 0) {
        goto err;
    }
    attr.qp_state = IBV_QPS_RTR;
    if (ibv_modify_qp(qp, &attr, IBV_QP_STATE) != 0) {
        goto err;
    }
    attr.qp_state = IBV_QPS_RTS;
    attr.sq_psn = 0;
    if (ibv_modify_qp(qp, &attr, IBV_QP_STATE | IBV_QP_SQ_PSN) != 0) {
        goto err;
    }
    return VERVE_OK;

err:
    vs_error("ud: bringing UD QP 0x%x to state %d on %s failed: %s",
             qp->qp_num, (int)attr.qp_state, iface->dev->port.dev_name,
             strerror(errno));
    return VERVE_ERR_IO;
}

/* The engine's parameters: the configuration, the port's MTU, and the
 * largest message clamped to what one window can carry. */
static verve_status_t vt_ud_iface_init_rel(vt_ud_iface_t *iface)
{
    vt_ud_rel_params_t params;
    size_t fit;

    memset(&params, 0, sizeof(params));
    vt_ud_rel_params_from_config(&params, &iface->cfg);
    params.mtu = iface->mtu;
    params.local_id = iface->uid;
    params.tx = vt_ud_tx;
    params.deliver = vt_ud_deliver;
    params.failed = NULL;   /* seen through ep_check */
    params.arg = iface;
    fit = (size_t)params.window * (params.mtu - VT_UD_REL_HDR_LEN);
    if (params.max_msg > fit) {
        vs_debug("ud: VERVE_UD_MAX_MSG %zu lowered to %zu: a window of %u "
                 "datagrams of %zu bytes", params.max_msg, fit,
                 params.window, params.mtu);
        params.max_msg = fit;
    }
    return vt_ud_rel_init(&iface->rel, &params);
}

verve_status_t vt_ud_iface_open(const vt_iface_params_t *params,
                                vt_iface_t **iface_p)
{
    struct epoll_event event;
    vt_ud_iface_t *iface;
    verve_status_t status;

    iface = calloc(1, sizeof(*iface));
    if (iface == NULL) {
        vs_error("ud: allocating an iface of %zu bytes failed",
                 sizeof(*iface));
        return VERVE_ERR_NO_MEMORY;
    }
    iface->timer_fd = -1;
    status = vs_config_read(&vt_ud_config_table, &iface->cfg);
    if (status != VERVE_OK) {
        free(iface);
        return status;
    }
    status = vt_verbs_dev_get(&iface->dev);
    if (status != VERVE_OK) {
        goto err_config;    /* VERVE_ERR_NO_ELEM: no device here */
    }
    iface->super.ops = &vt_ud_iface_ops;
    iface->uid = params->uid;
    iface->epoll_fd = params->epoll_fd;
    iface->mtu = vt_verbs_mtu_bytes(iface->dev->port.active_mtu);
    memcpy(iface->am_handlers, params->am_handlers,
           sizeof(iface->am_handlers));
    memcpy(iface->am_args, params->am_args, sizeof(iface->am_args));
    status = vt_ud_iface_init_rel(iface);
    if (status != VERVE_OK) {
        goto err_dev;
    }
    status = vs_mpool_init(&iface->peer_mp, "ud_iface_peers",
                           sizeof(vt_ud_peer_t), 0, 256, 0);
    if (status != VERVE_OK) {
        goto err_rel;
    }
    status = vt_ud_iface_alloc_buffers(iface);
    if (status != VERVE_OK) {
        goto err_queues;
    }
    status = vt_ud_iface_create_qp(iface);
    if (status != VERVE_OK) {
        goto err_queues;
    }
    atomic_init(&iface->progress_ns, vs_time_ns());
    atomic_init(&iface->owner_in, 0);
    atomic_init(&iface->ka.in, 0);
    status = vt_ud_keepalive_start(iface);
    if (status != VERVE_OK) {
        goto err_queues;
    }
    iface->timer_fd = timerfd_create(CLOCK_MONOTONIC,
                                     TFD_NONBLOCK | TFD_CLOEXEC);
    if (iface->timer_fd < 0) {
        vs_error("ud: timerfd_create failed: %s", strerror(errno));
        status = VERVE_ERR_IO;
        goto err_queues;
    }
    if (iface->epoll_fd >= 0) {
        memset(&event, 0, sizeof(event));
        event.events = EPOLLIN;
        event.data.ptr = &iface->super;
        if (epoll_ctl(iface->epoll_fd, EPOLL_CTL_ADD, iface->channel->fd,
                      &event) != 0 ||
            epoll_ctl(iface->epoll_fd, EPOLL_CTL_ADD, iface->timer_fd,
                      &event) != 0) {
            vs_error("ud: adding fds %d and %d to epoll fd %d failed: %s",
                     iface->channel->fd, iface->timer_fd, iface->epoll_fd,
                     strerror(errno));
            epoll_ctl(iface->epoll_fd, EPOLL_CTL_DEL, iface->channel->fd,
                      NULL);
            status = VERVE_ERR_IO;
            goto err_queues;
        }
    }
    vs_debug("ud: iface of worker %016llx on %s:%u, qp 0x%x, mtu %zu",
             (unsigned long long)iface->uid, iface->dev->port.dev_name,
             iface->dev->port.port_num, iface->qp->qp_num, iface->mtu);
    *iface_p = &iface->super;
    return VERVE_OK;

err_queues:
    vt_ud_iface_cleanup(iface);
    vs_mpool_cleanup(&iface->peer_mp);
err_rel:
    vt_ud_rel_cleanup(&iface->rel);
err_dev:
    vt_verbs_dev_put(iface->dev);
err_config:
    vs_config_release(&vt_ud_config_table, &iface->cfg);
    free(iface);
    return status;
}

const vt_iface_ops_t vt_ud_iface_ops = {
    .iface_close = vt_ud_iface_close,
    .iface_query = vt_ud_iface_query,
    .iface_address = vt_ud_iface_address,
    .iface_is_reachable = vt_ud_iface_is_reachable,
    .iface_progress = vt_ud_iface_progress,
    .iface_arm = vt_ud_iface_arm,
    .ep_create = vt_ud_ep_create,
    .ep_destroy = vt_ud_ep_destroy,
    .ep_check = vt_ud_ep_check,
    .ep_am_short = vt_ud_ep_am_short,
    .ep_am_bcopy = vt_ud_ep_am_bcopy,
    .ep_get_zcopy = vt_no_get_zcopy,
    .ep_put_zcopy = vt_no_put_zcopy,
    .ep_put = vt_no_put,
    .ep_get = vt_no_get,
    .ep_atomic = vt_no_atomic,
    .ep_flush = vt_ud_ep_flush
};
