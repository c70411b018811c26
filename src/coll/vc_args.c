/*
 * Argument checks of the collectives, all in one place: what each member
 * reads from src and writes to dst is worked out once per collective type
 * (vc_args_extent), and every check runs on that, so that a combination
 * that would read or write the wrong memory, or reduce with the wrong
 * datatype, fails here with VERVE_ERR_INVALID_PARAM before anything is
 * sent or written. These checks are local: members that disagree with
 * each other are caught by the size every message carries (vc_chan.c).
 */
#include <stdint.h>
#include "vc_coll.h"
#include "core/base/log.h"

/* Beyond this a byte count does not fit a pointer difference. */
#define VC_ARGS_BYTES_MAX ((size_t)PTRDIFF_MAX)

/* What this member does with each side of the collective. */
typedef struct vc_args_extent {
    int src_used;        /* src is read: its datatype must match */
    int src_buffer;      /* src.buffer is read (not only its counts) */
    size_t src_elems;    /* elements read from src.buffer */
    size_t dst_elems;    /* elements read or written in dst.buffer */
} vc_args_extent_t;

static const uint32_t vc_args_flags_known = VERVE_COLL_FLAG_IN_PLACE |
                                            VERVE_COLL_FLAG_COMMUTATIVE;

static int vc_args_is_rooted(verve_coll_type_t type)
{
    return type == VERVE_COLL_BCAST || type == VERVE_COLL_REDUCE ||
           type == VERVE_COLL_GATHER || type == VERVE_COLL_GATHERV ||
           type == VERVE_COLL_SCATTER || type == VERVE_COLL_SCATTERV;
}

static int vc_coll_is_reduction(verve_coll_type_t type)
{
    return type == VERVE_COLL_REDUCE || type == VERVE_COLL_ALLREDUCE ||
           type == VERVE_COLL_REDUCE_SCATTER;
}

/* a * b elements, or 0 with *overflow set. */
static size_t vc_args_mul(size_t a, size_t b, int *overflow)
{
    if (a != 0 && b > SIZE_MAX / a) {
        *overflow = 1;
        return 0;
    }
    return a * b;
}

/* The elements a counts/displs pair spans: the largest end of a block. */
static size_t vc_args_span(const size_t *counts, const size_t *displs,
                           unsigned size, int *overflow)
{
    size_t span = 0;
    unsigned i;

    for (i = 0; i < size; ++i) {
        if (counts[i] > SIZE_MAX - displs[i]) {
            *overflow = 1;
            return 0;
        }
        if (counts[i] > 0 && displs[i] + counts[i] > span) {
            span = displs[i] + counts[i];
        }
    }
    return span;
}

static int vc_args_v_missing(const verve_coll_buffer_t *side)
{
    return side->counts == NULL || side->displs == NULL;
}

/* Fills *ext for this member; fails when an array the type reads is
 * missing or a count overflows. */
static verve_status_t vc_args_extent(const verve_coll_args_t *args,
                                     unsigned rank, unsigned size,
                                     vc_args_extent_t *ext, int *overflow)
{
    int in_place = !!(args->flags & VERVE_COLL_FLAG_IN_PLACE);
    int root = vc_args_is_rooted(args->coll_type) && rank == args->root;
    size_t count = args->dst.count;
    size_t blocks = vc_args_mul(size, count, overflow);

    ext->src_used = !in_place;
    ext->src_elems = in_place ? 0 : count;
    ext->dst_elems = count;
    switch (args->coll_type) {
    case VERVE_COLL_BCAST:
        ext->src_used = 0;
        ext->src_elems = 0;
        break;
    case VERVE_COLL_REDUCE:
        ext->dst_elems = (root || in_place) ? count : 0;
        break;
    case VERVE_COLL_ALLREDUCE:
        break;
    case VERVE_COLL_REDUCE_SCATTER:
        ext->src_elems = in_place ? 0 : blocks;
        ext->dst_elems = in_place ? blocks : count;
        break;
    case VERVE_COLL_ALLGATHER:
        ext->dst_elems = blocks;
        break;
    case VERVE_COLL_GATHER:
        ext->dst_elems = root ? blocks : (in_place ? count : 0);
        break;
    case VERVE_COLL_SCATTER:
        /* The root reads src even in place: its own block stays there. */
        ext->src_used = root;
        ext->src_elems = root ? blocks : 0;
        ext->dst_elems = (root && in_place) ? 0 : count;
        break;
    case VERVE_COLL_ALLTOALL:
        ext->src_elems = in_place ? 0 : blocks;
        ext->dst_elems = blocks;
        break;
    case VERVE_COLL_ALLGATHERV:
        if (vc_args_v_missing(&args->dst)) {
            return VERVE_ERR_INVALID_PARAM;
        }
        ext->src_elems = in_place ? 0 : args->dst.counts[rank];
        ext->dst_elems = vc_args_span(args->dst.counts, args->dst.displs,
                                      size, overflow);
        break;
    case VERVE_COLL_GATHERV:
        if (root && vc_args_v_missing(&args->dst)) {
            return VERVE_ERR_INVALID_PARAM;
        }
        ext->src_elems = in_place ? 0 : args->src.count;
        ext->dst_elems = root ? vc_args_span(args->dst.counts,
                                             args->dst.displs, size,
                                             overflow) : 0;
        break;
    case VERVE_COLL_SCATTERV:
        if (root && vc_args_v_missing(&args->src)) {
            return VERVE_ERR_INVALID_PARAM;
        }
        ext->src_used = root;
        ext->src_elems = root ? vc_args_span(args->src.counts,
                                             args->src.displs, size,
                                             overflow) : 0;
        ext->dst_elems = (root && in_place) ? 0 : count;
        break;
    case VERVE_COLL_ALLTOALLV:
        if (vc_args_v_missing(&args->dst) ||
            (!in_place && vc_args_v_missing(&args->src))) {
            return VERVE_ERR_INVALID_PARAM;
        }
        ext->src_elems = in_place ? 0 : vc_args_span(args->src.counts,
                                                     args->src.displs,
                                                     size, overflow);
        ext->dst_elems = vc_args_span(args->dst.counts, args->dst.displs,
                                      size, overflow);
        break;
    default:
        break;
    }
    ext->src_buffer = ext->src_elems > 0;
    return VERVE_OK;
}

