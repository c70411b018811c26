/*
 * Unit tests of the ud reliability engine, driven through a simulated lossy
 * channel (ud_sim.c) in simulated time: exactly-once in-order delivery of
 * checked messages under loss, duplication and reordering, sequence
 * wraparound, the send window, and ack coalescing and piggybacking.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include "ud_test_util.h"


/* ---- message k from src to dst: a length and contents derived from
 * (src, dst, k), so the receiver regenerates and compares them */

static uint64_t msg_seed(unsigned src, unsigned dst, uint64_t k)
{
    return ((uint64_t)src << 56) ^ ((uint64_t)dst << 48) ^
           (k * 0x9e3779b97f4a7c15ull) ^ 0x5bd1e995ull;
}

static size_t msg_length(unsigned src, unsigned dst, uint64_t k,
                         size_t max)
{
    uint64_t state = msg_seed(src, dst, k);
    return ud_sim_rand(&state) % (max + 1);
}

static void msg_fill(uint8_t *buffer, size_t length, unsigned src,
                     unsigned dst, uint64_t k)
{
    uint64_t state = msg_seed(src, dst, k) ^ 0xabcdefull;
    uint64_t word = 0;

    for (size_t i = 0; i < length; ++i) {
        if ((i % 8) == 0) {
            word = ud_sim_rand(&state);
        }
        buffer[i] = (uint8_t)(word >> (8 * (i % 8)));
    }
}

/* ---- traffic between every pair of nodes */

typedef struct traffic {
    ud_sim_t sim;
    uint64_t count;            /* messages per ordered pair */
    size_t max_length;
    uint64_t sent[UD_SIM_NODES_MAX][UD_SIM_NODES_MAX];
    uint64_t received[UD_SIM_NODES_MAX][UD_SIM_NODES_MAX];  /* [dst][src] */
    uint64_t bad;              /* wrong length, contents or id */
    uint64_t no_resource;
    uint8_t buffer[MSG_MAX];
    uint8_t expect[MSG_MAX];
} traffic_t;

static void traffic_deliver(void *arg, unsigned dst, unsigned src,
                            uint8_t am_id, void *data, size_t length)
{
    traffic_t *t = arg;
    uint64_t k = t->received[dst][src]++;
    size_t expect_length = msg_length(src, dst, k, t->max_length);

    msg_fill(t->expect, expect_length, src, dst, k);
    if ((k >= t->count) || (am_id != (uint8_t)k) ||
        (length != expect_length) ||
        (memcmp(data, t->expect, length) != 0)) {
        ++t->bad;
    }
}

static int traffic_pump(void *arg)
{
    traffic_t *t = arg;
    ud_sim_t *sim = &t->sim;
    verve_status_t status;
    int done = 1;

    for (unsigned src = 0; src < sim->num_nodes; ++src) {
        for (unsigned dst = 0; dst < sim->num_nodes; ++dst) {
            if (src == dst) {
                continue;
            }
            while (t->sent[src][dst] < t->count) {
                uint64_t k = t->sent[src][dst];
                size_t length = msg_length(src, dst, k, t->max_length);
                size_t header_length = vs_min(length, k % 40);

                msg_fill(t->buffer, length, src, dst, k);
                status = vt_ud_rel_send(&sim->nodes[src].rel,
                                        sim->nodes[src].peers[dst],
                                        (uint8_t)k, t->buffer, header_length,
                                        t->buffer + header_length,
                                        length - header_length, NULL);
                if (status == VERVE_ERR_NO_RESOURCE) {
                    ++t->no_resource;
                    break;
                }
                assert_int_equal(status, VERVE_OK);
                ++t->sent[src][dst];
            }
            if (t->received[dst][src] < t->count) {
                done = 0;
            }
        }
    }
    return done;
}

