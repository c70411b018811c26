/* Unit tests of cross-memory attach: the probe and copy between this
 * process and forked children, and the rule of Yama ptrace_scope 1 on
 * real process trees (the refusals themselves are in
 * test/integration/it_cma_refused.sh, under seccomp). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base/cma.h"

/* The same address in a forked child: what the parent reads there. */
static uint64_t test_word = 1;
static char test_buffer[3 * 4096 + 5];

/* A child that sets the globals, says so on fd, then waits for a kill. */
static pid_t test_fork_child(uint64_t word)
{
    int fds[2];
    pid_t pid;
    char c;

    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        test_word = word;
        memset(test_buffer, 'c', sizeof(test_buffer));
        (void)write(fds[1], "x", 1);
        for (;;) {
            pause();
        }
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], &c, 1), 1);
    close(fds[0]);
    return pid;
}

static void test_kill_child(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void test_usable(void **state)
{
    uint64_t copy = 0;
    struct iovec local = {&copy, sizeof(copy)};
    struct iovec remote = {&test_word, sizeof(test_word)};
    int direct;

    (void)state;
    direct = process_vm_readv(getpid(), &local, 1, &remote, 1, 0) ==
             (ssize_t)sizeof(copy);
    assert_int_equal(vs_cma_usable(), direct);
    assert_int_equal(vs_cma_usable(), direct);    /* cached */
}

static void test_probe_and_copy(void **state)
{
    char local[sizeof(test_buffer)];
    uint64_t word = 0;
    pid_t pid;

    (void)state;
    if (!vs_cma_usable()) {
        skip();
    }
    pid = test_fork_child(0x1122334455667788ull);
    assert_int_equal(vs_cma_probe(pid, (uintptr_t)&test_word, &word,
                                  sizeof(word)), VERVE_OK);
    assert_int_equal(word, 0x1122334455667788ull);
    /* An address the child does not map: not a refusal. */
    assert_int_equal(vs_cma_probe(pid, 8, &word, sizeof(word)),
                     VERVE_ERR_IO);
    assert_int_equal(vs_cma_copy(pid, local, sizeof(local),
                                 (uintptr_t)test_buffer, 0), VERVE_OK);
    for (size_t i = 0; i < sizeof(local); ++i) {
        assert_int_equal(local[i], 'c');
    }
    memset(local, 'p', sizeof(local));
    assert_int_equal(vs_cma_copy(pid, local, 100,
                                 (uintptr_t)test_buffer + 4000, 1),
                     VERVE_OK);
    memset(local, 0, sizeof(local));
    assert_int_equal(vs_cma_copy(pid, local, sizeof(local),
                                 (uintptr_t)test_buffer, 0), VERVE_OK);
    for (size_t i = 0; i < sizeof(local); ++i) {
        assert_int_equal(local[i], (i >= 4000 && i < 4100) ? 'p' : 'c');
    }
    test_kill_child(pid);
    assert_int_equal(vs_cma_probe(pid, (uintptr_t)&test_word, &word,
                                  sizeof(word)), VERVE_ERR_PEER_FAILED);
}

/* The rule on a tree: us -> a -> grandchild, us -> b. */
static void test_yama_rule(void **state)
{
    pid_t self = getpid(), a, b, grandchild;

    (void)state;
    a = fork();
    assert_true(a >= 0);
    if (a == 0) {
        if (fork() == 0) {
            for (;;) {
                pause();
            }
        }
        for (;;) {
            pause();
        }
    }
    b = test_fork_child(0);
    /* The grandchild: a's child, once it appears. */
    grandchild = 0;
    for (int i = 0; i < 5000 && grandchild == 0; ++i) {
        char path[64], line[64];
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)a,
                 (int)a);
        f = fopen(path, "r");
        if (f != NULL) {
            if (fgets(line, sizeof(line), f) != NULL) {
                grandchild = (pid_t)atoi(line);
            }
            fclose(f);
        }
        if (grandchild == 0) {
            usleep(1000);
        }
    }
    if (grandchild == 0) {
        test_kill_child(a);
        test_kill_child(b);
        skip();     /* no /proc/.../children (CONFIG_PROC_CHILDREN) */
    }
    /* an ancestor reads its descendants */
    assert_true(vs_cma_yama_allows(self, a, 0));
    assert_true(vs_cma_yama_allows(self, grandchild, 0));
    assert_true(vs_cma_yama_allows(a, grandchild, 0));
    /* not the other way, nor siblings or cousins, without a ptracer */
    assert_false(vs_cma_yama_allows(a, self, 0));
    assert_false(vs_cma_yama_allows(a, b, 0));
    assert_false(vs_cma_yama_allows(b, grandchild, 0));
    /* a ptracer lets it and its descendants in */
    assert_true(vs_cma_yama_allows(a, b, self));
    assert_true(vs_cma_yama_allows(grandchild, b, self));
    assert_true(vs_cma_yama_allows(a, self, getppid()));
    /* a launcher that forks: the grandchild named a, so b may not read
     * it, while it may read b (b named us) */
    assert_false(vs_cma_yama_allows(b, grandchild, a));
    assert_true(vs_cma_yama_allows(grandchild, b, self));
    test_kill_child(a);    /* the grandchild goes to init, then exits */
    kill(grandchild, SIGKILL);
    test_kill_child(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usable),
        cmocka_unit_test(test_probe_and_copy),
        cmocka_unit_test(test_yama_rule),
    };

    return cmocka_run_group_tests_name("cma", tests, NULL, NULL);
}
