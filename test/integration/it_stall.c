/*
 * The case of issue 15: an emulated get whose target sits in a barrier
 * that progresses no worker (the bootstrap's here, another library's in
 * the field). Rank 0 gets from rank 1 while rank 1 waits in
 * verve_boot_barrier; after VERVE_STALL_WARN rank 0 must warn (it_tcp.sh
 * reads the warning from the job's output), and once rank 0 joins the
 * barrier and rank 1 progresses again, the get completes with the right
 * bytes. Two ranks.
 */
#include <string.h>
#include <time.h>
#include "it_common.h"

#define IT_STALL_LENGTH 4096
#define IT_STALL_KEY_MAX 512

static double it_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    verve_mem_map_params_t mp = {
        .field_mask = VERVE_MEM_MAP_PARAM_FIELD_LENGTH |
                      VERVE_MEM_MAP_PARAM_FIELD_FLAGS,
        .length = IT_STALL_LENGTH,
        .flags = VERVE_MEM_MAP_ALLOCATE};
    double stall_seconds = argc > 1 ? atof(argv[1]) : 1.0;
    uint8_t keys[2 * (IT_STALL_KEY_MAX + 8)], dst[IT_STALL_LENGTH];
    uint64_t base, bases[2 * (8 + 8)];
    verve_request_h req = NULL;
    verve_status_t status;
    size_t lengths[2], length;
    verve_rkey_h rkey = NULL;
    verve_mem_h mem;
    uint8_t *area;
    void *packed;
    it_job_t job;

    it_job_init(&job);
    it_check(&job, job.size == 2, "needs 2 ranks, not %d", job.size);
    it_check(&job, verve_mem_map(job.context, &mp, &mem) == VERVE_OK,
             "mem map");
    area = verve_mem_address(mem);
    memset(area, 0x40 + job.rank, IT_STALL_LENGTH);
    it_check(&job, verve_rkey_pack(job.context, mem, &packed, &length) ==
             VERVE_OK, "rkey pack");
    it_allgather(&job, packed, length, IT_STALL_KEY_MAX, keys, lengths);
    verve_rkey_buffer_release(packed);
    base = (uint64_t)(uintptr_t)area;
    it_allgather(&job, &base, sizeof(base), sizeof(base), bases, NULL);
    if (job.rank == 0) {
        it_check(&job, verve_rkey_unpack(job.eps[1], keys + IT_STALL_KEY_MAX,
                                         lengths[1], &rkey) == VERVE_OK,
                 "rkey unpack");
        status = verve_get_nbx(job.eps[1], dst, IT_STALL_LENGTH, bases[1],
                               rkey, NULL, &req);
        it_check(&job, status == VERVE_INPROGRESS,
                 "the get should wait for rank 1: %s",
                 verve_status_string(status));
        /* Rank 1 is in the barrier: nothing answers the get. */
        for (double end = it_now() + stall_seconds; it_now() < end;) {
            verve_worker_progress(job.worker);
        }
        it_check(&job, verve_request_test(req) == VERVE_INPROGRESS,
                 "the get completed without its target's progress");
    }
    it_check(&job, verve_boot_barrier(job.boot) == VERVE_OK, "barrier");
    if (job.rank == 0) {
        it_wait(&job, VERVE_INPROGRESS, &req, VERVE_OK, "get");
        for (size_t i = 0; i < IT_STALL_LENGTH; ++i) {
            it_check(&job, dst[i] == 0x41, "byte %zu of the get: 0x%02x, "
                     "rank 1 holds 0x41", i, dst[i]);
        }
        verve_rkey_destroy(rkey);
    }
    it_barrier(&job);
    it_check(&job, verve_mem_unmap(job.context, mem) == VERVE_OK, "unmap");
    it_job_finalize(&job);
    if (job.rank == 0) {
        printf("stalled get: completed once its target progressed\n");
    }
    return 0;
}
