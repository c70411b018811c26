/*
 * Collectives under verve_run: every collective, datatype, op, in place or
 * not, root and radix, at message sizes on each side of the default
 * table's switches, compared with a sequential reference that every rank
 * computes from the same deterministic inputs. Integers must match
 * exactly; floating point within a tolerance, with the same bits on every
 * rank and from one start of a persistent collective to the next. Then
 * collectives in flight together on two teams, and thousands back to back.
 * The algorithms come from VERVE_COLL_TUNE (it_coll.sh runs several).
 *   it_coll [--full] [--iters N]
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <verve/verve_coll.h>
#include "it_common.h"
#include "it_coll.h"

typedef struct {
    it_job_t job;
    verve_team_h team;
    int full;
    unsigned long cases;
} it_coll_t;

/* ---- one case ----------------------------------------------------------- */

typedef struct {
    verve_coll_type_t type;
    verve_coll_datatype_t dt;
    verve_coll_op_t op;
    size_t count;
    int in_place;
    unsigned root;
    unsigned radix;     /* 0: the table's */
    unsigned salt;
} it_case_t;

static int it_is_reduction(verve_coll_type_t t)
{
    return t == VERVE_COLL_REDUCE || t == VERVE_COLL_ALLREDUCE ||
           t == VERVE_COLL_REDUCE_SCATTER;
}

/* Per-member counts of the v variants: unequal, some zero. */
static size_t it_vcount(const it_case_t *c, unsigned from, unsigned to)
{
    return (c->count + from + 2 * to) % 4 == 0 ? 0
                                               : c->count + (from + to) % 3;
}

/* The reference of one reduced element at index i. */
static it_elem_t it_reference(const it_case_t *c, unsigned n, size_t i)
{
    it_elem_t acc = it_narrow(c->dt, it_value(c->dt, c->op, c->salt, 0, i));

    for (unsigned r = 1; r < n; ++r) {
        acc = it_fold(c->dt, c->op, acc,
                      it_narrow(c->dt, it_value(c->dt, c->op, c->salt, r,
                                                i)));
    }
    return acc;
}

static void it_check_reduced(it_coll_t *t, const it_case_t *c,
                             const void *got, size_t first, size_t count,
                             const char *what)
{
    unsigned n = (unsigned)t->job.size;
    size_t esize = verve_coll_datatype_size(c->dt);
    uint8_t *want = malloc(esize);

    for (size_t i = 0; i < count; ++i) {
        it_elem_t ref = it_reference(c, n, first + i);
        if (it_is_float(c->dt) && c->op != VERVE_COLL_OP_MIN &&
            c->op != VERVE_COLL_OP_MAX) {
            /* Tolerance: n roundings of a sum of |x| <= 70 each, or a
             * product within [0.5^n, 2^n]: relative n * 4 epsilon. */
            double g = (c->dt == VERVE_COLL_FLOAT) ?
                       ((const float *)got)[i] : ((const double *)got)[i];
            double eps = (c->dt == VERVE_COLL_FLOAT) ? 1.2e-7 : 2.3e-16;
            double scale = (c->op == VERVE_COLL_OP_SUM) ? 70.0 * n
                                                        : fabs(ref.d);
            it_check(&t->job, fabs(g - ref.d) <= 4.0 * n * eps * scale,
                     "%s %s %s count %zu: element %zu is %.17g, reference "
                     "%.17g", what, verve_coll_type_name(c->type),
                     c->dt == VERVE_COLL_FLOAT ? "float" : "double",
                     c->count, first + i, g, ref.d);
            continue;
        }
        it_store(c->dt, want, 0, ref);
        it_check(&t->job, memcmp((const uint8_t *)got + i * esize, want,
                                 esize) == 0,
                 "%s %s dt %d op %d count %zu in_place %d root %u radix %u: "
                 "element %zu differs from the reference", what,
                 verve_coll_type_name(c->type), (int)c->dt, (int)c->op,
                 c->count, c->in_place, c->root, c->radix, first + i);
    }
    free(want);
}

/* Fills count elements of rank's data starting at index first. */
static void it_fill(const it_case_t *c, void *buffer, unsigned rank,
                    size_t first, size_t count)
{
    for (size_t i = 0; i < count; ++i) {
        it_store(c->dt, buffer, i,
                 it_value(c->dt, c->op, c->salt, rank, first + i));
    }
}

