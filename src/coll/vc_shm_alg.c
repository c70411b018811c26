/*
 * Barrier, bcast, reduce and allreduce on the team's shared segments.
 *
 * On one host a collective is one call step (an "op") that runs rounds;
 * ranks below are ranks within the host. A round at member m with
 * parent p (on a k-nomial tree; flat when k >= the host's members):
 *   1. wait for arrive[c] >= R of every child c;
 *   2. fan-in: put its input chunk in its area and fold in the children's
 *      areas, lowest rank first; arrive[m] = R;
 *   3. wait for release[p] >= R;
 *   4. fan-out: take the result from p's area (the tree's root: from its
 *      own), copy it to its area for its children and to the user's
 *      buffer; release[m] = R.
 * An area is the flag line's payload when the chunk fits there, else the
 * member's slot (one slot for both phases; for a bcast on a flat tree,
 * the half of it picked by the round's parity, so that rounds overlap:
 * see vc_shm_children_round). Why nothing is overwritten
 * before it is read: m writes its area in round R only after its
 * children arrived at R (so they finished reading round R-1) and after
 * p released R-1 (so p finished reading m's fan-in of R-1); p reads m's
 * fan-in before it releases R, which m waits for before its fan-out
 * writes the slot again. That argument needs the same tree for every
 * round of every collective, so the tree is the team's: rooted at member
 * 0, its radix chosen by member 0 at setup. A bcast root elsewhere puts
 * its data in its fan-in area, member 0 takes it from there; the root of
 * a reduce takes the result from member 0's fan-in area after its
 * release, which member 0 does not write again before every member has
 * arrived at the next round. Sequence numbers only grow, so nothing is
 * reset between collectives. The result is computed once, at member 0,
 * and copied: every member gets the same bits; children folded in lowest
 * rank first keep rank order for any op.
 *
 * A barrier or an allreduce that fits a flag line, on a host of up to
 * VERVE_COLL_SHM_SYM_MAX members, is one step instead of two: each
 * member writes its input to its line of the round's parity, arrives,
 * waits for every other's arrival and folds all lines in rank order
 * itself (the same operations on the same bits everywhere). Those lines
 * are no tree's areas; one is written again two rounds later, after
 * every member has arrived at the round in between, so after each has
 * read it.
 *
 * A bcast of VERVE_COLL_SHM_CMA_MIN bytes or more, where every member can
 * read the others' memory, is two rounds: the root's {pid, address}
 * travels down the tree in the payloads of the first, each member copies
 * straight from the root's buffer with process_vm_readv (one copy, all
 * members at once), and the second keeps the root in the collective
 * until everyone has read.
 *
 * Across hosts a collective composes ops and messages between the host
 * leaders (their members of local rank 0): allreduce is a reduce to the
 * leader, an allreduce among leaders (gathered and reduced at member 0,
 * which sends the result back: every member still gets the same bits),
 * a bcast from the leader; barrier likewise; bcast is a bcast on the
 * root's host, the root's leader sending to the other leaders, a bcast
 * on each other host; reduce is a reduce to each leader, the leaders
 * sending to the root. Ops on a host run in the order the collectives
 * were started: a collective takes the tickets of all its ops when it
 * starts, not when it reaches them.
 */
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include "vc_shm.h"
#include "core/base/cma.h"
#include "core/base/log.h"
#include "core/base/compiler.h"

#define VC_SHM_MAX_OPS 2

/* Tags of the messages between leaders. */
enum {
    VC_SHM_TAG_UP = 0,
    VC_SHM_TAG_DOWN = 1
};

enum {
    VC_SHM_IDLE = 0,
    VC_SHM_TURN,          /* waiting for the collectives started before */
    VC_SHM_NEXT,          /* starting a round, or done */
    VC_SHM_CHILDREN,
    VC_SHM_PARENT,
    VC_SHM_SYM_BEFORE,    /* all-read-all: everyone past the last round */
    VC_SHM_SYM_ALL,       /* all-read-all: everyone arrived */
    VC_SHM_AFTER,         /* everyone finished the round before */
    VC_SHM_SPLIT_FOLD,    /* split: everyone's chunk is in */
    VC_SHM_SPLIT_OUT      /* split: every share is folded */
};

typedef struct vc_shm_op {
    vc_coll_t *coll;
    verve_coll_type_t type;
    unsigned rank;
    unsigned root;         /* the user's, rooted collectives */
    unsigned parent;       /* UINT_MAX at member 0 */
    unsigned num_children;
    int fan_in_data;
    int fan_out_data;
    int cma;               /* a large bcast: single copies */
    int pipelined;         /* a bcast on a flat tree: slot halves */
    int overlap;           /* this round may start before the last ends */
    int split;             /* an allreduce whose members fold a share each */
    int sym;               /* all-read-all */
    int32_t pid;
    verve_status_t error;  /* of a single copy: reported at the end */
    size_t esize;
    size_t count;
    size_t chunk;          /* elements per round */
    unsigned rounds;
    const uint8_t *input;  /* NULL where none */
    uint8_t *output;
    /* run state */
    int phase;
    uint64_t ticket;
    unsigned round_index;
    uint64_t round;
    size_t first;          /* of the round's chunk, in elements */
    size_t length;         /* of the round's chunk, in elements */
    unsigned next_child;
    unsigned children[];   /* lowest first */
} vc_shm_op_t;

