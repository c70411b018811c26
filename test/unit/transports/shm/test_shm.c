/*
 * Unit tests of the shared-memory transport, driven directly through its
 * ops table between this process and a forked child.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/epoll.h>
#include "shm_test_util.h"

#define BCOPY_MAX 8192
#define FIFO_SLOTS 4096    /* the default VERVE_SHM_FIFO_SIZE of 256k */
#define SHORT_MAX 48
#define ID_SHORT 1
#define ID_BCOPY 2

/* ---- message generator: message k has an id, a length and a pattern */

typedef struct msg_spec {
    uint8_t id;
    uint16_t length;
} msg_spec_t;

/* Every short size, every small bcopy size, and each side of every slot
 * boundary up to BCOPY_MAX. */
static size_t size_specs(msg_spec_t *specs)
{
    size_t n = 0;
    for (uint16_t len = 0; len <= SHORT_MAX; ++len) {
        specs[n++] = (msg_spec_t){ID_SHORT, len};
    }
    for (uint16_t len = 0; len <= 200; ++len) {
        specs[n++] = (msg_spec_t){ID_BCOPY, len};
    }
    for (unsigned slots = 4; slots <= BCOPY_MAX / 64 + 1; ++slots) {
        for (int d = -1; d <= 1; ++d) {
            long len = (long)slots * 64 - 16 + d;
            if (len <= BCOPY_MAX) {
                specs[n++] = (msg_spec_t){ID_BCOPY, (uint16_t)len};
            }
        }
    }
    specs[n++] = (msg_spec_t){ID_BCOPY, BCOPY_MAX - 1};
    specs[n++] = (msg_spec_t){ID_BCOPY, BCOPY_MAX};
    /* Multi-slot am_short, allowed up to bcopy max. */
    specs[n++] = (msg_spec_t){ID_SHORT, 49};
    specs[n++] = (msg_spec_t){ID_SHORT, 1000};
    return n;
}

#define MAX_SPECS 1024

/* ---- receiver state, checked by the handler */

typedef struct rx_state {
    const msg_spec_t *specs;     /* NULL: seq numbers only */
    uint64_t count;
    uint64_t errors;
    uint64_t src_uid;
} rx_state_t;

static void rx_handler(void *arg, void *data, size_t length, uint64_t uid)
{
    rx_state_t *rx = arg;
    uint64_t k = rx->count++;
    const uint8_t *p = data;

    if (uid != rx->src_uid) {
        ++rx->errors;
        return;
    }
    if (rx->specs == NULL) {
        /* Ordering: the first 8 bytes hold the message number. */
        uint64_t seq;
        if (length < sizeof(seq)) {
            ++rx->errors;
            return;
        }
        memcpy(&seq, data, sizeof(seq));
        if (seq != k) {
            if (rx->errors++ == 0) {
                fprintf(stderr, "message %llu carries seq %llu\n",
                        (unsigned long long)k, (unsigned long long)seq);
            }
        }
        for (size_t i = sizeof(seq); i < length; ++i) {
            if (p[i] != pattern_byte(k, i)) {
                ++rx->errors;
                break;
            }
        }
        return;
    }
    if (length != rx->specs[k].length) {
        if (rx->errors++ == 0) {
            fprintf(stderr, "message %llu: length %zu, expected %u\n",
                    (unsigned long long)k, length, rx->specs[k].length);
        }
        return;
    }
    for (size_t i = 0; i < length; ++i) {
        if (p[i] != pattern_byte(k, i)) {
            if (rx->errors++ == 0) {
                fprintf(stderr, "message %llu (%zu bytes): byte %zu is %u\n",
                        (unsigned long long)k, length, i, p[i]);
            }
            return;
        }
    }
}

/* Parent: progresses until count messages arrived, failing if the child
 * dies first. */
