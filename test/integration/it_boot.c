/*
 * Run under verve_run (or alone, as a job of one): checks what verve_boot
 * reports and that allgathers of several sizes deliver every rank's bytes.
 *
 *   it_boot              the full check, 100 rounds
 *   it_boot die R        rank R dies (SIGKILL) between two allgathers; the
 *                        others must see VERVE_ERR_PEER_FAILED, not hang
 *   it_boot leave R      rank R exits 0 without finalizing before a
 *                        barrier; the others' barrier must fail likewise
 *
 * Every failed check prints "it_boot: rank N: FAILED: ..." and exits 1.
 */
#include <verve/verve_boot.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IT_ROUNDS 100

static int it_rank = -1;

#define IT_CHECK(cond, ...) \
    do { \
        if (!(cond)) { \
            printf("it_boot: rank %d: FAILED: %s: ", it_rank, #cond); \
            printf(__VA_ARGS__); \
            printf("\n"); \
            fflush(stdout); \
            exit(1); \
        } \
    } while (0)

static uint8_t it_pattern(int rank, size_t offset, int round, size_t length)
{
    return (uint8_t)((size_t)rank * 131 + offset * 7 + (size_t)round * 13 +
                     length);
}

static void it_allgather_check(verve_boot_h boot, size_t length, int round)
{
    int size = verve_boot_size(boot);
    uint8_t *in = malloc(length + 1);
    uint8_t *out = malloc(length * (size_t)size + 1);
    verve_status_t status;
    size_t i;
    int r;

    IT_CHECK((in != NULL) && (out != NULL), "out of memory");
    for (i = 0; i < length; ++i) {
        in[i] = it_pattern(it_rank, i, round, length);
    }
    /* Poison, so bytes the allgather does not write are caught. */
    memset(out, 0xa5, length * (size_t)size);

    status = verve_boot_allgather(boot, in, length, out);
    IT_CHECK(status == VERVE_OK, "allgather of %zu bytes, round %d: %s",
             length, round, verve_status_string(status));
    for (r = 0; r < size; ++r) {
        for (i = 0; i < length; ++i) {
            uint8_t want = it_pattern(r, i, round, length);
            IT_CHECK(out[(size_t)r * length + i] == want,
                     "allgather of %zu bytes, round %d: byte %zu of rank "
                     "%d is 0x%02x, expected 0x%02x", length, round, i, r,
                     out[(size_t)r * length + i], want);
        }
    }
    free(out);
    free(in);
}

static int it_full(verve_boot_h boot)
{
    static const size_t lengths[] = {0, 1, 7, 4096, 65536};
    verve_status_t status;
    size_t l;
    int round;

    for (round = 0; round < IT_ROUNDS; ++round) {
        for (l = 0; l < sizeof(lengths) / sizeof(lengths[0]); ++l) {
            it_allgather_check(boot, lengths[l], round);
        }
        status = verve_boot_barrier(boot);
        IT_CHECK(status == VERVE_OK, "barrier, round %d: %s", round,
                 verve_status_string(status));
    }
    printf("it_boot: rank %d of %d (%s): %d rounds passed\n", it_rank,
           verve_boot_size(boot), verve_boot_backend(boot), IT_ROUNDS);
    return 0;
}

/* Rank `victim` leaves the job (dies, or exits without finalizing) after
 * a few allgathers; the others' next collective must fail, not hang. */
static int it_leave(verve_boot_h boot, int victim, int die)
{
    verve_status_t status;
    uint32_t word = (uint32_t)it_rank, *words;
    int round;

    words = calloc((size_t)verve_boot_size(boot), sizeof(*words));
    IT_CHECK(words != NULL, "out of memory");
    IT_CHECK((victim > 0) && (victim < verve_boot_size(boot)),
             "victim rank %d is not a rank other than 0", victim);
    /* verve_run sends SIGTERM to the job once the victim dies; the
     * survivors must answer from their allgather on their own, so that
     * only a hang, cut short by SIGKILL, goes unreported. */
    signal(SIGTERM, SIG_IGN);

    for (round = 0; round < 3; ++round) {
        it_allgather_check(boot, 64, round);
    }
    if (it_rank == victim) {
        if (die) {
            raise(SIGKILL);
        }
        _exit(0);
    }

    if (die) {
        status = verve_boot_allgather(boot, &word, sizeof(word), words);
    } else {
        status = verve_boot_barrier(boot);
    }
    IT_CHECK(status == VERVE_ERR_PEER_FAILED, "%s after rank %d left "
             "returned %s", die ? "allgather" : "barrier", victim,
             verve_status_string(status));
    /* The failure is sticky: no later collective waits for the dead. */
    status = verve_boot_allgather(boot, &word, sizeof(word), words);
    IT_CHECK(status == VERVE_ERR_PEER_FAILED, "allgather after the failure "
             "returned %s", verve_status_string(status));
    printf("it_boot: rank %d: peer failure seen\n", it_rank);
    fflush(stdout);
    free(words);
    return 0;
}

int main(int argc, char **argv)
{
    verve_status_t status;
    verve_boot_h boot;
    int ret;

    status = verve_boot_init(&boot);
    IT_CHECK(status == VERVE_OK, "verve_boot_init: %s",
             verve_status_string(status));

    it_rank = verve_boot_rank(boot);
    IT_CHECK((it_rank >= 0) && (it_rank < verve_boot_size(boot)),
             "rank %d, size %d", it_rank, verve_boot_size(boot));
    IT_CHECK((verve_boot_local_rank(boot) >= 0) &&
             (verve_boot_local_rank(boot) < verve_boot_local_size(boot)) &&
             (verve_boot_local_size(boot) <= verve_boot_size(boot)),
             "local rank %d, local size %d, size %d",
             verve_boot_local_rank(boot), verve_boot_local_size(boot),
             verve_boot_size(boot));
    if (verve_boot_size(boot) == 1) {
        IT_CHECK(!strcmp(verve_boot_backend(boot), "single") ||
                 !strcmp(verve_boot_backend(boot), "builtin"),
                 "backend %s", verve_boot_backend(boot));
    } else {
        IT_CHECK(strcmp(verve_boot_backend(boot), "single") != 0,
                 "a job of %d ranks on the single backend",
                 verve_boot_size(boot));
    }

    if ((argc == 3) && !strcmp(argv[1], "die")) {
        ret = it_leave(boot, atoi(argv[2]), 1);
    } else if ((argc == 3) && !strcmp(argv[1], "leave")) {
        ret = it_leave(boot, atoi(argv[2]), 0);
    } else {
        IT_CHECK(argc == 1, "usage: it_boot [die RANK | leave RANK]");
        ret = it_full(boot);
    }

    verve_boot_finalize(boot);
    return ret;
}