static void traffic_run(unsigned num_nodes, uint64_t count, size_t max_length,
                        const vt_ud_rel_params_t *params,
                        const ud_sim_channel_t *channel, uint64_t seed)
{
    traffic_t *t = calloc(1, sizeof(*t));
    uint64_t datagrams = 0;
    int done;

    assert_non_null(t);
    t->count = count;
    t->max_length = max_length;
    ud_sim_init(&t->sim, num_nodes, params, channel, seed, traffic_deliver,
                t);
    done = ud_sim_run(&t->sim, traffic_pump, t, 3600 * 1000 * UD_SIM_MS);
    assert_true(done);
    print_message("all delivered after %.3f ms of simulated time\n",
                  (double)t->sim.now / UD_SIM_MS);
    assert_int_equal(t->bad, 0);
    for (unsigned i = 0; i < num_nodes; ++i) {
        const vt_ud_rel_stats_t *st = &t->sim.nodes[i].rel.stats;
        char line[256];

        for (unsigned j = 0; j < num_nodes; ++j) {
            if (i != j) {
                assert_int_equal(t->received[i][j], count);
                assert_int_equal(t->sim.nodes[i].failed[j], 0);
            }
        }
        datagrams += st->tx_data;
        print_message("node %u: %s\n", i,
                      vt_ud_rel_stats_str(st, line, sizeof(line)));
    }
    /* Messages up to MSG_MAX bytes really were fragmented. */
    if (max_length > FRAG_MAX) {
        assert_true(datagrams > count * (num_nodes - 1) * num_nodes);
    }
    /* Let the last acks land, then nothing may be left in flight. */
    ud_sim_run(&t->sim, NULL, NULL, UINT64_MAX);
    for (unsigned i = 0; i < num_nodes; ++i) {
        assert_int_equal(t->sim.nodes[i].rel.skb_mp.num_in_use, 0);
        assert_int_equal(t->sim.nodes[i].rel.rx_mp.num_in_use, 0);
        assert_int_equal(vt_ud_rel_next_deadline(&t->sim.nodes[i].rel),
                         UINT64_MAX);
    }
    ud_sim_cleanup(&t->sim);
    free(t);
}

static void test_lossless(void **state)
{
    vt_ud_rel_params_t params = test_params();
    ud_sim_channel_t channel = {.delay_ns = 5 * UD_SIM_US};

    (void)state;
    traffic_run(2, 1000, MSG_MAX, &params, &channel, 1);
}

static void test_loss_5(void **state)
{
    vt_ud_rel_params_t params = test_params();
    ud_sim_channel_t channel = {
        .loss = 0.05, .dup = 0.05, .reorder = 0.05,
        .delay_ns = 5 * UD_SIM_US, .reorder_ns = 50 * UD_SIM_US
    };

    (void)state;
    traffic_run(2, 2000, MSG_MAX, &params, &channel, 2);
}

static void test_loss_30(void **state)
{
    vt_ud_rel_params_t params = test_params();
    ud_sim_channel_t channel = {
        .loss = 0.30, .dup = 0.10, .reorder = 0.10,
        .delay_ns = 5 * UD_SIM_US, .reorder_ns = 100 * UD_SIM_US
    };

    (void)state;
    traffic_run(2, 1000, MSG_MAX, &params, &channel, 3);
}

static void test_four_nodes(void **state)
{
    vt_ud_rel_params_t params = test_params();
    ud_sim_channel_t channel = {
        .loss = 0.15, .dup = 0.05, .reorder = 0.20,
        .delay_ns = 10 * UD_SIM_US, .reorder_ns = 30 * UD_SIM_US
    };

    (void)state;
    traffic_run(4, 300, MSG_MAX, &params, &channel, 4);
}

/* More than 2^16 datagrams on one peer: every psn wraps, under loss. */
static void test_wraparound(void **state)
{
    vt_ud_rel_params_t params = test_params();
    ud_sim_channel_t channel = {
        .loss = 0.05, .dup = 0.02, .reorder = 0.02,
        .delay_ns = 5 * UD_SIM_US, .reorder_ns = 20 * UD_SIM_US
    };

    (void)state;
    traffic_run(2, 70000, 16, &params, &channel, 5);
}

/* The window refuses what it cannot hold, sends nothing of it, and accepts
 * again once acks arrive. */
