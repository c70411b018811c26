/*
 * Tag matching inside one process: worker a sends to worker b over the
 * transport named by VERVE_TLS (shm, tcp; self has a send to itself), and
 * b receives with tags and masks. Every payload byte depends on the
 * message and on its offset, so a shifted or swapped copy shows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <verve/verve.h>
#include <verve/verve_tag.h>
#include "engine_pair.h"

#define FULL_MASK UINT64_MAX

typedef struct completion {
    int done;
    verve_status_t status;
    verve_tag_recv_info_t info;
} completion_t;

static uint8_t pattern(uint64_t msg, size_t i)
{
    return (uint8_t)(msg * 131 + i * 7 + (i >> 8) * 13 + 1);
}

static uint8_t *make_payload(uint64_t msg, size_t length)
{
    uint8_t *buf = malloc(length ? length : 1);
    size_t i;

    for (i = 0; i < length; ++i) {
        buf[i] = pattern(msg, i);
    }
    return buf;
}

/* The first offset where buf differs from message msg, or -1. */
static long first_bad(const uint8_t *buf, uint64_t msg, size_t length)
{
    size_t i;

    for (i = 0; i < length; ++i) {
        if (buf[i] != pattern(msg, i)) {
            return (long)i;
        }
    }
    return -1;
}

static void on_complete(verve_request_h req, verve_status_t status,
                        void *user_data)
{
    completion_t *c = user_data;

    (void)req;
    c->status = status;
    c->done = 1;
}

static verve_request_param_t recv_param(completion_t *c)
{
    verve_request_param_t param = {0};

    param.op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                         VERVE_OP_ATTR_FIELD_USER_DATA |
                         VERVE_OP_ATTR_FIELD_RECV_INFO;
    param.cb = on_complete;
    param.user_data = c;
    param.recv_info = &c->info;
    memset(c, 0, sizeof(*c));
    return param;
}

/* Settles the result of a call: in place, or when its request is done. */
static void settle(pair_t *p, completion_t *c, verve_status_t status,
                   verve_request_h req)
{
    unsigned long rounds = 0;

    if (status != VERVE_INPROGRESS) {
        c->status = status;
        c->done = 1;
        return;
    }
    while (!c->done && ++rounds < PAIR_MAX_ROUNDS) {
        pair_progress(p);
    }
    assert_true(c->done);
    verve_request_free(req);
}

static verve_status_t send_wait(pair_t *p, const void *buf, size_t length,
                                uint64_t tag, int sync)
{
    verve_request_h req = NULL;
    verve_request_param_t param;
    completion_t c;
    verve_status_t status;

    param = recv_param(&c);
    param.op_attr_mask &= ~(uint64_t)VERVE_OP_ATTR_FIELD_RECV_INFO;
    status = sync ? verve_tag_send_sync_nbx(p->ab, buf, length, tag, &param,
                                            &req)
                  : verve_tag_send_nbx(p->ab, buf, length, tag, &param,
                                       &req);
    settle(p, &c, status, req);
    return c.status;
}

/* Sends start, the receive is posted first or after arrival. */
static void one_message(pair_t *p, uint64_t msg, size_t length,
                        int post_first)
{
    uint8_t *out = make_payload(msg, length);
    uint8_t *in = malloc(length + 16);
    verve_request_h sreq = NULL, rreq = NULL;
    verve_request_param_t sparam, rparam;
    completion_t sc, rc;
    verve_status_t status, rstatus = VERVE_INPROGRESS;
    unsigned i;

    memset(in, 0xee, length + 16);
    rparam = recv_param(&rc);
    sparam = recv_param(&sc);
    if (post_first) {
        rstatus = verve_tag_recv_nbx(p->b, in, length, 1000 + msg, FULL_MASK,
                                     &rparam, &rreq);
        assert_int_equal(rstatus, VERVE_INPROGRESS);
    }
    status = verve_tag_send_nbx(p->ab, out, length, 1000 + msg, &sparam,
                                &sreq);
    assert_true(status == VERVE_OK || status == VERVE_INPROGRESS);
    if (!post_first) {
        /* Let it arrive and wait unexpected. */
        for (i = 0; i < 1000; ++i) {
            pair_progress(p);
        }
        rstatus = verve_tag_recv_nbx(p->b, in, length, 1000 + msg,
                                     FULL_MASK, &rparam, &rreq);
    }
    settle(p, &rc, rstatus, rreq);
    settle(p, &sc, status, sreq);
    assert_int_equal(sc.status, VERVE_OK);
    assert_int_equal(rc.status, VERVE_OK);
    if (rstatus == VERVE_INPROGRESS || post_first) {
        assert_int_equal(rc.info.length, length);
        assert_int_equal(rc.info.sender_tag, 1000 + msg);
    }
    assert_int_equal(first_bad(in, msg, length), -1);
    assert_int_equal(in[length], 0xee);
    free(in);
    free(out);
}

