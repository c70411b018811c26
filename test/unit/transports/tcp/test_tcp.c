/*
 * Unit tests of the tcp transport, driven through its ops table between
 * interfaces of this process: framing, sends that queue behind a full
 * socket, connections made from both sides at once, a peer that closes,
 * and bytes that are not frames.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "transports/tcp/tcp.h"
#include "../../../pattern.h"

extern const vt_component_t vt_tcp_component;

#define ID_DATA 5
#define MAX_MSGS 4096

/* ---- a receiver that checks order and contents */

typedef struct rx_state {
    uint64_t expect_uid;
    unsigned count;
    unsigned errors;
    size_t bytes;
} rx_state_t;

static uint8_t pattern(unsigned seq, size_t i)
{
    return pattern_byte(pattern_id(0x7c, seq), i);
}

/* Message seq: a 4-byte sequence number, then seq-derived bytes. */
static size_t msg_length(unsigned seq)
{
    static const size_t sizes[] = {0, 1, 7, 8, 100, 1000, 4095, 4096, 4097,
                                   65536, 200000};
    return sizes[seq % (sizeof(sizes) / sizeof(sizes[0]))];
}

static void rx_handler(void *arg, void *data, size_t length, uint64_t uid)
{
    rx_state_t *st = arg;
    const uint8_t *p = data;
    uint32_t seq;
    size_t i;

    if (length < sizeof(seq) || uid != st->expect_uid) {
        ++st->errors;
        return;
    }
    memcpy(&seq, data, sizeof(seq));
    if (seq != st->count || length - sizeof(seq) != msg_length(seq)) {
        ++st->errors;
    }
    for (i = sizeof(seq); i < length; ++i) {
        if (p[i] != pattern(seq, i - sizeof(seq))) {
            ++st->errors;
            break;
        }
    }
    st->bytes += length;
    ++st->count;
}

static vt_iface_t *iface_open_epoll(uint64_t uid, rx_state_t *st,
                                    int epoll_fd)
{
    vt_iface_params_t params;
    vt_iface_t *iface = NULL;

    memset(&params, 0, sizeof(params));
    params.uid = uid;
    params.epoll_fd = epoll_fd;
    params.am_handlers[ID_DATA] = rx_handler;
    params.am_args[ID_DATA] = st;
    assert_int_equal(vt_tcp_component.iface_open(&params, &iface),
                     VERVE_OK);
    return iface;
}

static vt_iface_t *iface_open(uint64_t uid, rx_state_t *st)
{
    return iface_open_epoll(uid, st, -1);
}

static vt_ep_t *ep_to(vt_iface_t *from, vt_iface_t *to)
{
    vt_iface_caps_t caps;
    uint8_t address[64];
    vt_ep_t *ep = NULL;

    to->ops->iface_query(to, &caps);
    assert_true(caps.address_length <= sizeof(address));
    to->ops->iface_address(to, address);
    assert_true(from->ops->iface_is_reachable(from, address,
                                              caps.address_length));
    assert_int_equal(from->ops->ep_create(from, address, caps.address_length,
                                          &ep), VERVE_OK);
    return ep;
}

typedef struct pack_args {
    unsigned seq;
} pack_args_t;

static size_t pack_msg(void *dest, void *arg)
{
    pack_args_t *args = arg;
    uint8_t *p = dest;
    uint32_t seq = args->seq;
    size_t length = msg_length(seq), i;

    memcpy(p, &seq, sizeof(seq));
    for (i = 0; i < length; ++i) {
        p[sizeof(seq) + i] = pattern(seq, i);
    }
    return sizeof(seq) + length;
}

