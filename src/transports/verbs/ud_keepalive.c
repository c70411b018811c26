/*
 * ud keepalive: a process whose owner computes for longer than
 * VERVE_UD_TIMEOUT without progress acks nothing, and its peers would
 * declare it failed although it lives. A thread per interface watches the
 * owner's last progress and, once it is older than VERVE_UD_KEEPALIVE,
 * sends every known peer a VT_UD_REL_FLAG_BUSY datagram each interval;
 * the peers restart their failure timers and keep resending, backed off,
 * until the owner progresses again. A dead process sends nothing, so it is
 * still found within VERVE_UD_TIMEOUT. The thread also resends, each
 * interval, what the paused owner has not had acked (vt_ud_ka_resend).
 *
 * For the keepalives the thread has a QP and a CQ of its own and touches
 * nothing of the engine's: it reads the peers' address handles, which
 * never change, from a list that grows under its lock, and the owner's
 * progress time, an atomic. A worker asleep in epoll (iface_arm) is not
 * busy: it wakes for any datagram, so the thread stays quiet then.
 */
#include "ud.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/base/log.h"
#include "core/base/time.h"

#define VT_UD_KA_DEPTH 64

/* VERVE_UD_KEEPALIVE, but at most a quarter of VERVE_UD_TIMEOUT, so that
 * a peer hears from us several times before it would give up. */
static uint64_t vt_ud_keepalive_interval(const vt_ud_iface_t *iface)
{
    return (uint64_t)(vs_min(iface->cfg.keepalive, iface->cfg.timeout / 4) *
                      1e9);
}

/* Takes the send completions there are, without waiting for more: the
 * thread must never spin (on an oversubscribed host it would starve the
 * very process it speaks for). */
static void vt_ud_ka_reap(vt_ud_keepalive_t *ka)
{
    struct ibv_wc wc[16];
    int n;

    while (ka->outstanding > 0 &&
           (n = ibv_poll_cq(ka->cq, 16, wc)) > 0) {
        ka->outstanding -= (unsigned)n;
    }
}

/* A millisecond off the CPU while the device sends what we posted. */
static void vt_ud_ka_nap(void)
{
    struct timespec nap = {.tv_sec = 0, .tv_nsec = 1000000};

    nanosleep(&nap, NULL);
}

static void vt_ud_ka_send_all(vt_ud_iface_t *iface)
{
    vt_ud_keepalive_t *ka = &iface->ka;
    struct ibv_send_wr wr, *bad;
    struct ibv_sge sge = {.addr = (uintptr_t)ka->datagram,
                          .length = VT_UD_REL_HDR_LEN,
                          .lkey = ka->mr->lkey};

    vt_ud_ka_reap(ka);
    for (unsigned i = 0; i < ka->num_peers; ++i) {
        for (int tries = 0; ka->outstanding >= VT_UD_KA_DEPTH; ++tries) {
            if (tries == 100) {
                return;  /* the device is stuck: try next interval */
            }
            vt_ud_ka_nap();
            vt_ud_ka_reap(ka);
        }
        memset(&wr, 0, sizeof(wr));
        wr.sg_list = &sge;
        wr.num_sge = 1;
        wr.opcode = IBV_WR_SEND;
        wr.send_flags = IBV_SEND_SIGNALED;
        wr.wr.ud.ah = ka->peers[i]->ah;
        wr.wr.ud.remote_qpn = ka->peers[i]->qpn;
        wr.wr.ud.remote_qkey = VT_UD_QKEY;
        if (ibv_post_send(ka->qp, &wr, &bad) != 0) {
            /* A lost keepalive is resent next interval. */
            continue;
        }
        ++ka->outstanding;
        ++ka->sent;
    }
}

/* What the paused owner sent may have been lost after its send completed
 * (to it, a short or bcopy message is done once handed to the engine),
 * and only a resend delivers it: a rank blocked in a bootstrap barrier
 * after its last message would otherwise hang the peer waiting for that
 * message. So the thread resends in the owner's place, between the
 * owner's operations (vt_ud_enter), touching only the engine's send side
 * and calling nothing above the transport. */
static void vt_ud_ka_resend(vt_ud_iface_t *iface)
{
    vt_ud_keepalive_t *ka = &iface->ka;

    atomic_store_explicit(&ka->in, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&iface->owner_in, memory_order_seq_cst) == 0) {
        vt_ud_iface_reap_sends(iface);
        ka->resent += vt_ud_rel_resend_due(&iface->rel, vs_time_ns());
    }
    atomic_store_explicit(&ka->in, 0, memory_order_release);
}

static void *vt_ud_ka_thread(void *arg)
{
    vt_ud_iface_t *iface = arg;
    vt_ud_keepalive_t *ka = &iface->ka;
    uint64_t interval = vt_ud_keepalive_interval(iface);
    struct timespec deadline;
    uint64_t last, now;

    pthread_mutex_lock(&ka->lock);
    while (!ka->stop) {
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += (time_t)(interval / 1000000000u);
        deadline.tv_nsec += (long)(interval % 1000000000u);
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_nsec -= 1000000000L;
            ++deadline.tv_sec;
        }
        pthread_cond_timedwait(&ka->cond, &ka->lock, &deadline);
        if (ka->stop) {
            break;
        }
        last = atomic_load_explicit(&iface->progress_ns,
                                    memory_order_relaxed);
        now = vs_time_ns();
        if (last != VT_UD_ASLEEP && now - last >= interval) {
            vs_debug("ud: worker %016llx made no progress for %.1f s: "
                     "telling its %u peers it lives",
                     (unsigned long long)iface->uid, (now - last) * 1e-9,
                     ka->num_peers);
            vt_ud_ka_send_all(iface);
            vt_ud_ka_resend(iface);
        }
    }
    pthread_mutex_unlock(&ka->lock);
    return NULL;
}

