/*
 * Collectives internals: the per-worker state, teams, schedules and
 * persistent collectives. Public handles (verve_team_h, verve_coll_h) point
 * to the structs here.
 */
#ifndef VC_COLL_H
#define VC_COLL_H

#include <stdint.h>
#include <verve/verve_coll.h>
#include "core/ve_types.h"
#include "core/base/list.h"
#include "vc_reduce.h"
#include "vc_select.h"

typedef struct verve_team vc_team_t;
typedef struct verve_coll vc_coll_t;
typedef struct vc_sched vc_sched_t;

/* Per worker, created with its first team: the teams, messages for teams
 * not created yet here, the selection table. */
typedef struct vc_worker {
    ve_worker_t *worker;
    vs_list_link_t teams;
    vs_list_link_t orphans;       /* vc_unexp_t for unknown team ids */
    vc_select_table_t table;
    vs_list_link_t polling;       /* vc_sched_t waiting in a call step */
    uint64_t idle_since;          /* ns: polled without news since then */
    unsigned idle_polls;
    unsigned poll_limit;          /* idle polls before a yield (adapts) */
    unsigned poll_news;           /* bumped by call steps that advance */
    int crowded;                  /* a host of its teams has more members
                                     than this process has CPUs */
    int poll_added;               /* vc_shm_layer_poll is on the worker */
} vc_worker_t;

/* The tag of the message that fails a team at every member: above every
 * algorithm's tags (at most 2 x VC_TEAM_SIZE_MAX). */
#define VC_TAG_REVOKE 0xffffu

/* The AM header of every collectives' message. */
typedef struct vc_hdr {
    uint64_t team_id;
    uint32_t seq;        /* which collective on the team */
    uint16_t tag;        /* which message of it, between the two members */
    uint16_t src;        /* the sender's rank */
    /* The sender's vc_sched_t.size: a receiver whose own differs fails
     * the team (members disagree). In a VC_TAG_REVOKE, the status the
     * team fails with. */
    uint64_t size;
} vc_hdr_t;

/* A message that arrived before its receive was posted. */
typedef struct vc_unexp {
    vs_list_link_t list;
    vc_hdr_t hdr;
    void *data;          /* our copy, or a rendezvous descriptor */
    size_t length;
    int rndv;
} vc_unexp_t;

struct verve_team {
    vc_worker_t *vw;
    vs_list_link_t list;          /* in vw->teams */
    uint64_t id;
    unsigned rank;
    unsigned size;
    verve_ep_h *eps;
    uint32_t next_seq;            /* of the next collective started */
    vs_list_link_t posted;        /* vc_recv_t waiting for a message */
    vs_list_link_t unexpected;    /* vc_unexp_t */
    /* The last one-shot collective, schedule and all: the next
     * verve_coll_nbx with the same arguments runs it again instead of
     * building one (back-to-back collectives then allocate nothing). */
    vc_coll_t *cache;
    /* Its host's shared-memory segment (vc_shm.h): NULL when no host has
     * two members or the members did not all get theirs. */
    struct vc_shm_team *shm;
    /* A member failed: every collective on the team fails with this. */
    verve_status_t error;
};

typedef enum vc_step_type {
    VC_STEP_SEND,
    VC_STEP_RECV,
    VC_STEP_REDUCE,   /* dst = src (+) src2, length in elements */
    VC_STEP_COPY,     /* dst = src, length in bytes */
    VC_STEP_FENCE,    /* wait for every send and receive before it */
    VC_STEP_CALL      /* call(), again from progress until not INPROGRESS */
} vc_step_type_t;

typedef struct vc_step vc_step_t;
typedef verve_status_t (*vc_step_call_t)(vc_sched_t *sched, vc_step_t *step);

struct vc_step {
    vc_step_type_t type;
    uint16_t tag;
    unsigned peer;
    unsigned slot;        /* receives: index into sched->recvs */
    const void *src;
    const void *src2;
    void *dst;
    size_t length;
    vc_step_call_t call;
};

/* A posted receive, matched on (seq, tag, src). */
typedef struct vc_recv {
    vs_list_link_t list;
    vc_sched_t *sched;
    uint16_t tag;
    unsigned src;
    void *buffer;
    size_t length;
} vc_recv_t;

/* A sequence of steps: sends and receives are posted as they come, a
 * fence waits for all of them, reductions and copies run in place. Built
 * once, run at every start with a new sequence number. */
