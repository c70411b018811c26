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
 * Gets and atomics: first while the victim lives and serves them (each
 * checked for its value), then issued once the victim has stopped
 * progressing and before it dies: where the target's progress serves RMA
 * (tcp, ud: emulated over AM) they are in flight when it dies and must
 * end with PEER_FAILED; where the memory or the NIC serves them (shm,
 * rc) they may complete, with the right values.
 *
 * --eager: the transport sends large messages as fragments (tcp, ud),
 * which complete once handed over, not when the peer takes them: those
 * may end with success before the peer dies, and only PEER_FAILED after.
 * --rma-in-flight: the transport's RMA needs the target's progress, so
 * every get and atomic issued to the stopped victim must be in flight.
 */
#include <poll.h>
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
#define NUM_SMALL 64
#define NUM_WORDS 64  /* of the victim's memory, each its own value */

/* The value the victim stores in word i of its memory. */
static uint64_t word_value(unsigned i)
{
    return 0x9e3779b97f4a7c15ull * (i + 1) ^ 0x00c0ffee00000000ull;
}

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
    uint64_t base, *words;
    char go = 0;

    setup(&context, &worker, fd_out, fd_in, &ep, &mem, &base, &rkey);
    check(verve_worker_set_am_handler(worker, &hp) == VERVE_OK, "handler");
    words = verve_mem_address(mem);
    for (unsigned i = 0; i < NUM_WORDS; ++i) {
        words[i] = word_value(i);
    }
    write_all(fd_out, &go, 1);
    /* serve the survivor's RMA and take a few messages, then stop
     * progressing, and die without warning once the survivor has issued
     * what must be in flight */
    while (received < 50) {
        verve_worker_progress(worker);
    }
    write_all(fd_out, &go, 1);
    read_all(fd_in, &go, 1);
    kill(getpid(), SIGKILL);
}

/* One RMA operation on the victim's memory, and what it must give. */
typedef struct {
    const char *name;
    verve_atomic_op_t op;     /* VERVE_ATOMIC_OP_LAST: a get */
    unsigned word;            /* the first word it touches */
    size_t size;              /* op_size, or the get's length */
    uint64_t value, compare;
    uint64_t want;            /* atomics: the old value it must return */
    uint64_t result[NUM_WORDS];
    verve_request_h req;
    verve_status_t status;
} rma_op_t;

#define RMA_OP(_name, _op, _word, _size, _value, _compare, _want) \
    {.name = (_name), .op = (_op), .word = (_word), .size = (_size), \
     .value = (_value), .compare = (_compare), .want = (_want)}

static verve_status_t rma_issue(verve_ep_h ep, verve_rkey_h rkey,
                                uint64_t base, rma_op_t *op)
{
    uint64_t addr = base + op->word * sizeof(uint64_t);

    memset(op->result, 0, sizeof(op->result));
    op->req = NULL;
    if (op->op == VERVE_ATOMIC_OP_LAST) {
        op->status = verve_get_nbx(ep, op->result, op->size, addr, rkey,
                                   NULL, &op->req);
    } else {
        op->status = verve_atomic_nbx(ep, op->op, op->value, op->compare,
                                      op->result, op->size, addr, rkey, NULL,
                                      &op->req);
    }
    check((op->status == VERVE_OK) || (op->status == VERVE_INPROGRESS),
          "%s to the live victim: %s", op->name,
          verve_status_string(op->status));
    return op->status;
}

/* A completed operation gave what the victim's memory held. */
static void rma_check_result(const rma_op_t *op)
{
    if (op->op == VERVE_ATOMIC_OP_LAST) {
        for (unsigned i = 0; i < op->size / sizeof(uint64_t); ++i) {
            check(op->result[i] == word_value(op->word + i),
                  "%s: word %u is 0x%llx, not 0x%llx", op->name,
                  op->word + i, (unsigned long long)op->result[i],
                  (unsigned long long)word_value(op->word + i));
        }
    } else if (op->op != VERVE_ATOMIC_ADD) {
        uint32_t got32;
        uint64_t got = op->result[0];

        if (op->size == 4) {
            memcpy(&got32, op->result, sizeof(got32));
            got = got32;
        }
        check(got == op->want, "%s: old value 0x%llx, not 0x%llx", op->name,
              (unsigned long long)got, (unsigned long long)op->want);
    }
}