static const size_t sizes[] = {0, 1, 8, 40, 64, 1000, 4095, 4096, 8192,
                               65536, 65537, 1 << 20, (4 << 20) + 3};

static void test_tag_sizes(void **state)
{
    size_t i;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); ++i) {
        one_message(*state, i, sizes[i], 1);
        one_message(*state, 100 + i, sizes[i], 0);
    }
}

/* The recv_info of an in-place completion is filled too. */
static void test_tag_info_in_place(void **state)
{
    pair_t *p = *state;
    uint8_t out[8] = {1, 2, 3, 4, 5, 6, 7, 8}, in[8] = {0};
    verve_request_param_t param = {0};
    verve_tag_recv_info_t info = {0, 0};
    verve_request_h req = NULL;
    verve_status_t status;
    unsigned i;

    assert_int_equal(send_wait(p, out, sizeof(out), 0x77, 0), VERVE_OK);
    for (i = 0; i < 1000; ++i) {
        pair_progress(p);
    }
    param.op_attr_mask = VERVE_OP_ATTR_FIELD_RECV_INFO;
    param.recv_info = &info;
    status = verve_tag_recv_nbx(p->b, in, sizeof(in), 0x70, 0xf0, &param,
                                &req);
    if (status == VERVE_INPROGRESS) {
        while (verve_request_test(req) == VERVE_INPROGRESS) {
            pair_progress(p);
        }
        status = verve_request_test(req);
        verve_request_free(req);
    }
    assert_int_equal(status, VERVE_OK);
    assert_int_equal(info.sender_tag, 0x77);
    assert_int_equal(info.length, sizeof(out));
    assert_memory_equal(in, out, sizeof(out));
}

/* Posted receives match in posting order, exact and wildcard alike. */
static void test_tag_wildcard_order(void **state)
{
    pair_t *p = *state;
    verve_request_param_t param[4];
    verve_request_h req[4];
    completion_t c[4];
    uint32_t in[4] = {0}, value;
    int i;

    /* 0: exact 0x12; 1: any tag 0x1?; 2: exact 0x12; 3: anything. */
    for (i = 0; i < 4; ++i) {
        param[i] = recv_param(&c[i]);
    }
    assert_int_equal(verve_tag_recv_nbx(p->b, &in[0], 4, 0x12, FULL_MASK,
                                        &param[0], &req[0]),
                     VERVE_INPROGRESS);
    assert_int_equal(verve_tag_recv_nbx(p->b, &in[1], 4, 0x10, ~0xfULL,
                                        &param[1], &req[1]),
                     VERVE_INPROGRESS);
    assert_int_equal(verve_tag_recv_nbx(p->b, &in[2], 4, 0x12, FULL_MASK,
                                        &param[2], &req[2]),
                     VERVE_INPROGRESS);
    assert_int_equal(verve_tag_recv_nbx(p->b, &in[3], 4, 0, 0, &param[3],
                                        &req[3]), VERVE_INPROGRESS);
    /* 0x12 -> 0, 0x12 -> 1 (posted before 2), 0x13 -> 3? no: 1 is taken,
     * so 0x13 goes to 3; then 0x12 -> 2. */
    value = 100;
    assert_int_equal(send_wait(p, &value, 4, 0x12, 0), VERVE_OK);
    value = 101;
    assert_int_equal(send_wait(p, &value, 4, 0x12, 0), VERVE_OK);
    value = 102;
    assert_int_equal(send_wait(p, &value, 4, 0x13, 0), VERVE_OK);
    value = 103;
    assert_int_equal(send_wait(p, &value, 4, 0x12, 0), VERVE_OK);
    for (i = 0; i < 4; ++i) {
        settle(p, &c[i], VERVE_INPROGRESS, req[i]);
        assert_int_equal(c[i].status, VERVE_OK);
    }
    assert_int_equal(in[0], 100);
    assert_int_equal(in[1], 101);
    assert_int_equal(in[3], 102);
    assert_int_equal(c[3].info.sender_tag, 0x13);
    assert_int_equal(in[2], 103);
}

/* More masks than the matcher keeps classes for: posting order still
 * decides, whether a receive sits in a class table or in the list of
 * the others. */
