/*
 * TCP transport: the handshake by which each side of a new connection
 * proves it holds the job key (core/base/auth.h), before the pair logic
 * (tcp_pair.c) or the engine sees the connection:
 *
 *   connector                          acceptor
 *   HELLO {uid_c, nonce_c}       ->
 *                                <-    CHALLENGE {uid_a, nonce_a, proof_a}
 *   checks proof_a for the
 *   worker it meant to reach
 *   PROOF {proof_c}              ->    checks proof_c: the peer is uid_c
 *                                <-    ACK or NACK (tcp_pair.c)
 *
 * Both nonces are fresh, so no proof replays an earlier connection's; the
 * roles differ, so neither side's proof can be reflected as the other's.
 *
 * An accepted connection in its handshake makes us hold one handshake
 * frame at most (VT_TCP_HS_PAYLOAD_MAX bytes); at most pending_max of them
 * exist at once, new ones beyond are closed at once; each is closed when
 * auth_timeout passes. The connector needs no timeout of its own: it sends
 * no message before the acceptor's ACK, so a connection the acceptor
 * closed unproved lost nothing, and is made again (tcp_conn.c).
 *
 * Cost: a new connection carries its first message after two round trips
 * instead of one, and each side computes two HMAC-SHA256 (microseconds);
 * messages on an open connection cost nothing more.
 */
#include "tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/base/log.h"
#include "core/base/time.h"

/* Peers that fail the handshake are warned about this many times per
 * interface, then only logged at debug level: a flood must not flood the
 * log too. */
#define VT_TCP_AUTH_WARN_MAX 8

static verve_status_t vt_tcp_auth_new(vt_tcp_conn_t *conn)
{
    vt_tcp_hs_t *hs = conn->hs;

    if (hs == NULL) {
        hs = calloc(1, sizeof(*hs));
        if (hs == NULL) {
            vs_error("tcp: allocating a handshake of %zu bytes failed",
                     sizeof(*hs));
            return VERVE_ERR_NO_MEMORY;
        }
        hs->conn = conn;
        vs_list_init(&hs->list);
        conn->hs = hs;
    }
    return VERVE_OK;
}

verve_status_t vt_tcp_auth_connect(vt_tcp_conn_t *conn)
{
    vt_tcp_iface_t *iface = conn->iface;
    vt_tcp_hello_t hello;
    verve_status_t status;
    vs_auth_session_t *session;

    status = vt_tcp_auth_new(conn);
    if (status != VERVE_OK) {
        return status;
    }
    session = &conn->hs->session;
    memset(session, 0, sizeof(*session));
    session->connector_uid = iface->uid;
    session->acceptor_uid = conn->peer_uid;
    status = vs_auth_nonce(session->connector_nonce);
    if (status != VERVE_OK) {
        return status;
    }
    memset(&hello, 0, sizeof(hello));
    hello.magic = VT_TCP_HELLO_MAGIC;
    hello.version = VT_TCP_HELLO_VERSION;
    hello.uid = iface->uid;
    memcpy(hello.nonce, session->connector_nonce, sizeof(hello.nonce));
    return vt_tcp_conn_push_hs(conn, VT_TCP_FRAME_HELLO, &hello,
                               sizeof(hello));
}

verve_status_t vt_tcp_auth_accept(vt_tcp_conn_t *conn)
{
    vt_tcp_iface_t *iface = conn->iface;
    verve_status_t status;

    if (iface->num_pending >= iface->pending_max) {
        if (iface->pending_refused++ == 0) {
            vs_warn("tcp: port %u: %u connections are in their handshake "
                    "already (VERVE_TCP_AUTH_PENDING_MAX): closing new ones "
                    "until they finish or time out",
                    (unsigned)ntohs(iface->addr.sin_port),
                    iface->num_pending);
        }
        return VERVE_ERR_NO_RESOURCE;
    }
    status = vt_tcp_auth_new(conn);
    if (status != VERVE_OK) {
        return status;
    }
    conn->hs->session.acceptor_uid = iface->uid;
    conn->hs->deadline_ns = vs_time_ns() + iface->auth_timeout_ns;
    vs_list_add_tail(&iface->pending, &conn->hs->list);
    ++iface->num_pending;
    return VERVE_OK;
}

void vt_tcp_auth_end(vt_tcp_conn_t *conn)
{
    vt_tcp_hs_t *hs = conn->hs;

    if (hs == NULL) {
        return;
    }
    if (hs->list.next != &hs->list) {
        vs_list_del(&hs->list);
        --conn->iface->num_pending;
    }
    free(hs);
    conn->hs = NULL;
}

void vt_tcp_auth_expire(vt_tcp_iface_t *iface)
{
    uint64_t now = vs_time_ns();
    vt_tcp_conn_t *conn;
    vt_tcp_hs_t *hs;
    char name[96];

    while (!vs_list_is_empty(&iface->pending)) {
        hs = vs_list_entry(iface->pending.next, vt_tcp_hs_t, list);
        if (hs->deadline_ns > now) {
            return;
        }
        conn = hs->conn;
        vs_debug("tcp: connection %s: no proof of the job key within "
                 "VERVE_TCP_AUTH_TIMEOUT: closed",
                 vt_tcp_conn_name(conn, name, sizeof(name)));
        vt_tcp_conn_fail(conn, "handshake", ETIMEDOUT);
    }
}

