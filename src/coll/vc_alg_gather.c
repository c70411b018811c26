/*
 * Allgather (recursive doubling, Bruck, ring), allgatherv (ring),
 * alltoall (pairwise, Bruck) and alltoallv (pairwise).
 */
#include "vc_coll.h"

/* Where member i's block lies in dst, in bytes. */
static size_t vc_ag_offset(const verve_coll_args_t *args, unsigned i,
                           size_t esize)
{
    return ((args->coll_type == VERVE_COLL_ALLGATHERV) ? args->dst.displs[i]
                                                       : i * args->dst.count) *
           esize;
}

static size_t vc_ag_length(const verve_coll_args_t *args, unsigned i,
                           size_t esize)
{
    return ((args->coll_type == VERVE_COLL_ALLGATHERV) ? args->dst.counts[i]
                                                       : args->dst.count) *
           esize;
}

/* Own block into place (already there in place). */
static verve_status_t vc_ag_own(vc_coll_t *coll, uint8_t *dst)
{
    const verve_coll_args_t *args = &coll->args;
    unsigned r = coll->team->rank;
    size_t esize = vc_coll_esize(coll);

    if (args->flags & VERVE_COLL_FLAG_IN_PLACE) {
        return VERVE_OK;
    }
    return vc_sched_copy(&coll->sched, dst, args->src.buffer,
                         vc_ag_length(args, r, esize));
}

verve_status_t vc_alg_allgather_ring(vc_coll_t *coll)
{
    const verve_coll_args_t *args = &coll->args;
    vc_sched_t *sched = &coll->sched;
    unsigned n = coll->team->size, r = coll->team->rank, s, sb, rb;
    size_t esize = vc_coll_esize(coll);
    uint8_t *dst = args->dst.buffer;

    VC_TRY(vc_ag_own(coll, dst + vc_ag_offset(args, r, esize)));
    for (s = 0; s + 1 < n; ++s) {
        sb = (r + n - s) % n;
        rb = (r + 2 * n - s - 1) % n;
        VC_TRY(vc_sched_send(sched, (r + 1) % n, (uint16_t)s,
                             dst + vc_ag_offset(args, sb, esize),
                             vc_ag_length(args, sb, esize)));
        VC_TRY(vc_sched_recv(sched, (r + n - 1) % n, (uint16_t)s,
                             dst + vc_ag_offset(args, rb, esize),
                             vc_ag_length(args, rb, esize)));
        VC_TRY(vc_sched_fence(sched));
    }
    return vc_sched_fence(sched);
}

/* Members beyond the largest power of two p: the first 2 * rem pair up as
 * in allreduce, the odd one of a pair standing for both. What a member
 * holds is always a contiguous run of ranks, hence of dst. */
verve_status_t vc_alg_allgather_rd(vc_coll_t *coll)
{
    vc_sched_t *sched = &coll->sched;
    unsigned n = coll->team->size, r = coll->team->rank;
    unsigned p = 1, rem, mask, base, peer_base, step = 0;
    size_t block = coll->args.dst.count * vc_coll_esize(coll);
    uint8_t *dst = coll->args.dst.buffer;
    int newr;

#define VC_AG_FIRST(_nr) (((_nr) < rem) ? 2 * (_nr) : (_nr) + rem)
    VC_TRY(vc_ag_own(coll, dst + r * block));
    while (p * 2 <= n) {
        p *= 2;
    }
    rem = n - p;
    newr = (r < 2 * rem) ? ((r % 2) ? (int)(r / 2) : -1) : (int)(r - rem);
    if (r < 2 * rem) {
        if (newr < 0) {
            VC_TRY(vc_sched_send(sched, r + 1, 0, dst + r * block, block));
        } else {
            VC_TRY(vc_sched_recv(sched, r - 1, 0, dst + (r - 1) * block,
                                 block));
        }
        VC_TRY(vc_sched_fence(sched));
    }
    if (newr >= 0) {
        for (mask = 1; mask < p; mask <<= 1, ++step) {
            unsigned peer = (unsigned)newr ^ mask;
            unsigned peer_real = (peer < rem) ? 2 * peer + 1 : peer + rem;
            base = (unsigned)newr & ~(mask - 1);
            peer_base = peer & ~(mask - 1);
            VC_TRY(vc_sched_send(sched, peer_real, (uint16_t)(1 + step),
                                 dst + VC_AG_FIRST(base) * block,
                                 (VC_AG_FIRST(base + mask) -
                                  VC_AG_FIRST(base)) * block));
            VC_TRY(vc_sched_recv(sched, peer_real, (uint16_t)(1 + step),
                                 dst + VC_AG_FIRST(peer_base) * block,
                                 (VC_AG_FIRST(peer_base + mask) -
                                  VC_AG_FIRST(peer_base)) * block));
            VC_TRY(vc_sched_fence(sched));
        }
    }
#undef VC_AG_FIRST
    if (r < 2 * rem) {
        if (newr < 0) {
            VC_TRY(vc_sched_recv(sched, r + 1, 40, dst, n * block));
        } else {
            VC_TRY(vc_sched_send(sched, r - 1, 40, dst, n * block));
        }
    }
    return vc_sched_fence(sched);
}

/* tmp[i] holds member (r + i)'s block; step d fetches d more from r + d.
 * A final rotation puts them in rank order. */