/* Odd messages as am_short (header + payload), even ones as am_bcopy. */
static verve_status_t send_msg(vt_ep_t *ep, unsigned seq, uint8_t *scratch)
{
    vt_iface_ops_t const *ops = ep->iface->ops;
    pack_args_t args = {seq};
    uint32_t seq32 = seq;
    size_t length = msg_length(seq), i;
    ssize_t packed;

    if (seq % 2 && length <= 60000) {
        for (i = 0; i < length; ++i) {
            scratch[i] = pattern(seq, i);
        }
        return ops->ep_am_short(ep, ID_DATA, &seq32, sizeof(seq32), scratch,
                                length);
    }
    packed = ops->ep_am_bcopy(ep, ID_DATA, pack_msg, &args);
    if (packed < 0) {
        return (verve_status_t)packed;
    }
    assert_int_equal((size_t)packed, sizeof(seq32) + length);
    return VERVE_OK;
}

static void progress_until(vt_iface_t **ifaces, unsigned n,
                           const unsigned *count, unsigned target)
{
    unsigned spins, i;

    for (spins = 0; *count < target && spins < 20000000; ++spins) {
        for (i = 0; i < n; ++i) {
            ifaces[i]->ops->iface_progress(ifaces[i]);
        }
    }
    assert_int_equal(*count, target);
}

/* ---- framing */

static void test_frame_parse(void **state)
{
    uint8_t buffer[64];
    vt_tcp_frame_hdr_t hdr, out;
    vt_tcp_hello_t hello;
    size_t need;

    (void)state;
    vt_tcp_frame_hdr_init(&hdr, VT_TCP_FRAME_AM, 3, 10);
    memcpy(buffer, &hdr, sizeof(hdr));
    /* a partial header, then a partial payload, then the whole frame */
    assert_int_equal(vt_tcp_frame_parse(buffer, 5, 100, &out, &need),
                     VT_TCP_PARSE_MORE);
    assert_int_equal(need, sizeof(hdr));
    assert_int_equal(vt_tcp_frame_parse(buffer, sizeof(hdr) + 9, 100, &out,
                                        &need), VT_TCP_PARSE_MORE);
    assert_int_equal(need, sizeof(hdr) + 10);
    assert_int_equal(vt_tcp_frame_parse(buffer, sizeof(buffer), 100, &out,
                                        &need), VT_TCP_PARSE_OK);
    assert_int_equal(need, sizeof(hdr) + 10);
    assert_int_equal(out.am_id, 3);
    assert_int_equal(out.length, 10);
    /* too long for this receiver */
    assert_int_equal(vt_tcp_frame_parse(buffer, sizeof(buffer), 9, &out,
                                        &need), VT_TCP_PARSE_BAD);
    /* an AM id out of range, an unknown type, a hello of the wrong size */
    vt_tcp_frame_hdr_init(&hdr, VT_TCP_FRAME_AM, VT_AM_ID_MAX, 0);
    memcpy(buffer, &hdr, sizeof(hdr));
    assert_int_equal(vt_tcp_frame_parse(buffer, sizeof(hdr), 100, &out,
                                        &need), VT_TCP_PARSE_BAD);
    vt_tcp_frame_hdr_init(&hdr, 77, 0, 0);
    memcpy(buffer, &hdr, sizeof(hdr));
    assert_int_equal(vt_tcp_frame_parse(buffer, sizeof(hdr), 100, &out,
                                        &need), VT_TCP_PARSE_BAD);
    vt_tcp_frame_hdr_init(&hdr, VT_TCP_FRAME_HELLO, 0, sizeof(hello) + 1);
    memcpy(buffer, &hdr, sizeof(hdr));
    assert_int_equal(vt_tcp_frame_parse(buffer, sizeof(buffer), 100, &out,
                                        &need), VT_TCP_PARSE_BAD);
    /* a zero-length AM is complete with its header alone */
    vt_tcp_frame_hdr_init(&hdr, VT_TCP_FRAME_AM, 0, 0);
    memcpy(buffer, &hdr, sizeof(hdr));
    assert_int_equal(vt_tcp_frame_parse(buffer, sizeof(hdr), 100, &out,
                                        &need), VT_TCP_PARSE_OK);
}

