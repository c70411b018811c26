/* Unit tests of topology detection and the host id. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/wait.h>
#include <unistd.h>

#include "core/base/topo.h"

static void test_topo_sane(void **state)
{
    const vs_topo_info_t *info = vs_topo_get();
    long online = sysconf(_SC_NPROCESSORS_ONLN);

    (void)state;
    assert_non_null(info);
    assert_true(info->num_pus >= 1);
    assert_true(info->num_cores >= 1);
    assert_true(info->num_cores <= info->num_pus);
    assert_true(info->num_numa >= 1);
    assert_true(info->num_numa <= info->num_pus);
    if (!info->from_hwloc && (online > 0)) {
        assert_int_equal(info->num_pus, online);
    }
    /* Cached: the same record every time. */
    assert_ptr_equal(vs_topo_get(), info);
}

static void test_host_id(void **state)
{
    unsigned long long child_id;
    unsigned long long id;
    int fds[2];
    int status;
    pid_t pid;

    (void)state;
    /* Forked before this process computes (and caches) its own id, so
     * that the two computations are independent. */
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_id = vs_topo_host_id();
        _exit(write(fds[1], &child_id, sizeof(child_id)) ==
              sizeof(child_id) ? 0 : 1);
    }
    close(fds[1]);
    id = vs_topo_host_id();
    assert_true(id != 0);
    assert_true(vs_topo_host_id() == id);

    assert_int_equal(read(fds[0], &child_id, sizeof(child_id)),
                     sizeof(child_id));
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && (WEXITSTATUS(status) == 0));
    assert_true(child_id == id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topo_sane),
        cmocka_unit_test(test_host_id),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
