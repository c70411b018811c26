/*
 * rc between two workers of one process on one device (loopback through
 * the rxe device): what the engine suite does not reach. A sleeping worker
 * is woken by the completion channel; puts and gets larger than a bounce
 * buffer (the user's buffer registered for the operation); swap (a
 * compare-swap loop on verbs) and compare-swap results; flush after puts.
 * Run by rc_pair.sh inside the SoftRoCE guest.
 *   rc_pair idle N: only connects, then progresses the sending worker
 *   until N of its calls were idle ones past the first
 *   VT_IDLE_YIELD_POLLS of an idle run (rc_engine.sh counts the
 *   sched_yield calls: at least N when idle yield is on, none off).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <verve/verve.h>
#include "../asleep.h"
#include "../check.h"
#include "../pattern.h"

#define BIG (1u << 20)
#define AM_ID 7

typedef struct pair {
    verve_context_h context;
    verve_worker_h a, b;
    verve_ep_h ab;
    unsigned received;
    long sleeper;    /* the thread that waits on b */
} pair_t;

static verve_status_t count_cb(void *arg, const void *header,
                               size_t header_length, void *data,
                               size_t length,
                               const verve_am_recv_param_t *param)
{
    (void)header, (void)header_length, (void)data, (void)length, (void)param;
    ++((pair_t *)arg)->received;
    return VERVE_OK;
}

/* req_p is read after the call that filled it: not an argument value. */
static void pair_wait(pair_t *p, verve_status_t status,
                      verve_request_h *req_p, const char *what)
{
    verve_request_h req = *req_p;

    if (status == VERVE_INPROGRESS) {
        while ((status = verve_request_test(req)) == VERVE_INPROGRESS) {
            verve_worker_progress(p->a);
            verve_worker_progress(p->b);
        }
        verve_request_free(req);
    }
    check(status == VERVE_OK, "%s: %s", what, verve_status_string(status));
}

/* Sends once the receiver sleeps in epoll_wait (asleep.h). */
static void *late_sender(void *arg)
{
    pair_t *p = arg;
    uint8_t byte = 1;

    check(test_wait_asleep(p->sleeper), "thread %ld never seen asleep in "
          "epoll_wait", p->sleeper);
    /* The connection is up: this is an inline send, done in place. */
    check(verve_am_send_nbx(p->ab, AM_ID, NULL, 0, &byte, 1, NULL, NULL) ==
          VERVE_OK, "late send");
    return NULL;
}

static void test_wakeup(pair_t *p)
{
    verve_am_handler_params_t hp = {
        .field_mask = VERVE_AM_HANDLER_PARAM_FIELD_ID |
                      VERVE_AM_HANDLER_PARAM_FIELD_CB |
                      VERVE_AM_HANDLER_PARAM_FIELD_ARG,
        .id = AM_ID, .cb = count_cb, .arg = p};
    verve_status_t status;
    pthread_t thread;
    int rounds = 0, quiet;
    verve_request_h req = NULL;

    check(verve_worker_set_am_handler(p->b, &hp) == VERVE_OK, "handler");
    /* Connect and drain: the wireup and everything it caused. */
    pair_wait(p, verve_worker_flush_nbx(p->a, NULL, &req), &req, "flush");
    /* Quiet means 1000 progress rounds in a row that found nothing,
     * however long a loaded machine takes to hand over what is left. */
    for (rounds = 0, quiet = 0; quiet < 1000; ++rounds) {
        check(rounds < 100000000, "never quiet after the wireup");
        quiet = (verve_worker_progress(p->a) + verve_worker_progress(p->b) ==
                 0) ? quiet + 1 : 0;
    }
    /* Idle: the wait times out, at once (timeout 0: a longer one only
     * gives a loaded machine room to wake it for something else). */
    status = verve_worker_wait(p->b, 0);
    check(status == VERVE_ERR_TIMED_OUT, "idle wait: %s",
          verve_status_string(status));
    p->sleeper = (long)syscall(SYS_gettid);
    check(pthread_create(&thread, NULL, late_sender, p) == 0, "thread");
    for (rounds = 0; p->received == 0 && rounds < 100; ++rounds) {
        status = verve_worker_wait(p->b, 20000);
        check(status == VERVE_OK, "wait for the message: %s",
              verve_status_string(status));
        verve_worker_progress(p->b);
    }
    pthread_join(thread, NULL);
    check(p->received == 1, "woke %d times, received %u", rounds,
          p->received);
    printf("wakeup: idle wait timed out, a message woke the worker\n");
}

