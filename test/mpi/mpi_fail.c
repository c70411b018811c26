/*
 * A peer that dies: rank 1 exits (without MPI_Finalize) once rank 0 is
 * waiting for it. Rank 0's blocking receive from it, a receive it posted
 * before, a rendezvous-sized send to it and a probe for its messages
 * must each return an MPI error instead of hanging. Run with exactly 2 ranks, under mpirun
 * --enable-recovery so that mpirun lets rank 0 finish: rank 0 prints
 * "mpi_fail: rank 0: ..." lines that mpi_mtl.sh checks, then leaves
 * without MPI_Finalize (its peer is gone).
 */
#include <stdlib.h>
#include <unistd.h>

#include "mpi_check.h"

#define LARGE (4 << 20)

int main(int argc, char **argv)
{
    static unsigned char buffer[LARGE];
    MPI_Request request;
    int rc;

    MPI_Init(&argc, &argv);
    check_init("mpi_fail");
    if (check_size != 2) {
        fprintf(stderr, "mpi_fail: run with 2 ranks, not %d\n", check_size);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    if (check_rank == 1) {
        MPI_CALL(MPI_Barrier(MPI_COMM_WORLD));
        /* Let rank 0 block in its receive first. */
        usleep(200 * 1000);
        _exit(3);
    }
    MPI_CALL(MPI_Irecv(buffer, 64, MPI_BYTE, 1, 2, MPI_COMM_WORLD,
                       &request));
    MPI_CALL(MPI_Barrier(MPI_COMM_WORLD));
    rc = MPI_Recv(buffer, 64, MPI_BYTE, 1, 1, MPI_COMM_WORLD,
                  MPI_STATUS_IGNORE);
    CHECK(rc != MPI_SUCCESS, "a receive from a dead peer succeeded");
    printf("mpi_fail: rank 0: MPI_Recv from the dead rank: %s\n",
           check_mpi_error(rc));
    rc = MPI_Wait(&request, MPI_STATUS_IGNORE);
    CHECK(rc != MPI_SUCCESS, "a receive posted before the peer died "
          "succeeded");
    printf("mpi_fail: rank 0: MPI_Wait on an earlier MPI_Irecv: %s\n",
           check_mpi_error(rc));
    rc = MPI_Send(buffer, LARGE, MPI_BYTE, 1, 3, MPI_COMM_WORLD);
    CHECK(rc != MPI_SUCCESS, "a %d-byte send to a dead peer succeeded",
          LARGE);
    printf("mpi_fail: rank 0: MPI_Send of 4 MiB to the dead rank: %s\n",
           check_mpi_error(rc));
    rc = MPI_Probe(1, 4, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    CHECK(rc != MPI_SUCCESS, "MPI_Probe for a dead peer succeeded");
    printf("mpi_fail: rank 0: MPI_Probe for the dead rank: %s\n",
           check_mpi_error(rc));
    rc = check_finish();
    fflush(stdout);
    _exit(rc);
}