/* The ops of one collective, for their tickets. */
typedef struct vc_shm_ops {
    vc_shm_op_t *op[VC_SHM_MAX_OPS];
    unsigned count;
} vc_shm_ops_t;

/* A member's area in op's round: the flag line's payload for a chunk
 * that fits, else its slot, or for a pipelined bcast the half of its slot
 * that the round's parity picks. */
static uint8_t *vc_shm_area(vc_shm_team_t *shm, const vc_shm_op_t *op,
                            vc_shm_line_t *lines, unsigned member,
                            size_t bytes)
{
    if (bytes <= VC_SHM_INLINE) {
        return lines[member].data;
    }
    return shm->slots + member * shm->slot_size +
           (op->pipelined ? (op->round & 1) * (shm->slot_size / 2) : 0);
}

static uint8_t *vc_shm_fan_in_area(vc_shm_team_t *shm, const vc_shm_op_t *op,
                                   unsigned member, size_t bytes)
{
    return vc_shm_area(shm, op, shm->arrive, member, bytes);
}

static uint8_t *vc_shm_fan_out_area(vc_shm_team_t *shm,
                                    const vc_shm_op_t *op, unsigned member,
                                    size_t bytes)
{
    return vc_shm_area(shm, op, shm->release, member, bytes);
}

/* The round a child must have arrived at before m's fan-in of op's
 * round. A pipelined bcast chunk in a slot half needs only that the
 * children finished reading the round before last, which used the same
 * half: m writes round R while they still read R-1, a pipeline two deep.
 * Not after a round that used whole slots (op->overlap is 0 then), and
 * only on a flat tree, where every reader of an area waits on its writer
 * directly: deeper, a subtree could fall a round behind per level, past
 * what the halves cover. A root below member 0 brings the round's data in
 * its fan-in; every other round needs the children's arrival at R itself
 * (their data, or the barrier). */
static uint64_t vc_shm_children_round(const vc_shm_op_t *op, unsigned child)
{
    return (op->overlap && child != op->root) ? op->round - 1 : op->round;
}

static int vc_shm_arrived(vc_shm_line_t *line, uint64_t round)
{
    return atomic_load_explicit(&line->seq, memory_order_acquire) >= round;
}

static void vc_shm_copy(void *dst, const void *src, size_t length)
{
    if (dst != src && length > 0) {
        memcpy(dst, src, length);
    }
}

/* Where a single copy reads from. */
typedef struct vc_shm_source {
    uint64_t pid;
    uint64_t address;
} vc_shm_source_t;

/* The single copy of a large bcast; a failure is kept, not returned: the
 * member still takes its part in the rounds, or the others would wait. */
static void vc_shm_cma_read(vc_shm_op_t *op, const vc_shm_source_t *source,
                            size_t bytes)
{
    verve_status_t status;

    status = vs_cma_copy((pid_t)source->pid, op->output, bytes,
                         source->address, 0);
    if (status != VERVE_OK) {
        vs_error("coll: team %016llx rank %u: bcast: the single copy of "
                 "%zu bytes from pid %llu failed: %s",
                 (unsigned long long)op->coll->team->id,
                 op->coll->team->rank, bytes,
                 (unsigned long long)source->pid,
                 verve_status_string(status));
        op->error = status;
    }
}

/* Whether the op's kernels write every byte of their output. Those of
 * pairs leave the padding as it was, and a user's op may too: their
 * output must start as a copy of the first input, so that every rank's
 * bytes agree with what a sequential fold gives. */
static int vc_shm_writes_all(const vc_op_t *rop)
{
    return rop->op != VERVE_COLL_OP_MINLOC &&
           rop->op != VERVE_COLL_OP_MAXLOC && rop->op != VERVE_COLL_OP_USER;
}

