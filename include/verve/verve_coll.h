/**
 * @file verve_coll.h
 * @brief verve group collectives: teams, and barrier, bcast, reductions,
 * gathers, scatters and all-to-all over them.
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

/**
 * @defgroup verve_team Teams
 * @brief Ordered groups of endpoints that run collectives.
 *
 * A team is an ordered group of endpoints of one worker: member i is
 * reached through eps[i], and the caller is member `rank` (its own entry
 * may be NULL). Team creation and every collective are nonblocking and
 * complete through a verve_request_h like any other operation; the
 * worker's progress runs them, so every member must keep progressing its
 * worker (verve_request_wait() does) until its part is done. Members call
 * collectives on a team in the same order; several may be in flight on
 * one team, and on several teams at once.
 *
 * Every call here follows the worker's thread mode and, except
 * verve_team_destroy(), may be called from a callback.
 * @{
 */

/** A team: an ordered group of endpoints of one worker. */
typedef struct verve_team *verve_team_h;

/** Bits of verve_team_params_t::field_mask. */
enum {
    VERVE_TEAM_PARAM_FIELD_EPS = 1u << 0,  /**< eps is set (required) */
    VERVE_TEAM_PARAM_FIELD_SIZE = 1u << 1, /**< size is set (required) */
    VERVE_TEAM_PARAM_FIELD_RANK = 1u << 2, /**< rank is set (required) */
    VERVE_TEAM_PARAM_FIELD_ID = 1u << 3    /**< id is set */
};

/** Parameters of verve_team_create_nbx(). */
typedef struct verve_team_params {
    /** VERVE_TEAM_PARAM_FIELD_* bits: the fields that are set. */
    uint64_t field_mask;
    /** size endpoints of the worker, member i's at i; eps[rank] may be
     * NULL. The array is copied; the endpoints are not owned by the team
     * and must stay open until it is destroyed. */
    verve_ep_h *eps;
    /** Number of members, 1 or more. */
    unsigned size;
    /** The caller's member index, below size. */
    unsigned rank;
    /** Tells apart teams created at the same time over the same members;
     * every member passes the same value (default 0). */
    uint64_t id;
} verve_team_params_t;

/**
 * @brief Starts creating a team (a barrier among its members).
 *
 * @param[in] worker     The worker of every endpoint in params->eps.
 * @param[in] params     Members, size, rank, id; read during the call
 *                       only (eps is copied).
 * @param[out] team_p    Receives the team with #VERVE_OK or
 *                       #VERVE_INPROGRESS; valid at once, but collectives
 *                       may be started on it only after the creation
 *                       completed. Destroy it with verve_team_destroy(),
 *                       also when the creation's request fails.
 * @param[in] param      Callback and user data; may be NULL.
 * @param[out] request_p With #VERVE_INPROGRESS, the request that completes
 *                       once every member has joined; may be NULL.
 * @return #VERVE_OK when complete in place (one member);
 *         #VERVE_INPROGRESS; #VERVE_ERR_INVALID_PARAM (a missing field, a
 *         rank out of range, an endpoint NULL or of another worker, a team
 *         over the same members with the same id); #VERVE_ERR_NO_MEMORY.
 */
VERVE_API verve_status_t verve_team_create_nbx(verve_worker_h worker,
        const verve_team_params_t *params, verve_team_h *team_p,
        const verve_request_param_t *param, verve_request_h *request_p);

/**
 * @brief Destroys a team.
 *
 * Every collective on the team must have completed, and its persistent
 * collectives destroyed. After a failure, other members may still be
 * sending to the team (large messages wait for their receiver): destroy
 * it once they have ended too (a barrier of the program's own), or such a
 * sender waits until this worker goes. Worker's thread mode rules; not
 * from a callback of one of the team's operations.
 *
 * @param[in] team The team; NULL does nothing.
 */
VERVE_API void verve_team_destroy(verve_team_h team);

/**
 * @brief The caller's member index in the team.
 *
 * Any thread; takes no lock.
 *
 * @param[in] team The team.
 * @return verve_team_params_t::rank.
 */
VERVE_API unsigned verve_team_rank(verve_team_h team);

/**
 * @brief The number of members.
 *
 * Any thread; takes no lock.
 *
 * @param[in] team The team.
 * @return verve_team_params_t::size.
 */
VERVE_API unsigned verve_team_size(verve_team_h team);

/** @} */

