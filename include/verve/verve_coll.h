/*
 * verve group collectives.
 *
 * A team is an ordered group of endpoints of one worker: member i is
 * reached through eps[i], and the caller is member `rank` (its own entry
 * may be NULL). Team creation and every collective are nonblocking and
 * complete through a verve_request_h like any other operation; the worker's
 * progress runs them. Members call collectives on a team in the same order;
 * several may be in flight on one team, and on several teams at once.
 *
 * A collective is described once by verve_coll_args_t. verve_coll_nbx
 * starts it once; verve_coll_init makes a persistent collective that
 * verve_coll_start runs again and again with the same arguments (the
 * buffers' contents may change between starts, not their addresses).
 */
#ifndef VERVE_COLL_H
#define VERVE_COLL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <verve/verve.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct verve_team *verve_team_h;
typedef struct verve_coll *verve_coll_h;

/* ---- teams -------------------------------------------------------------- */

enum {
    VERVE_TEAM_PARAM_FIELD_EPS = 1u << 0,     /* required */
    VERVE_TEAM_PARAM_FIELD_SIZE = 1u << 1,    /* required */
    VERVE_TEAM_PARAM_FIELD_RANK = 1u << 2,    /* required */
    VERVE_TEAM_PARAM_FIELD_ID = 1u << 3
};

typedef struct verve_team_params {
    uint64_t field_mask;
    verve_ep_h *eps;     /* size entries, copied; eps[rank] may be NULL */
    unsigned size;
    unsigned rank;
    /* Tells apart teams created at the same time over the same members;
     * every member passes the same value (default 0). */
    uint64_t id;
} verve_team_params_t;

/* Starts creating a team: VERVE_INPROGRESS with a request that completes
 * once every member has joined, VERVE_OK when complete in place (one
 * member), or an error. *team_p is valid at once, but collectives may be
 * started on it only after the creation completed. */
VERVE_API verve_status_t verve_team_create_nbx(verve_worker_h worker,
        const verve_team_params_t *params, verve_team_h *team_p,
        const verve_request_param_t *param, verve_request_h *request_p);
/* Every collective on the team must have completed. After a failure,
 * other members may still be sending to the team (large messages wait
 * for their receiver): destroy it once they have ended too (a barrier of
 * the program's own), or such a sender waits until this worker goes. */
VERVE_API void verve_team_destroy(verve_team_h team);
VERVE_API unsigned verve_team_rank(verve_team_h team);
VERVE_API unsigned verve_team_size(verve_team_h team);

/* ---- arguments ---------------------------------------------------------- */

typedef enum verve_coll_type {
    VERVE_COLL_BARRIER = 0,
    VERVE_COLL_BCAST,
    VERVE_COLL_REDUCE,
    VERVE_COLL_ALLREDUCE,
    VERVE_COLL_ALLGATHER,
    VERVE_COLL_ALLGATHERV,
    VERVE_COLL_ALLTOALL,
    VERVE_COLL_ALLTOALLV,
    VERVE_COLL_REDUCE_SCATTER,  /* every member gets `count` elements */
    VERVE_COLL_GATHER,
    VERVE_COLL_GATHERV,
    VERVE_COLL_SCATTER,
    VERVE_COLL_SCATTERV,
    VERVE_COLL_TYPE_LAST
} verve_coll_type_t;

typedef enum verve_coll_datatype {
    VERVE_COLL_INT8 = 0,
    VERVE_COLL_INT16,
    VERVE_COLL_INT32,
    VERVE_COLL_INT64,
    VERVE_COLL_UINT8,
    VERVE_COLL_UINT16,
    VERVE_COLL_UINT32,
    VERVE_COLL_UINT64,
    VERVE_COLL_FLOAT,
    VERVE_COLL_DOUBLE,
    /* value-index pairs for MINLOC/MAXLOC: struct { T value; int32_t
     * index; } with C's layout and padding */
    VERVE_COLL_FLOAT_INT,
    VERVE_COLL_DOUBLE_INT,
    VERVE_COLL_INT32_INT,
    VERVE_COLL_INT64_INT,
    VERVE_COLL_DATATYPE_LAST
} verve_coll_datatype_t;

typedef enum verve_coll_op {
    VERVE_COLL_OP_SUM = 0,
    VERVE_COLL_OP_PROD,
    VERVE_COLL_OP_MIN,
    VERVE_COLL_OP_MAX,
    VERVE_COLL_OP_BAND,     /* bitwise: integer types only */
    VERVE_COLL_OP_BOR,
    VERVE_COLL_OP_BXOR,
    VERVE_COLL_OP_LAND,     /* logical: integer types only */
    VERVE_COLL_OP_LOR,
    VERVE_COLL_OP_LXOR,
    VERVE_COLL_OP_MINLOC,   /* pair types only; ties: the smaller index */
    VERVE_COLL_OP_MAXLOC,
    VERVE_COLL_OP_USER,     /* verve_coll_args_t.user_op */
    VERVE_COLL_OP_LAST
} verve_coll_op_t;

/* A user reduction: out[i] = in1[i] (+) in2[i] for count elements of the
 * collective's datatype, where in1 holds the contribution of lower ranks
 * than in2. out may be in1 or in2. Unless the op is declared commutative,
 * verve applies it in rank order. */
typedef void (*verve_coll_user_op_t)(const void *in1, const void *in2,
                                     void *out, size_t count, void *arg);

enum {
    VERVE_COLL_ARGS_FIELD_FLAGS = 1u << 0,
    VERVE_COLL_ARGS_FIELD_ROOT = 1u << 1,
    VERVE_COLL_ARGS_FIELD_USER_OP = 1u << 2,
    VERVE_COLL_ARGS_FIELD_RADIX = 1u << 3
};

