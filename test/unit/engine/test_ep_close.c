/*
 * Closing an endpoint from inside a callback about it: a request's
 * completion callback and the endpoint's error callback may close it, and
 * the engine code the callback returns to must not touch the freed
 * endpoint (valgrind and ASan see that read; the tests check what a
 * program sees: every callback ran once, with the status the contract
 * gives, and the worker keeps working).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <verve/verve.h>
#include "core/ve_types.h"
#include "core/ve_ep.h"
#include "engine_pair.h"

typedef struct close_state {
    verve_ep_h *ep;                /* closed by the callback, then NULL */
    verve_ep_close_mode_t mode;
    unsigned put_calls, flush_calls, err_calls;
    verve_status_t put_status, flush_status, err_status, close_status;
} close_state_t;

static void put_close_cb(verve_request_h request, verve_status_t status,
                         void *user_data)
{
    close_state_t *st = user_data;

    (void)request;
    ++st->put_calls;
    st->put_status = status;
    st->close_status = verve_ep_close_nbx(*st->ep, st->mode, NULL, NULL);
    *st->ep = NULL;
}

static void flush_cb(verve_request_h request, verve_status_t status,
                     void *user_data)
{
    close_state_t *st = user_data;

    (void)request;
    ++st->flush_calls;
    st->flush_status = status;
}

static void progress_until(pair_t *p, const unsigned *count)
{
    unsigned long rounds = 0;

    while (*count == 0 && ++rounds < PAIR_MAX_ROUNDS) {
        pair_progress(p);
    }
    assert_int_not_equal(*count, 0);
}

typedef struct region {
    verve_mem_h mem;
    verve_rkey_h rkey;
    uint8_t *base;
} region_t;

enum { REGION_LEN = 64 };

static void region_create(pair_t *p, verve_ep_h ep, region_t *r)
{
    verve_mem_map_params_t mp = {
        .field_mask = VERVE_MEM_MAP_PARAM_FIELD_LENGTH |
                      VERVE_MEM_MAP_PARAM_FIELD_FLAGS,
        .length = REGION_LEN,
        .flags = VERVE_MEM_MAP_ALLOCATE};
    void *packed;
    size_t packed_length;

    assert_int_equal(verve_mem_map(p->context, &mp, &r->mem), VERVE_OK);
    r->base = verve_mem_address(r->mem);
    memset(r->base, 0, REGION_LEN);
    assert_int_equal(verve_rkey_pack(p->context, r->mem, &packed,
                                     &packed_length), VERVE_OK);
    assert_int_equal(verve_rkey_unpack(ep, packed, packed_length, &r->rkey),
                     VERVE_OK);
    verve_rkey_buffer_release(packed);
}

static void region_destroy(pair_t *p, region_t *r)
{
    verve_rkey_destroy(r->rkey);
    assert_int_equal(verve_mem_unmap(p->context, r->mem), VERVE_OK);
}

/* Runs one emulated put whose callback closes the endpoint in `mode`;
 * a flush waits behind the put. */
static void check_put_close(pair_t *p, verve_ep_close_mode_t mode)
{
    close_state_t st = {.ep = &p->ab, .mode = mode,
                        .close_status = VERVE_ERR_LAST};
    verve_request_param_t put_param = {
        .op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                        VERVE_OP_ATTR_FIELD_USER_DATA,
        .cb = put_close_cb, .user_data = &st};
    verve_request_param_t flush_param = put_param;
    verve_request_h put_req = NULL, flush_req = NULL;
    uint8_t src[REGION_LEN];
    region_t r;

    flush_param.cb = flush_cb;
    memset(src, 0x5c, sizeof(src));
    region_create(p, p->ab, &r);

    /* Emulated: the put waits for the target's reply, so its callback
     * runs from progress, inside the engine's completion of a reply. */
    assert_int_equal(verve_put_nbx(p->ab, src, REGION_LEN,
                                   (uint64_t)(uintptr_t)r.base, r.rkey,
                                   &put_param, &put_req), VERVE_INPROGRESS);
    assert_int_equal(verve_ep_flush_nbx(p->ab, &flush_param, &flush_req),
                     VERVE_INPROGRESS);
    progress_until(p, &st.put_calls);
    progress_until(p, &st.flush_calls);
    assert_int_equal(st.put_calls, 1);
    assert_int_equal(st.put_status, VERVE_OK);
    assert_null(p->ab);
    assert_memory_equal(r.base, src, REGION_LEN);
    /* In place for FORCE; a flush close completes once idle, at once
     * here (the put was the last operation): either way no request. */
    assert_int_equal(st.close_status, VERVE_OK);
    assert_int_equal(st.flush_calls, 1);
    assert_int_equal(st.flush_status, VERVE_OK);
    verve_request_free(put_req);
    verve_request_free(flush_req);
    /* The worker still works: a new endpoint to the same peer. */
    pair_connect(p);
    region_destroy(p, &r);
}