/**
 * @defgroup verve_coll Collectives
 * @brief One-shot and persistent collectives on a team.
 *
 * A collective is described once by verve_coll_args_t. verve_coll_nbx()
 * starts it once; verve_coll_init() makes a persistent collective that
 * verve_coll_start() runs again and again with the same arguments (the
 * buffers' contents may change between starts, not their addresses).
 *
 * Buffers: the source is read and the destination written from the
 * start until the collective completes at this member; neither may be
 * touched (the source not written, the destination not read) meanwhile.
 * Completion at one member says nothing of the others, except where the
 * operation itself implies it (barrier; a member's result that needs
 * every contribution).
 *
 * Every call here follows the worker's thread mode and may be called
 * from a callback (not a user reduction).
 * @{
 */

/** A persistent collective (verve_coll_init()). */
typedef struct verve_coll *verve_coll_h;

/** The operation of a collective. */
typedef enum verve_coll_type {
    VERVE_COLL_BARRIER = 0,     /**< every member waits for every other */
    VERVE_COLL_BCAST,           /**< the root's buffer to every member */
    VERVE_COLL_REDUCE,          /**< reduction to the root */
    VERVE_COLL_ALLREDUCE,       /**< reduction to every member */
    VERVE_COLL_ALLGATHER,       /**< every member's block to every member */
    VERVE_COLL_ALLGATHERV,      /**< allgather, blocks of varying size */
    VERVE_COLL_ALLTOALL,        /**< a block from each member to each */
    VERVE_COLL_ALLTOALLV,       /**< alltoall, blocks of varying size */
    /** Reduction whose block r goes to member r: every member gets
     * `count` elements. */
    VERVE_COLL_REDUCE_SCATTER,
    VERVE_COLL_GATHER,          /**< every member's block to the root */
    VERVE_COLL_GATHERV,         /**< gather, blocks of varying size */
    VERVE_COLL_SCATTER,         /**< the root's block r to member r */
    VERVE_COLL_SCATTERV,        /**< scatter, blocks of varying size */
    VERVE_COLL_TYPE_LAST        /**< number of types (not one) */
} verve_coll_type_t;

/** The element type of a collective's buffers. */
typedef enum verve_coll_datatype {
    VERVE_COLL_INT8 = 0,   /**< int8_t */
    VERVE_COLL_INT16,      /**< int16_t */
    VERVE_COLL_INT32,      /**< int32_t */
    VERVE_COLL_INT64,      /**< int64_t */
    VERVE_COLL_UINT8,      /**< uint8_t */
    VERVE_COLL_UINT16,     /**< uint16_t */
    VERVE_COLL_UINT32,     /**< uint32_t */
    VERVE_COLL_UINT64,     /**< uint64_t */
    VERVE_COLL_FLOAT,      /**< float */
    VERVE_COLL_DOUBLE,     /**< double */
    /** Value-index pair for MINLOC/MAXLOC, struct { float value; int32_t
     * index; } with C's layout and padding (so for the next three). */
    VERVE_COLL_FLOAT_INT,
    VERVE_COLL_DOUBLE_INT, /**< struct { double value; int32_t index; } */
    VERVE_COLL_INT32_INT,  /**< struct { int32_t value; int32_t index; } */
    VERVE_COLL_INT64_INT,  /**< struct { int64_t value; int32_t index; } */
    VERVE_COLL_DATATYPE_LAST /**< number of datatypes (not one) */
} verve_coll_datatype_t;

/** The reduction of reduce, allreduce and reduce_scatter. */
typedef enum verve_coll_op {
    VERVE_COLL_OP_SUM = 0,  /**< sum */
    VERVE_COLL_OP_PROD,     /**< product */
    VERVE_COLL_OP_MIN,      /**< minimum */
    VERVE_COLL_OP_MAX,      /**< maximum */
    VERVE_COLL_OP_BAND,     /**< bitwise and: integer types only */
    VERVE_COLL_OP_BOR,      /**< bitwise or: integer types only */
    VERVE_COLL_OP_BXOR,     /**< bitwise xor: integer types only */
    VERVE_COLL_OP_LAND,     /**< logical and: integer types only */
    VERVE_COLL_OP_LOR,      /**< logical or: integer types only */
    VERVE_COLL_OP_LXOR,     /**< logical xor: integer types only */
    /** Minimum value and its index: pair types only; ties: the smaller
     * index. */
    VERVE_COLL_OP_MINLOC,
    /** Maximum value and its index: pair types only; ties: the smaller
     * index. */
    VERVE_COLL_OP_MAXLOC,
    VERVE_COLL_OP_USER,     /**< verve_coll_args_t::user_op */
    VERVE_COLL_OP_LAST      /**< number of ops (not one) */
} verve_coll_op_t;