static void vc_shm_fan_in(vc_shm_op_t *op, vc_shm_team_t *shm)
{
    size_t bytes = op->length * op->esize;
    uint8_t *area = vc_shm_fan_in_area(shm, op, op->rank, bytes);
    vc_shm_source_t source;
    unsigned i;

    if (op->cma) {
        if (op->round_index == 0 && op->rank == op->root) {
            source.pid = (uint64_t)op->pid;
            source.address = (uint64_t)(uintptr_t)op->input;
            memcpy(shm->arrive[op->rank].data, &source, sizeof(source));
        }
    } else if (op->type == VERVE_COLL_BCAST) {
        if (op->rank == op->root && op->rank != 0) {
            vc_shm_copy(area, op->input + op->first * op->esize, bytes);
        }
    } else if (op->fan_in_data) {
        const vc_op_t *rop = &op->coll->sched.op;
        const uint8_t *input = op->input + op->first * op->esize;
        /* The first child folds straight into the input: one pass over
         * memory fewer than copying the input first. */
        int fuse = op->num_children > 0 && vc_shm_writes_all(rop);

        if (!fuse) {
            vc_shm_copy(area, input, bytes);
        }
        for (i = 0; i < op->num_children; ++i) {
            vc_reduce(rop, (i == 0 && fuse) ? input : area,
                      vc_shm_fan_in_area(shm, op, op->children[i], bytes),
                      area, op->length);
        }
    }
    atomic_store_explicit(&shm->arrive[op->rank].seq, op->round,
                          memory_order_release);
}

static void vc_shm_fan_out(vc_shm_op_t *op, vc_shm_team_t *shm)
{
    size_t bytes = op->length * op->esize, offset = op->first * op->esize;
    vc_shm_source_t source;
    const uint8_t *result;

    if (op->cma) {
        if (op->round_index == 0) {
            if (op->parent != UINT_MAX) {
                memcpy(&source, shm->release[op->parent].data,
                       sizeof(source));
            } else if (op->root == 0) {
                source.pid = (uint64_t)op->pid;
                source.address = (uint64_t)(uintptr_t)op->input;
            } else {
                memcpy(&source, shm->arrive[op->root].data, sizeof(source));
            }
            if (op->num_children > 0) {
                memcpy(shm->release[op->rank].data, &source, sizeof(source));
            }
            if (op->output != NULL) {
                vc_shm_cma_read(op, &source, bytes);
            }
        }
    } else if (op->fan_out_data) {
        if (op->parent != UINT_MAX) {
            result = vc_shm_fan_out_area(shm, op, op->parent, bytes);
        } else if (op->type == VERVE_COLL_BCAST) {
            result = (op->root == 0)
                             ? op->input + offset
                             : vc_shm_fan_in_area(shm, op, op->root, bytes);
        } else {
            result = vc_shm_fan_in_area(shm, op, op->rank, bytes);
        }
        if (op->num_children > 0) {
            vc_shm_copy(vc_shm_fan_out_area(shm, op, op->rank, bytes), result,
                        bytes);
        }
        if (op->output != NULL) {
            vc_shm_copy(op->output + offset, result, bytes);
        }
    } else if (op->output != NULL) {
        /* reduce: the result waits in member 0's fan-in area. */
        vc_shm_copy(op->output + offset,
                    vc_shm_fan_in_area(shm, op, 0, bytes), bytes);
    }
    atomic_store_explicit(&shm->release[op->rank].seq, op->round,
                          memory_order_release);
}

/* Whether every member but this one has reached round on its line of
 * lines (arrive, release or done); resumes where the last call waited. */
static int vc_shm_all_at(vc_shm_op_t *op, vc_shm_team_t *shm,
                         vc_shm_line_t *lines, uint64_t round)
{
    for (; op->next_child < shm->size; ++op->next_child) {
        if (op->next_child != op->rank &&
            !vc_shm_arrived(&lines[op->next_child], round)) {
            return 0;
        }
    }
    op->next_child = 0;
    return 1;
}

static int vc_shm_all_arrived(vc_shm_op_t *op, vc_shm_team_t *shm,
                              uint64_t round)
{
    return vc_shm_all_at(op, shm, shm->arrive, round);
}

/* The round is over here: nothing of it is read or written any more. */
static void vc_shm_round_done(vc_shm_op_t *op, vc_shm_team_t *shm)
{
    atomic_store_explicit(&shm->done[op->rank].seq, op->round,
                          memory_order_release);
    ++op->round_index;
    op->phase = VC_SHM_NEXT;
}

/* A done line's info: the op's ticket and the size the member's
 * collective contributes (vc_sched_t.size), exact below 1 TiB; tickets
 * are compared modulo 2^24, far more than the ops in flight at once. */
#define VC_SHM_INFO_SIZE_BITS 40
#define VC_SHM_INFO_SIZE_MASK ((UINT64_C(1) << VC_SHM_INFO_SIZE_BITS) - 1)

static uint64_t vc_shm_info(const vc_shm_op_t *op)
{
    return (op->ticket << VC_SHM_INFO_SIZE_BITS) |
           (op->coll->sched.size & VC_SHM_INFO_SIZE_MASK);
}

