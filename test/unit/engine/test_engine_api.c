/*
 * Public calls and parameters the data tests do not reach: the version
 * string, a region's length, an endpoint's user data, the worker fence,
 * the eager and rendezvous send flags, the context's features, and the
 * self transport's wakeup. Each runs over shm and self where it applies
 * (engine_pair.c), and names what it expected.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <verve/verve.h>
#include "engine_pair.h"
#include "../../pattern.h"

#define AM_ID 21

/* ---- version, region length, endpoint user data ------------------------ */

/* "MAJOR.MINOR" of verve.h, then the end or ".PATCH". */
static void test_version(void **state)
{
    const char *version = verve_version_string();
    char prefix[32];
    size_t length;

    (void)state;
    assert_non_null(version);
    length = (size_t)snprintf(prefix, sizeof(prefix), "%d.%d",
                              VERVE_VERSION_MAJOR, VERVE_VERSION_MINOR);
    if (strncmp(version, prefix, length) != 0 ||
        (version[length] != '\0' && version[length] != '.')) {
        fail_msg("verve_version_string() is '%s', not %s or %s.PATCH",
                 version, prefix, prefix);
    }
}

/* The length mapped, for allocated and for registered memory, at sizes
 * that are not a page's multiple. */
static void test_mem_length(void **state)
{
    static const size_t lengths[] = {1, 4095, 4097, 100000};
    pair_t *p = *state;

    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); ++i) {
        for (int allocate = 0; allocate < 2; ++allocate) {
            verve_mem_map_params_t mp = {
                .field_mask = VERVE_MEM_MAP_PARAM_FIELD_ADDRESS |
                              VERVE_MEM_MAP_PARAM_FIELD_LENGTH |
                              VERVE_MEM_MAP_PARAM_FIELD_FLAGS,
                .length = lengths[i],
                .flags = allocate ? VERVE_MEM_MAP_ALLOCATE : 0};
            void *plain = allocate ? NULL : malloc(lengths[i]);
            verve_mem_h mem;

            mp.address = plain;
            assert_int_equal(verve_mem_map(p->context, &mp, &mem), VERVE_OK);
            if (verve_mem_length(mem) != lengths[i]) {
                fail_msg("verve_mem_length of %s %zu bytes is %zu",
                         allocate ? "allocated" : "registered", lengths[i],
                         verve_mem_length(mem));
            }
            if (!allocate) {
                assert_ptr_equal(verve_mem_address(mem), plain);
            }
            assert_int_equal(verve_mem_unmap(p->context, mem), VERVE_OK);
            free(plain);
        }
    }
}

static void close_ep(pair_t *p, verve_ep_h ep)
{
    verve_request_h req = NULL;
    unsigned long rounds = 0;

    if (verve_ep_close_nbx(ep, VERVE_EP_CLOSE_FLUSH, NULL, &req) ==
        VERVE_INPROGRESS) {
        while (verve_request_test(req) == VERVE_INPROGRESS) {
            assert_true(++rounds < PAIR_MAX_ROUNDS);
            pair_progress(p);
        }
        verve_request_free(req);
    }
}

/* What the endpoint was created with, per endpoint; NULL without the
 * field. */
static void test_ep_user_data(void **state)
{
    pair_t *p = *state;
    int marks[2];
    verve_ep_params_t params = {
        .field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS |
                      VERVE_EP_PARAM_FIELD_USER_DATA};
    verve_ep_h eps[2];
    void *address;
    size_t length;

    assert_int_equal(verve_worker_address_pack(p->b, &address, &length),
                     VERVE_OK);
    params.address = address;
    params.address_length = length;
    for (int i = 0; i < 2; ++i) {
        params.user_data = &marks[i];
        assert_int_equal(verve_ep_create(p->a, &params, &eps[i]), VERVE_OK);
    }
    verve_worker_address_release(address);
    assert_ptr_equal(verve_ep_user_data(eps[0]), &marks[0]);
    assert_ptr_equal(verve_ep_user_data(eps[1]), &marks[1]);
    assert_null(verve_ep_user_data(p->ab));
    for (int i = 0; i < 2; ++i) {
        close_ep(p, eps[i]);
    }
}