static void test_tag_many_masks(void **state)
{
    enum { COUNT = 12 };
    pair_t *p = *state;
    verve_request_param_t param[COUNT + 2];
    verve_request_h req[COUNT + 2];
    completion_t c[COUNT + 2];
    uint32_t in[COUNT + 2], value;
    unsigned i;

    /* Receive i ignores bit i only: every one matches tag 0x1000. */
    for (i = 0; i < COUNT; ++i) {
        param[i] = recv_param(&c[i]);
        assert_int_equal(verve_tag_recv_nbx(p->b, &in[i], 4, 0x1000,
                                            ~(1ULL << i), &param[i],
                                            &req[i]), VERVE_INPROGRESS);
    }
    for (i = 0; i < COUNT; ++i) {
        value = 500 + i;
        assert_int_equal(send_wait(p, &value, 4, 0x1000, 0), VERVE_OK);
    }
    for (i = 0; i < COUNT; ++i) {
        settle(p, &c[i], VERVE_INPROGRESS, req[i]);
        assert_int_equal(c[i].status, VERVE_OK);
        assert_int_equal(in[i], 500 + i);
    }
    /* The classes exist now: a receive of a new mask (no class left)
     * posted before one of a class mask takes the message first. */
    param[COUNT] = recv_param(&c[COUNT]);
    assert_int_equal(verve_tag_recv_nbx(p->b, &in[COUNT], 4, 0x2000,
                                        ~0xf0000ULL, &param[COUNT],
                                        &req[COUNT]), VERVE_INPROGRESS);
    param[COUNT + 1] = recv_param(&c[COUNT + 1]);
    assert_int_equal(verve_tag_recv_nbx(p->b, &in[COUNT + 1], 4, 0x2000,
                                        ~1ULL, &param[COUNT + 1],
                                        &req[COUNT + 1]), VERVE_INPROGRESS);
    value = 1;
    assert_int_equal(send_wait(p, &value, 4, 0x2000, 0), VERVE_OK);
    value = 2;
    assert_int_equal(send_wait(p, &value, 4, 0x2001, 0), VERVE_OK);
    settle(p, &c[COUNT], VERVE_INPROGRESS, req[COUNT]);
    settle(p, &c[COUNT + 1], VERVE_INPROGRESS, req[COUNT + 1]);
    assert_int_equal(in[COUNT], 1);
    assert_int_equal(in[COUNT + 1], 2);
    assert_int_equal(c[COUNT + 1].info.sender_tag, 0x2001);
}

/* Unexpected messages match in arrival order, whatever the mask, and a
 * wildcard receive takes the oldest of different tags. */
static void test_tag_unexpected_order(void **state)
{
    pair_t *p = *state;
    const uint64_t tags[] = {0x501, 0x602, 0x501, 0x603};
    verve_request_param_t param;
    verve_request_h req = NULL;
    verve_status_t status;
    uint32_t value, in;
    completion_t c;
    unsigned i;

    for (i = 0; i < 4; ++i) {
        value = i;
        assert_int_equal(send_wait(p, &value, 4, tags[i], 0), VERVE_OK);
    }
    for (i = 0; i < 1000; ++i) {
        pair_progress(p);
    }
    /* 0x6??: message 1; then exact 0x501: message 0; any: message 2. */
    param = recv_param(&c);
    status = verve_tag_recv_nbx(p->b, &in, 4, 0x600, ~0xffULL, &param, &req);
    settle(p, &c, status, req);
    assert_int_equal(c.status, VERVE_OK);
    assert_int_equal(in, 1);
    param = recv_param(&c);
    status = verve_tag_recv_nbx(p->b, &in, 4, 0x501, FULL_MASK, &param, &req);
    settle(p, &c, status, req);
    assert_int_equal(in, 0);
    param = recv_param(&c);
    status = verve_tag_recv_nbx(p->b, &in, 4, 0, 0, &param, &req);
    settle(p, &c, status, req);
    assert_int_equal(in, 2);
    param = recv_param(&c);
    status = verve_tag_recv_nbx(p->b, &in, 4, 0, 0, &param, &req);
    settle(p, &c, status, req);
    assert_int_equal(in, 3);
    assert_int_equal(verve_tag_probe_nb(p->b, 0, 0, 0, NULL, NULL),
                     VERVE_ERR_NO_ELEM);
}

/* Many sends outstanding at once, eager and rendezvous mixed, all with
 * one tag: received in the order sent, half posted before arrival. */
