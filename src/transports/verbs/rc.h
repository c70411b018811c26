/*
 * The rc transport: one RC QP per peer worker, a shared receive queue per
 * interface, send/recv (with the AM id in the immediate data) for active
 * messages, RDMA write/read and verbs atomics for RMA.
 *
 * Connecting. ep_create gets only the peer's interface address, and an RC
 * QP needs the QPN of the peer's QP for this pair. Each interface owns a
 * UD QP whose number is in its address; the two interfaces agree on one
 * "connection" per pair of workers (keyed by the peer's uid) and exchange
 * QPNs over UD: ep_create makes the connection's QP and sends CONNECT
 * (our QPN, PSN, MTU, GID/LID); the receiver makes its own QP for the pair
 * if it has none, connects it to ours and answers ACCEPT with its QPN.
 * Both messages are idempotent, so crossing CONNECTs (both sides creating
 * an endpoint at once) connect the same two QPs, and a lost one is resent
 * from progress until the connection is up. The engine's wireup AM is the
 * first message on the lane: until the QP is connected, sends return
 * VERVE_ERR_NO_RESOURCE and the engine queues them.
 *
 * Connections live until the interface closes: the peer may still send on
 * its side after our engine destroyed its endpoint. A connection that
 * fails (a remote access error moves both QPs of the pair to the error
 * state; a dead peer) completes everything in flight with the error, and
 * its QP is destroyed once no endpoint uses it; the next endpoint to that
 * peer makes a new connection.
 */
#ifndef VT_RC_H
#define VT_RC_H

#include "verbs.h"
#include "core/base/hash.h"
#include "core/base/list.h"

#define VT_RC_COMPONENT_ID 4
#define VT_RC_ADDR_MAGIC 0x31637276u     /* "vrc1" */
#define VT_RC_CM_MAGIC 0x6d637276u       /* "vrcm" */
#define VT_RC_UD_RX 32                   /* handshake receive buffers */
#define VT_RC_GRH 40                     /* UD receives start with one */

typedef struct vt_rc_config {
    size_t seg_size;         /* bcopy and bounce buffer bytes */
    unsigned rx_queue;       /* SRQ buffers */
    unsigned tx_bufs;        /* bounce buffers */
    unsigned sq_size;        /* send WRs per QP */
    unsigned max_inline;     /* asked for; the device may give less */
    unsigned signal_every;   /* unsignalled inline WRs between two CQEs */
    double connect_retry;    /* seconds between CONNECT resends */
    double peer_timeout;     /* seconds a send queue may stall */
    unsigned atomics;        /* vt_rc_atomics_t */
} vt_rc_config_t;

/* Where atomics on rc keys run. A device that is atomic only among its
 * own atomics (IBV_ATOMIC_HCA, SoftRoCE too) would lose updates if the
 * owner or a process on its host updated the same word with CPU atomics
 * (self, shm): its keys carry VT_CAP_AMO_LANE, so the engine runs every
 * atomic on them through rc, to the owner itself over a loopback
 * connection. */
typedef enum vt_rc_atomics {
    VT_RC_ATOMICS_AUTO,      /* device wherever it has atomics */
    VT_RC_ATOMICS_DEVICE,    /* always on the device */
    VT_RC_ATOMICS_EMULATED   /* never */
} vt_rc_atomics_t;



extern vs_config_table_t vt_rc_config_table;

/* rc's address is a vt_verbs_addr_t whose qpn is the iface's UD QP,
 * through which connections are set up. */

enum {
    VT_RC_CM_CONNECT = 1,
    VT_RC_CM_ACCEPT = 2
};

/* The handshake message, over UD. */
typedef struct vt_rc_cm_msg {
    uint32_t magic;
    uint8_t type;
    uint8_t mtu;
    uint16_t lid;
    uint32_t qpn;            /* the sender's RC QP for this pair */
    uint32_t psn;
    uint32_t ud_qpn;
    uint32_t reserved;
    uint8_t gid[16];
    uint64_t src_uid;
    uint64_t dst_uid;
} vt_rc_cm_msg_t;

typedef enum vt_rc_op_type {
    VT_RC_OP_SEND,           /* frees its bounce buffer, if any */
    VT_RC_OP_PUT,
    VT_RC_OP_GET,            /* copies the bounce buffer out */
    VT_RC_OP_FADD,
    VT_RC_OP_CSWAP,
    VT_RC_OP_SWAP,           /* a compare-swap loop: verbs has no swap */
    VT_RC_OP_FLUSH,
    VT_RC_OP_CM              /* a UD handshake send */
} vt_rc_op_type_t;

typedef struct vt_rc_conn vt_rc_conn_t;

