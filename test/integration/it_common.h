/*
 * Shared setup for the multi-process tests, under verve_run or mpirun:
 * bootstrap, one worker, an endpoint to every rank (itself included;
 * addresses through verve_boot_put/fence/get), and a barrier that keeps
 * progressing so that emulated operations of slower ranks still finish.
 */
#ifndef IT_COMMON_H
#define IT_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <verve/verve.h>
#include <verve/verve_boot.h>
#include <verve/verve_coll.h>

typedef struct it_job {
    verve_boot_h boot;
    int rank;
    int size;
    verve_context_h context;
    verve_worker_h worker;
    verve_ep_h *eps;              /* by rank */
    unsigned barrier_epoch;
    unsigned *barrier_arrived;    /* by epoch parity */
} it_job_t;

#define IT_AM_BARRIER 255
/* Bootstrap key of each rank's worker address. */
#define IT_ADDRESS_KEY "it.address"

#define it_check(job, cond, ...) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "rank %d: FAIL %s:%d: ", (job)->rank, __FILE__, \
                    __LINE__); \
            fprintf(stderr, __VA_ARGS__); \
            fprintf(stderr, "\n"); \
            exit(1); \
        } \
    } while (0)

void it_job_init(it_job_t *job);
void it_job_finalize(it_job_t *job);
/* Waits for a call's request (if any) and checks its final status. */
void it_wait(it_job_t *job, verve_status_t status, verve_request_h *req_p,
             verve_status_t expect, const char *what);
void it_barrier(it_job_t *job);
/* A team of size members, eps by team rank, this worker at rank, with id
 * *id (NULL: none given); the test fails when it cannot be made. */
verve_team_h it_team_create(it_job_t *job, verve_ep_h *eps, unsigned size,
                            unsigned rank, const uint64_t *id);
/* Replaces every endpoint by a new one to the same rank (collective):
 * after an error that broke connections (RDMA access errors break the
 * queue pair, both ways). Progress-free: only the bootstrap synchronises
 * the ranks between closing and creating. */
void it_reconnect(it_job_t *job);
/* Allgather of byte strings of any length <= max: out holds size * (max +
 * 8) bytes, rank r's string at r * max; lengths (if not NULL) by rank. */
void it_allgather(it_job_t *job, const void *in, size_t length, size_t max,
                  void *out, size_t *lengths);

#endif