static void test_buf_append(void **state)
{
    vt_tcp_buf_t buf = {0};
    struct iovec iov[3];
    char a[] = "abc", b[] = "defgh", c[] = "ij";

    (void)state;
    iov[0].iov_base = a;
    iov[0].iov_len = 3;
    iov[1].iov_base = b;
    iov[1].iov_len = 5;
    iov[2].iov_base = c;
    iov[2].iov_len = 2;
    /* what a partial sendmsg left: skip the first 4 bytes */
    assert_int_equal(vt_tcp_buf_append_iov(&buf, iov, 3, 4), VERVE_OK);
    assert_int_equal(buf.tail - buf.head, 6);
    assert_memory_equal(buf.data + buf.head, "efghij", 6);
    buf.head += 2;
    assert_int_equal(vt_tcp_buf_append_iov(&buf, iov, 1, 0), VERVE_OK);
    assert_memory_equal(buf.data + buf.head, "ghijabc", 7);
    /* growth keeps the pending bytes */
    assert_int_equal(vt_tcp_buf_reserve(&buf, 1 << 20), VERVE_OK);
    assert_memory_equal(buf.data + buf.head, "ghijabc", 7);
    vt_tcp_buf_cleanup(&buf);
}

static void test_bad_config(void **state)
{
    vt_iface_params_t params;
    vt_iface_t *iface = NULL;

    (void)state;
    memset(&params, 0, sizeof(params));
    params.uid = 1;
    params.epoll_fd = -1;
    setenv("VERVE_TCP_PORT_RANGE", "9-2", 1);
    assert_int_equal(vt_tcp_component.iface_open(&params, &iface),
                     VERVE_ERR_INVALID_CONFIG);
    unsetenv("VERVE_TCP_PORT_RANGE");
    setenv("VERVE_TCP_IF", "no-such-if0", 1);
    assert_int_not_equal(vt_tcp_component.iface_open(&params, &iface),
                         VERVE_OK);
    unsetenv("VERVE_TCP_IF");
    assert_null(iface);
}

/* ---- traffic */

/* Many messages of every protocol, each side to itself and to the other. */
static void test_stream(void **state)
{
    rx_state_t st_a = {.expect_uid = 0xa}, st_b = {.expect_uid = 0xa};
    vt_iface_t *ifaces[2];
    uint8_t *scratch = malloc(1 << 18);
    vt_ep_t *ep;
    unsigned seq, n = 300;

    (void)state;
    ifaces[0] = iface_open(0xa, &st_a);
    ifaces[1] = iface_open(0xb, &st_b);
    ep = ep_to(ifaces[0], ifaces[1]);
    for (seq = 0; seq < n; ++seq) {
        verve_status_t status;
        while ((status = send_msg(ep, seq, scratch)) ==
               VERVE_ERR_NO_RESOURCE) {
            ifaces[0]->ops->iface_progress(ifaces[0]);
            ifaces[1]->ops->iface_progress(ifaces[1]);
        }
        assert_int_equal(status, VERVE_OK);
    }
    progress_until(ifaces, 2, &st_b.count, n);
    assert_int_equal(st_b.errors, 0);
    ifaces[0]->ops->ep_destroy(ep);
    /* a worker's endpoint to itself */
    ep = ep_to(ifaces[0], ifaces[0]);
    for (seq = 0; seq < 50; ++seq) {
        assert_int_equal(send_msg(ep, seq, scratch), VERVE_OK);
    }
    progress_until(ifaces, 1, &st_a.count, 50);
    assert_int_equal(st_a.errors, 0);
    ifaces[0]->ops->ep_destroy(ep);
    ifaces[0]->ops->iface_close(ifaces[0]);
    ifaces[1]->ops->iface_close(ifaces[1]);
    free(scratch);
}

/* A tiny send buffer and a receiver that does not read: sends queue, then
 * fail with no-resource, and nothing is lost or reordered. */