/* One posted send WR, in its connection's ring (CM sends: in the iface). */
typedef struct vt_rc_op {
    vt_rc_conn_t *conn;
    uint64_t sn;
    uint8_t type;            /* vt_rc_op_type_t */
    uint8_t op_size;
    uint8_t signalled;       /* posted with IBV_SEND_SIGNALED */
    int tx_buf;              /* bounce buffer index, -1: none */
    struct ibv_mr *mr;       /* registered for this op only */
    void *region;            /* cached registration (vt_verbs_reg_t) */
    vt_completion_t *comp;
    void *buffer;            /* get destination, atomic result */
    size_t length;
    uint64_t value;          /* swap: the value to store */
    uint64_t compare;        /* swap: the value expected */
    uint64_t remote_addr;
    uint32_t rkey;
    int done;                /* sync mode: set on completion */
    verve_status_t status;
} vt_rc_op_t;

typedef enum vt_rc_conn_state {
    VT_RC_CONN_CONNECTING,
    VT_RC_CONN_CONNECTED,
    VT_RC_CONN_FAILED
} vt_rc_conn_state_t;

struct vt_rc_conn {
    vt_rc_conn_t *next;           /* in the iface's list */
    struct vt_rc_iface *iface;
    struct ibv_qp *qp;
    struct ibv_ah *ah;            /* to the peer's UD QP */
    vt_rc_conn_state_t state;
    verve_status_t error;
    uint64_t peer_uid;
    uint32_t peer_ud_qpn;
    uint32_t remote_qpn;          /* the peer's RC QP, once connected */
    uint32_t psn;
    vt_verbs_addr_t peer;      /* GID, LID, MTU of the peer */
    uint64_t next_retry_ns;
    unsigned refcount;            /* engine endpoints on it */
    /* Send ring: sq_head posted, sq_tail completed; entries in between
     * are the WRs in flight, unsignalled ones completed by the next
     * signalled one (a QP completes its sends in order). */
    uint64_t sq_head;
    uint64_t sq_tail;
    unsigned unsignalled;         /* posted since the last signalled */
    /* Stall watchdog of ep_check: sq_tail when last seen moving. */
    uint64_t seen_tail;
    uint64_t stall_since_ns;
    vt_rc_op_t *ops;              /* sq_size entries */
};

typedef struct vt_rc_ep {
    vt_ep_t super;
    vt_rc_conn_t *conn;
} vt_rc_ep_t;

typedef struct vt_rc_iface {
    vt_iface_t super;
    vt_verbs_dev_t *dev;
    vt_rc_config_t cfg;
    uint64_t uid;
    struct ibv_comp_channel *channel;
    struct ibv_cq *send_cq;
    struct ibv_cq *recv_cq;
    struct ibv_srq *srq;
    struct ibv_qp *ud_qp;
    unsigned max_inline;
    unsigned sq_size;             /* a power of two */
    /* Receive buffers: rx_queue segments in one registration. */
    char *rx_bufs;
    struct ibv_mr *rx_mr;
    unsigned rx_posted;
    /* Bounce buffers: tx_bufs segments plus a UD area, one registration;
     * free ones on a stack. */
    char *tx_bufs;
    struct ibv_mr *tx_mr;
    int *tx_free;
    unsigned tx_num_free;
    char *ud_rx;                  /* VT_RC_UD_RX receive slots */
    vt_rc_op_t cm_ops[VT_RC_UD_RX];
    unsigned cm_inflight;
    /* Signalled RC send WRs whose CQE is still to come: progress polls
     * the send CQ only while there are some, and now and then for the
     * flushed CQEs of a failed QP (rc_iface.c). */
    unsigned tx_signalled;
    unsigned tx_idle_polls;
    /* Receive buffers consumed and not yet back in the SRQ: reposted as
     * one chain of rx_batch WRs. */
    unsigned *rx_repost;
    unsigned rx_num_repost;
    unsigned rx_batch;
    vt_rc_conn_t *rx_last_conn;   /* sender of the last receive */
    /* Work completions taken by iface_arm, handled by the next
     * progress. */
    struct ibv_wc stash[16];
    unsigned num_stash;
    vt_rc_conn_t *conns;
    vs_hash_t conn_by_uid;
    vs_hash_t conn_by_qpn;
    unsigned num_connecting;
    int epoll_fd;
    int in_progress;
    int armed;
    vt_am_handler_t am_handlers[VT_AM_ID_MAX];
    void *am_args[VT_AM_ID_MAX];
} vt_rc_iface_t;

/* Whether rc keys on this device offer native 64-bit atomics. */
int vt_rc_native_atomics(const vt_rc_iface_t *iface);

/* rc_iface.c */
verve_status_t vt_rc_iface_open(const vt_iface_params_t *params,
                                vt_iface_t **iface_p);
/* Polls the send CQ until op completed: sync RMA and teardown. */
verve_status_t vt_rc_iface_wait(vt_rc_iface_t *iface, vt_rc_op_t *op);
void vt_rc_iface_poll_send(vt_rc_iface_t *iface);
int vt_rc_tx_get(vt_rc_iface_t *iface);
static inline char *vt_rc_tx_buf(vt_rc_iface_t *iface, int index)
{
    return iface->tx_bufs + (size_t)index * iface->cfg.seg_size;
}
void vt_rc_tx_put(vt_rc_iface_t *iface, int index);

