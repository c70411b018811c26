/*
 * The ud transport's reliability engine: sequence numbers, cumulative and
 * selective acks, retransmission on a measured timeout (RFC 6298, Karn)
 * with bounded exponential back-off, a send window, fragmentation and
 * in-order reassembly over a datagram service that may lose, duplicate,
 * reorder and delay packets. It is pure: it never touches
 * a device or a clock. The owner hands it received datagrams and the time,
 * and it calls back to transmit a datagram, deliver a message or report a
 * failed peer, so the same code runs over a UD QP and over the simulated
 * channel of the tests.
 *
 * Memory: a peer costs one vt_ud_rel_peer_t (pinned by a size test) and its
 * slots of the id table, whatever its traffic. While messages are in
 * flight it also holds at most `window` send buffers (one datagram each),
 * one reassembly buffer of `max_msg` bytes for a message arriving in
 * pieces, and at most VT_UD_REL_SACK_BITS datagrams that arrived after a
 * gap, taken from a pool capped for the whole engine (`ooo_max`). Holding
 * those few beyond a gap, and acking them selectively, means one loss
 * costs one resend instead of a window (plain go-back-N measured 6 resends
 * per datagram at 5% loss); holding a whole window per peer instead would
 * cost window * mtu per peer, which is what UD is chosen to avoid.
 *
 * A message that does not fit in the window returns VERVE_ERR_NO_RESOURCE
 * and sends nothing, rather than waiting in a queue here: the protocol
 * layer already keeps pending sends and retries after progress, and a
 * queue here would be per-peer memory that grows with traffic.
 */
#ifndef VT_UD_REL_H
#define VT_UD_REL_H

#include <stddef.h>
#include <stdint.h>
#include <verve/verve_status.h>
#include "core/base/config.h"
#include "core/base/hash.h"
#include "core/base/list.h"
#include "core/base/mpool.h"
#include "transports/vt_iface.h"

/*
 * Wire header, little-endian, before every datagram's payload:
 *   src_id   u64  the sender's id (its worker uid): the receiver's key
 *                 for the peer, so no id exchange is needed
 *   psn      u16  data: this datagram's sequence number; ack: next to send
 *   ack_psn  u16  cumulative: every psn before it was received
 *   sack     u64  bit i: psn ack_psn + 1 + i was received too
 *   flags    u8   VT_UD_REL_FLAG_*
 *   am_id    u8   the message's id, repeated in each fragment
 */
#define VT_UD_REL_HDR_LEN 22
#define VT_UD_REL_SACK_BITS 64

enum {
    VT_UD_REL_FLAG_DATA = 1u << 0,
    VT_UD_REL_FLAG_FIRST = 1u << 1,  /* first fragment of a message */
    VT_UD_REL_FLAG_LAST = 1u << 2,   /* last fragment of a message */
    VT_UD_REL_FLAG_ACK_REQ = 1u << 3, /* sender wants an ack at once */
    /* The acker dropped datagrams beyond its sack window since its last
     * ack: everything unacked past the sack window is lost too. */
    VT_UD_REL_FLAG_OVERFLOW = 1u << 4,
    /* Alone, no psn or ack: the sender's process lives but its owner has
     * not progressed for a while (a long computation): its peers restart
     * their failure timers instead of declaring it failed. Sent by
     * ud_keepalive.c from its own thread and QP. */
    VT_UD_REL_FLAG_BUSY = 1u << 5
};

/* psn arithmetic modulo 2^16: a is before b. Valid while the two are less
 * than 2^15 apart, which the window limit guarantees for live datagrams. */
static inline int vt_ud_rel_psn_before(uint16_t a, uint16_t b)
{
    return (int16_t)(uint16_t)(a - b) < 0;
}

/* The window must leave the comparison above unambiguous. */
#define VT_UD_REL_WINDOW_MAX 8192

