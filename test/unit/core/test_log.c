/* Unit tests of logging: filtering, format, errno, VERVE_LOG_LEVEL. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base/log.h"
#include "stderr_capture.h"

static int test_reset_level(void **state)
{
    (void)state;
    unsetenv("VERVE_LOG_LEVEL");
    vs_log_level = VS_LOG_WARN;
    return 0;
}

static void test_level_names(void **state)
{
    (void)state;
    assert_string_equal(vs_log_level_name(VS_LOG_FATAL), "fatal");
    assert_string_equal(vs_log_level_name(VS_LOG_ERROR), "error");
    assert_string_equal(vs_log_level_name(VS_LOG_WARN), "warn");
    assert_string_equal(vs_log_level_name(VS_LOG_INFO), "info");
    assert_string_equal(vs_log_level_name(VS_LOG_DEBUG), "debug");
    assert_string_equal(vs_log_level_name(VS_LOG_TRACE), "trace");
    assert_string_equal(vs_log_level_name(VS_LOG_LAST), "unknown");
    assert_string_equal(vs_log_level_name((vs_log_level_t)-1), "unknown");
}

static int test_side_effect(int *counter)
{
    return ++*counter;
}

static void test_filtering(void **state)
{
    stderr_capture_t capture;
    int evaluated = 0;
    char *text;

    (void)state;
    assert_int_equal(vs_log_level, VS_LOG_WARN);
    stderr_capture_start(&capture);
    vs_error("message-error");
    vs_warn("message-warn");
    vs_info("message-info %d", test_side_effect(&evaluated));
    vs_debug("message-debug %d", test_side_effect(&evaluated));
    vs_trace("message-trace %d", test_side_effect(&evaluated));
    text = stderr_capture_stop(&capture);

    assert_non_null(strstr(text, "message-error"));
    assert_non_null(strstr(text, "message-warn"));
    assert_null(strstr(text, "message-info"));
    assert_null(strstr(text, "message-debug"));
    assert_null(strstr(text, "message-trace"));
    /* Arguments of filtered messages are not evaluated. */
    assert_int_equal(evaluated, 0);
    free(text);

    vs_log_level = VS_LOG_TRACE;
    stderr_capture_start(&capture);
    vs_debug("message-debug %d", test_side_effect(&evaluated));
    vs_trace("message-trace");
    text = stderr_capture_stop(&capture);
    assert_non_null(strstr(text, "message-debug 1"));
#ifdef VS_ENABLE_TRACE
    assert_non_null(strstr(text, "message-trace"));
#else
    assert_null(strstr(text, "message-trace"));
#endif
    assert_int_equal(evaluated, 1);
    free(text);
}

static void test_format(void **state)
{
    stderr_capture_t capture;
    char hostname[64] = "";
    char expected[256];
    char *dot;
    char *text;
    int line;

    (void)state;
    gethostname(hostname, sizeof(hostname) - 1);
    dot = strchr(hostname, '.');
    if (dot != NULL) {
        *dot = '\0';
    }

    stderr_capture_start(&capture);
    line = __LINE__ + 1;
    vs_error("rc: post to peer %d failed: %s", 3, "ENOMEM");
    text = stderr_capture_stop(&capture);
    snprintf(expected, sizeof(expected),
             "[%s:%d] verve ERROR test_log.c:%d rc: post to peer 3 failed: "
             "ENOMEM\n", hostname, (int)getpid(), line);
    assert_string_equal(text, expected);
    free(text);
}

static void test_long_message(void **state)
{
    stderr_capture_t capture;
    char long_text[4000];
    size_t length;
    char *text;

    (void)state;
    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    stderr_capture_start(&capture);
    vs_error("%s", long_text);
    text = stderr_capture_stop(&capture);
    length = strlen(text);
    /* Cut, marked as cut, and still one line. */
    assert_true(length < 1100);
    assert_string_equal(text + length - 4, "...\n");
    assert_ptr_equal(strchr(text, '\n'), text + length - 1);
    free(text);
}

static void test_errno_preserved(void **state)
{
    stderr_capture_t capture;
    int saved_fd;
    char *text;

    (void)state;
    stderr_capture_start(&capture);
    errno = EAGAIN;
    vs_error("errno is %d", errno);
    assert_int_equal(errno, EAGAIN);
    text = stderr_capture_stop(&capture);
    free(text);

    /* Even when the write itself fails (stderr closed: EBADF). */
    fflush(stderr);
    saved_fd = dup(STDERR_FILENO);
    assert_true(saved_fd >= 0);
    close(STDERR_FILENO);
    errno = ENOENT;
    vs_error("lost");
    assert_int_equal(errno, ENOENT);
    assert_int_equal(dup2(saved_fd, STDERR_FILENO), STDERR_FILENO);
    close(saved_fd);
}

