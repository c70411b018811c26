/*
 * Unit tests of the ud reliability engine, failure side: the retransmission
 * back-off, peer failure and destruction, bytes from the wire, the per-peer
 * footprint, and the parameters and configuration.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include "ud_test_util.h"
#include "transports/verbs/ud_rel_int.h"


/* ---- retransmission and failure */

typedef struct backoff_test {
    uint64_t times[64];
    unsigned num_times;
    ud_sim_t *sim;
} backoff_test_t;

static void backoff_tx_hook(void *arg, unsigned src, unsigned dst,
                            const uint8_t *data, size_t length)
{
    backoff_test_t *t = arg;
    (void)dst;
    (void)data;
    if ((src == 0) && (length > VT_UD_REL_HDR_LEN) &&
        (t->num_times < vs_array_size(t->times))) {
        t->times[t->num_times++] = t->sim->now;
    }
}

/* A peer that never answers: resends after 1, 2, 4, 8, 8... ms (doubling up
 * to RTO_MAX), and failure exactly TIMEOUT after the first send. */
static void test_backoff_schedule(void **state)
{
    static const uint64_t expect_ms[] = {0, 1, 3, 7, 15, 23, 31, 39, 47};
    vt_ud_rel_params_t params = test_params();
    ud_sim_channel_t channel = {.delay_ns = 5 * UD_SIM_US};
    backoff_test_t t = {.num_times = 0};
    uint8_t payload[4] = {0};
    comp_rec_t rec;
    uint64_t start;
    ud_sim_t sim;

    (void)state;
    params.rto_min_ns = 1 * UD_SIM_MS;
    params.rto_max_ns = 8 * UD_SIM_MS;
    params.timeout_ns = 50 * UD_SIM_MS;
    ud_sim_init(&sim, 2, &params, &channel, 8, noop_deliver, &t);
    sim.tx_hook = backoff_tx_hook;
    sim.blocked[0][1] = 1;
    t.sim = &sim;
    start = sim.now;
    comp_rec_init(&rec);
    assert_int_equal(vt_ud_rel_send(&sim.nodes[0].rel, sim.nodes[0].peers[1],
                                    3, NULL, 0, payload, sizeof(payload),
                                    &rec.comp), VERVE_INPROGRESS);
    ud_sim_run(&sim, NULL, NULL, UINT64_MAX);

    assert_int_equal(t.num_times, vs_array_size(expect_ms));
    for (unsigned i = 0; i < t.num_times; ++i) {
        assert_int_equal(t.times[i] - start, expect_ms[i] * UD_SIM_MS);
    }
    assert_int_equal(sim.now - start, 50 * UD_SIM_MS);
    assert_int_equal(rec.calls, 1);
    /* Updated once: a second update would take the count below 0. */
    assert_int_equal(rec.comp.count, 0);
    assert_int_equal(rec.status, VERVE_ERR_PEER_FAILED);
    assert_int_equal(sim.nodes[0].failed[1], 1);
    assert_int_equal(sim.nodes[0].rel.stats.timeouts, 8);
    ud_sim_cleanup(&sim);
}

#define FAIL_MSGS 40

typedef struct fail_test {
    ud_sim_t sim;
    comp_rec_t recs[FAIL_MSGS];
    comp_rec_t flush;
    unsigned sent;
    unsigned refused;
    uint64_t delivered;
    unsigned kill_after;     /* sends acked before node 1 dies */
} fail_test_t;

static void fail_deliver(void *arg, unsigned dst, unsigned src,
                         uint8_t am_id, void *data, size_t length)
{
    fail_test_t *t = arg;
    (void)dst;
    (void)src;
    (void)am_id;
    (void)data;
    (void)length;
    ++t->delivered;
}