static void parent_receive(vt_iface_t *iface, rx_state_t *rx, uint64_t count,
                           const shm_peer_t *peer)
{
    uint64_t idle = 0;
    int wstatus;

    while (rx->count < count) {
        if (iface->ops->iface_progress(iface) != 0) {
            idle = 0;
            continue;
        }
        if (++idle % (1u << 20) == 0 &&
            waitpid(peer->pid, &wstatus, WNOHANG) == peer->pid) {
            /* Drain what it left, then give up. */
            while (iface->ops->iface_progress(iface) != 0) {
            }
            assert_int_equal(rx->count, count);
            fail_msg("child exited before sending everything");
        }
    }
}

/* ---- senders */

typedef struct pack_arg {
    uint64_t k;
    size_t length;
    int seq_prefix;
} pack_arg_t;

static size_t pack_pattern(void *dest, void *arg)
{
    pack_arg_t *pa = arg;
    pattern_fill(pa->k, 0, dest, pa->length);
    if (pa->seq_prefix) {
        memcpy(dest, &pa->k, sizeof(pa->k));
    }
    return pa->length;
}

/* Sends message k, retrying while the ring is full. */
static void child_send(vt_iface_t *iface, vt_ep_t *ep, uint64_t k,
                       uint8_t id, size_t length, int seq_prefix)
{
    uint8_t buf[BCOPY_MAX];
    verve_status_t status;
    ssize_t ret;
    size_t hlen;

    if (id == ID_SHORT) {
        pattern_fill(k, 0, buf, length);
        if (seq_prefix) {
            memcpy(buf, &k, sizeof(k));
        }
        /* Split into header and payload as the protocol layer does. */
        hlen = length < 8 ? length : 8;
        do {
            status = ep->iface->ops->ep_am_short(ep, id, buf, hlen, buf + hlen,
                                                 length - hlen);
            if (status == VERVE_ERR_NO_RESOURCE) {
                iface->ops->iface_progress(iface);
            }
        } while (status == VERVE_ERR_NO_RESOURCE);
        CHILD_CHECK(status == VERVE_OK);
    } else {
        pack_arg_t pa = {k, length, seq_prefix};
        do {
            ret = ep->iface->ops->ep_am_bcopy(ep, id, pack_pattern, &pa);
            if (ret == VERVE_ERR_NO_RESOURCE) {
                iface->ops->iface_progress(iface);
            }
        } while (ret == VERVE_ERR_NO_RESOURCE);
        CHILD_CHECK(ret == (ssize_t)length);
    }
}

/* ---- tests */

static void test_am_sizes(void **state)
{
    static msg_spec_t specs[MAX_SPECS];
    size_t n = size_specs(specs);
    rx_state_t rx = {specs, 0, 0, CHILD_UID};
    shm_peer_t peer;
    vt_iface_t *iface;
    vt_ep_t *ep;

    (void)state;
    assert_true(n <= MAX_SPECS);
    if (shm_fork(&peer)) {
        vt_iface_t *ciface;
        vt_ep_t *cep = child_setup(&peer, &ciface);
        for (size_t k = 0; k < n; ++k) {
            child_send(ciface, cep, k, specs[k].id, specs[k].length, 0);
        }
        child_teardown(ciface, cep, &peer);
    }
    iface = shm_iface_open(PARENT_UID, rx_handler, &rx, -1);
    ep = shm_connect(iface, &peer);
    parent_receive(iface, &rx, n, &peer);
    assert_int_equal(rx.errors, 0);
    assert_int_equal(rx.count, n);
    shm_write_u64(&peer, 0);
    assert_int_equal(shm_join(&peer), 0);
    iface->ops->ep_destroy(ep);
    iface->ops->iface_close(iface);
}

