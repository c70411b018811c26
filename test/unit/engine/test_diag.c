/*
 * What verve says when something goes wrong (issue 15, diagnostics): a
 * request whose peer does not progress is warned about once after
 * VERVE_STALL_WARN, and error messages name the argument that is wrong,
 * in the user's own terms.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <verve/verve.h>
#include "core/ve_types.h"
#include "core/base/log.h"
#include "core/base/time.h"
#include "am/va_wire.h"
#include "engine_pair.h"
#include "../core/stderr_capture.h"

static unsigned count_of(const char *text, const char *what)
{
    unsigned count = 0;

    for (text = strstr(text, what); text != NULL;
         text = strstr(text + 1, what)) {
        ++count;
    }
    return count;
}

/* Progresses worker a only, for `ms` milliseconds. */
static void progress_a_for(pair_t *p, unsigned ms)
{
    uint64_t end = vs_time_ns() + (uint64_t)ms * 1000000u;

    while (vs_time_ns() < end) {
        verve_worker_progress(p->a);
    }
}

/* An emulated get whose target does not progress (as one in a barrier
 * of another library): after VERVE_STALL_WARN, one warning that names
 * the peer, the operation and what it waits for; then, once the target
 * progresses, the get completes. */
static void test_stall_warning(void **state)
{
    enum { LEN = 256 };
    pair_t *p = *state;
    verve_mem_map_params_t mp = {
        .field_mask = VERVE_MEM_MAP_PARAM_FIELD_LENGTH |
                      VERVE_MEM_MAP_PARAM_FIELD_FLAGS,
        .length = LEN,
        .flags = VERVE_MEM_MAP_ALLOCATE};
    char peer[32], *log;
    uint8_t dst[LEN];
    verve_request_h req = NULL;
    stderr_capture_t capture;
    unsigned long rounds = 0;
    verve_rkey_h rkey;
    verve_mem_h mem;
    void *packed;
    size_t packed_length;

    assert_int_equal(verve_mem_map(p->context, &mp, &mem), VERVE_OK);
    memset(verve_mem_address(mem), 0x3c, LEN);
    assert_int_equal(verve_rkey_pack(p->context, mem, &packed,
                                     &packed_length), VERVE_OK);
    assert_int_equal(verve_rkey_unpack(p->ab, packed, packed_length, &rkey),
                     VERVE_OK);
    verve_rkey_buffer_release(packed);

    stderr_capture_start(&capture);
    assert_int_equal(verve_get_nbx(p->ab, dst, LEN,
                                   (uint64_t)(uintptr_t)verve_mem_address(
                                           mem), rkey, NULL, &req),
                     VERVE_INPROGRESS);
    /* 20ms limit, 1ms checks: well past it, and again as long after. */
    progress_a_for(p, 200);
    assert_int_equal(verve_request_test(req), VERVE_INPROGRESS);
    progress_a_for(p, 200);
    log = stderr_capture_stop(&capture);

    snprintf(peer, sizeof(peer), "peer %016llx",
             (unsigned long long)p->b->uid);
    if (count_of(log, "get (emulated over AM)") != 1 ||
        count_of(log, peer) != 1 || count_of(log, "target's reply") != 1 ||
        count_of(log, "VERVE_STALL_WARN") != 1) {
        fail_msg("expected one stall warning naming the get, %s and its "
                 "reply; the log:\n%s", peer, log);
    }
    free(log);

    while (verve_request_test(req) == VERVE_INPROGRESS &&
           ++rounds < PAIR_MAX_ROUNDS) {
        pair_progress(p);
    }
    assert_int_equal(verve_request_test(req), VERVE_OK);
    verve_request_free(req);
    assert_memory_equal(dst, verve_mem_address(mem), LEN);
    verve_rkey_destroy(rkey);
    assert_int_equal(verve_mem_unmap(p->context, mem), VERVE_OK);
}

/* verve_mem_map(NULL, ...) once said "a non-zero length is required". */
static void test_mem_map_null_context(void **state)
{
    verve_mem_map_params_t mp = {
        .field_mask = VERVE_MEM_MAP_PARAM_FIELD_LENGTH |
                      VERVE_MEM_MAP_PARAM_FIELD_FLAGS,
        .length = 4096,
        .flags = VERVE_MEM_MAP_ALLOCATE};
    pair_t *p = *state;
    stderr_capture_t capture;
    verve_mem_h mem;
    char *log;

    stderr_capture_start(&capture);
    assert_int_equal(verve_mem_map(NULL, &mp, &mem),
                     VERVE_ERR_INVALID_PARAM);
    assert_int_equal(verve_mem_map(p->context, NULL, &mem),
                     VERVE_ERR_INVALID_PARAM);
    mp.field_mask &= ~(uint64_t)VERVE_MEM_MAP_PARAM_FIELD_LENGTH;
    assert_int_equal(verve_mem_map(p->context, &mp, &mem),
                     VERVE_ERR_INVALID_PARAM);
    log = stderr_capture_stop(&capture);
    if (count_of(log, "the context is NULL") != 1 ||
        count_of(log, "params is NULL") != 1 ||
        count_of(log, "VERVE_MEM_MAP_PARAM_FIELD_LENGTH is not in") != 1 ||
        count_of(log, "non-zero length") != 1) {
        fail_msg("each message should name its argument; the log:\n%s",
                 log);
    }
    free(log);
}

/* A forced-eager AM one byte over the lane's limit: the message gives the
 * user's payload size and the limit on what the user sends, not the wire
 * size with verve's own header in it. */
