/*
 * Unit tests of the bootstrap: the server driven over raw sockets (well
 * formed and malformed requests, failures), the builtin client against a
 * server run by a thread (allgather, and put/fence/get between ranks run
 * by threads), and the single backend.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <verve/verve_boot.h>
#include "core/base/log.h"
#include "core/boot/boot_server.h"
#include "core/boot/boot_wire.h"

#define TEST_MAX_FDS 64

/* Runs the server until client_fd has something to read (or closed), for
 * at most `rounds` polls of 10 ms. Returns 1 when it has. */
static int test_pump_for(vs_boot_server_t *server, int client_fd,
                         int rounds)
{
    struct pollfd fds[TEST_MAX_FDS];
    struct pollfd client = {.fd = client_fd, .events = POLLIN};
    size_t count;
    int i;

    for (i = 0; i < rounds; ++i) {
        count = vs_boot_server_pollfds(server, fds, TEST_MAX_FDS);
        if (poll(fds, count, 10) > 0) {
            vs_boot_server_progress(server, fds, count);
        }
        if (poll(&client, 1, 0) > 0) {
            return 1;
        }
    }
    return 0;
}

static int test_pump(vs_boot_server_t *server, int client_fd)
{
    return test_pump_for(server, client_fd, 200);
}

static int test_connect(vs_boot_server_t *server)
{
    struct sockaddr_un sa;
    socklen_t sa_len;
    int fd;

    assert_int_equal(vs_boot_wire_sockaddr(vs_boot_server_address(server),
                                           &sa, &sa_len), VERVE_OK);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sa_len), 0);
    return fd;
}

static void test_send(int fd, uint32_t op, uint32_t rank, uint32_t size,
                      const void *payload, uint64_t length)
{
    vs_boot_wire_hdr_t hdr = {
        .magic = VS_BOOT_WIRE_MAGIC, .op = op, .rank = rank, .size = size,
        .length = length,
    };

    assert_int_equal(vs_boot_wire_send(fd, &hdr, sizeof(hdr), 2.0),
                     VERVE_OK);
    if (length > 0) {
        assert_int_equal(vs_boot_wire_send(fd, payload, length, 2.0),
                         VERVE_OK);
    }
}

/* Receives one header; returns the status of the receive. */
static verve_status_t test_recv(vs_boot_server_t *server, int fd,
                                vs_boot_wire_hdr_t *hdr)
{
    assert_true(test_pump(server, fd));
    return vs_boot_wire_recv(fd, hdr, sizeof(*hdr), 2.0);
}

/* Connects `rank` of a job of `size` and checks it is welcomed. */
static int test_hello(vs_boot_server_t *server, unsigned rank,
                      unsigned size)
{
    vs_boot_wire_hdr_t hdr;
    int fd = test_connect(server);

    test_send(fd, VS_BOOT_WIRE_HELLO, rank, size, NULL, 0);
    assert_int_equal(test_recv(server, fd, &hdr), VERVE_OK);
    assert_int_equal(hdr.op, VS_BOOT_WIRE_HELLO_ACK);
    return fd;
}

static void test_expect_fail(vs_boot_server_t *server, int fd,
                             unsigned failed_rank, verve_status_t status)
{
    vs_boot_wire_hdr_t hdr;

    assert_int_equal(test_recv(server, fd, &hdr), VERVE_OK);
    assert_int_equal(hdr.magic, VS_BOOT_WIRE_MAGIC);
    assert_int_equal(hdr.op, VS_BOOT_WIRE_FAIL);
    assert_int_equal(hdr.rank, failed_rank);
    assert_int_equal(hdr.status, status);
}

static void test_expect_closed(vs_boot_server_t *server, int fd)
{
    vs_boot_wire_hdr_t hdr;

    assert_int_equal(test_recv(server, fd, &hdr), VERVE_ERR_PEER_FAILED);
}

