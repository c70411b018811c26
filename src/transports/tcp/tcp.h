/*
 * TCP transport: objects shared by its files. Each interface listens on one
 * socket and keeps its own epoll set, which sits in the worker's epoll set
 * for wakeup.
 *
 * A pair of workers shares one connection, used both ways, made on the
 * first send (one stream per pair: a reply carries the ACK of what it
 * answers, which halves the packets of a ping-pong). When both connect at
 * once, the connection made by the smaller worker uid is kept; see
 * tcp_pair.c for why no byte is lost or reordered on the way.
 *
 * Nothing a connection carries reaches the engine, and no connection takes
 * part in that choice, before its peer proved it holds the job key
 * (tcp_auth.c). Until then it may make us hold one handshake frame, for a
 * bounded time, and only so many such connections exist at once.
 */
#ifndef VT_TCP_H
#define VT_TCP_H

#include <netinet/in.h>
#include <sys/types.h>
#include <sys/uio.h>
#include "transports/vt_iface.h"
#include "core/base/hash.h"
#include "core/base/list.h"
#include "tcp_frame.h"

#define VT_TCP_COMPONENT_ID 3
#define VT_TCP_ADDR_MAGIC 0x74637031u    /* "tcp1" */
/* A lone receiving connection is read directly: one recv per progress
 * call finds and reads its data. With more, one epoll_wait says which
 * to read, so an idle progress call costs one system call whatever the
 * number of peers (spinning ranks that share cores yield sooner). */
#define VT_TCP_RX_DIRECT_MAX 1
/* Progress calls between two looks at the epoll set (new connections,
 * connect completions, writable queues, peers gone). */
#define VT_TCP_POLL_INTERVAL 256
#define VT_TCP_POLL_IDLE_INTERVAL 1024
#define VT_TCP_RX_INITIAL (64 * 1024)
/* am_short up to this many bytes is copied into one frame on the stack. */
#define VT_TCP_SHORT_COPY_MAX 256
/* A connection the acceptor closed during the handshake (its timeout, its
 * cap on pending handshakes) carried none of our messages yet: it is made
 * again, this many times in a row at most. */
#define VT_TCP_CONNECT_RETRIES 8

typedef struct vt_tcp_config {
    char *ifname;            /* comma list, or "" for the first up one */
    char *port_range;        /* "0" (any) or "LOW-HIGH" */
    size_t sndbuf;           /* 0: the system's default */
    size_t rcvbuf;
    size_t short_max;
    size_t bcopy_max;
    size_t tx_queue_max;
    unsigned auth_pending_max;
    double auth_timeout;     /* seconds */
} vt_tcp_config_t;

extern vs_config_table_t vt_tcp_config_table;

/* What iface_address writes: network byte order for the IPv4 address and
 * port (another host reads them), host order for the rest. */
typedef struct vt_tcp_iface_addr {
    uint32_t magic;
    uint32_t ipv4;           /* network order */
    uint16_t port;           /* network order */
    uint16_t reserved;
    uint32_t reserved2;
    uint64_t uid;
} vt_tcp_iface_addr_t;

/* A growable byte queue: [head, tail) of buffer is pending. */
typedef struct vt_tcp_buf {
    char *data;
    size_t head;
    size_t tail;
    size_t capacity;
} vt_tcp_buf_t;

/* The pending bytes. NULL while nothing was ever buffered: data + head
 * would be NULL + 0 then, which C leaves undefined (UBSan reports it). */
static inline char *vt_tcp_buf_head(const vt_tcp_buf_t *buf)
{
    return (buf->data != NULL) ? buf->data + buf->head : NULL;
}

typedef enum vt_tcp_conn_state {
    VT_TCP_CONN_IDLE,        /* ours, not connected yet */
    VT_TCP_CONN_CONNECTING,
    VT_TCP_CONN_AUTH,        /* connected, in the handshake: only its
                                frames go */
    VT_TCP_CONN_HELD,        /* ours, proved: only the handshake may go
                                until the peer says which connection the
                                pair keeps */
    VT_TCP_CONN_OPEN,
    VT_TCP_CONN_LOST,        /* the peer keeps its own connection: queued
                                bytes wait for it */
    VT_TCP_CONN_FAILED
} vt_tcp_conn_state_t;

typedef struct vt_tcp_iface vt_tcp_iface_t;

/* What a connection needs during its handshake only (tcp_auth.c). */
typedef struct vt_tcp_hs {
    struct vt_tcp_conn *conn;
    vs_auth_session_t session;
    uint64_t deadline_ns;    /* accepted: closed then, unproved */
    vs_list_link_t list;     /* accepted: in iface->pending */
} vt_tcp_hs_t;