static verve_status_t it_run(it_coll_t *t, const verve_coll_args_t *args,
                             verve_coll_h *persistent)
{
    verve_request_h req = NULL;
    verve_status_t status;

    if (persistent != NULL) {
        status = verve_coll_init(t->team, args, persistent);
        it_check(&t->job, status == VERVE_OK, "coll init: %s",
                 verve_status_string(status));
        status = verve_coll_start(*persistent, NULL, &req);
    } else {
        status = verve_coll_nbx(t->team, args, NULL, &req);
    }
    if (status == VERVE_INPROGRESS) {
        status = verve_request_wait(t->job.worker, req);
        verve_request_free(req);
    }
    return status;
}

/* Compares a hash of buffer across ranks (same bits everywhere). */
static void it_same_everywhere(it_coll_t *t, const void *buffer,
                               size_t length, const char *what)
{
    uint64_t hash = 1469598103934665603ull, *all;
    size_t lengths[64];

    for (size_t i = 0; i < length; ++i) {
        hash = (hash ^ ((const uint8_t *)buffer)[i]) * 1099511628211ull;
    }
    all = calloc((size_t)t->job.size, sizeof(hash) + 8);
    it_allgather(&t->job, &hash, sizeof(hash), sizeof(hash), all, lengths);
    for (int r = 0; r < t->job.size; ++r) {
        it_check(&t->job, all[r] == hash, "%s: rank %d computed other "
                 "bits than rank %d", what, r, t->job.rank);
    }
    free(all);
}

/* The inputs of every member, in src or (in place) dst. */
static void it_inputs(it_coll_t *t, const it_case_t *c, uint8_t *src,
                      uint8_t *dst, size_t total, size_t counts[2][64],
                      size_t displs[2][64])
{
    unsigned n = (unsigned)t->job.size, r = (unsigned)t->job.rank;
    size_t esize = verve_coll_datatype_size(c->dt);
    int root = (r == c->root);
    uint8_t *in = c->in_place ? dst : src;

    memset(dst, 0xa5, total);
    switch (c->type) {
    case VERVE_COLL_BCAST:
        it_fill(c, dst, c->root, 0, root ? c->count : 0);
        break;
    case VERVE_COLL_REDUCE:
        it_fill(c, (c->in_place && root) ? dst : src, r, 0, c->count);
        break;
    case VERVE_COLL_ALLREDUCE:
        it_fill(c, in, r, 0, c->count);
        break;
    case VERVE_COLL_REDUCE_SCATTER: case VERVE_COLL_ALLTOALL:
        it_fill(c, in, r, 0, n * c->count);
        break;
    case VERVE_COLL_SCATTER:
        it_fill(c, src, r, 0, n * c->count);
        break;
    case VERVE_COLL_ALLGATHER:
        it_fill(c, c->in_place ? dst + r * c->count * esize : src, r, 0,
                c->count);
        break;
    case VERVE_COLL_GATHER:
        it_fill(c, (c->in_place && root) ? dst + r * c->count * esize : src,
                r, 0, c->count);
        break;
    case VERVE_COLL_ALLGATHERV:
        it_fill(c, c->in_place ? dst + displs[1][r] * esize : src, r, 0,
                counts[1][r]);
        break;
    case VERVE_COLL_GATHERV:
        it_fill(c, (c->in_place && root) ? dst + displs[1][r] * esize : src,
                r, 0, it_vcount(c, r, 0));
        break;
    case VERVE_COLL_ALLTOALLV:
        for (unsigned i = 0; i < n; ++i) {
            it_fill(c, src + displs[0][i] * esize, r, i * 1000,
                    counts[0][i]);
        }
        break;
    case VERVE_COLL_SCATTERV:
        for (unsigned i = 0; i < n; ++i) {
            it_fill(c, src + displs[0][i] * esize, r, i * 1000,
                    counts[0][i]);
        }
        break;
    default:
        break;
    }
}

/* Marks count elements at element offset first as written by the
 * collective. */
