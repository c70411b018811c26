/*
 * check(cond, fmt, ...): the assertion of the stand-alone test programs
 * (no cmocka: they fork, or run in the SoftRoCE guest under scripts that
 * read their exit status): prints where and why, with the pid, since
 * some fork, and exits 1.
 */
#ifndef VERVE_TEST_CHECK_H
#define VERVE_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define check(cond, ...) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "FAIL %s:%d (pid %d): ", __FILE__, __LINE__, \
                    (int)getpid()); \
            fprintf(stderr, __VA_ARGS__); \
            fprintf(stderr, "\n"); \
            exit(1); \
        } \
    } while (0)

#endif