/*
 * Whether member (local rank) agrees with this one on the size of op's
 * collective, once it has arrived at op's first round: it wrote its info
 * before that arrival. A later ticket there means that it has moved on
 * and says nothing about this op; whoever waits for it first compares.
 * The same ticket with another size fails the team at every member (the
 * failure travels by message: a member may wait on a flag that the
 * disagreeing one never sets).
 */
static int vc_shm_agree(vc_shm_op_t *op, vc_shm_team_t *shm,
                        unsigned member)
{
    vc_team_t *team = op->coll->team;
    uint64_t info = atomic_load_explicit(&shm->done[member].info,
                                         memory_order_relaxed);
    unsigned r;

    if ((info ^ vc_shm_info(op)) >> VC_SHM_INFO_SIZE_BITS ||
        info == vc_shm_info(op)) {
        return 1;
    }
    for (r = 0; r < team->size; ++r) {
        if (shm->node_of[r] == shm->node && shm->local_of[r] == member) {
            break;
        }
    }
    vs_error("coll: team %016llx: %s: rank %u contributes %llu bytes, this "
             "rank (%u) %llu (members disagree on the size)",
             (unsigned long long)team->id,
             verve_coll_type_name(op->coll->sched.type), r,
             (unsigned long long)(info & VC_SHM_INFO_SIZE_MASK), team->rank,
             (unsigned long long)(op->coll->sched.size &
                                  VC_SHM_INFO_SIZE_MASK));
    vc_team_disagree(team);
    return 0;
}

/* vc_shm_agree for every other member of the host. */
static int vc_shm_all_agree(vc_shm_op_t *op, vc_shm_team_t *shm)
{
    unsigned j;

    for (j = 0; j < shm->size; ++j) {
        if (j != op->rank && !vc_shm_agree(op, shm, j)) {
            return 0;
        }
    }
    return 1;
}

/* One phase of an all-read-all round; 0 while it must wait. */
static int vc_shm_sym_step(vc_shm_op_t *op, vc_shm_team_t *shm)
{
    size_t bytes = op->length * op->esize;
    unsigned parity = (unsigned)(op->round & 1), j;
    uint8_t *output = op->output;

    if (op->phase == VC_SHM_SYM_BEFORE) {
        if (op->fan_in_data) {
            if (!vc_shm_all_arrived(op, shm, op->round - 1)) {
                return 0;
            }
            vc_shm_copy(shm->sym[2 * op->rank + parity].data, op->input,
                        bytes);
        }
        atomic_store_explicit(&shm->arrive[op->rank].seq, op->round,
                              memory_order_release);
        op->phase = VC_SHM_SYM_ALL;
        return 1;
    }
    if (!vc_shm_all_arrived(op, shm, op->round)) {
        return 0;
    }
    if (op->round_index == 0 && !vc_shm_all_agree(op, shm)) {
        return 0;   /* the team failed: the next call reports it */
    }
    if (op->fan_in_data) {
        vc_shm_copy(output, shm->sym[parity].data, bytes);
        for (j = 1; j < shm->size; ++j) {
            vc_reduce(&op->coll->sched.op, output,
                      shm->sym[2 * j + parity].data, output, op->length);
        }
    }
    vc_shm_round_done(op, shm);
    return 1;
}

/* Member m's share of a split round's chunk, in elements. */
static size_t vc_shm_share(const vc_shm_op_t *op, unsigned n, unsigned m)
{
    return op->length * m / n;
}

/*
 * A split allreduce round (flat tree, one host): every member copies its
 * chunk into its slot and arrives; once all have, member j folds share j
 * of every slot, in rank order, into its output and copies the result
 * into share j of its own slot (no one else reads that share of it) and
 * releases; once all have, each copies the other shares out of their
 * folders' slots. Each element is folded once, by one member, in rank
 * order: every member gets the same bits, for any op. The folding is
 * spread over the members instead of left to member 0. The round starts
 * only when every member finished the one before (VC_SHM_AFTER), and the
 * round after waits for this one likewise: slots are read by everyone.
 */
