/*
 * fork() after registrations: a parent with rc between two of its workers
 * puts from, and sends rendezvous messages out of, registered buffers
 * while it forks children. Each child scribbles over its copy of those
 * pages, initialises verve itself (self and shm, or self and rc), checks
 * a put of its own and exits. The parent then writes new data into the
 * same buffers and transfers it again: every transfer must arrive intact,
 * the one in flight at the fork included. A child that kept the parent's DMA pages
 * (no ibv_fork_init and no copy-on-fork in the kernel) would show as the
 * old data, or the child's scribbles, at the receiver.
 * Run by fork.sh inside the SoftRoCE guest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <infiniband/verbs.h>
#include <verve/verve.h>
#include "../check.h"

#define ROUNDS 10
#define SIZE (192u * 1024)
#define AM_ID 9

typedef struct job {
    verve_context_h context;
    verve_worker_h a, b;
    verve_ep_h ab;
    uint8_t *src;            /* put source, registered */
    uint8_t *msg;            /* rendezvous payload, registered */
    uint8_t *target;         /* put target, registered */
    uint8_t *rx;             /* where b receives the message */
    verve_request_h rx_req;
    int rx_done;
    size_t rx_length;
} job_t;

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; ++i) {
        p[i] = (uint8_t)(i * 31 + seed * 7 + (i >> 12));
    }
}

static size_t first_diff(const uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; ++i) {
        if (p[i] != (uint8_t)(i * 31 + seed * 7 + (i >> 12))) {
            return i;
        }
    }
    return n;
}

static void job_progress(job_t *job)
{
    verve_worker_progress(job->a);
    verve_worker_progress(job->b);
}

/* req_p is read after the call that filled it. */
static void job_wait(job_t *job, verve_status_t status,
                     verve_request_h *req_p, const char *what)
{
    if (status == VERVE_INPROGRESS) {
        while ((status = verve_request_test(*req_p)) == VERVE_INPROGRESS) {
            job_progress(job);
        }
        verve_request_free(*req_p);
    }
    check(status == VERVE_OK, "%s: %s", what, verve_status_string(status));
}

static verve_status_t job_am_cb(void *arg, const void *header,
                                size_t header_length, void *data,
                                size_t length,
                                const verve_am_recv_param_t *param)
{
    job_t *job = arg;
    verve_status_t status;

    (void)header, (void)header_length;
    check(length == SIZE, "message of %zu bytes", length);
    job->rx_length = length;
    if (!(param->recv_attr & VERVE_AM_RECV_ATTR_FLAG_RNDV)) {
        memcpy(job->rx, data, length);
        job->rx_done = 1;
        return VERVE_OK;
    }
    status = verve_am_recv_data_nbx(job->b, data, job->rx, length, NULL,
                                    &job->rx_req);
    check(status == VERVE_OK || status == VERVE_INPROGRESS,
          "receive data: %s", verve_status_string(status));
    job->rx_done = status == VERVE_OK;
    return VERVE_OK;
}

static void job_wait_rx(job_t *job)
{
    verve_status_t status;

    while (!job->rx_done && job->rx_req == NULL) {
        job_progress(job);
    }
    if (!job->rx_done) {
        while ((status = verve_request_test(job->rx_req)) ==
               VERVE_INPROGRESS) {
            job_progress(job);
        }
        check(status == VERVE_OK, "rendezvous receive: %s",
              verve_status_string(status));
        verve_request_free(job->rx_req);
    }
    job->rx_req = NULL;
    job->rx_done = 0;
}

static verve_mem_h job_map(job_t *job, void *address, size_t length)
{
    verve_mem_map_params_t mp = {
        .field_mask = VERVE_MEM_MAP_PARAM_FIELD_LENGTH |
                      VERVE_MEM_MAP_PARAM_FIELD_FLAGS,
        .length = length};
    verve_mem_h mem;

    /* Plain private memory: memory verve allocates may be shared (shm),
     * and a child's writes to shared pages would reach the parent. */
    if (address != NULL) {
        mp.field_mask |= VERVE_MEM_MAP_PARAM_FIELD_ADDRESS;
        mp.address = address;
    } else {
        mp.flags = VERVE_MEM_MAP_ALLOCATE;
    }
    check(verve_mem_map(job->context, &mp, &mem) == VERVE_OK, "mem map");
    return mem;
}

