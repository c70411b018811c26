/*
 * Rooted algorithms: the dissemination barrier, k-nomial bcast and reduce
 * (the radix is a parameter), linear gather(v) and scatter(v).
 */
#include "vc_coll.h"

/* Tags of the messages between two members within one collective. */
enum {
    VC_TAG_TREE = 0,     /* parent <-> child */
    VC_TAG_TO_ROOT = 1   /* the result of a reduce rooted elsewhere */
};

verve_status_t vc_alg_barrier_dissemination(vc_coll_t *coll)
{
    vc_sched_t *sched = &coll->sched;
    unsigned n = coll->team->size, r = coll->team->rank, d;
    uint16_t round = 0;

    /* After round k every member has heard, indirectly, from the 2^(k+1)
     * members before it; ceil(log2 n) rounds cover the whole team. */
    for (d = 1; d < n; d <<= 1, ++round) {
        VC_TRY(vc_sched_send(sched, (r + d) % n, round, NULL, 0));
        VC_TRY(vc_sched_recv(sched, (r + n - d) % n, round, NULL, 0));
        VC_TRY(vc_sched_fence(sched));
    }
    return VERVE_OK;
}

/* The k-nomial tree over ranks relative to a root: vr receives from its
 * parent at distance d, the lowest non-zero base-k digit of vr, and
 * sends to vr + i * dd for dd = d/k ... 1 and i = 1 .. k-1. Returns d (for
 * the root the first power of k >= n). */
static unsigned long vc_knomial_level(unsigned vr, unsigned n, unsigned k)
{
    unsigned long d = 1;

    while (d < n && vr % (d * k) == 0) {
        d *= k;
    }
    return d;
}

verve_status_t vc_alg_bcast_knomial(vc_coll_t *coll)
{
    vc_sched_t *sched = &coll->sched;
    unsigned n = coll->team->size, r = coll->team->rank;
    unsigned root = coll->args.root, k = coll->radix, i;
    unsigned vr = (r + n - root) % n, child;
    size_t length = coll->args.dst.count * vc_coll_esize(coll);
    void *buffer = coll->args.dst.buffer;
    unsigned long d = vc_knomial_level(vr, n, k), dd;

    if (vr != 0) {
        VC_TRY(vc_sched_recv(sched, (unsigned)(vr - vr % (d * k) + root) % n,
                             VC_TAG_TREE, buffer, length));
        VC_TRY(vc_sched_fence(sched));
    }
    /* Largest subtrees first: they have the longest way to go. */
    for (dd = d / k; dd >= 1; dd /= k) {
        for (i = 1; i < k; ++i) {
            child = vr + i * (unsigned)dd;
            if (child >= n) {
                break;
            }
            VC_TRY(vc_sched_send(sched, (child + root) % n, VC_TAG_TREE,
                                 buffer, length));
        }
    }
    return vc_sched_fence(sched);
}

/* Children are combined in rank order (the lowest digits first), so a
 * subtree's result covers a contiguous run of relative ranks starting at
 * its root. Non-commutative ops root the tree at 0, where relative and
 * real ranks agree, and rank 0 sends the result to the real root. */