int vt_tcp_auth_refuse(vt_tcp_conn_t *conn, const char *why)
{
    vt_tcp_iface_t *iface = conn->iface;
    char name[96];

    if (iface->auth_failures++ < VT_TCP_AUTH_WARN_MAX) {
        vs_warn("tcp: connection %s: %s: closed",
                vt_tcp_conn_name(conn, name, sizeof(name)), why);
    } else {
        vs_debug("tcp: connection %s: %s: closed",
                 vt_tcp_conn_name(conn, name, sizeof(name)), why);
    }
    return 0;
}

static int vt_tcp_auth_hello(vt_tcp_conn_t *conn, const void *payload)
{
    vs_auth_session_t *session = &conn->hs->session;
    vt_tcp_challenge_t challenge;
    vt_tcp_hello_t hello;

    memcpy(&hello, payload, sizeof(hello));
    if (conn->outgoing || session->connector_uid != 0) {
        return vt_tcp_auth_refuse(conn, "a hello out of turn");
    }
    if (hello.magic != VT_TCP_HELLO_MAGIC ||
        hello.version != VT_TCP_HELLO_VERSION || hello.uid == 0) {
        return vt_tcp_auth_refuse(conn, "a hello of another protocol "
                                        "(magic, version or worker uid "
                                        "wrong)");
    }
    session->connector_uid = hello.uid;
    memcpy(session->connector_nonce, hello.nonce,
           sizeof(session->connector_nonce));
    if (vs_auth_nonce(session->acceptor_nonce) != VERVE_OK) {
        return 0;
    }
    memset(&challenge, 0, sizeof(challenge));
    challenge.uid = conn->iface->uid;
    memcpy(challenge.nonce, session->acceptor_nonce,
           sizeof(challenge.nonce));
    vs_auth_proof(session, VS_AUTH_ROLE_ACCEPTOR, challenge.mac);
    if (vt_tcp_conn_push_hs(conn, VT_TCP_FRAME_CHALLENGE, &challenge,
                            sizeof(challenge)) != VERVE_OK) {
        return 0;
    }
    vt_tcp_conn_flush(conn);
    return 1;
}

static int vt_tcp_auth_challenge(vt_tcp_conn_t *conn, const void *payload)
{
    vs_auth_session_t *session = &conn->hs->session;
    vt_tcp_challenge_t challenge;
    vt_tcp_proof_t proof;

    memcpy(&challenge, payload, sizeof(challenge));
    if (!conn->outgoing) {
        return vt_tcp_auth_refuse(conn, "a challenge to a connection it "
                                        "made");
    }
    if (challenge.uid != conn->peer_uid) {
        /* Another worker took the address (a job that ended, a port
         * reused): not the peer the endpoint is for. */
        return vt_tcp_auth_refuse(conn, "another worker answers at this "
                                        "address");
    }
    memcpy(session->acceptor_nonce, challenge.nonce,
           sizeof(session->acceptor_nonce));
    if (!vs_auth_check(session, VS_AUTH_ROLE_ACCEPTOR, challenge.mac)) {
        return vt_tcp_auth_refuse(conn, "the peer does not hold this job's "
                                        "key (see VERVE_JOB_KEY)");
    }
    vs_auth_proof(session, VS_AUTH_ROLE_CONNECTOR, proof.mac);
    if (vt_tcp_conn_push_hs(conn, VT_TCP_FRAME_PROOF, &proof,
                            sizeof(proof)) != VERVE_OK) {
        return 0;
    }
    vt_tcp_auth_end(conn);
    conn->state = VT_TCP_CONN_HELD;
    vt_tcp_conn_flush(conn);
    return 1;
}

static int vt_tcp_auth_proof(vt_tcp_conn_t *conn, const void *payload)
{
    vs_auth_session_t *session = &conn->hs->session;
    vt_tcp_proof_t proof;
    uint64_t uid;

    memcpy(&proof, payload, sizeof(proof));
    if (conn->outgoing || session->connector_uid == 0) {
        return vt_tcp_auth_refuse(conn, "a proof out of turn");
    }
    if (!vs_auth_check(session, VS_AUTH_ROLE_CONNECTOR, proof.mac)) {
        return vt_tcp_auth_refuse(conn, "the peer does not hold this job's "
                                        "key (see VERVE_JOB_KEY)");
    }
    uid = session->connector_uid;
    vt_tcp_auth_end(conn);
    conn->state = VT_TCP_CONN_OPEN;
    return vt_tcp_pair_join(conn, uid);
}

int vt_tcp_auth_frame(vt_tcp_conn_t *conn, const vt_tcp_frame_hdr_t *hdr,
                      const void *payload)
{
    if (conn->hs == NULL) {
        return vt_tcp_auth_refuse(conn, "a handshake frame after the "
                                        "handshake");
    }
    switch (hdr->type) {
    case VT_TCP_FRAME_HELLO:
        return vt_tcp_auth_hello(conn, payload);
    case VT_TCP_FRAME_CHALLENGE:
        return vt_tcp_auth_challenge(conn, payload);
    case VT_TCP_FRAME_PROOF:
        return vt_tcp_auth_proof(conn, payload);
    default:
        return vt_tcp_auth_refuse(conn, "a frame before the handshake "
                                        "finished");
    }
}
