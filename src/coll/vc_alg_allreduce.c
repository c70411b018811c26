/*
 * Allreduce (recursive doubling, Rabenseifner, ring) and reduce_scatter
 * (ring, or an allreduce). Team sizes that are not a power of two: the
 * first 2 * rem members (rem = n - p, p the largest power of two <= n)
 * pair up, the even one hands its data to the odd one and sits out, and
 * gets the result back at the end. Every combination puts the lower
 * ranks' part first, so non-commutative ops are applied in rank order,
 * and both sides of an exchange compute the same bits.
 */
#include "vc_coll.h"

enum {
    VC_TAG_PRE = 0,      /* even member -> odd member before */
    VC_TAG_RD = 1,       /* + step: exchanges among the p members */
    VC_TAG_AG = 40,      /* + step: Rabenseifner's allgather half */
    VC_TAG_POST = 80     /* the result back to the even member */
};

typedef struct vc_fold {
    unsigned p;          /* members that take part in the exchanges */
    unsigned rem;
    int newr;            /* rank among the p, -1 when sitting out */
} vc_fold_t;

static void vc_fold_init(vc_fold_t *fold, unsigned n, unsigned r)
{
    fold->p = 1;
    while (fold->p * 2 <= n) {
        fold->p *= 2;
    }
    fold->rem = n - fold->p;
    if (r < 2 * fold->rem) {
        fold->newr = (r % 2) ? (int)(r / 2) : -1;
    } else {
        fold->newr = (int)(r - fold->rem);
    }
}

static unsigned vc_fold_real(const vc_fold_t *fold, unsigned newr)
{
    return (newr < fold->rem) ? newr * 2 + 1 : newr + fold->rem;
}

static verve_status_t vc_fold_pre(vc_sched_t *sched, const vc_fold_t *fold,
                                  unsigned r, void *buffer, size_t count,
                                  size_t esize, void *tmp)
{
    if (r >= 2 * fold->rem) {
        return VERVE_OK;
    }
    if (fold->newr < 0) {
        VC_TRY(vc_sched_send(sched, r + 1, VC_TAG_PRE, buffer,
                             count * esize));
    } else {
        VC_TRY(vc_sched_recv(sched, r - 1, VC_TAG_PRE, tmp, count * esize));
        VC_TRY(vc_sched_fence(sched));
        VC_TRY(vc_sched_reduce(sched, buffer, tmp, buffer, count));
    }
    return vc_sched_fence(sched);
}

static verve_status_t vc_fold_post(vc_sched_t *sched, const vc_fold_t *fold,
                                   unsigned r, void *buffer, size_t length)
{
    if (r >= 2 * fold->rem) {
        return VERVE_OK;
    }
    if (fold->newr < 0) {
        VC_TRY(vc_sched_recv(sched, r + 1, VC_TAG_POST, buffer, length));
    } else {
        VC_TRY(vc_sched_send(sched, r - 1, VC_TAG_POST, buffer, length));
    }
    return vc_sched_fence(sched);
}

/* Lower ranks' part first. */
static verve_status_t vc_combine(vc_sched_t *sched, int mine_first,
                                 void *mine, const void *theirs,
                                 size_t count)
{
    return mine_first ? vc_sched_reduce(sched, mine, mine, theirs, count)
                      : vc_sched_reduce(sched, mine, theirs, mine, count);
}

verve_status_t vc_build_allreduce_rd(vc_sched_t *sched, void *buffer,
                                     size_t count, size_t esize, void *tmp)
{
    unsigned n = sched->team->size, r = sched->team->rank, mask, peer;
    size_t length = count * esize;
    uint16_t step = 0;
    vc_fold_t fold;

    if (n == 1) {
        return VERVE_OK;
    }
    vc_fold_init(&fold, n, r);
    VC_TRY(vc_fold_pre(sched, &fold, r, buffer, count, esize, tmp));
    if (fold.newr >= 0) {
        for (mask = 1; mask < fold.p; mask <<= 1, ++step) {
            peer = (unsigned)fold.newr ^ mask;
            VC_TRY(vc_sched_send(sched, vc_fold_real(&fold, peer),
                                 VC_TAG_RD + step, buffer, length));
            VC_TRY(vc_sched_recv(sched, vc_fold_real(&fold, peer),
                                 VC_TAG_RD + step, tmp, length));
            VC_TRY(vc_sched_fence(sched));
            VC_TRY(vc_combine(sched, peer > (unsigned)fold.newr, buffer, tmp,
                              count));
        }
    }
    return vc_fold_post(sched, &fold, r, buffer, length);
}

