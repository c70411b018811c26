/*
 * The fixture of the engine's one-process tests: worker a reaches worker b
 * through endpoint ab over the transport tls_under_test names (shm, tcp;
 * over self, b is a itself). Each test program sets tls_under_test before
 * it runs a group, and passes pair_setup and pair_teardown to cmocka.
 */
#ifndef ENGINE_PAIR_H
#define ENGINE_PAIR_H

#include <verve/verve.h>

/* Far more progress rounds than any test needs: a hang fails instead. */
#define PAIR_MAX_ROUNDS 20000000UL

typedef struct pair {
    verve_context_h context;
    verve_worker_h a, b;
    verve_ep_h ab;       /* a -> b */
} pair_t;

/* The VERVE_TLS value pair_setup sets: "shm" unless a program changes it. */
extern const char *tls_under_test;

/* Progresses both workers (the one worker over self). */
void pair_progress(pair_t *p);

/* Creates p->ab from p->a to p->b's packed address. */
void pair_connect(pair_t *p);

/* Returns once thread tid of this process sleeps in epoll_wait
 * (test/asleep.h); fails the test when it is never seen there. */
void pair_wait_asleep(long tid);

/* cmocka fixtures: a new context, workers and endpoint in *state; the
 * teardown flushes and closes ab, waiting at most PAIR_MAX_ROUNDS rounds
 * (more fails the test), then destroys them all. */
int pair_setup(void **state);
int pair_teardown(void **state);

#endif