struct vc_sched {
    vc_team_t *team;
    vc_op_t op;
    verve_coll_type_t type;     /* for messages */
    /* Bytes every member contributes (dst.count elements; 0 for the v
     * variants, whose messages are checked one by one): the same on
     * every member of a correct program, sent with every message. */
    uint64_t size;
    vc_step_t *steps;
    unsigned num_steps;
    unsigned max_steps;
    vc_recv_t *recvs;
    unsigned num_recvs;
    void *scratch;
    size_t scratch_size;
    /* run state */
    uint32_t seq;
    unsigned pos;
    unsigned outstanding;
    int running;
    int active;
    verve_status_t status;
    void (*complete)(vc_sched_t *sched);
    vs_list_link_t poll_list;   /* in vw->polling, while `polling` */
    int polling;
};

struct verve_coll {
    vc_team_t *team;
    verve_coll_args_t args;
    vc_alg_t alg;
    unsigned radix;
    vc_sched_t sched;
    ve_request_t *req;      /* the start in progress */
    int starting;           /* inside verve_coll_start */
    int auto_destroy;       /* verve_coll_nbx: freed when it completes */
};

/* Element size of the collective's datatype (always dst.datatype). */
static inline size_t vc_coll_esize(const vc_coll_t *coll)
{
    return vc_datatype_size(coll->args.dst.datatype);
}

/* The input of a collective: dst when in place. */
static inline const void *vc_coll_input(const vc_coll_t *coll)
{
    return (coll->args.flags & VERVE_COLL_FLAG_IN_PLACE) ?
           coll->args.dst.buffer : coll->args.src.buffer;
}

/* Algorithm builders return at the first failure; the caller frees the
 * half-built schedule. */
#define VC_TRY(_expr) \
    do { \
        verve_status_t _status = (_expr); \
        if (_status != VERVE_OK) { \
            return _status; \
        } \
    } while (0)

/* Building blocks shared by several collectives: they work in place on
 * buffer (count elements), whose input the caller has put there. */
verve_status_t vc_build_allreduce_rd(vc_sched_t *sched, void *buffer,
                                     size_t count, size_t esize,
                                     void *tmp);

/* ---- schedules (vc_sched.c) --------------------------------------------- */
void vc_sched_init(vc_sched_t *sched, vc_team_t *team);
void vc_sched_cleanup(vc_sched_t *sched);
/* Scratch memory for the algorithm, allocated before steps point into it. */
void *vc_sched_scratch(vc_sched_t *sched, size_t size);
verve_status_t vc_sched_send(vc_sched_t *sched, unsigned peer, uint16_t tag,
                             const void *buffer, size_t length);
verve_status_t vc_sched_recv(vc_sched_t *sched, unsigned peer, uint16_t tag,
                             void *buffer, size_t length);
verve_status_t vc_sched_reduce(vc_sched_t *sched, void *dst,
                               const void *in1, const void *in2,
                               size_t count);
verve_status_t vc_sched_copy(vc_sched_t *sched, void *dst, const void *src,
                             size_t length);
verve_status_t vc_sched_fence(vc_sched_t *sched);
/* A step that runs call(sched, step) when reached; VERVE_INPROGRESS from
 * it makes the run wait and call it again from the worker's progress. */
verve_status_t vc_sched_call(vc_sched_t *sched, vc_step_call_t call,
                             void *arg);
/* Runs the waiting call steps once; returns how many advanced. */
unsigned vc_sched_poll(vc_worker_t *vw);
/* Starts a run with sequence number seq; sched->complete runs when it
 * ends (possibly before this returns). */
void vc_sched_start(vc_sched_t *sched, uint32_t seq);
/* Allocates the run state once every step is added. */
verve_status_t vc_sched_ready(vc_sched_t *sched);
/* A send or receive of the run completed. */
void vc_sched_step_done(vc_sched_t *sched, verve_status_t status);

/* ---- the message channel (vc_chan.c) ------------------------------------ */
verve_status_t vc_chan_recv_data(void *arg, const void *header,
                                 size_t header_length, void *data,
                                 size_t length,
                                 const verve_am_recv_param_t *param);
/* Posts a receive: completes at once from an unexpected message, or
 * waits in team->posted. Returns 1 when complete. */
int vc_chan_post(vc_recv_t *recv);
void vc_chan_recv_done(vc_recv_t *recv, verve_status_t status);
verve_status_t vc_chan_send(vc_sched_t *sched, unsigned peer, uint16_t tag,
                            const void *buffer, size_t length);