static int fail_pump(void *arg)
{
    fail_test_t *t = arg;
    static uint8_t buffer[4 * FRAG_MAX];
    verve_status_t status;

    /* The peer dies once a few sends have succeeded. */
    if ((t->sent > t->kill_after) && (t->recs[t->kill_after].calls == 1)) {
        t->sim.blocked[0][1] = 1;
        t->sim.blocked[1][0] = 1;
    }
    while (t->sent < FAIL_MSGS) {
        comp_rec_init(&t->recs[t->sent]);
        status = vt_ud_rel_send(&t->sim.nodes[0].rel,
                                t->sim.nodes[0].peers[1], 4, NULL, 0,
                                buffer, (t->sent * 997) % sizeof(buffer),
                                &t->recs[t->sent].comp);
        if (status == VERVE_ERR_NO_RESOURCE) {
            break;
        }
        if (status == VERVE_ERR_PEER_FAILED) {
            /* Refused at once, nothing to complete later. */
            assert_true(vt_ud_rel_peer_is_failed(t->sim.nodes[0].peers[1]));
            ++t->refused;
            break;
        }
        assert_int_equal(status, VERVE_INPROGRESS);
        if (++t->sent == FAIL_MSGS) {
            comp_rec_init(&t->flush);
            assert_int_equal(vt_ud_rel_flush(&t->sim.nodes[0].rel,
                                             t->sim.nodes[0].peers[1],
                                             &t->flush.comp),
                             VERVE_INPROGRESS);
        }
    }
    return 0;
}

/* The peer dies with sends in flight and waiting: every one completes once,
 * with VERVE_OK if it was acked before, VERVE_ERR_PEER_FAILED otherwise;
 * nothing hangs and later operations fail at once. */
static void test_peer_failure(void **state)
{
    vt_ud_rel_params_t params = test_params();
    ud_sim_channel_t channel = {
        .loss = 0.1, .delay_ns = 5 * UD_SIM_US
    };
    fail_test_t *t = calloc(1, sizeof(*t));
    vt_ud_rel_t *rel;
    vt_ud_rel_peer_t *peer;
    unsigned num_ok = 0;
    unsigned num_failed = 0;
    comp_rec_t late;

    (void)state;
    assert_non_null(t);
    params.window = 16;
    params.timeout_ns = 200 * UD_SIM_MS;
    params.max_msg = 4 * FRAG_MAX;
    t->kill_after = 5;
    ud_sim_init(&t->sim, 2, &params, &channel, 9, fail_deliver, t);
    rel = &t->sim.nodes[0].rel;
    peer = t->sim.nodes[0].peers[1];
    /* Returns 0 once nothing is left to do: everything has ended. */
    assert_false(ud_sim_run(&t->sim, fail_pump, t, 3600 * 1000 * UD_SIM_MS));

    assert_true(vt_ud_rel_peer_is_failed(peer));
    assert_int_equal(t->sim.nodes[0].failed[1], 1);
    for (unsigned i = 0; i < t->sent; ++i) {
        assert_int_equal(t->recs[i].calls, 1);
        assert_int_equal(t->recs[i].comp.count, 0);
        if (t->recs[i].status == VERVE_OK) {
            /* Acks are cumulative: no success after a failure. */
            assert_int_equal(num_failed, 0);
            ++num_ok;
        } else {
            assert_int_equal(t->recs[i].status, VERVE_ERR_PEER_FAILED);
            ++num_failed;
        }
    }
    assert_true(num_ok > t->kill_after);
    assert_true(num_failed > 0);
    assert_int_equal(num_ok + num_failed, t->sent);
    /* The receiver got at least what was acked, and nothing twice. */
    assert_true(t->delivered >= num_ok);
    assert_true(t->delivered <= t->sent);
    /* The window stalls the sender when the peer dies, so later sends
     * were refused at once; a flush, if it was posted, failed once. */
    if (t->sent == FAIL_MSGS) {
        assert_int_equal(t->flush.calls, 1);
        assert_int_equal(t->flush.comp.count, 0);
        assert_int_equal(t->flush.status, VERVE_ERR_PEER_FAILED);
    } else {
        assert_true(t->refused > 0);
    }
    assert_int_equal(rel->skb_mp.num_in_use, 0);
    assert_int_equal(vt_ud_rel_next_deadline(rel), UINT64_MAX);

    comp_rec_init(&late);
    assert_int_equal(vt_ud_rel_send(rel, peer, 1, NULL, 0, NULL, 0,
                                    &late.comp), VERVE_ERR_PEER_FAILED);
    assert_int_equal(vt_ud_rel_flush(rel, peer, &late.comp),
                     VERVE_ERR_PEER_FAILED);
    assert_int_equal(late.calls, 0);
    ud_sim_cleanup(&t->sim);
    free(t);
}

