#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include "it_common.h"

static verve_status_t it_barrier_cb(void *arg, const void *header,
                                    size_t header_length, void *data,
                                    size_t length,
                                    const verve_am_recv_param_t *param)
{
    it_job_t *job = arg;
    unsigned epoch;
    (void)data, (void)length, (void)param;
    if (header_length == sizeof(epoch)) {
        memcpy(&epoch, header, sizeof(epoch));
        ++job->barrier_arrived[epoch & 1];
    }
    return VERVE_OK;
}

void it_allgather(it_job_t *job, const void *in, size_t length, size_t max,
                  void *out, size_t *lengths)
{
    uint8_t *padded = calloc(1, max + sizeof(uint64_t));
    uint64_t length64 = length;
    verve_status_t status;

    it_check(job, padded != NULL && length <= max, "allgather of %zu > %zu",
             length, max);
    memcpy(padded, &length64, sizeof(length64));
    memcpy(padded + sizeof(length64), in, length);
    status = verve_boot_allgather(job->boot, padded, max + sizeof(length64),
                                  out);
    it_check(job, status == VERVE_OK, "allgather: %s",
             verve_status_string(status));
    /* drop the length prefixes in place */
    for (int r = 0; r < job->size; ++r) {
        if (lengths != NULL) {
            memcpy(&length64, (uint8_t *)out +
                   (size_t)r * (max + sizeof(length64)), sizeof(length64));
            lengths[r] = length64;
        }
        memmove((uint8_t *)out + (size_t)r * max,
                (uint8_t *)out + (size_t)r * (max + sizeof(length64)) +
                        sizeof(length64), max);
    }
    free(padded);
}

/* Worker addresses travel through put/fence/get, the exchange that serves
 * every launcher (verve_run, mpirun) and both VERVE_BOOT_EXCHANGE modes:
 * under lazy PMIx each get below fetches that rank's address on demand. */
static uint8_t *it_address_get(it_job_t *job, int rank, size_t *length_p)
{
    verve_status_t status;
    uint8_t *address;
    size_t length = 0;

    status = verve_boot_get(job->boot, rank, IT_ADDRESS_KEY, NULL, &length);
    it_check(job, status == VERVE_ERR_MESSAGE_TRUNCATED, "address length "
             "of rank %d: %s", rank, verve_status_string(status));
    address = malloc(length);
    it_check(job, address != NULL, "address of %zu bytes", length);
    status = verve_boot_get(job->boot, rank, IT_ADDRESS_KEY, address,
                            &length);
    it_check(job, status == VERVE_OK, "address of rank %d: %s", rank,
             verve_status_string(status));
    *length_p = length;
    return address;
}

static void it_connect(it_job_t *job, int rank)
{
    verve_ep_params_t ep_params = {
        .field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS};
    verve_status_t status;
    uint8_t *remote;

    remote = it_address_get(job, rank, &ep_params.address_length);
    ep_params.address = remote;
    status = verve_ep_create(job->worker, &ep_params, &job->eps[rank]);
    it_check(job, status == VERVE_OK, "ep to rank %d: %s", rank,
             verve_status_string(status));
    free(remote);
}

void it_job_init(it_job_t *job)
{
    verve_am_handler_params_t hp = {
        .field_mask = VERVE_AM_HANDLER_PARAM_FIELD_ID |
                      VERVE_AM_HANDLER_PARAM_FIELD_CB |
                      VERVE_AM_HANDLER_PARAM_FIELD_ARG,
        .id = IT_AM_BARRIER, .cb = it_barrier_cb, .arg = job};
    verve_status_t status;
    void *address;
    size_t length;

    memset(job, 0, sizeof(*job));
    setvbuf(stdout, NULL, _IOLBF, 0);
    status = verve_boot_init(&job->boot);
    it_check(job, status == VERVE_OK, "verve_boot_init: %s",
             verve_status_string(status));
    job->rank = verve_boot_rank(job->boot);
    job->size = verve_boot_size(job->boot);
    status = verve_context_create(NULL, &job->context);
    it_check(job, status == VERVE_OK, "context: %s",
             verve_status_string(status));
    status = verve_worker_create(job->context, NULL, &job->worker);
    it_check(job, status == VERVE_OK, "worker: %s",
             verve_status_string(status));
    job->barrier_arrived = calloc(2, sizeof(unsigned));
    status = verve_worker_set_am_handler(job->worker, &hp);
    it_check(job, status == VERVE_OK, "am handler");
    status = verve_worker_address_pack(job->worker, &address, &length);
    it_check(job, status == VERVE_OK, "address pack");
    status = verve_boot_put(job->boot, IT_ADDRESS_KEY, address, length);
    it_check(job, status == VERVE_OK, "address put: %s",
             verve_status_string(status));
    verve_worker_address_release(address);
    status = verve_boot_fence(job->boot);
    it_check(job, status == VERVE_OK, "fence: %s",
             verve_status_string(status));
    job->eps = calloc((size_t)job->size, sizeof(*job->eps));
    for (int r = 0; r < job->size; ++r) {
        it_connect(job, r);
    }
    it_barrier(job);
}