static void test_wire_check_request(void **state)
{
    vs_boot_wire_hdr_t hdr = {.magic = VS_BOOT_WIRE_MAGIC};

    (void)state;
    hdr.op = VS_BOOT_WIRE_HELLO;
    assert_true(vs_boot_wire_check_request(&hdr, 4));
    hdr.length = 1;
    assert_false(vs_boot_wire_check_request(&hdr, 4));
    hdr.op = VS_BOOT_WIRE_ALLGATHER;
    hdr.length = VS_BOOT_WIRE_MAX_TOTAL / 4;
    assert_true(vs_boot_wire_check_request(&hdr, 4));
    hdr.length = VS_BOOT_WIRE_MAX_TOTAL / 4 + 1;
    assert_false(vs_boot_wire_check_request(&hdr, 4));
    hdr.length = UINT64_MAX;
    assert_false(vs_boot_wire_check_request(&hdr, 4));
    hdr.length = 0;
    hdr.op = VS_BOOT_WIRE_ALLGATHER_REPLY;  /* only the server sends it */
    assert_false(vs_boot_wire_check_request(&hdr, 4));
    hdr.op = 0;
    assert_false(vs_boot_wire_check_request(&hdr, 4));
    hdr.op = VS_BOOT_WIRE_BYE;
    hdr.magic = ~VS_BOOT_WIRE_MAGIC;
    assert_false(vs_boot_wire_check_request(&hdr, 4));
}

static void test_server_allgather(void **state)
{
    enum { SIZE = 3, LENGTH = 5, ROUNDS = 4 };
    vs_boot_server_t *server;
    vs_boot_wire_hdr_t hdr;
    uint8_t in[LENGTH], out[SIZE * LENGTH];
    int fds[SIZE], rank, round, i;

    (void)state;
    assert_int_equal(vs_boot_server_create(SIZE, &server), VERVE_OK);
    for (rank = 0; rank < SIZE; ++rank) {
        fds[rank] = test_hello(server, (unsigned)rank, SIZE);
    }

    /* Ranks contribute in a different order every round. */
    for (round = 0; round < ROUNDS; ++round) {
        for (i = 0; i < SIZE; ++i) {
            rank = (i + round) % SIZE;
            memset(in, rank * 16 + round, LENGTH);
            test_send(fds[rank], VS_BOOT_WIRE_ALLGATHER, (unsigned)rank, 0,
                      in, LENGTH);
        }
        for (rank = 0; rank < SIZE; ++rank) {
            assert_int_equal(test_recv(server, fds[rank], &hdr), VERVE_OK);
            assert_int_equal(hdr.op, VS_BOOT_WIRE_ALLGATHER_REPLY);
            assert_int_equal(hdr.length, SIZE * LENGTH);
            assert_int_equal(vs_boot_wire_recv(fds[rank], out, sizeof(out),
                                               2.0), VERVE_OK);
            for (i = 0; i < SIZE * LENGTH; ++i) {
                assert_int_equal(out[i], (i / LENGTH) * 16 + round);
            }
        }
    }

    for (rank = 0; rank < SIZE; ++rank) {
        close(fds[rank]);
    }
    vs_boot_server_destroy(server);
}

static void test_server_hello_rejected(void **state)
{
    vs_boot_server_t *server;
    vs_boot_wire_hdr_t hdr;
    int fd, fd0, fd1;

    (void)state;
    assert_int_equal(vs_boot_server_create(2, &server), VERVE_OK);

    fd = test_connect(server);              /* told another job size */
    test_send(fd, VS_BOOT_WIRE_HELLO, 0, 3, NULL, 0);
    test_expect_closed(server, fd);
    close(fd);

    fd = test_connect(server);              /* rank out of range */
    test_send(fd, VS_BOOT_WIRE_HELLO, 2, 2, NULL, 0);
    test_expect_closed(server, fd);
    close(fd);

    fd = test_connect(server);              /* a request before hello */
    test_send(fd, VS_BOOT_WIRE_ALLGATHER, 0, 2, NULL, 0);
    test_expect_closed(server, fd);
    close(fd);

    fd0 = test_hello(server, 0, 2);
    fd = test_connect(server);              /* rank 0 twice */
    test_send(fd, VS_BOOT_WIRE_HELLO, 0, 2, NULL, 0);
    test_expect_closed(server, fd);
    close(fd);

    /* None of that broke the job. */
    fd1 = test_hello(server, 1, 2);
    test_send(fd0, VS_BOOT_WIRE_ALLGATHER, 0, 0, NULL, 0);
    test_send(fd1, VS_BOOT_WIRE_ALLGATHER, 1, 0, NULL, 0);
    assert_int_equal(test_recv(server, fd0, &hdr), VERVE_OK);
    assert_int_equal(hdr.op, VS_BOOT_WIRE_ALLGATHER_REPLY);
    assert_int_equal(hdr.length, 0);

    close(fd0);
    close(fd1);
    vs_boot_server_destroy(server);
}