static void test_tag_no_overtaking(void **state)
{
    enum { COUNT = 200 };
    pair_t *p = *state;
    static const size_t lengths[] = {8, 3000, 70000, 0, 200000, 64};
    verve_request_h sreq[COUNT], rreq[COUNT];
    verve_request_param_t sparam[COUNT], rparam[COUNT];
    completion_t sc[COUNT], rc[COUNT];
    verve_status_t sstatus[COUNT], rstatus[COUNT];
    uint8_t *out[COUNT], *in[COUNT];
    unsigned i;

    for (i = 0; i < COUNT; ++i) {
        size_t length = lengths[i % 6];
        out[i] = make_payload(i, length);
        in[i] = calloc(1, length + 1);
        sparam[i] = recv_param(&sc[i]);
        rparam[i] = recv_param(&rc[i]);
    }
    for (i = 0; i < COUNT / 2; ++i) {
        rstatus[i] = verve_tag_recv_nbx(p->b, in[i], lengths[i % 6], 42,
                                        FULL_MASK, &rparam[i], &rreq[i]);
    }
    for (i = 0; i < COUNT; ++i) {
        sstatus[i] = verve_tag_send_nbx(p->ab, out[i], lengths[i % 6], 42,
                                        &sparam[i], &sreq[i]);
        assert_true(sstatus[i] >= 0);
    }
    for (i = COUNT / 2; i < COUNT; ++i) {
        /* A wildcard on the upper half: it must still wait its turn. */
        rstatus[i] = verve_tag_recv_nbx(p->b, in[i], lengths[i % 6], 0, 0,
                                        &rparam[i], &rreq[i]);
        pair_progress(p);
    }
    for (i = 0; i < COUNT; ++i) {
        settle(p, &rc[i], rstatus[i], rreq[i]);
        settle(p, &sc[i], sstatus[i], sreq[i]);
        assert_int_equal(sc[i].status, VERVE_OK);
        assert_int_equal(rc[i].status, VERVE_OK);
        assert_int_equal(first_bad(in[i], i, lengths[i % 6]), -1);
        free(in[i]);
        free(out[i]);
    }
}

static void probe_one(pair_t *p, size_t length)
{
    uint8_t *out = make_payload(7, length), *in = malloc(length + 1);
    verve_tag_recv_info_t info = {0, 0};
    verve_tag_message_h msg = NULL;
    verve_request_param_t param;
    verve_request_h sreq = NULL, rreq = NULL;
    verve_status_t sstatus, status = VERVE_ERR_NO_ELEM;
    completion_t sc, rc;
    unsigned long rounds = 0;

    assert_int_equal(verve_tag_probe_nb(p->b, 0x900, ~0xffULL, 0, &info,
                                        NULL), VERVE_ERR_NO_ELEM);
    param = recv_param(&sc);
    sstatus = verve_tag_send_nbx(p->ab, out, length, 0x9ab, &param, &sreq);
    while (status == VERVE_ERR_NO_ELEM && ++rounds < PAIR_MAX_ROUNDS) {
        pair_progress(p);
        status = verve_tag_probe_nb(p->b, 0x900, ~0xffULL, 0, &info, NULL);
    }
    assert_int_equal(status, VERVE_OK);
    assert_int_equal(info.sender_tag, 0x9ab);
    assert_int_equal(info.length, length);
    /* Still there; now take it. */
    assert_int_equal(verve_tag_probe_nb(p->b, 0x9ab, FULL_MASK, 1, &info,
                                        &msg), VERVE_OK);
    assert_non_null(msg);
    assert_int_equal(verve_tag_probe_nb(p->b, 0, 0, 0, NULL, NULL),
                     VERVE_ERR_NO_ELEM);
    param = recv_param(&rc);
    status = verve_tag_msg_recv_nbx(p->b, in, length, msg, &param, &rreq);
    settle(p, &rc, status, rreq);
    settle(p, &sc, sstatus, sreq);
    assert_int_equal(rc.status, VERVE_OK);
    assert_int_equal(sc.status, VERVE_OK);
    assert_int_equal(first_bad(in, 7, length), -1);
    free(in);
    free(out);
}

static void test_tag_probe(void **state)
{
    probe_one(*state, 16);
    probe_one(*state, 300000);
}

/* A short buffer gets what fits and a truncation error; nothing is
 * written past it, and the sender completes normally. */
