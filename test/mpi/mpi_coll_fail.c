/*
 * A rank that dies inside a collective: rank 1 runs allreduces with rank
 * 0 and exits (without MPI_Finalize) in the middle of its 100th, after
 * rank 0 entered it. Rank 0's allreduce, and the barrier after it, must
 * return an MPI error instead of hanging. Run with exactly 2 ranks under
 * mpirun --enable-recovery (mpirun then lets rank 0 finish), with coll
 * verve; rank 0 prints "mpi_coll_fail: rank 0: ..." lines that
 * mpi_coll.sh checks, then leaves without MPI_Finalize.
 */
#include <stdlib.h>
#include <unistd.h>

#include "mpi_check.h"

int main(int argc, char **argv)
{
    long value = 1, sum = 0;
    int k, rc = MPI_SUCCESS;

    MPI_Init(&argc, &argv);
    check_init("mpi_coll_fail");
    if (check_size != 2) {
        fprintf(stderr, "mpi_coll_fail: run with 2 ranks, not %d\n",
                check_size);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    for (k = 0; k < 99; ++k) {
        MPI_CALL(MPI_Allreduce(&value, &sum, 1, MPI_LONG, MPI_SUM,
                               MPI_COMM_WORLD));
        CHECK(sum == 2, "allreduce %d before the failure: %ld", k, sum);
    }
    if (check_rank == 1) {
        /* rank 0 is inside the 100th allreduce by then */
        usleep(200 * 1000);
        _exit(3);
    }
    rc = MPI_Allreduce(&value, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    CHECK(rc != MPI_SUCCESS, "an allreduce with a dead member succeeded");
    printf("mpi_coll_fail: rank 0: MPI_Allreduce with the dead rank: %s\n",
           check_mpi_error(rc));
    rc = MPI_Barrier(MPI_COMM_WORLD);
    CHECK(rc != MPI_SUCCESS, "a barrier with a dead member succeeded");
    printf("mpi_coll_fail: rank 0: MPI_Barrier after it: %s\n",
           check_mpi_error(rc));
    rc = check_finish();
    fflush(stdout);
    _exit(rc);
}
