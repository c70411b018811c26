/*
 * Members that disagree on the size of a collective: the last rank passes
 * a larger count than the others. Every member must end, none may report
 * success for a collective whose every result depends on the disagreeing
 * member's contribution (allreduce, allgather, alltoall, reduce_scatter,
 * allgatherv), and the team must then fail at every member with
 * VERVE_ERR_INVALID_PARAM (a barrier on it), not wait. Rooted collectives
 * may complete at a member that only sends (it cannot know yet); its next
 * collective on the team fails. The issue behind it: an allreduce with
 * count 1 on one rank and 8 on another "succeeded" on the first and
 * failed the second only when the first exited. Each case on a team of
 * its own; a team that agrees works afterwards.
 *   it_coll_mismatch
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <verve/verve_coll.h>
#include "it_common.h"

#define IT_BIG 100000     /* int64 elements: rendezvous on every transport */

typedef struct {
    verve_coll_type_t type;
    size_t count;         /* of the agreeing members */
    size_t odd_count;     /* of the last rank */
    unsigned root;        /* UINT32_MAX: the last rank */
} it_case_t;

static const it_case_t it_cases[] = {
    {VERVE_COLL_ALLREDUCE, 1, 8, 0},
    {VERVE_COLL_ALLREDUCE, 8, 1, 0},
    {VERVE_COLL_ALLREDUCE, 1000, IT_BIG, 0},
    {VERVE_COLL_ALLREDUCE, IT_BIG, 1, 0},
    {VERVE_COLL_ALLGATHER, 1, 8, 0},
    {VERVE_COLL_ALLGATHER, 4, IT_BIG / 4, 0},
    {VERVE_COLL_ALLTOALL, 2, 3, 0},
    {VERVE_COLL_REDUCE_SCATTER, 2, 5, 0},
    {VERVE_COLL_ALLGATHERV, 1, 2, 0},
    {VERVE_COLL_BCAST, 1, 8, 0},
    {VERVE_COLL_BCAST, 1, 8, UINT32_MAX},
    {VERVE_COLL_BCAST, IT_BIG, 3, UINT32_MAX},
    {VERVE_COLL_REDUCE, 1, 8, 0},
    {VERVE_COLL_REDUCE, 8, 1, UINT32_MAX},
    {VERVE_COLL_GATHER, 1, 8, 0},
    {VERVE_COLL_GATHER, 3, 2, UINT32_MAX},
    {VERVE_COLL_SCATTER, 1, 8, 0},
    {VERVE_COLL_SCATTER, 2, 5, UINT32_MAX},
};

static int it_every_member_depends(verve_coll_type_t type)
{
    return type == VERVE_COLL_ALLREDUCE || type == VERVE_COLL_ALLGATHER ||
           type == VERVE_COLL_ALLTOALL || type == VERVE_COLL_REDUCE_SCATTER ||
           type == VERVE_COLL_ALLGATHERV;
}

static verve_team_h it_mismatch_team(it_job_t *job, uint64_t id)
{
    return it_team_create(job, job->eps, (unsigned)job->size,
                          (unsigned)job->rank, &id);
}

static verve_status_t it_coll_run(it_job_t *job, verve_team_h team,
                                  const verve_coll_args_t *args)
{
    verve_request_h req = NULL;
    verve_status_t status;

    status = verve_coll_nbx(team, args, NULL, &req);
    if (status == VERVE_INPROGRESS) {
        status = verve_request_wait(job->worker, req);
        verve_request_free(req);
    }
    return status;
}

static void it_case_run(it_job_t *job, const it_case_t *c, uint64_t id)
{
    unsigned n = (unsigned)job->size, r = (unsigned)job->rank;
    int odd = (r == n - 1);
    size_t count = odd ? c->odd_count : c->count;
    size_t elems = (size_t)n * (c->count > c->odd_count ? c->count
                                                        : c->odd_count);
    int64_t *src = calloc(elems, sizeof(int64_t));
    int64_t *dst = calloc(elems, sizeof(int64_t));
    size_t counts[64], displs[64];
    verve_coll_args_t args;
    verve_coll_args_t barrier = {.coll_type = VERVE_COLL_BARRIER};
    verve_status_t status;
    verve_team_h team = it_mismatch_team(job, id);
    const char *name = verve_coll_type_name(c->type);

    it_check(job, n <= 64, "at most 64 ranks");
    for (unsigned i = 0; i < n; ++i) {
        counts[i] = count;
        displs[i] = i * count;
    }
    memset(&args, 0, sizeof(args));
    args.field_mask = VERVE_COLL_ARGS_FIELD_ROOT;
    args.coll_type = c->type;
    args.op = VERVE_COLL_OP_SUM;
    args.root = (c->root == UINT32_MAX) ? n - 1 : c->root;
    args.src.buffer = src;
    args.src.datatype = VERVE_COLL_INT64;
    args.dst.buffer = dst;
    args.dst.count = count;
    args.dst.counts = counts;
    args.dst.displs = displs;
    args.dst.datatype = VERVE_COLL_INT64;

    status = it_coll_run(job, team, &args);
    it_check(job, status == VERVE_OK || status == VERVE_ERR_INVALID_PARAM,
             "%s, count %zu (last rank %zu), root %u: %s", name, c->count,
             c->odd_count, args.root, verve_status_string(status));
    it_check(job, status != VERVE_OK || !it_every_member_depends(c->type),
             "%s, count %zu here, %zu at the last rank: succeeded", name,
             count, c->odd_count);
    /* The team failed at every member, which learns it from a peer. */
    status = it_coll_run(job, team, &barrier);
    it_check(job, status == VERVE_ERR_INVALID_PARAM,
             "barrier after a %s whose members disagree: %s", name,
             verve_status_string(status));
    /* Before the team goes: a member may still be sending to it, and a
     * rendezvous message for a team that does not exist here waits for
     * one to be created (see verve_team_destroy). */
    it_barrier(job);
    verve_team_destroy(team);
    free(src);
    free(dst);
}

int main(void)
{
    it_job_t job;
    verve_team_h team;
    int64_t in, out = 0;
    verve_coll_args_t args = {
        .coll_type = VERVE_COLL_ALLREDUCE, .op = VERVE_COLL_OP_SUM,
        .src = {.buffer = &in, .datatype = VERVE_COLL_INT64},
        .dst = {.buffer = &out, .count = 1, .datatype = VERVE_COLL_INT64}};
    verve_status_t status;
    unsigned i, num = sizeof(it_cases) / sizeof(it_cases[0]);

    alarm(120);       /* a hang is a failure, not a stuck CI job */
    it_job_init(&job);
    it_check(&job, job.size >= 2, "needs 2 ranks or more, got %d", job.size);
    for (i = 0; i < num; ++i) {
        it_case_run(&job, &it_cases[i], 100 + i);
    }
    team = it_mismatch_team(&job, 1);
    in = job.rank + 1;
    status = it_coll_run(&job, team, &args);
    it_check(&job, status == VERVE_OK &&
                   out == (int64_t)job.size * (job.size + 1) / 2,
             "allreduce of members that agree: %s, %lld",
             verve_status_string(status), (long long)out);
    verve_team_destroy(team);
    it_barrier(&job);
    if (job.rank == 0) {
        printf("it_coll_mismatch: %d ranks, %u cases of members that "
               "disagree: every member ended with an error\n", job.size,
               num);
    }
    it_job_finalize(&job);
    return 0;
}