static void truncate_one(pair_t *p, size_t length, size_t capacity,
                         int post_first)
{
    uint8_t *out = make_payload(3, length), *in = malloc(capacity + 64);
    verve_request_param_t rparam, sparam;
    verve_request_h sreq = NULL, rreq = NULL;
    verve_status_t sstatus, rstatus = VERVE_INPROGRESS;
    completion_t sc, rc;
    unsigned i;

    memset(in, 0xee, capacity + 64);
    rparam = recv_param(&rc);
    sparam = recv_param(&sc);
    if (post_first) {
        rstatus = verve_tag_recv_nbx(p->b, in, capacity, 5, FULL_MASK,
                                     &rparam, &rreq);
    }
    sstatus = verve_tag_send_nbx(p->ab, out, length, 5, &sparam, &sreq);
    if (!post_first) {
        for (i = 0; i < 1000; ++i) {
            pair_progress(p);
        }
        rstatus = verve_tag_recv_nbx(p->b, in, capacity, 5, FULL_MASK,
                                     &rparam, &rreq);
    }
    settle(p, &rc, rstatus, rreq);
    settle(p, &sc, sstatus, sreq);
    assert_int_equal(rc.status, VERVE_ERR_MESSAGE_TRUNCATED);
    assert_int_equal(rc.info.length, length);
    assert_int_equal(sc.status, VERVE_OK);
    assert_int_equal(first_bad(in, 3, capacity), -1);
    for (i = 0; i < 64; ++i) {
        assert_int_equal(in[capacity + i], 0xee);
    }
    free(in);
    free(out);
}

static void test_tag_truncate(void **state)
{
    truncate_one(*state, 100, 10, 1);
    truncate_one(*state, 100, 10, 0);
    truncate_one(*state, 1 << 20, 5000, 1);
    truncate_one(*state, 1 << 20, 5000, 0);
    truncate_one(*state, 300000, 0, 1);
}

/* A synchronous send completes only after the receiver matched it. */
static void sync_one(pair_t *p, size_t length)
{
    uint8_t *out = make_payload(9, length), *in = malloc(length + 1);
    verve_request_param_t sparam, rparam;
    verve_request_h sreq = NULL, rreq = NULL;
    verve_status_t sstatus, rstatus;
    completion_t sc, rc;
    unsigned i;

    sparam = recv_param(&sc);
    sstatus = verve_tag_send_sync_nbx(p->ab, out, length, 77, &sparam, &sreq);
    assert_int_equal(sstatus, VERVE_INPROGRESS);
    for (i = 0; i < 3000; ++i) {
        pair_progress(p);
    }
    assert_false(sc.done);
    rparam = recv_param(&rc);
    rstatus = verve_tag_recv_nbx(p->b, in, length, 77, FULL_MASK, &rparam,
                                 &rreq);
    settle(p, &rc, rstatus, rreq);
    settle(p, &sc, sstatus, sreq);
    assert_int_equal(sc.status, VERVE_OK);
    assert_int_equal(rc.status, VERVE_OK);
    assert_int_equal(first_bad(in, 9, length), -1);
    free(in);
    free(out);
}

static void test_tag_sync(void **state)
{
    sync_one(*state, 0);
    sync_one(*state, 8);
    sync_one(*state, 5000);
    sync_one(*state, 1 << 20);
    /* With the receive posted first, too. */
    {
        pair_t *p = *state;
        uint32_t in = 0, out = 0xabcd;
        verve_request_param_t rparam;
        verve_request_h rreq = NULL;
        completion_t rc;

        rparam = recv_param(&rc);
        assert_int_equal(verve_tag_recv_nbx(p->b, &in, 4, 78, FULL_MASK,
                                            &rparam, &rreq),
                         VERVE_INPROGRESS);
        assert_int_equal(send_wait(p, &out, 4, 78, 1), VERVE_OK);
        settle(p, &rc, VERVE_INPROGRESS, rreq);
        assert_int_equal(in, 0xabcd);
    }
}