/**
 * @brief A user reduction: out[i] = in1[i] (+) in2[i] for count elements
 * of the collective's datatype.
 *
 * in1 holds the contribution of lower ranks than in2. Unless the op is
 * declared commutative (#VERVE_COLL_FLAG_COMMUTATIVE), verve applies it
 * in rank order. Runs inside progress, or inside the verve_coll_nbx() or
 * verve_coll_start() call that started the collective, on the calling
 * thread, with the worker's lock held (#VERVE_THREAD_MODE_MULTI). It must
 * not call verve.
 *
 * @param in1   The first operand; valid during the call only.
 * @param in2   The second operand; valid during the call only.
 * @param out   The result; may be in1 or in2.
 * @param count Number of elements.
 * @param arg   verve_coll_args_t::user_op_arg.
 */
typedef void (*verve_coll_user_op_t)(const void *in1, const void *in2,
                                     void *out, size_t count, void *arg);

/** Bits of verve_coll_args_t::field_mask: the optional fields that are
 * set. */
enum {
    VERVE_COLL_ARGS_FIELD_FLAGS = 1u << 0,   /**< flags is set */
    VERVE_COLL_ARGS_FIELD_ROOT = 1u << 1,    /**< root is set */
    /** user_op and user_op_arg are set. */
    VERVE_COLL_ARGS_FIELD_USER_OP = 1u << 2,
    VERVE_COLL_ARGS_FIELD_RADIX = 1u << 3    /**< radix is set */
};

/** Flags of a collective (verve_coll_args_t::flags). */
enum {
    /** The input is taken from (and the result written to) the receive
     * buffer; src is ignored. For rooted collectives, at the root only. */
    VERVE_COLL_FLAG_IN_PLACE = 1u << 0,
    /** The user op is commutative (any order is allowed). */
    VERVE_COLL_FLAG_COMMUTATIVE = 1u << 1
};

/** One side of a collective: a buffer of count elements, or for the v
 * variants one count and one displacement (in elements) per member. */
typedef struct verve_coll_buffer {
    /** The elements; used in place from the start to the completion of
     * every run (see verve_coll_args_t for which side is read where). */
    void *buffer;
    /** Number of elements (not the v variants' per-member counts). */
    size_t count;
    /** v variants: team-size counts, in elements; used in place. */
    const size_t *counts;
    /** v variants: team-size displacements, in elements; used in place. */
    const size_t *displs;
    /** The element type. */
    verve_coll_datatype_t datatype;
} verve_coll_buffer_t;

/** What a collective does.
 *
 * Counts are in elements of the collective's one datatype: src.datatype
 * and dst.datatype must be equal wherever src is read (not in place, and
 * for scatter(v) at the root); dst.count is the count of every
 * collective but the v variants. Per type:
 * - bcast: dst (in at the root, out elsewhere).
 * - reduce, allreduce: src -> dst, dst.count elements, op; at non-roots
 *   of reduce dst.buffer is not used.
 * - reduce_scatter: src holds size * dst.count elements; member r gets
 *   the reduction of block r in dst.
 * - allgather, gather: src holds dst.count; dst size * dst.count
 *   (gather: at the root).
 * - allgatherv: member r contributes dst.counts[r] elements from src;
 *   member i's part lands at dst.displs[i].
 * - gatherv: src.count from each member; dst.counts/displs at the root.
 * - scatter: src holds size * dst.count at the root.
 * - scatterv: src.counts/displs at the root; dst.count on each member.
 * - alltoall: dst.count elements to and from each member.
 * - alltoallv: src.counts/displs (what goes to each member) and
 *   dst.counts/displs (what comes from each).
 *
 * In place: the input is in dst (reduce, gather, gatherv: at the root
 * only; allgather(v), gather(v): the member's own block in its place in
 * dst), and for scatter(v) the root's block stays in src; alltoallv in
 * place needs dst.counts equal to what each peer sends. */
