/*
 * Every VERVE_* setting's accepted values, as context creation sees them:
 * a value outside what the code needs stops verve_context_create with
 * VERVE_ERR_INVALID_CONFIG and one message naming the variable and the
 * value, whichever component reads it and whether or not a transport of
 * this context uses it (regression: VERVE_SHM_BCOPY_MAX=1 to 107 passed
 * and aborted the rank on its first wireup; =0 turned shm off and the job
 * ran on tcp).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <verve/verve.h>
#include <verve/verve_coll.h>

#include "core/base/config.h"
#include "../core/stderr_capture.h"

#define TEST_NAME_MAX 128

/* Creates a context with name=value set; returns its status and what it
 * logged (free() it). */
static verve_status_t test_context_with(const char *name, const char *value,
                                        char **log_p)
{
    stderr_capture_t capture;
    verve_context_h context = NULL;
    verve_status_t status;

    if (value != NULL) {
        assert_int_equal(setenv(name, value, 1), 0);
    }
    stderr_capture_start(&capture);
    status = verve_context_create(NULL, &context);
    *log_p = stderr_capture_stop(&capture);
    if (status == VERVE_OK) {
        verve_context_destroy(context);
    }
    unsetenv(name);
    return status;
}

static void test_expect_rejected(const char *name, const char *value)
{
    char *log;
    verve_status_t status = test_context_with(name, value, &log);

    if (status != VERVE_ERR_INVALID_CONFIG) {
        fail_msg("%s=%s: context creation returned %s", name, value,
                 verve_status_string(status));
    }
    if ((strstr(log, name) == NULL) || (strstr(log, value) == NULL) ||
        (strstr(log, "invalid value") == NULL)) {
        fail_msg("%s=%s: the error does not name the variable and the "
                 "value: %s", name, value, log);
    }
    free(log);
}

static void test_expect_accepted(const char *name, const char *value)
{
    char *log;
    verve_status_t status = test_context_with(name, value, &log);

    if (status != VERVE_OK) {
        fail_msg("%s=%s: context creation returned %s: %s", name, value,
                 verve_status_string(status), log);
    }
    free(log);
}

/* Texts just outside a ranged field's bounds; returns their count. */
static unsigned test_out_of_range(const vs_config_parser_t *parser,
                                  char texts[2][64])
{
    unsigned count = 0;

    if (parser->describe == vs_config_describe_uint) {
        const vs_config_uint_range_t *range = parser->arg;
        if (range->min > 0) {
            snprintf(texts[count++], 64, "%u", range->min - 1);
        }
        if (range->max < UINT_MAX) {
            snprintf(texts[count++], 64, "%llu",
                     (unsigned long long)range->max + 1);
        }
    } else if (parser->describe == vs_config_describe_size) {
        const vs_config_size_range_t *range = parser->arg;
        if (range->min > 0) {
            snprintf(texts[count++], 64, "%zu", range->min - 1);
        }
        if (range->max < SIZE_MAX) {
            snprintf(texts[count++], 64, "%zu", range->max + 1);
        }
    } else if (parser->describe == vs_config_describe_time) {
        const vs_config_time_range_t *range = parser->arg;
        if (range->min > 0) {
            snprintf(texts[count++], 64, "%.17gs", range->min / 2);
        }
        if (isfinite(range->max)) {
            snprintf(texts[count++], 64, "%.17gs", range->max * 2);
        }
    }
    return count;
}

/* Every ranged setting of every component: just below and just above its
 * range is refused at context creation. */
static void test_ranges_refused(void **state)
{
    char name[TEST_NAME_MAX], texts[2][64];
    const vs_config_table_t *table;
    unsigned ranged = 0, count;

    (void)state;
    for (table = vs_config_first(); table != NULL; table = table->next) {
        for (size_t i = 0; i < table->num_fields; ++i) {
            const vs_config_field_t *field = &table->fields[i];
            vs_config_env_name(table, field, name, sizeof(name));
            count = test_out_of_range(&field->parser, texts);
            for (unsigned j = 0; j < count; ++j) {
                test_expect_rejected(name, texts[j]);
            }
            ranged += (field->parser.describe != NULL);
        }
    }
    /* shm, tcp, the engine and the collectives at least */
    assert_true(ranged >= 10);
}

/* Every setting that is not free text refuses a malformed value at
 * context creation, the same way whichever component reads it. */