/* One dead peer among three: its sends fail, the others' complete, and
 * nothing on the live path is disturbed. */
static void test_one_peer_fails(void **state)
{
    vt_ud_rel_params_t params = test_params();
    ud_sim_channel_t channel = {.loss = 0.1, .delay_ns = 5 * UD_SIM_US};
    comp_rec_t *recs = calloc(2 * FAIL_MSGS, sizeof(*recs));
    uint8_t buffer[3 * FRAG_MAX] = {0};
    uint64_t delivered = 0;
    ud_sim_t sim;

    (void)state;
    assert_non_null(recs);
    params.timeout_ns = 100 * UD_SIM_MS;
    ud_sim_init(&sim, 3, &params, &channel, 14, count_deliver, &delivered);
    for (unsigned n = 0; n < 3; ++n) {
        sim.blocked[n][2] = 1;
        sim.blocked[2][n] = 1;
    }
    for (unsigned i = 0; i < 2 * FAIL_MSGS; ++i) {
        unsigned dst = 1 + i % 2;
        comp_rec_init(&recs[i]);
        assert_int_equal(vt_ud_rel_send(&sim.nodes[0].rel,
                                        sim.nodes[0].peers[dst], 1, NULL, 0,
                                        buffer, i % sizeof(buffer),
                                        &recs[i].comp), VERVE_INPROGRESS);
    }
    assert_false(ud_sim_run(&sim, NULL, NULL, UINT64_MAX));
    for (unsigned i = 0; i < 2 * FAIL_MSGS; ++i) {
        assert_int_equal(recs[i].calls, 1);
        assert_int_equal(recs[i].comp.count, 0);
        assert_int_equal(recs[i].status, (i % 2) ? VERVE_ERR_PEER_FAILED :
                                                   VERVE_OK);
    }
    assert_int_equal(delivered, FAIL_MSGS);
    assert_int_equal(sim.nodes[0].failed[2], 1);
    assert_int_equal(sim.nodes[0].failed[1], 0);
    assert_int_equal(sim.nodes[1].failed[0], 0);
    assert_false(vt_ud_rel_peer_is_failed(sim.nodes[0].peers[1]));
    assert_int_equal(vt_ud_rel_send(&sim.nodes[0].rel, sim.nodes[0].peers[1],
                                    1, NULL, 0, NULL, 0, NULL), VERVE_OK);
    assert_int_equal(vt_ud_rel_send(&sim.nodes[0].rel, sim.nodes[0].peers[2],
                                    1, NULL, 0, NULL, 0, NULL),
                     VERVE_ERR_PEER_FAILED);
    ud_sim_cleanup(&sim);
    free(recs);
}

/* Destroying a peer with sends pending cancels each exactly once. */
static void test_destroy_cancels(void **state)
{
    vt_ud_rel_params_t params = test_params();
    ud_sim_channel_t channel = {.delay_ns = 5 * UD_SIM_US};
    comp_rec_t recs[3];
    uint8_t buffer[2 * FRAG_MAX] = {0};
    uint64_t delivered = 0;
    ud_sim_t sim;

    (void)state;
    ud_sim_init(&sim, 2, &params, &channel, 10, count_deliver, &delivered);
    for (int i = 0; i < 3; ++i) {
        comp_rec_init(&recs[i]);
        assert_int_equal(vt_ud_rel_send(&sim.nodes[0].rel,
                                        sim.nodes[0].peers[1], 1, NULL, 0,
                                        buffer, sizeof(buffer),
                                        &recs[i].comp), VERVE_INPROGRESS);
    }
    vt_ud_rel_peer_destroy(&sim.nodes[0].rel, sim.nodes[0].peers[1]);
    sim.nodes[0].peers[1] = NULL;
    for (int i = 0; i < 3; ++i) {
        assert_int_equal(recs[i].calls, 1);
        assert_int_equal(recs[i].comp.count, 0);
        assert_int_equal(recs[i].status, VERVE_ERR_CANCELED);
    }
    /* Node 1 still gets the datagrams already on the wire; its acks go to
     * an id node 0 no longer knows, and are dropped. */
    ud_sim_run(&sim, NULL, NULL, UINT64_MAX);
    assert_int_equal(delivered, 3);
    assert_true(sim.nodes[0].rel.stats.rx_drop > 0);
    ud_sim_cleanup(&sim);
}

