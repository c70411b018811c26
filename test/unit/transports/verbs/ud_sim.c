/* The simulated datagram network of the ud reliability tests. */
#include "ud_sim.h"

#include <stdlib.h>
#include <string.h>

uint64_t ud_sim_rand(uint64_t *state)
{
    /* xorshift64*: small, seeded, and the same on every machine. */
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}

double ud_sim_uniform(uint64_t *state)
{
    return (double)(ud_sim_rand(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- event heap ordered by (at, seq) */

static int ud_sim_packet_less(const ud_sim_packet_t *a,
                              const ud_sim_packet_t *b)
{
    return (a->at < b->at) || ((a->at == b->at) && (a->seq < b->seq));
}

static void ud_sim_heap_push(ud_sim_t *sim, ud_sim_packet_t *packet)
{
    size_t i;

    if (sim->heap_count == sim->heap_capacity) {
        sim->heap_capacity = sim->heap_capacity ? sim->heap_capacity * 2 : 64;
        sim->heap = realloc(sim->heap,
                            sim->heap_capacity * sizeof(*sim->heap));
        if (sim->heap == NULL) {
            abort();
        }
    }
    i = sim->heap_count++;
    while (i > 0 && ud_sim_packet_less(packet, sim->heap[(i - 1) / 2])) {
        sim->heap[i] = sim->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    sim->heap[i] = packet;
}

static ud_sim_packet_t *ud_sim_heap_pop(ud_sim_t *sim)
{
    ud_sim_packet_t *top = sim->heap[0];
    ud_sim_packet_t *last = sim->heap[--sim->heap_count];
    size_t i = 0;
    size_t child;

    while ((child = 2 * i + 1) < sim->heap_count) {
        if ((child + 1 < sim->heap_count) &&
            ud_sim_packet_less(sim->heap[child + 1], sim->heap[child])) {
            ++child;
        }
        if (!ud_sim_packet_less(sim->heap[child], last)) {
            break;
        }
        sim->heap[i] = sim->heap[child];
        i = child;
    }
    if (sim->heap_count > 0) {
        sim->heap[i] = last;
    }
    return top;
}

/* ---- the channel */

static void ud_sim_enqueue(ud_sim_t *sim, unsigned src, unsigned dst,
                           const void *data, size_t length)
{
    ud_sim_packet_t *packet = malloc(sizeof(*packet) + length);
    uint64_t delay = sim->channel.delay_ns;

    if (packet == NULL) {
        abort();
    }
    if (ud_sim_uniform(&sim->rng) < sim->channel.reorder) {
        delay += ud_sim_rand(&sim->rng) % (sim->channel.reorder_ns + 1);
    }
    packet->at = sim->now + delay;
    packet->seq = sim->seq++;
    packet->src = src;
    packet->dst = dst;
    packet->length = length;
    memcpy(packet->data, data, length);
    ud_sim_heap_push(sim, packet);
}

static verve_status_t ud_sim_tx(void *arg, void *peer_arg,
                                const void *datagram, size_t length)
{
    ud_sim_node_t *node = arg;
    ud_sim_link_t *link = peer_arg;
    ud_sim_t *sim = node->sim;

    ++sim->tx_datagrams;
    if (sim->tx_hook != NULL) {
        sim->tx_hook(sim->arg, node->index, link->remote, datagram, length);
    }
    if (sim->blocked[node->index][link->remote] ||
        (ud_sim_uniform(&sim->rng) < sim->channel.loss)) {
        ++sim->lost;
        return VERVE_OK;
    }
    ud_sim_enqueue(sim, node->index, link->remote, datagram, length);
    if (ud_sim_uniform(&sim->rng) < sim->channel.dup) {
        ud_sim_enqueue(sim, node->index, link->remote, datagram, length);
    }
    return VERVE_OK;
}

static void ud_sim_deliver(void *arg, void *peer_arg, uint8_t am_id,
                           void *data, size_t length)
{
    ud_sim_node_t *node = arg;
    ud_sim_link_t *link = peer_arg;

    node->sim->deliver(node->sim->arg, node->index, link->remote, am_id,
                       data, length);
}

static void ud_sim_failed(void *arg, void *peer_arg)
{
    ud_sim_node_t *node = arg;
    ud_sim_link_t *link = peer_arg;

    ++node->failed[link->remote];
}

void ud_sim_init(ud_sim_t *sim, unsigned num_nodes,
                 const vt_ud_rel_params_t *params,
                 const ud_sim_channel_t *channel, uint64_t seed,
                 ud_sim_deliver_t deliver, void *arg)
{
    vt_ud_rel_params_t node_params = *params;

    memset(sim, 0, sizeof(*sim));
    sim->num_nodes = num_nodes;
    sim->channel = *channel;
    sim->rng = seed | 1;
    sim->now = 1;
    sim->deliver = deliver;
    sim->arg = arg;
    node_params.tx = ud_sim_tx;
    node_params.deliver = ud_sim_deliver;
    node_params.failed = ud_sim_failed;
    for (unsigned i = 0; i < num_nodes; ++i) {
        ud_sim_node_t *node = &sim->nodes[i];
        node->sim = sim;
        node->index = i;
        node_params.arg = node;
        node_params.local_id = ud_sim_node_id(i);
        if (vt_ud_rel_init(&node->rel, &node_params) != VERVE_OK) {
            abort();
        }
        for (unsigned j = 0; j < num_nodes; ++j) {
            if (j == i) {
                continue;
            }
            node->links[j] = (ud_sim_link_t){node, j};
            if (vt_ud_rel_peer_create(&node->rel, ud_sim_node_id(j),
                                      &node->links[j],
                                      &node->peers[j]) != VERVE_OK) {
                abort();
            }
        }
    }
}

void ud_sim_cleanup(ud_sim_t *sim)
{
    for (unsigned i = 0; i < sim->num_nodes; ++i) {
        vt_ud_rel_cleanup(&sim->nodes[i].rel);
    }
    while (sim->heap_count > 0) {
        free(ud_sim_heap_pop(sim));
    }
    free(sim->heap);
}

int ud_sim_run(ud_sim_t *sim, ud_sim_pump_t pump, void *arg,
               uint64_t limit_ns)
{
    ud_sim_packet_t *packet;
    uint64_t next;

    for (;;) {
        if ((pump != NULL) && pump(arg)) {
            return 1;
        }
        while ((sim->heap_count > 0) && (sim->heap[0]->at <= sim->now)) {
            packet = ud_sim_heap_pop(sim);
            vt_ud_rel_recv(&sim->nodes[packet->dst].rel, packet->data,
                           packet->length, sim->now);
            free(packet);
        }
        for (unsigned i = 0; i < sim->num_nodes; ++i) {
            vt_ud_rel_progress(&sim->nodes[i].rel, sim->now);
        }
        if ((pump != NULL) && pump(arg)) {
            return 1;
        }
        next = UINT64_MAX;
        if (sim->heap_count > 0) {
            next = sim->heap[0]->at;
        }
        for (unsigned i = 0; i < sim->num_nodes; ++i) {
            uint64_t deadline = vt_ud_rel_next_deadline(&sim->nodes[i].rel);
            if (deadline < next) {
                next = deadline;
            }
        }
        if (next == UINT64_MAX) {
            return 0;
        }
        if (next <= sim->now) {
            next = sim->now + 1;
        }
        if (next > limit_ns) {
            return 0;
        }
        sim->now = next;
    }
}
