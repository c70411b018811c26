/*
 * TCP transport: which connection a pair of workers keeps.
 *
 * Worker S (the smaller uid) writes on a connection it made at once; the
 * other, L, sends only its hello and holds its bytes until S answers.
 * When S receives a hello from L:
 *   - S has no connection to L that wrote anything (none, or one still
 *     connecting): S keeps L's connection, moves there what it queued on
 *     its own, and sends ACK on it; L then releases its bytes on it. So a
 *     pair where only L can reach S (a one-way firewall) still talks.
 *   - S has its own, open: S sends NACK and closes L's; L keeps its bytes
 *     until S's connection arrives (its hello is already on the way), and
 *     moves them there.
 * When L receives a hello from S, S wins: L keeps S's connection and moves
 * there whatever it held on its own (never written past its hello).
 * Either way each side writes on exactly one connection, and every byte of
 * an endpoint goes down it in the order it was sent: nothing is lost,
 * duplicated or reordered. A worker's connection to itself is used one
 * way: it sends on the one it made and reads the one it accepted.
 */
#include "tcp.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include "core/base/log.h"

static void vt_tcp_pair_send_control(vt_tcp_conn_t *conn, uint8_t type)
{
    vt_tcp_frame_hdr_t hdr;
    struct iovec iov;

    vt_tcp_frame_hdr_init(&hdr, type, 0, 0);
    iov.iov_base = &hdr;
    iov.iov_len = sizeof(hdr);
    if (type == VT_TCP_FRAME_NACK) {
        /* The connection closes at the end of progress: one try, on a
         * fresh socket whose buffer is empty. */
        (void)send(conn->fd, &hdr, sizeof(hdr), MSG_NOSIGNAL | MSG_DONTWAIT);
        return;
    }
    (void)vt_tcp_conn_sendv(conn, &iov, 1, sizeof(hdr));
}

/* conn becomes the pair's connection in place of old (may be NULL), whose
 * unsent bytes follow, and whose endpoints too. */
static int vt_tcp_pair_adopt(vt_tcp_conn_t *conn, vt_tcp_conn_t *old,
                             int send_ack)
{
    vt_tcp_iface_t *iface = conn->iface;
    vs_list_link_t *link;
    struct iovec iov;
    char name[96];

    if (vs_hash_put(&iface->conns, conn->peer_uid, conn) != VERVE_OK) {
        return 0;
    }
    conn->in_hash = 1;
    if (send_ack) {
        vt_tcp_pair_send_control(conn, VT_TCP_FRAME_ACK);
    }
    if (old == NULL) {
        return 1;
    }
    if (old->state == VT_TCP_CONN_OPEN) {
        /* cannot happen: the peer answered its hello, so it made none */
        vs_error("tcp: connection %s was open when the peer's own arrived",
                 vt_tcp_conn_name(old, name, sizeof(name)));
    }
    /* Never written past the hello: the rest moves, in order. */
    old->tx.head += vs_min(old->hello_left, old->tx.tail - old->tx.head);
    if (old->tx.head < old->tx.tail) {
        iov.iov_base = old->tx.data + old->tx.head;
        iov.iov_len = old->tx.tail - old->tx.head;
        if (vt_tcp_conn_sendv(conn, &iov, 1, iov.iov_len) != VERVE_OK) {
            vt_tcp_conn_fail(conn, "moving queued bytes", ENOMEM);
        }
    }
    for (link = iface->eps.next; link != &iface->eps; link = link->next) {
        vt_tcp_ep_t *ep = vs_list_entry(link, vt_tcp_ep_t, list);
        if (ep->conn == old) {
            ep->conn = conn;
        }
    }
    old->in_hash = 0;
    old->state = VT_TCP_CONN_FAILED;
    old->held = 0;
    old->tx.head = old->tx.tail = 0;
    vt_tcp_conn_retire(old);
    return 1;
}

static int vt_tcp_pair_hello(vt_tcp_conn_t *conn, const void *payload)
{
    vt_tcp_iface_t *iface = conn->iface;
    vt_tcp_conn_t *own;
    vt_tcp_hello_t hello;
    char name[96];

    memcpy(&hello, payload, sizeof(hello));
    if (conn->outgoing || conn->peer_uid != 0 ||
        hello.magic != VT_TCP_HELLO_MAGIC ||
        hello.version != VT_TCP_HELLO_VERSION || hello.uid == 0) {
        vs_warn("tcp: connection %s: unexpected hello (magic %x, version "
                "%u)", vt_tcp_conn_name(conn, name, sizeof(name)),
                hello.magic, hello.version);
        return 0;
    }
    conn->peer_uid = hello.uid;
    if (hello.uid == iface->uid) {
        return 1;
    }
    own = vs_hash_get(&iface->conns, hello.uid);
    /* Ours is dropped only before it wrote anything but its hello. */
    if (own == NULL || own->state == VT_TCP_CONN_IDLE ||
        own->state == VT_TCP_CONN_CONNECTING ||
        own->state == VT_TCP_CONN_FAILED || hello.uid < iface->uid) {
        return vt_tcp_pair_adopt(conn, own, hello.uid > iface->uid);
    }
    vs_debug("tcp: connection %s: both sides connected; ours stays",
             vt_tcp_conn_name(conn, name, sizeof(name)));
    vt_tcp_pair_send_control(conn, VT_TCP_FRAME_NACK);
    vt_tcp_conn_retire(conn);
    conn->state = VT_TCP_CONN_FAILED;
    return 1;
}

int vt_tcp_pair_frame(vt_tcp_conn_t *conn, const vt_tcp_frame_hdr_t *hdr,
                      const void *payload)
{
    char name[96];

    if (hdr->type == VT_TCP_FRAME_HELLO) {
        return vt_tcp_pair_hello(conn, payload);
    }
    if (!conn->held) {
        vs_warn("tcp: connection %s: an answer to a hello we did not send",
                vt_tcp_conn_name(conn, name, sizeof(name)));
        return 0;
    }
    conn->held = 0;
    conn->hello_left = 0;
    if (hdr->type == VT_TCP_FRAME_ACK) {
        if (conn->state == VT_TCP_CONN_HELD) {
            conn->state = VT_TCP_CONN_OPEN;
        }
        vt_tcp_conn_flush(conn);
        return 1;
    }
    /* NACK: the peer's own connection is on its way; our bytes wait. */
    conn->state = VT_TCP_CONN_LOST;
    vt_tcp_conn_retire(conn);
    return 1;
}