static void test_window_full(void **state)
{
    vt_ud_rel_params_t params = test_params();
    ud_sim_channel_t channel = {.delay_ns = 5 * UD_SIM_US};
    uint8_t buffer[3 * FRAG_MAX] = {0};
    uint64_t delivered = 0;
    comp_rec_t recs[9];
    vt_ud_rel_peer_t *peer;
    vt_ud_rel_t *rel;
    ud_sim_t sim;

    (void)state;
    params.window = 8;
    params.max_msg = 8 * FRAG_MAX;
    ud_sim_init(&sim, 2, &params, &channel, 6, count_deliver, &delivered);
    rel = &sim.nodes[0].rel;
    peer = sim.nodes[0].peers[1];
    for (int i = 0; i < 6; ++i) {
        comp_rec_init(&recs[i]);
        assert_int_equal(vt_ud_rel_send(rel, peer, 1, NULL, 0, buffer, 10,
                                        &recs[i].comp), VERVE_INPROGRESS);
    }
    assert_int_equal(vt_ud_rel_peer_window_free(peer, rel), 2);
    /* Three fragments do not fit in two slots: nothing goes out. */
    assert_int_equal(vt_ud_rel_send(rel, peer, 1, NULL, 0, buffer,
                                    2 * FRAG_MAX + 1, NULL),
                     VERVE_ERR_NO_RESOURCE);
    assert_int_equal(rel->stats.tx_data, 6);
    assert_int_equal(vt_ud_rel_send(rel, peer, 1, NULL, 0, buffer,
                                    FRAG_MAX + 1, NULL), VERVE_OK);
    assert_int_equal(vt_ud_rel_peer_window_free(peer, rel), 0);
    assert_int_equal(vt_ud_rel_send(rel, peer, 1, NULL, 0, NULL, 0, NULL),
                     VERVE_ERR_NO_RESOURCE);
    /* Larger than the window could ever hold: an error, not a retry. */
    assert_int_equal(vt_ud_rel_send(rel, peer, 1, NULL, 0, buffer,
                                    params.max_msg + 1, NULL),
                     VERVE_ERR_INVALID_PARAM);
    assert_int_equal(rel->stats.tx_data, 8);

    ud_sim_run(&sim, NULL, NULL, UINT64_MAX);
    assert_int_equal(delivered, 7);
    for (int i = 0; i < 6; ++i) {
        assert_int_equal(recs[i].calls, 1);
        /* Updated once: a second update would take the count below 0. */
        assert_int_equal(recs[i].comp.count, 0);
        assert_int_equal(recs[i].status, VERVE_OK);
    }
    assert_int_equal(vt_ud_rel_peer_window_free(peer, rel), 8);
    assert_int_equal(vt_ud_rel_send(rel, peer, 1, NULL, 0, buffer,
                                    3 * FRAG_MAX, NULL), VERVE_OK);
    ud_sim_run(&sim, NULL, NULL, UINT64_MAX);
    assert_int_equal(delivered, 8);
    ud_sim_cleanup(&sim);
}

/* ---- acks */

typedef struct ack_test {
    ud_sim_t sim;
    uint64_t delivered[2];
    int reply;               /* node 1 answers every message */
} ack_test_t;

static void ack_deliver(void *arg, unsigned dst, unsigned src, uint8_t am_id,
                        void *data, size_t length)
{
    ack_test_t *t = arg;
    ud_sim_node_t *node = &t->sim.nodes[dst];

    ++t->delivered[dst];
    if (t->reply && (dst == 1)) {
        assert_int_equal(vt_ud_rel_send(&node->rel, node->peers[src], am_id,
                                        NULL, 0, data, length, NULL),
                         VERVE_OK);
    }
}

static void ack_test_run(ack_test_t *t, int reply, unsigned num_msgs)
{
    vt_ud_rel_params_t params = test_params();
    ud_sim_channel_t channel = {.delay_ns = 5 * UD_SIM_US};
    uint8_t payload[8] = {1, 2, 3, 4, 5, 6, 7, 8};

    params.window = 128;
    memset(t, 0, sizeof(*t));
    t->reply = reply;
    ud_sim_init(&t->sim, 2, &params, &channel, 7, ack_deliver, t);
    for (unsigned i = 0; i < num_msgs; ++i) {
        assert_int_equal(vt_ud_rel_send(&t->sim.nodes[0].rel,
                                        t->sim.nodes[0].peers[1], 2, NULL,
                                        0, payload, sizeof(payload), NULL),
                         VERVE_OK);
    }
    ud_sim_run(&t->sim, NULL, NULL, UINT64_MAX);
    assert_int_equal(t->delivered[1], num_msgs);
    assert_int_equal(t->delivered[0], reply ? num_msgs : 0);
}

/* 100 datagrams arriving together: one ack per 16 (6), and one after the
 * delay for the last 4; nothing resent. */