/* A rank that sends garbage mid-job is dropped like a dead one. */
static void test_server_malformed(void **state)
{
    static const uint32_t garbage[8] = {0xdeadbeef, 1, 2, 3, 4, 5, 6, 7};
    vs_boot_server_t *server;
    uint8_t in[4] = {1, 2, 3, 4};
    int fd0, fd1, fd2;

    (void)state;
    assert_int_equal(vs_boot_server_create(3, &server), VERVE_OK);
    fd0 = test_hello(server, 0, 3);
    fd1 = test_hello(server, 1, 3);
    fd2 = test_hello(server, 2, 3);

    test_send(fd0, VS_BOOT_WIRE_ALLGATHER, 0, 0, in, sizeof(in));
    assert_int_equal(vs_boot_wire_send(fd1, garbage, sizeof(garbage), 2.0),
                     VERVE_OK);
    test_expect_fail(server, fd0, 1, VERVE_ERR_PEER_FAILED);
    test_expect_closed(server, fd1);

    /* Later collectives fail at once, their payload drained first. */
    test_send(fd2, VS_BOOT_WIRE_ALLGATHER, 2, 0, in, sizeof(in));
    test_expect_fail(server, fd2, 1, VERVE_ERR_PEER_FAILED);

    close(fd0);
    close(fd1);
    close(fd2);
    vs_boot_server_destroy(server);
}

static void test_server_length_mismatch(void **state)
{
    vs_boot_server_t *server;
    uint8_t in[8] = {0};
    int fd0, fd1;

    (void)state;
    assert_int_equal(vs_boot_server_create(2, &server), VERVE_OK);
    fd0 = test_hello(server, 0, 2);
    fd1 = test_hello(server, 1, 2);

    test_send(fd0, VS_BOOT_WIRE_ALLGATHER, 0, 0, in, 4);
    test_send(fd1, VS_BOOT_WIRE_ALLGATHER, 1, 0, in, 8);
    test_expect_fail(server, fd0, 1, VERVE_ERR_INVALID_PARAM);
    test_expect_fail(server, fd1, 1, VERVE_ERR_INVALID_PARAM);

    close(fd0);
    close(fd1);
    vs_boot_server_destroy(server);
}

/* A rank that dies before connecting, or finalizes and leaves, must not
 * leave the others waiting. */
static void test_server_rank_gone(void **state)
{
    vs_boot_server_t *server;
    int fd0, fd1;

    (void)state;
    assert_int_equal(vs_boot_server_create(2, &server), VERVE_OK);
    fd0 = test_hello(server, 0, 2);
    test_send(fd0, VS_BOOT_WIRE_ALLGATHER, 0, 0, NULL, 0);
    /* Nothing comes back while rank 1 has not contributed. */
    assert_false(test_pump_for(server, fd0, 5));
    vs_boot_server_rank_exited(server, 1);
    test_expect_fail(server, fd0, 1, VERVE_ERR_PEER_FAILED);
    close(fd0);
    vs_boot_server_destroy(server);

    assert_int_equal(vs_boot_server_create(2, &server), VERVE_OK);
    fd0 = test_hello(server, 0, 2);
    fd1 = test_hello(server, 1, 2);
    test_send(fd0, VS_BOOT_WIRE_BYE, 0, 0, NULL, 0);
    close(fd0);
    vs_boot_server_rank_exited(server, 0);
    test_send(fd1, VS_BOOT_WIRE_ALLGATHER, 1, 0, NULL, 0);
    test_expect_fail(server, fd1, 0, VERVE_ERR_PEER_FAILED);
    close(fd1);
    vs_boot_server_destroy(server);
}