/* ---- robustness against bytes from the wire */

static void test_malformed(void **state)
{
    vt_ud_rel_params_t params = test_params();
    ud_sim_channel_t channel = {.delay_ns = 5 * UD_SIM_US};
    uint8_t datagram[MTU];
    uint64_t delivered = 0;
    uint64_t rng = 11;
    ud_sim_t sim;

    (void)state;
    ud_sim_init(&sim, 2, &params, &channel, 11, count_deliver, &delivered);
    /* Too short, then random headers: some hit the real peer id. */
    vt_ud_rel_recv(&sim.nodes[1].rel, datagram, VT_UD_REL_HDR_LEN - 1, 1);
    assert_int_equal(sim.nodes[1].rel.stats.rx_drop, 1);
    for (int i = 0; i < 20000; ++i) {
        size_t length = ud_sim_rand(&rng) % sizeof(datagram);
        for (size_t b = 0; b < length; ++b) {
            datagram[b] = (uint8_t)ud_sim_rand(&rng);
        }
        if (length >= 8 && (i % 2)) {
            uint64_t id = ud_sim_node_id(0);
            for (int b = 0; b < 8; ++b) {
                datagram[b] = (uint8_t)(id >> (8 * b));
            }
        }
        vt_ud_rel_recv(&sim.nodes[1].rel, datagram, length, 1);
    }
    /* The engine still works: nothing was acked that was never sent. */
    assert_int_equal(vt_ud_rel_send(&sim.nodes[1].rel, sim.nodes[1].peers[0],
                                    1, NULL, 0, datagram, 100, NULL),
                     VERVE_OK);
    ud_sim_run(&sim, NULL, NULL, UINT64_MAX);
    ud_sim_cleanup(&sim);
}

/* ---- footprint */

#define MANY_PEERS 1000
/* Stated bounds: the peer struct, and everything the engine allocates per
 * idle peer (the struct in its pool, its id-table slots). */
#define PEER_STRUCT_MAX 176
#define PEER_BYTES_MAX 256


static void test_peer_memory(void **state)
{
    vt_ud_rel_params_t params = test_params();
    vt_ud_rel_peer_t **peers = calloc(MANY_PEERS, sizeof(*peers));
    vt_ud_rel_t rel;
    size_t before;
    size_t per_peer;

    (void)state;
    assert_non_null(peers);
    params.tx = null_tx;
    params.deliver = null_deliver;
    assert_int_equal(vt_ud_rel_init(&rel, &params), VERVE_OK);
    before = vt_ud_rel_mem_bytes(&rel);
    for (unsigned i = 0; i < MANY_PEERS; ++i) {
        assert_int_equal(vt_ud_rel_peer_create(&rel, 1000 + i, NULL,
                                               &peers[i]), VERVE_OK);
    }
    assert_ptr_equal(vt_ud_rel_peer_find(&rel, 1000 + 7), peers[7]);
    assert_null(vt_ud_rel_peer_find(&rel, 999));
    /* The kept answer follows the table: a destroyed peer is not found,
     * a new one with its id is. */
    assert_ptr_equal(vt_ud_rel_peer_find(&rel, 1000 + 7), peers[7]);
    vt_ud_rel_peer_destroy(&rel, peers[7]);
    assert_null(vt_ud_rel_peer_find(&rel, 1000 + 7));
    assert_int_equal(vt_ud_rel_peer_create(&rel, 1000 + 7, NULL, &peers[7]),
                     VERVE_OK);
    assert_ptr_equal(vt_ud_rel_peer_find(&rel, 1000 + 7), peers[7]);
    assert_ptr_equal(vt_ud_rel_peer_find(&rel, 1000 + 8), peers[8]);
    assert_int_equal(vt_ud_rel_peer_create(&rel, 1000, NULL, &peers[0]),
                     VERVE_ERR_INVALID_PARAM);
    per_peer = (vt_ud_rel_mem_bytes(&rel) - before) / MANY_PEERS;
    print_message("peer: %zu bytes of state, %zu bytes allocated per peer\n",
                  sizeof(vt_ud_rel_peer_t), per_peer);
    assert_true(sizeof(vt_ud_rel_peer_t) <= PEER_STRUCT_MAX);
    assert_true(per_peer <= PEER_BYTES_MAX);

    /* Traffic on every peer leaves nothing behind once acked. */
    for (unsigned i = 0; i < MANY_PEERS; ++i) {
        assert_int_equal(vt_ud_rel_send(&rel, peers[i], 0, NULL, 0, NULL, 0,
                                         NULL), VERVE_OK);
    }
    assert_int_equal(rel.skb_mp.num_in_use, MANY_PEERS);
    for (unsigned i = 0; i < MANY_PEERS; ++i) {
        vt_ud_rel_peer_destroy(&rel, peers[i]);
    }
    assert_int_equal(rel.skb_mp.num_in_use, 0);
    assert_int_equal(rel.peer_mp.num_in_use, 0);
    vt_ud_rel_cleanup(&rel);
    free(peers);
}