static int vc_shm_split_step(vc_shm_op_t *op, vc_shm_team_t *shm)
{
    const vc_op_t *rop = &op->coll->sched.op;
    unsigned n = shm->size, j = op->rank, m;
    size_t esize = op->esize, offset = op->first * esize;
    size_t lo, hi;
    uint8_t *out;

    switch (op->phase) {
    case VC_SHM_CHILDREN:
        vc_shm_copy(shm->slots + j * shm->slot_size, op->input + offset,
                    op->length * esize);
        atomic_store_explicit(&shm->arrive[j].seq, op->round,
                              memory_order_release);
        op->phase = VC_SHM_SPLIT_FOLD;
        return 1;
    case VC_SHM_SPLIT_FOLD:
        if (!vc_shm_all_arrived(op, shm, op->round) ||
            (op->round_index == 0 && !vc_shm_all_agree(op, shm))) {
            return 0;
        }
        lo = vc_shm_share(op, n, j);
        hi = vc_shm_share(op, n, j + 1);
        out = op->output + offset + lo * esize;
        if (hi > lo) {
            m = 1;
            if (vc_shm_writes_all(rop)) {
                vc_reduce(rop, shm->slots + lo * esize,
                          shm->slots + shm->slot_size + lo * esize, out,
                          hi - lo);
                m = 2;
            } else {
                vc_shm_copy(out, shm->slots + lo * esize, (hi - lo) * esize);
            }
            for (; m < n; ++m) {
                vc_reduce(rop, out, shm->slots + m * shm->slot_size +
                                            lo * esize, out, hi - lo);
            }
            vc_shm_copy(shm->slots + j * shm->slot_size + lo * esize, out,
                        (hi - lo) * esize);
        }
        atomic_store_explicit(&shm->release[j].seq, op->round,
                              memory_order_release);
        op->phase = VC_SHM_SPLIT_OUT;
        return 1;
    default:    /* VC_SHM_SPLIT_OUT */
        for (; op->next_child < n; ++op->next_child) {
            m = op->next_child;
            if (m == j) {
                continue;
            }
            if (!vc_shm_arrived(&shm->release[m], op->round)) {
                return 0;
            }
            lo = vc_shm_share(op, n, m);
            hi = vc_shm_share(op, n, m + 1);
            vc_shm_copy(op->output + offset + lo * esize,
                        shm->slots + m * shm->slot_size + lo * esize,
                        (hi - lo) * esize);
        }
        op->next_child = 0;
        vc_shm_round_done(op, shm);
        return 1;
    }
}

/* The collective's step: runs as far as the flags allow. */
static verve_status_t vc_shm_run(vc_sched_t *sched, vc_step_t *step)
{
    vc_shm_op_t *op = step->dst;
    vc_team_t *team = sched->team;
    vc_shm_team_t *shm = team->shm;

    if (team->error != VERVE_OK) {
        op->phase = VC_SHM_IDLE;
        return team->error;
    }
    if (op->phase == VC_SHM_IDLE) {
        op->phase = VC_SHM_TURN;
        op->round_index = 0;
        op->error = VERVE_OK;
    }
    for (;;) {
        switch (op->phase) {
        case VC_SHM_TURN:
            if (shm->serving != op->ticket) {
                return VERVE_INPROGRESS;
            }
            /* Before its first arrival, which publishes it. */
            atomic_store_explicit(&shm->done[op->rank].info,
                                  vc_shm_info(op), memory_order_relaxed);
            op->phase = VC_SHM_NEXT;
            break;
        case VC_SHM_NEXT:
            if (op->round_index == op->rounds) {
                ++shm->serving;
                op->phase = VC_SHM_IDLE;
                return op->error;
            }
            op->first = op->round_index * op->chunk;
            op->length = (op->count - op->first < op->chunk)
                                 ? op->count - op->first : op->chunk;
            op->round = ++shm->round;
            op->next_child = 0;
            {
                int in_slot = op->length * op->esize > VC_SHM_INLINE &&
                              !op->sym && !op->cma;

                op->overlap = op->pipelined && in_slot && !shm->whole_slot;
                shm->whole_slot = in_slot && !op->pipelined;
            }
            op->phase = op->sym ? VC_SHM_SYM_BEFORE : VC_SHM_CHILDREN;
            if (op->split || shm->after_split) {
                op->phase = VC_SHM_AFTER;
            }
            shm->after_split = op->split;
            break;
        case VC_SHM_AFTER:
            if (!vc_shm_all_at(op, shm, shm->done, op->round - 1)) {
                return VERVE_INPROGRESS;
            }
            op->phase = op->sym ? VC_SHM_SYM_BEFORE : VC_SHM_CHILDREN;
            break;
        case VC_SHM_SYM_BEFORE:
        case VC_SHM_SYM_ALL:
        case VC_SHM_SPLIT_FOLD:
        case VC_SHM_SPLIT_OUT:
            if (!(op->sym ? vc_shm_sym_step(op, shm)
                          : vc_shm_split_step(op, shm))) {
                return VERVE_INPROGRESS;
            }
            ++team->vw->poll_news;
            break;
        case VC_SHM_CHILDREN:
            if (op->split) {
                vc_shm_split_step(op, shm);
                ++team->vw->poll_news;
                break;
            }
            while (op->next_child < op->num_children) {
                unsigned child = op->children[op->next_child];
                uint64_t round = vc_shm_children_round(op, child);

                if (!vc_shm_arrived(&shm->arrive[child], round)) {
                    return VERVE_INPROGRESS;
                }
                /* Every disagreement shows on some edge of the tree:
                 * parents check their children. */
                if (op->round_index == 0 && round == op->round &&
                    !vc_shm_agree(op, shm, child)) {
                    return VERVE_INPROGRESS;
                }
                ++op->next_child;
            }
            vc_shm_fan_in(op, shm);
            ++team->vw->poll_news;
            op->phase = VC_SHM_PARENT;
            break;
        case VC_SHM_PARENT:
            if (op->parent != UINT_MAX &&
                !vc_shm_arrived(&shm->release[op->parent], op->round)) {
                return VERVE_INPROGRESS;
            }
            vc_shm_fan_out(op, shm);
            ++team->vw->poll_news;
            vc_shm_round_done(op, shm);
            break;
        default:
            return VERVE_ERR_INVALID_PARAM;
        }
    }
}

