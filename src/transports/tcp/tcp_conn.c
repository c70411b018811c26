/*
 * TCP connections: connect on first send, the send queue behind a full
 * socket, and framing on receive.
 *
 * A send goes straight to the socket while nothing is queued, in one
 * sendmsg; whatever the socket does not take is copied to the queue, so
 * the caller's buffer is free when the call returns, and everything after
 * it queues behind it: bytes are never lost or reordered. The queue is
 * drained by progress when the socket is writable again. Only when it
 * holds tx_queue_max bytes does a send fail with VERVE_ERR_NO_RESOURCE,
 * which makes the engine keep its requests until progress frees room.
 */
#include "tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/base/log.h"

#define VT_TCP_RX_CHUNK (16 * 1024)

static verve_status_t vt_tcp_conn_connect(vt_tcp_conn_t *conn);

const char *vt_tcp_conn_name(const vt_tcp_conn_t *conn, char *buffer,
                             size_t max)
{
    char ip[INET_ADDRSTRLEN];

    inet_ntop(AF_INET, &conn->peer.sin_addr, ip, sizeof(ip));
    snprintf(buffer, max, "%s %s:%u (worker %016llx)",
             conn->outgoing ? "to" : "from", ip,
             (unsigned)ntohs(conn->peer.sin_port),
             (unsigned long long)conn->peer_uid);
    return buffer;
}

/* Whether the socket may take bytes now. */
static int vt_tcp_conn_may_send(const vt_tcp_conn_t *conn)
{
    return conn->state == VT_TCP_CONN_OPEN ||
           conn->state == VT_TCP_CONN_CONNECTING ||
           ((conn->state == VT_TCP_CONN_HELD ||
             conn->state == VT_TCP_CONN_AUTH) && conn->hs_left > 0);
}

/*
 * What the epoll set watches on a socket. Reading needs it only when
 * several sockets are read through epoll, or while the worker sleeps: a
 * lone socket is read directly, and left out of the set, because every
 * watcher is a callback (two here: our set, then the worker's) that the
 * kernel runs on the sender's time for every segment it delivers.
 */
void vt_tcp_conn_update_events(vt_tcp_conn_t *conn)
{
    const vt_tcp_iface_t *iface = conn->iface;
    uint32_t events = 0;

    if (!conn->sweep && conn->state != VT_TCP_CONN_FAILED &&
        conn->state != VT_TCP_CONN_LOST) {
        if (iface->armed || iface->num_rx > VT_TCP_RX_DIRECT_MAX) {
            events |= EPOLLIN | EPOLLRDHUP;
        }
        if (conn->on_tx_list && vt_tcp_conn_may_send(conn)) {
            events |= EPOLLOUT;
        }
    }
    vt_tcp_conn_set_events(conn, events);
}

void vt_tcp_iface_update_events(vt_tcp_iface_t *iface)
{
    vs_list_link_t *link;

    for (link = iface->rx_conns.next; link != &iface->rx_conns;
         link = link->next) {
        vt_tcp_conn_update_events(vs_list_entry(link, vt_tcp_conn_t,
                                                rx_list));
    }
}

void vt_tcp_conn_set_events(vt_tcp_conn_t *conn, uint32_t events)
{
    struct epoll_event event;
    char name[96];
    int op;

    if (conn->fd < 0 || conn->epoll_events == events) {
        return;
    }
    memset(&event, 0, sizeof(event));
    event.events = events;
    event.data.ptr = conn;
    op = (events == 0) ? EPOLL_CTL_DEL
                       : conn->epoll_events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(conn->iface->epoll_fd, op, conn->fd, &event) < 0) {
        vs_warn("tcp: epoll_ctl for the connection %s failed: %s",
                vt_tcp_conn_name(conn, name, sizeof(name)),
                strerror(errno));
        return;
    }
    conn->epoll_events = events;
}

