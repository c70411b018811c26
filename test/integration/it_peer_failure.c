/*
 * A peer killed in the middle of transfers: the survivor's requests in
 * flight complete with VERVE_ERR_PEER_FAILED, later calls fail at once,
 * its error callback runs once, and nothing hangs. Two processes from
 * fork(), addresses exchanged through pipes, so the launcher's own
 * reaction to a dying rank stays out of the picture. Runs over whatever
 * VERVE_TLS picks (shm, tcp, rc, ud; self reaches no other process).
 *
 * In flight whatever the transport: synchronous tag sends, which complete
 * only when a receive at the peer matches them, and the victim posts
 * none. Rendezvous sends are in flight too where the victim can hold
 * their data (lanes that read the sender's memory: shm, rc).
 *
 * --eager: the transport sends large messages as fragments (tcp, ud),
 * which complete once handed over, not when the peer takes them: those
 * may end with success before the peer dies, and only PEER_FAILED after.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <verve/verve.h>
#include <verve/verve_tag.h>
#include <stdio.h>
#include <stdlib.h>
#include "../check.h"

#define AM_ID 3
#define BIG (1 << 20)
#define NUM_RNDV 8
#define NUM_SYNC 4
#define SYNC_TAG 0x5ca1ab1eull

static int error_calls;
static verve_status_t error_status;

static void error_cb(void *arg, verve_ep_h ep, verve_status_t status)
{
    (void)arg, (void)ep;
    ++error_calls;
    error_status = status;
}

static unsigned received;

/* The victim takes eager messages, and holds rendezvous data without
 * taking it, so the survivor has requests in flight when it dies. */
static verve_status_t victim_cb(void *arg, const void *header,
                                size_t header_length, void *data,
                                size_t length,
                                const verve_am_recv_param_t *param)
{
    (void)arg, (void)header, (void)header_length, (void)data, (void)length;
    ++received;
    return (param->recv_attr & VERVE_AM_RECV_ATTR_FLAG_RNDV)
                   ? VERVE_INPROGRESS : VERVE_OK;
}

static void write_all(int fd, const void *p, size_t n)
{
    check(write(fd, p, n) == (ssize_t)n, "pipe write");
}

static void read_all(int fd, void *p, size_t n)
{
    check(read(fd, p, n) == (ssize_t)n, "pipe read");
}

static void setup(verve_context_h *context, verve_worker_h *worker,
                  int fd_out, int fd_in, verve_ep_h *ep,
                  verve_mem_h *mem, uint64_t *remote_base,
                  verve_rkey_h *rkey)
{
    verve_mem_map_params_t mp = {
        .field_mask = VERVE_MEM_MAP_PARAM_FIELD_LENGTH |
                      VERVE_MEM_MAP_PARAM_FIELD_FLAGS,
        .length = 4096, .flags = VERVE_MEM_MAP_ALLOCATE};
    verve_ep_params_t ep_params = {
        .field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS |
                      VERVE_EP_PARAM_FIELD_ERR_HANDLER,
        .err_cb = error_cb};
    uint8_t peer_address[1024], peer_rkey[512];
    size_t length, peer_length, rkey_length;
    void *address, *packed;
    uint64_t base;

    check(verve_context_create(NULL, context) == VERVE_OK, "context");
    check(verve_worker_create(*context, NULL, worker) == VERVE_OK, "worker");
    check(verve_worker_address_pack(*worker, &address, &length) == VERVE_OK,
          "address");
    write_all(fd_out, &length, sizeof(length));
    write_all(fd_out, address, length);
    verve_worker_address_release(address);
    read_all(fd_in, &peer_length, sizeof(peer_length));
    check(peer_length <= sizeof(peer_address), "address too long");
    read_all(fd_in, peer_address, peer_length);
    ep_params.address = peer_address;
    ep_params.address_length = peer_length;
    check(verve_ep_create(*worker, &ep_params, ep) == VERVE_OK, "ep");

    check(verve_mem_map(*context, &mp, mem) == VERVE_OK, "mem map");
    check(verve_rkey_pack(*context, *mem, &packed, &length) == VERVE_OK,
          "rkey pack");
    base = (uint64_t)(uintptr_t)verve_mem_address(*mem);
    write_all(fd_out, &base, sizeof(base));
    write_all(fd_out, &length, sizeof(length));
    write_all(fd_out, packed, length);
    verve_rkey_buffer_release(packed);
    read_all(fd_in, remote_base, sizeof(*remote_base));
    read_all(fd_in, &rkey_length, sizeof(rkey_length));
    check(rkey_length <= sizeof(peer_rkey), "rkey too long");
    read_all(fd_in, peer_rkey, rkey_length);
    check(verve_rkey_unpack(*ep, peer_rkey, rkey_length, rkey) == VERVE_OK,
          "rkey unpack");
}

static void victim(int fd_out, int fd_in)
{
    verve_am_handler_params_t hp = {
        .field_mask = VERVE_AM_HANDLER_PARAM_FIELD_ID |
                      VERVE_AM_HANDLER_PARAM_FIELD_CB,
        .id = AM_ID, .cb = victim_cb};
    verve_context_h context;
    verve_worker_h worker;
    verve_ep_h ep;
    verve_mem_h mem;
    verve_rkey_h rkey;
    uint64_t base;
    char go = 0;

    setup(&context, &worker, fd_out, fd_in, &ep, &mem, &base, &rkey);
    check(verve_worker_set_am_handler(worker, &hp) == VERVE_OK, "handler");
    write_all(fd_out, &go, 1);
    /* take a few messages, then die without warning */
    while (received < 50) {
        verve_worker_progress(worker);
    }
    kill(getpid(), SIGKILL);
}