/* Options of the "ud" configuration table (VERVE_UD_*). */
typedef struct vt_ud_config {
    double timeout;       /* s: no ack progress for this long: peer failed */
    double rto_min;       /* s: least retransmission timeout */
    double rto_max;       /* s: back-off limit */
    unsigned window;      /* datagrams in flight per peer */
    unsigned ack_count;   /* ack after this many datagrams... */
    double ack_delay;     /* s: ...or this long after the first unacked */
    size_t max_msg;       /* bytes of the largest message */
    unsigned ooo_max;     /* datagrams held beyond gaps, all peers */
    double keepalive;     /* s: busy owner: tell peers this often; 0 off */
} vt_ud_config_t;

extern vs_config_table_t vt_ud_config_table;

typedef struct vt_ud_rel vt_ud_rel_t;
typedef struct vt_ud_rel_peer vt_ud_rel_peer_t;

/* Sends one datagram to the peer whose user pointer is peer_arg. The data
 * is valid only during the call. A failure is handled like a loss. */
typedef verve_status_t (*vt_ud_rel_tx_cb_t)(void *arg, void *peer_arg,
                                            const void *datagram,
                                            size_t length);
/* A complete message, exactly once and in order; data is valid only during
 * the call. */
typedef void (*vt_ud_rel_deliver_cb_t)(void *arg, void *peer_arg,
                                       uint8_t am_id, void *data,
                                       size_t length);
/* The peer stopped answering; its pending sends have just failed. */
typedef void (*vt_ud_rel_failed_cb_t)(void *arg, void *peer_arg);

typedef struct vt_ud_rel_params {
    size_t mtu;             /* bytes of the largest datagram, header incl. */
    unsigned window;        /* 1..VT_UD_REL_WINDOW_MAX */
    unsigned ack_count;     /* >= 1 */
    uint64_t ack_delay_ns;
    uint64_t rto_min_ns;    /* > 0 */
    uint64_t rto_max_ns;    /* >= rto_min_ns, < 2^32 */
    uint64_t timeout_ns;
    uint64_t local_id;      /* our src_id: unique among the peers */
    size_t max_msg;         /* must fit in window datagrams */
    unsigned ooo_max;       /* 0: drop what arrives after a gap */
    vt_ud_rel_tx_cb_t tx;
    vt_ud_rel_deliver_cb_t deliver;
    vt_ud_rel_failed_cb_t failed;  /* may be NULL */
    void *arg;
} vt_ud_rel_params_t;

typedef struct vt_ud_rel_stats {
    uint64_t tx_data;        /* data datagrams sent, first time */
    uint64_t tx_resend;      /* data datagrams sent again */
    uint64_t tx_ack;         /* standalone acks */
    uint64_t rx_data;        /* data datagrams accepted */
    uint64_t rx_dup;         /* duplicates dropped */
    uint64_t rx_ooo;         /* arrived after a gap (held or dropped) */
    uint64_t rx_drop;        /* malformed, unknown peer, no buffer, or
                              * too far beyond a gap */
    uint64_t timeouts;       /* retransmission timer expiries */
    uint64_t fast_resends;   /* datagrams resent for a selective ack */
    uint64_t rx_busy;        /* VT_UD_REL_FLAG_BUSY datagrams */
} vt_ud_rel_stats_t;

typedef enum vt_ud_rel_peer_state {
    VT_UD_REL_PEER_ACTIVE,
    VT_UD_REL_PEER_FAILED
} vt_ud_rel_peer_state_t;

/* One datagram: on the send side kept until acked and resent as is with a
 * fresh ack; on the receive side held beyond a gap until it fills. */
typedef struct vt_ud_rel_skb {
    vs_list_link_t link;
    vt_completion_t *comp;   /* on the last fragment of a message only */
    uint16_t psn;
    uint16_t length;         /* header included */
    uint8_t data[];
} vt_ud_rel_skb_t;

/* A flush waiting for every datagram sent before it to be acked. */
typedef struct vt_ud_rel_flush {
    vs_list_link_t link;
    vt_completion_t *comp;
    uint16_t psn;            /* complete when una passes it */
} vt_ud_rel_flush_t;

