/*
 * The tcp handshake played by hand against an interface, with nettle's
 * HMAC standing in for a peer built elsewhere: the right job key gets an
 * ACK and its messages through, a wrong one or a forged proof is closed
 * with nothing delivered; an acceptor that cannot prove the key gets no
 * message of ours; handshakes in progress are capped and time out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include "tcp_stranger.h"
#include "../../core/auth_reference.h"

#define TEST_SECRET "test-tcp-auth-job-key"

/* Reads exactly length bytes while the interface progresses; 0 when the
 * stream ended first. */
static int read_all(vt_iface_t *iface, int fd, void *buffer, size_t length)
{
    size_t got = 0;
    ssize_t n;

    for (unsigned spins = 0; got < length && spins < 2000000; ++spins) {
        n = recv(fd, (char *)buffer + got, length - got, MSG_DONTWAIT);
        if (n > 0) {
            got += (size_t)n;
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            return 0;
        }
        iface->ops->iface_progress(iface);
    }
    return got == length;
}

/* Connects as worker uid holding `secret`; returns the socket after the
 * proof went, with the acceptor's challenge checked when it must pass. */
static int hand_handshake(vt_iface_t *iface, uint64_t uid,
                          const char *secret)
{
    uint8_t expect[VS_AUTH_MAC_SIZE];
    vs_auth_session_t session;
    vt_tcp_challenge_t challenge;
    vt_tcp_frame_hdr_t hdr;
    vt_tcp_hello_t hello;
    vt_tcp_proof_t proof;
    int fd;

    fd = stranger_connect(iface);
    assert_true(fd >= 0);
    memset(&session, 0, sizeof(session));
    session.connector_uid = uid;
    session.acceptor_uid = vs_container_of(iface, vt_tcp_iface_t, super)->uid;
    assert_int_equal(vs_auth_nonce(session.connector_nonce), VERVE_OK);
    memset(&hello, 0, sizeof(hello));
    hello.magic = VT_TCP_HELLO_MAGIC;
    hello.version = VT_TCP_HELLO_VERSION;
    hello.uid = uid;
    memcpy(hello.nonce, session.connector_nonce, sizeof(hello.nonce));
    assert_int_equal(stranger_send_frame(fd, VT_TCP_FRAME_HELLO, 0, &hello,
                                         sizeof(hello)), 0);
    assert_true(read_all(iface, fd, &hdr, sizeof(hdr)));
    assert_int_equal(hdr.type, VT_TCP_FRAME_CHALLENGE);
    assert_int_equal(hdr.length, sizeof(challenge));
    assert_true(read_all(iface, fd, &challenge, sizeof(challenge)));
    assert_int_equal(challenge.uid, session.acceptor_uid);
    memcpy(session.acceptor_nonce, challenge.nonce,
           sizeof(session.acceptor_nonce));
    /* the interface's own proof, checked the way any peer would */
    auth_reference_proof(TEST_SECRET, &session, VS_AUTH_ROLE_ACCEPTOR,
                         expect);
    assert_memory_equal(challenge.mac, expect, sizeof(expect));
    auth_reference_proof(secret, &session, VS_AUTH_ROLE_CONNECTOR,
                         proof.mac);
    assert_int_equal(stranger_send_frame(fd, VT_TCP_FRAME_PROOF, 0, &proof,
                                         sizeof(proof)), 0);
    return fd;
}

static void test_right_key(void **state)
{
    stranger_rx_t rx = {0};
    vt_tcp_frame_hdr_t hdr;
    vt_iface_t *iface;
    uint32_t value = 7;
    int fd;

    (void)state;
    iface = stranger_iface_open(0xb, &rx);
    assert_non_null(iface);
    fd = hand_handshake(iface, 0x5, TEST_SECRET);
    assert_true(read_all(iface, fd, &hdr, sizeof(hdr)));
    assert_int_equal(hdr.type, VT_TCP_FRAME_ACK);
    assert_int_equal(stranger_send_frame(fd, VT_TCP_FRAME_AM, STRANGER_AM_ID,
                                         &value, sizeof(value)), 0);
    for (unsigned spins = 0; rx.count == 0 && spins < 1000000; ++spins) {
        iface->ops->iface_progress(iface);
    }
    assert_int_equal(rx.count, 1);
    assert_int_equal(rx.last_uid, 0x5);
    close(fd);
    iface->ops->iface_close(iface);
}

static void test_wrong_key(void **state)
{
    stranger_rx_t rx = {0};
    vt_iface_t *iface;
    uint32_t value = 7;
    int fd;

    (void)state;
    iface = stranger_iface_open(0xb, &rx);
    assert_non_null(iface);
    fd = hand_handshake(iface, 0x5, "not " TEST_SECRET);
    (void)stranger_send_frame(fd, VT_TCP_FRAME_AM, STRANGER_AM_ID, &value,
                              sizeof(value));
    assert_true(stranger_wait_closed(iface, fd));
    assert_int_equal(rx.count, 0);
    assert_int_equal(vs_container_of(iface, vt_tcp_iface_t,
                                     super)->num_pending, 0);
    close(fd);
    iface->ops->iface_close(iface);
}

/* A listener that is not in the job: our interface sends it its hello,
 * finds its challenge wrong, and sends none of the queued message. */