/* ---- fence ------------------------------------------------------------- */

/* Over self with RMA emulated (VERVE_RMA_NATIVE=n, see main), a put needs
 * progress to be carried out and answered: it is in flight after the
 * call, and the fence must return only once it has been performed. */
static void test_fence(void **state)
{
    pair_t *p = *state;
    verve_mem_map_params_t mp = {
        .field_mask = VERVE_MEM_MAP_PARAM_FIELD_LENGTH |
                      VERVE_MEM_MAP_PARAM_FIELD_FLAGS,
        .length = 4096, .flags = VERVE_MEM_MAP_ALLOCATE};
    uint64_t values[2] = {0x0123456789abcdefull, 0xfedcba9876543210ull};
    verve_request_h reqs[2] = {NULL, NULL};
    verve_status_t status[2];
    volatile uint64_t *target;
    verve_rkey_h rkey;
    verve_mem_h mem;
    void *packed;
    size_t packed_length;
    uint64_t raddr;

    assert_ptr_equal(p->a, p->b);
    assert_int_equal(verve_mem_map(p->context, &mp, &mem), VERVE_OK);
    target = verve_mem_address(mem);
    target[0] = target[1] = 0;
    raddr = (uint64_t)(uintptr_t)target;
    assert_int_equal(verve_rkey_pack(p->context, mem, &packed,
                                     &packed_length), VERVE_OK);
    assert_int_equal(verve_rkey_unpack(p->ab, packed, packed_length, &rkey),
                     VERVE_OK);
    verve_rkey_buffer_release(packed);

    for (int i = 0; i < 2; ++i) {
        status[i] = verve_put_nbx(p->ab, &values[i], sizeof(values[i]),
                                  raddr + 8 * (uint64_t)i, rkey, NULL,
                                  &reqs[i]);
        /* Without this the test below checks nothing. */
        assert_int_equal(status[i], VERVE_INPROGRESS);
    }
    assert_true(target[0] == 0 && target[1] == 0);
    assert_int_equal(verve_worker_fence(p->a), VERVE_OK);
    for (int i = 0; i < 2; ++i) {
        if (target[i] != values[i]) {
            fail_msg("put %d not performed when the fence returned: "
                     "0x%llx", i, (unsigned long long)target[i]);
        }
        assert_int_equal(verve_request_test(reqs[i]), VERVE_OK);
        verve_request_free(reqs[i]);
    }
    verve_rkey_destroy(rkey);
    assert_int_equal(verve_mem_unmap(p->context, mem), VERVE_OK);
}

/* ---- eager and rendezvous flags ---------------------------------------- */

typedef struct flag_recv {
    unsigned count;
    uint64_t attr;
    size_t length;
    int bad;
    verve_worker_h worker;
    uint8_t buffer[8192];
} flag_recv_t;

static verve_status_t flag_cb(void *arg, const void *header,
                              size_t header_length, void *data, size_t length,
                              const verve_am_recv_param_t *param)
{
    flag_recv_t *st = arg;
    uint64_t id;
    char why[128];

    assert_int_equal(header_length, sizeof(id));
    memcpy(&id, header, sizeof(id));
    st->attr = param->recv_attr;
    st->length = length;
    if (param->recv_attr & VERVE_AM_RECV_ATTR_FLAG_RNDV) {
        assert_true(length <= sizeof(st->buffer));
        assert_int_equal(verve_am_recv_data_nbx(st->worker, data, st->buffer,
                                                length, NULL, NULL),
                         VERVE_OK);
        data = st->buffer;
    }
    st->bad |= pattern_check(id, 0, data, length, why, sizeof(why));
    ++st->count;
    return VERVE_OK;
}