int main(int argc, char **argv)
{
    int eager = (argc > 1 && strcmp(argv[1], "--eager") == 0);
    int to_victim[2], from_victim[2], status;
    verve_context_h context;
    verve_worker_h worker;
    verve_ep_h ep;
    verve_mem_h mem;
    verve_rkey_h rkey;
    uint64_t base, result;
    uint8_t *big = calloc(1, BIG), small[16] = {0};
    verve_request_h reqs[NUM_RNDV], sync_reqs[NUM_SYNC];
    unsigned num_reqs = 0, failed = 0, i;
    verve_status_t s;
    pid_t pid;
    char go;

    /* a hang is a failure, not a stuck CI job */
    alarm(120);
    /* The two processes are one job, so they share its key, as a
     * launcher's ranks do (verve_run's, or Open MPI's): without it, each
     * makes its own and tcp refuses the other. */
    check(setenv("VERVE_JOB_KEY", "it_peer_failure", 0) == 0, "setenv");
    check(pipe(to_victim) == 0 && pipe(from_victim) == 0, "pipe");
    pid = fork();
    check(pid >= 0, "fork");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        victim(from_victim[1], to_victim[0]);
        return 0;
    }
    setup(&context, &worker, to_victim[1], from_victim[0], &ep, &mem, &base,
          &rkey);
    read_all(from_victim[0], &go, 1);

    /* matched by no receive: in flight until the victim dies, on every
     * transport */
    for (i = 0; i < NUM_SYNC; ++i) {
        s = verve_tag_send_sync_nbx(ep, small, sizeof(small), SYNC_TAG, NULL,
                                    &sync_reqs[i]);
        check(s == VERVE_INPROGRESS, "synchronous tag send: %s",
              verve_status_string(s));
    }
    /* rendezvous sends the victim never takes; fragments (--eager) may
     * complete in place or once handed over */
    for (i = 0; i < NUM_RNDV; ++i) {
        s = verve_am_send_nbx(ep, AM_ID, NULL, 0, big, BIG, NULL,
                              &reqs[num_reqs]);
        check(s == VERVE_INPROGRESS || (eager && s == VERVE_OK),
              "rendezvous send: %s", verve_status_string(s));
        num_reqs += (s == VERVE_INPROGRESS);
    }
    check(eager || num_reqs == NUM_RNDV, "rendezvous sends completed in "
          "place without --eager");
    /* then small sends until the peer is gone and they fail */
    for (i = 0; i < 2000000 && failed == 0; ++i) {
        verve_request_h req;
        s = verve_am_send_nbx(ep, AM_ID, NULL, 0, small, sizeof(small), NULL,
                              &req);
        if (s == VERVE_INPROGRESS) {
            s = verve_request_wait(worker, req);
            verve_request_free(req);
        }
        if (s != VERVE_OK) {
            check(s == VERVE_ERR_PEER_FAILED, "small send: %s",
                  verve_status_string(s));
            failed = 1;
        }
        verve_worker_progress(worker);
    }
    check(failed, "sends never failed after the peer was killed");
    check(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status),
          "victim did not die of a signal");
    for (i = 0; i < NUM_SYNC; ++i) {
        s = verve_request_wait(worker, sync_reqs[i]);
        check(s == VERVE_ERR_PEER_FAILED, "synchronous tag send %u ended "
              "with %s", i, verve_status_string(s));
        verve_request_free(sync_reqs[i]);
    }
    for (i = 0; i < num_reqs; ++i) {
        s = verve_request_wait(worker, reqs[i]);
        check(s == VERVE_ERR_PEER_FAILED || (eager && s == VERVE_OK),
              "rendezvous %u ended with %s", i, verve_status_string(s));
        verve_request_free(reqs[i]);
    }
    check(error_calls == 1 && error_status == VERVE_ERR_PEER_FAILED,
          "error callback ran %d times (%s)", error_calls,
          verve_status_string(error_status));
    /* everything after the failure fails at once */
    check(verve_atomic_nbx(ep, VERVE_ATOMIC_FADD, 1, 0, &result, 8, base,
                           rkey, NULL, &reqs[0]) == VERVE_ERR_PEER_FAILED,
          "atomic to a dead peer");
    check(verve_get_nbx(ep, small, 8, base, rkey, NULL, &reqs[0]) ==
          VERVE_ERR_PEER_FAILED, "get from a dead peer");
    verve_rkey_destroy(rkey);
    s = verve_ep_close_nbx(ep, VERVE_EP_CLOSE_FLUSH, NULL, &reqs[0]);
    check(s == VERVE_OK, "close of a failed endpoint: %s",
          verve_status_string(s));
    verve_mem_unmap(context, mem);
    verve_worker_destroy(worker);
    verve_context_destroy(context);
    free(big);
    printf("peer failure detected: %u synchronous sends in flight, %u of "
           "%u large sends not done in place, later sends and RMA failed "
           "with %s\n",
           NUM_SYNC, num_reqs, NUM_RNDV,
           verve_status_string(VERVE_ERR_PEER_FAILED));
    return 0;
}