static void test_params_invalid(void **state)
{
    vt_ud_rel_params_t params = test_params();
    vt_ud_rel_t rel;

    (void)state;
    params.tx = null_tx;
    params.deliver = null_deliver;
    params.window = 4;   /* 16 KiB needs 17 fragments of 1014 bytes */
    assert_int_equal(vt_ud_rel_init(&rel, &params), VERVE_ERR_INVALID_PARAM);
    params = test_params();
    params.tx = null_tx;
    params.deliver = null_deliver;
    params.window = VT_UD_REL_WINDOW_MAX + 1;
    assert_int_equal(vt_ud_rel_init(&rel, &params), VERVE_ERR_INVALID_PARAM);
    params.window = 64;
    params.mtu = VT_UD_REL_HDR_LEN;
    assert_int_equal(vt_ud_rel_init(&rel, &params), VERVE_ERR_INVALID_PARAM);
}

/* VERVE_UD_* reach the engine; the defaults make a valid engine at the
 * common MTUs; a malformed value is an error. */
static void test_config(void **state)
{
    static const size_t mtus[] = {1024, 2048, 4096};
    vt_ud_rel_params_t params = test_params();
    vt_ud_config_t config;
    vt_ud_rel_t rel;

    (void)state;
    setenv("VERVE_UD_TIMEOUT", "2s", 1);
    setenv("VERVE_UD_ACK_DELAY", "250us", 1);
    assert_int_equal(vs_config_read(&vt_ud_config_table, &config), VERVE_OK);
    vt_ud_rel_params_from_config(&params, &config);
    vs_config_release(&vt_ud_config_table, &config);
    assert_int_equal(params.timeout_ns, 2000 * UD_SIM_MS);
    assert_int_equal(params.ack_delay_ns, 250 * UD_SIM_US);
    params.tx = null_tx;
    params.deliver = null_deliver;
    for (size_t i = 0; i < vs_array_size(mtus); ++i) {
        params.mtu = mtus[i];
        assert_int_equal(vt_ud_rel_init(&rel, &params), VERVE_OK);
        vt_ud_rel_cleanup(&rel);
    }
    setenv("VERVE_UD_WINDOW", "lots", 1);
    assert_int_equal(vs_config_read(&vt_ud_config_table, &config),
                     VERVE_ERR_INVALID_CONFIG);
    unsetenv("VERVE_UD_WINDOW");
    unsetenv("VERVE_UD_TIMEOUT");
    unsetenv("VERVE_UD_ACK_DELAY");
}