static void vt_tcp_conn_set_fd(vt_tcp_conn_t *conn, int fd)
{
    vt_tcp_iface_t *iface = conn->iface;

    conn->fd = fd;
    vs_list_add_tail(&iface->rx_conns, &conn->rx_list);
    conn->on_rx_list = 1;
    if (++iface->num_rx == VT_TCP_RX_DIRECT_MAX + 1) {
        vt_tcp_iface_update_events(iface);   /* now read through epoll */
    }
}

static vt_tcp_conn_t *vt_tcp_conn_new(vt_tcp_iface_t *iface, int fd,
                                      int outgoing)
{
    vt_tcp_conn_t *conn = calloc(1, sizeof(*conn));

    if (conn == NULL) {
        vs_error("tcp: allocating a connection of %zu bytes failed",
                 sizeof(*conn));
        return NULL;
    }
    conn->iface = iface;
    conn->fd = -1;
    conn->outgoing = outgoing;
    vs_list_init(&conn->tx_list);
    vs_list_init(&conn->rx_list);
    vs_list_add_tail(&iface->all, &conn->list);
    if (fd >= 0) {
        vt_tcp_conn_set_fd(conn, fd);
    }
    return conn;
}

static void vt_tcp_conn_close_fd(vt_tcp_conn_t *conn)
{
    vt_tcp_iface_t *iface = conn->iface;

    if (conn->fd >= 0 && conn->epoll_events != 0) {
        epoll_ctl(iface->epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
        conn->epoll_events = 0;
    }
    if (conn->on_rx_list) {
        vs_list_del(&conn->rx_list);
        conn->on_rx_list = 0;
        if (iface->num_rx-- == VT_TCP_RX_DIRECT_MAX + 1) {
            vt_tcp_iface_update_events(iface);   /* read directly again */
        }
    }
    if (conn->fd < 0) {
        return;
    }
    close(conn->fd);
    conn->fd = -1;
}

static void vt_tcp_conn_tx_idle(vt_tcp_conn_t *conn)
{
    conn->tx.head = conn->tx.tail = 0;
    if (conn->on_tx_list) {
        vs_list_del(&conn->tx_list);
        conn->on_tx_list = 0;
    }
}

void vt_tcp_conn_retire(vt_tcp_conn_t *conn)
{
    if (!conn->sweep) {
        conn->sweep = 1;
        ++conn->iface->num_sweep;
    }
}

/* Whether the acceptor closed our connection in the handshake, before it
 * took any message: then it is made again (tcp_auth.c). */
static int vt_tcp_conn_may_retry(const vt_tcp_conn_t *conn, int err)
{
    return conn->outgoing && conn->held && conn->in_hash &&
           (conn->state == VT_TCP_CONN_AUTH ||
            conn->state == VT_TCP_CONN_HELD) &&
           (err == 0 || err == ECONNRESET || err == EPIPE) &&
           conn->retries < VT_TCP_CONNECT_RETRIES;
}

void vt_tcp_conn_fail(vt_tcp_conn_t *conn, const char *op, int err)
{
    char name[96];

    if (conn->state == VT_TCP_CONN_FAILED || conn->reconnect) {
        return;
    }
    if (vt_tcp_conn_may_retry(conn, err)) {
        vs_debug("tcp: connection %s: %s: %s in the handshake: connecting "
                 "again", vt_tcp_conn_name(conn, name, sizeof(name)), op,
                 err ? strerror(err) : "closed by the peer");
        ++conn->retries;
        conn->reconnect = 1;
        conn->state = VT_TCP_CONN_IDLE;
        vt_tcp_auth_end(conn);
        vt_tcp_conn_retire(conn);
        return;
    }
    /* A stream that ends is a peer that closed: not news unless it
     * carried our bytes. */
    if (conn->in_hash || err != 0) {
        vs_debug("tcp: connection %s: %s: %s (%zu bytes unsent)",
                 vt_tcp_conn_name(conn, name, sizeof(name)), op,
                 err ? strerror(err) : "closed by the peer",
                 conn->tx.tail - conn->tx.head);
    }
    conn->state = VT_TCP_CONN_FAILED;
    conn->held = 0;
    vt_tcp_conn_tx_idle(conn);
    vt_tcp_auth_end(conn);
    vt_tcp_conn_retire(conn);
}

void vt_tcp_conn_destroy(vt_tcp_conn_t *conn)
{
    vt_tcp_auth_end(conn);
    vt_tcp_conn_close_fd(conn);
    vt_tcp_conn_tx_idle(conn);
    vs_list_del(&conn->list);
    vt_tcp_buf_cleanup(&conn->tx);
    vt_tcp_buf_cleanup(&conn->rx);
    free(conn);
}

/* A pair's connection that closed: nothing of it is kept that a peer
 * could make grow. The struct stays while endpoints point to it (they
 * learn the failure from it), with no buffer; with none it goes too, and
 * a new endpoint connects afresh. */
static void vt_tcp_conn_sweep_pair(vt_tcp_conn_t *conn)
{
    vt_tcp_iface_t *iface = conn->iface;

    vt_tcp_conn_close_fd(conn);
    vt_tcp_buf_cleanup(&conn->rx);
    if (conn->reconnect) {
        conn->reconnect = 0;
        conn->tx.head += vs_min(conn->hs_left, conn->tx.tail - conn->tx.head);
        conn->hs_left = 0;
        if (conn->tx.head == conn->tx.tail) {
            vt_tcp_conn_tx_idle(conn);
        }
        (void)vt_tcp_conn_connect(conn);
        return;
    }
    if (conn->state != VT_TCP_CONN_FAILED) {
        return;  /* LOST: the queue waits for the peer's connection */
    }
    vt_tcp_buf_cleanup(&conn->tx);
    if (conn->num_eps == 0) {
        vs_hash_del(&iface->conns, conn->peer_uid);
        vt_tcp_conn_destroy(conn);
    }
}

void vt_tcp_iface_sweep(vt_tcp_iface_t *iface)
{
    vs_list_link_t *link, *next;

    /* A connection retired while this runs (a connect that fails at
     * once) waits for the next sweep. */
    iface->num_sweep = 0;
    for (link = iface->all.next; link != &iface->all; link = next) {
        vt_tcp_conn_t *conn = vs_list_entry(link, vt_tcp_conn_t, list);
        next = link->next;
        if (!conn->sweep) {
            continue;
        }
        conn->sweep = 0;
        if (conn->in_hash) {
            vt_tcp_conn_sweep_pair(conn);
        } else {
            vt_tcp_conn_destroy(conn);
        }
    }
}

verve_status_t vt_tcp_conn_get(vt_tcp_iface_t *iface,
                               const vt_tcp_iface_addr_t *addr,
                               vt_tcp_conn_t **conn_p)
{
    vt_tcp_conn_t *conn = vs_hash_get(&iface->conns, addr->uid);

    if (conn != NULL) {
        *conn_p = conn;
        return VERVE_OK;
    }
    conn = vt_tcp_conn_new(iface, -1, 1);
    if (conn == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    conn->state = VT_TCP_CONN_IDLE;
    conn->peer_uid = addr->uid;
    conn->peer.sin_family = AF_INET;
    conn->peer.sin_addr.s_addr = addr->ipv4;
    conn->peer.sin_port = addr->port;
    if (vs_hash_put(&iface->conns, addr->uid, conn) != VERVE_OK) {
        vt_tcp_conn_destroy(conn);
        return VERVE_ERR_NO_MEMORY;
    }
    conn->in_hash = 1;
    *conn_p = conn;
    return VERVE_OK;
}

void vt_tcp_conn_queued(vt_tcp_conn_t *conn)
{
    if (!conn->on_tx_list) {
        vs_list_add_tail(&conn->iface->tx_conns, &conn->tx_list);
        conn->on_tx_list = 1;
    }
    /* Held bytes wait for a frame, not for room: no EPOLLOUT for them,
     * or the worker would never sleep. */
    vt_tcp_conn_update_events(conn);
}

verve_status_t vt_tcp_conn_push_hs(vt_tcp_conn_t *conn, uint8_t type,
                                   const void *payload, size_t length)
{
    vt_tcp_buf_t *tx = &conn->tx;
    size_t size = sizeof(vt_tcp_frame_hdr_t) + length, at;
    vt_tcp_frame_hdr_t hdr;
    verve_status_t status;

    status = vt_tcp_buf_reserve(tx, size);
    if (status != VERVE_OK) {
        return status;
    }
    /* Messages queued behind the handshake move once, at setup. */
    at = tx->head + conn->hs_left;
    memmove(tx->data + at + size, tx->data + at, tx->tail - at);
    vt_tcp_frame_hdr_init(&hdr, type, 0, length);
    memcpy(tx->data + at, &hdr, sizeof(hdr));
    memcpy(tx->data + at + sizeof(hdr), payload, length);
    tx->tail += size;
    conn->hs_left += size;
    vt_tcp_conn_queued(conn);
    return VERVE_OK;
}

/* Starts a non-blocking connect; the handshake goes first in the queue,
 * before whatever waits there. */
static verve_status_t vt_tcp_conn_connect(vt_tcp_conn_t *conn)
{
    vt_tcp_iface_t *iface = conn->iface;
    verve_status_t status;
    char name[96];
    int fd, ret;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        vs_error("tcp: socket(AF_INET) for the connection %s failed: %s",
                 vt_tcp_conn_name(conn, name, sizeof(name)),
                 strerror(errno));
        return VERVE_ERR_IO;
    }
    vt_tcp_sock_tune(fd, iface->sndbuf, iface->rcvbuf);
    do {
        ret = connect(fd, (struct sockaddr *)&conn->peer,
                      sizeof(conn->peer));
    } while (ret < 0 && errno == EINTR);
    vt_tcp_conn_set_fd(conn, fd);
    if (ret < 0 && errno != EINPROGRESS) {
        vt_tcp_conn_fail(conn, "connect", errno);
        return VERVE_ERR_PEER_FAILED;
    }
    conn->held = 1;
    conn->state = (ret != 0) ? VT_TCP_CONN_CONNECTING : VT_TCP_CONN_AUTH;
    status = vt_tcp_auth_connect(conn);
    if (status != VERVE_OK) {
        vt_tcp_conn_fail(conn, "queueing the hello", ENOMEM);
        return status;
    }
    return VERVE_OK;
}

/* Whether a connect in progress has finished: 1 open, 0 not yet, -1
 * failed (the connection is marked). */
static int vt_tcp_conn_connected(vt_tcp_conn_t *conn)
{
    struct pollfd pfd = {.fd = conn->fd, .events = POLLOUT};
    socklen_t len = sizeof(int);
    int err = 0;

    if (poll(&pfd, 1, 0) <= 0) {
        return 0;
    }
    if (getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        err = errno;
    }
    if (err != 0) {
        vt_tcp_conn_fail(conn, "connect", err);
        return -1;
    }
    conn->state = VT_TCP_CONN_AUTH;
    return 1;
}

void vt_tcp_conn_flush(vt_tcp_conn_t *conn)
{
    size_t limit;
    ssize_t n;

    if (conn->state == VT_TCP_CONN_CONNECTING &&
        vt_tcp_conn_connected(conn) <= 0) {
        return;
    }
    if (conn->state == VT_TCP_CONN_OPEN) {
        limit = conn->tx.tail - conn->tx.head;
    } else if (conn->state == VT_TCP_CONN_HELD ||
               conn->state == VT_TCP_CONN_AUTH) {
        limit = conn->hs_left;
    } else {
        return;
    }
    while (limit > 0) {
        n = send(conn->fd, conn->tx.data + conn->tx.head, limit,
                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            conn->tx.head += (size_t)n;
            limit -= (size_t)n;
            conn->hs_left -= vs_min(conn->hs_left, (size_t)n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            vt_tcp_conn_queued(conn);
            return;
        } else {
            vt_tcp_conn_fail(conn, "send", n < 0 ? errno : EPIPE);
            return;
        }
    }
    if (conn->tx.head == conn->tx.tail) {
        vt_tcp_conn_tx_idle(conn);
    }
    vt_tcp_conn_update_events(conn);
}

/* Before queueing: connects a new connection, and says whether the queue
 * has room. */
static verve_status_t vt_tcp_conn_prepare_queue(vt_tcp_conn_t *conn)
{
    verve_status_t status;

    if (conn->state == VT_TCP_CONN_FAILED) {
        return VERVE_ERR_PEER_FAILED;
    }
    /* One waiting to connect again does it at the end of progress. */
    if (conn->state == VT_TCP_CONN_IDLE && !conn->reconnect) {
        status = vt_tcp_conn_connect(conn);
        if (status != VERVE_OK) {
            return status;
        }
    }
    if (conn->tx.tail - conn->tx.head >= conn->iface->tx_queue_max) {
        vt_tcp_conn_flush(conn);
        if (conn->state == VT_TCP_CONN_FAILED) {
            return VERVE_ERR_PEER_FAILED;
        }
        if (conn->tx.tail - conn->tx.head >= conn->iface->tx_queue_max) {
            return VERVE_ERR_NO_RESOURCE;
        }
    }
    return VERVE_OK;
}

verve_status_t vt_tcp_conn_sendv(vt_tcp_conn_t *conn, struct iovec *iov,
                                 int iovcnt, size_t total)
{
    struct msghdr msg;
    verve_status_t status;
    ssize_t n = 0;

    if (vs_likely(conn->state == VT_TCP_CONN_OPEN &&
                  conn->tx.head == conn->tx.tail)) {
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = iov;
        msg.msg_iovlen = (size_t)iovcnt;
        do {
            /* send() skips importing an iovec: measurably cheaper */
            n = (iovcnt == 1) ? send(conn->fd, iov[0].iov_base,
                                     iov[0].iov_len,
                                     MSG_NOSIGNAL | MSG_DONTWAIT)
                              : sendmsg(conn->fd, &msg,
                                        MSG_NOSIGNAL | MSG_DONTWAIT);
        } while (n < 0 && errno == EINTR);
        if (vs_likely((size_t)n == total)) {
            return VERVE_OK;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                vt_tcp_conn_fail(conn, "sendmsg", errno);
                return VERVE_ERR_PEER_FAILED;
            }
            n = 0;
        }
    } else {
        status = vt_tcp_conn_prepare_queue(conn);
        if (status != VERVE_OK) {
            return status;
        }
    }
    status = vt_tcp_buf_append_iov(&conn->tx, iov, iovcnt, (size_t)n);
    if (status != VERVE_OK) {
        return status;
    }
    vt_tcp_conn_queued(conn);
    return VERVE_OK;
}

ssize_t vt_tcp_conn_send_packed(vt_tcp_conn_t *conn, uint8_t id,
                                vt_pack_cb_t pack, void *arg)
{
    vt_tcp_iface_t *iface = conn->iface;
    vt_tcp_frame_hdr_t hdr;
    verve_status_t status;
    size_t length;
    int was_empty;
    char *p;

    status = vt_tcp_conn_prepare_queue(conn);
    if (status != VERVE_OK) {
        return status;
    }
    was_empty = conn->tx.head == conn->tx.tail;
    /* Packed in place at the queue's tail: whatever the socket does not
     * take is already where it waits, so a large message is copied once. */
    status = vt_tcp_buf_reserve(&conn->tx, sizeof(hdr) + iface->bcopy_max);
    if (status != VERVE_OK) {
        return status;
    }
    p = conn->tx.data + conn->tx.tail;
    length = pack(p + sizeof(hdr), arg);
    if (vs_unlikely(length > iface->bcopy_max)) {
        vs_fatal("tcp: am_bcopy pack callback wrote %zu bytes, more than "
                 "the %zu allowed", length, iface->bcopy_max);
        abort();
    }
    vt_tcp_frame_hdr_init(&hdr, VT_TCP_FRAME_AM, id, length);
    memcpy(p, &hdr, sizeof(hdr));
    conn->tx.tail += sizeof(hdr) + length;
    if (was_empty && conn->state == VT_TCP_CONN_OPEN) {
        vt_tcp_conn_flush(conn);
        if (conn->state == VT_TCP_CONN_FAILED) {
            return VERVE_ERR_PEER_FAILED;
        }
    } else {
        vt_tcp_conn_queued(conn);
    }
    return (ssize_t)length;
}

void vt_tcp_conn_event(vt_tcp_conn_t *conn, uint32_t events)
{
    if (conn->state == VT_TCP_CONN_CONNECTING || (events & EPOLLOUT)) {
        vt_tcp_conn_flush(conn);
    }
}

verve_status_t vt_tcp_conn_check(vt_tcp_conn_t *conn)
{
    if (conn->state == VT_TCP_CONN_CONNECTING) {
        vt_tcp_conn_flush(conn);
    }
    return (conn->state == VT_TCP_CONN_FAILED) ? VERVE_ERR_PEER_FAILED
                                                : VERVE_OK;
}

verve_status_t vt_tcp_conn_accept(vt_tcp_iface_t *iface, int fd,
                                  const struct sockaddr_in *peer)
{
    vt_tcp_conn_t *conn = vt_tcp_conn_new(iface, fd, 0);
    verve_status_t status;

    if (conn == NULL) {
        close(fd);
        return VERVE_ERR_NO_MEMORY;
    }
    conn->state = VT_TCP_CONN_AUTH;
    conn->peer = *peer;
    status = vt_tcp_auth_accept(conn);
    if (status != VERVE_OK) {
        vt_tcp_conn_destroy(conn);
        return status;
    }
    vt_tcp_sock_tune(fd, iface->sndbuf, iface->rcvbuf);
    vt_tcp_conn_update_events(conn);
    return VERVE_OK;
}

/* Handles one complete frame; 0 when the stream must close. */
static int vt_tcp_conn_deliver(vt_tcp_conn_t *conn,
                               const vt_tcp_frame_hdr_t *hdr, char *payload)
{
    vt_tcp_iface_t *iface = conn->iface;
    char name[96];

    if (vs_unlikely(hdr->type != VT_TCP_FRAME_AM)) {
        if (hdr->type == VT_TCP_FRAME_ACK || hdr->type == VT_TCP_FRAME_NACK) {
            return vt_tcp_pair_frame(conn, hdr);
        }
        return vt_tcp_auth_frame(conn, hdr, payload);
    }
    /* The peer proved nothing yet: its bytes reach no handler. */
    if (vs_unlikely(conn->hs != NULL || conn->held)) {
        vs_warn("tcp: connection %s: a message before the %s: closed",
                vt_tcp_conn_name(conn, name, sizeof(name)),
                conn->held ? "answer to our proof" : "handshake finished");
        return 0;
    }
    if (vs_likely(iface->am_handlers[hdr->am_id] != NULL)) {
        iface->am_handlers[hdr->am_id](iface->am_args[hdr->am_id], payload,
                                       hdr->length, conn->peer_uid);
    } else {
        vs_error("tcp: dropped a message of %u bytes from worker %016llx "
                 "with am id %u: no handler", hdr->length,
                 (unsigned long long)conn->peer_uid, hdr->am_id);
    }
    return 1;
}

/* Whether the stream is still read: the pair may have dropped it. */
static int vt_tcp_conn_readable(const vt_tcp_conn_t *conn)
{
    return !conn->sweep && conn->fd >= 0 &&
           conn->state != VT_TCP_CONN_FAILED &&
           conn->state != VT_TCP_CONN_LOST;
}

int vt_tcp_conn_rx_ready(const vt_tcp_conn_t *conn)
{
    vt_tcp_frame_hdr_t hdr;
    size_t need;

    return vt_tcp_frame_parse(vt_tcp_buf_head(&conn->rx),
                              conn->rx.tail - conn->rx.head,
                              vt_tcp_conn_frame_max(conn), &hdr,
                              &need) != VT_TCP_PARSE_MORE;
}

unsigned vt_tcp_conn_receive(vt_tcp_conn_t *conn)
{
    vt_tcp_buf_t *rx = &conn->rx;
    vt_tcp_frame_hdr_t hdr;
    unsigned count = 0;
    size_t need, avail, space, want;
    int drained = 0;
    char name[96];
    ssize_t n;

    if (!vt_tcp_conn_readable(conn)) {
        return 0;
    }
    for (;;) {
        for (;;) {
            avail = rx->tail - rx->head;
            switch (vt_tcp_frame_parse(vt_tcp_buf_head(rx), avail,
                                       vt_tcp_conn_frame_max(conn), &hdr,
                                       &need)) {
            case VT_TCP_PARSE_OK:
                /* Consumed before the handler runs: it may progress. */
                rx->head += need;
                if (!vt_tcp_conn_deliver(conn, &hdr, rx->data + rx->head -
                                                     hdr.length)) {
                    vt_tcp_conn_fail(conn, "receive", EPROTO);
                    return count;
                }
                ++count;
                if (vs_unlikely(!vt_tcp_conn_readable(conn))) {
                    return count;
                }
                continue;
            case VT_TCP_PARSE_BAD:
                if (conn->hs != NULL) {
                    vt_tcp_auth_refuse(conn, "a malformed frame or one too "
                                             "long for the handshake");
                    vt_tcp_conn_fail(conn, "receive", EPROTO);
                    return count;
                }
                vs_warn("tcp: connection %s: malformed frame (type %u, am "
                        "id %u, %u bytes; at most %zu): closed",
                        vt_tcp_conn_name(conn, name, sizeof(name)),
                        hdr.type, hdr.am_id, hdr.length,
                        vt_tcp_conn_frame_max(conn));
                vt_tcp_conn_fail(conn, "receive", EPROTO);
                return count;
            case VT_TCP_PARSE_MORE:
                break;
            }
            break;
        }
        if (rx->head == rx->tail) {
            rx->head = rx->tail = 0;
        }
        if (drained) {
            return count;
        }
        /* A peer that proved nothing is read one handshake frame at a
         * time: it can make us hold no more. */
        want = (conn->hs == NULL) ? vs_max(need - avail,
                                           (size_t)VT_TCP_RX_CHUNK)
                                  : need - avail;
        if (vt_tcp_buf_reserve(rx, want) != VERVE_OK) {
            vt_tcp_conn_fail(conn, "receive", ENOMEM);
            return count;
        }
        space = (conn->hs == NULL) ? rx->capacity - rx->tail : want;
        do {
            n = recv(conn->fd, rx->data + rx->tail, space, MSG_DONTWAIT);
        } while (n < 0 && errno == EINTR);
        if (n > 0) {
            rx->tail += (size_t)n;
            /* A short read emptied the socket: parse, then stop. */
            drained = (size_t)n < space;
        } else if (n == 0) {
            vt_tcp_conn_fail(conn, "receive", 0);
            return count;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return count;
        } else {
            vt_tcp_conn_fail(conn, "receive", errno);
            return count;
        }
    }
}