static void test_ordering(void **state)
{
    const uint64_t n = 100000;
    rx_state_t rx = {NULL, 0, 0, CHILD_UID};
    shm_peer_t peer;
    vt_iface_t *iface;
    vt_ep_t *ep;

    (void)state;
    if (shm_fork(&peer)) {
        vt_iface_t *ciface;
        vt_ep_t *cep = child_setup(&peer, &ciface);
        for (uint64_t k = 0; k < n; ++k) {
            /* Mix single-slot shorts with multi-slot bcopies so records
             * of different sizes wrap the ring at every offset. */
            if (k % 3 == 2) {
                child_send(ciface, cep, k, ID_BCOPY, 8 + (k * 13) % 600, 1);
            } else {
                child_send(ciface, cep, k, ID_SHORT, 8 + k % 41, 1);
            }
        }
        child_teardown(ciface, cep, &peer);
    }
    iface = shm_iface_open(PARENT_UID, rx_handler, &rx, -1);
    ep = shm_connect(iface, &peer);
    parent_receive(iface, &rx, n, &peer);
    assert_int_equal(rx.errors, 0);
    assert_int_equal(rx.count, n);
    shm_write_u64(&peer, 0);
    assert_int_equal(shm_join(&peer), 0);
    iface->ops->ep_destroy(ep);
    iface->ops->iface_close(iface);
}

/* Fill the ring without the parent progressing: exactly FIFO_SLOTS
 * single-slot messages fit, the next one is refused; after the parent
 * drains, the ring takes a few laps of mixed sizes (wrap-around). */
static void test_fifo_full_and_wrap(void **state)
{
    const uint64_t laps_msgs = 3 * FIFO_SLOTS;
    rx_state_t rx = {NULL, 0, 0, CHILD_UID};
    uint64_t sent;
    shm_peer_t peer;
    vt_iface_t *iface;
    vt_ep_t *ep;

    (void)state;
    if (shm_fork(&peer)) {
        vt_iface_t *ciface;
        vt_ep_t *cep = child_setup(&peer, &ciface);
        uint8_t buf[SHORT_MAX];
        verve_status_t status;
        ssize_t ret;
        uint64_t k = 0;
        pack_arg_t pa = {0, 64, 1};

        for (;;) {
            pattern_fill(k, 0, buf, sizeof(buf));
            memcpy(buf, &k, sizeof(k));
            status = cep->iface->ops->ep_am_short(cep, ID_SHORT, buf, 8,
                                                  buf + 8, sizeof(buf) - 8);
            if (status != VERVE_OK) {
                break;
            }
            ++k;
        }
        CHILD_CHECK(status == VERVE_ERR_NO_RESOURCE);
        /* A bcopy is refused too, without side effects. */
        pa.k = k;
        ret = cep->iface->ops->ep_am_bcopy(cep, ID_BCOPY, pack_pattern, &pa);
        CHILD_CHECK(ret == VERVE_ERR_NO_RESOURCE);
        shm_write_u64(&peer, k);
        shm_read_u64(&peer);      /* parent drained */
        for (uint64_t j = 0; j < laps_msgs; ++j, ++k) {
            if (j % 2) {
                child_send(ciface, cep, k, ID_BCOPY, 8 + (j * 37) % 300, 1);
            } else {
                child_send(ciface, cep, k, ID_SHORT, 8 + j % 41, 1);
            }
        }
        child_teardown(ciface, cep, &peer);
    }
    iface = shm_iface_open(PARENT_UID, rx_handler, &rx, -1);
    ep = shm_connect(iface, &peer);
    sent = shm_read_u64(&peer);
    assert_int_equal(sent, FIFO_SLOTS);
    /* A full ring is drained in bounded batches (RX_BATCH defaults to
     * 16), so progress never stalls its caller for long. */
    assert_int_equal(iface->ops->iface_progress(iface), 16);
    assert_int_equal(rx.count, 16);
    parent_receive(iface, &rx, sent, &peer);
    assert_int_equal(rx.errors, 0);
    assert_int_equal(iface->ops->iface_progress(iface), 0);
    shm_write_u64(&peer, 0);
    parent_receive(iface, &rx, sent + laps_msgs, &peer);
    assert_int_equal(rx.errors, 0);
    assert_int_equal(rx.count, sent + laps_msgs);
    shm_write_u64(&peer, 0);
    assert_int_equal(shm_join(&peer), 0);
    iface->ops->ep_destroy(ep);
    iface->ops->iface_close(iface);
}

static size_t pack_stale_seq(void *dest, void *arg)
{
    uint32_t fake_seq = *(uint32_t *)arg;

    memset(dest, 0, 60);
    /* Payload offset 48 is the first word of the record's second slot. */
    memcpy((char *)dest + 48, &fake_seq, sizeof(fake_seq));
    return 60;
}