static void test_partial_writes(void **state)
{
    rx_state_t st_b = {.expect_uid = 0xa};
    vt_iface_t *ifaces[2];
    uint8_t *scratch = malloc(1 << 18);
    verve_status_t status = VERVE_OK;
    unsigned seq, sent;
    vt_ep_t *ep;

    (void)state;
    setenv("VERVE_TCP_SNDBUF", "4k", 1);
    setenv("VERVE_TCP_TX_QUEUE_MAX", "256k", 1);
    ifaces[0] = iface_open(0xa, NULL);
    ifaces[1] = iface_open(0xb, &st_b);
    unsetenv("VERVE_TCP_SNDBUF");
    unsetenv("VERVE_TCP_TX_QUEUE_MAX");
    ep = ep_to(ifaces[0], ifaces[1]);
    /* The receiver does not even accept yet: the kernel holds what fits
     * in its buffers, our queue the rest. */
    for (seq = 0; seq < MAX_MSGS; ++seq) {
        status = send_msg(ep, seq, scratch);
        if (status != VERVE_OK) {
            break;
        }
        ifaces[0]->ops->iface_progress(ifaces[0]);
    }
    assert_int_equal(status, VERVE_ERR_NO_RESOURCE);
    sent = seq;
    assert_true(sent > 1);
    assert_int_equal(st_b.count, 0);
    for (; seq < sent + 40; ++seq) {
        while ((status = send_msg(ep, seq, scratch)) ==
               VERVE_ERR_NO_RESOURCE) {
            ifaces[0]->ops->iface_progress(ifaces[0]);
            ifaces[1]->ops->iface_progress(ifaces[1]);
        }
        assert_int_equal(status, VERVE_OK);
    }
    progress_until(ifaces, 2, &st_b.count, sent + 40);
    assert_int_equal(st_b.errors, 0);
    ifaces[0]->ops->ep_destroy(ep);
    ifaces[0]->ops->iface_close(ifaces[0]);
    ifaces[1]->ops->iface_close(ifaces[1]);
    free(scratch);
}

/* Both sides connect at once, or nearly: each message arrives exactly
 * once, in order, from the right worker, and the pair ends with one
 * connection, used both ways. Run with either side's uid the smaller and
 * either side progressing first. */
static void simultaneous_connect(uint64_t uid_a, uint64_t uid_b,
                                 unsigned head_start)
{
    rx_state_t st_a = {.expect_uid = uid_b}, st_b = {.expect_uid = uid_a};
    uint8_t scratch[8192];
    vt_iface_t *ifaces[2];
    vt_tcp_iface_t *ia, *ib;
    vt_ep_t *ab, *ba;
    unsigned seq, total = 9, i;

    ifaces[0] = iface_open(uid_a, &st_a);
    ifaces[1] = iface_open(uid_b, &st_b);
    ab = ep_to(ifaces[0], ifaces[1]);
    ba = ep_to(ifaces[1], ifaces[0]);
    for (seq = 0; seq < total; ++seq) {
        assert_int_equal(send_msg(ab, seq, scratch), VERVE_OK);
        /* a's connection may get ahead before b connects too */
        for (i = 0; i < head_start; ++i) {
            ifaces[0]->ops->iface_progress(ifaces[0]);
            ifaces[1]->ops->iface_progress(ifaces[1]);
        }
        assert_int_equal(send_msg(ba, seq, scratch), VERVE_OK);
    }
    progress_until(ifaces, 2, &st_a.count, total);
    progress_until(ifaces, 2, &st_b.count, total);
    /* nothing more comes: no duplicates */
    for (seq = 0; seq < 20000; ++seq) {
        ifaces[0]->ops->iface_progress(ifaces[0]);
        ifaces[1]->ops->iface_progress(ifaces[1]);
    }
    assert_int_equal(st_a.count, total);
    assert_int_equal(st_b.count, total);
    assert_int_equal(st_a.errors + st_b.errors, 0);
    ia = vs_container_of(ifaces[0], vt_tcp_iface_t, super);
    ib = vs_container_of(ifaces[1], vt_tcp_iface_t, super);
    assert_int_equal(ia->num_rx, 1);
    assert_int_equal(ib->num_rx, 1);
    assert_int_equal(vs_list_length(&ia->all), 1);
    assert_int_equal(vs_list_length(&ib->all), 1);
    ifaces[0]->ops->ep_destroy(ab);
    ifaces[1]->ops->ep_destroy(ba);
    ifaces[0]->ops->iface_close(ifaces[0]);
    ifaces[1]->ops->iface_close(ifaces[1]);
}

