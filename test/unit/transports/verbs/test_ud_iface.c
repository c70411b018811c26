/*
 * The ud transport over a real device: two interfaces of this process
 * exchange checked active messages of every size up to the largest through
 * the ops table, both ways. Exits 77 (skip) where there is no RDMA device;
 * the SoftRoCE guest (contrib/softroce-vm/vm-run) has one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "core/base/time.h"
#include "transports/verbs/ud.h"

#define AM_ID 3
#define NUM_MSGS 400
/* One process with this many ud endpoints, each to a peer of its own,
 * stays within EP_BYTES_MAX of heap per endpoint: the endpoint, the peer
 * with its reliability state, the address handle's user half and the
 * peer table's share. (The handle's kernel half is not ours to count.) */
#define MANY_EPS 1000
#define EP_BYTES_MAX 512

typedef struct side {
    vt_iface_t *iface;
    vt_ep_t *ep;             /* to the other side */
    uint64_t uid;
    uint64_t received;
    uint64_t bad;
    uint64_t sent;
    size_t max;
} side_t;

static side_t sides[2];

static size_t msg_length(uint64_t k, size_t max)
{
    return (size_t)((k * 2654435761u) % (max + 1));
}

static uint8_t msg_byte(uint64_t k, size_t i)
{
    return (uint8_t)(k * 31 + i * 7 + (i >> 8));
}

static void am_handler(void *arg, void *data, size_t length,
                       uint64_t src_uid)
{
    side_t *side = arg;
    side_t *other = &sides[side == &sides[0] ? 1 : 0];
    uint64_t k = side->received++;
    const uint8_t *bytes = data;

    if ((src_uid != other->uid) || (length != msg_length(k, side->max))) {
        ++side->bad;
        return;
    }
    for (size_t i = 0; i < length; ++i) {
        if (bytes[i] != msg_byte(k, i)) {
            ++side->bad;
            return;
        }
    }
}

typedef struct pack_arg {
    uint64_t k;
    size_t length;
} pack_arg_t;

static size_t pack_msg(void *dest, void *arg)
{
    pack_arg_t *p = arg;
    uint8_t *bytes = dest;

    for (size_t i = 0; i < p->length; ++i) {
        bytes[i] = msg_byte(p->k, i);
    }
    return p->length;
}

static int open_sides(void)
{
    vt_iface_params_t params;
    vt_iface_caps_t caps;
    uint8_t address[2][sizeof(vt_verbs_addr_t)];
    verve_status_t status;

    for (int s = 0; s < 2; ++s) {
        memset(&params, 0, sizeof(params));
        sides[s].uid = 0x5eed000000000000ull + (uint64_t)s + 1;
        params.uid = sides[s].uid;
        params.am_handlers[AM_ID] = am_handler;
        params.am_args[AM_ID] = &sides[s];
        params.epoll_fd = -1;
        status = vt_ud_iface_open(&params, &sides[s].iface);
        if (status == VERVE_ERR_NO_ELEM) {
            return 0;
        }
        assert_int_equal(status, VERVE_OK);
        sides[s].iface->ops->iface_query(sides[s].iface, &caps);
        assert_int_equal(caps.address_length, sizeof(address[s]));
        sides[s].max = caps.am_bcopy_max;
        sides[s].iface->ops->iface_address(sides[s].iface, address[s]);
    }
    for (int s = 0; s < 2; ++s) {
        assert_true(sides[s].iface->ops->iface_is_reachable(
            sides[s].iface, address[!s], sizeof(address[!s])));
        assert_int_equal(sides[s].iface->ops->ep_create(
                             sides[s].iface, address[!s],
                             sizeof(address[!s]), &sides[s].ep),
                         VERVE_OK);
    }
    return 1;
}

static void print_stats(void)
{
    for (int s = 0; s < 2; ++s) {
        vt_ud_iface_t *iface = vs_container_of(sides[s].iface,
                                               vt_ud_iface_t, super);
        char line[256];

        print_message("side %d: sent %llu received %llu; engine: %s\n", s,
                      (unsigned long long)sides[s].sent,
                      (unsigned long long)sides[s].received,
                      vt_ud_rel_stats_str(&iface->rel.stats, line,
                                          sizeof(line)));
    }
}

static void progress_both(void)
{
    for (int s = 0; s < 2; ++s) {
        sides[s].iface->ops->iface_progress(sides[s].iface);
    }
}