static void test_malformed_refused(void **state)
{
    char name[TEST_NAME_MAX];
    const vs_config_table_t *table;

    (void)state;
    for (table = vs_config_first(); table != NULL; table = table->next) {
        for (size_t i = 0; i < table->num_fields; ++i) {
            const vs_config_field_t *field = &table->fields[i];
            if (field->parser.parse == vs_config_parse_string) {
                continue;
            }
            vs_config_env_name(table, field, name, sizeof(name));
            test_expect_rejected(name, "x1-not-a-value");
        }
    }
}

/* The values, and what depends on other settings or on the
 * code's own messages. */
static void test_dependent_values(void **state)
{
    static const struct {
        const char *name;
        const char *value;
    } rejected[] = {
        {"VERVE_SHM_BCOPY_MAX", "0"},
        {"VERVE_SHM_BCOPY_MAX", "1"},
        {"VERVE_SHM_BCOPY_MAX", "107"},
        {"VERVE_SHM_BCOPY_MAX", "255"},
        {"VERVE_SHM_FIFO_SIZE", "12k"},
        {"VERVE_TCP_BCOPY_MAX", "100"},
        {"VERVE_TCP_SHORT_MAX", "8m"},
        {"VERVE_TCP_PORT_RANGE", "9000-8000"},
        {"VERVE_RC_SEG_SIZE", "64"},
        {"VERVE_RC_SQ_SIZE", "100"},
        {"VERVE_RC_SIGNAL_EVERY", "128"},
        {"VERVE_UD_RTO_MAX", "1ms"},
        {"VERVE_UD_MAX_MSG", "100"},
        {"VERVE_COLL_SHM_RADIX", "1"},
        {"VERVE_COLL_SHM_SLOT", "32"},
        {"VERVE_FAILURE_CHECK", "inf"},
        {"VERVE_TLS", "shm,nope"},
    };
    char *log;

    (void)state;
    for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); ++i) {
        test_expect_rejected(rejected[i].name, rejected[i].value);
    }
    /* a bcopy of a quarter of the ring is the most that leaves room */
    assert_int_equal(setenv("VERVE_SHM_FIFO_SIZE", "64k", 1), 0);
    test_expect_rejected("VERVE_SHM_BCOPY_MAX", "16k");
    test_expect_accepted("VERVE_SHM_BCOPY_MAX", "16368");
    unsetenv("VERVE_SHM_FIFO_SIZE");
    test_expect_accepted("VERVE_SHM_BCOPY_MAX", "256");
    /* the default short limit (64k) exceeds such a bcopy */
    test_expect_rejected("VERVE_TCP_BCOPY_MAX", "256");
    assert_int_equal(setenv("VERVE_TCP_SHORT_MAX", "256", 1), 0);
    test_expect_accepted("VERVE_TCP_BCOPY_MAX", "256");
    unsetenv("VERVE_TCP_SHORT_MAX");

    /* the message says what is accepted */
    assert_int_equal(test_context_with("VERVE_SHM_BCOPY_MAX", "107", &log),
                     VERVE_ERR_INVALID_CONFIG);
    if (strstr(log, "from 256 to") == NULL) {
        fail_msg("no accepted range in: %s", log);
    }
    free(log);
}

static void test_finish(verve_worker_h *workers, verve_status_t status,
                        verve_request_h request)
{
    if (status == VERVE_INPROGRESS) {
        while ((status = verve_request_test(request)) == VERVE_INPROGRESS) {
            verve_worker_progress(workers[0]);
            verve_worker_progress(workers[1]);
        }
        verve_request_free(request);
    }
    assert_int_equal(status, VERVE_OK);
}

static verve_status_t test_am_cb(void *arg, const void *header,
                                 size_t header_length, void *data,
                                 size_t length,
                                 const verve_am_recv_param_t *param)
{
    (void)header, (void)header_length, (void)data, (void)length;
    (void)param;
    ++*(unsigned *)arg;
    return VERVE_OK;
}

/* The smallest accepted bcopy carries the engine's wireup, whose address
 * has an entry per transport: two workers talk over shm with tcp open
 * too at VERVE_SHM_BCOPY_MAX=256. */