/* Sends length bytes with flags; returns the receive attributes. */
static uint64_t flag_send(pair_t *p, flag_recv_t *st, size_t length,
                          uint32_t flags)
{
    verve_request_param_t param = {.op_attr_mask = VERVE_OP_ATTR_FIELD_FLAGS,
                                   .flags = flags};
    uint64_t id = pattern_id(0x21, st->count);
    uint8_t *buffer = malloc(length + 1);
    unsigned count = st->count;
    verve_request_h req = NULL;
    verve_status_t status;

    pattern_fill(id, 0, buffer, length);
    status = verve_am_send_nbx(p->ab, AM_ID, &id, sizeof(id), buffer, length,
                               &param, &req);
    if (status == VERVE_INPROGRESS) {
        while ((status = verve_request_test(req)) == VERVE_INPROGRESS) {
            pair_progress(p);
        }
        verve_request_free(req);
    }
    assert_int_equal(status, VERVE_OK);
    while (st->count == count) {
        pair_progress(p);
    }
    assert_int_equal(st->length, length);
    assert_false(st->bad);
    free(buffer);
    return st->attr;
}

/* With VERVE_RNDV_THRESH=1000: a 4000-byte message goes by rendezvous,
 * and eagerly with VERVE_AM_SEND_FLAG_EAGER; a 16-byte one by rendezvous
 * with VERVE_AM_SEND_FLAG_RNDV; a message past every transport's eager
 * limit with the eager flag is refused. */
static void test_send_flags(void **state)
{
    pair_t *p;
    flag_recv_t *st = calloc(1, sizeof(*st));
    verve_am_handler_params_t hp = {
        .field_mask = VERVE_AM_HANDLER_PARAM_FIELD_ID |
                      VERVE_AM_HANDLER_PARAM_FIELD_CB |
                      VERVE_AM_HANDLER_PARAM_FIELD_ARG,
        .id = AM_ID, .cb = flag_cb, .arg = st};
    verve_request_param_t eager = {.op_attr_mask = VERVE_OP_ATTR_FIELD_FLAGS,
                                   .flags = VERVE_AM_SEND_FLAG_EAGER};
    size_t huge = 16 << 20;
    uint8_t *buffer = calloc(1, huge);
    verve_request_h req = NULL;

    (void)state;
    setenv("VERVE_RNDV_THRESH", "1000", 1);
    pair_setup((void **)&p);
    unsetenv("VERVE_RNDV_THRESH");
    st->worker = p->b;
    assert_int_equal(verve_worker_set_am_handler(p->b, &hp), VERVE_OK);

    if (!(flag_send(p, st, 4000, 0) & VERVE_AM_RECV_ATTR_FLAG_RNDV)) {
        fail_msg("4000 bytes above VERVE_RNDV_THRESH=1000 came eagerly");
    }
    if (flag_send(p, st, 4000, VERVE_AM_SEND_FLAG_EAGER) &
        VERVE_AM_RECV_ATTR_FLAG_RNDV) {
        fail_msg("4000 bytes with VERVE_AM_SEND_FLAG_EAGER came by "
                 "rendezvous");
    }
    if (!(flag_send(p, st, 16, VERVE_AM_SEND_FLAG_RNDV) &
          VERVE_AM_RECV_ATTR_FLAG_RNDV)) {
        fail_msg("16 bytes with VERVE_AM_SEND_FLAG_RNDV came eagerly");
    }
    assert_int_equal(verve_am_send_nbx(p->ab, AM_ID, NULL, 0, buffer, huge,
                                       &eager, &req),
                     VERVE_ERR_INVALID_PARAM);
    /* and nothing of it arrives */
    for (int i = 0; i < 1000; ++i) {
        pair_progress(p);
    }
    assert_int_equal(st->count, 3);
    free(buffer);
    free(st);
    assert_int_equal(pair_teardown((void **)&p), 0);
}

/* ---- context features and wakeup --------------------------------------- */

/* Without VERVE_FEATURE_WAKEUP verve_worker_wait is refused, with it (and
 * by default) an idle worker's wait times out; verve_request_wait works
 * either way (it does not sleep without the feature). */