/* Every size from 0 to the largest, both ways at once, alternating short
 * and bcopy; then a flush that polls to VERVE_OK. */
static void test_am_both_ways(void **state)
{
    uint64_t deadline = vs_time_ns() + 60ull * 1000000000ull;
    uint8_t *buffer;

    (void)state;
    buffer = malloc(sides[0].max);
    assert_non_null(buffer);
    while ((sides[0].received < NUM_MSGS) ||
           (sides[1].received < NUM_MSGS)) {
        for (int s = 0; s < 2; ++s) {
            side_t *side = &sides[s];
            while (side->sent < NUM_MSGS) {
                uint64_t k = side->sent;
                size_t length = msg_length(k, sides[!s].max);
                ssize_t ret;

                if (k % 2) {
                    for (size_t i = 0; i < length; ++i) {
                        buffer[i] = msg_byte(k, i);
                    }
                    ret = side->ep->iface->ops->ep_am_short(
                        side->ep, AM_ID, buffer, vs_min(length, 8),
                        buffer + vs_min(length, 8),
                        length - vs_min(length, 8));
                } else {
                    pack_arg_t arg = {k, length};
                    ret = side->ep->iface->ops->ep_am_bcopy(
                        side->ep, AM_ID, pack_msg, &arg);
                    if (ret >= 0) {
                        assert_int_equal(ret, (ssize_t)length);
                        ret = VERVE_OK;
                    }
                }
                if (ret == VERVE_ERR_NO_RESOURCE) {
                    break;
                }
                if (ret != VERVE_OK) {
                    print_stats();
                }
                assert_int_equal(ret, VERVE_OK);
                ++side->sent;
            }
        }
        progress_both();
        assert_true(vs_time_ns() < deadline);
    }
    print_stats();
    for (int s = 0; s < 2; ++s) {
        verve_status_t status;
        assert_int_equal(sides[s].bad, 0);
        assert_int_equal(sides[s].received, NUM_MSGS);
        while ((status = sides[s].ep->iface->ops->ep_flush(sides[s].ep,
                                                           NULL)) ==
               VERVE_INPROGRESS) {
            progress_both();
            assert_true(vs_time_ns() < deadline);
        }
        assert_int_equal(status, VERVE_OK);
        assert_int_equal(sides[s].ep->iface->ops->ep_check(sides[s].ep),
                         VERVE_OK);
    }
    free(buffer);
}

/* Waits on an iface's wakeup fds the way a worker does. */
static int wait_iface(side_t *side, int timeout_ms)
{
    vt_ud_iface_t *iface = vs_container_of(side->iface, vt_ud_iface_t,
                                           super);
    struct epoll_event event = {.events = EPOLLIN};
    struct epoll_event out;
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    int n;

    assert_true(epfd >= 0);
    assert_int_equal(epoll_ctl(epfd, EPOLL_CTL_ADD, iface->channel->fd,
                               &event), 0);
    assert_int_equal(epoll_ctl(epfd, EPOLL_CTL_ADD, iface->timer_fd,
                               &event), 0);
    n = epoll_wait(epfd, &out, 1, timeout_ms);
    close(epfd);
    return n;
}

/* Arms an iface that has nothing left to do but wait for its peer: it
 * must end up asleep (VERVE_OK). VERVE_ERR_BUSY is allowed only while
 * there is work, which its own progress does (a send completion to
 * reap, a retransmission due): a few times, not once per spin until the
 * peer is given up for silent. The peer is not progressed, so nothing it
 * does can make this return OK. */
#define ARM_BUSY_MAX 1000

static void arm_until_ok(side_t *side, uint64_t deadline)
{
    verve_status_t status;
    unsigned busy = 0;

    while ((status = side->iface->ops->iface_arm(side->iface)) ==
           VERVE_ERR_BUSY) {
        if (++busy == ARM_BUSY_MAX) {
            print_stats();
            fail_msg("iface_arm refused to sleep %u times in a row with "
                     "only a peer's ack to wait for", busy);
        }
        side->iface->ops->iface_progress(side->iface);
        assert_true(vs_time_ns() < deadline);
    }
    assert_int_equal(status, VERVE_OK);
}

/* A worker asleep in epoll wakes for an arriving message, and for its own
 * retransmission timer when the peer is silent. Every wait is asserted:
 * an arm that refuses to sleep where it should fails the test instead of
 * skipping the check. */