static void test_smallest_bcopy_works(void **state)
{
    verve_ep_params_t ep_params = {
        .field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS
    };
    verve_request_param_t param = {.op_attr_mask = 0};
    unsigned received = 0;
    verve_am_handler_params_t handler = {
        .field_mask = VERVE_AM_HANDLER_PARAM_FIELD_ID |
                      VERVE_AM_HANDLER_PARAM_FIELD_CB |
                      VERVE_AM_HANDLER_PARAM_FIELD_ARG,
        .id = 1, .cb = test_am_cb, .arg = &received
    };
    char payload[200] = "through the smallest ring record";
    verve_context_h context;
    verve_worker_h workers[2];
    verve_request_h request = NULL;
    verve_status_t status;
    verve_ep_h ep;
    size_t length;
    void *address;

    (void)state;
    assert_int_equal(setenv("VERVE_TLS", "shm,tcp", 1), 0);
    assert_int_equal(setenv("VERVE_SHM_BCOPY_MAX", "256", 1), 0);
    assert_int_equal(verve_context_create(NULL, &context), VERVE_OK);
    assert_int_equal(verve_worker_create(context, NULL, &workers[0]),
                     VERVE_OK);
    assert_int_equal(verve_worker_create(context, NULL, &workers[1]),
                     VERVE_OK);
    assert_int_equal(verve_worker_set_am_handler(workers[1], &handler),
                     VERVE_OK);
    assert_int_equal(verve_worker_address_pack(workers[1], &address,
                                               &length), VERVE_OK);
    ep_params.address = address;
    ep_params.address_length = length;
    assert_int_equal(verve_ep_create(workers[0], &ep_params, &ep), VERVE_OK);
    verve_worker_address_release(address);
    status = verve_am_send_nbx(ep, 1, NULL, 0, payload, sizeof(payload),
                               &param, &request);
    test_finish(workers, status, request);
    while (received == 0) {
        verve_worker_progress(workers[1]);
        verve_worker_progress(workers[0]);
    }
    status = verve_ep_close_nbx(ep, VERVE_EP_CLOSE_FLUSH, &param, &request);
    test_finish(workers, status, request);
    verve_worker_destroy(workers[1]);
    verve_worker_destroy(workers[0]);
    verve_context_destroy(context);
    unsetenv("VERVE_SHM_BCOPY_MAX");
    unsetenv("VERVE_TLS");
}

/* A caller's default transports (what the MPI components pass for a
 * one-node job) are used, checked like VERVE_TLS, and lose to it. */
static void test_context_tls_param(void **state)
{
    verve_context_params_t params = {
        .field_mask = VERVE_CONTEXT_PARAM_FIELD_TLS,
        .tls = "shm,nope"
    };
    verve_ep_params_t ep_params = {
        .field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS
    };
    verve_context_h context;
    verve_worker_h workers[2];
    verve_ep_h ep = NULL;
    size_t length;
    void *address;

    (void)state;
    unsetenv("VERVE_TLS");
    assert_int_equal(verve_context_create(&params, &context),
                     VERVE_ERR_INVALID_CONFIG);
    assert_int_equal(setenv("VERVE_TLS", "all", 1), 0);
    assert_int_equal(verve_context_create(&params, &context), VERVE_OK);
    verve_context_destroy(context);
    unsetenv("VERVE_TLS");
    /* self alone reaches no other worker, where the default's shm would */
    params.tls = "self";
    assert_int_equal(verve_context_create(&params, &context), VERVE_OK);
    assert_int_equal(verve_worker_create(context, NULL, &workers[0]),
                     VERVE_OK);
    assert_int_equal(verve_worker_create(context, NULL, &workers[1]),
                     VERVE_OK);
    assert_int_equal(verve_worker_address_pack(workers[1], &address,
                                               &length), VERVE_OK);
    ep_params.address = address;
    ep_params.address_length = length;
    assert_int_equal(verve_ep_create(workers[0], &ep_params, &ep),
                     VERVE_ERR_UNREACHABLE);
    verve_worker_address_release(address);
    verve_worker_destroy(workers[1]);
    verve_worker_destroy(workers[0]);
    verve_context_destroy(context);
}

int main(void)
{
    /* This test links the library's objects from an archive, which takes
     * only those something calls: one call into the collectives brings
     * them, and with them the settings they register, as libverve.so
     * always has them. */
    const void *volatile coll_linked = (const void *)verve_team_create_nbx;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges_refused),
        cmocka_unit_test(test_malformed_refused),
        cmocka_unit_test(test_dependent_values),
        cmocka_unit_test(test_smallest_bcopy_works),
        cmocka_unit_test(test_context_tls_param),
    };

    (void)coll_linked;

    return cmocka_run_group_tests(tests, NULL, NULL);
}
