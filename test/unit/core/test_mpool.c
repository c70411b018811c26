/* Unit tests of the memory pool. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "../unit_skip.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base/log.h"
#include "core/base/mpool.h"
#include "stderr_capture.h"

#define TEST_NUM_ELEMS 1000

static void test_invalid_params(void **state)
{
    vs_mpool_t mp;

    (void)state;
    vs_log_level = VS_LOG_FATAL;
    assert_int_equal(vs_mpool_init(&mp, "zero", 0, 8, 16, 0),
                     VERVE_ERR_INVALID_PARAM);
    assert_int_equal(vs_mpool_init(&mp, "odd-align", 32, 24, 16, 0),
                     VERVE_ERR_INVALID_PARAM);
    vs_log_level = VS_LOG_WARN;
}

/* Fills every element with a pattern of its own before checking any, so
 * that overlapping elements (a stride or layout bug) corrupt a pattern. */
static void check_pool(size_t elem_size, size_t align, unsigned grow)
{
    unsigned char *elems[TEST_NUM_ELEMS];
    vs_mpool_t mp;
    unsigned num_elems;

    assert_int_equal(vs_mpool_init(&mp, "test", elem_size, align, grow, 0),
                     VERVE_OK);
    for (size_t i = 0; i < TEST_NUM_ELEMS; ++i) {
        elems[i] = vs_mpool_get(&mp);
        assert_non_null(elems[i]);
        if (align != 0) {
            assert_int_equal((uintptr_t)elems[i] % align, 0);
        }
        assert_int_equal((uintptr_t)elems[i] % sizeof(void *), 0);
        memset(elems[i], (int)(i & 0xff), elem_size);
    }
    assert_int_equal(mp.num_in_use, TEST_NUM_ELEMS);
    for (size_t i = 0; i < TEST_NUM_ELEMS; ++i) {
        for (size_t j = 0; j < elem_size; ++j) {
            assert_int_equal(elems[i][j], i & 0xff);
        }
    }

    for (size_t i = 0; i < TEST_NUM_ELEMS; ++i) {
        vs_mpool_put(elems[i]);
    }
    assert_int_equal(mp.num_in_use, 0);

    /* Warm: getting everything again allocates no new chunk. */
    num_elems = mp.num_elems;
    for (size_t i = 0; i < TEST_NUM_ELEMS; ++i) {
        elems[i] = vs_mpool_get(&mp);
        assert_non_null(elems[i]);
    }
    assert_int_equal(mp.num_elems, num_elems);
    for (size_t i = 0; i < TEST_NUM_ELEMS; ++i) {
        vs_mpool_put(elems[i]);
    }
    vs_mpool_cleanup(&mp);
    assert_null(mp.chunks);
}

static void test_layouts(void **state)
{
    (void)state;
    check_pool(1, 0, 16);
    check_pool(8, 8, 1);
    check_pool(24, 16, 7);
    check_pool(100, 64, 32);
    check_pool(64, 64, 0);
    check_pool(3000, 4096, 5);
}

static void test_reuse_is_lifo(void **state)
{
    vs_mpool_t mp;
    void *a, *b;

    (void)state;
    assert_int_equal(vs_mpool_init(&mp, "lifo", 32, 0, 4, 0), VERVE_OK);
    a = vs_mpool_get(&mp);
    b = vs_mpool_get(&mp);
    assert_ptr_not_equal(a, b);
    vs_mpool_put(a);
    /* The most recently freed element is the one still in cache. */
    assert_ptr_equal(vs_mpool_get(&mp), a);
    vs_mpool_put(a);
    vs_mpool_put(b);
    vs_mpool_cleanup(&mp);
}

static void test_max_elems(void **state)
{
    void *elems[10];
    vs_mpool_t mp;

    (void)state;
    assert_int_equal(vs_mpool_init(&mp, "bounded", 16, 0, 4, 10), VERVE_OK);
    for (size_t i = 0; i < 10; ++i) {
        elems[i] = vs_mpool_get(&mp);
        assert_non_null(elems[i]);
    }
    assert_int_equal(mp.num_elems, 10);
    assert_null(vs_mpool_get(&mp));
    vs_mpool_put(elems[3]);
    assert_ptr_equal(vs_mpool_get(&mp), elems[3]);
    assert_null(vs_mpool_get(&mp));
    for (size_t i = 0; i < 10; ++i) {
        vs_mpool_put(elems[i]);
    }
    vs_mpool_cleanup(&mp);
}

static void test_cleanup_warns(void **state)
{
    stderr_capture_t capture;
    vs_mpool_t mp;
    char *text;
    void *a;

    (void)state;
    assert_int_equal(vs_mpool_init(&mp, "leaky", 16, 0, 4, 0), VERVE_OK);
    a = vs_mpool_get(&mp);
    (void)vs_mpool_get(&mp);
    vs_mpool_put(a);

    stderr_capture_start(&capture);
    vs_mpool_cleanup(&mp);
    text = stderr_capture_stop(&capture);
    assert_non_null(strstr(text, "mpool leaky: 1 of 4 elements were not "
                                 "put back"));
    free(text);

    /* A clean pool says nothing. */
    assert_int_equal(vs_mpool_init(&mp, "clean", 16, 0, 4, 0), VERVE_OK);
    vs_mpool_put(vs_mpool_get(&mp));
    stderr_capture_start(&capture);
    vs_mpool_cleanup(&mp);
    text = stderr_capture_stop(&capture);
    assert_string_equal(text, "");
    free(text);
}

/* In sanitizer builds a put element is poisoned: touching it kills the
 * process. Run in a child so the test can observe the death. */
static void test_use_after_put_detected(void **state)
{
#if defined(__SANITIZE_ADDRESS__)
    vs_mpool_t mp;
    int status;
    pid_t pid;

    (void)state;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        volatile char *obj;

        /* Keep ASan's report out of the test output. */
        if (freopen("/dev/null", "w", stderr) == NULL) {
            _exit(0);
        }
        if (vs_mpool_init(&mp, "poison", 32, 0, 4, 0) != VERVE_OK) {
            _exit(0);
        }
        obj = vs_mpool_get(&mp);
        obj[0] = 1;
        vs_mpool_put((void *)obj);
        obj[5] = 2;
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_false(WIFEXITED(status) && (WEXITSTATUS(status) == 0));
#else
    (void)state;
    unit_skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_params),
        cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_reuse_is_lifo),
        cmocka_unit_test(test_max_elems),
        cmocka_unit_test(test_cleanup_warns),
        cmocka_unit_test(test_use_after_put_detected),
    };

    return unit_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