/* Rule 4 of the ring's proof: a continuation slot whose payload happens to
 * hold the position that slot gets one lap later must not be taken for a
 * published record. Runs over an ep to our own iface. */
static void test_stale_slot_not_delivered(void **state)
{
    rx_state_t rx = {NULL, 0, 0, PARENT_UID};
    uint32_t fake_seq = FIFO_SLOTS + 1;
    vt_iface_caps_t caps;
    uint8_t addr[256];
    vt_iface_t *iface;
    vt_ep_t *ep;
    uint64_t k;

    (void)state;
    iface = shm_iface_open(PARENT_UID, rx_handler, &rx, -1);
    iface->ops->iface_query(iface, &caps);
    iface->ops->iface_address(iface, addr);
    assert_int_equal(iface->ops->ep_create(iface, addr, caps.address_length,
                                           &ep), VERVE_OK);
    /* Positions 0-1: the two-slot record carrying the fake seq. */
    assert_int_equal(ep->iface->ops->ep_am_bcopy(ep, ID_BCOPY, pack_stale_seq,
                                                 &fake_seq), 60);
    assert_int_equal(iface->ops->iface_progress(iface), 1);
    rx.count = 0;
    rx.errors = 0;       /* its payload is not a pattern */
    /* Positions 2 .. FIFO_SLOTS: single slots, with seq numbers. */
    for (k = 0; k < FIFO_SLOTS - 1; ++k) {
        uint8_t buf[16];
        pattern_fill(k, 0, buf, sizeof(buf));
        memcpy(buf, &k, sizeof(k));
        assert_int_equal(ep->iface->ops->ep_am_short(ep, ID_SHORT, buf, 8,
                                                     buf + 8, 8), VERVE_OK);
        if (k % 64 == 63) {
            while (iface->ops->iface_progress(iface) != 0) {
            }
        }
    }
    while (iface->ops->iface_progress(iface) != 0) {
    }
    assert_int_equal(rx.count, FIFO_SLOTS - 1);
    assert_int_equal(rx.errors, 0);
    /* The consumer is at position FIFO_SLOTS + 1 now: nothing was sent. */
    assert_int_equal(iface->ops->iface_progress(iface), 0);
    assert_int_equal(rx.count, FIFO_SLOTS - 1);
    iface->ops->ep_destroy(ep);
    iface->ops->iface_close(iface);
}

typedef struct nested_arg {
    vt_ep_t *other;
    verve_status_t status;
} nested_arg_t;

/* Packs message 0 after sending message 1 on another ep, so that the
 * other ep reserves right behind this bcopy's maximal reservation. */
static size_t pack_with_nested_send(void *dest, void *arg)
{
    nested_arg_t *na = arg;
    uint8_t buf[24];
    uint64_t k = 1;

    pattern_fill(k, 0, buf, sizeof(buf));
    memcpy(buf, &k, sizeof(k));
    na->status = na->other->iface->ops->ep_am_short(na->other, ID_SHORT, buf,
                                                    8, buf + 8, 16);
    k = 0;
    pattern_fill(k, 0, dest, 100);
    memcpy(dest, &k, sizeof(k));
    return 100;
}

/* The unused end of a bcopy reservation that another producer already
 * reserved past is filled with a padding record the consumer skips. */