static void test_tag_cancel(void **state)
{
    pair_t *p = *state;
    verve_request_param_t param;
    verve_request_h req = NULL, sreq = NULL;
    verve_tag_recv_info_t info;
    uint32_t in = 0, out = 5;
    completion_t c;
    unsigned i;

    param = recv_param(&c);
    assert_int_equal(verve_tag_recv_nbx(p->b, &in, 4, 31, FULL_MASK, &param,
                                        &req), VERVE_INPROGRESS);
    assert_int_equal(verve_tag_recv_cancel(p->b, req), VERVE_OK);
    assert_true(c.done);
    assert_int_equal(c.status, VERVE_ERR_CANCELED);
    assert_int_equal(verve_request_test(req), VERVE_ERR_CANCELED);
    /* Not a posted receive any more. */
    assert_int_equal(verve_tag_recv_cancel(p->b, req), VERVE_ERR_BUSY);
    verve_request_free(req);
    /* The message it would have taken waits unexpected. */
    assert_int_equal(send_wait(p, &out, 4, 31, 0), VERVE_OK);
    for (i = 0; i < 1000; ++i) {
        pair_progress(p);
    }
    assert_int_equal(verve_tag_probe_nb(p->b, 31, FULL_MASK, 0, &info, NULL),
                     VERVE_OK);
    assert_int_equal(in, 0);
    assert_int_equal(verve_tag_recv_nbx(p->b, &in, 4, 31, FULL_MASK, NULL,
                                        NULL), VERVE_OK);
    assert_int_equal(in, 5);
    /* A send request is not a receive (a synchronous one is always a
     * request). */
    {
        verve_request_param_t sparam = recv_param(&c);
        verve_status_t status = verve_tag_send_sync_nbx(p->ab, &out, 4, 32,
                                                        &sparam, &sreq);
        assert_int_equal(status, VERVE_INPROGRESS);
        assert_int_equal(verve_tag_recv_cancel(p->a, sreq),
                         VERVE_ERR_INVALID_PARAM);
        in = 0;
        status = verve_tag_recv_nbx(p->b, &in, 4, 32, FULL_MASK, NULL, &req);
        assert_true(status == VERVE_OK || status == VERVE_INPROGRESS);
        if (status == VERVE_INPROGRESS) {
            for (i = 0; i < 100000 && verve_request_test(req) ==
                                      VERVE_INPROGRESS; ++i) {
                pair_progress(p);
            }
            assert_int_equal(verve_request_test(req), VERVE_OK);
            verve_request_free(req);
        }
        settle(p, &c, VERVE_INPROGRESS, sreq);
        assert_int_equal(c.status, VERVE_OK);
        assert_int_equal(in, 5);
    }
}

/* 10,000 receives with distinct tags posted, messages in reverse. */
static void test_tag_many_posted(void **state)
{
    enum { COUNT = 10000 };
    pair_t *p = *state;
    uint32_t *in = calloc(COUNT, sizeof(*in));
    verve_request_h *req = calloc(COUNT, sizeof(*req));
    uint32_t value;
    unsigned i;

    for (i = 0; i < COUNT; ++i) {
        assert_int_equal(verve_tag_recv_nbx(p->b, &in[i], 4,
                                            ((uint64_t)i << 32) | 7,
                                            FULL_MASK, NULL, &req[i]),
                         VERVE_INPROGRESS);
    }
    for (i = COUNT; i-- > 0;) {
        value = i * 3 + 1;
        assert_int_equal(send_wait(p, &value, 4, ((uint64_t)i << 32) | 7, 0),
                         VERVE_OK);
    }
    for (i = 0; i < COUNT; ++i) {
        unsigned long rounds = 0;
        while (verve_request_test(req[i]) == VERVE_INPROGRESS &&
               ++rounds < PAIR_MAX_ROUNDS) {
            pair_progress(p);
        }
        assert_int_equal(verve_request_test(req[i]), VERVE_OK);
        assert_int_equal(in[i], i * 3 + 1);
        verve_request_free(req[i]);
    }
    free(in);
    free(req);
}

static void test_tag_iov_send(void **state)
{
    pair_t *p = *state;
    uint8_t *whole = make_payload(4, 3000), in[3000];
    verve_iov_t iov[3] = {{whole, 1000}, {whole + 1000, 0},
                          {whole + 1000, 2000}};
    verve_request_param_t param = {0};
    verve_request_h req = NULL;
    verve_status_t status;
    completion_t c;

    param.op_attr_mask = VERVE_OP_ATTR_FIELD_DATATYPE;
    param.datatype = VERVE_DATATYPE_IOV;
    status = verve_tag_send_nbx(p->ab, iov, 3, 4, &param, &req);
    settle(p, &c, status, req);
    assert_int_equal(c.status, VERVE_OK);
    param = recv_param(&c);
    status = verve_tag_recv_nbx(p->b, in, sizeof(in), 4, FULL_MASK, &param,
                                &req);
    settle(p, &c, status, req);
    assert_int_equal(c.status, VERVE_OK);
    assert_int_equal(first_bad(in, 4, sizeof(in)), -1);
    free(whole);
}