static void test_eager_limit_message(void **state)
{
    pair_t *p = *state;
    size_t limit = p->ab->lane->caps.am_bcopy_max - sizeof(va_am_header_t);
    verve_request_param_t param = {
        .op_attr_mask = VERVE_OP_ATTR_FIELD_FLAGS,
        .flags = VERVE_AM_SEND_FLAG_EAGER};
    stderr_capture_t capture;
    char payload_text[64], limit_text[64], *log;
    uint8_t *buffer = calloc(1, limit + 1);

    assert_non_null(buffer);
    stderr_capture_start(&capture);
    assert_int_equal(verve_am_send_nbx(p->ab, 3, NULL, 0, buffer, limit + 1,
                                       &param, NULL),
                     VERVE_ERR_INVALID_PARAM);
    log = stderr_capture_stop(&capture);
    snprintf(payload_text, sizeof(payload_text), "%zu payload", limit + 1);
    snprintf(limit_text, sizeof(limit_text), "%zu bytes in all", limit);
    if (strstr(log, payload_text) == NULL ||
        strstr(log, limit_text) == NULL) {
        fail_msg("expected '%s' and '%s' in:\n%s", payload_text, limit_text,
                 log);
    }
    free(log);
    free(buffer);
}

static void user_abort_handler(int sig)
{
    static const char text[] = "the program's own handler ran\n";

    (void)sig;
    if (write(STDERR_FILENO, text, sizeof(text) - 1) < 0) {
        _exit(41);
    }
    _exit(42);
}

/* In a child: a context with VERVE_HANDLE_ERRORS=mode, then the fault.
 * Returns the child's stderr (free() it) and its wait status. */
static char *crash_child(const char *mode, int sig, int user_handler,
                         int *wait_status)
{
    int fds[2];
    char *text = calloc(1, 65536);
    size_t length = 0;
    ssize_t got;
    pid_t pid;

    assert_non_null(text);
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        verve_context_h context;
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        /* Not cmocka's handler, which the child inherited: the default,
         * or the program's own. */
        signal(sig, user_handler ? user_abort_handler : SIG_DFL);
        setenv("VERVE_HANDLE_ERRORS", mode, 1);
        setenv("VERVE_TLS", "self", 1);
        if (verve_context_create(NULL, &context) != VERVE_OK) {
            _exit(3);
        }
        if (sig == SIGSEGV) {
            volatile uintptr_t address = 8;
            *(volatile int *)address = 1;
        }
        raise(sig);
        _exit(4);
    }
    close(fds[1]);
    while (length < 65535 &&
           (got = read(fds[0], text + length, 65535 - length)) > 0) {
        length += (size_t)got;
    }
    close(fds[0]);
    assert_int_equal(waitpid(pid, wait_status, 0), pid);
    return text;
}

/* A fatal signal in a rank prints a backtrace, then the process dies of
 * the same signal (a launcher still sees the cause); the program's own
 * handler, installed before verve's, still runs after it. */
static void test_crash_backtrace(void **state)
{
    int wait_status;
    char *text;

    (void)state;
    text = crash_child("bt", SIGABRT, 0, &wait_status);
    if (strstr(text, "caught signal 6, SIGABRT") == NULL ||
        strstr(text, "backtrace (VERVE_HANDLE_ERRORS=bt)") == NULL ||
        strstr(text, "test_diag(") == NULL) {
        fail_msg("no backtrace through test_diag on SIGABRT:\n%s", text);
    }
    assert_true(WIFSIGNALED(wait_status));
    assert_int_equal(WTERMSIG(wait_status), SIGABRT);
    free(text);

    /* A fault at address 8: named, and still fatal (under ASan its own
     * handler, which was there first, takes the signal after ours). */
    text = crash_child("bt", SIGSEGV, 0, &wait_status);
    if (strstr(text, "caught signal 11, SIGSEGV") == NULL ||
        strstr(text, "at address 0x0000000000000008") == NULL) {
        fail_msg("no report of the SIGSEGV:\n%s", text);
    }
    assert_true(WIFSIGNALED(wait_status) || WEXITSTATUS(wait_status) != 0);
    free(text);

    text = crash_child("bt", SIGABRT, 1, &wait_status);
    if (strstr(text, "caught signal 6") == NULL ||
        strstr(text, "the program's own handler ran") == NULL) {
        fail_msg("backtrace, then the program's handler expected:\n%s",
                 text);
    }
    assert_true(WIFEXITED(wait_status));
    assert_int_equal(WEXITSTATUS(wait_status), 42);
    free(text);

    text = crash_child("none", SIGABRT, 0, &wait_status);
    assert_null(strstr(text, "caught signal"));
    assert_true(WIFSIGNALED(wait_status));
    assert_int_equal(WTERMSIG(wait_status), SIGABRT);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stall_warning, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_mem_map_null_context,
                                        pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_eager_limit_message,
                                        pair_setup, pair_teardown),
        cmocka_unit_test(test_crash_backtrace),
    };

    /* The messages under test are warnings and errors. */
    setenv("VERVE_LOG_LEVEL", "warn", 1);
    setenv("VERVE_RMA_NATIVE", "n", 1);
    setenv("VERVE_FAILURE_CHECK", "1ms", 1);
    setenv("VERVE_STALL_WARN", "20ms", 1);
    tls_under_test = "shm";
    return _cmocka_run_group_tests("diagnostics", tests,
                                   sizeof(tests) / sizeof(tests[0]), NULL,
                                   NULL);
}