/* The first step of every collective: its ops' places in line. */
static verve_status_t vc_shm_reserve(vc_sched_t *sched, vc_step_t *step)
{
    vc_shm_ops_t *ops = step->dst;
    vc_shm_team_t *shm = sched->team->shm;
    unsigned i;

    for (i = 0; i < ops->count; ++i) {
        ops->op[i]->ticket = shm->next_ticket++;
        ops->op[i]->phase = VC_SHM_IDLE;
    }
    return VERVE_OK;
}

/* The k-nomial tree of vc_alg_tree.c rooted at 0: the parent of r is r
 * minus its lowest non-zero base-k digit, its children r + i * dd for
 * dd = 1, k, k^2 ... below its level, which lists them lowest first, each
 * heading a run of ranks after the one before it. */
static unsigned vc_shm_tree(vc_shm_op_t *op, unsigned n, unsigned k,
                            unsigned *children)
{
    unsigned r = op->rank, i, num = 0;
    unsigned long d = 1, dd;

    while (d < n && r % (d * k) == 0) {
        d *= k;
    }
    op->parent = (r == 0) ? UINT_MAX : (unsigned)(r - r % (d * k));
    for (dd = 1; dd < d; dd *= k) {
        for (i = 1; i < k && r + i * dd < n; ++i) {
            if (children != NULL) {
                children[num] = (unsigned)(r + i * dd);
            }
            ++num;
        }
    }
    return num;
}


static void vc_shm_op_init(vc_shm_op_t *op, vc_coll_t *coll,
                           verve_coll_type_t type, unsigned root,
                           const void *input, void *output)
{
    vc_shm_team_t *shm = coll->team->shm;
    unsigned n = shm->size;
    unsigned k = (n <= shm->flat_max) ? n : shm->radix;

    /* Not the collective's radix: every op takes the host's one tree. */
    memset(op, 0, sizeof(*op));
    op->coll = coll;
    op->type = type;
    op->rank = shm->local_rank;
    op->root = root;
    op->num_children = vc_shm_tree(op, n, (k < 2) ? 2 : k, op->children);
    op->input = input;
    op->output = output;
    op->fan_in_data = (type == VERVE_COLL_REDUCE ||
                       type == VERVE_COLL_ALLREDUCE);
    op->fan_out_data = (type == VERVE_COLL_BCAST ||
                        type == VERVE_COLL_ALLREDUCE);
    if (type == VERVE_COLL_BARRIER) {
        op->esize = 1;
        op->chunk = 1;
        op->rounds = 1;
    } else {
        op->esize = vc_coll_esize(coll);
        op->count = coll->args.dst.count;
        op->pipelined = (type == VERVE_COLL_BCAST && k == n);
        op->chunk = (op->pipelined ? shm->slot_size / 2 : shm->slot_size) /
                    op->esize;
        op->rounds = (unsigned)((op->count + op->chunk - 1) / op->chunk);
    }
    if ((type == VERVE_COLL_BARRIER || type == VERVE_COLL_ALLREDUCE) &&
        n <= shm->sym_max && op->count * op->esize <= VC_SHM_INLINE) {
        /* One round in the lines, whatever the slot. */
        op->sym = 1;
        op->chunk = vs_max(op->count, 1);
        op->rounds = 1;
    }
    if (type == VERVE_COLL_BCAST && shm->cma && shm->cma_min > 0 &&
        op->count * op->esize >= shm->cma_min) {
        op->cma = 1;
        op->pid = (int32_t)getpid();
        op->pipelined = 0;
        op->chunk = op->count;
        op->rounds = 2;
    }
    op->split = (type == VERVE_COLL_ALLREDUCE && k == n && n >= 2 &&
                 !op->sym && shm->split_min > 0 &&
                 op->count * op->esize >= shm->split_min &&
                 op->count * op->esize > VC_SHM_INLINE);
}