typedef struct verve_coll_args {
    /** VERVE_COLL_ARGS_FIELD_* bits: the optional fields that are set. */
    uint64_t field_mask;
    /** The operation. */
    verve_coll_type_t coll_type;
    /** What this member contributes (see above). */
    verve_coll_buffer_t src;
    /** Where this member's result goes (see above). */
    verve_coll_buffer_t dst;
    /** The reduction (reduce, allreduce, reduce_scatter). */
    verve_coll_op_t op;
    /** The root's member index: rooted collectives (default 0). */
    unsigned root;
    /** VERVE_COLL_FLAG_* bits. */
    uint32_t flags;
    /** The reduction with #VERVE_COLL_OP_USER. */
    verve_coll_user_op_t user_op;
    /** Passed to user_op. */
    void *user_op_arg;
    /** Radix of the k-nomial algorithms (2 or more); default from the
     * selection table. Every member passes the same value. */
    unsigned radix;
} verve_coll_args_t;

/**
 * @brief Starts a collective on a team.
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
 *
 * @param[in] team       A team whose creation has completed.
 * @param[in] args       The collective; read during the call only (its
 *                       buffers, counts and displacements are used until
 *                       the collective completes).
 * @param[in] param      Callback and user data; may be NULL.
 * @param[out] request_p With #VERVE_INPROGRESS, the request; may be NULL.
 * @return #VERVE_OK when complete in place; #VERVE_INPROGRESS;
 *         #VERVE_ERR_INVALID_PARAM (see above; also team or args NULL);
 *         #VERVE_ERR_NO_MEMORY; the team's error once it failed (a
 *         member's peer failed, or members disagreed).
 */
VERVE_API verve_status_t verve_coll_nbx(verve_team_h team,
        const verve_coll_args_t *args, const verve_request_param_t *param,
        verve_request_h *request_p);

/**
 * @brief Makes a persistent collective: init once (local, no
 * communication), start many times.
 *
 * The arguments are copied except the buffers, counts and displacements,
 * which are used in place at every start. Every member's starts of it
 * count, in order, among the team's collectives.
 *
 * @param[in] team    The team.
 * @param[in] args    The collective, checked as by verve_coll_nbx().
 * @param[out] coll_p Receives the handle, to destroy with
 *                    verve_coll_destroy(); untouched on failure.
 * @return #VERVE_OK; #VERVE_ERR_INVALID_PARAM; #VERVE_ERR_NO_MEMORY.
 */
VERVE_API verve_status_t verve_coll_init(verve_team_h team,
        const verve_coll_args_t *args, verve_coll_h *coll_p);

/**
 * @brief Runs a persistent collective once.
 *
 * One start at a time per handle: start again after the previous start
 * completed.
 *
 * @param[in] coll       The persistent collective.
 * @param[in] param      Callback and user data; may be NULL.
 * @param[out] request_p With #VERVE_INPROGRESS, the request; may be NULL.
 * @return As verve_coll_nbx(); #VERVE_ERR_BUSY while the previous start
 *         runs.
 */
VERVE_API verve_status_t verve_coll_start(verve_coll_h coll,
        const verve_request_param_t *param, verve_request_h *request_p);

/**
 * @brief Destroys a persistent collective.
 *
 * Call it when no start is running (one that is running is left to finish
 * and the handle freed then, with an error message). Before
 * verve_team_destroy().
 *
 * @param[in] coll The handle; NULL does nothing.
 */
VERVE_API void verve_coll_destroy(verve_coll_h coll);

/**
 * @brief The name of a collective type, for tools and messages.
 *
 * Any thread.
 *
 * @param[in] type A type.
 * @return A constant string ("allreduce", ...); "invalid" for a value
 *         that is not a type. Never NULL.
 */
VERVE_API const char *verve_coll_type_name(verve_coll_type_t type);

/**
 * @brief The size of one element of a datatype.
 *
 * Any thread.
 *
 * @param[in] datatype A datatype.
 * @return Its size in bytes (padding included for the pair types); 0 for a
 *         value that is not a datatype.
 */
VERVE_API size_t verve_coll_datatype_size(verve_coll_datatype_t datatype);

/**
 * @brief Prints the algorithms of each collective and the selection table
 * in force (`VERVE_COLL_TUNE` applied), as `verve_info -l` does.
 *
 * Any thread; needs no context.
 *
 * @param[in] stream Where to print.
 * @return #VERVE_OK; #VERVE_ERR_INVALID_CONFIG when `VERVE_COLL_TUNE` is
 *         malformed (the log says where); #VERVE_ERR_NO_MEMORY.
 */
VERVE_API verve_status_t verve_coll_print_info(FILE *stream);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