static uint8_t *vc_allreduce_prepare(vc_coll_t *coll, size_t tmp_length,
                                     verve_status_t *status_p)
{
    size_t length = coll->args.dst.count * vc_coll_esize(coll);
    uint8_t *tmp = vc_sched_scratch(&coll->sched, tmp_length);

    *status_p = (tmp == NULL) ? VERVE_ERR_NO_MEMORY
                              : vc_sched_copy(&coll->sched,
                                              coll->args.dst.buffer,
                                              vc_coll_input(coll), length);
    return tmp;
}

verve_status_t vc_alg_allreduce_rd(vc_coll_t *coll)
{
    size_t count = coll->args.dst.count, esize = vc_coll_esize(coll);
    verve_status_t status;
    uint8_t *tmp = vc_allreduce_prepare(coll, count * esize, &status);

    if (status != VERVE_OK) {
        return status;
    }
    return vc_build_allreduce_rd(&coll->sched, coll->args.dst.buffer, count,
                                 esize, tmp);
}

/* Reduce-scatter by recursive halving, distance doubling (so that what
 * a member holds always covers a contiguous run of ranks), then the
 * allgather retraces the steps backwards. */
verve_status_t vc_alg_allreduce_rab(vc_coll_t *coll)
{
    vc_sched_t *sched = &coll->sched;
    unsigned n = coll->team->size, r = coll->team->rank, mask, peer, p;
    size_t count = coll->args.dst.count, esize = vc_coll_esize(coll);
    uint8_t *buffer = coll->args.dst.buffer, *tmp;
    unsigned lo[32], hi[32], keep_lo[32], keep_hi[32], steps = 0, s;
    verve_status_t status;
    vc_fold_t fold;
    size_t start, end;

    tmp = vc_allreduce_prepare(coll, count * esize, &status);
    if (status != VERVE_OK || n == 1) {
        return status;
    }
    vc_fold_init(&fold, n, r);
    p = fold.p;
    VC_TRY(vc_fold_pre(sched, &fold, r, buffer, count, esize, tmp));
    if (fold.newr >= 0) {
        lo[0] = 0;
        hi[0] = p;
        for (mask = 1; mask < p; mask <<= 1, ++steps) {
            unsigned mid = (lo[steps] + hi[steps]) / 2;
            unsigned send_lo, send_hi;
            int upper = ((unsigned)fold.newr & mask) != 0;
            peer = vc_fold_real(&fold, (unsigned)fold.newr ^ mask);
            keep_lo[steps] = upper ? mid : lo[steps];
            keep_hi[steps] = upper ? hi[steps] : mid;
            send_lo = upper ? lo[steps] : mid;
            send_hi = upper ? mid : hi[steps];
            start = vc_block_start(count, p, send_lo);
            end = vc_block_start(count, p, send_hi);
            VC_TRY(vc_sched_send(sched, peer, VC_TAG_RD + steps,
                                 buffer + start * esize,
                                 (end - start) * esize));
            start = vc_block_start(count, p, keep_lo[steps]);
            end = vc_block_start(count, p, keep_hi[steps]);
            VC_TRY(vc_sched_recv(sched, peer, VC_TAG_RD + steps, tmp,
                                 (end - start) * esize));
            VC_TRY(vc_sched_fence(sched));
            VC_TRY(vc_combine(sched, !upper, buffer + start * esize, tmp,
                              end - start));
            lo[steps + 1] = keep_lo[steps];
            hi[steps + 1] = keep_hi[steps];
        }
        for (s = steps; s-- > 0;) {
            mask = 1u << s;
            peer = vc_fold_real(&fold, (unsigned)fold.newr ^ mask);
            start = vc_block_start(count, p, keep_lo[s]);
            end = vc_block_start(count, p, keep_hi[s]);
            VC_TRY(vc_sched_send(sched, peer, VC_TAG_AG + s,
                                 buffer + start * esize,
                                 (end - start) * esize));
            /* The partner kept the other half of [lo, hi). */
            if (keep_lo[s] == lo[s]) {
                start = vc_block_start(count, p, keep_hi[s]);
                end = vc_block_start(count, p, hi[s]);
            } else {
                start = vc_block_start(count, p, lo[s]);
                end = vc_block_start(count, p, keep_lo[s]);
            }
            VC_TRY(vc_sched_recv(sched, peer, VC_TAG_AG + s,
                                 buffer + start * esize,
                                 (end - start) * esize));
            VC_TRY(vc_sched_fence(sched));
        }
    }
    return vc_fold_post(sched, &fold, r, buffer, count * esize);
}