static void test_log_init(void **state)
{
    stderr_capture_t capture;
    char *text;

    (void)state;
    setenv("VERVE_LOG_LEVEL", "debug", 1);
    assert_int_equal(vs_log_init(), VERVE_OK);
    assert_int_equal(vs_log_level, VS_LOG_DEBUG);
    /* Idempotent. */
    assert_int_equal(vs_log_init(), VERVE_OK);
    assert_int_equal(vs_log_level, VS_LOG_DEBUG);

    setenv("VERVE_LOG_LEVEL", "Trace", 1);
    assert_int_equal(vs_log_init(), VERVE_OK);
    assert_int_equal(vs_log_level, VS_LOG_TRACE);

    setenv("VERVE_LOG_LEVEL", "error", 1);
    assert_int_equal(vs_log_init(), VERVE_OK);
    assert_int_equal(vs_log_level, VS_LOG_ERROR);

    /* A bad value is reported and changes nothing. */
    setenv("VERVE_LOG_LEVEL", "loud", 1);
    stderr_capture_start(&capture);
    assert_int_equal(vs_log_init(), VERVE_ERR_INVALID_CONFIG);
    text = stderr_capture_stop(&capture);
    assert_int_equal(vs_log_level, VS_LOG_ERROR);
    assert_non_null(strstr(text, "invalid value 'loud' for VERVE_LOG_LEVEL: "
                                 "expected fatal, error, warn, info, debug, "
                                 "trace"));
    free(text);

    unsetenv("VERVE_LOG_LEVEL");
    assert_int_equal(vs_log_init(), VERVE_OK);
    assert_int_equal(vs_log_level, VS_LOG_WARN);
}

/* Several processes log into one pipe at once; every line must arrive
 * whole, which holds only if each line is a single write(). */
static void test_lines_do_not_interleave(void **state)
{
    enum { NUM_CHILDREN = 4, NUM_LINES = 200 };
    char chunk[4096];
    char *all = NULL;
    size_t total = 0;
    int lines = 0;
    int saved_fd;
    int fds[2];
    ssize_t ret;
    int status;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    fflush(stderr);
    saved_fd = dup(STDERR_FILENO);
    assert_int_equal(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
    for (int c = 0; c < NUM_CHILDREN; ++c) {
        if (fork() == 0) {
            close(fds[0]);
            for (int i = 0; i < NUM_LINES; ++i) {
                vs_error("child %d line %d %s", c, i,
                         "payload-payload-payload-payload-payload-payload");
            }
            _exit(0);
        }
    }
    dup2(saved_fd, STDERR_FILENO);
    close(saved_fd);
    close(fds[1]);

    while ((ret = read(fds[0], chunk, sizeof(chunk))) > 0) {
        all = realloc(all, total + (size_t)ret + 1);
        assert_non_null(all);
        memcpy(all + total, chunk, (size_t)ret);
        total += (size_t)ret;
    }
    close(fds[0]);
    for (int c = 0; c < NUM_CHILDREN; ++c) {
        assert_true(wait(&status) > 0);
        assert_true(WIFEXITED(status) && (WEXITSTATUS(status) == 0));
    }
    assert_non_null(all);
    all[total] = '\0';

    for (char *line = strtok(all, "\n"); line != NULL;
         line = strtok(NULL, "\n")) {
        assert_true(line[0] == '[');
        assert_non_null(strstr(line, "] verve ERROR test_log.c:"));
        assert_non_null(strstr(line, " payload-payload-payload-payload-"
                                     "payload-payload"));
        assert_null(strchr(line + 1, '['));
        ++lines;
    }
    assert_int_equal(lines, NUM_CHILDREN * NUM_LINES);
    free(all);
}

/* Runs this program again with VERVE_LOG_LEVEL=value and returns the
 * level its constructor applied, as the child prints it. */
static const char *test_argv0;

static void check_level_at_start(const char *value, const char *expected)
{
    char output[64] = "";
    int fds[2];
    int status;
    ssize_t ret;
    pid_t pid;

    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *const argv[] = {(char *)test_argv0, "--print-level", NULL};
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        setenv("VERVE_LOG_LEVEL", value, 1);
        execv(test_argv0, argv);
        _exit(127);
    }
    close(fds[1]);
    ret = read(fds[0], output, sizeof(output) - 1);
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && (WEXITSTATUS(status) == 0));
    assert_true(ret > 0);
    /* Nothing but the level: a bad value is not reported before main(). */
    assert_string_equal(output, expected);
}

static void test_level_from_constructor(void **state)
{
    (void)state;
    check_level_at_start("info", "info\n");
    check_level_at_start("TRACE", "trace\n");
    check_level_at_start("bogus", "warn\n");
}

int main(int argc, char **argv)
{
    if ((argc > 1) && (strcmp(argv[1], "--print-level") == 0)) {
        printf("%s\n", vs_log_level_name(vs_log_level));
        return 0;
    }
    test_argv0 = argv[0];

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_level_names, test_reset_level),
        cmocka_unit_test_setup(test_filtering, test_reset_level),
        cmocka_unit_test_setup(test_format, test_reset_level),
        cmocka_unit_test_setup(test_long_message, test_reset_level),
        cmocka_unit_test_setup(test_errno_preserved, test_reset_level),
        cmocka_unit_test_setup(test_log_init, test_reset_level),
        cmocka_unit_test_setup(test_lines_do_not_interleave,
                               test_reset_level),
        cmocka_unit_test_setup(test_level_from_constructor,
                               test_reset_level),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