typedef struct vt_tcp_conn {
    vt_tcp_iface_t *iface;
    int fd;
    int outgoing;            /* we made it (else accepted) */
    vt_tcp_conn_state_t state;
    int held;                /* ours, waiting for the peer's ACK or NACK */
    int in_hash;             /* the pair's connection, eps point to it */
    int sweep;               /* close the fd (and free unless in_hash) at
                                the end of progress */
    int reconnect;           /* the sweep connects it again */
    int on_rx_list;
    int on_tx_list;
    unsigned retries;        /* connects in a row the acceptor closed */
    unsigned num_eps;        /* endpoints that point to it */
    size_t hs_left;          /* handshake bytes at the head of tx: all
                                that may go before the pair is decided */
    uint32_t epoll_events;   /* as registered */
    uint64_t peer_uid;       /* ours: the target; accepted: from HELLO,
                                0 until the peer proved it */
    vt_tcp_hs_t *hs;         /* NULL once the peer proved the job key */
    struct sockaddr_in peer;
    vt_tcp_buf_t tx;         /* bytes not yet taken by send */
    vt_tcp_buf_t rx;         /* bytes not yet delivered */
    vs_list_link_t tx_list;  /* in iface->tx_conns */
    vs_list_link_t rx_list;  /* in iface->rx_conns while it has an fd */
    vs_list_link_t list;     /* in iface->all */
} vt_tcp_conn_t;

struct vt_tcp_iface {
    vt_iface_t super;
    int listen_fd;
    int epoll_fd;            /* our own set */
    int worker_epoll_fd;     /* the worker's set, holding epoll_fd; -1 */
    int in_progress;         /* handlers may call progress */
    int armed;               /* the worker may sleep: watch every socket */
    int poll_now;            /* look at the epoll set on the next call */
    unsigned poll_countdown;
    unsigned num_rx;
    unsigned num_sweep;
    uint64_t uid;
    struct sockaddr_in addr; /* what we listen on and advertise */
    size_t short_max;
    size_t bcopy_max;
    size_t rx_frame_max;     /* longest frame payload accepted */
    size_t tx_queue_max;
    size_t sndbuf;
    size_t rcvbuf;
    unsigned num_pending;    /* accepted connections in the handshake */
    unsigned pending_max;
    uint64_t auth_timeout_ns;
    unsigned pending_refused;  /* connections closed at the cap */
    unsigned auth_failures;    /* peers that proved nothing */
    vs_list_link_t pending;  /* their vt_tcp_hs_t, oldest first */
    vs_hash_t conns;         /* peer uid -> the pair's connection */
    vs_list_link_t all;      /* every connection */
    vs_list_link_t tx_conns; /* connections with queued bytes */
    vs_list_link_t rx_conns; /* connections with an fd */
    vs_list_link_t eps;      /* every endpoint, to follow a pair's switch */
    vt_am_handler_t am_handlers[VT_AM_ID_MAX];
    void *am_args[VT_AM_ID_MAX];
};

typedef struct vt_tcp_ep {
    vt_ep_t super;
    vt_tcp_conn_t *conn;
    vs_list_link_t list;     /* in iface->eps */
} vt_tcp_ep_t;

/* tcp_sock.c: interface selection and socket setup. */
verve_status_t vt_tcp_sock_find_if(const char *names, struct in_addr *addr,
                                   char *name_out, size_t name_max);
verve_status_t vt_tcp_sock_parse_ports(const char *range, unsigned *low_p,
                                       unsigned *high_p);
verve_status_t vt_tcp_sock_listen(const struct in_addr *addr, unsigned low,
                                  unsigned high, int *fd_p,
                                  struct sockaddr_in *bound);
void vt_tcp_sock_tune(int fd, size_t sndbuf, size_t rcvbuf);

/* tcp_buf.c */
void vt_tcp_buf_cleanup(vt_tcp_buf_t *buf);
verve_status_t vt_tcp_buf_reserve(vt_tcp_buf_t *buf, size_t length);
verve_status_t vt_tcp_buf_append_iov(vt_tcp_buf_t *buf,
                                     const struct iovec *iov, int iovcnt,
                                     size_t skip);

/* tcp_conn.c */
verve_status_t vt_tcp_conn_get(vt_tcp_iface_t *iface,
                               const vt_tcp_iface_addr_t *addr,
                               vt_tcp_conn_t **conn_p);
void vt_tcp_conn_destroy(vt_tcp_conn_t *conn);
verve_status_t vt_tcp_conn_sendv(vt_tcp_conn_t *conn, struct iovec *iov,
                                 int iovcnt, size_t total);
ssize_t vt_tcp_conn_send_packed(vt_tcp_conn_t *conn, uint8_t id,
                                vt_pack_cb_t pack, void *arg);