/* Reduce-scatter around the ring (block b ends complete at member b + 1),
 * then the complete blocks go around once more. Each block is reduced by
 * one member only, so every member ends with the same bits. */
verve_status_t vc_alg_allreduce_ring(vc_coll_t *coll)
{
    vc_sched_t *sched = &coll->sched;
    unsigned n = coll->team->size, r = coll->team->rank, s, sb, rb;
    unsigned next = (r + 1) % n, prev = (r + n - 1) % n;
    size_t count = coll->args.dst.count, esize = vc_coll_esize(coll);
    uint8_t *buffer = coll->args.dst.buffer, *tmp;
    verve_status_t status;

    tmp = vc_allreduce_prepare(coll, vc_block_count(count, n, 0) * esize,
                               &status);
    if (status != VERVE_OK) {
        return status;
    }
    for (s = 0; s + 1 < n; ++s) {
        sb = (r + n - s) % n;
        rb = (r + 2 * n - s - 1) % n;
        VC_TRY(vc_sched_send(sched, next, (uint16_t)s,
                             buffer + vc_block_start(count, n, sb) * esize,
                             vc_block_count(count, n, sb) * esize));
        VC_TRY(vc_sched_recv(sched, prev, (uint16_t)s, tmp,
                             vc_block_count(count, n, rb) * esize));
        VC_TRY(vc_sched_fence(sched));
        VC_TRY(vc_sched_reduce(sched,
                               buffer + vc_block_start(count, n, rb) * esize,
                               tmp,
                               buffer + vc_block_start(count, n, rb) * esize,
                               vc_block_count(count, n, rb)));
    }
    for (s = 0; s + 1 < n; ++s) {
        sb = (r + 1 + n - s) % n;
        rb = (r + n - s) % n;
        VC_TRY(vc_sched_send(sched, next, (uint16_t)(n + s),
                             buffer + vc_block_start(count, n, sb) * esize,
                             vc_block_count(count, n, sb) * esize));
        VC_TRY(vc_sched_recv(sched, prev, (uint16_t)(n + s),
                             buffer + vc_block_start(count, n, rb) * esize,
                             vc_block_count(count, n, rb) * esize));
        VC_TRY(vc_sched_fence(sched));
    }
    return VERVE_OK;
}

/* Member r gets block r: the ring of allreduce, shifted by one. */
verve_status_t vc_alg_reduce_scatter_ring(vc_coll_t *coll)
{
    vc_sched_t *sched = &coll->sched;
    unsigned n = coll->team->size, r = coll->team->rank, s, sb, rb;
    unsigned next = (r + 1) % n, prev = (r + n - 1) % n;
    size_t count = coll->args.dst.count, esize = vc_coll_esize(coll);
    size_t length = count * esize;
    uint8_t *work, *tmp;

    work = vc_sched_scratch(sched, (n + 1) * length);
    if (work == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    tmp = work + n * length;
    VC_TRY(vc_sched_copy(sched, work, vc_coll_input(coll), n * length));
    for (s = 0; s + 1 < n; ++s) {
        sb = (r + 2 * n - s - 1) % n;
        rb = (r + 2 * n - s - 2) % n;
        VC_TRY(vc_sched_send(sched, next, (uint16_t)s, work + sb * length,
                             length));
        VC_TRY(vc_sched_recv(sched, prev, (uint16_t)s, tmp, length));
        VC_TRY(vc_sched_fence(sched));
        VC_TRY(vc_sched_reduce(sched, work + rb * length, tmp,
                               work + rb * length, count));
    }
    return vc_sched_copy(sched, coll->args.dst.buffer, work + r * length,
                         length);
}

verve_status_t vc_alg_reduce_scatter_allreduce(vc_coll_t *coll)
{
    vc_sched_t *sched = &coll->sched;
    unsigned n = coll->team->size, r = coll->team->rank;
    size_t count = coll->args.dst.count, esize = vc_coll_esize(coll);
    size_t length = count * esize;
    uint8_t *work;

    work = vc_sched_scratch(sched, 2 * n * length);
    if (work == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    VC_TRY(vc_sched_copy(sched, work, vc_coll_input(coll), n * length));
    VC_TRY(vc_build_allreduce_rd(sched, work, n * count, esize,
                                 work + n * length));
    return vc_sched_copy(sched, coll->args.dst.buffer, work + r * length,
                         length);
}
