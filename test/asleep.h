/*
 * test_wait_asleep(tid): returns 1 once thread tid of this process is
 * blocked in an epoll wait (read from /proc/self/task/TID/syscall), 0 when
 * it is not seen there in TEST_ASLEEP_MAX_LOOKS looks a millisecond apart
 * or /proc cannot say. What the caller does next then happens while that
 * thread sleeps in verve_worker_wait: a wakeup test that does not count
 * on a sleep being long enough, however loaded the machine.
 */
#ifndef VERVE_TEST_ASLEEP_H
#define VERVE_TEST_ASLEEP_H

#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>

#define TEST_ASLEEP_MAX_LOOKS 100000

static inline int test_is_epoll_wait(long nr)
{
#ifdef SYS_epoll_wait
    if (nr == SYS_epoll_wait) {
        return 1;
    }
#endif
#ifdef SYS_epoll_pwait2
    if (nr == SYS_epoll_pwait2) {
        return 1;
    }
#endif
    return nr == SYS_epoll_pwait;
}

static inline int test_wait_asleep(long tid)
{
    struct timespec nap = {.tv_sec = 0, .tv_nsec = 1000000};
    char path[64], line[256];

    snprintf(path, sizeof(path), "/proc/self/task/%ld/syscall", tid);
    for (unsigned looks = 0; looks < TEST_ASLEEP_MAX_LOOKS; ++looks) {
        FILE *file = fopen(path, "r");
        long nr = -1;

        if (file == NULL) {
            return 0;
        }
        /* "running" while on a CPU, else the syscall's number */
        if (fgets(line, sizeof(line), file) != NULL &&
            sscanf(line, "%ld", &nr) == 1 && test_is_epoll_wait(nr)) {
            fclose(file);
            return 1;
        }
        fclose(file);
        nanosleep(&nap, NULL);
    }
    return 0;
}

#endif
