/*
 * A member that dies in the middle of collectives: every survivor's
 * running collective ends with VERVE_ERR_PEER_FAILED instead of waiting
 * forever, and so does every later one on the team, at once; a new team
 * over the survivors then works, so nothing is lost but the dead member.
 *
 * The last rank is the victim. It leaves with _exit(0) between two
 * allreduces of a stream, without a word to anyone: the survivors see a
 * process gone, and verve_run sees no failure to take the job down for.
 * A barrier of the test's own first makes sure that nothing of the good
 * allreduces is still on its way to the victim when it goes (a send to a
 * peer that has left may fail, rightly).
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "it_common.h"
#include <verve/verve_coll.h>

#define GOOD_ITERS 50
#define MAX_ITERS 1000000

static verve_status_t coll_run(it_job_t *job, verve_team_h team,
                               verve_coll_type_t type, int64_t *in,
                               int64_t *out)
{
    verve_coll_args_t args = {
        .coll_type = type,
        .src = {.buffer = in, .count = 1,
                .datatype = VERVE_COLL_INT64},
        .dst = {.buffer = out, .count = 1,
                .datatype = VERVE_COLL_INT64},
        .op = VERVE_COLL_OP_SUM};
    verve_request_h req = NULL;
    verve_status_t status;

    status = verve_coll_nbx(team, &args, NULL, &req);
    if (status == VERVE_INPROGRESS) {
        status = verve_request_wait(job->worker, req);
        verve_request_free(req);
    }
    return status;
}

/* it_barrier over the first count ranks: after it nobody needs anything
 * from a member that leaves (it is no collective, so a member that leaves
 * while the others finish it fails nothing). */
static void barrier_of(it_job_t *job, unsigned count)
{
    unsigned epoch = job->barrier_epoch++;
    verve_request_h req;

    for (unsigned r = 0; r < count; ++r) {
        verve_status_t status = verve_am_send_nbx(
                job->eps[r], IT_AM_BARRIER, &epoch, sizeof(epoch), NULL, 0,
                NULL, &req);
        it_wait(job, status, &req, VERVE_OK, "barrier send");
    }
    while (job->barrier_arrived[epoch & 1] < count) {
        verve_worker_progress(job->worker);
    }
    job->barrier_arrived[epoch & 1] -= count;
}

int main(void)
{
    it_job_t job;
    verve_team_h team, survivors;
    verve_status_t status;
    int64_t in, out, expect;
    unsigned n, victim, i;

    alarm(120);       /* a hang is a failure, not a stuck CI job */
    it_job_init(&job);
    n = (unsigned)job.size;
    it_check(&job, n >= 2, "needs 2 ranks or more, got %u", n);
    victim = n - 1;
    team = it_team_create(&job, job.eps, n, (unsigned)job.rank,
                          &(uint64_t){1});
    expect = (int64_t)n * (n + 1) / 2;
    for (i = 0; i < GOOD_ITERS; ++i) {
        in = job.rank + 1;
        status = coll_run(&job, team, VERVE_COLL_ALLREDUCE, &in, &out);
        it_check(&job, status == VERVE_OK && out == expect,
                 "allreduce %u before the failure: %s, %lld (want %lld)",
                 i, verve_status_string(status), (long long)out,
                 (long long)expect);
    }
    barrier_of(&job, n);
    if ((unsigned)job.rank == victim) {
        _exit(0);
    }
    for (i = 0; i < MAX_ITERS; ++i) {
        in = job.rank + 1;
        status = coll_run(&job, team, VERVE_COLL_ALLREDUCE, &in, &out);
        if (status != VERVE_OK) {
            break;
        }
    }
    it_check(&job, status == VERVE_ERR_PEER_FAILED,
             "allreduce after the victim left ended with %s after %u runs",
             verve_status_string(status), i);
    it_check(&job, i == 0, "%u allreduces completed without the victim", i);
    /* Later collectives on the broken team fail at once. */
    status = coll_run(&job, team, VERVE_COLL_BARRIER, NULL, NULL);
    it_check(&job, status == VERVE_ERR_PEER_FAILED,
             "barrier on the broken team: %s", verve_status_string(status));
    status = coll_run(&job, team, VERVE_COLL_ALLREDUCE, &in, &out);
    it_check(&job, status == VERVE_ERR_PEER_FAILED,
             "allreduce on the broken team: %s",
             verve_status_string(status));
    verve_team_destroy(team);

    /* The survivors go on in a team of their own. */
    survivors = it_team_create(&job, job.eps, n - 1, (unsigned)job.rank,
                               &(uint64_t){2});
    expect = (int64_t)(n - 1) * n / 2;
    for (i = 0; i < 10; ++i) {
        in = job.rank + 1;
        status = coll_run(&job, survivors, VERVE_COLL_ALLREDUCE, &in, &out);
        it_check(&job, status == VERVE_OK && out == expect,
                 "allreduce %u of the survivors: %s, %lld (want %lld)", i,
                 verve_status_string(status), (long long)out,
                 (long long)expect);
    }
    /* A member that leaves fails the teams it is in, so the survivors
     * give theirs up before anyone leaves. */
    verve_team_destroy(survivors);
    barrier_of(&job, n - 1);
    printf("rank %d: collectives failed with the victim, survivors went "
           "on\n", job.rank);
    /* No finalize: its barriers would count the victim. */
    fflush(stdout);
    _exit(0);
}