/* One host: one op. */
static void vc_shm_ops_host(vc_coll_t *coll, vc_shm_ops_t *ops)
{
    vc_shm_team_t *shm = coll->team->shm;
    unsigned root = shm->local_of[coll->args.root];
    int is_root = (shm->local_rank == root);
    void *dst = coll->args.dst.buffer;
    vc_shm_op_t *op = ops->op[0];

    ops->count = 1;
    switch (coll->args.coll_type) {
    case VERVE_COLL_BCAST:
        vc_shm_op_init(op, coll, VERVE_COLL_BCAST, root,
                       is_root ? dst : NULL, is_root ? NULL : dst);
        break;
    case VERVE_COLL_REDUCE:
        vc_shm_op_init(op, coll, VERVE_COLL_REDUCE, root,
                       is_root ? vc_coll_input(coll) : coll->args.src.buffer,
                       is_root ? dst : NULL);
        break;
    case VERVE_COLL_ALLREDUCE:
        vc_shm_op_init(op, coll, VERVE_COLL_ALLREDUCE, 0, vc_coll_input(coll),
                       dst);
        break;
    default:
        vc_shm_op_init(op, coll, VERVE_COLL_BARRIER, 0, NULL, NULL);
        break;
    }
}

/* Leaders: gathered (and reduced, when op) at leader 0, sent back. */
static verve_status_t vc_shm_leaders_allreduce(vc_coll_t *coll, void *buffer,
                                               size_t length, uint8_t *tmp,
                                               int reduce)
{
    vc_sched_t *sched = &coll->sched;
    vc_shm_team_t *shm = coll->team->shm;
    unsigned j;

    if (shm->node != 0) {
        VC_TRY(vc_sched_send(sched, shm->leaders[0], VC_SHM_TAG_UP, buffer,
                             length));
        VC_TRY(vc_sched_recv(sched, shm->leaders[0], VC_SHM_TAG_DOWN, buffer,
                             length));
        return vc_sched_fence(sched);
    }
    for (j = 1; j < shm->num_nodes; ++j) {
        VC_TRY(vc_sched_recv(sched, shm->leaders[j], VC_SHM_TAG_UP,
                             tmp + j * length, length));
    }
    VC_TRY(vc_sched_fence(sched));
    for (j = 1; j < shm->num_nodes && reduce; ++j) {
        VC_TRY(vc_sched_reduce(sched, buffer, buffer, tmp + j * length,
                               coll->args.dst.count));
    }
    for (j = 1; j < shm->num_nodes; ++j) {
        VC_TRY(vc_sched_send(sched, shm->leaders[j], VC_SHM_TAG_DOWN, buffer,
                             length));
    }
    return vc_sched_fence(sched);
}

/* Several hosts: the ops and the leaders' messages (see the top). */
static verve_status_t vc_shm_build_hosts(vc_coll_t *coll, vc_shm_ops_t *ops,
                                         uint8_t *tmp, size_t length)
{
    vc_sched_t *sched = &coll->sched;
    vc_shm_team_t *shm = coll->team->shm;
    unsigned me = coll->team->rank, root = coll->args.root, j;
    unsigned root_node = shm->node_of[root];
    int leader = (shm->local_rank == 0), is_root = (me == root);
    void *dst = coll->args.dst.buffer, *partial;
    vc_shm_op_t *op1 = ops->op[0], *op2 = ops->op[1];

    switch (coll->args.coll_type) {
    case VERVE_COLL_BCAST:
        ops->count = 1;
        if (shm->node == root_node) {
            vc_shm_op_init(op1, coll, VERVE_COLL_BCAST, shm->local_of[root],
                           is_root ? dst : NULL, is_root ? NULL : dst);
            VC_TRY(vc_sched_call(sched, vc_shm_reserve, ops));
            VC_TRY(vc_sched_call(sched, vc_shm_run, op1));
            for (j = 0; j < shm->num_nodes && leader; ++j) {
                if (j != root_node) {
                    VC_TRY(vc_sched_send(sched, shm->leaders[j],
                                         VC_SHM_TAG_DOWN, dst, length));
                }
            }
            return vc_sched_fence(sched);
        }
        vc_shm_op_init(op1, coll, VERVE_COLL_BCAST, 0, leader ? dst : NULL,
                       leader ? NULL : dst);
        VC_TRY(vc_sched_call(sched, vc_shm_reserve, ops));
        if (leader) {
            VC_TRY(vc_sched_recv(sched, shm->leaders[root_node],
                                 VC_SHM_TAG_DOWN, dst, length));
            VC_TRY(vc_sched_fence(sched));
        }
        return vc_sched_call(sched, vc_shm_run, op1);
    case VERVE_COLL_REDUCE:
        ops->count = 1;
        partial = !leader ? NULL : is_root ? dst
                                           : tmp + shm->num_nodes * length;
        vc_shm_op_init(op1, coll, VERVE_COLL_REDUCE, 0,
                       is_root ? vc_coll_input(coll) : coll->args.src.buffer,
                       partial);
        VC_TRY(vc_sched_call(sched, vc_shm_reserve, ops));
        VC_TRY(vc_sched_call(sched, vc_shm_run, op1));
        if (leader && !is_root) {
            VC_TRY(vc_sched_send(sched, root, VC_SHM_TAG_UP, partial,
                                 length));
            return vc_sched_fence(sched);
        }
        if (!is_root) {
            return VERVE_OK;
        }
        for (j = 0; j < shm->num_nodes; ++j) {
            if (shm->leaders[j] != me) {
                VC_TRY(vc_sched_recv(sched, shm->leaders[j], VC_SHM_TAG_UP,
                                     tmp + j * length, length));
            }
        }
        VC_TRY(vc_sched_fence(sched));
        /* Commutative: the hosts' parts in host order, the root's own
         * (already in dst when it leads) first. */
        if (!leader) {
            VC_TRY(vc_sched_copy(sched, dst, tmp, length));
        }
        for (j = leader ? 0 : 1; j < shm->num_nodes; ++j) {
            if (shm->leaders[j] != me) {
                VC_TRY(vc_sched_reduce(sched, dst, dst, tmp + j * length,
                                       coll->args.dst.count));
            }
        }
        return VERVE_OK;
    case VERVE_COLL_ALLREDUCE:
        ops->count = 2;
        vc_shm_op_init(op1, coll, VERVE_COLL_REDUCE, 0, vc_coll_input(coll),
                       leader ? dst : NULL);
        vc_shm_op_init(op2, coll, VERVE_COLL_BCAST, 0, leader ? dst : NULL,
                       leader ? NULL : dst);
        break;
    default:
        ops->count = 2;
        vc_shm_op_init(op1, coll, VERVE_COLL_BARRIER, 0, NULL, NULL);
        vc_shm_op_init(op2, coll, VERVE_COLL_BARRIER, 0, NULL, NULL);
        length = 0;
        break;
    }
    VC_TRY(vc_sched_call(sched, vc_shm_reserve, ops));
    VC_TRY(vc_sched_call(sched, vc_shm_run, op1));
    if (leader) {
        VC_TRY(vc_shm_leaders_allreduce(coll, dst, length, tmp,
                                        coll->args.coll_type ==
                                        VERVE_COLL_ALLREDUCE));
    }
    return vc_sched_call(sched, vc_shm_run, op2);
}