static void test_bcopy_padding(void **state)
{
    rx_state_t rx = {NULL, 0, 0, PARENT_UID};
    vt_iface_caps_t caps;
    nested_arg_t na;
    uint8_t addr[256];
    vt_iface_t *iface;
    vt_ep_t *ep, *ep2;

    (void)state;
    iface = shm_iface_open(PARENT_UID, rx_handler, &rx, -1);
    iface->ops->iface_query(iface, &caps);
    iface->ops->iface_address(iface, addr);
    assert_int_equal(iface->ops->ep_create(iface, addr, caps.address_length,
                                           &ep), VERVE_OK);
    assert_int_equal(iface->ops->ep_create(iface, addr, caps.address_length,
                                           &ep2), VERVE_OK);
    for (int round = 0; round < 3 * FIFO_SLOTS / 130; ++round) {
        na.other = ep2;
        na.status = VERVE_ERR_IO;
        assert_int_equal(ep->iface->ops->ep_am_bcopy(ep, ID_BCOPY,
                                                     pack_with_nested_send,
                                                     &na), 100);
        assert_int_equal(na.status, VERVE_OK);
        rx.count = 0;
        assert_int_equal(iface->ops->iface_progress(iface), 2);
        assert_int_equal(rx.count, 2);
        assert_int_equal(rx.errors, 0);
        assert_int_equal(iface->ops->iface_progress(iface), 0);
    }
    iface->ops->ep_destroy(ep2);
    iface->ops->ep_destroy(ep);
    iface->ops->iface_close(iface);
}

static void test_address_reachability(void **state)
{
    rx_state_t rx = {NULL, 0, 0, CHILD_UID};
    vt_iface_caps_t caps;
    uint8_t addr[256];
    vt_iface_t *iface;

    (void)state;
    iface = shm_iface_open(PARENT_UID, rx_handler, &rx, -1);
    iface->ops->iface_query(iface, &caps);
    assert_int_equal(caps.am_short_max, SHORT_MAX);
    assert_int_equal(caps.am_bcopy_max, BCOPY_MAX);
    assert_true(caps.flags & VT_CAP_WAKEUP);
    assert_true(caps.address_length <= sizeof(addr));
    iface->ops->iface_address(iface, addr);
    assert_true(iface->ops->iface_is_reachable(iface, addr,
                                               caps.address_length));
    assert_false(iface->ops->iface_is_reachable(iface, addr,
                                                caps.address_length - 1));
    addr[16] ^= 0xff;                  /* host id */
    assert_false(iface->ops->iface_is_reachable(iface, addr,
                                                caps.address_length));
    addr[16] ^= 0xff;
    addr[24] ^= 0xff;                  /* pid namespace */
    assert_false(iface->ops->iface_is_reachable(iface, addr,
                                                caps.address_length));
    iface->ops->iface_close(iface);
}

static void test_peer_failure(void **state)
{
    rx_state_t rx = {NULL, 0, 0, CHILD_UID};
    vt_iface_caps_t caps;
    uint8_t addr[256];
    shm_peer_t peer;
    vt_iface_t *iface;
    vt_ep_t *ep, *late_ep = NULL;

    (void)state;
    if (shm_fork(&peer)) {
        vt_iface_t *ciface;
        vt_ep_t *cep = child_setup(&peer, &ciface);
        (void)cep;
        for (;;) {
            pause();
        }
    }
    iface = shm_iface_open(PARENT_UID, rx_handler, &rx, -1);
    ep = shm_connect(iface, &peer);
    assert_int_equal(ep->iface->ops->ep_check(ep), VERVE_OK);
    /* Keep the child's address for an attach after its death. */
    iface->ops->iface_query(iface, &caps);
    kill(peer.pid, SIGKILL);
    /* Not reaped yet: the pidfd reports the exit of a zombie too. */
    for (int i = 0; i < 10000 && ep->iface->ops->ep_check(ep) == VERVE_OK;
         ++i) {
        usleep(1000);
    }
    assert_int_equal(ep->iface->ops->ep_check(ep), VERVE_ERR_PEER_FAILED);
    assert_int_equal(shm_join(&peer), -1);
    assert_int_equal(ep->iface->ops->ep_check(ep), VERVE_ERR_PEER_FAILED);
    assert_int_equal(ep->iface->ops->ep_am_short(ep, 1, "x", 1, NULL, 0),
                     VERVE_ERR_PEER_FAILED);
    iface->ops->ep_destroy(ep);

    /* A fresh child that exits between the address exchange and the
     * attach. */
    if (shm_fork(&peer)) {
        vt_iface_t *ciface = shm_iface_open(CHILD_UID, child_noop_handler,
                                            NULL, -1);
        ciface->ops->iface_address(ciface, addr);
        shm_write_all(peer.wfd, addr, caps.address_length);
        _exit(0);
    }
    assert_int_equal(shm_read_all(peer.rfd, addr, caps.address_length), 0);
    assert_int_equal(shm_join(&peer), 0);
    assert_false(iface->ops->iface_is_reachable(iface, addr,
                                                caps.address_length));
    assert_int_equal(iface->ops->ep_create(iface, addr, caps.address_length,
                                           &late_ep),
                     VERVE_ERR_UNREACHABLE);
    assert_null(late_ep);
    iface->ops->iface_close(iface);
}