static void it_cover(uint8_t *covered, size_t first, size_t count,
                     size_t esize)
{
    memset(covered + first * esize, 1, count * esize);
}

/* Every byte of dst that the collective has no business writing (the gap
 * between two blocks of a v layout, the tail past the last block, all of
 * a buffer the member does not use) still holds it_inputs' fill. */
static void it_check_untouched(it_coll_t *t, const it_case_t *c,
                               const uint8_t *dst, const uint8_t *covered,
                               size_t total)
{
    size_t esize = verve_coll_datatype_size(c->dt);

    for (size_t b = 0; b < total; ++b) {
        if (!covered[b] && (dst[b] != 0xa5)) {
            it_check(&t->job, 0, "%s dt %d count %zu in_place %d root %u "
                     "radix %u: byte %zu (element %zu) of dst is outside "
                     "every block but was written (0x%02x)",
                     verve_coll_type_name(c->type), (int)c->dt, c->count,
                     c->in_place, c->root, c->radix, b, b / esize, dst[b]);
            return;
        }
    }
}

static void it_case(it_coll_t *t, const it_case_t *c)
{
    unsigned n = (unsigned)t->job.size, r = (unsigned)t->job.rank;
    size_t esize = verve_coll_datatype_size(c->dt), total, in_count;
    size_t counts[2][64], displs[2][64];
    verve_coll_args_t args;
    verve_coll_h persistent = NULL;
    uint8_t *src, *dst, *want, *covered, *first_result = NULL;
    verve_status_t status;
    int floating = it_is_float(c->dt) && it_is_reduction(c->type);

    memset(&args, 0, sizeof(args));
    args.field_mask = VERVE_COLL_ARGS_FIELD_FLAGS | VERVE_COLL_ARGS_FIELD_ROOT;
    args.coll_type = c->type;
    args.op = c->op;
    args.root = c->root;
    args.src.datatype = c->dt;
    args.dst.datatype = c->dt;
    args.dst.count = c->count;
    if (c->in_place) {
        args.flags |= VERVE_COLL_FLAG_IN_PLACE;
    }
    if (c->op == VERVE_COLL_OP_USER) {
        args.field_mask |= VERVE_COLL_ARGS_FIELD_USER_OP;
        args.user_op = it_user_op;
    }
    if (c->radix) {
        args.field_mask |= VERVE_COLL_ARGS_FIELD_RADIX;
        args.radix = c->radix;
    }
    /* v layouts: [0] what r sends to i, [1] what r gets from i, with a gap
     * of one element between blocks. */
    total = in_count = 0;
    for (unsigned i = 0; i < n; ++i) {
        counts[0][i] = (c->type == VERVE_COLL_SCATTERV) ? it_vcount(c, i, 0)
                                                        : it_vcount(c, r, i);
        counts[1][i] = (c->type == VERVE_COLL_ALLTOALLV) ? it_vcount(c, i, r)
                                                        : it_vcount(c, i, 0);
        displs[0][i] = in_count;
        displs[1][i] = total;
        in_count += counts[0][i] + 1;
        total += counts[1][i] + 1;
    }
    args.src.counts = counts[0];
    args.src.displs = displs[0];
    args.dst.counts = counts[1];
    args.dst.displs = displs[1];
    total = (total + n * c->count + 1) * esize;
    src = calloc(1, total + in_count * esize);
    dst = calloc(1, total);
    want = calloc(1, total);
    covered = calloc(1, total);
    args.src.buffer = src;
    args.dst.buffer = dst;
    args.src.count = (c->type == VERVE_COLL_GATHERV) ? it_vcount(c, r, 0)
                                                     : c->count;
    if (c->type == VERVE_COLL_SCATTERV) {
        args.dst.count = it_vcount(c, r, 0);
    }

    it_inputs(t, c, src, dst, total, counts, displs);
    if (!floating) {
        status = it_run(t, &args, NULL);
    } else {
        /* A persistent collective started twice: the same bits. */
        verve_request_h req = NULL;
        size_t length = c->count * esize;
        status = it_run(t, &args, &persistent);
        it_check(&t->job, status == VERVE_OK, "%s: %s",
                 verve_coll_type_name(c->type), verve_status_string(status));
        first_result = malloc(length + 1);
        memcpy(first_result, dst, length);
        it_inputs(t, c, src, dst, total, counts, displs);
        status = verve_coll_start(persistent, NULL, &req);
        if (status == VERVE_INPROGRESS) {
            status = verve_request_wait(t->job.worker, req);
            verve_request_free(req);
        }
        verve_coll_destroy(persistent);
        it_check(&t->job, status == VERVE_OK, "persistent restart: %s",
                 verve_status_string(status));
        it_check(&t->job, (c->type == VERVE_COLL_REDUCE && r != c->root) ||
                          memcmp(first_result, dst, length) == 0,
                 "%s float: a second start gave other bits",
                 verve_coll_type_name(c->type));
        free(first_result);
    }
    it_check(&t->job, status == VERVE_OK, "%s dt %d op %d count %zu: %s",
             verve_coll_type_name(c->type), (int)c->dt, (int)c->op, c->count,
             verve_status_string(status));

    /* Compare with the reference. */
    switch (c->type) {
    case VERVE_COLL_REDUCE:
        /* At the other members dst is not used: all of it untouched. */
        if (r == c->root) {
            it_check_reduced(t, c, dst, 0, c->count, "reduce");
            it_cover(covered, 0, c->count, esize);
        }
        break;
    case VERVE_COLL_ALLREDUCE:
        it_check_reduced(t, c, dst, 0, c->count, "allreduce");
        it_cover(covered, 0, c->count, esize);
        if (it_is_float(c->dt)) {
            it_same_everywhere(t, dst, c->count * esize, "allreduce");
        }
        break;
    case VERVE_COLL_REDUCE_SCATTER:
        it_check_reduced(t, c, dst, r * c->count, c->count,
                         "reduce_scatter");
        /* In place, the input spans size blocks of dst. */
        it_cover(covered, 0, (c->in_place ? n : 1) * c->count, esize);
        break;
    case VERVE_COLL_BCAST:
        it_fill(c, want, c->root, 0, c->count);
        it_check(&t->job, memcmp(want, dst, c->count * esize) == 0,
                 "bcast dt %d count %zu root %u radix %u differs", (int)c->dt,
                 c->count, c->root, c->radix);
        it_cover(covered, 0, c->count, esize);
        break;
    default: {
        int rooted = c->type == VERVE_COLL_GATHER ||
                     c->type == VERVE_COLL_GATHERV;
        /* dst is not used at the other members. */
        if (rooted && r != c->root) {
            break;
        }
        for (unsigned i = 0; i < n; ++i) {
            size_t off = 0, cnt = c->count, first = 0;
            unsigned from = i;
            switch (c->type) {
            case VERVE_COLL_ALLGATHER: case VERVE_COLL_GATHER:
                off = i * c->count;
                break;
            case VERVE_COLL_ALLGATHERV: case VERVE_COLL_GATHERV:
                off = displs[1][i];
                cnt = counts[1][i];
                break;
            case VERVE_COLL_ALLTOALL:
                off = i * c->count;
                first = r * c->count;
                break;
            case VERVE_COLL_ALLTOALLV:
                off = displs[1][i];
                cnt = counts[1][i];
                first = r * 1000;
                break;
            case VERVE_COLL_SCATTER:
                if (i != r || (c->in_place && r == c->root)) {
                    continue;
                }
                from = c->root;
                first = r * c->count;
                break;
            case VERVE_COLL_SCATTERV:
                if (i != r || (c->in_place && r == c->root)) {
                    continue;
                }
                from = c->root;
                cnt = it_vcount(c, r, 0);
                first = r * 1000;
                break;
            default:
                continue;
            }
            it_fill(c, want, from, first, cnt);
            it_cover(covered, off, cnt, esize);
            it_check(&t->job, memcmp(want, dst + off * esize,
                                     cnt * esize) == 0,
                     "%s dt %d count %zu in_place %d root %u: block of "
                     "rank %u differs", verve_coll_type_name(c->type),
                     (int)c->dt, c->count, c->in_place, c->root, i);
        }
        break;
    }
    }
    it_check_untouched(t, c, dst, covered, total);
    free(src);
    free(dst);
    free(want);
    free(covered);
    ++t->cases;
}

