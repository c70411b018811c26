/*
 * TCP transport: which connection a pair of workers keeps. It is decided
 * when a connector has proved it holds the job key (tcp_auth.c): a
 * stranger never takes part, so it can never replace a live connection.
 *
 * A connector sends only its handshake, and holds its messages, until the
 * acceptor answers its proof with ACK or NACK. Of worker S (the smaller
 * uid) and L, S's connection wins. When S's acceptor gets L's proof:
 *   - S has no connection to L that sent its proof (none, or one still
 *     connecting or in its handshake): S keeps L's connection, moves there
 *     what it queued on its own, and sends ACK on it; L then releases its
 *     bytes on it. So a pair where only L can reach S (a one-way firewall)
 *     still talks.
 *   - S's own sent its proof: S sends NACK and closes L's; L keeps its
 *     bytes until S's connection arrives (its handshake is on the way),
 *     and moves them there.
 * When L's acceptor gets S's proof, S wins: L keeps S's connection, sends
 * ACK on it, and moves there whatever it held on its own (never written
 * past its handshake).
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
        /* The connection closes at the end of progress: one try, when the
         * socket took the challenge already. Without it the peer sees the
         * stream end in its handshake and connects again. */
        if (conn->tx.head == conn->tx.tail) {
            (void)send(conn->fd, &hdr, sizeof(hdr),
                       MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        return;
    }
    (void)vt_tcp_conn_sendv(conn, &iov, 1, sizeof(hdr));
}

/* conn becomes the pair's connection in place of old (may be NULL), whose
 * unsent bytes follow, and whose endpoints too. */
static int vt_tcp_pair_adopt(vt_tcp_conn_t *conn, vt_tcp_conn_t *old)
{
    vt_tcp_iface_t *iface = conn->iface;
    vs_list_link_t *link;
    struct iovec iov;
    char name[96];

    if (vs_hash_put(&iface->conns, conn->peer_uid, conn) != VERVE_OK) {
        return 0;
    }
    conn->in_hash = 1;
    vt_tcp_pair_send_control(conn, VT_TCP_FRAME_ACK);
    if (old == NULL) {
        return 1;
    }
    if (old->state == VT_TCP_CONN_OPEN) {
        /* cannot happen: the peer answered its proof, so it made none */
        vs_error("tcp: connection %s was open when the peer's own arrived",
                 vt_tcp_conn_name(old, name, sizeof(name)));
    }
    /* Never written past the handshake: the rest moves, in order. */
    old->tx.head += vs_min(old->hs_left, old->tx.tail - old->tx.head);
    old->hs_left = 0;
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
    conn->num_eps += old->num_eps;
    old->num_eps = 0;
    old->in_hash = 0;
    old->reconnect = 0;
    old->state = VT_TCP_CONN_FAILED;
    old->held = 0;
    vt_tcp_auth_end(old);
    old->tx.head = old->tx.tail = 0;
    vt_tcp_conn_retire(old);
    return 1;
}

int vt_tcp_pair_join(vt_tcp_conn_t *conn, uint64_t uid)
{
    vt_tcp_iface_t *iface = conn->iface;
    vt_tcp_conn_t *own;
    char name[96];

    conn->peer_uid = uid;
    if (uid == iface->uid) {
        vt_tcp_pair_send_control(conn, VT_TCP_FRAME_ACK);
        return 1;
    }
    own = vs_hash_get(&iface->conns, uid);
    /* Ours is dropped only before it sent its proof. */
    if (own == NULL || own->state == VT_TCP_CONN_IDLE ||
        own->state == VT_TCP_CONN_CONNECTING ||
        own->state == VT_TCP_CONN_AUTH ||
        own->state == VT_TCP_CONN_FAILED || uid < iface->uid) {
        return vt_tcp_pair_adopt(conn, own);
    }
    vs_debug("tcp: connection %s: both sides connected; ours stays",
             vt_tcp_conn_name(conn, name, sizeof(name)));
    vt_tcp_pair_send_control(conn, VT_TCP_FRAME_NACK);
    vt_tcp_conn_retire(conn);
    conn->state = VT_TCP_CONN_FAILED;
    return 1;
}

int vt_tcp_pair_frame(vt_tcp_conn_t *conn, const vt_tcp_frame_hdr_t *hdr)
{
    char name[96];

    if (!conn->held || conn->hs != NULL) {
        vs_warn("tcp: connection %s: an answer to a proof we did not send",
                vt_tcp_conn_name(conn, name, sizeof(name)));
        return 0;
    }
    conn->held = 0;
    conn->hs_left = 0;
    conn->retries = 0;
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