static void test_arm_wakeup(void **state)
{
    rx_state_t rx = {NULL, 0, 0, CHILD_UID};
    struct epoll_event events[4];
    shm_peer_t peer;
    vt_iface_t *iface;
    vt_ep_t *ep;
    int epfd, n;

    (void)state;
    if (shm_fork(&peer)) {
        vt_iface_t *ciface;
        vt_ep_t *cep = child_setup(&peer, &ciface);
        shm_read_u64(&peer);             /* parent armed */
        child_send(ciface, cep, 0, ID_SHORT, 16, 1);
        shm_read_u64(&peer);             /* parent woke up */
        child_send(ciface, cep, 1, ID_SHORT, 16, 1);
        shm_write_u64(&peer, 1);
        child_teardown(ciface, cep, &peer);
    }
    epfd = epoll_create1(EPOLL_CLOEXEC);
    assert_true(epfd >= 0);
    iface = shm_iface_open(PARENT_UID, rx_handler, &rx, epfd);
    ep = shm_connect(iface, &peer);
    assert_int_equal(iface->ops->iface_progress(iface), 0);
    assert_int_equal(iface->ops->iface_arm(iface), VERVE_OK);
    /* Nothing sent yet: nothing to wake us. */
    assert_int_equal(epoll_wait(epfd, events, 4, 0), 0);
    shm_write_u64(&peer, 0);
    do {
        n = epoll_wait(epfd, events, 4, 60000);
    } while (n < 0 && errno == EINTR);
    assert_int_equal(n, 1);
    assert_ptr_equal(events[0].data.ptr, iface);
    assert_int_equal(iface->ops->iface_progress(iface), 1);
    assert_int_equal(rx.count, 1);
    /* The socket was drained by progress. */
    assert_int_equal(epoll_wait(epfd, events, 4, 0), 0);

    shm_write_u64(&peer, 0);
    assert_int_equal(shm_read_u64(&peer), 1);    /* second one sent */
    assert_int_equal(iface->ops->iface_arm(iface), VERVE_ERR_BUSY);
    assert_int_equal(iface->ops->iface_progress(iface), 1);
    assert_int_equal(rx.errors, 0);
    assert_int_equal(rx.count, 2);
    shm_write_u64(&peer, 0);
    assert_int_equal(shm_join(&peer), 0);
    iface->ops->ep_destroy(ep);
    iface->ops->iface_close(iface);
    close(epfd);
}

typedef struct mp_state {
    uint64_t next[2];     /* expected seq per producer */
    uint64_t count;
    uint64_t errors;
} mp_state_t;

static void mp_handler(void *arg, void *data, size_t length, uint64_t uid)
{
    mp_state_t *mp = arg;
    const uint8_t *p = data;
    uint64_t seq, src = uid - CHILD_UID - 1;

    ++mp->count;
    if (src > 1 || length < sizeof(seq)) {
        ++mp->errors;
        return;
    }
    memcpy(&seq, data, sizeof(seq));
    if (seq != mp->next[src]++) {
        ++mp->errors;
    }
    for (size_t i = sizeof(seq); i < length; ++i) {
        if (p[i] != pattern_byte(seq, i)) {
            ++mp->errors;
            break;
        }
    }
}

/* Two producers into one ring at once: reservations race on head, bcopy
 * trims race with the other producer's reservations (padding records);
 * each producer's messages arrive complete and in its order. */