static verve_rkey_h job_rkey(verve_context_h context, verve_mem_h mem,
                             verve_ep_h ep)
{
    verve_rkey_h rkey;
    size_t length;
    void *packed;

    check(verve_rkey_pack(context, mem, &packed, &length) == VERVE_OK,
          "rkey pack");
    check(verve_rkey_unpack(ep, packed, length, &rkey) == VERVE_OK,
          "rkey unpack");
    verve_rkey_buffer_release(packed);
    return rkey;
}

static verve_ep_h connect_to(verve_worker_h from, verve_worker_h to)
{
    verve_ep_params_t params = {0};
    verve_ep_h ep;
    size_t length;
    void *address;

    check(verve_worker_address_pack(to, &address, &length) == VERVE_OK,
          "address");
    params.field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS;
    params.address = address;
    params.address_length = length;
    check(verve_ep_create(from, &params, &ep) == VERVE_OK, "ep create");
    verve_worker_address_release(address);
    return ep;
}

/* The child: verve of its own and one put checked there. Never
 * returns. */
static void child_run(job_t *job, unsigned round, int scribble)
{
    verve_context_h context;
    verve_worker_h worker;
    verve_request_h req = NULL;
    verve_status_t status;
    verve_rkey_h rkey;
    verve_mem_h mem;
    verve_ep_h ep;
    uint8_t *buffer, *target;

    alarm(60);
    if (scribble) {
        /* The child's copies: the parent must never see these bytes. */
        memset(job->src, 0xc5, SIZE);
        memset(job->msg, 0xc5, SIZE);
        memset(job->target, 0xc5, SIZE);
        memset(job->rx, 0xc5, SIZE);
    }
    /* Every other child also registers with rc: a device context of its
     * own, not the parent's. */
    setenv("VERVE_TLS", (round & 1) ? "rc,self" : "self,shm", 1);
    check(verve_context_create(NULL, &context) == VERVE_OK,
          "child context");
    check(verve_worker_create(context, NULL, &worker) == VERVE_OK,
          "child worker");
    ep = connect_to(worker, worker);
    buffer = malloc(4096);
    check(buffer != NULL, "malloc");
    fill(buffer, 4096, round + 1000);
    {
        job_t child = {.context = context};
        mem = job_map(&child, NULL, 4096);
    }
    target = verve_mem_address(mem);
    memset(target, 0, 4096);
    rkey = job_rkey(context, mem, ep);
    status = verve_put_nbx(ep, buffer, 4096, (uint64_t)(uintptr_t)target,
                           rkey, NULL, &req);
    if (status == VERVE_INPROGRESS) {
        while ((status = verve_request_test(req)) == VERVE_INPROGRESS) {
            verve_worker_progress(worker);
        }
        verve_request_free(req);
    }
    check(status == VERVE_OK, "child put: %s", verve_status_string(status));
    check(first_diff(target, 4096, round + 1000) == 4096,
          "child put: byte %zu differs", first_diff(target, 4096,
                                                    round + 1000));
    verve_rkey_destroy(rkey);
    verve_mem_unmap(context, mem);
    status = verve_ep_close_nbx(ep, VERVE_EP_CLOSE_FORCE, NULL, &req);
    check(status == VERVE_OK, "child close: %s",
          verve_status_string(status));
    verve_worker_destroy(worker);
    verve_context_destroy(context);
    free(buffer);
    _exit(0);
}

/* One round: a put and a message in flight while a child is forked; then
 * new data through the same registered buffers, with the child alive. */
