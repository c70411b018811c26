/*
 * The ud transport: one UD QP per worker, an address handle per peer, and
 * the reliability engine (ud_rel.h) for order, acks, retransmission,
 * fragmentation and failure detection. Scales to many peers: a peer costs
 * an engine peer, a vt_ud_peer_t and an AH, and no QP or receive buffers.
 *
 * Peers are keyed by the worker uid, which every datagram carries as its
 * src_id, so there is no connection handshake: ep_create makes the AH from
 * the address, and a datagram from a worker we have no endpoint to yet
 * makes the peer from the work completion (ibv_create_ah_from_wc), so acks
 * can flow back before the engine creates the reverse endpoint.
 */
#ifndef VT_UD_H
#define VT_UD_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include "verbs.h"
#include "ud_rel.h"
#include "core/base/mpool.h"

#define VT_UD_COMPONENT_ID 5
#define VT_UD_ADDR_MAGIC 0x31647576u     /* "vud1" */
#define VT_UD_QKEY 0x7564767au           /* "zvdu" */
#define VT_UD_GRH 40                     /* UD receives start with one */
#define VT_UD_RX_QUEUE 512               /* receive buffers per iface */
#define VT_UD_TX_QUEUE 256               /* send buffers per iface */
#define VT_UD_RX_BATCH 16                /* receive buffers reposted at once */

/* ud's address is a vt_verbs_addr_t whose qpn is the iface's QP. */

typedef struct vt_ud_iface vt_ud_iface_t;

/* What the iface keeps per peer besides the engine's state. */
typedef struct vt_ud_peer {
    vt_ud_iface_t *iface;
    vt_ud_rel_peer_t *rel;
    struct ibv_ah *ah;
    uint64_t uid;
    uint32_t qpn;
    unsigned refcount;       /* endpoints on it */
} vt_ud_peer_t;

typedef struct vt_ud_ep {
    vt_ep_t super;
    vt_ud_peer_t *peer;
} vt_ud_ep_t;

/* progress_ns of a worker asleep in epoll: it wakes for any datagram. */
#define VT_UD_ASLEEP UINT64_MAX

/* The keepalive thread's state (ud_keepalive.c). */
typedef struct vt_ud_keepalive {
    pthread_t thread;
    pthread_mutex_t lock;      /* peers, stop */
    pthread_cond_t cond;
    int sync;                  /* lock and cond made */
    int running;
    int stop;
    vt_ud_peer_t **peers;      /* every peer, in creation order */
    unsigned num_peers;
    unsigned max_peers;
    struct ibv_cq *cq;
    struct ibv_qp *qp;
    struct ibv_mr *mr;
    unsigned outstanding;      /* sends not yet reaped */
    uint64_t sent;
    uint64_t resent;           /* datagrams resent for a paused owner */
    /* Set while the thread resends in the owner's place; see
     * vt_ud_enter. */
    _Atomic int in;
    uint8_t datagram[VT_UD_REL_HDR_LEN];
} vt_ud_keepalive_t;

struct vt_ud_iface {
    vt_iface_t super;
    vt_verbs_dev_t *dev;
    vt_ud_config_t cfg;
    uint64_t uid;
    size_t mtu;              /* bytes of one datagram */
    struct ibv_comp_channel *channel;
    struct ibv_cq *send_cq;
    struct ibv_cq *recv_cq;
    struct ibv_qp *qp;
    /* Receive slots (GRH + mtu) and send slots (mtu), one registration
     * each; free send slots on a stack. */
    uint8_t *rx_bufs;
    struct ibv_mr *rx_mr;
    uint8_t *tx_bufs;
    struct ibv_mr *tx_mr;
    unsigned *tx_free;
    unsigned tx_num_free;
    /* Receive buffers consumed and not yet given back to the QP. */
    unsigned rx_repost[VT_UD_RX_BATCH];
    unsigned rx_num_repost;
    uint8_t *bcopy_buf;      /* am_bcopy packs here: max_msg bytes */
    vt_ud_rel_t rel;
    vs_mpool_t peer_mp;
    /* Work completions taken by iface_arm, handled by the next
     * progress. */
    struct ibv_wc stash[16];
    unsigned num_stash;
    int timer_fd;            /* wakes a sleeping worker for retransmits */
    int epoll_fd;
    int armed;
    vt_am_handler_t am_handlers[VT_AM_ID_MAX];
    void *am_args[VT_AM_ID_MAX];
    /* vs_time_ns of the owner's last progress, or VT_UD_ASLEEP. */
    _Atomic uint64_t progress_ns;
    /* Set while the owner is inside an operation of this iface; depth
     * counts the operations nested in it (a send from a handler). */
    _Atomic int owner_in;
    unsigned depth;
    vt_ud_keepalive_t ka;
};