void vt_tcp_conn_flush(vt_tcp_conn_t *conn);
void vt_tcp_conn_fail(vt_tcp_conn_t *conn, const char *op, int err);
void vt_tcp_conn_event(vt_tcp_conn_t *conn, uint32_t events);
verve_status_t vt_tcp_conn_check(vt_tcp_conn_t *conn);
verve_status_t vt_tcp_conn_accept(vt_tcp_iface_t *iface, int fd,
                                  const struct sockaddr_in *peer);
/* Marks a connection for the end-of-progress sweep, which closes it
 * (frees it too unless it is a pair's): nothing leaves a list while
 * progress walks it. */
void vt_tcp_conn_retire(vt_tcp_conn_t *conn);
void vt_tcp_iface_sweep(vt_tcp_iface_t *iface);
const char *vt_tcp_conn_name(const vt_tcp_conn_t *conn, char *buffer,
                             size_t max);

/* tcp_auth.c: the handshake. */
/* Queues our HELLO on a connection being made. */
verve_status_t vt_tcp_auth_connect(vt_tcp_conn_t *conn);
/* Starts the clock on an accepted connection; refuses it (closed by the
 * caller) when too many are in their handshake already. */
verve_status_t vt_tcp_auth_accept(vt_tcp_conn_t *conn);
/* Handles a HELLO, CHALLENGE or PROOF frame; 0 when the stream must
 * close. */
int vt_tcp_auth_frame(vt_tcp_conn_t *conn, const vt_tcp_frame_hdr_t *hdr,
                      const void *payload);
/* Frees the handshake's state (done, or the connection is going). */
void vt_tcp_auth_end(vt_tcp_conn_t *conn);
/* Logs a peer that failed the handshake, a few times per interface
 * then at debug level only (a flood must not flood the log); returns 0,
 * for the stream to close. */
int vt_tcp_auth_refuse(vt_tcp_conn_t *conn, const char *why);
/* Fails the accepted connections whose handshake ran out of time. */
void vt_tcp_auth_expire(vt_tcp_iface_t *iface);
/* The longest frame payload the stream may carry now. */
static inline size_t vt_tcp_conn_frame_max(const vt_tcp_conn_t *conn)
{
    return (conn->hs == NULL) ? conn->iface->rx_frame_max
                              : VT_TCP_HS_PAYLOAD_MAX;
}
/* Inserts a handshake frame after the handshake bytes at the head of the
 * queue, before any message queued behind them. */
verve_status_t vt_tcp_conn_push_hs(vt_tcp_conn_t *conn, uint8_t type,
                                   const void *payload, size_t length);

/* tcp_pair.c: which connection a pair keeps. */
/* The peer of an accepted connection proved it is worker uid. */
int vt_tcp_pair_join(vt_tcp_conn_t *conn, uint64_t uid);
/* Handles an ACK or NACK frame; 0 when the stream must close. */
int vt_tcp_pair_frame(vt_tcp_conn_t *conn, const vt_tcp_frame_hdr_t *hdr);
/* Reads what the socket has and delivers the complete frames; returns
 * their count. */
unsigned vt_tcp_conn_receive(vt_tcp_conn_t *conn);
/* Whether complete frames wait in the receive buffer. */
int vt_tcp_conn_rx_ready(const vt_tcp_conn_t *conn);
void vt_tcp_conn_set_events(vt_tcp_conn_t *conn, uint32_t events);
void vt_tcp_conn_update_events(vt_tcp_conn_t *conn);
void vt_tcp_iface_update_events(vt_tcp_iface_t *iface);
/* Puts a connection with queued bytes on the flush list. */
void vt_tcp_conn_queued(vt_tcp_conn_t *conn);

/* tcp_iface.c */
verve_status_t vt_tcp_iface_open(const vt_iface_params_t *params,
                                 vt_iface_t **iface_p);

/* tcp_ep.c */
verve_status_t vt_tcp_ep_create(vt_iface_t *iface, const void *address,
                                size_t length, vt_ep_t **ep_p);
void vt_tcp_ep_destroy(vt_ep_t *ep);
verve_status_t vt_tcp_ep_check(vt_ep_t *ep);
verve_status_t vt_tcp_ep_am_short(vt_ep_t *ep, uint8_t id, const void *header,
                                  size_t header_length, const void *payload,
                                  size_t length);
ssize_t vt_tcp_ep_am_bcopy(vt_ep_t *ep, uint8_t id, vt_pack_cb_t pack,
                           void *arg);
verve_status_t vt_tcp_ep_flush(vt_ep_t *ep, vt_completion_t *comp);
int vt_tcp_addr_parse(const void *address, size_t length,
                      vt_tcp_iface_addr_t *addr);

extern const vt_iface_ops_t vt_tcp_iface_ops;

#endif
