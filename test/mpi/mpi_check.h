/*
 * Shared by the MPI tests: a failed check prints the program, rank, line
 * and what differed, and is counted; MPI_CALL checks a call's return
 * (MPI_COMM_WORLD is set to MPI_ERRORS_RETURN); mpi_check_finish prints
 * "PROG: rank R of N: all checks passed" or the count of failures.
 */
#ifndef MPI_CHECK_H
#define MPI_CHECK_H

#include <mpi.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *check_program = "mpi";
static int check_rank = -1;
static int check_size;
static int check_failures;

__attribute__((format(printf, 3, 4)))
static inline void check_fail(int line, const char *what,
                              const char *format, ...)
{
    va_list ap;

    fprintf(stderr, "%s: rank %d: FAIL at line %d: %s: ", check_program,
            check_rank, line, what);
    va_start(ap, format);
    vfprintf(stderr, format, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    ++check_failures;
}

#define CHECK(cond, ...) \
    do { \
        if (!(cond)) { \
            check_fail(__LINE__, #cond, __VA_ARGS__); \
        } \
    } while (0)

static inline const char *check_mpi_error(int rc)
{
    static char text[MPI_MAX_ERROR_STRING];
    int length = 0;

    if (MPI_Error_string(rc, text, &length) != MPI_SUCCESS) {
        snprintf(text, sizeof(text), "MPI error %d", rc);
    }
    return text;
}

#define MPI_CALL(call) \
    do { \
        int mpi_call_rc = (call); \
        if (mpi_call_rc != MPI_SUCCESS) { \
            check_fail(__LINE__, #call, "%s", \
                       check_mpi_error(mpi_call_rc)); \
        } \
    } while (0)

static inline void check_init(const char *program)
{
    check_program = program;
    MPI_Comm_rank(MPI_COMM_WORLD, &check_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &check_size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

static inline int check_finish(void)
{
    if (check_failures == 0) {
        printf("%s: rank %d of %d: all checks passed\n", check_program,
               check_rank, check_size);
    } else {
        printf("%s: rank %d of %d: %d check(s) FAILED\n", check_program,
               check_rank, check_size, check_failures);
    }
    fflush(stdout);
    return check_failures == 0 ? 0 : 1;
}

/* A byte that depends on the message and on its offset, so that data
 * from another message, or shifted within one, shows. */
static inline unsigned char check_pattern(unsigned message, size_t offset)
{
    uint64_t h = (uint64_t)(offset + 1) * UINT64_C(0x9E3779B97F4A7C15) +
                 (uint64_t)(message + 1) * UINT64_C(0xBF58476D1CE4E5B9);

    return (unsigned char)(h >> 56);
}

static inline void check_fill(void *buffer, size_t length,
                              unsigned message)
{
    unsigned char *bytes = buffer;
    size_t i;

    for (i = 0; i < length; ++i) {
        bytes[i] = check_pattern(message, i);
    }
}

/* The offset of the first wrong byte, or -1. */
static inline long check_verify(const void *buffer, size_t length,
                                unsigned message)
{
    const unsigned char *bytes = buffer;
    size_t i;

    for (i = 0; i < length; ++i) {
        if (bytes[i] != check_pattern(message, i)) {
            return (long)i;
        }
    }
    return -1;
}

#endif