static void test_features(void **state)
{
    static const struct {
        uint64_t field_mask, features;
        verve_status_t idle_wait;
    } cases[] = {
        {0, 0, VERVE_ERR_TIMED_OUT},
        {VERVE_CONTEXT_PARAM_FIELD_FEATURES,
         VERVE_FEATURE_AM | VERVE_FEATURE_RMA | VERVE_FEATURE_AMO64,
         VERVE_ERR_UNSUPPORTED},
        {VERVE_CONTEXT_PARAM_FIELD_FEATURES,
         VERVE_FEATURE_AM | VERVE_FEATURE_WAKEUP, VERVE_ERR_TIMED_OUT},
        {VERVE_CONTEXT_PARAM_FIELD_FEATURES | VERVE_CONTEXT_PARAM_FIELD_NAME,
         VERVE_FEATURE_AM, VERVE_ERR_UNSUPPORTED},
    };

    (void)state;
    setenv("VERVE_TLS", tls_under_test, 1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        verve_context_params_t params = {.field_mask = cases[i].field_mask,
                                         .features = cases[i].features,
                                         .name = "test_features"};
        verve_context_h context;
        verve_worker_h worker;
        verve_ep_h ep;
        verve_ep_params_t ep_params = {
            .field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS};
        verve_request_h req = NULL;
        verve_status_t status;
        void *address;

        assert_int_equal(verve_context_create(&params, &context), VERVE_OK);
        assert_int_equal(verve_worker_create(context, NULL, &worker),
                         VERVE_OK);
        /* timeout 0: a refusal or a timeout at once, never a sleep */
        status = verve_worker_wait(worker, 0);
        if (status != cases[i].idle_wait) {
            fail_msg("features 0x%llx (field mask 0x%llx): an idle "
                     "worker's wait returned %s, not %s",
                     (unsigned long long)cases[i].features,
                     (unsigned long long)cases[i].field_mask,
                     verve_status_string(status),
                     verve_status_string(cases[i].idle_wait));
        }
        /* a request completes by verve_request_wait all the same */
        assert_int_equal(verve_worker_address_pack(worker, &address,
                                                   &ep_params.address_length),
                         VERVE_OK);
        ep_params.address = address;
        assert_int_equal(verve_ep_create(worker, &ep_params, &ep), VERVE_OK);
        verve_worker_address_release(address);
        status = verve_ep_flush_nbx(ep, NULL, &req);
        if (status == VERVE_INPROGRESS) {
            status = verve_request_wait(worker, req);
            verve_request_free(req);
        }
        assert_int_equal(status, VERVE_OK);
        req = NULL;
        status = verve_ep_close_nbx(ep, VERVE_EP_CLOSE_FLUSH, NULL, &req);
        if (status == VERVE_INPROGRESS) {
            status = verve_request_wait(worker, req);
            verve_request_free(req);
        }
        assert_int_equal(status, VERVE_OK);
        verve_worker_destroy(worker);
        verve_context_destroy(context);
    }
}

typedef struct self_wake {
    verve_worker_h worker;
    verve_ep_h ep;
    long sleeper;      /* thread id of the thread in verve_worker_wait */
    unsigned count;
} self_wake_t;

static verve_status_t self_wake_cb(void *arg, const void *header,
                                   size_t header_length, void *data,
                                   size_t length,
                                   const verve_am_recv_param_t *param)
{
    (void)header, (void)header_length, (void)data, (void)length, (void)param;
    ++((self_wake_t *)arg)->count;
    return VERVE_OK;
}

static void self_wake_send(self_wake_t *w)
{
    uint8_t byte = 1;

    assert_int_equal(verve_am_send_nbx(w->ep, AM_ID, NULL, 0, &byte, 1, NULL,
                                       NULL), VERVE_OK);
}

/* Sends once the worker's owner sleeps in epoll_wait. */
static void *self_wake_thread(void *arg)
{
    self_wake_t *w = arg;

    pair_wait_asleep(w->sleeper);
    self_wake_send(w);
    return NULL;
}

/* A worker that reaches only itself (self) sleeps and wakes: an idle one
 * times out; one with a message queued does not sleep; one asleep is woken
 * by a message another thread sends it (a multi-thread worker). */