static void test_multi_producer(void **state)
{
    const uint64_t n = 30000;
    mp_state_t mp = {{0, 0}, 0, 0};
    shm_peer_t peers[2];
    vt_iface_t *iface;
    vt_ep_t *eps[2];

    (void)state;
    iface = shm_iface_open(PARENT_UID, mp_handler, &mp, -1);
    for (int c = 0; c < 2; ++c) {
        if (shm_fork(&peers[c])) {
            vt_iface_t *ciface = shm_iface_open(CHILD_UID + 1 + c,
                                                child_noop_handler, NULL,
                                                -1);
            vt_ep_t *cep = shm_connect(ciface, &peers[c]);
            shm_read_u64(&peers[c]);          /* start together */
            for (uint64_t k = 0; k < n; ++k) {
                child_send(ciface, cep, k, k % 2 ? ID_BCOPY : ID_SHORT,
                           8 + (k * 11 + c) % (k % 2 ? 500 : 41), 1);
            }
            child_teardown(ciface, cep, &peers[c]);
        }
        eps[c] = shm_connect(iface, &peers[c]);
    }
    shm_write_u64(&peers[0], 0);
    shm_write_u64(&peers[1], 0);
    while (mp.count < 2 * n) {
        iface->ops->iface_progress(iface);
    }
    assert_int_equal(mp.errors, 0);
    assert_int_equal(mp.next[0], n);
    assert_int_equal(mp.next[1], n);
    assert_int_equal(iface->ops->iface_progress(iface), 0);
    for (int c = 0; c < 2; ++c) {
        shm_write_u64(&peers[c], 0);
        assert_int_equal(shm_join(&peers[c]), 0);
        iface->ops->ep_destroy(eps[c]);
    }
    iface->ops->iface_close(iface);
}

/* A bad value is an error at open that names the variable, never a
 * silent default. */
static void test_config_rejected(void **state)
{
    static const char *const bad[][2] = {
        {"VERVE_SHM_FIFO_SIZE", "100000"},    /* not a power of two */
        {"VERVE_SHM_FIFO_SIZE", "1k"},        /* below 64 slots */
        {"VERVE_SHM_FIFO_SIZE", "lots"},      /* not a size */
        {"VERVE_SHM_BCOPY_MAX", "128k"},      /* over a quarter ring */
        {"VERVE_SHM_BCOPY_MAX", "0"},
        {"VERVE_SHM_RX_BATCH", "0"},
    };
    vt_iface_params_t params;
    vt_iface_t *iface;

    (void)state;
    memset(&params, 0, sizeof(params));
    params.epoll_fd = -1;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        iface = NULL;
        setenv(bad[i][0], bad[i][1], 1);
        assert_int_equal(vt_shm_component.iface_open(&params, &iface),
                         VERVE_ERR_INVALID_CONFIG);
        assert_null(iface);
        unsetenv(bad[i][0]);
    }
    /* A smaller ring with a matching bcopy size opens. */
    setenv("VERVE_SHM_FIFO_SIZE", "16k", 1);
    setenv("VERVE_SHM_BCOPY_MAX", "1000", 1);
    assert_int_equal(vt_shm_component.iface_open(&params, &iface), VERVE_OK);
    iface->ops->iface_close(iface);
    setenv("VERVE_SHM_FIFO_SIZE", "256k", 1);
    setenv("VERVE_SHM_BCOPY_MAX", "8k", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_reachability),
        cmocka_unit_test(test_stale_slot_not_delivered),
        cmocka_unit_test(test_bcopy_padding),
        cmocka_unit_test(test_am_sizes),
        cmocka_unit_test(test_ordering),
        cmocka_unit_test(test_fifo_full_and_wrap),
        cmocka_unit_test(test_multi_producer),
        cmocka_unit_test(test_peer_failure),
        cmocka_unit_test(test_arm_wakeup),
        cmocka_unit_test(test_config_rejected),
    };

    /* Values the tests rely on, whatever the caller's environment says. */
    setenv("VERVE_SHM_FIFO_SIZE", "256k", 1);
    setenv("VERVE_SHM_BCOPY_MAX", "8k", 1);
    setenv("VERVE_SHM_RX_BATCH", "16", 1);
    return cmocka_run_group_tests_name("shm", tests, NULL, NULL);
}