static void test_simultaneous_connect(void **state)
{
    static const unsigned head_starts[] = {0, 1, 3, 50};
    unsigned i;

    (void)state;
    for (i = 0; i < sizeof(head_starts) / sizeof(head_starts[0]); ++i) {
        simultaneous_connect(0xa, 0xb, head_starts[i]);
        simultaneous_connect(0xb, 0xa, head_starts[i]);
    }
}

/* A worker asleep on its epoll set wakes when a message comes, whether
 * its interface reads one socket directly or several through epoll. */
static void test_wakeup(void **state)
{
    rx_state_t st_b = {.expect_uid = 0xa}, st_c = {.expect_uid = 0xb};
    struct epoll_event event;
    uint8_t scratch[64];
    vt_iface_t *ifaces[2], *pair[2], *other;
    vt_ep_t *ep, *other_ep;
    int worker_fd, round;

    (void)state;
    worker_fd = epoll_create1(EPOLL_CLOEXEC);
    assert_true(worker_fd >= 0);
    ifaces[0] = iface_open(0xa, NULL);
    ifaces[1] = iface_open_epoll(0xb, &st_b, worker_fd);
    ep = ep_to(ifaces[0], ifaces[1]);
    other = NULL;
    other_ep = NULL;
    /* connected and accepted first: the listener wakes nobody below */
    assert_int_equal(send_msg(ep, 0, scratch), VERVE_OK);
    progress_until(ifaces, 2, &st_b.count, 1);
    for (round = 0; round < 2; ++round) {
        unsigned seq = st_b.count;
        if (round == 1) {
            /* a second peer: b now reads through epoll */
            other = iface_open(0xc, &st_c);
            other_ep = ep_to(ifaces[1], other);
            assert_int_equal(send_msg(other_ep, 0, scratch), VERVE_OK);
            pair[0] = ifaces[1];
            pair[1] = other;
            progress_until(pair, 2, &st_c.count, 1);
            assert_int_equal(send_msg(ep, seq, scratch), VERVE_OK);
            progress_until(ifaces, 2, &st_b.count, seq + 1);
            ++seq;
        }
        /* idle: armed, and nothing wakes the worker */
        while (ifaces[1]->ops->iface_arm(ifaces[1]) != VERVE_OK) {
            ifaces[0]->ops->iface_progress(ifaces[0]);
            ifaces[1]->ops->iface_progress(ifaces[1]);
        }
        assert_int_equal(epoll_wait(worker_fd, &event, 1, 0), 0);
        assert_int_equal(send_msg(ep, seq, scratch), VERVE_OK);
        for (int i = 0; i < 1000; ++i) {
            ifaces[0]->ops->iface_progress(ifaces[0]);
        }
        assert_int_equal(epoll_wait(worker_fd, &event, 1, 10000), 1);
        progress_until(&ifaces[1], 1, &st_b.count, seq + 1);
        assert_int_equal(st_b.errors, 0);
    }
    ifaces[1]->ops->ep_destroy(other_ep);
    ifaces[0]->ops->ep_destroy(ep);
    other->ops->iface_close(other);
    ifaces[0]->ops->iface_close(ifaces[0]);
    ifaces[1]->ops->iface_close(ifaces[1]);
    close(worker_fd);
}