static void rma_wait(verve_worker_h worker, rma_op_t *op)
{
    if (op->status == VERVE_INPROGRESS) {
        op->status = verve_request_wait(worker, op->req);
        verve_request_free(op->req);
    }
}

/* The victim alive and progressing: every kind of get and atomic is
 * served, and leaves the victim's memory as it must. */
static void rma_alive(verve_worker_h worker, verve_ep_h ep,
                      verve_rkey_h rkey, uint64_t base)
{
    rma_op_t ops[] = {
        RMA_OP("get", VERVE_ATOMIC_OP_LAST, 0, 16 * 8, 0, 0, 0),
        RMA_OP("fetch-add", VERVE_ATOMIC_FADD, 1, 8, 5, 0, word_value(1)),
        RMA_OP("swap", VERVE_ATOMIC_SWAP, 2, 8, 0x5a5a, 0, word_value(2)),
        RMA_OP("compare-swap", VERVE_ATOMIC_CSWAP, 3, 8, 0x3c3c, word_value(3),
         word_value(3)),
        RMA_OP("add", VERVE_ATOMIC_ADD, 4, 8, 7, 0, 0),
        RMA_OP("32-bit fetch-add", VERVE_ATOMIC_FADD, 5, 4, 3, 0,
         (uint32_t)word_value(5)),
    };
    /* after those, in order: a compare-swap that must not store */
    rma_op_t missed = RMA_OP("compare-swap, wrong compare",
                             VERVE_ATOMIC_CSWAP, 3, 8, 0x7777,
                             word_value(3), 0x3c3c);
    rma_op_t after = RMA_OP("get after the atomics", VERVE_ATOMIC_OP_LAST,
                            1, 5 * 8, 0, 0, 0);
    uint64_t want[5] = {word_value(1) + 5, 0x5a5a, 0x3c3c, word_value(4) + 7,
                        (word_value(5) & ~0xffffffffull) |
                        (uint32_t)(word_value(5) + 3)};

    for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); ++i) {
        rma_issue(ep, rkey, base, &ops[i]);
        rma_wait(worker, &ops[i]);
        check(ops[i].status == VERVE_OK, "%s while the victim lives: %s",
              ops[i].name, verve_status_string(ops[i].status));
        rma_check_result(&ops[i]);
    }
    rma_issue(ep, rkey, base, &missed);
    rma_wait(worker, &missed);
    check(missed.status == VERVE_OK, "%s: %s", missed.name,
          verve_status_string(missed.status));
    rma_check_result(&missed);
    rma_issue(ep, rkey, base, &after);
    rma_wait(worker, &after);
    check(after.status == VERVE_OK, "%s: %s", after.name,
          verve_status_string(after.status));
    for (unsigned i = 0; i < 5; ++i) {
        check(after.result[i] == want[i], "word %u after the atomics is "
              "0x%llx, not 0x%llx", i + 1,
              (unsigned long long)after.result[i],
              (unsigned long long)want[i]);
    }
}

/* Progresses until the victim says it has stopped (a byte on fd). */
static void wait_stopped(verve_worker_h worker, int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    char stopped;

    while (poll(&pfd, 1, 0) == 0) {
        verve_worker_progress(worker);
    }
    read_all(fd, &stopped, 1);
}

