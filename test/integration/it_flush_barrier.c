/*
 * A flush followed by the bootstrap barrier, which progresses no worker:
 * after verve_worker_flush_nbx completes, nothing the rank sent may still
 * wait for its own progress. Rank 0 sends every other rank more bytes
 * than the sockets hold (so, over tcp, the last of them sit in the
 * sender's queue), flushes and enters the barrier; the others progress
 * until all of it arrived, then enter it too. A flush that completes with
 * bytes still queued strands them: the receivers never arrive and the
 * job hangs (regression: tcp's flush looked at nothing but failure).
 * The rounds repeat with the roles kept, so each starts from a drained
 * connection.
 */
#include <string.h>
#include "it_common.h"

#define IT_FLUSH_AM 7
#define IT_FLUSH_MSG (64 * 1024)
#define IT_FLUSH_COUNT 256          /* 16 MiB a round */
#define IT_FLUSH_ROUNDS 3

static size_t it_flush_bytes;

static verve_status_t it_flush_recv_cb(void *arg, const void *header,
                                       size_t header_length, void *data,
                                       size_t length,
                                       const verve_am_recv_param_t *param)
{
    (void)arg, (void)header, (void)header_length, (void)data, (void)param;
    it_flush_bytes += length;
    return VERVE_OK;
}

static void it_flush_send_all(it_job_t *job, const void *buffer)
{
    verve_request_param_t param = {.op_attr_mask = 0};
    verve_request_h reqs[IT_FLUSH_COUNT];
    verve_status_t statuses[IT_FLUSH_COUNT];
    verve_request_h flush = NULL;
    verve_status_t status;
    unsigned i;
    int peer;

    for (peer = 1; peer < job->size; ++peer) {
        for (i = 0; i < IT_FLUSH_COUNT; ++i) {
            statuses[i] = verve_am_send_nbx(job->eps[peer], IT_FLUSH_AM,
                                            NULL, 0, buffer, IT_FLUSH_MSG,
                                            &param, &reqs[i]);
        }
        for (i = 0; i < IT_FLUSH_COUNT; ++i) {
            it_wait(job, statuses[i], &reqs[i], VERVE_OK, "send");
        }
    }
    status = verve_worker_flush_nbx(job->worker, &param, &flush);
    it_wait(job, status, &flush, VERVE_OK, "worker flush");
}

int main(void)
{
    verve_am_handler_params_t handler = {
        .field_mask = VERVE_AM_HANDLER_PARAM_FIELD_ID |
                      VERVE_AM_HANDLER_PARAM_FIELD_CB,
        .id = IT_FLUSH_AM,
        .cb = it_flush_recv_cb
    };
    const size_t round_bytes = (size_t)IT_FLUSH_MSG * IT_FLUSH_COUNT;
    it_job_t job;
    char *buffer;
    int round;

    it_job_init(&job);
    it_check(&job, verve_worker_set_am_handler(job.worker, &handler) ==
             VERVE_OK, "AM handler");
    buffer = malloc(IT_FLUSH_MSG);
    it_check(&job, buffer != NULL, "buffer allocation");
    memset(buffer, 0x5a, IT_FLUSH_MSG);
    it_barrier(&job);

    for (round = 1; round <= IT_FLUSH_ROUNDS; ++round) {
        if (job.rank == 0) {
            it_flush_send_all(&job, buffer);
        } else {
            while (it_flush_bytes < (size_t)round * round_bytes) {
                verve_worker_progress(job.worker);
            }
        }
        it_check(&job, verve_boot_barrier(job.boot) == VERVE_OK,
                 "bootstrap barrier of round %d", round);
    }
    it_check(&job, job.rank == 0 ||
             it_flush_bytes == (size_t)IT_FLUSH_ROUNDS * round_bytes,
             "received %zu bytes, expected %zu", it_flush_bytes,
             (size_t)IT_FLUSH_ROUNDS * round_bytes);
    free(buffer);
    it_job_finalize(&job);
    if (job.rank == 0) {
        printf("flush then bootstrap barrier: %d rounds of %zu bytes to "
               "each of %d ranks\n", IT_FLUSH_ROUNDS, round_bytes,
               job.size - 1);
    }
    return 0;
}