static void test_big_rma(pair_t *p, verve_mem_h mem, verve_rkey_h rkey)
{
    uint8_t *target = verve_mem_address(mem);
    uint8_t *src = malloc(BIG), *dst = malloc(BIG);
    uint64_t base = (uint64_t)(uintptr_t)target;
    verve_request_h req = NULL;

    check(src != NULL && dst != NULL, "malloc");
    pattern_fill(pattern_id(0x8c, 1), 0, src, BIG);
    memset(target, 0, BIG);
    pair_wait(p, verve_put_nbx(p->ab, src, BIG, base, rkey, NULL, &req),
              &req, "put 1 MiB");
    pair_wait(p, verve_ep_flush_nbx(p->ab, NULL, &req), &req, "ep flush");
    check(memcmp(target, src, BIG) == 0, "put 1 MiB: target differs");
    pattern_fill(pattern_id(0x8c, 2), 0, target, BIG);
    memset(dst, 0, BIG);
    pair_wait(p, verve_get_nbx(p->ab, dst, BIG, base, rkey, NULL, &req),
              &req, "get 1 MiB");
    check(memcmp(target, dst, BIG) == 0, "get 1 MiB: data differs");
    /* Unaligned and odd-sized, just past a bounce buffer. */
    pair_wait(p, verve_put_nbx(p->ab, src + 1, 9001, base + 3, rkey, NULL,
                               &req), &req, "put 9001 B");
    pair_wait(p, verve_ep_flush_nbx(p->ab, NULL, &req), &req, "ep flush");
    check(memcmp(target + 3, src + 1, 9001) == 0, "put 9001 B differs");
    free(src);
    free(dst);
    printf("rma: 1 MiB put and get, 9001-byte put checked\n");
}

static void test_atomics(pair_t *p, verve_mem_h mem, verve_rkey_h rkey)
{
    uint64_t *word = verve_mem_address(mem);
    uint64_t base = (uint64_t)(uintptr_t)word, result = 0;
    verve_request_h req = NULL;

    *word = 41;
    pair_wait(p, verve_atomic_nbx(p->ab, VERVE_ATOMIC_SWAP, 1000, 0,
                                  &result, 8, base, rkey, NULL, &req),
              &req, "swap");
    check(result == 41 && *word == 1000, "swap: result %llu, word %llu",
          (unsigned long long)result, (unsigned long long)*word);
    pair_wait(p, verve_atomic_nbx(p->ab, VERVE_ATOMIC_CSWAP, 7, 999,
                                  &result, 8, base, rkey, NULL, &req),
              &req, "failing compare-swap");
    check(result == 1000 && *word == 1000, "cswap that must fail: %llu",
          (unsigned long long)result);
    pair_wait(p, verve_atomic_nbx(p->ab, VERVE_ATOMIC_CSWAP, 7, 1000,
                                  &result, 8, base, rkey, NULL, &req),
              &req, "compare-swap");
    check(result == 1000 && *word == 7, "cswap: result %llu, word %llu",
          (unsigned long long)result, (unsigned long long)*word);
    pair_wait(p, verve_atomic_nbx(p->ab, VERVE_ATOMIC_ADD, 5, 0, NULL, 8,
                                  base, rkey, NULL, &req), &req, "add");
    pair_wait(p, verve_atomic_nbx(p->ab, VERVE_ATOMIC_FADD, 1, 0, &result,
                                  8, base, rkey, NULL, &req), &req, "fadd");
    check(result == 12 && *word == 13, "add, fadd: result %llu, word %llu",
          (unsigned long long)result, (unsigned long long)*word);
    printf("atomics: swap, compare-swap, add, fetch-add checked\n");
}