int main(int argc, char **argv)
{
    int eager = 0, rma_in_flight = 0;
    int to_victim[2], from_victim[2], status;
    verve_context_h context;
    verve_worker_h worker;
    verve_ep_h ep;
    verve_mem_h mem;
    verve_rkey_h rkey;
    uint64_t base, result;
    uint8_t *big = calloc(1, BIG), small[16] = {0};
    verve_request_h reqs[NUM_RNDV], sync_reqs[NUM_SYNC];
    verve_request_h small_reqs[NUM_SMALL];
    rma_op_t late[] = {
        RMA_OP("get", VERVE_ATOMIC_OP_LAST, 32, 16 * 8, 0, 0, 0),
        RMA_OP("fetch-add", VERVE_ATOMIC_FADD, 17, 8, 5, 0, word_value(17)),
        RMA_OP("swap", VERVE_ATOMIC_SWAP, 18, 8, 1, 0, word_value(18)),
        RMA_OP("compare-swap", VERVE_ATOMIC_CSWAP, 19, 8, 2, word_value(19),
         word_value(19)),
        RMA_OP("add", VERVE_ATOMIC_ADD, 20, 8, 7, 0, 0),
    };
    unsigned num_late = sizeof(late) / sizeof(late[0]), late_in_flight = 0;
    unsigned num_reqs = 0, num_small = 0, failed = 0, i;
    verve_status_t s;
    pid_t pid;
    char go;

    for (i = 1; i < (unsigned)argc; ++i) {
        if (!strcmp(argv[i], "--eager")) {
            eager = 1;
        } else if (!strcmp(argv[i], "--rma-in-flight")) {
            rma_in_flight = 1;
        } else {
            check(0, "usage: it_peer_failure [--eager] [--rma-in-flight]");
        }
    }
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
    rma_alive(worker, ep, rkey, base);

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
    /* small sends, enough to make the victim stop (it counts the large
     * ones too), not waited for: the victim may stop before it takes
     * them all */
    for (i = 0; i < NUM_SMALL; ++i) {
        s = verve_am_send_nbx(ep, AM_ID, NULL, 0, small, sizeof(small), NULL,
                              &small_reqs[num_small]);
        check(s == VERVE_OK || s == VERVE_INPROGRESS, "small send: %s",
              verve_status_string(s));
        num_small += (s == VERVE_INPROGRESS);
    }
    wait_stopped(worker, from_victim[0]);
    /* gets and atomics issued to the stopped victim: in flight when it
     * dies unless the memory or the NIC serves them */
    for (i = 0; i < num_late; ++i) {
        if (rma_issue(ep, rkey, base, &late[i]) == VERVE_OK) {
            rma_check_result(&late[i]);
        } else {
            ++late_in_flight;
        }
    }
    check(!rma_in_flight || late_in_flight == num_late, "%u of %u gets and "
          "atomics completed though the target does not progress",
          num_late - late_in_flight, num_late);
    write_all(to_victim[1], &go, 1);
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
    for (i = 0; i < num_small; ++i) {
        s = verve_request_wait(worker, small_reqs[i]);
        check(s == VERVE_ERR_PEER_FAILED || s == VERVE_OK,
              "small send %u ended with %s", i, verve_status_string(s));
        verve_request_free(small_reqs[i]);
    }
    /* in flight when the victim died: failed, or (served by its memory
     * or NIC before) done with the right values */
    for (i = 0; i < num_late; ++i) {
        if (late[i].status != VERVE_INPROGRESS) {
            continue;
        }
        rma_wait(worker, &late[i]);
        check(late[i].status == VERVE_ERR_PEER_FAILED ||
              (!rma_in_flight && late[i].status == VERVE_OK),
              "%s in flight when the victim died ended with %s",
              late[i].name, verve_status_string(late[i].status));
        if (late[i].status == VERVE_OK) {
            rma_check_result(&late[i]);
        }
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
           "%u large sends not done in place, %u of %u gets and atomics "
           "in flight, later sends and RMA failed with %s\n",
           NUM_SYNC, num_reqs, NUM_RNDV, late_in_flight, num_late,
           verve_status_string(VERVE_ERR_PEER_FAILED));
    return 0;
}