static void test_self_wakeup(void **state)
{
    verve_worker_params_t wp = {
        .field_mask = VERVE_WORKER_PARAM_FIELD_THREAD_MODE,
        .thread_mode = VERVE_THREAD_MODE_MULTI};
    verve_am_handler_params_t hp = {
        .field_mask = VERVE_AM_HANDLER_PARAM_FIELD_ID |
                      VERVE_AM_HANDLER_PARAM_FIELD_CB |
                      VERVE_AM_HANDLER_PARAM_FIELD_ARG,
        .id = AM_ID, .cb = self_wake_cb};
    verve_ep_params_t ep_params = {
        .field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS};
    verve_context_h context;
    verve_request_h req = NULL;
    verve_status_t status;
    self_wake_t w = {0};
    pthread_t thread;
    void *address;

    (void)state;
    setenv("VERVE_TLS", "self", 1);
    assert_int_equal(verve_context_create(NULL, &context), VERVE_OK);
    assert_int_equal(verve_worker_create(context, &wp, &w.worker), VERVE_OK);
    hp.arg = &w;
    assert_int_equal(verve_worker_set_am_handler(w.worker, &hp), VERVE_OK);
    assert_int_equal(verve_worker_address_pack(w.worker, &address,
                                               &ep_params.address_length),
                     VERVE_OK);
    ep_params.address = address;
    assert_int_equal(verve_ep_create(w.worker, &ep_params, &w.ep), VERVE_OK);
    verve_worker_address_release(address);
    while (verve_worker_progress(w.worker) != 0) {
    }

    /* idle */
    assert_int_equal(verve_worker_wait(w.worker, 0), VERVE_ERR_TIMED_OUT);
    /* a message queued before the wait: no sleep at all (a minute would
     * fail the test by its timeout, not by the result) */
    self_wake_send(&w);
    assert_int_equal(w.count, 0);
    assert_int_equal(verve_worker_wait(w.worker, 60000), VERVE_OK);
    while (w.count == 0) {
        verve_worker_progress(w.worker);
    }
    /* asleep, then a message */
    w.sleeper = (long)syscall(SYS_gettid);
    assert_int_equal(pthread_create(&thread, NULL, self_wake_thread, &w), 0);
    status = verve_worker_wait(w.worker, 60000);
    pthread_join(thread, NULL);
    if (status != VERVE_OK) {
        fail_msg("a self worker asleep was not woken by a message to it: "
                 "%s", verve_status_string(status));
    }
    while (w.count == 1) {
        verve_worker_progress(w.worker);
    }
    assert_int_equal(w.count, 2);

    status = verve_ep_close_nbx(w.ep, VERVE_EP_CLOSE_FLUSH, NULL, &req);
    if (status == VERVE_INPROGRESS) {
        status = verve_request_wait(w.worker, req);
        verve_request_free(req);
    }
    assert_int_equal(status, VERVE_OK);
    verve_worker_destroy(w.worker);
    verve_context_destroy(context);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mem_length, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_ep_user_data, pair_setup,
                                        pair_teardown),
        cmocka_unit_test(test_send_flags),
        cmocka_unit_test(test_features),
    };
    const struct CMUnitTest once[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_self_wakeup),
    };
    const struct CMUnitTest fence[] = {
        cmocka_unit_test_setup_teardown(test_fence, pair_setup,
                                        pair_teardown),
    };
    static const char *all[] = {"shm", "self"};
    int failed = 0;

    /* Some tests provoke errors on purpose and check the status codes. */
    setenv("VERVE_LOG_LEVEL", "fatal", 0);
    cmocka_set_message_output(CM_OUTPUT_STDOUT);
    for (int i = 0; i < 2; ++i) {
        if (argc > 1 && strcmp(argv[1], all[i]) != 0) {
            continue;
        }
        tls_under_test = all[i];
        failed += _cmocka_run_group_tests(all[i], tests,
                                          sizeof(tests) / sizeof(tests[0]),
                                          NULL, NULL);
    }
    failed += cmocka_run_group_tests(once, NULL, NULL);
    tls_under_test = "self";
    setenv("VERVE_RMA_NATIVE", "n", 1);
    failed += _cmocka_run_group_tests("fence, self, emulated RMA", fence,
                                      sizeof(fence) / sizeof(fence[0]), NULL,
                                      NULL);
    unsetenv("VERVE_RMA_NATIVE");
    return failed != 0;
}