static void test_datagram_src(void **state)
{
    uint8_t datagram[VT_UD_REL_HDR_LEN] = {0};
    uint64_t id = 0;
    ud_sim_channel_t channel = {.delay_ns = 5 * UD_SIM_US};
    vt_ud_rel_params_t params = test_params();
    uint64_t delivered = 0;
    ud_sim_t sim;

    (void)state;
    assert_false(vt_ud_rel_datagram_src(datagram, sizeof(datagram) - 1,
                                        &id));
    /* A standalone ack from node 1 names node 1. */
    ud_sim_init(&sim, 2, &params, &channel, 12, count_deliver, &delivered);
    vt_ud_rel_tx_ack(&sim.nodes[1].rel, sim.nodes[1].peers[0]);
    assert_int_equal(sim.heap_count, 1);
    assert_true(vt_ud_rel_datagram_src(sim.heap[0]->data,
                                       sim.heap[0]->length, &id));
    assert_int_equal(id, ud_sim_node_id(1));
    ud_sim_cleanup(&sim);
}

/* The header on the wire, byte by byte: little-endian fields at the
 * documented offsets, so that hosts of either byte order and builds of
 * either codec talk to each other. */
static void test_header_bytes(void **state)
{
    static const uint8_t expect[VT_UD_REL_HDR_LEN] = {
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,   /* src_id */
        0x34, 0x12,                                       /* psn */
        0x78, 0x56,                                       /* ack_psn */
        0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12,   /* sack */
        0xa5,                                             /* flags */
        0x5a                                              /* am_id */
    };
    vt_ud_rel_hdr_t hdr = {.src_id = 0x0102030405060708ull, .psn = 0x1234,
                           .ack_psn = 0x5678,
                           .sack = 0x123456789abcdef0ull, .flags = 0xa5,
                           .am_id = 0x5a};
    vt_ud_rel_hdr_t back;
    uint8_t wire[VT_UD_REL_HDR_LEN + 1];

    (void)state;
    memset(wire, 0xee, sizeof(wire));
    vt_ud_rel_hdr_pack(wire, &hdr);
    assert_memory_equal(wire, expect, VT_UD_REL_HDR_LEN);
    assert_int_equal(wire[VT_UD_REL_HDR_LEN], 0xee);
    vt_ud_rel_hdr_unpack(wire, &back);
    assert_true(back.src_id == hdr.src_id && back.psn == hdr.psn &&
                back.ack_psn == hdr.ack_psn && back.sack == hdr.sack &&
                back.flags == hdr.flags && back.am_id == hdr.am_id);
}

/* ---- a busy peer */

#define BUSY_MSGS 12

typedef struct busy_test {
    ud_sim_t sim;
    comp_rec_t recs[BUSY_MSGS];
    uint64_t delivered;
    uint64_t busy_until;     /* node 1 neither hears nor answers before */
    uint64_t interval;       /* between its BUSY datagrams, 0: none */
    uint64_t next_busy;
    unsigned sent;
} busy_test_t;

static int busy_pump(void *arg)
{
    busy_test_t *t = arg;
    uint8_t busy[VT_UD_REL_HDR_LEN];
    verve_status_t status;
    unsigned done = 0;

    while (t->sent < BUSY_MSGS) {
        comp_rec_init(&t->recs[t->sent]);
        status = vt_ud_rel_send(&t->sim.nodes[0].rel,
                                t->sim.nodes[0].peers[1], 4, NULL, 0, busy,
                                sizeof(busy), &t->recs[t->sent].comp);
        assert_int_equal(status, VERVE_INPROGRESS);
        ++t->sent;
    }
    if (t->sim.now < t->busy_until) {
        t->sim.blocked[0][1] = t->sim.blocked[1][0] = 1;
        /* What node 1's keepalive thread sends while its owner computes,
         * straight to node 0 (another QP, not the blocked path). */
        if ((t->interval > 0) && (t->sim.now >= t->next_busy)) {
            vt_ud_rel_pack_busy(ud_sim_node_id(1), busy);
            assert_true(vt_ud_rel_datagram_is_busy(busy, sizeof(busy)));
            vt_ud_rel_recv(&t->sim.nodes[0].rel, busy, sizeof(busy),
                           vs_max(t->sim.now, 1));
            t->next_busy = t->sim.now + t->interval;
        }
    } else {
        t->sim.blocked[0][1] = t->sim.blocked[1][0] = 0;
    }
    for (unsigned i = 0; i < t->sent; ++i) {
        done += t->recs[i].calls;
    }
    return done == BUSY_MSGS;
}