static void test_put_cb_closes_force(void **state)
{
    check_put_close(*state, VERVE_EP_CLOSE_FORCE);
}

static void test_put_cb_closes_flush(void **state)
{
    check_put_close(*state, VERVE_EP_CLOSE_FLUSH);
}

static void err_close_cb(void *arg, verve_ep_h ep, verve_status_t status)
{
    close_state_t *st = arg;

    assert_ptr_equal(ep, *st->ep);
    ++st->err_calls;
    st->err_status = status;
    st->close_status = verve_ep_close_nbx(ep, st->mode, NULL, NULL);
    *st->ep = NULL;
}

/* The transport reports the peer failed (as ve_ep_start and the liveness
 * check do) while a put waits for its reply and a flush behind it: the
 * error callback closes the ep. */
static void test_err_cb_closes(void **state)
{
    pair_t *p = *state;
    verve_ep_h ep = NULL;
    close_state_t st = {.ep = &ep, .mode = VERVE_EP_CLOSE_FORCE,
                        .close_status = VERVE_ERR_LAST};
    verve_request_param_t flush_param = {
        .op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                        VERVE_OP_ATTR_FIELD_USER_DATA,
        .cb = flush_cb, .user_data = &st};
    verve_ep_params_t ep_params = {
        .field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS |
                      VERVE_EP_PARAM_FIELD_ERR_HANDLER,
        .err_cb = err_close_cb, .err_arg = &st};
    verve_request_h put_req = NULL, flush_req = NULL;
    uint8_t src[REGION_LEN] = {0};
    void *address;
    size_t length;
    region_t r;

    assert_int_equal(verve_worker_address_pack(p->b, &address, &length),
                     VERVE_OK);
    ep_params.address = address;
    ep_params.address_length = length;
    assert_int_equal(verve_ep_create(p->a, &ep_params, &ep), VERVE_OK);
    verve_worker_address_release(address);
    region_create(p, ep, &r);
    assert_int_equal(verve_put_nbx(ep, src, REGION_LEN,
                                   (uint64_t)(uintptr_t)r.base, r.rkey,
                                   NULL, &put_req), VERVE_INPROGRESS);
    assert_int_equal(verve_ep_flush_nbx(ep, &flush_param, &flush_req),
                     VERVE_INPROGRESS);
    /* The peer-failed path of ve_ep_start and ve_ep_request_done. */
    ve_ep_fail(ep, VERVE_ERR_PEER_FAILED);
    assert_int_equal(st.err_calls, 1);
    assert_int_equal(st.err_status, VERVE_ERR_PEER_FAILED);
    assert_int_equal(st.close_status, VERVE_OK);
    assert_null(ep);
    assert_int_equal(verve_request_test(put_req), VERVE_ERR_PEER_FAILED);
    /* Completed by the close inside the error callback. */
    assert_int_equal(st.flush_calls, 1);
    assert_int_equal(st.flush_status, VERVE_OK);
    verve_request_free(put_req);
    verve_request_free(flush_req);
    region_destroy(p, &r);
    pair_progress(p);
}

static verve_status_t count_am(void *arg, const void *header,
                               size_t header_length, void *data,
                               size_t length,
                               const verve_am_recv_param_t *param)
{
    (void)header, (void)header_length, (void)data, (void)length,
            (void)param;
    ++*(unsigned *)arg;
    return VERVE_OK;
}

typedef struct other_state {
    verve_ep_h *other;       /* closed by the first queued send's callback */
    unsigned calls;
    verve_status_t close_status;
} other_state_t;