verve_status_t vc_alg_allgather_bruck(vc_coll_t *coll)
{
    vc_sched_t *sched = &coll->sched;
    unsigned n = coll->team->size, r = coll->team->rank, d, cnt;
    size_t block = coll->args.dst.count * vc_coll_esize(coll);
    uint8_t *dst = coll->args.dst.buffer, *tmp;
    uint16_t step = 0;

    tmp = vc_sched_scratch(sched, n * block);
    if (tmp == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    VC_TRY(vc_sched_copy(sched, tmp, (const uint8_t *)vc_coll_input(coll) +
                         ((coll->args.flags & VERVE_COLL_FLAG_IN_PLACE) ?
                          r * block : 0), block));
    for (d = 1; d < n; d <<= 1, ++step) {
        cnt = (d < n - d) ? d : n - d;
        VC_TRY(vc_sched_send(sched, (r + n - d) % n, step, tmp,
                             cnt * block));
        VC_TRY(vc_sched_recv(sched, (r + d) % n, step, tmp + d * block,
                             cnt * block));
        VC_TRY(vc_sched_fence(sched));
    }
    VC_TRY(vc_sched_copy(sched, dst + r * block, tmp, (n - r) * block));
    return vc_sched_copy(sched, dst, tmp + (n - r) * block, r * block);
}

/* The input of alltoall(v): in place, a copy of dst taken first. */
static const uint8_t *vc_a2a_input(vc_coll_t *coll, size_t extent,
                                   verve_status_t *status_p)
{
    uint8_t *copy;

    *status_p = VERVE_OK;
    if (!(coll->args.flags & VERVE_COLL_FLAG_IN_PLACE)) {
        return coll->args.src.buffer;
    }
    copy = vc_sched_scratch(&coll->sched, extent);
    if (copy == NULL) {
        *status_p = VERVE_ERR_NO_MEMORY;
        return NULL;
    }
    *status_p = vc_sched_copy(&coll->sched, copy, coll->args.dst.buffer,
                              extent);
    return copy;
}

verve_status_t vc_alg_alltoall_pairwise(vc_coll_t *coll)
{
    const verve_coll_args_t *args = &coll->args;
    vc_sched_t *sched = &coll->sched;
    unsigned n = coll->team->size, r = coll->team->rank, s, to, from, i;
    int v = (args->coll_type == VERVE_COLL_ALLTOALLV);
    const verve_coll_buffer_t *in_desc = (args->flags &
                                          VERVE_COLL_FLAG_IN_PLACE) ?
                                         &args->dst : &args->src;
    size_t esize = vc_coll_esize(coll), extent = 0;
    uint8_t *dst = args->dst.buffer;
    const uint8_t *in;
    verve_status_t status;

#define VC_A2A_OFF(_b, _i) ((v ? (_b)->displs[_i] : (_i) * args->dst.count) \
                            * esize)
#define VC_A2A_LEN(_b, _i) ((v ? (_b)->counts[_i] : args->dst.count) * esize)
    for (i = 0; i < n; ++i) {
        size_t end = VC_A2A_OFF(in_desc, i) + VC_A2A_LEN(in_desc, i);
        extent = (end > extent) ? end : extent;
    }
    in = vc_a2a_input(coll, extent, &status);
    if (status != VERVE_OK) {
        return status;
    }
    VC_TRY(vc_sched_copy(sched, dst + VC_A2A_OFF(&args->dst, r),
                         in + VC_A2A_OFF(in_desc, r),
                         VC_A2A_LEN(in_desc, r)));
    for (s = 1; s < n; ++s) {
        to = (r + s) % n;
        from = (r + n - s) % n;
        VC_TRY(vc_sched_send(sched, to, 0, in + VC_A2A_OFF(in_desc, to),
                             VC_A2A_LEN(in_desc, to)));
        VC_TRY(vc_sched_recv(sched, from, 0, dst + VC_A2A_OFF(&args->dst, from),
                             VC_A2A_LEN(&args->dst, from)));
        VC_TRY(vc_sched_fence(sched));
    }
#undef VC_A2A_OFF
#undef VC_A2A_LEN
    return vc_sched_fence(sched);
}

/* Bruck: rotate so tmp[i] is for member r + i; at step d the blocks whose
 * index has bit d go to r + d (packed into one message); after log2(n)
 * steps tmp[i] came from member r - i. */
verve_status_t vc_alg_alltoall_bruck(vc_coll_t *coll)
{
    vc_sched_t *sched = &coll->sched;
    unsigned n = coll->team->size, r = coll->team->rank, d, i, m;
    size_t block = coll->args.dst.count * vc_coll_esize(coll);
    const uint8_t *in = vc_coll_input(coll);
    uint8_t *dst = coll->args.dst.buffer, *tmp, *pack, *unpack;
    uint16_t step = 0;

    tmp = vc_sched_scratch(sched, (n + 2 * (n / 2 + 1)) * block);
    if (tmp == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    pack = tmp + n * block;
    unpack = pack + (n / 2 + 1) * block;
    VC_TRY(vc_sched_copy(sched, tmp, in + r * block, (n - r) * block));
    VC_TRY(vc_sched_copy(sched, tmp + (n - r) * block, in, r * block));
    for (d = 1; d < n; d <<= 1, ++step) {
        for (i = 0, m = 0; i < n; ++i) {
            if (i & d) {
                VC_TRY(vc_sched_copy(sched, pack + m++ * block,
                                     tmp + i * block, block));
            }
        }
        VC_TRY(vc_sched_send(sched, (r + d) % n, step, pack, m * block));
        VC_TRY(vc_sched_recv(sched, (r + n - d) % n, step, unpack,
                             m * block));
        VC_TRY(vc_sched_fence(sched));
        for (i = 0, m = 0; i < n; ++i) {
            if (i & d) {
                VC_TRY(vc_sched_copy(sched, tmp + i * block,
                                     unpack + m++ * block, block));
            }
        }
    }
    for (i = 0; i < n; ++i) {
        VC_TRY(vc_sched_copy(sched, dst + ((r + n - i) % n) * block,
                             tmp + i * block, block));
    }
    return VERVE_OK;
}