/* VT_IDLE_YIELD_POLLS of src/transports/vt_iface.h: the idle progress
 * calls in a row after which each further one yields (where idle yield is
 * on). */
#define IDLE_YIELD_POLLS 1024

/* Connects and drains, then progresses a until n of its calls were
 * bound to yield: idle ones, each past the first IDLE_YIELD_POLLS of an
 * idle run (a call that finds work, such as a timer's, ends a run). The
 * worker's own run may have begun earlier, so it yields at least n
 * times. */
static void idle_run(pair_t *p, unsigned long n)
{
    verve_request_h req = NULL;
    unsigned long run = 0, calls = 0, bound = 0;

    pair_wait(p, verve_worker_flush_nbx(p->a, NULL, &req), &req, "flush");
    for (unsigned quiet = 0; quiet < 1000;) {
        quiet = (verve_worker_progress(p->a) + verve_worker_progress(p->b) ==
                 0) ? quiet + 1 : 0;
    }
    while (bound < n) {
        check(++calls < 100 * (n + IDLE_YIELD_POLLS), "%lu progress calls, "
              "only %lu bound to yield", calls, bound);
        if (verve_worker_progress(p->a) != 0) {
            run = 0;
        } else if (++run > IDLE_YIELD_POLLS) {
            ++bound;
        }
    }
    printf("rc pair: %lu progress calls, %lu bound to yield\n", calls,
           bound);
}

int main(int argc, char **argv)
{
    verve_mem_map_params_t mp = {
        .field_mask = VERVE_MEM_MAP_PARAM_FIELD_LENGTH |
                      VERVE_MEM_MAP_PARAM_FIELD_FLAGS,
        .length = BIG, .flags = VERVE_MEM_MAP_ALLOCATE};
    verve_ep_params_t ep_params = {0};
    pair_t p = {0};
    verve_mem_h mem;
    verve_rkey_h rkey;
    size_t length;
    void *address, *packed;

    alarm(200);
    /* Default features: all, wakeup included. */
    check(verve_context_create(NULL, &p.context) == VERVE_OK, "context");
    check(verve_worker_create(p.context, NULL, &p.a) == VERVE_OK, "worker");
    check(verve_worker_create(p.context, NULL, &p.b) == VERVE_OK, "worker");
    check(verve_worker_address_pack(p.b, &address, &length) == VERVE_OK,
          "address");
    ep_params.field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS;
    ep_params.address = address;
    ep_params.address_length = length;
    check(verve_ep_create(p.a, &ep_params, &p.ab) == VERVE_OK, "ep");
    verve_worker_address_release(address);

    if (argc == 3 && strcmp(argv[1], "idle") == 0) {
        idle_run(&p, strtoul(argv[2], NULL, 10));
        return 0;
    }
    check(argc == 1, "usage: rc_pair [idle N]");
    test_wakeup(&p);
    check(verve_mem_map(p.context, &mp, &mem) == VERVE_OK, "mem map");
    check(verve_rkey_pack(p.context, mem, &packed, &length) == VERVE_OK,
          "rkey pack");
    check(verve_rkey_unpack(p.ab, packed, length, &rkey) == VERVE_OK,
          "rkey unpack");
    verve_rkey_buffer_release(packed);
    test_big_rma(&p, mem, rkey);
    test_atomics(&p, mem, rkey);

    verve_rkey_destroy(rkey);
    verve_mem_unmap(p.context, mem);
    {
        verve_request_h req = NULL;
        pair_wait(&p, verve_ep_close_nbx(p.ab, VERVE_EP_CLOSE_FLUSH, NULL,
                                         &req), &req, "close");
    }
    verve_worker_destroy(p.b);
    verve_worker_destroy(p.a);
    verve_context_destroy(p.context);
    printf("rc pair: all checks passed\n");
    return 0;
}