typedef struct test_server_thread {
    vs_boot_server_t *server;
    volatile int stop;
} test_server_thread_t;

static void *test_server_loop(void *arg)
{
    test_server_thread_t *thread = arg;
    struct pollfd fds[TEST_MAX_FDS];
    size_t count;

    while (!thread->stop) {
        count = vs_boot_server_pollfds(thread->server, fds, TEST_MAX_FDS);
        if (poll(fds, count, 10) > 0) {
            vs_boot_server_progress(thread->server, fds, count);
        }
    }
    return NULL;
}

static void test_builtin_client(void **state)
{
    test_server_thread_t thread = {0};
    char in[100], out[100];
    verve_boot_h boot, again = NULL;
    pthread_t tid;

    (void)state;
    assert_int_equal(vs_boot_server_create(1, &thread.server), VERVE_OK);
    assert_int_equal(pthread_create(&tid, NULL, test_server_loop, &thread),
                     0);

    setenv(VS_BOOT_ENV_ADDR, vs_boot_server_address(thread.server), 1);
    setenv(VS_BOOT_ENV_RANK, "0", 1);
    setenv(VS_BOOT_ENV_SIZE, "1", 1);
    assert_int_equal(verve_boot_init(&boot), VERVE_OK);
    assert_string_equal(verve_boot_backend(boot), "builtin");
    assert_int_equal(verve_boot_rank(boot), 0);
    assert_int_equal(verve_boot_size(boot), 1);

    memset(in, 'v', sizeof(in));
    memset(out, 0, sizeof(out));
    assert_int_equal(verve_boot_allgather(boot, in, sizeof(in), out),
                     VERVE_OK);
    assert_memory_equal(in, out, sizeof(in));
    assert_int_equal(verve_boot_barrier(boot), VERVE_OK);

    /* Joining again as the same rank is refused before it reaches the
     * server: it used to connect, break the job and say "peer failed". */
    assert_int_equal(verve_boot_init(&again), VERVE_ERR_BUSY);
    assert_null(again);
    assert_int_equal(verve_boot_barrier(boot), VERVE_OK);
    verve_boot_finalize(boot);

    /* A rank outside the job is a configuration error, not a hang. */
    setenv(VS_BOOT_ENV_RANK, "1", 1);
    assert_int_equal(verve_boot_init(&boot), VERVE_ERR_INVALID_CONFIG);

    unsetenv(VS_BOOT_ENV_ADDR);
    unsetenv(VS_BOOT_ENV_RANK);
    unsetenv(VS_BOOT_ENV_SIZE);
    thread.stop = 1;
    pthread_join(tid, NULL);
    vs_boot_server_destroy(thread.server);
}

#define TEST_KV_RANKS 3

typedef struct test_kv_rank {
    verve_boot_h boot;
    int rank;
    int errors;
} test_kv_rank_t;

#define TEST_KV_CHECK(r, cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "rank %d: %s:%d: %s\n", (r)->rank, __FILE__, \
                    __LINE__, #cond); \
            ++(r)->errors; \
        } \
    } while (0)

/* One rank of a job run by threads: cmocka's asserts are not for threads,
 * so failures are counted and checked by the main thread. */
