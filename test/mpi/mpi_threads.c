/*
 * MPI_THREAD_MULTIPLE: the mtl's verve worker in its multi-threaded mode.
 * Each of THREADS threads on every rank runs its own exchange with the
 * partner rank (rank ^ 1) on its own tag, small and rendezvous-sized,
 * with data checked, while the others do the same; one thread per rank
 * also posts and cancels receives meanwhile. Prints "mpi_threads:
 * MPI_THREAD_MULTIPLE not provided" and passes when the library does not
 * provide it.
 */
#include <pthread.h>
#include <stdlib.h>

#include "mpi_check.h"

#define THREADS 4
#define ROUNDS 50

static int rank, peer;

static void *exchange(void *arg)
{
    int thread = (int)(intptr_t)arg, round;
    size_t length = (thread % 2 == 0) ? 64 : (256 << 10);
    unsigned char *out = malloc(length), *in = malloc(length);

    for (round = 0; round < ROUNDS; ++round) {
        unsigned message = (unsigned)(thread * 1000 + round);
        MPI_Request requests[2];
        MPI_Status statuses[2];
        long bad;

        check_fill(out, length, message * 2 + (unsigned)rank);
        memset(in, 0, length);
        MPI_CALL(MPI_Irecv(in, (int)length, MPI_BYTE, peer, thread,
                           MPI_COMM_WORLD, &requests[0]));
        MPI_CALL(MPI_Isend(out, (int)length, MPI_BYTE, peer, thread,
                           MPI_COMM_WORLD, &requests[1]));
        MPI_CALL(MPI_Waitall(2, requests, statuses));
        bad = check_verify(in, length, message * 2 + (unsigned)peer);
        CHECK(bad < 0, "thread %d round %d: wrong byte at %ld", thread,
              round, bad);
        CHECK(statuses[0].MPI_TAG == thread, "thread %d: tag %d", thread,
              statuses[0].MPI_TAG);
        if (thread == 0) {
            MPI_Request request;
            MPI_Status status;
            int cancelled = 0;
            MPI_CALL(MPI_Irecv(in, 8, MPI_BYTE, MPI_ANY_SOURCE, 5000,
                               MPI_COMM_WORLD, &request));
            MPI_CALL(MPI_Cancel(&request));
            MPI_CALL(MPI_Wait(&request, &status));
            MPI_CALL(MPI_Test_cancelled(&status, &cancelled));
            CHECK(cancelled, "round %d: receive not cancelled", round);
        }
    }
    free(out);
    free(in);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t threads[THREADS];
    int provided, i, rc;

    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    check_init("mpi_threads");
    rank = check_rank;
    peer = rank ^ 1;
    if (provided != MPI_THREAD_MULTIPLE) {
        printf("mpi_threads: MPI_THREAD_MULTIPLE not provided (%d)\n",
               provided);
    } else if (peer < check_size) {
        for (i = 0; i < THREADS; ++i) {
            pthread_create(&threads[i], NULL, exchange,
                           (void *)(intptr_t)i);
        }
        for (i = 0; i < THREADS; ++i) {
            pthread_join(threads[i], NULL);
        }
    }
    MPI_CALL(MPI_Barrier(MPI_COMM_WORLD));
    rc = check_finish();
    MPI_Finalize();
    return rc;
}