/* Every operation that touches the engine, the QP or the send slots runs
 * between these, so that the keepalive thread, which resends for an owner
 * that stopped progressing, never runs at the same time (Dekker's
 * handshake: each side raises its flag, then looks at the other's). The
 * owner waits only while the thread resends, which takes microseconds. */
static inline void vt_ud_enter(vt_ud_iface_t *iface)
{
    if (iface->depth++ > 0 || !iface->ka.running) {
        return;
    }
    atomic_store_explicit(&iface->owner_in, 1, memory_order_seq_cst);
    while (vs_unlikely(atomic_load_explicit(&iface->ka.in,
                                            memory_order_seq_cst))) {
        sched_yield();
    }
}

static inline void vt_ud_leave(vt_ud_iface_t *iface)
{
    if (--iface->depth > 0 || !iface->ka.running) {
        return;
    }
    atomic_store_explicit(&iface->owner_in, 0, memory_order_release);
}

/* ud_iface.c */
verve_status_t vt_ud_iface_open(const vt_iface_params_t *params,
                                vt_iface_t **iface_p);
/* The peer of uid, created (with an AH from ah_attr) if new. */
verve_status_t vt_ud_peer_get(vt_ud_iface_t *iface, uint64_t uid,
                              struct ibv_ah_attr *ah_attr, uint32_t qpn,
                              vt_ud_peer_t **peer_p);

/* Takes the send completions there are, freeing their slots. */
void vt_ud_iface_reap_sends(vt_ud_iface_t *iface);

/* Takes a new UD QP of this iface's port to RTS. */
verve_status_t vt_ud_qp_to_rts(vt_ud_iface_t *iface, struct ibv_qp *qp);

/* ud_keepalive.c */
/* Starts the thread unless VERVE_UD_KEEPALIVE is 0. */
verve_status_t vt_ud_keepalive_start(vt_ud_iface_t *iface);
/* A new peer to tell; peers stay until the iface closes. */
verve_status_t vt_ud_keepalive_add(vt_ud_iface_t *iface, vt_ud_peer_t *peer);
/* Stops the thread and frees its QP; safe after a failed start. */
void vt_ud_keepalive_stop(vt_ud_iface_t *iface);

/* ud_ep.c */
verve_status_t vt_ud_ep_create(vt_iface_t *iface, const void *address,
                               size_t length, vt_ep_t **ep_p);
void vt_ud_ep_destroy(vt_ep_t *ep);
verve_status_t vt_ud_ep_check(vt_ep_t *ep);
verve_status_t vt_ud_ep_am_short(vt_ep_t *ep, uint8_t id, const void *header,
                                 size_t header_length, const void *payload,
                                 size_t length);
ssize_t vt_ud_ep_am_bcopy(vt_ep_t *ep, uint8_t id, vt_pack_cb_t pack,
                          void *arg);
verve_status_t vt_ud_ep_flush(vt_ep_t *ep, vt_completion_t *comp);

extern const vt_iface_ops_t vt_ud_iface_ops;

#endif