verve_status_t vc_alg_reduce_knomial(vc_coll_t *coll)
{
    vc_sched_t *sched = &coll->sched;
    unsigned n = coll->team->size, r = coll->team->rank;
    unsigned root = coll->args.root, k = coll->radix, i;
    unsigned tree_root = sched->op.commutative ? root : 0;
    unsigned vr = (r + n - tree_root) % n, child, num_children = 0;
    size_t count = coll->args.dst.count, esize = vc_coll_esize(coll);
    size_t length = count * esize;
    const void *input = (r == root) ? vc_coll_input(coll)
                                    : coll->args.src.buffer;
    unsigned long d = vc_knomial_level(vr, n, k), dd;
    uint8_t *scratch, *acc, *tmp;

    for (dd = 1; dd < d; dd *= k) {
        for (i = 1; i < k && vr + i * dd < n; ++i) {
            ++num_children;
        }
    }
    scratch = vc_sched_scratch(sched, (num_children + 1) * length);
    if (scratch == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    acc = (r == tree_root && r == root) ? coll->args.dst.buffer : scratch;
    tmp = scratch + length;
    for (dd = 1; dd < d; dd *= k) {
        for (i = 1; i < k && (child = vr + i * (unsigned)dd) < n; ++i) {
            VC_TRY(vc_sched_recv(sched, (child + tree_root) % n,
                                 VC_TAG_TREE, tmp, length));
            tmp += length;
        }
    }
    VC_TRY(vc_sched_copy(sched, acc, input, length));
    VC_TRY(vc_sched_fence(sched));
    for (i = 0, tmp = scratch + length; i < num_children;
         ++i, tmp += length) {
        VC_TRY(vc_sched_reduce(sched, acc, acc, tmp, count));
    }
    if (vr != 0) {
        VC_TRY(vc_sched_send(sched,
                             (unsigned)(vr - vr % (d * k) + tree_root) % n,
                             VC_TAG_TREE, acc, length));
        VC_TRY(vc_sched_fence(sched));
    }
    if (tree_root != root) {
        if (r == tree_root) {
            VC_TRY(vc_sched_send(sched, root, VC_TAG_TO_ROOT, acc, length));
        } else if (r == root) {
            VC_TRY(vc_sched_recv(sched, tree_root, VC_TAG_TO_ROOT,
                                 coll->args.dst.buffer, length));
        }
        VC_TRY(vc_sched_fence(sched));
    }
    return VERVE_OK;
}

/* gather and gatherv: the root posts every receive at once. */
verve_status_t vc_alg_gather_linear(vc_coll_t *coll)
{
    const verve_coll_args_t *args = &coll->args;
    vc_sched_t *sched = &coll->sched;
    unsigned n = coll->team->size, r = coll->team->rank, i;
    size_t esize = vc_coll_esize(coll), count, offset;
    int v = (args->coll_type == VERVE_COLL_GATHERV);
    uint8_t *dst = args->dst.buffer;

    if (r != args->root) {
        count = v ? args->src.count : args->dst.count;
        VC_TRY(vc_sched_send(sched, args->root, VC_TAG_TREE,
                             args->src.buffer, count * esize));
        return vc_sched_fence(sched);
    }
    for (i = 0; i < n; ++i) {
        count = v ? args->dst.counts[i] : args->dst.count;
        offset = (v ? args->dst.displs[i] : i * args->dst.count) * esize;
        if (i != r) {
            VC_TRY(vc_sched_recv(sched, i, VC_TAG_TREE, dst + offset,
                                 count * esize));
        } else if (!(args->flags & VERVE_COLL_FLAG_IN_PLACE)) {
            VC_TRY(vc_sched_copy(sched, dst + offset, args->src.buffer,
                                 count * esize));
        }
    }
    return vc_sched_fence(sched);
}

/* scatter and scatterv; in place, the root's part stays in src. */
verve_status_t vc_alg_scatter_linear(vc_coll_t *coll)
{
    const verve_coll_args_t *args = &coll->args;
    vc_sched_t *sched = &coll->sched;
    unsigned n = coll->team->size, r = coll->team->rank, i;
    size_t esize = vc_coll_esize(coll), count, offset;
    int v = (args->coll_type == VERVE_COLL_SCATTERV);
    const uint8_t *src = args->src.buffer;

    if (r != args->root) {
        VC_TRY(vc_sched_recv(sched, args->root, VC_TAG_TREE,
                             args->dst.buffer, args->dst.count * esize));
        return vc_sched_fence(sched);
    }
    for (i = 0; i < n; ++i) {
        count = v ? args->src.counts[i] : args->dst.count;
        offset = (v ? args->src.displs[i] : i * args->dst.count) * esize;
        if (i != r) {
            VC_TRY(vc_sched_send(sched, i, VC_TAG_TREE, src + offset,
                                 count * esize));
        } else if (!(args->flags & VERVE_COLL_FLAG_IN_PLACE)) {
            VC_TRY(vc_sched_copy(sched, args->dst.buffer, src + offset,
                                 count * esize));
        }
    }
    return vc_sched_fence(sched);
}