/* Constant-size per-peer state; see the memory note at the top. */
struct vt_ud_rel_peer {
    vs_list_link_t active_link;  /* on rel->active while it has timers */
    vs_list_link_t unacked;      /* skbs, oldest first */
    vs_list_link_t flushes;
    vs_list_link_t ooo;          /* received beyond a gap, by psn */
    void *arg;
    uint8_t *rx_buffer;          /* reassembly, NULL between messages */
    uint64_t rto_deadline;       /* valid while unacked is not empty */
    uint64_t ack_deadline;       /* valid while rx_unacked > 0 */
    uint64_t last_progress;      /* last ack that moved una, or first send */
    uint64_t rtt_start;          /* when rtt_psn was sent; 0: not timing */
    uint64_t id;                 /* the peer's, sent as its src_id */
    uint64_t rx_sack;            /* bit i: rx_psn + 1 + i is in ooo */
    uint64_t tx_sack;            /* bit i: the peer holds una + 1 + i */
    uint32_t rto;                /* ns, doubled by each expiry */
    uint32_t srtt;               /* ns, smoothed round trip (RFC 6298) */
    uint32_t rttvar;             /* ns */
    uint32_t rx_length;          /* bytes reassembled so far */
    uint16_t tx_psn;             /* next to send */
    uint16_t una;                /* oldest unacked */
    uint16_t resent_upto;        /* holes before it were resent already */
    uint16_t rtt_psn;            /* the datagram being timed */
    uint16_t rx_psn;             /* next expected */
    uint16_t rx_unacked;         /* accepted since our last ack */
    uint8_t rx_am_id;
    uint8_t state;               /* vt_ud_rel_peer_state_t */
    uint8_t ack_now;             /* a duplicate or a gap: ack at once */
    uint8_t active;              /* on rel->active */
    uint8_t rx_overflow;         /* next ack carries FLAG_OVERFLOW */
};

struct vt_ud_rel {
    vt_ud_rel_params_t params;
    size_t frag_max;             /* payload bytes per datagram */
    vs_hash_t peers;             /* id -> peer */
    vt_ud_rel_peer_t *last_peer; /* vt_ud_rel_peer_find's last answer */
    vs_list_link_t active;       /* peers with unacked data or acks owed */
    vs_mpool_t peer_mp;
    vs_mpool_t skb_mp;
    vs_mpool_t flush_mp;
    vs_mpool_t rx_mp;            /* reassembly buffers */
    vs_mpool_t ooo_mp;           /* datagrams held beyond gaps */
    uint64_t now;                /* latest time the owner gave us */
    uint64_t last_call;          /* of vt_ud_rel_progress, 0: none yet */
    vt_ud_rel_stats_t stats;
};

/* Writes the counters into buffer as one line ("sent N datagrams, N
 * again, ..."), cut to fit max bytes; returns buffer. */
const char *vt_ud_rel_stats_str(const vt_ud_rel_stats_t *stats,
                                char *buffer, size_t max);

/* Turns the configuration table's values into engine parameters (callbacks
 * and mtu left to the caller). */
void vt_ud_rel_params_from_config(vt_ud_rel_params_t *params,
                                  const vt_ud_config_t *config);

verve_status_t vt_ud_rel_init(vt_ud_rel_t *rel,
                              const vt_ud_rel_params_t *params);
/* Pending sends of every peer complete with VERVE_ERR_CANCELED. */
void vt_ud_rel_cleanup(vt_ud_rel_t *rel);

/* A peer identified by its local_id; VERVE_ERR_INVALID_PARAM if the id
 * is taken. */
verve_status_t vt_ud_rel_peer_create(vt_ud_rel_t *rel, uint64_t id,
                                     void *arg, vt_ud_rel_peer_t **peer_p);