static void *test_kv_rank_run(void *arg)
{
    test_kv_rank_t *r = arg;
    char value[64], got[64];
    size_t length;
    int peer;

    snprintf(value, sizeof(value), "address of rank %d", r->rank);
    TEST_KV_CHECK(r, verve_boot_put(r->boot, "addr", value,
                                    strlen(value)) == VERVE_OK);
    TEST_KV_CHECK(r, verve_boot_put(r->boot, "addr", "x", 1) ==
                     VERVE_ERR_INVALID_PARAM);
    /* Only rank 1 puts this one: the others send nothing at all. */
    if (r->rank == 1) {
        TEST_KV_CHECK(r, verve_boot_put(r->boot, "only1", NULL, 0) ==
                         VERVE_OK);
    }
    TEST_KV_CHECK(r, verve_boot_fence(r->boot) == VERVE_OK);

    for (peer = 0; peer < TEST_KV_RANKS; ++peer) {
        snprintf(value, sizeof(value), "address of rank %d", peer);
        length = sizeof(got);
        TEST_KV_CHECK(r, verve_boot_get(r->boot, peer, "addr", got,
                                        &length) == VERVE_OK);
        TEST_KV_CHECK(r, (length == strlen(value)) &&
                         (memcmp(got, value, length) == 0));
        length = 2;
        TEST_KV_CHECK(r, verve_boot_get(r->boot, peer, "addr", got,
                                        &length) ==
                         VERVE_ERR_MESSAGE_TRUNCATED);
        TEST_KV_CHECK(r, length == strlen(value));
        length = 0;
        TEST_KV_CHECK(r, verve_boot_get(r->boot, peer, "only1", NULL,
                                        &length) ==
                         ((peer == 1) ? VERVE_OK : VERVE_ERR_NO_ELEM));
    }
    length = sizeof(got);
    TEST_KV_CHECK(r, verve_boot_get(r->boot, TEST_KV_RANKS, "addr", got,
                                    &length) == VERVE_ERR_INVALID_PARAM);

    /* A fence where nobody put anything, then one where only rank 0 did:
     * earlier values stay. */
    TEST_KV_CHECK(r, verve_boot_fence(r->boot) == VERVE_OK);
    if (r->rank == 0) {
        TEST_KV_CHECK(r, verve_boot_put(r->boot, "late", "L", 1) ==
                         VERVE_OK);
    }
    TEST_KV_CHECK(r, verve_boot_fence(r->boot) == VERVE_OK);
    length = sizeof(got);
    TEST_KV_CHECK(r, (verve_boot_get(r->boot, 0, "late", got, &length) ==
                      VERVE_OK) && (length == 1) && (got[0] == 'L'));
    length = sizeof(got);
    TEST_KV_CHECK(r, verve_boot_get(r->boot, TEST_KV_RANKS - 1, "addr",
                                    got, &length) == VERVE_OK);
    /* allgather still works between fences. */
    TEST_KV_CHECK(r, verve_boot_barrier(r->boot) == VERVE_OK);
    return NULL;
}

static void test_builtin_kv(void **state)
{
    test_kv_rank_t ranks[TEST_KV_RANKS];
    test_server_thread_t thread = {0};
    pthread_t tids[TEST_KV_RANKS], tid;
    char number[16];
    int r;

    (void)state;
    assert_int_equal(vs_boot_server_create(TEST_KV_RANKS, &thread.server),
                     VERVE_OK);
    assert_int_equal(pthread_create(&tid, NULL, test_server_loop, &thread),
                     0);

    /* The environment is the process's: ranks start one after another,
     * and only their exchanges run side by side. */
    setenv(VS_BOOT_ENV_ADDR, vs_boot_server_address(thread.server), 1);
    snprintf(number, sizeof(number), "%d", TEST_KV_RANKS);
    setenv(VS_BOOT_ENV_SIZE, number, 1);
    for (r = 0; r < TEST_KV_RANKS; ++r) {
        snprintf(number, sizeof(number), "%d", r);
        setenv(VS_BOOT_ENV_RANK, number, 1);
        ranks[r].rank = r;
        ranks[r].errors = 0;
        assert_int_equal(verve_boot_init(&ranks[r].boot), VERVE_OK);
        assert_int_equal(verve_boot_rank(ranks[r].boot), r);
    }
    unsetenv(VS_BOOT_ENV_ADDR);
    unsetenv(VS_BOOT_ENV_RANK);
    unsetenv(VS_BOOT_ENV_SIZE);

    for (r = 0; r < TEST_KV_RANKS; ++r) {
        assert_int_equal(pthread_create(&tids[r], NULL, test_kv_rank_run,
                                        &ranks[r]), 0);
    }
    for (r = 0; r < TEST_KV_RANKS; ++r) {
        pthread_join(tids[r], NULL);
        assert_int_equal(ranks[r].errors, 0);
    }
    for (r = 0; r < TEST_KV_RANKS; ++r) {
        verve_boot_finalize(ranks[r].boot);
    }
    thread.stop = 1;
    pthread_join(tid, NULL);
    vs_boot_server_destroy(thread.server);
}