static void test_tag_invalid(void **state)
{
    pair_t *p = *state;
    verve_request_param_t param = {0};
    verve_tag_message_h msg;
    verve_request_h req = NULL;
    uint8_t buf[8];

    assert_int_equal(verve_tag_recv_nbx(p->b, NULL, 8, 1, FULL_MASK, NULL,
                                        &req), VERVE_ERR_INVALID_PARAM);
    param.op_attr_mask = VERVE_OP_ATTR_FIELD_DATATYPE;
    param.datatype = VERVE_DATATYPE_IOV;
    assert_int_equal(verve_tag_recv_nbx(p->b, buf, 8, 1, FULL_MASK, &param,
                                        &req), VERVE_ERR_INVALID_PARAM);
    assert_int_equal(verve_tag_send_nbx(p->ab, NULL, 8, 1, NULL, &req),
                     VERVE_ERR_INVALID_PARAM);
    assert_int_equal(verve_tag_probe_nb(p->b, 1, FULL_MASK, 1, NULL, NULL),
                     VERVE_ERR_INVALID_PARAM);
    assert_int_equal(verve_tag_msg_recv_nbx(p->b, buf, 8, NULL, NULL, &req),
                     VERVE_ERR_INVALID_PARAM);
    assert_int_equal(verve_tag_probe_nb(p->b, 1, FULL_MASK, 1, NULL, &msg),
                     VERVE_ERR_NO_ELEM);
}

/* What a worker holds at destroy is given back: a posted receive
 * completes canceled, unexpected eager and rendezvous messages are freed
 * (ASan and valgrind see a leak otherwise). */
static void test_tag_destroy_with_queues(void **state)
{
    pair_t *p = *state;
    uint8_t *big = make_payload(2, 200000);
    uint32_t small = 1, in;
    verve_request_param_t param;
    verve_request_h req = NULL;
    completion_t c;
    unsigned i;

    param = recv_param(&c);
    assert_int_equal(verve_tag_recv_nbx(p->b, &in, 4, 99, FULL_MASK, &param,
                                        &req), VERVE_INPROGRESS);
    verve_request_free(req);
    assert_int_equal(send_wait(p, &small, 4, 98, 0), VERVE_OK);
    assert_int_equal(verve_tag_send_nbx(p->ab, big, 200000, 97, NULL, NULL)
                     >= 0, 1);
    for (i = 0; i < 1000; ++i) {
        pair_progress(p);
    }
    if (p->b != p->a) {
        verve_worker_destroy(p->b);
        p->b = p->a;
        assert_true(c.done);
        assert_int_equal(c.status, VERVE_ERR_CANCELED);
    }
    /* Its endpoint closes with force, failing the rendezvous send. */
    verve_worker_destroy(p->a);
    p->a = NULL;
    assert_true(c.done);
    free(big);
}

static int pair_teardown_after_destroy(void **state)
{
    pair_t *p = *state;

    verve_context_destroy(p->context);
    free(p);
    return 0;
}

/* VERVE_THREAD_MODE_MULTI on both workers: two threads send on a while
 * two threads receive on b, each pair with its own tags, wildcards on the
 * sequence bits included, sizes eager and rendezvous; every thread
 * progresses its worker. Every message arrives once, in order, intact. */
#define MT_MESSAGES 3000

typedef struct mt_args {
    pair_t *p;
    uint32_t id;
    int failed;
} mt_args_t;

static size_t mt_length(uint32_t seq)
{
    return (seq % 10 == 9) ? 70000 : (seq % 7) * 13;
}

static void *mt_sender(void *arg)
{
    mt_args_t *t = arg;
    uint32_t seq;

    for (seq = 0; seq < MT_MESSAGES && !t->failed; ++seq) {
        size_t length = mt_length(seq);
        uint8_t *out = make_payload(t->id * MT_MESSAGES + seq, length);
        verve_request_h req = NULL;
        verve_status_t status;

        status = verve_tag_send_nbx(t->p->ab, out, length,
                                    ((uint64_t)t->id << 32) | seq, NULL,
                                    &req);
        if (status == VERVE_INPROGRESS) {
            status = verve_request_wait(t->p->a, req);
            verve_request_free(req);
        }
        t->failed |= (status != VERVE_OK);
        free(out);
    }
    /* What the transport still queues goes out before the thread
     * leaves. */
    {
        verve_request_h req = NULL;
        verve_status_t status = verve_ep_flush_nbx(t->p->ab, NULL, &req);

        if (status == VERVE_INPROGRESS) {
            status = verve_request_wait(t->p->a, req);
            verve_request_free(req);
        }
        t->failed |= (status != VERVE_OK);
    }
    return NULL;
}

static int mt_done;

