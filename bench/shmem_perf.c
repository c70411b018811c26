/*
 * OpenSHMEM figures for bench/vs-shmem.sh, one program for every spml so
 * that configurations differ only in the components oshrun selects. PE 0
 * measures against PE 1 while PE 1 waits in shmem_barrier_all (which
 * progresses its spml, so emulated operations are served). One line per
 * figure: "FIGURE SIZE VALUE UNIT".
 *
 *   put_lat  blocking shmem_putmem, us per call, over a size sweep
 *   get_lat  blocking shmem_getmem, us per call, over the sweep
 *   put_rate 8 B shmem_putmem_nbi, one shmem_quiet per window of 64,
 *            messages/s
 *   fadd_lat shmem_long_atomic_fetch_add, us per call
 *   fadd_rate shmem_long_atomic_add, one quiet per window of 64, ops/s
 *   barrier  shmem_barrier_all, us per call (every PE)
 *
 * Usage: shmem_perf [-n ITERS] (default 20000; fewer for large sizes).
 */
#define _POSIX_C_SOURCE 200809L

#include <shmem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE (1u << 20)
#define WINDOW 64

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int iters_for(int iters, size_t size)
{
    int n = (size >= 65536) ? iters / 20 : iters;

    return (n < 10) ? 10 : n;
}

int main(int argc, char **argv)
{
    static const size_t sizes[] = { 8, 64, 1024, 8192, 65536, MAX_SIZE };
    const size_t nsizes = sizeof(sizes) / sizeof(sizes[0]);
    int iters = 20000, me, opt, i, w;
    unsigned char *heap, *local;
    long *counter;
    double start, t;
    size_t s;

    while ((opt = getopt(argc, argv, "n:")) != -1) {
        if (opt == 'n') {
            iters = atoi(optarg);
        } else {
            fprintf(stderr, "usage: %s [-n ITERS]\n", argv[0]);
            return 2;
        }
    }
    shmem_init();
    me = shmem_my_pe();
    if (shmem_n_pes() != 2) {
        if (me == 0) {
            fprintf(stderr, "shmem_perf: needs exactly 2 PEs\n");
        }
        shmem_finalize();
        return 2;
    }
    heap = shmem_malloc(MAX_SIZE);
    counter = shmem_malloc(sizeof(*counter));   /* on the heap, as heap */
    *counter = 0;
    local = malloc(MAX_SIZE);
    memset(local, 1, MAX_SIZE);
    memset(heap, 0, MAX_SIZE);
    shmem_barrier_all();

    if (me == 0) {
        for (s = 0; s < nsizes; s++) {
            int n = iters_for(iters, sizes[s]);

            for (i = 0; i < n / 10; i++) {  /* warm-up */
                shmem_putmem(heap, local, sizes[s], 1);
            }
            start = now_us();
            for (i = 0; i < n; i++) {
                shmem_putmem(heap, local, sizes[s], 1);
            }
            shmem_quiet();
            t = (now_us() - start) / n;
            printf("put_lat %zu %.4f us\n", sizes[s], t);
        }
        for (s = 0; s < nsizes; s++) {
            int n = iters_for(iters, sizes[s]);

            for (i = 0; i < n / 10; i++) {
                shmem_getmem(local, heap, sizes[s], 1);
            }
            start = now_us();
            for (i = 0; i < n; i++) {
                shmem_getmem(local, heap, sizes[s], 1);
            }
            t = (now_us() - start) / n;
            printf("get_lat %zu %.4f us\n", sizes[s], t);
        }
        start = now_us();
        for (i = 0; i < iters; i++) {
            for (w = 0; w < WINDOW; w++) {
                shmem_putmem_nbi(heap + w * 8, local, 8, 1);
            }
            shmem_quiet();
        }
        t = now_us() - start;
        printf("put_rate 8 %.0f msg/s\n", (double)iters * WINDOW / t * 1e6);
        for (i = 0; i < iters / 10; i++) {
            (void)shmem_long_atomic_fetch_add(counter, 1, 1);
        }
        start = now_us();
        for (i = 0; i < iters; i++) {
            (void)shmem_long_atomic_fetch_add(counter, 1, 1);
        }
        t = (now_us() - start) / iters;
        printf("fadd_lat 8 %.4f us\n", t);
        start = now_us();
        for (i = 0; i < iters / WINDOW + 1; i++) {
            for (w = 0; w < WINDOW; w++) {
                shmem_long_atomic_add(counter, 1, 1);
            }
            shmem_quiet();
        }
        t = now_us() - start;
        printf("fadd_rate 8 %.0f ops/s\n",
               (double)(iters / WINDOW + 1) * WINDOW / t * 1e6);
        fflush(stdout);
    }
    shmem_barrier_all();
    start = now_us();
    for (i = 0; i < iters / 10; i++) {
        shmem_barrier_all();
    }
    t = (now_us() - start) / (iters / 10);
    if (me == 0) {
        printf("barrier 0 %.4f us\n", t);
        fflush(stdout);
    }
    free(local);
    shmem_free(counter);
    shmem_free(heap);
    shmem_finalize();
    return 0;
}