enum {
    /* The input is taken from (and the result written to) the receive
     * buffer; src is ignored. For rooted collectives, at the root only. */
    VERVE_COLL_FLAG_IN_PLACE = 1u << 0,
    /* The user op is commutative (any order is allowed). */
    VERVE_COLL_FLAG_COMMUTATIVE = 1u << 1
};

/* One side of a collective: a buffer of count elements, or for the v
 * variants one count and one displacement (in elements) per member. */
typedef struct verve_coll_buffer {
    void *buffer;
    size_t count;
    const size_t *counts;   /* v variants */
    const size_t *displs;
    verve_coll_datatype_t datatype;
} verve_coll_buffer_t;

/* Counts are in elements of the collective's one datatype: src.datatype
 * and dst.datatype must be equal wherever src is read (not in place, and
 * for scatter(v) at the root); dst.count is the count of every
 * collective but the v variants. Per type:
 *   bcast: dst (in at the root, out elsewhere).
 *   reduce, allreduce: src -> dst, dst.count elements, op; at non-roots
 *   of reduce dst.buffer is not used.
 *   reduce_scatter: src holds size * dst.count elements; member r gets
 *   the reduction of block r in dst.
 *   allgather, gather: src holds dst.count; dst size * dst.count (gather:
 *   at the root).
 *   allgatherv: member r contributes dst.counts[r] elements from src;
 *   member i's part lands at dst.displs[i].
 *   gatherv: src.count from each member; dst.counts/displs at the root.
 *   scatter: src holds size * dst.count at the root.
 *   scatterv: src.counts/displs at the root; dst.count on each member.
 *   alltoall: dst.count elements to and from each member.
 *   alltoallv: src.counts/displs (what goes to each member) and
 *   dst.counts/displs (what comes from each).
 * In place: the input is in dst (reduce, gather, gatherv: at the root
 * only; allgather(v), gather(v): the member's own block in its place in
 * dst), and for scatter(v) the root's block stays in src; alltoallv in
 * place needs dst.counts equal to what each peer sends. */
typedef struct verve_coll_args {
    uint64_t field_mask;          /* VERVE_COLL_ARGS_FIELD_* */
    verve_coll_type_t coll_type;
    verve_coll_buffer_t src;
    verve_coll_buffer_t dst;
    verve_coll_op_t op;
    unsigned root;                /* rooted collectives (default 0) */
    uint32_t flags;               /* VERVE_COLL_FLAG_* */
    verve_coll_user_op_t user_op; /* with VERVE_COLL_OP_USER */
    void *user_op_arg;
    /* Radix of the k-nomial algorithms (2 or more); default from the
     * selection table. Every member passes the same value. */
    unsigned radix;
} verve_coll_args_t;

/* ---- collectives -------------------------------------------------------- */

/* Starts a collective: VERVE_OK when complete in place, VERVE_INPROGRESS
 * with a request, or an error.
 *
 * Checked on the caller, before anything is sent or written, failing with
 * VERVE_ERR_INVALID_PARAM (and a message naming the collective and the
 * value): the type, flags (only VERVE_COLL_FLAG_*), radix (2..64), root
 * (a member, rooted collectives), datatype (in range, src's equal to
 * dst's where src is read), op (one the datatype takes: bitwise and
 * logical ops on integers, MINLOC/MAXLOC on pairs, USER with user_op),
 * counts and displacements (present where read, and no buffer's extent
 * past the address space), buffers (not NULL where a nonzero count of
 * elements is read or written). Such a failure is local: the other
 * members then wait for the caller.
 *
 * Checked between members: every message of a collective carries the
 * number of bytes its sender contributes (dst.count elements; for the v
 * variants each message's length is checked against the receiver's
 * counts). A member that receives another size fails the team with
 * VERVE_ERR_INVALID_PARAM, naming the sender and both sizes, and tells
 * every other member: the collective and every later one on the team
 * fail at every member instead of waiting or reporting a wrong result.
 * A member whose part is only to send (the root of a bcast or scatter, a
 * leaf of a reduce or gather) may complete before it hears of it; its
 * next collective on the team fails. On the intra-node shared-memory
 * path each member publishes the same size with its flags, and the
 * members that wait on it compare.
 */
VERVE_API verve_status_t verve_coll_nbx(verve_team_h team,
        const verve_coll_args_t *args, const verve_request_param_t *param,
        verve_request_h *request_p);

/* Persistent collectives: init once (local, no communication), start many
 * times; one start at a time per handle; destroy when no start is running.
 * The arguments are copied except the buffers, counts and displacements,
 * which are used in place at every start. */
VERVE_API verve_status_t verve_coll_init(verve_team_h team,
        const verve_coll_args_t *args, verve_coll_h *coll_p);
VERVE_API verve_status_t verve_coll_start(verve_coll_h coll,
        const verve_request_param_t *param, verve_request_h *request_p);
VERVE_API void verve_coll_destroy(verve_coll_h coll);

/* Names, for tools and messages. */
VERVE_API const char *verve_coll_type_name(verve_coll_type_t type);
VERVE_API size_t verve_coll_datatype_size(verve_coll_datatype_t datatype);

/* Prints the algorithms of each collective and the selection table in
 * force (VERVE_COLL_TUNE applied); fails when that variable is malformed. */
VERVE_API verve_status_t verve_coll_print_info(FILE *stream);

#ifdef __cplusplus
}
#endif

#endif