static void test_single(void **state)
{
    char in[16] = "single backend", out[16] = {0};
    verve_boot_h boot, again = NULL;
    size_t length;

    (void)state;
    unsetenv(VS_BOOT_ENV_ADDR);
    assert_int_equal(verve_boot_init(&boot), VERVE_OK);
    /* Once per process; again after a finalize. */
    assert_int_equal(verve_boot_init(&again), VERVE_ERR_BUSY);
    assert_null(again);
    verve_boot_finalize(boot);
    assert_int_equal(verve_boot_init(&boot), VERVE_OK);
    assert_string_equal(verve_boot_backend(boot), "single");
    assert_int_equal(verve_boot_rank(boot), 0);
    assert_int_equal(verve_boot_size(boot), 1);
    assert_int_equal(verve_boot_local_rank(boot), 0);
    assert_int_equal(verve_boot_local_size(boot), 1);
    assert_int_equal(verve_boot_allgather(boot, in, sizeof(in), out),
                     VERVE_OK);
    assert_memory_equal(in, out, sizeof(in));
    assert_int_equal(verve_boot_barrier(boot), VERVE_OK);
    assert_int_equal(verve_boot_allgather(boot, NULL, 8, out),
                     VERVE_ERR_INVALID_PARAM);

    /* put/fence/get in a job of one. */
    assert_int_equal(verve_boot_put(boot, "k", in, sizeof(in)), VERVE_OK);
    assert_int_equal(verve_boot_put(boot, "k", in, sizeof(in)),
                     VERVE_ERR_INVALID_PARAM);
    assert_int_equal(verve_boot_put(boot, "", in, sizeof(in)),
                     VERVE_ERR_INVALID_PARAM);
    assert_int_equal(verve_boot_put(boot, "n", NULL, 1),
                     VERVE_ERR_INVALID_PARAM);
    assert_int_equal(verve_boot_fence(boot), VERVE_OK);
    length = sizeof(out);
    memset(out, 0, sizeof(out));
    assert_int_equal(verve_boot_get(boot, 0, "k", out, &length), VERVE_OK);
    assert_int_equal(length, sizeof(in));
    assert_memory_equal(in, out, sizeof(in));
    assert_int_equal(verve_boot_get(boot, 1, "k", out, &length),
                     VERVE_ERR_INVALID_PARAM);
    assert_int_equal(verve_boot_get(boot, 0, "k", out, NULL),
                     VERVE_ERR_INVALID_PARAM);
    length = 1;
    assert_int_equal(verve_boot_get(boot, 0, "k", NULL, &length),
                     VERVE_ERR_INVALID_PARAM);
    length = 0;
    assert_int_equal(verve_boot_get(boot, 0, "none", NULL, &length),
                     VERVE_ERR_NO_ELEM);
    verve_boot_finalize(boot);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_check_request),
        cmocka_unit_test(test_server_allgather),
        cmocka_unit_test(test_server_hello_rejected),
        cmocka_unit_test(test_server_malformed),
        cmocka_unit_test(test_server_length_mismatch),
        cmocka_unit_test(test_server_rank_gone),
        cmocka_unit_test(test_builtin_client),
        cmocka_unit_test(test_builtin_kv),
        cmocka_unit_test(test_single),
    };

    /* The rejections below are expected; their messages are noise. */
    vs_log_level = VS_LOG_FATAL;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
