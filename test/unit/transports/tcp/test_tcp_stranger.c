/*
 * A stranger against a tcp interface: a process that reaches a worker's
 * port but does not hold the job key. It must not get a message to a
 * handler, must not replace the connection of the worker it claims to be,
 * and must not make the interface hold memory (issue 14: an AM delivered
 * from user nobody; RSS 4 MB -> 414 MB after 100 partial 4 MiB frames).
 * Written against what any version of the wire has (HELLO, AM frames),
 * so that it fails on a transport that trusts a HELLO.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include "tcp_stranger.h"

#define NUM_STRANGERS 100
#define CLAIMED_FRAME (4u << 20)
#define SENT_PER_STRANGER (1u << 20)
#define RSS_SLACK (20u << 20)

static void send_am(vt_ep_t *ep, uint32_t value)
{
    verve_status_t status;

    status = ep->iface->ops->ep_am_short(ep, STRANGER_AM_ID, &value,
                                         sizeof(value), NULL, 0);
    assert_int_equal(status, VERVE_OK);
}

static void progress_until(vt_iface_t **ifaces, const unsigned *count,
                           unsigned target)
{
    for (unsigned spins = 0; *count < target && spins < 2000000; ++spins) {
        stranger_progress(ifaces, 2, 1);
    }
    assert_int_equal(*count, target);
}

/* A stranger claims worker A's uid (the smaller one, which wins a pair)
 * and sends an AM: the AM reaches no handler, the stream is closed, and
 * A and B keep talking over their own connection. */
static void test_injection(void **state)
{
    stranger_rx_t rx_a = {0}, rx_b = {0};
    vt_iface_t *ifaces[2];
    vt_ep_t *ab, *ba;
    uint32_t value = 0xbad;
    int fd;

    (void)state;
    ifaces[0] = stranger_iface_open(0xa, &rx_a);
    ifaces[1] = stranger_iface_open(0xb, &rx_b);
    assert_non_null(ifaces[0]);
    assert_non_null(ifaces[1]);
    ab = stranger_ep_to(ifaces[0], ifaces[1]);
    ba = stranger_ep_to(ifaces[1], ifaces[0]);
    assert_non_null(ab);
    assert_non_null(ba);
    send_am(ab, 1);
    progress_until(ifaces, &rx_b.count, 1);
    send_am(ba, 1);
    progress_until(ifaces, &rx_a.count, 1);

    fd = stranger_connect(ifaces[1]);
    assert_true(fd >= 0);
    assert_int_equal(stranger_send_hello(fd, 0xa), 0);
    assert_int_equal(stranger_send_frame(fd, VT_TCP_FRAME_AM, STRANGER_AM_ID,
                                         &value, sizeof(value)), 0);
    stranger_progress(ifaces, 2, 20000);
    assert_int_equal(rx_b.count, 1);
    assert_true(stranger_wait_closed(ifaces[1], fd));
    close(fd);
    stranger_progress(ifaces, 2, 20000);

    /* the pair's own connection still carries both ways */
    assert_int_equal(ifaces[1]->ops->ep_check(ba), VERVE_OK);
    assert_int_equal(ifaces[0]->ops->ep_check(ab), VERVE_OK);
    send_am(ba, 2);
    progress_until(ifaces, &rx_a.count, 2);
    send_am(ab, 2);
    progress_until(ifaces, &rx_b.count, 2);
    assert_int_equal(rx_b.last_uid, 0xa);
    assert_int_equal(rx_a.last_uid, 0xb);

    ifaces[0]->ops->ep_destroy(ab);
    ifaces[1]->ops->ep_destroy(ba);
    ifaces[0]->ops->iface_close(ifaces[0]);
    ifaces[1]->ops->iface_close(ifaces[1]);
}

/* Sends up to `length` bytes of a frame's body without blocking, while
 * the interface progresses; stops when the interface closed the stream. */
static void stranger_push(vt_iface_t *iface, int fd, const char *data,
                          size_t length)
{
    size_t sent = 0;
    ssize_t n;

    for (unsigned spins = 0; sent < length && spins < 100000; ++spins) {
        n = send(fd, data + sent, length - sent,
                 MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return;
        }
        iface->ops->iface_progress(iface);
    }
}

/* NUM_STRANGERS connections each start a frame that claims 4 MiB and send
 * 1 MiB of it: first with no HELLO, kept open, then after a HELLO, and
 * closed. The interface's resident memory stays flat through both. */
static void test_rss_flat(void **state)
{
    char *body = calloc(1, SENT_PER_STRANGER);
    vt_tcp_frame_hdr_t hdr;
    stranger_rx_t rx = {0};
    size_t rss0, rss_open, rss_closed;
    int fds[NUM_STRANGERS];
    vt_iface_t *iface;

    (void)state;
    assert_non_null(body);
    iface = stranger_iface_open(0xb, &rx);
    assert_non_null(iface);
    stranger_progress(&iface, 1, 1000);
    rss0 = stranger_rss();

    vt_tcp_frame_hdr_init(&hdr, VT_TCP_FRAME_AM, STRANGER_AM_ID,
                          CLAIMED_FRAME);
    for (unsigned i = 0; i < NUM_STRANGERS; ++i) {
        fds[i] = stranger_connect(iface);
        assert_true(fds[i] >= 0);
        stranger_push(iface, fds[i], (const char *)&hdr, sizeof(hdr));
        stranger_push(iface, fds[i], body, SENT_PER_STRANGER);
    }
    stranger_progress(&iface, 1, 20000);
    rss_open = stranger_rss();
    for (unsigned i = 0; i < NUM_STRANGERS; ++i) {
        close(fds[i]);
    }

    for (unsigned i = 0; i < NUM_STRANGERS; ++i) {
        fds[i] = stranger_connect(iface);
        assert_true(fds[i] >= 0);
        assert_int_equal(stranger_send_hello(fds[i], 0x100 + i), 0);
        stranger_push(iface, fds[i], (const char *)&hdr, sizeof(hdr));
        stranger_push(iface, fds[i], body, SENT_PER_STRANGER);
        close(fds[i]);
        stranger_progress(&iface, 1, 100);
    }
    stranger_progress(&iface, 1, 20000);
    rss_closed = stranger_rss();

    printf("# RSS: %zu kB at start, %zu kB with %u strangers holding "
           "partial frames, %zu kB after %u more closed theirs\n",
           rss0 >> 10, rss_open >> 10, NUM_STRANGERS, rss_closed >> 10,
           NUM_STRANGERS);
    assert_int_equal(rx.count, 0);
    assert_true(rss_open < rss0 + RSS_SLACK);
    assert_true(rss_closed < rss0 + RSS_SLACK);
    iface->ops->iface_close(iface);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_injection),
        cmocka_unit_test(test_rss_flat),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