/* ---- the matrix --------------------------------------------------------- */

static int it_op_valid(verve_coll_datatype_t dt, verve_coll_op_t op)
{
    if (op == VERVE_COLL_OP_USER) {
        return dt == VERVE_COLL_UINT64;
    }
    if (it_is_pair(dt)) {
        return op == VERVE_COLL_OP_MINLOC || op == VERVE_COLL_OP_MAXLOC;
    }
    if (it_is_float(dt)) {
        return op <= VERVE_COLL_OP_MAX;
    }
    return op <= VERVE_COLL_OP_LXOR;
}

static void it_reductions(it_coll_t *t, unsigned *salt)
{
    static const verve_coll_type_t types[] = {
        VERVE_COLL_ALLREDUCE, VERVE_COLL_REDUCE, VERVE_COLL_REDUCE_SCATTER};
    /* Around the default switches: allreduce 4 KiB and 256 KiB, reduce
     * 64 KiB, in 4-byte and 8-byte elements. */
    static const size_t sizes32[] = {0, 1, 1023, 1025, 16383, 16385, 65535,
                                     65537};
    static const size_t sizes64[] = {1, 511, 513, 8191, 8193, 32767, 32769};
    static const unsigned radices[] = {2, 3, 4, 7};
    unsigned n = (unsigned)t->job.size;
    it_case_t c;

    for (unsigned ti = 0; ti < 3; ++ti) {
        for (int dt = 0; dt < VERVE_COLL_DATATYPE_LAST; ++dt) {
            for (int op = 0; op < VERVE_COLL_OP_LAST; ++op) {
                if (!it_op_valid((verve_coll_datatype_t)dt,
                                 (verve_coll_op_t)op)) {
                    continue;
                }
                for (int ip = 0; ip < 2; ++ip) {
                    if (!t->full && ti > 0 && ip != (int)(*salt & 1)) {
                        continue;
                    }
                    c = (it_case_t){types[ti], (verve_coll_datatype_t)dt,
                                    (verve_coll_op_t)op, 7 + *salt % 5, ip,
                                    *salt % n, 0, *salt};
                    ++*salt;
                    it_case(t, &c);
                }
            }
        }
        for (unsigned si = 0; si < 8; ++si) {
            c = (it_case_t){types[ti], VERVE_COLL_INT32, VERVE_COLL_OP_SUM,
                            sizes32[si], (int)(si & 1), *salt % n, 0,
                            *salt};
            ++*salt;
            it_case(t, &c);
            if (si < 7 && (t->full || si % 2 == 0)) {
                c.dt = VERVE_COLL_DOUBLE;
                c.count = sizes64[si];
                c.salt = ++*salt;
                it_case(t, &c);
                c.dt = VERVE_COLL_UINT64;
                c.op = VERVE_COLL_OP_USER;
                c.salt = ++*salt;
                it_case(t, &c);
            }
        }
    }
    for (unsigned ri = 0; ri < 4; ++ri) {
        for (unsigned root = 0; root < n; root += t->full ? 1 : 2) {
            c = (it_case_t){VERVE_COLL_REDUCE, VERVE_COLL_UINT64,
                            VERVE_COLL_OP_USER, 33, (int)(root & 1), root,
                            radices[ri], ++*salt};
            it_case(t, &c);
            c.dt = VERVE_COLL_FLOAT;
            c.op = VERVE_COLL_OP_SUM;
            c.salt = ++*salt;
            it_case(t, &c);
        }
    }
}

