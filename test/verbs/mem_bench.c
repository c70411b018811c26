/*
 * Rendezvous from buffers the application allocated, 1 to 64 MiB, on rc
 * between two workers of one process: the first send of a fresh buffer
 * (first touch: the registration, or ODP's faults, included) and the
 * steady state (the same buffer again), for one path per run, chosen by
 * VERVE_ODP (cache: no; odp: unchecked) or pre-registered (the buffer
 * mapped with verve_mem_map first); plus the cost of registering per MiB.
 * The sender's buffer goes through the engine's rendezvous, hence the
 * component's mem_reg (see bench/mem-reg.sh). bench/mem-reg.sh runs the
 * three and prints one table. Prints one line
 * per size: "row MODE MiB first_ms steady_ms reg_us_per_MiB ok", each
 * figure the least of REPS fresh buffers (STEADY sends each).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <verve/verve.h>
#include "mem_pair.h"
#include "transports/verbs/verbs.h"

#define MAX_MIB 64
#define STEADY 2
#define REPS 2

static double min_double(double a, double b)
{
    return a < b ? a : b;
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static uint8_t *fresh(size_t length, unsigned seed)
{
    uint8_t *buffer = mmap(NULL, length, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    check(buffer != MAP_FAILED, "mmap %zu", length);
    fill(buffer, length, seed);
    return buffer;
}

/* Microseconds per MiB of registering a fresh, touched buffer: the
 * path's own registration (pinned for the cache, on demand for ODP), or
 * verve_mem_map for pre-registered memory. */
static double reg_cost(pair_t *p, size_t length, int prereg)
{
    uint8_t *buffer = fresh(length, 1);
    verve_mem_map_params_t mp = {
        .field_mask = VERVE_MEM_MAP_PARAM_FIELD_ADDRESS |
                      VERVE_MEM_MAP_PARAM_FIELD_LENGTH,
        .address = buffer, .length = length};
    vt_verbs_reg_t reg;
    verve_mem_h mem;
    double t0, t1;

    t0 = now_ms();
    if (prereg) {
        check(verve_mem_map(p->context, &mp, &mem) == VERVE_OK, "mem map");
    } else {
        check(vt_verbs_reg_get(buffer, length, VT_VERBS_REG_REMOTE, &reg) ==
              VERVE_OK, "register");
    }
    t1 = now_ms();
    if (prereg) {
        verve_mem_unmap(p->context, mem);
    } else {
        vt_verbs_reg_put(&reg);
    }
    /* Out of the cache before the next size: munmap drops it. */
    munmap(buffer, length);
    return (t1 - t0) * 1e3 / (double)(length >> 20);
}

int main(int argc, char **argv)
{
    vt_verbs_reg_path_t path;
    pair_t p = {0};
    int prereg;
    size_t mib;

    check(argc == 2 && (!strcmp(argv[1], "cache") ||
                        !strcmp(argv[1], "odp") ||
                        !strcmp(argv[1], "prereg")),
          "usage: mem_bench cache|odp|prereg");
    prereg = !strcmp(argv[1], "prereg");
    check(vt_verbs_reg_path(&path) == VERVE_OK, "registration path");
    printf("# %s: %s (%s)\n", argv[1], vt_verbs_path_name(path),
           vt_verbs_reg_why());
    pair_open(&p, 4096, (size_t)MAX_MIB << 20);
    /* The receive side warm: only the sender's buffer is measured. */
    memset(p.rbuf, 0, p.rlen);
    pair_rndv(&p, p.rbuf, p.rlen);

    for (mib = 1; mib <= MAX_MIB; mib *= 2) {
        size_t length = mib << 20;
        double first = 1e300, steady = 1e300, cost = 1e300;
        int rep, ok = 1;

        /* The least of a few samples: the guest shares a noisy host. */
        for (rep = 0; rep < REPS; ++rep) {
            uint8_t *buffer = fresh(length, (unsigned)(mib + rep));
            verve_mem_map_params_t mp = {
                .field_mask = VERVE_MEM_MAP_PARAM_FIELD_ADDRESS |
                              VERVE_MEM_MAP_PARAM_FIELD_LENGTH,
                .address = buffer, .length = length};
            verve_mem_h mem = NULL;
            double t0;
            int i;

            if (prereg) {
                check(verve_mem_map(p.context, &mp, &mem) == VERVE_OK,
                      "mem map");
            }
            t0 = now_ms();
            pair_rndv(&p, buffer, length);
            first = min_double(first, now_ms() - t0);
            ok = ok && memcmp(p.rbuf, buffer, length) == 0;
            for (i = 0; i < STEADY; ++i) {
                t0 = now_ms();
                pair_rndv(&p, buffer, length);
                steady = min_double(steady, now_ms() - t0);
            }
            ok = ok && memcmp(p.rbuf, buffer, length) == 0;
            if (mem != NULL) {
                verve_mem_unmap(p.context, mem);
            }
            munmap(buffer, length);
            cost = min_double(cost, reg_cost(&p, length, prereg));
        }
        printf("row %s %zu %.2f %.2f %.0f %s\n", argv[1], mib, first, steady,
               cost, ok ? "ok" : "WRONG");
        fflush(stdout);
    }
    pair_close(&p);
    return 0;
}