static void test_ack_coalescing(void **state)
{
    ack_test_t *t = calloc(1, sizeof(*t));

    (void)state;
    assert_non_null(t);
    ack_test_run(t, 0, 100);
    assert_int_equal(t->sim.nodes[1].rel.stats.tx_ack, 100 / 16 + 1);
    assert_int_equal(t->sim.nodes[0].rel.stats.tx_ack, 0);
    assert_int_equal(t->sim.nodes[0].rel.stats.tx_resend, 0);
    assert_int_equal(t->sim.nodes[0].rel.skb_mp.num_in_use, 0);
    ud_sim_cleanup(&t->sim);
    free(t);
}

/* Replies carry the acks: the replying side sends no standalone ack. */
static void test_ack_piggyback(void **state)
{
    ack_test_t *t = calloc(1, sizeof(*t));

    (void)state;
    assert_non_null(t);
    ack_test_run(t, 1, 100);
    assert_int_equal(t->sim.nodes[1].rel.stats.tx_ack, 0);
    assert_int_equal(t->sim.nodes[0].rel.stats.tx_ack, 100 / 16 + 1);
    assert_int_equal(t->sim.nodes[0].rel.skb_mp.num_in_use, 0);
    assert_int_equal(t->sim.nodes[1].rel.skb_mp.num_in_use, 0);
    ud_sim_cleanup(&t->sim);
    free(t);
}

/* A round trip ten times rto_min: the first timeouts back off until a
 * datagram sent once is acked, then the measured round trip sets the
 * timeout and nothing more is resent on a lossless path. */
static void test_rtt_adapts(void **state)
{
    ack_test_t *t = calloc(1, sizeof(*t));
    vt_ud_rel_params_t params = test_params();
    ud_sim_channel_t channel = {.delay_ns = 10 * UD_SIM_MS};
    uint8_t payload[100] = {0};
    vt_ud_rel_peer_t *peer;
    uint64_t timeouts;

    (void)state;
    assert_non_null(t);
    params.rto_min_ns = 2 * UD_SIM_MS;
    ud_sim_init(&t->sim, 2, &params, &channel, 13, ack_deliver, t);
    peer = t->sim.nodes[0].peers[1];
    for (int round = 0; round < 20; ++round) {
        for (int i = 0; i < 10; ++i) {
            assert_int_equal(vt_ud_rel_send(&t->sim.nodes[0].rel, peer, 1,
                                            NULL, 0, payload,
                                            sizeof(payload), NULL),
                             VERVE_OK);
        }
        ud_sim_run(&t->sim, NULL, NULL, UINT64_MAX);
        if (round == 4) {
            timeouts = t->sim.nodes[0].rel.stats.timeouts;
            /* 2, 4, 8, 16 ms expire before the 20 ms round trip. */
            assert_true(timeouts <= 5);
        }
    }
    assert_int_equal(t->delivered[1], 200);
    assert_int_equal(t->sim.nodes[0].rel.stats.timeouts, timeouts);
    /* The samples include the receiver's ack delay (100 us). */
    assert_true(peer->srtt >= 20 * UD_SIM_MS);
    assert_true(peer->srtt <= 21 * UD_SIM_MS);
    ud_sim_cleanup(&t->sim);
    free(t);
}

/* ud_engine.sh reads these words from the closing debug line: each
 * counter in its place, and a short buffer cut, not overrun. */
static void test_stats_str(void **state)
{
    vt_ud_rel_stats_t st = {.tx_data = 1, .tx_resend = 2, .tx_ack = 3,
                            .rx_data = 4, .rx_dup = 5, .rx_ooo = 6,
                            .rx_drop = 7, .timeouts = 8, .fast_resends = 9,
                            .rx_busy = 10};
    char line[256];
    char small[12];

    (void)state;
    assert_string_equal(vt_ud_rel_stats_str(&st, line, sizeof(line)),
                        "sent 1 datagrams, 2 again (9 for selective acks), "
                        "3 standalone acks, 8 timer expiries; accepted 4, "
                        "5 duplicates, 6 after a gap, 7 dropped, 10 busy "
                        "notices");
    memset(small, 'x', sizeof(small));
    vt_ud_rel_stats_str(&st, small, 8);
    assert_string_equal(small, "sent 1 ");
    assert_int_equal(small[8], 'x');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lossless),
        cmocka_unit_test(test_loss_5),
        cmocka_unit_test(test_loss_30),
        cmocka_unit_test(test_four_nodes),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_window_full),
        cmocka_unit_test(test_ack_coalescing),
        cmocka_unit_test(test_ack_piggyback),
        cmocka_unit_test(test_rtt_adapts),
        cmocka_unit_test(test_stats_str),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