static void it_movement(it_coll_t *t, unsigned *salt)
{
    static const struct {
        verve_coll_type_t type;
        size_t counts[6];    /* int32 elements; around the switches */
    } plan[] = {
        {VERVE_COLL_BCAST, {0, 1, 16383, 16385, 70000, 3}},
        {VERVE_COLL_ALLGATHER, {1, 255, 257, 4095, 4097, 0}},
        {VERVE_COLL_ALLGATHERV, {1, 3, 100, 4097, 2, 0}},
        {VERVE_COLL_ALLTOALL, {1, 63, 65, 1000, 0, 5}},
        {VERVE_COLL_ALLTOALLV, {1, 3, 65, 1000, 0, 5}},
        {VERVE_COLL_GATHER, {1, 100, 5000, 0, 2, 3}},
        {VERVE_COLL_GATHERV, {1, 100, 5000, 0, 2, 3}},
        {VERVE_COLL_SCATTER, {1, 100, 5000, 0, 2, 3}},
        {VERVE_COLL_SCATTERV, {1, 100, 5000, 0, 2, 3}},
    };
    static const verve_coll_datatype_t dts[] = {
        VERVE_COLL_INT32, VERVE_COLL_UINT8, VERVE_COLL_DOUBLE,
        VERVE_COLL_INT16, VERVE_COLL_DOUBLE_INT};
    static const unsigned radices[] = {0, 2, 3, 5};
    unsigned n = (unsigned)t->job.size;
    it_case_t c;

    for (unsigned p = 0; p < sizeof(plan) / sizeof(plan[0]); ++p) {
        for (unsigned si = 0; si < 6; ++si) {
            for (unsigned di = 0; di < (t->full ? 5u : 1u); ++di) {
                for (int ip = 0; ip < 2; ++ip) {
                    if (ip && (plan[p].type == VERVE_COLL_BCAST ||
                               plan[p].type == VERVE_COLL_ALLTOALLV)) {
                        continue;
                    }
                    c = (it_case_t){plan[p].type, dts[di], VERVE_COLL_OP_SUM,
                                    plan[p].counts[si], ip, *salt % n,
                                    (plan[p].type == VERVE_COLL_BCAST)
                                            ? radices[*salt % 4] : 0,
                                    *salt};
                    /* int32 sizes become bytes of the other types */
                    if (dts[di] == VERVE_COLL_UINT8) {
                        c.count *= 4;
                    }
                    ++*salt;
                    it_case(t, &c);
                }
            }
        }
    }
}