verve_status_t vt_ud_keepalive_start(vt_ud_iface_t *iface)
{
    vt_ud_keepalive_t *ka = &iface->ka;
    struct ibv_qp_init_attr init;
    verve_status_t status;
    int ret;

    if (iface->cfg.keepalive <= 0) {
        return VERVE_OK;
    }
    if (vt_ud_keepalive_interval(iface) == 0) {
        vs_error("ud: VERVE_UD_TIMEOUT (%g s) is too short for a keepalive; "
                 "set VERVE_UD_KEEPALIVE=0 to run without", iface->cfg.timeout);
        return VERVE_ERR_INVALID_CONFIG;
    }
    vt_ud_rel_pack_busy(iface->uid, ka->datagram);
    ka->mr = ibv_reg_mr(iface->dev->pd, ka->datagram, sizeof(ka->datagram),
                        0);
    ka->cq = ibv_create_cq(iface->dev->context, VT_UD_KA_DEPTH, NULL, NULL,
                           0);
    if (ka->mr == NULL || ka->cq == NULL) {
        vs_error("ud: keepalive registration or CQ of %d on %s failed: %s",
                 VT_UD_KA_DEPTH, iface->dev->port.dev_name, strerror(errno));
        return VERVE_ERR_IO;
    }
    memset(&init, 0, sizeof(init));
    init.send_cq = ka->cq;
    init.recv_cq = ka->cq;     /* no receive is ever posted */
    init.qp_type = IBV_QPT_UD;
    init.cap.max_send_wr = VT_UD_KA_DEPTH;
    init.cap.max_recv_wr = 1;
    init.cap.max_send_sge = 1;
    init.cap.max_recv_sge = 1;
    ka->qp = ibv_create_qp(iface->dev->pd, &init);
    if (ka->qp == NULL) {
        vs_error("ud: creating the keepalive QP on %s failed: %s",
                 iface->dev->port.dev_name, strerror(errno));
        return VERVE_ERR_IO;
    }
    status = vt_ud_qp_to_rts(iface, ka->qp);
    if (status != VERVE_OK) {
        return status;
    }
    if (pthread_mutex_init(&ka->lock, NULL) != 0) {
        return VERVE_ERR_NO_MEMORY;
    }
    {
        pthread_condattr_t attr;

        /* The deadline is on the monotonic clock, like vs_time_ns. */
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&ka->cond, &attr);
        pthread_condattr_destroy(&attr);
    }
    ka->sync = 1;
    ret = pthread_create(&ka->thread, NULL, vt_ud_ka_thread, iface);
    if (ret != 0) {
        vs_error("ud: starting the keepalive thread failed: %s",
                 strerror(ret));
        return VERVE_ERR_NO_RESOURCE;
    }
    ka->running = 1;
    return VERVE_OK;
}

verve_status_t vt_ud_keepalive_add(vt_ud_iface_t *iface, vt_ud_peer_t *peer)
{
    vt_ud_keepalive_t *ka = &iface->ka;
    verve_status_t status = VERVE_OK;
    vt_ud_peer_t **peers;
    unsigned max;

    if (!ka->sync) {
        return VERVE_OK;
    }
    pthread_mutex_lock(&ka->lock);
    if (ka->num_peers == ka->max_peers) {
        max = ka->max_peers ? 2 * ka->max_peers : 16;
        peers = realloc(ka->peers, max * sizeof(*peers));
        if (peers == NULL) {
            vs_error("ud: no memory for the keepalive list of %u peers",
                     max);
            status = VERVE_ERR_NO_MEMORY;
            goto out;
        }
        ka->peers = peers;
        ka->max_peers = max;
    }
    ka->peers[ka->num_peers++] = peer;
out:
    pthread_mutex_unlock(&ka->lock);
    return status;
}

void vt_ud_keepalive_stop(vt_ud_iface_t *iface)
{
    vt_ud_keepalive_t *ka = &iface->ka;

    if (ka->running) {
        pthread_mutex_lock(&ka->lock);
        ka->stop = 1;
        pthread_cond_signal(&ka->cond);
        pthread_mutex_unlock(&ka->lock);
        pthread_join(ka->thread, NULL);
        ka->running = 0;
    }
    if (ka->sync) {
        pthread_cond_destroy(&ka->cond);
        pthread_mutex_destroy(&ka->lock);
        ka->sync = 0;
    }
    if (ka->qp != NULL) {
        ibv_destroy_qp(ka->qp);
    }
    if (ka->cq != NULL) {
        ibv_destroy_cq(ka->cq);
    }
    if (ka->mr != NULL) {
        ibv_dereg_mr(ka->mr);
    }
    free(ka->peers);
    memset(ka, 0, sizeof(*ka));
}