static void send_close_other_cb(verve_request_h request,
                                verve_status_t status, void *user_data)
{
    other_state_t *st = user_data;

    (void)request, (void)status;
    if (st->calls++ == 0) {
        st->close_status = verve_ep_close_nbx(*st->other,
                                              VERVE_EP_CLOSE_FORCE, NULL,
                                              NULL);
        *st->other = NULL;
    }
}

/* Two endpoints with sends queued behind a full shm ring: the first
 * one's queued send completes in the worker's pass over such endpoints,
 * and its callback closes the second, the next one in that pass (which
 * kept a pointer to it). */
static void test_send_cb_closes_next_pending(void **state)
{
    pair_t *p = *state;
    verve_am_handler_params_t handler = {
        .field_mask = VERVE_AM_HANDLER_PARAM_FIELD_ID |
                      VERVE_AM_HANDLER_PARAM_FIELD_CB |
                      VERVE_AM_HANDLER_PARAM_FIELD_ARG,
        .id = 4, .cb = count_am};
    verve_ep_params_t ep_params = {
        .field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS};
    verve_ep_h other = NULL;
    other_state_t st = {.other = &other, .close_status = VERVE_ERR_LAST};
    verve_request_param_t param = {
        .op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                        VERVE_OP_ATTR_FIELD_USER_DATA,
        .cb = send_close_other_cb, .user_data = &st};
    unsigned received = 0, sent = 0, rounds = 0;
    uint8_t payload[64] = {0};
    verve_status_t status;
    void *address;
    size_t length;

    handler.arg = &received;
    assert_int_equal(verve_worker_set_am_handler(p->b, &handler), VERVE_OK);
    assert_int_equal(verve_worker_address_pack(p->b, &address, &length),
                     VERVE_OK);
    ep_params.address = address;
    ep_params.address_length = length;
    assert_int_equal(verve_ep_create(p->a, &ep_params, &other), VERVE_OK);
    verve_worker_address_release(address);
    /* b does not progress: the ring fills and the next send queues. */
    do {
        status = verve_am_send_nbx(p->ab, 4, NULL, 0, payload,
                                   sizeof(payload), &param, NULL);
        ++sent;
    } while (status == VERVE_OK && sent < 1000000);
    assert_int_equal(status, VERVE_INPROGRESS);
    assert_int_equal(verve_am_send_nbx(other, 4, NULL, 0, payload,
                                       sizeof(payload), NULL, NULL),
                     VERVE_INPROGRESS);
    while (st.calls == 0 && ++rounds < PAIR_MAX_ROUNDS) {
        pair_progress(p);
    }
    assert_int_equal(st.calls, 1);
    assert_int_equal(st.close_status, VERVE_OK);
    assert_null(other);
    while (received < sent && ++rounds < PAIR_MAX_ROUNDS) {
        pair_progress(p);
    }
    assert_int_equal(received, sent);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_cb_closes_force,
                                        pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_put_cb_closes_flush,
                                        pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_err_cb_closes, pair_setup,
                                        pair_teardown),
    };
    /* Only between two workers: a ring to fill. */
    const struct CMUnitTest shm_tests[] = {
        cmocka_unit_test_setup_teardown(test_send_cb_closes_next_pending,
                                        pair_setup, pair_teardown),
    };
    static const char *all[] = {"self", "shm"};
    int failed = 0, i;

    setenv("VERVE_LOG_LEVEL", "fatal", 0);
    /* Emulated RMA: the put completes from a reply, inside progress. */
    setenv("VERVE_RMA_NATIVE", "n", 1);
    for (i = 0; i < 2; ++i) {
        if (argc > 1 && strcmp(argv[1], all[i]) != 0) {
            continue;
        }
        tls_under_test = all[i];
        failed += _cmocka_run_group_tests(all[i], tests,
                                          sizeof(tests) / sizeof(tests[0]),
                                          NULL, NULL);
        if (strcmp(all[i], "shm") == 0) {
            failed += _cmocka_run_group_tests(
                    "shm, queued sends", shm_tests,
                    sizeof(shm_tests) / sizeof(shm_tests[0]), NULL, NULL);
        }
    }
    return failed != 0;
}