/* The peer closes: the endpoint reports it, and later sends fail. */
static void test_peer_close(void **state)
{
    rx_state_t st_b = {.expect_uid = 0xa};
    uint8_t scratch[64];
    vt_iface_t *ifaces[2];
    verve_status_t status = VERVE_OK;
    unsigned spins;
    vt_ep_t *ep;

    (void)state;
    ifaces[0] = iface_open(0xa, NULL);
    ifaces[1] = iface_open(0xb, &st_b);
    ep = ep_to(ifaces[0], ifaces[1]);
    assert_int_equal(ifaces[0]->ops->ep_check(ep), VERVE_OK);
    assert_int_equal(send_msg(ep, 0, scratch), VERVE_OK);
    progress_until(ifaces, 2, &st_b.count, 1);
    assert_int_equal(ifaces[0]->ops->ep_check(ep), VERVE_OK);
    ifaces[1]->ops->iface_close(ifaces[1]);
    for (spins = 0; spins < 1000000; ++spins) {
        status = ifaces[0]->ops->ep_check(ep);
        if (status != VERVE_OK) {
            break;
        }
        ifaces[0]->ops->iface_progress(ifaces[0]);
    }
    assert_int_equal(status, VERVE_ERR_PEER_FAILED);
    assert_int_equal(send_msg(ep, 1, scratch), VERVE_ERR_PEER_FAILED);
    assert_int_equal(ifaces[0]->ops->ep_flush(ep, NULL),
                     VERVE_ERR_PEER_FAILED);
    ifaces[0]->ops->ep_destroy(ep);
    ifaces[0]->ops->iface_close(ifaces[0]);
}

/* A peer that is gone before the first send: the connect fails. */
static void test_connect_refused(void **state)
{
    vt_iface_t *ifaces[2];
    uint8_t scratch[64];
    verve_status_t status;
    unsigned spins;
    vt_ep_t *ep;

    (void)state;
    ifaces[0] = iface_open(0xa, NULL);
    ifaces[1] = iface_open(0xb, NULL);
    ep = ep_to(ifaces[0], ifaces[1]);
    ifaces[1]->ops->iface_close(ifaces[1]);
    status = send_msg(ep, 0, scratch);
    for (spins = 0; status == VERVE_OK && spins < 1000000; ++spins) {
        ifaces[0]->ops->iface_progress(ifaces[0]);
        status = ifaces[0]->ops->ep_check(ep);
    }
    assert_int_equal(status, VERVE_ERR_PEER_FAILED);
    ifaces[0]->ops->ep_destroy(ep);
    ifaces[0]->ops->iface_close(ifaces[0]);
}

/* Bytes that are not frames close that connection only. */
static void test_garbage(void **state)
{
    rx_state_t st_b = {.expect_uid = 0xa};
    static const char junk[] = "GET / HTTP/1.0\r\n\r\n";
    vt_tcp_iface_addr_t addr;
    struct sockaddr_in sin;
    vt_iface_t *ifaces[2];
    uint8_t scratch[64];
    char byte;
    ssize_t ret;
    unsigned spins;
    vt_ep_t *ep;
    int fd;

    (void)state;
    ifaces[0] = iface_open(0xa, NULL);
    ifaces[1] = iface_open(0xb, &st_b);
    ifaces[1]->ops->iface_address(ifaces[1], &addr);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = addr.ipv4;
    sin.sin_port = addr.port;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(send(fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
    /* the interface closes the stream: our read sees its end */
    for (spins = 0; spins < 200000; ++spins) {
        ifaces[1]->ops->iface_progress(ifaces[1]);
        ret = recv(fd, &byte, 1, MSG_DONTWAIT);
        if (ret == 0 || (ret < 0 && errno == ECONNRESET)) {
            break;
        }
    }
    assert_true(spins < 200000);
    close(fd);
    assert_int_equal(st_b.count, 0);
    /* and still serves real peers */
    ep = ep_to(ifaces[0], ifaces[1]);
    assert_int_equal(send_msg(ep, 0, scratch), VERVE_OK);
    progress_until(ifaces, 2, &st_b.count, 1);
    assert_int_equal(st_b.errors, 0);
    ifaces[0]->ops->ep_destroy(ep);
    ifaces[0]->ops->iface_close(ifaces[0]);
    ifaces[1]->ops->iface_close(ifaces[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_parse),
        cmocka_unit_test(test_buf_append),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_partial_writes),
        cmocka_unit_test(test_simultaneous_connect),
        cmocka_unit_test(test_wakeup),
        cmocka_unit_test(test_peer_close),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_garbage),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