static void it_wait_all(it_coll_t *t, verve_status_t *status,
                        verve_request_h *reqs, unsigned count)
{
    for (unsigned i = 0; i < count; ++i) {
        if (status[i] == VERVE_INPROGRESS) {
            status[i] = verve_request_wait(t->job.worker, reqs[i]);
            verve_request_free(reqs[i]);
        }
        it_check(&t->job, status[i] == VERVE_OK, "collective %u in flight: "
                 "%s", i, verve_status_string(status[i]));
    }
}

static verve_team_h it_team(it_coll_t *t, verve_ep_h *eps, unsigned rank,
                            uint64_t id)
{
    verve_team_h team = it_team_create(&t->job, eps, (unsigned)t->job.size,
                                       rank, &id);

    it_check(&t->job, verve_team_rank(team) == rank &&
                      verve_team_size(team) == (unsigned)t->job.size,
             "team rank and size");
    return team;
}

/* Several collectives in flight on two teams (the second with the ranks
 * reversed), then thousands back to back on one. */
static void it_stress(it_coll_t *t, unsigned iters)
{
    enum { WINDOW = 16 };
    unsigned n = (unsigned)t->job.size, r = (unsigned)t->job.rank;
    verve_ep_h *reversed = calloc(n, sizeof(*reversed));
    int64_t in[WINDOW], out[WINDOW], bc[WINDOW];
    verve_request_h reqs[2 * WINDOW];
    verve_status_t status[2 * WINDOW];
    verve_coll_args_t ar = {.coll_type = VERVE_COLL_ALLREDUCE,
                            .op = VERVE_COLL_OP_SUM,
                            .src = {.datatype = VERVE_COLL_INT64},
                            .dst = {.count = 1,
                                    .datatype = VERVE_COLL_INT64}};
    verve_coll_args_t bcast = {.field_mask = VERVE_COLL_ARGS_FIELD_ROOT,
                               .coll_type = VERVE_COLL_BCAST,
                               .dst = {.count = 1,
                                       .datatype = VERVE_COLL_INT64}};
    struct timespec start, end;
    verve_team_h team2;

    for (unsigned i = 0; i < n; ++i) {
        reversed[i] = t->job.eps[n - 1 - i];
    }
    team2 = it_team(t, reversed, n - 1 - r, 7);
    for (unsigned round = 0; round < iters / WINDOW; ++round) {
        for (unsigned w = 0; w < WINDOW; ++w) {
            in[w] = (int64_t)(r * 1000 + round * WINDOW + w);
            bc[w] = (n - 1 - r == w % n) ? (int64_t)(round * 7 + w) : -1;
            ar.src.buffer = &in[w];
            ar.dst.buffer = &out[w];
            status[2 * w] = verve_coll_nbx(t->team, &ar, NULL,
                                           &reqs[2 * w]);
            bcast.root = w % n;
            bcast.dst.buffer = &bc[w];
            status[2 * w + 1] = verve_coll_nbx(team2, &bcast, NULL,
                                               &reqs[2 * w + 1]);
        }
        it_wait_all(t, status, reqs, 2 * WINDOW);
        for (unsigned w = 0; w < WINDOW; ++w) {
            int64_t sum = 1000 * (int64_t)n * (n - 1) / 2 +
                          (int64_t)n * (round * WINDOW + w);
            it_check(&t->job, out[w] == sum && bc[w] ==
                              (int64_t)(round * 7 + w),
                     "round %u collective %u: allreduce %lld (want %lld), "
                     "bcast %lld", round, w, (long long)out[w],
                     (long long)sum, (long long)bc[w]);
        }
    }
    /* One at a time, no barrier in between (timed for information only:
     * nothing is asserted on it). */
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (unsigned i = 0; i < iters; ++i) {
        in[0] = (int64_t)(r + i);
        ar.src.buffer = &in[0];
        ar.dst.buffer = &out[0];
        status[0] = verve_coll_nbx(t->team, &ar, NULL, &reqs[0]);
        it_wait_all(t, status, reqs, 1);
        it_check(&t->job, out[0] == (int64_t)n * (n - 1) / 2 +
                                    (int64_t)n * i,
                 "back-to-back allreduce %u: %lld", i, (long long)out[0]);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    if (r == 0 && iters > 0) {
        printf("it_coll: %u ranks, 8-byte allreduce back to back: %.1f us "
               "each\n", n, ((double)(end.tv_sec - start.tv_sec) * 1e6 +
                             (double)(end.tv_nsec - start.tv_nsec) / 1e3) /
                            iters);
    }
    verve_team_destroy(team2);
    /* The same team made again and again: the fastest member uses each
     * new one while others still have the old. */
    for (unsigned i = 0; i < 32; ++i) {
        verve_team_h again = it_team(t, t->job.eps, r, 99);
        in[0] = (int64_t)(r * i);
        ar.src.buffer = &in[0];
        ar.dst.buffer = &out[0];
        ar.root = 0;
        status[0] = verve_coll_nbx(again, &ar, NULL, &reqs[0]);
        it_wait_all(t, status, reqs, 1);
        it_check(&t->job, out[0] == (int64_t)i * n * (n - 1) / 2,
                 "allreduce on team made %u times: %lld", i + 1,
                 (long long)out[0]);
        verve_team_destroy(again);
    }
    free(reversed);
}

int main(int argc, char **argv)
{
    verve_coll_args_t barrier = {.coll_type = VERVE_COLL_BARRIER};
    unsigned iters = 2000, salt = 1;
    it_coll_t t;

    memset(&t, 0, sizeof(t));
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--full") == 0) {
            t.full = 1;
        } else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc) {
            iters = (unsigned)atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: it_coll [--full] [--iters N]\n");
            return 2;
        }
    }
    it_job_init(&t.job);
    if (t.job.size > 64) {
        fprintf(stderr, "it_coll: at most 64 ranks\n");
        return 2;
    }
    t.team = it_team(&t, t.job.eps, (unsigned)t.job.rank, 0);
    it_check(&t.job, it_run(&t, &barrier, NULL) == VERVE_OK, "barrier");
    it_reductions(&t, &salt);
    it_movement(&t, &salt);
    it_check(&t.job, it_run(&t, &barrier, NULL) == VERVE_OK, "barrier");
    it_stress(&t, iters);
    verve_team_destroy(t.team);
    if (t.job.rank == 0) {
        printf("it_coll: %d ranks, %lu cases and %u x 3 stress collectives "
               "passed\n", t.job.size, t.cases, iters);
    }
    it_job_finalize(&t.job);
    return 0;
}
