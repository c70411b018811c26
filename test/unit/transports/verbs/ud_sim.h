/*
 * A simulated datagram network for the ud reliability engine: n nodes, each
 * with an engine and a peer for every other node, joined by a channel that
 * loses, duplicates, reorders and delays datagrams from a seeded generator,
 * in simulated time. Deterministic for a given seed.
 */
#ifndef UD_SIM_H
#define UD_SIM_H

#include <stddef.h>
#include <stdint.h>
#include "transports/verbs/ud_rel.h"

#define UD_SIM_NODES_MAX 8
#define UD_SIM_US 1000ull
#define UD_SIM_MS 1000000ull

typedef struct ud_sim ud_sim_t;
typedef struct ud_sim_node ud_sim_node_t;

typedef struct ud_sim_link {
    ud_sim_node_t *node;     /* the owner */
    unsigned remote;         /* the node this peer reaches */
} ud_sim_link_t;

struct ud_sim_node {
    ud_sim_t *sim;
    unsigned index;
    vt_ud_rel_t rel;
    vt_ud_rel_peer_t *peers[UD_SIM_NODES_MAX];  /* NULL for itself */
    ud_sim_link_t links[UD_SIM_NODES_MAX];
    unsigned failed[UD_SIM_NODES_MAX];          /* failed callbacks */
};

typedef struct ud_sim_channel {
    double loss;             /* probability a datagram is lost */
    double dup;              /* ... sent twice */
    double reorder;          /* ... delayed by up to reorder_ns more */
    uint64_t delay_ns;       /* base one-way delay */
    uint64_t reorder_ns;
} ud_sim_channel_t;

typedef struct ud_sim_packet {
    uint64_t at;
    uint64_t seq;            /* FIFO among equal times */
    unsigned src;
    unsigned dst;
    size_t length;
    uint8_t data[];
} ud_sim_packet_t;

/* Called for every delivered message: dst received it from src. */
typedef void (*ud_sim_deliver_t)(void *arg, unsigned dst, unsigned src,
                                 uint8_t am_id, void *data, size_t length);
/* Called for every datagram a node transmits, before the channel. */
typedef void (*ud_sim_tx_hook_t)(void *arg, unsigned src, unsigned dst,
                                 const uint8_t *data, size_t length);
/* Called at every step of ud_sim_run; returns 1 when the test is done. */
typedef int (*ud_sim_pump_t)(void *arg);

struct ud_sim {
    unsigned num_nodes;
    ud_sim_node_t nodes[UD_SIM_NODES_MAX];
    ud_sim_channel_t channel;
    int blocked[UD_SIM_NODES_MAX][UD_SIM_NODES_MAX];  /* src -> dst */
    uint64_t rng;
    uint64_t now;
    uint64_t seq;
    ud_sim_packet_t **heap;
    size_t heap_count;
    size_t heap_capacity;
    ud_sim_deliver_t deliver;
    ud_sim_tx_hook_t tx_hook;
    void *arg;
    uint64_t tx_datagrams;
    uint64_t lost;
};

/* Node ids are worker uids: large, so both halves of the field count. */
static inline uint64_t ud_sim_node_id(unsigned index)
{
    return 0x1234567800000000ull + ((uint64_t)index << 40) + index;
}

uint64_t ud_sim_rand(uint64_t *state);
double ud_sim_uniform(uint64_t *state);

/* Every node's engine gets params (callbacks replaced). */
void ud_sim_init(ud_sim_t *sim, unsigned num_nodes,
                 const vt_ud_rel_params_t *params,
                 const ud_sim_channel_t *channel, uint64_t seed,
                 ud_sim_deliver_t deliver, void *arg);
void ud_sim_cleanup(ud_sim_t *sim);

/* Steps until pump returns 1 (returns 1), nothing is left to do (0) or
 * simulated time passes limit_ns (0). */
int ud_sim_run(ud_sim_t *sim, ud_sim_pump_t pump, void *arg,
               uint64_t limit_ns);

#endif