/* Node 1 computes for five failure timeouts without progress: with BUSY
 * datagrams every quarter timeout, node 0 keeps resending instead of
 * failing it, and everything arrives once node 1 is back; without them,
 * node 0 fails it. */
static void test_busy_peer(void **state)
{
    vt_ud_rel_params_t params = test_params();
    ud_sim_channel_t channel = {.delay_ns = 5 * UD_SIM_US};
    busy_test_t *t = calloc(1, sizeof(*t));
    const vt_ud_rel_stats_t *stats;

    (void)state;
    assert_non_null(t);
    for (int keepalive = 1; keepalive >= 0; --keepalive) {
        memset(t, 0, sizeof(*t));
        params.timeout_ns = 200 * UD_SIM_MS;
        t->busy_until = 5 * params.timeout_ns;
        t->interval = keepalive ? params.timeout_ns / 4 : 0;
        ud_sim_init(&t->sim, 2, &params, &channel, 15, count_deliver,
                    &t->delivered);
        assert_true(ud_sim_run(&t->sim, busy_pump, t, 3600 * UD_SIM_MS));
        stats = &t->sim.nodes[0].rel.stats;
        for (unsigned i = 0; i < BUSY_MSGS; ++i) {
            assert_int_equal(t->recs[i].status, keepalive ?
                             VERVE_OK : VERVE_ERR_PEER_FAILED);
        }
        if (keepalive) {
            assert_int_equal(t->sim.nodes[0].failed[1], 0);
            assert_int_equal(t->delivered, BUSY_MSGS);
            assert_true(stats->rx_busy >= 16);
            assert_true(t->sim.now > t->busy_until);
        } else {
            assert_int_equal(t->sim.nodes[0].failed[1], 1);
            assert_int_equal(stats->rx_busy, 0);
        }
        ud_sim_cleanup(&t->sim);
    }
    free(t);
}

/* The owner itself pauses for five timeouts (no progress call): that is no
 * evidence against its silent peer, which it fails only a full timeout
 * after it is back. */
static void test_owner_pause(void **state)
{
    vt_ud_rel_params_t params = test_params();
    ud_sim_channel_t channel = {.delay_ns = 5 * UD_SIM_US};
    uint64_t delivered = 0, t, back;
    vt_ud_rel_peer_t *peer;
    comp_rec_t rec;
    ud_sim_t sim;

    (void)state;
    params.timeout_ns = 200 * UD_SIM_MS;
    ud_sim_init(&sim, 2, &params, &channel, 16, count_deliver, &delivered);
    peer = sim.nodes[0].peers[1];
    comp_rec_init(&rec);
    assert_int_equal(vt_ud_rel_send(&sim.nodes[0].rel, peer, 4, NULL, 0,
                                    &rec, 8, &rec.comp), VERVE_INPROGRESS);
    vt_ud_rel_progress(&sim.nodes[0].rel, UD_SIM_MS);
    back = UD_SIM_MS + 5 * params.timeout_ns;
    vt_ud_rel_progress(&sim.nodes[0].rel, back);
    assert_false(vt_ud_rel_peer_is_failed(peer));
    for (t = back; !vt_ud_rel_peer_is_failed(peer); t += 10 * UD_SIM_MS) {
        vt_ud_rel_progress(&sim.nodes[0].rel, t);
        assert_true(t <= back + params.timeout_ns + params.rto_max_ns);
    }
    assert_true(t > back + params.timeout_ns);
    assert_int_equal(rec.status, VERVE_ERR_PEER_FAILED);
    ud_sim_cleanup(&sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_owner_pause),
        cmocka_unit_test(test_busy_peer),
        cmocka_unit_test(test_backoff_schedule),
        cmocka_unit_test(test_peer_failure),
        cmocka_unit_test(test_one_peer_fails),
        cmocka_unit_test(test_destroy_cancels),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_peer_memory),
        cmocka_unit_test(test_params_invalid),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_datagram_src),
        cmocka_unit_test(test_header_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