/* rc_conn.c */
verve_status_t vt_rc_conn_get(vt_rc_iface_t *iface,
                              const vt_verbs_addr_t *peer,
                              vt_rc_conn_t **conn_p);
void vt_rc_conn_handle_cm(vt_rc_iface_t *iface, const void *data,
                          size_t length);
void vt_rc_conn_retry(vt_rc_iface_t *iface);
void vt_rc_conn_fail(vt_rc_conn_t *conn, verve_status_t status);
/* The stall watchdog behind ep_check: VERVE_ERR_PEER_FAILED once no
 * send completed for peer_timeout (the connection then fails), after
 * asking for a completion where unsignalled sends end the ring; an idle
 * connection gets a zero-length write, whose retries find a dead peer. */
verve_status_t vt_rc_conn_check(vt_rc_conn_t *conn);
/* Destroys the QP of a failed connection nobody uses any more; the
 * connection itself stays until the iface closes, for late CQEs. */
void vt_rc_conn_release_qp(vt_rc_conn_t *conn);
void vt_rc_conn_destroy(vt_rc_conn_t *conn);

/* rc_ep.c */
verve_status_t vt_rc_ep_create(vt_iface_t *iface, const void *address,
                               size_t length, vt_ep_t **ep_p);
void vt_rc_ep_destroy(vt_ep_t *ep);
verve_status_t vt_rc_ep_check(vt_ep_t *ep);
verve_status_t vt_rc_ep_am_short(vt_ep_t *ep, uint8_t id, const void *header,
                                 size_t header_length, const void *payload,
                                 size_t length);
ssize_t vt_rc_ep_am_bcopy(vt_ep_t *ep, uint8_t id, vt_pack_cb_t pack,
                          void *arg);
/* Takes the next ring entry of a connection, or NULL when the send queue
 * is full. */
vt_rc_op_t *vt_rc_op_get(vt_rc_conn_t *conn);
/* Posts wr as ring entry op; signalled when the op needs its CQE. */
verve_status_t vt_rc_op_post(vt_rc_conn_t *conn, vt_rc_op_t *op,
                             struct ibv_send_wr *wr, int signal);
/* Completes the ring up to and including op (signalled CQE). */
void vt_rc_op_complete(vt_rc_conn_t *conn, vt_rc_op_t *op,
                       verve_status_t status);

/* rc_rma.c: what the put, get and atomic paths share. */
/* The connection ready and a ring entry; NULL with *status_p set when the
 * op cannot start. */
vt_rc_op_t *vt_rc_rma_start(vt_ep_t *tl_ep, vt_completion_t *comp,
                            uint8_t type, verve_status_t *status_p);
/* Gives back the ring entry just taken, before it was posted. */
void vt_rc_op_unget(vt_rc_conn_t *conn);
/* Posts and, without a completion, waits for the op. */
verve_status_t vt_rc_rma_post(vt_rc_op_t *op, struct ibv_send_wr *wr);
/* rc_rma.c, rc_atomic.c */
verve_status_t vt_rc_ep_put(vt_ep_t *ep, const void *buffer, size_t length,
                            uint64_t remote_addr, vt_rkey_t *rkey,
                            vt_completion_t *comp);
verve_status_t vt_rc_ep_get(vt_ep_t *ep, void *buffer, size_t length,
                            uint64_t remote_addr, vt_rkey_t *rkey,
                            vt_completion_t *comp);
verve_status_t vt_rc_ep_get_zcopy(vt_ep_t *ep, void *buffer, size_t length,
                                  const vt_remote_buffer_t *remote,
                                  vt_completion_t *comp);
/* Not in vt_rc_iface_ops yet (rc_iface.c): the engine's split
 * rendezvous writes through it once it is. */
verve_status_t vt_rc_ep_put_zcopy(vt_ep_t *ep, const void *buffer,
                                  size_t length,
                                  const vt_remote_buffer_t *remote,
                                  vt_completion_t *comp);
verve_status_t vt_rc_ep_atomic(vt_ep_t *ep, vt_atomic_op_t op,
                               size_t op_size, uint64_t value,
                               uint64_t compare, void *result,
                               uint64_t remote_addr, vt_rkey_t *rkey,
                               vt_completion_t *comp);
verve_status_t vt_rc_ep_flush(vt_ep_t *ep, vt_completion_t *comp);
/* Posts a signalled zero-length write, which completes after every WR
 * before it; NULL when the send queue is full. */
vt_rc_op_t *vt_rc_conn_fence(vt_rc_conn_t *conn, vt_completion_t *comp);
/* An RMA op's CQE arrived: copy out, resend (swap), complete. */
void vt_rc_rma_complete(vt_rc_conn_t *conn, vt_rc_op_t *op,
                        verve_status_t status);
verve_status_t vt_rc_rkey_unpack(vt_iface_t *iface, const void *buffer,
                                 size_t length, vt_rkey_t **rkey_p);

extern const vt_iface_ops_t vt_rc_iface_ops;

#endif