/* Root, radix, flags and datatype: the same for every type. */
static verve_status_t vc_args_check_common(const verve_coll_args_t *args,
                                           unsigned size)
{
    const char *name = verve_coll_type_name(args->coll_type);

    if (args->flags & ~vc_args_flags_known) {
        vs_error("coll: %s: unknown flags 0x%x", name,
                 (unsigned)(args->flags & ~vc_args_flags_known));
        return VERVE_ERR_INVALID_PARAM;
    }
    if ((args->field_mask & VERVE_COLL_ARGS_FIELD_RADIX) &&
        (args->radix < 2 || args->radix > VC_RADIX_MAX)) {
        vs_error("coll: %s: radix %u is out of range (2..%d)", name,
                 args->radix, VC_RADIX_MAX);
        return VERVE_ERR_INVALID_PARAM;
    }
    if (args->coll_type == VERVE_COLL_BARRIER) {
        return VERVE_OK;
    }
    if (vc_args_is_rooted(args->coll_type) && args->root >= size) {
        vs_error("coll: %s: root %u is not a member of a team of %u", name,
                 args->root, size);
        return VERVE_ERR_INVALID_PARAM;
    }
    if (vc_datatype_size(args->dst.datatype) == 0) {
        vs_error("coll: %s: dst.datatype %d is out of range", name,
                 (int)args->dst.datatype);
        return VERVE_ERR_INVALID_PARAM;
    }
    return VERVE_OK;
}

/* The sides' buffers, datatypes and sizes against what this member does
 * with them. */
static verve_status_t vc_args_check_sides(const verve_coll_args_t *args,
                                          const vc_args_extent_t *ext)
{
    const char *name = verve_coll_type_name(args->coll_type);
    size_t esize = vc_datatype_size(args->dst.datatype);
    int overflow = 0;

    /* One datatype per collective: a src of another type would be read
     * as dst's type, a silently wrong result. */
    if (ext->src_used && args->src.datatype != args->dst.datatype) {
        vs_error("coll: %s: src.datatype %s differs from dst.datatype %s "
                 "(a collective has one datatype)", name,
                 vc_datatype_name(args->src.datatype),
                 vc_datatype_name(args->dst.datatype));
        return VERVE_ERR_INVALID_PARAM;
    }
    if (vc_args_mul(ext->src_elems, esize, &overflow) > VC_ARGS_BYTES_MAX ||
        vc_args_mul(ext->dst_elems, esize, &overflow) > VC_ARGS_BYTES_MAX ||
        overflow) {
        vs_error("coll: %s: counts too large (src %zu, dst %zu elements "
                 "of %zu bytes exceed the address space)", name,
                 ext->src_elems, ext->dst_elems, esize);
        return VERVE_ERR_INVALID_PARAM;
    }
    if (ext->src_buffer && args->src.buffer == NULL) {
        vs_error("coll: %s: src.buffer is NULL for %zu elements", name,
                 ext->src_elems);
        return VERVE_ERR_INVALID_PARAM;
    }
    if (ext->dst_elems > 0 && args->dst.buffer == NULL) {
        vs_error("coll: %s: dst.buffer is NULL for %zu elements", name,
                 ext->dst_elems);
        return VERVE_ERR_INVALID_PARAM;
    }
    return VERVE_OK;
}

verve_status_t vc_coll_args_check(const verve_coll_args_t *args,
                                  unsigned rank, unsigned size, vc_op_t *op)
{
    const char *name = verve_coll_type_name(args->coll_type);
    vc_args_extent_t ext;
    verve_status_t status;
    int overflow = 0;

    if ((unsigned)args->coll_type >= VERVE_COLL_TYPE_LAST) {
        vs_error("coll: collective type %d is out of range",
                 (int)args->coll_type);
        return VERVE_ERR_INVALID_PARAM;
    }
    status = vc_args_check_common(args, size);
    if (status != VERVE_OK || args->coll_type == VERVE_COLL_BARRIER) {
        return status;
    }
    if (vc_args_extent(args, rank, size, &ext, &overflow) != VERVE_OK) {
        vs_error("coll: %s: counts and displacements are required", name);
        return VERVE_ERR_INVALID_PARAM;
    }
    if (overflow) {
        vs_error("coll: %s: counts too large (an element count overflows)",
                 name);
        return VERVE_ERR_INVALID_PARAM;
    }
    status = vc_args_check_sides(args, &ext);
    if (status != VERVE_OK || !vc_coll_is_reduction(args->coll_type)) {
        return status;
    }
    return vc_op_init(op, args->op, args->dst.datatype,
                      (args->field_mask & VERVE_COLL_ARGS_FIELD_USER_OP) ?
                              args->user_op : NULL,
                      args->user_op_arg,
                      !!(args->flags & VERVE_COLL_FLAG_COMMUTATIVE));
}