/* NULL when no peer has this id. Most datagrams come from the peer of
 * the one before (a ping-pong, a stream), and a receive asks twice (the
 * owner, then the engine): the last answer is kept. */
static inline vt_ud_rel_peer_t *vt_ud_rel_peer_find(vt_ud_rel_t *rel,
                                                    uint64_t id)
{
    if (rel->last_peer == NULL || rel->last_peer->id != id) {
        rel->last_peer = vs_hash_get(&rel->peers, id);
    }
    return rel->last_peer;
}
/* The sender's id of a received datagram, so the owner can create a peer
 * for a sender it does not know yet; 0 when too short to have one. */
int vt_ud_rel_datagram_src(const void *datagram, size_t length,
                           uint64_t *id_p);
/* Whether a received datagram is a VT_UD_REL_FLAG_BUSY one, which never
 * creates a peer. */
int vt_ud_rel_datagram_is_busy(const void *datagram, size_t length);
/* Writes the VT_UD_REL_FLAG_BUSY datagram of local_id into buffer
 * (VT_UD_REL_HDR_LEN bytes). Touches no engine: any thread may call it. */
void vt_ud_rel_pack_busy(uint64_t local_id, void *buffer);
/* Pending sends complete with VERVE_ERR_CANCELED. Not from a callback of
 * the same engine. */
void vt_ud_rel_peer_destroy(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer);
static inline uint64_t vt_ud_rel_peer_id(const vt_ud_rel_peer_t *peer)
{
    return peer->id;
}
static inline int vt_ud_rel_peer_is_failed(const vt_ud_rel_peer_t *peer)
{
    return peer->state == VT_UD_REL_PEER_FAILED;
}

/*
 * Sends header + payload as one message of am_id. Copies the data: returns
 * VERVE_OK when comp is NULL, otherwise VERVE_INPROGRESS and updates comp
 * once, when the peer has acked all of it (VERVE_OK) or has failed
 * (VERVE_ERR_PEER_FAILED) or the peer is destroyed (VERVE_ERR_CANCELED).
 * VERVE_ERR_NO_RESOURCE: the window has no room for all of its fragments,
 * nothing was sent. VERVE_ERR_PEER_FAILED at once on a failed peer.
 */
verve_status_t vt_ud_rel_send(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer,
                              uint8_t am_id, const void *header,
                              size_t header_length, const void *payload,
                              size_t length, vt_completion_t *comp);
/* VERVE_OK when nothing is unacked; otherwise VERVE_INPROGRESS and comp,
 * unless NULL (polling), is updated once when everything sent so far is
 * acked, or has failed. */
verve_status_t vt_ud_rel_flush(vt_ud_rel_t *rel, vt_ud_rel_peer_t *peer,
                               vt_completion_t *comp);
/* Datagrams the window still accepts for this peer. */
unsigned vt_ud_rel_peer_window_free(const vt_ud_rel_peer_t *peer,
                                    const vt_ud_rel_t *rel);

/* A received datagram (without the GRH). Delivery happens inside. */
void vt_ud_rel_recv(vt_ud_rel_t *rel, const void *datagram, size_t length,
                    uint64_t now);
/* Runs due timers: delayed acks, retransmissions, failure detection.
 * Returns the number of datagrams sent. */
unsigned vt_ud_rel_progress(vt_ud_rel_t *rel, uint64_t now);
/* For a thread standing in for an owner that does not progress (the
 * caller excludes the owner): resends to every peer whose retransmission
 * timer expired, and pays the acks owed, with no failure verdict and no
 * callback. Returns the number of datagrams sent. */
unsigned vt_ud_rel_resend_due(vt_ud_rel_t *rel, uint64_t now);
/* The earliest time at which progress has timer work; UINT64_MAX: none. */
uint64_t vt_ud_rel_next_deadline(const vt_ud_rel_t *rel);
/* Bytes the engine holds from the allocator now. */
size_t vt_ud_rel_mem_bytes(const vt_ud_rel_t *rel);

#endif