int vc_shm_usable(const vc_team_t *team, verve_coll_type_t type,
                  int commutative)
{
    return team->shm != NULL &&
           (team->shm->num_nodes == 1 || commutative ||
            (type != VERVE_COLL_REDUCE && type != VERVE_COLL_ALLREDUCE));
}

verve_status_t vc_alg_shm(vc_coll_t *coll)
{
    verve_coll_type_t type = coll->args.coll_type;
    vc_team_t *team = coll->team;
    vc_shm_team_t *shm = team->shm;
    size_t length = 0, op_size, tmp_count = 0;
    vc_shm_op_t probe;
    vc_shm_ops_t *ops;
    uint8_t *scratch;
    unsigned k;

    if (!vc_shm_usable(team, type, coll->sched.op.commutative) ||
        (type != VERVE_COLL_BARRIER && type != VERVE_COLL_BCAST &&
         type != VERVE_COLL_REDUCE && type != VERVE_COLL_ALLREDUCE)) {
        return VERVE_ERR_UNSUPPORTED;
    }
    if (type != VERVE_COLL_BARRIER) {
        length = coll->args.dst.count * vc_coll_esize(coll);
    }
    memset(&probe, 0, sizeof(probe));
    probe.rank = shm->local_rank;
    k = (shm->size <= shm->flat_max) ? shm->size : shm->radix;
    op_size = vs_align_up(sizeof(vc_shm_op_t) +
                          vc_shm_tree(&probe, shm->size, (k < 2) ? 2 : k,
                                      NULL) * sizeof(unsigned), 16);
    if (shm->num_nodes > 1 && (type == VERVE_COLL_REDUCE ||
                               type == VERVE_COLL_ALLREDUCE)) {
        tmp_count = shm->num_nodes + 1;
    }
    scratch = vc_sched_scratch(&coll->sched,
                               vs_align_up(sizeof(*ops), 16) +
                               VC_SHM_MAX_OPS * op_size +
                               tmp_count * length);
    if (scratch == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    ops = (vc_shm_ops_t *)scratch;
    scratch += vs_align_up(sizeof(*ops), 16);
    ops->op[0] = (vc_shm_op_t *)scratch;
    ops->op[1] = (vc_shm_op_t *)(scratch + op_size);
    scratch += VC_SHM_MAX_OPS * op_size;
    if (shm->num_nodes > 1) {
        return vc_shm_build_hosts(coll, ops, scratch, length);
    }
    vc_shm_ops_host(coll, ops);
    VC_TRY(vc_sched_call(&coll->sched, vc_shm_reserve, ops));
    return vc_sched_call(&coll->sched, vc_shm_run, ops->op[0]);
}