void it_reconnect(it_job_t *job)
{
    verve_status_t status;
    verve_request_h req;

    for (int r = 0; r < job->size; ++r) {
        status = verve_ep_close_nbx(job->eps[r], VERVE_EP_CLOSE_FORCE, NULL,
                                    &req);
        it_wait(job, status, &req, VERVE_OK, "ep close (force)");
    }
    /* no rank connects before every old connection is gone */
    it_check(job, verve_boot_barrier(job->boot) == VERVE_OK,
             "barrier after close");
    for (int r = 0; r < job->size; ++r) {
        it_connect(job, r);
    }
    it_barrier(job);
}

void it_wait(it_job_t *job, verve_status_t status, verve_request_h *req_p,
             verve_status_t expect, const char *what)
{
    if (status == VERVE_INPROGRESS) {
        status = verve_request_wait(job->worker, *req_p);
        verve_request_free(*req_p);
    }
    it_check(job, status == expect, "%s: %s, expected %s", what,
             verve_status_string(status), verve_status_string(expect));
}

verve_team_h it_team_create(it_job_t *job, verve_ep_h *eps, unsigned size,
                            unsigned rank, const uint64_t *id)
{
    verve_team_params_t params = {
        .field_mask = VERVE_TEAM_PARAM_FIELD_EPS |
                      VERVE_TEAM_PARAM_FIELD_SIZE |
                      VERVE_TEAM_PARAM_FIELD_RANK,
        .eps = eps, .size = size, .rank = rank};
    verve_request_h req = NULL;
    verve_status_t status;
    verve_team_h team = NULL;

    if (id != NULL) {
        params.field_mask |= VERVE_TEAM_PARAM_FIELD_ID;
        params.id = *id;
    }
    status = verve_team_create_nbx(job->worker, &params, &team, NULL, &req);
    it_wait(job, status, &req, VERVE_OK, "team create");
    return team;
}

void it_barrier(it_job_t *job)
{
    unsigned epoch = job->barrier_epoch++;
    verve_request_h req;

    for (int r = 0; r < job->size; ++r) {
        verve_status_t status = verve_am_send_nbx(
                job->eps[r], IT_AM_BARRIER, &epoch, sizeof(epoch), NULL, 0,
                NULL, &req);
        it_wait(job, status, &req, VERVE_OK, "barrier send");
    }
    while (job->barrier_arrived[epoch & 1] < (unsigned)job->size) {
        verve_worker_progress(job->worker);
    }
    job->barrier_arrived[epoch & 1] -= (unsigned)job->size;
}

typedef struct it_barrier_thread {
    verve_boot_h boot;
    verve_status_t status;
    atomic_int done;
} it_barrier_thread_t;

static void *it_barrier_thread(void *arg)
{
    it_barrier_thread_t *t = arg;

    t->status = verve_boot_barrier(t->boot);
    atomic_store(&t->done, 1);
    return NULL;
}

/* The bootstrap barrier in a thread while this one keeps progressing. */
static verve_status_t it_boot_barrier_progress(it_job_t *job)
{
    it_barrier_thread_t t = {.boot = job->boot, .status = VERVE_OK};
    pthread_t thread;

    atomic_init(&t.done, 0);
    if (pthread_create(&thread, NULL, it_barrier_thread, &t) != 0) {
        return verve_boot_barrier(job->boot);
    }
    while (!atomic_load(&t.done)) {
        verve_worker_progress(job->worker);
    }
    pthread_join(thread, NULL);
    return t.status;
}

void it_job_finalize(it_job_t *job)
{
    it_barrier(job);
    for (int r = 0; r < job->size; ++r) {
        verve_request_h req;
        verve_status_t status = verve_ep_close_nbx(
                job->eps[r], VERVE_EP_CLOSE_FLUSH, NULL, &req);
        it_wait(job, status, &req, VERVE_OK, "ep close");
    }
    /* Nobody may leave, or stop progressing, while a peer could still
     * need it: a transport with its own reliability (ud) acknowledges a
     * peer's last retransmission only from progress. */
    it_check(job, it_boot_barrier_progress(job) == VERVE_OK, "last barrier");
    verve_worker_destroy(job->worker);
    verve_context_destroy(job->context);
    verve_boot_finalize(job->boot);
    free(job->eps);
    free(job->barrier_arrived);
}