static void run_round(job_t *job, verve_rkey_h rkey, unsigned round,
                      int scribble)
{
    uint64_t target = (uint64_t)(uintptr_t)job->target;
    verve_request_h put_req = NULL, send_req = NULL;
    verve_status_t put_status, send_status;
    int wstatus = 0;
    unsigned seed;
    pid_t pid = -1;
    size_t at;

    for (int pass = 0; pass < 2; ++pass) {
        seed = round * 2 + (unsigned)pass;
        fill(job->src, SIZE, seed);
        fill(job->msg, SIZE, seed + 500);
        memset(job->target, 0, SIZE);
        memset(job->rx, 0, SIZE);
        put_status = verve_put_nbx(job->ab, job->src, SIZE, target, rkey,
                                   NULL, &put_req);
        send_status = verve_am_send_nbx(job->ab, AM_ID, NULL, 0, job->msg,
                                        SIZE, NULL, &send_req);
        if (pass == 0) {
            fflush(NULL);
            pid = fork();
            check(pid >= 0, "fork");
            if (pid == 0) {
                child_run(job, round, scribble);
            }
        }
        job_wait(job, put_status, &put_req, "put");
        job_wait(job, verve_ep_flush_nbx(job->ab, NULL, &put_req),
                 &put_req, "flush");
        job_wait(job, send_status, &send_req, "rendezvous send");
        job_wait_rx(job);
        at = first_diff(job->target, SIZE, seed);
        check(at == SIZE, "round %u, %s the fork: put byte %zu is 0x%02x",
              round, pass ? "after" : "across", at, job->target[at]);
        at = first_diff(job->rx, SIZE, seed + 500);
        check(at == SIZE, "round %u, %s the fork: message byte %zu is "
              "0x%02x", round, pass ? "after" : "across", at, job->rx[at]);
    }
    check(waitpid(pid, &wstatus, 0) == pid, "waitpid");
    check(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0,
          "round %u: the child failed (status 0x%x)", round, wstatus);
}

int main(void)
{
    verve_am_handler_params_t hp = {
        .field_mask = VERVE_AM_HANDLER_PARAM_FIELD_ID |
                      VERVE_AM_HANDLER_PARAM_FIELD_CB |
                      VERVE_AM_HANDLER_PARAM_FIELD_ARG,
        .id = AM_ID, .cb = job_am_cb};
    enum ibv_fork_status fork_status;
    verve_mem_h src_mem, msg_mem, target_mem, rx_mem;
    verve_request_h req = NULL;
    verve_rkey_h rkey;
    job_t job = {0};
    int scribble;

    alarm(600);
    check(verve_context_create(NULL, &job.context) == VERVE_OK, "context");
    check(verve_worker_create(job.context, NULL, &job.a) == VERVE_OK,
          "worker");
    check(verve_worker_create(job.context, NULL, &job.b) == VERVE_OK,
          "worker");
    hp.arg = &job;
    check(verve_worker_set_am_handler(job.b, &hp) == VERVE_OK, "handler");
    job.ab = connect_to(job.a, job.b);
    job.src = aligned_alloc(4096, SIZE);
    job.msg = aligned_alloc(4096, SIZE);
    job.rx = aligned_alloc(4096, SIZE);
    job.target = aligned_alloc(4096, SIZE);
    check(job.src != NULL && job.msg != NULL && job.rx != NULL &&
          job.target != NULL, "alloc");
    src_mem = job_map(&job, job.src, SIZE);
    msg_mem = job_map(&job, job.msg, SIZE);
    rx_mem = job_map(&job, job.rx, SIZE);
    target_mem = job_map(&job, job.target, SIZE);
    rkey = job_rkey(job.context, target_mem, job.ab);
    /* Where libibverbs keeps registered pages out of children
     * (ibv_fork_init), the child has no copy to scribble on. */
    fork_status = ibv_is_fork_initialized();
    scribble = fork_status != IBV_FORK_ENABLED;
    printf("fork: %s\n", fork_status == IBV_FORK_UNNEEDED
                                 ? "the kernel copies DMA pages"
                                 : fork_status == IBV_FORK_ENABLED
                                           ? "ibv_fork_init"
                                           : "not fork-safe");
    for (unsigned round = 0; round < ROUNDS; ++round) {
        run_round(&job, rkey, round, scribble);
    }
    verve_rkey_destroy(rkey);
    verve_mem_unmap(job.context, target_mem);
    verve_mem_unmap(job.context, rx_mem);
    verve_mem_unmap(job.context, msg_mem);
    verve_mem_unmap(job.context, src_mem);
    job_wait(&job, verve_ep_close_nbx(job.ab, VERVE_EP_CLOSE_FLUSH, NULL,
                                      &req), &req, "close");
    verve_worker_destroy(job.b);
    verve_worker_destroy(job.a);
    verve_context_destroy(job.context);
    free(job.src);
    free(job.msg);
    free(job.rx);
    free(job.target);
    printf("fork: %d rounds, %u-byte put and rendezvous message intact "
           "across and after each fork, every child's own put checked\n",
           ROUNDS, SIZE);
    return 0;
}
