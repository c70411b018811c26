/*
 * The shared-memory path of the collectives under verve_run: back-to-back
 * barrier, bcast, reduce and allreduce with no barrier in between, roots
 * and sizes (in a flag line and not) rotating, each result checked at
 * once; then the median latency of an 8-byte allreduce and of a barrier
 * (printed for information, never asserted). it_coll_shm.sh runs it with
 * the path on and off and checks in the debug log which one ran.
 *   it_coll_shm [--iters N]
 */
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <verve/verve_coll.h>
#include "it_common.h"

typedef struct {
    it_job_t job;
    verve_team_h team;
} it_shm_t;

static double it_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void it_run(it_shm_t *t, const verve_coll_args_t *args,
                   const char *what)
{
    verve_request_h req = NULL;
    verve_status_t status = verve_coll_nbx(t->team, args, NULL, &req);

    if (status == VERVE_INPROGRESS) {
        status = verve_request_wait(t->job.worker, req);
        verve_request_free(req);
    }
    it_check(&t->job, status == VERVE_OK, "%s: %s", what,
             verve_status_string(status));
}

static int it_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Rotates through the four collectives, roots and two sizes (inline in a
 * flag line and not), checking each result at once. */
static void it_back_to_back(it_shm_t *t, unsigned iters)
{
    unsigned n = (unsigned)t->job.size, r = (unsigned)t->job.rank;
    int64_t in[16], out[16];
    verve_coll_args_t args;

    for (unsigned i = 0; i < iters; ++i) {
        size_t count = (i & 4) ? 16 : 3;
        unsigned root = (i / 4) % n;
        memset(&args, 0, sizeof(args));
        args.field_mask = VERVE_COLL_ARGS_FIELD_ROOT;
        args.root = root;
        args.op = VERVE_COLL_OP_SUM;
        args.src.datatype = VERVE_COLL_INT64;
        args.dst.datatype = VERVE_COLL_INT64;
        args.dst.count = count;
        args.src.buffer = in;
        args.dst.buffer = out;
        for (size_t j = 0; j < count; ++j) {
            in[j] = (int64_t)(r * 100 + i + j);
            out[j] = -1;
        }
        switch (i % 4) {
        case 0:
            args.coll_type = VERVE_COLL_BARRIER;
            it_run(t, &args, "barrier");
            break;
        case 3:
            /* Right after an allreduce, whose result other members may
             * still be copying out of member 0's slot when a bcast of
             * slot halves starts writing one. */
            args.coll_type = VERVE_COLL_BCAST;
            if (r == root) {
                memcpy(out, in, count * sizeof(*in));
            }
            it_run(t, &args, "bcast");
            for (size_t j = 0; j < count; ++j) {
                it_check(&t->job, out[j] == (int64_t)(root * 100 + i + j),
                         "bcast %u from %u: element %zu is %lld", i, root,
                         j, (long long)out[j]);
            }
            break;
        default:
            args.coll_type = (i % 4 == 1) ? VERVE_COLL_REDUCE
                                          : VERVE_COLL_ALLREDUCE;
            it_run(t, &args, "reduce");
            if (args.coll_type == VERVE_COLL_REDUCE && r != root) {
                break;
            }
            for (size_t j = 0; j < count; ++j) {
                int64_t want = 100 * (int64_t)n * (n - 1) / 2 +
                               (int64_t)n * (int64_t)(i + j);
                it_check(&t->job, out[j] == want, "%s %u: element %zu is "
                         "%lld, want %lld", verve_coll_type_name(
                                 args.coll_type), i, j, (long long)out[j],
                         (long long)want);
            }
            break;
        }
    }
}

/* Median of iters timed runs of one collective, in microseconds. */
static double it_latency(it_shm_t *t, verve_coll_type_t type,
                         unsigned iters)
{
    double *times = calloc(iters, sizeof(*times)), median;
    int64_t in = t->job.rank, out;
    verve_coll_args_t args = {.coll_type = type, .op = VERVE_COLL_OP_SUM,
                              .src = {.buffer = &in,
                                      .datatype = VERVE_COLL_INT64},
                              .dst = {.buffer = &out, .count = 1,
                                      .datatype = VERVE_COLL_INT64}};

    for (unsigned i = 0; i < iters; ++i) {
        double start = it_now_us();
        it_run(t, &args, verve_coll_type_name(type));
        times[i] = it_now_us() - start;
    }
    qsort(times, iters, sizeof(*times), it_cmp_double);
    median = times[iters / 2];
    free(times);
    return median;
}

int main(int argc, char **argv)
{
    unsigned iters = 2000;
    double allreduce, barrier;
    it_shm_t t;

    memset(&t, 0, sizeof(t));
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc) {
            iters = (unsigned)atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: it_coll_shm [--iters N]\n");
            return 2;
        }
    }
    if (iters == 0) {
        iters = 1;
    }
    it_job_init(&t.job);
    t.team = it_team_create(&t.job, t.job.eps, (unsigned)t.job.size,
                            (unsigned)t.job.rank, NULL);
    it_back_to_back(&t, iters);
    allreduce = it_latency(&t, VERVE_COLL_ALLREDUCE, iters);
    barrier = it_latency(&t, VERVE_COLL_BARRIER, iters);
    if (t.job.rank == 0) {
        printf("it_coll_shm: %d ranks, %u back-to-back collectives passed; "
               "median 8-byte allreduce %.2f us, barrier %.2f us\n",
               t.job.size, iters, allreduce, barrier);
    }
    verve_team_destroy(t.team);
    it_job_finalize(&t.job);
    return 0;
}