static void test_wakeup(void **state)
{
    uint64_t deadline = vs_time_ns() + 60ull * 1000000000ull;
    uint64_t k = sides[1].received;
    size_t length = msg_length(k, sides[1].max);
    uint8_t *buffer = malloc(length + 1);
    verve_status_t status;

    (void)state;
    assert_non_null(buffer);
    for (size_t i = 0; i < length; ++i) {
        buffer[i] = msg_byte(k, i);
    }
    /* Both quiet: arming succeeds and nothing wakes them. */
    for (int s = 0; s < 2; ++s) {
        while ((status = sides[s].iface->ops->iface_arm(sides[s].iface)) ==
               VERVE_ERR_BUSY) {
            progress_both();
            assert_true(vs_time_ns() < deadline);
        }
        assert_int_equal(status, VERVE_OK);
    }
    for (int s = 0; s < 2; ++s) {
        assert_int_equal(wait_iface(&sides[s], 0), 0);
    }
    /* Side 1 stays armed and asleep; side 0 wakes up to send. */
    sides[0].iface->ops->iface_progress(sides[0].iface);
    assert_int_equal(sides[0].ep->iface->ops->ep_am_short(
                         sides[0].ep, AM_ID, NULL, 0, buffer, length),
                     VERVE_OK);
    /* The message wakes the sleeping receiver. */
    assert_int_equal(wait_iface(&sides[1], 30000), 1);
    /* The sender sleeps too, with its message unacknowledged (side 1 has
     * not progressed): its retransmission timer (or the message's send
     * completion) wakes it. */
    arm_until_ok(&sides[0], deadline);
    assert_int_equal(wait_iface(&sides[0], 30000), 1);
    while (sides[1].received == k) {
        progress_both();
        assert_true(vs_time_ns() < deadline);
    }
    assert_int_equal(sides[1].received, k + 1);
    assert_int_equal(sides[1].bad, 0);
    /* Nobody slept so long, or spun so long, that a peer was given up. */
    for (int s = 0; s < 2; ++s) {
        assert_int_equal(sides[s].ep->iface->ops->ep_check(sides[s].ep),
                         VERVE_OK);
    }
    free(buffer);
}

/* 1,000 endpoints to as many peers (uids of their own, at the other
 * side's QP: the handles are real, no message is sent), measured by the
 * heap in use before and after. */
static void test_many_eps(void **state)
{
    uint8_t address[sizeof(vt_verbs_addr_t)];
    vt_verbs_addr_t addr;
    struct mallinfo2 before, after;
    vt_ep_t **eps;
    size_t per_ep;

    (void)state;
    sides[1].iface->ops->iface_address(sides[1].iface, address);
    assert_true(vt_verbs_addr_parse(address, sizeof(address),
                                    VT_UD_ADDR_MAGIC, &addr));
    eps = calloc(MANY_EPS, sizeof(*eps));
    assert_non_null(eps);
    before = mallinfo2();
    for (unsigned i = 0; i < MANY_EPS; ++i) {
        vt_ud_iface_t *iface = vs_container_of(sides[0].iface,
                                               vt_ud_iface_t, super);
        vt_verbs_addr_pack(iface->dev, VT_UD_ADDR_MAGIC, addr.qpn,
                           0x3a4e000000000000ull + i, address);
        assert_int_equal(sides[0].iface->ops->ep_create(
                             sides[0].iface, address, sizeof(address),
                             &eps[i]), VERVE_OK);
    }
    after = mallinfo2();
    per_ep = (after.uordblks - before.uordblks) / MANY_EPS;
    print_message("%u ud endpoints to as many peers: %zu bytes of heap "
                  "each (bound %u)\n", MANY_EPS, per_ep, EP_BYTES_MAX);
    assert_true(after.uordblks >= before.uordblks);
    assert_true(per_ep <= EP_BYTES_MAX);
    for (unsigned i = 0; i < MANY_EPS; ++i) {
        sides[0].iface->ops->ep_destroy(eps[i]);
    }
    free(eps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_am_both_ways),
        cmocka_unit_test(test_wakeup),
        cmocka_unit_test(test_many_eps),
    };
    int ret;

    if (!open_sides()) {
        printf("SKIP: no usable RDMA device here (run it inside "
               "contrib/softroce-vm/vm-run)\n");
        return 77;
    }
    ret = cmocka_run_group_tests(tests, NULL, NULL);
    for (int s = 0; s < 2; ++s) {
        sides[s].iface->ops->ep_destroy(sides[s].ep);
        sides[s].iface->ops->iface_close(sides[s].iface);
    }
    return ret;
}