/* Moves the messages that arrived for this team before it existed. */
void vc_chan_adopt_orphans(vc_team_t *team);
/* At the start of a run: fails the team if a message for it arrived
 * early from a member that contributes another size. */
void vc_chan_check_early(vc_sched_t *sched);
/* A failed team keeps no message: rendezvous senders are let go. */
void vc_chan_drop_unexpected(vc_team_t *team);

/* ---- algorithms (vc_alg_*.c) -------------------------------------------- */
/* The k-nomial tree, barrier and linear ones. */
verve_status_t vc_alg_barrier_dissemination(vc_coll_t *coll);
verve_status_t vc_alg_bcast_knomial(vc_coll_t *coll);
verve_status_t vc_alg_reduce_knomial(vc_coll_t *coll);
verve_status_t vc_alg_gather_linear(vc_coll_t *coll);
verve_status_t vc_alg_scatter_linear(vc_coll_t *coll);
verve_status_t vc_alg_allreduce_rd(vc_coll_t *coll);
verve_status_t vc_alg_allreduce_rab(vc_coll_t *coll);
verve_status_t vc_alg_allreduce_ring(vc_coll_t *coll);
verve_status_t vc_alg_reduce_scatter_ring(vc_coll_t *coll);
verve_status_t vc_alg_reduce_scatter_allreduce(vc_coll_t *coll);
verve_status_t vc_alg_allgather_rd(vc_coll_t *coll);
verve_status_t vc_alg_allgather_bruck(vc_coll_t *coll);
verve_status_t vc_alg_allgather_ring(vc_coll_t *coll);
verve_status_t vc_alg_alltoall_pairwise(vc_coll_t *coll);
verve_status_t vc_alg_alltoall_bruck(vc_coll_t *coll);

/* Byte offset of block b of n blocks over count elements of size esize:
 * the first count % n blocks hold one element more. */
static inline size_t vc_block_start(size_t count, unsigned n, unsigned b)
{
    return b * (count / n) + ((b < count % n) ? b : count % n);
}

static inline size_t vc_block_count(size_t count, unsigned n, unsigned b)
{
    return count / n + ((b < count % n) ? 1 : 0);
}

/* ---- argument checks (vc_args.c) ---------------------------------------- */
/* Every local check of a collective's arguments on member rank of size;
 * fills op for reductions. VERVE_ERR_INVALID_PARAM (logged) on the first
 * failure. */
verve_status_t vc_coll_args_check(const verve_coll_args_t *args,
                                  unsigned rank, unsigned size, vc_op_t *op);

/* ---- collectives (vc_coll.c) -------------------------------------------- */
/* Checks args, selects the algorithm and builds its schedule. */
verve_status_t vc_coll_create(vc_team_t *team, const verve_coll_args_t *args,
                              int auto_destroy, vc_coll_t **coll_p);
void vc_coll_free(vc_coll_t *coll);
/* Starts a run (the team's next sequence number) and hands its request
 * to the caller as every nonblocking call does. */
verve_status_t vc_coll_run(vc_coll_t *coll,
                           const verve_request_param_t *param,
                           verve_request_h *request_p);

/* ---- the worker's state (vc_team.c) ------------------------------------- */
verve_status_t vc_worker_get(ve_worker_t *worker, vc_worker_t **vw_p);

/* ---- failed members (vc_team_fail.c) ------------------------------------ */
/* ep failed: the teams it belongs to fail, and with them the collectives
 * running and every one started later. */
void vc_team_ep_failed(ve_ep_t *ep, verve_status_t status);
/* The worker's collectives state (vc_team.c registers the layer). */
vc_worker_t *vc_worker_of(const ve_worker_t *worker);
/* A run waits on a shared-memory flag: the worker polls them until no
 * run waits (vc_shm.c). */
void vc_shm_poll_start(vc_worker_t *vw);
void vc_shm_poll_stop(vc_worker_t *vw);
/* At creation: a team with a member failed already fails at once. */
void vc_team_check_members(vc_team_t *team);
/* A member told us that the team failed (VC_TAG_REVOKE from rank src,
 * with the status it failed with). */
void vc_team_revoked(vc_team_t *team, unsigned src, verve_status_t status);
/* Members disagree on a collective's arguments (logged by the caller):
 * the team fails at every member with VERVE_ERR_INVALID_PARAM, the run
 * of the disagreement and every later one, so that members that never
 * hear from the disagreeing one do not wait for it forever. */
void vc_team_disagree(vc_team_t *team);

#endif