static void *mt_receiver(void *arg)
{
    mt_args_t *t = arg;
    uint8_t *in = malloc(70000);
    uint32_t seq;

    for (seq = 0; seq < MT_MESSAGES && !t->failed; ++seq) {
        verve_tag_recv_info_t info = {0, 0};
        verve_request_param_t param = {0};
        verve_request_h req = NULL;
        verve_status_t status;

        param.op_attr_mask = VERVE_OP_ATTR_FIELD_RECV_INFO;
        param.recv_info = &info;
        /* Any sequence from this thread's sender: order must hold. */
        status = verve_tag_recv_nbx(t->p->b, in, 70000,
                                    (uint64_t)t->id << 32,
                                    0xffffffff00000000ULL, &param, &req);
        if (status == VERVE_INPROGRESS) {
            status = verve_request_wait(t->p->b, req);
            verve_request_free(req);
        }
        t->failed |= status != VERVE_OK ||
                     info.sender_tag != (((uint64_t)t->id << 32) | seq) ||
                     info.length != mt_length(seq) ||
                     first_bad(in, t->id * MT_MESSAGES + seq,
                               info.length) != -1;
    }
    free(in);
    __atomic_add_fetch(&mt_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void test_tag_multi_thread(void **state)
{
    pair_t *p = calloc(1, sizeof(*p));
    verve_worker_params_t wp = {
        .field_mask = VERVE_WORKER_PARAM_FIELD_THREAD_MODE,
        .thread_mode = VERVE_THREAD_MODE_MULTI};
    mt_args_t args[4];
    pthread_t threads[4];
    unsigned long rounds;
    int i;

    (void)state;
    mt_done = 0;
    setenv("VERVE_TLS", tls_under_test, 1);
    assert_int_equal(verve_context_create(NULL, &p->context), VERVE_OK);
    assert_int_equal(verve_worker_create(p->context, &wp, &p->a), VERVE_OK);
    assert_int_equal(verve_worker_create(p->context, &wp, &p->b), VERVE_OK);
    pair_connect(p);
    for (i = 0; i < 4; ++i) {
        args[i] = (mt_args_t){p, (uint32_t)(i % 2), 0};
        assert_int_equal(pthread_create(&threads[i], NULL,
                                        i < 2 ? mt_receiver : mt_sender,
                                        &args[i]), 0);
    }
    for (i = 2; i < 4; ++i) {
        pthread_join(threads[i], NULL);
    }
    /* a keeps progressing until the receivers are done, as a rank that
     * stays in MPI does: over tcp a flushed endpoint may still hold
     * bytes that only a's progress releases (see the closing note of
     * this change; tcp's flush is not remote completion yet). */
    for (rounds = 0; rounds < PAIR_MAX_ROUNDS &&
                     __atomic_load_n(&mt_done, __ATOMIC_ACQUIRE) < 2;
         ++rounds) {
        verve_worker_progress(p->a);
    }
    for (i = 0; i < 2; ++i) {
        pthread_join(threads[i], NULL);
    }
    for (i = 0; i < 4; ++i) {
        assert_false(args[i].failed);
    }
    assert_int_equal(pair_teardown((void **)&p), 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tag_sizes, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_tag_info_in_place, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_tag_wildcard_order, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_tag_many_masks, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_tag_unexpected_order,
                                        pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_tag_no_overtaking, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_tag_probe, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_tag_truncate, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_tag_sync, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_tag_cancel, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_tag_many_posted, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_tag_iov_send, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_tag_invalid, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_tag_destroy_with_queues,
                                        pair_setup,
                                        pair_teardown_after_destroy),
    };
    /* self with VERVE_SELF_ASYNC: rendezvous reads complete later, through
     * the sender's key, as over RDMA. */
    /* Between two workers: over self one worker is both ends. */
    const struct CMUnitTest two_worker_tests[] = {
        cmocka_unit_test(test_tag_multi_thread),
    };
    static const char *all[] = {"shm", "tcp", "self", "self-async"};
    int failed = 0;
    unsigned i;

    setenv("VERVE_LOG_LEVEL", "fatal", 0);
    setenv("VERVE_TCP_IF", "lo", 0);
    for (i = 0; i < sizeof(all) / sizeof(all[0]); ++i) {
        if (argc > 1 && strcmp(argv[1], all[i]) != 0) {
            continue;
        }
        if (strcmp(all[i], "self-async") == 0) {
            setenv("VERVE_SELF_ASYNC", "y", 1);
            tls_under_test = "self";
        } else {
            unsetenv("VERVE_SELF_ASYNC");
            tls_under_test = all[i];
        }
        cmocka_set_message_output(CM_OUTPUT_STDOUT);
        failed += _cmocka_run_group_tests(all[i], tests,
                                          sizeof(tests) / sizeof(tests[0]),
                                          NULL, NULL);
        if (strcmp(tls_under_test, "self") != 0) {
            failed += _cmocka_run_group_tests(
                    "two workers", two_worker_tests,
                    sizeof(two_worker_tests) / sizeof(two_worker_tests[0]),
                    NULL, NULL);
        }
    }
    return failed != 0;
}
