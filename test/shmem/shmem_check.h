/*
 * What the OpenSHMEM test programs share: a check that names the PE, the
 * test and the values, and aborts the job (so oshrun exits non-zero).
 */
#ifndef SHMEM_CHECK_H
#define SHMEM_CHECK_H

#include <shmem.h>
#include <stdio.h>

#define SHMEM_CHECK(_cond, ...) \
    do { \
        if (!(_cond)) { \
            fprintf(stderr, "PE %d: %s:%d: check failed: %s: ", \
                    shmem_my_pe(), __FILE__, __LINE__, #_cond); \
            fprintf(stderr, __VA_ARGS__); \
            fprintf(stderr, "\n"); \
            fflush(stderr); \
            shmem_global_exit(1); \
        } \
    } while (0)

/* Printed by PE 0 once a test passed on every PE (after a barrier). */
#define SHMEM_PASS(_name) \
    do { \
        shmem_barrier_all(); \
        if (shmem_my_pe() == 0) { \
            printf("pass: %s\n", _name); \
            fflush(stdout); \
        } \
    } while (0)

#endif
