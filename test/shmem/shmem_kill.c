/*
 * A PE killed mid-job: the last PE dies by SIGKILL while the others put
 * to it, fetch-add on it and wait for a flag it will never set. The job
 * must end (oshrun reports the death and stops the others) rather than
 * hang: shmem_suite.sh checks a non-zero exit status before its timeout.
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "shmem_check.h"

static long flag;
static long counter;

int main(void)
{
    long value = 1;
    time_t deadline;
    int me, npes, victim;

    shmem_init();
    me = shmem_my_pe();
    npes = shmem_n_pes();
    victim = npes - 1;
    SHMEM_CHECK(npes >= 2, "needs 2 PEs or more, has %d", npes);
    SHMEM_PASS("before the kill");
    if (me == victim) {
        kill(getpid(), SIGKILL);
    }
    /* Keep talking to the victim; oshrun ends the job once it notices the
     * death. The deadline only keeps a broken launcher from spinning for
     * ever: the suite's timeout is shorter. */
    deadline = time(NULL) + 60;
    while (time(NULL) < deadline) {
        shmem_long_put(&flag, &value, 1, victim);
        (void)shmem_long_atomic_fetch_add(&counter, 1, victim);
        shmem_quiet();
    }
    shmem_long_wait_until(&flag, SHMEM_CMP_EQ, 42);
    shmem_finalize();
    return 0;
}
