/*
 * The intra-node shared-memory path of the collectives: per team, one
 * segment per host, made by the host's lowest member at team creation;
 * barrier, bcast, reduce and allreduce run on it with flags in place of
 * messages. A team on several hosts composes: shared memory within each
 * host, messages between the hosts' lowest members (node leaders).
 *
 * Segment: a header line, then per member one arrive line and one release
 * line (64 bytes each, written by that member only: a sequence number and
 * up to VC_SHM_INLINE bytes of payload), two all-read-all lines, a done
 * line (the last round it finished, and the ticket and size of its
 * collective, which members compare), then per member a data slot. A
 * collective is one or more rounds (one per slot-sized chunk); a round is
 * a fan-in (children to parent, with data for reductions) and a fan-out
 * (parent to children, with data for bcast and allreduce) over a k-nomial
 * tree, flat (one level) for small teams. Sequence numbers only grow, so
 * back-to-back collectives never reset anything.
 */
#ifndef VC_SHM_H
#define VC_SHM_H

#include <stdatomic.h>
#include <stdint.h>
#include "vc_coll.h"

#define VC_SHM_LINE 64
/* Payload bytes carried in a flag's own cache line. */
#define VC_SHM_INLINE (VC_SHM_LINE - sizeof(uint64_t))

typedef struct vc_shm_line {
    _Atomic uint64_t seq;
    union {
        uint8_t data[VC_SHM_INLINE];
        /* done lines only: the ticket and size of the member's op
         * (vc_shm_alg.c), for members to check that they agree */
        _Atomic uint64_t info;
    };
} vc_shm_line_t;

/* This member's view of a team's segment and of the team's hosts. */
typedef struct vc_shm_team {
    void *base;
    size_t length;
    unsigned size;               /* members on this host */
    unsigned local_rank;         /* among them */
    size_t slot_size;
    unsigned flat_max;           /* member 0's options, the same for all */
    unsigned radix;
    size_t cma_min;              /* single copies from this size */
    int cma;                     /* every member can read every other's
                                    memory (process_vm_readv) */
    vc_shm_line_t *arrive;       /* [size] */
    vc_shm_line_t *release;      /* [size] */
    vc_shm_line_t *sym;          /* [size][2] by round parity */
    unsigned sym_max;            /* all-read-all up to this many members */
    vc_shm_line_t *done;         /* [size]: the last round finished */
    size_t split_min;            /* split allreduces from this size */
    uint8_t *slots;              /* [size * slot_size] */
    uint64_t round;              /* of the last round started here */
    int whole_slot;              /* that round used whole slots */
    int after_split;             /* that round was a split allreduce */
    /* Collectives run one at a time, in the order they were started,
     * which is the same on every member. */
    uint64_t next_ticket;
    uint64_t serving;
    int fd;                      /* the leader during setup, else -1 */
    /* The hosts, numbered by their lowest member: */
    unsigned num_nodes;
    unsigned node;               /* this member's */
    unsigned *leaders;           /* [num_nodes] team ranks, ascending */
    unsigned *node_of;           /* [team size] */
    unsigned *local_of;          /* [team size] rank within its host */
} vc_shm_team_t;

/* The options of VERVE_COLL_SHM_*. */
typedef struct vc_shm_config {
    int enable;
    size_t slot_size;
    unsigned flat_max;
    unsigned radix;
    unsigned sym_max;
    size_t split_min;
    int split_crowded;
    unsigned poll_count;
    unsigned poll_crowded;
    double sleep_after;
    size_t cma_min;
    unsigned fail_member;        /* tests: member N-1 fails to attach */
    unsigned test_nodes;         /* tests: members apart by rank mod N */
} vc_shm_config_t;

const vc_shm_config_t *vc_shm_config(void);

/* ---- the segment (vc_shm.c) --------------------------------------------- */
/* A view with the hosts' tables for a team of team_size, no segment. */
vc_shm_team_t *vc_shm_view_alloc(unsigned team_size);
void vc_shm_view_free(vc_shm_team_t *view);
/* The leader: a memfd segment for view->size members, mapped. */
verve_status_t vc_shm_segment_create(vc_team_t *team, vc_shm_team_t *view);
/* Another member: the leader's segment through /proc/pid/fd/fd. */
verve_status_t vc_shm_segment_attach(vc_team_t *team, vc_shm_team_t *view,
                                     int pid, int fd, size_t length);
/* Whether this member reaches member `member` through shared memory
 * (VERVE_COLL_SHM_TEST_NODES may split one host in several). */
int vc_shm_member_local(const vc_team_t *team, unsigned member);
/* Whether view's host has more members than this process has CPUs:
 * then waiting members yield soon. */
int vc_shm_crowded(const vc_shm_team_t *view);
/* The path is enabled and the engine polls it. */
int vc_shm_enabled(const vc_team_t *team);
/* Whether teams of team_size take part in the setup: the same answer on
 * every member (the build and the size, not the options). */
int vc_shm_possible(unsigned team_size);

/* ---- agreement at team creation (vc_shm_setup.c) ------------------------ */
/* Adds the steps that set up the segments to the creation barrier of a
 * team (sequence 0). Every member adds them, or none: members agree on
 * the segments there, and fall back to the network algorithms together. */
verve_status_t vc_shm_team_setup(vc_coll_t *coll);
/* Frees this member's view of the team's segment. */
void vc_shm_team_cleanup(vc_team_t *team);

/* ---- algorithms (vc_shm_alg.c) ------------------------------------------ */
/* Builds a shared-memory collective (composed with messages between node
 * leaders when the team spans hosts). */
verve_status_t vc_alg_shm(vc_coll_t *coll);
/* Whether the team can run type with the segment: across hosts only
 * commutative reductions (hosts need not hold runs of ranks). */
int vc_shm_usable(const vc_team_t *team, verve_coll_type_t type,
                  int commutative);

#endif