static void test_acceptor_unproved(void **state)
{
    vt_tcp_iface_addr_t addr;
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    vt_tcp_challenge_t challenge;
    vt_tcp_frame_hdr_t hdr;
    vt_tcp_hello_t hello;
    stranger_rx_t rx = {0};
    vt_iface_t *iface;
    uint32_t value = 7;
    char extra[64];
    verve_status_t status = VERVE_OK;
    vt_ep_t *ep;
    int lfd, fd;
    ssize_t n;

    (void)state;
    iface = stranger_iface_open(0xa, &rx);
    assert_non_null(iface);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(listen(lfd, 4), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
    memset(&addr, 0, sizeof(addr));
    addr.magic = VT_TCP_ADDR_MAGIC;
    addr.ipv4 = sin.sin_addr.s_addr;
    addr.port = sin.sin_port;
    addr.uid = 0xf;
    assert_int_equal(iface->ops->ep_create(iface, &addr, sizeof(addr), &ep),
                     VERVE_OK);
    assert_int_equal(iface->ops->ep_am_short(ep, STRANGER_AM_ID, &value,
                                             sizeof(value), NULL, 0),
                     VERVE_OK);
    iface->ops->iface_progress(iface);
    fd = accept(lfd, NULL, NULL);
    assert_true(fd >= 0);
    assert_true(read_all(iface, fd, &hdr, sizeof(hdr)));
    assert_int_equal(hdr.type, VT_TCP_FRAME_HELLO);
    assert_true(read_all(iface, fd, &hello, sizeof(hello)));
    memset(&challenge, 0, sizeof(challenge));
    challenge.uid = 0xf;
    assert_int_equal(stranger_send_frame(fd, VT_TCP_FRAME_CHALLENGE, 0,
                                         &challenge, sizeof(challenge)), 0);
    for (unsigned spins = 0; status == VERVE_OK && spins < 1000000;
         ++spins) {
        iface->ops->iface_progress(iface);
        status = iface->ops->ep_check(ep);
    }
    assert_int_equal(status, VERVE_ERR_PEER_FAILED);
    /* nothing after the hello: the stream ends */
    n = recv(fd, extra, sizeof(extra), 0);
    assert_true(n <= 0);
    close(fd);
    close(lfd);
    iface->ops->ep_destroy(ep);
    iface->ops->iface_close(iface);
}

/* More connections than VERVE_TCP_AUTH_PENDING_MAX that never prove
 * anything: those beyond are closed at once, the rest when
 * VERVE_TCP_AUTH_TIMEOUT passes; a member of the job gets in after. */
static void test_pending_cap(void **state)
{
    enum { PENDING_MAX = 4, NUM = 12 };
    stranger_rx_t rx_a = {0}, rx_b = {0};
    vt_iface_t *ifaces[2];
    vt_tcp_iface_t *tcp;
    unsigned closed = 0;
    uint32_t value = 1;
    int fds[NUM];
    vt_ep_t *ep;

    (void)state;
    setenv("VERVE_TCP_AUTH_PENDING_MAX", "4", 1);
    setenv("VERVE_TCP_AUTH_TIMEOUT", "300ms", 1);
    ifaces[1] = stranger_iface_open(0xb, &rx_b);
    unsetenv("VERVE_TCP_AUTH_PENDING_MAX");
    unsetenv("VERVE_TCP_AUTH_TIMEOUT");
    ifaces[0] = stranger_iface_open(0xa, &rx_a);
    assert_non_null(ifaces[0]);
    assert_non_null(ifaces[1]);
    tcp = vs_container_of(ifaces[1], vt_tcp_iface_t, super);
    for (unsigned i = 0; i < NUM; ++i) {
        fds[i] = stranger_connect(ifaces[1]);
        assert_true(fds[i] >= 0);
        assert_int_equal(stranger_send_hello(fds[i], 0x100 + i), 0);
        stranger_progress(&ifaces[1], 1, 2000);
        assert_true(tcp->num_pending <= PENDING_MAX);
    }
    assert_int_equal(tcp->num_pending, PENDING_MAX);
    for (unsigned i = 0; i < NUM; ++i) {
        closed += (unsigned)stranger_wait_closed(ifaces[1], fds[i]);
    }
    assert_int_equal(closed, NUM);
    assert_int_equal(tcp->num_pending, 0);
    for (unsigned i = 0; i < NUM; ++i) {
        close(fds[i]);
    }
    ep = stranger_ep_to(ifaces[0], ifaces[1]);
    assert_non_null(ep);
    assert_int_equal(ifaces[0]->ops->ep_am_short(ep, STRANGER_AM_ID, &value,
                                                 sizeof(value), NULL, 0),
                     VERVE_OK);
    for (unsigned spins = 0; rx_b.count == 0 && spins < 2000000; ++spins) {
        stranger_progress(ifaces, 2, 1);
    }
    assert_int_equal(rx_b.count, 1);
    assert_int_equal(rx_b.last_uid, 0xa);
    ifaces[0]->ops->ep_destroy(ep);
    ifaces[0]->ops->iface_close(ifaces[0]);
    ifaces[1]->ops->iface_close(ifaces[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_right_key),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_acceptor_unproved),
        cmocka_unit_test(test_pending_cap),
    };

    setenv("VERVE_JOB_KEY", TEST_SECRET, 1);
    unsetenv("VERVE_AUTH");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
