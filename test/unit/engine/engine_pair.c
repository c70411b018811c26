#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include "engine_pair.h"

const char *tls_under_test = "shm";

void pair_progress(pair_t *p)
{
    verve_worker_progress(p->a);
    if (p->b != p->a) {
        verve_worker_progress(p->b);
    }
}

/* Is the syscall number one of the epoll waits? */
static int pair_is_epoll_wait(long nr)
{
#ifdef SYS_epoll_wait
    if (nr == SYS_epoll_wait) {
        return 1;
    }
#endif
#ifdef SYS_epoll_pwait2
    if (nr == SYS_epoll_pwait2) {
        return 1;
    }
#endif
    return nr == SYS_epoll_pwait;
}

void pair_wait_asleep(long tid)
{
    struct timespec nap = {.tv_sec = 0, .tv_nsec = 1000000};
    char path[64], line[256];
    unsigned looks;

    snprintf(path, sizeof(path), "/proc/self/task/%ld/syscall", tid);
    for (looks = 0; looks < PAIR_ASLEEP_MAX_LOOKS; ++looks) {
        FILE *file = fopen(path, "r");
        long nr = -1;

        if (file == NULL) {
            fail_msg("pair: cannot open %s to see thread %ld sleep", path,
                     tid);
        }
        /* "running" while on a CPU, else the syscall's number */
        if (fgets(line, sizeof(line), file) != NULL &&
            sscanf(line, "%ld", &nr) == 1 && pair_is_epoll_wait(nr)) {
            fclose(file);
            return;
        }
        fclose(file);
        nanosleep(&nap, NULL);
    }
    fail_msg("pair: thread %ld not seen in epoll_wait in %u looks", tid,
             looks);
}

void pair_connect(pair_t *p)
{
    verve_ep_params_t ep_params = {0};
    void *address;
    size_t length;

    assert_int_equal(verve_worker_address_pack(p->b, &address, &length),
                     VERVE_OK);
    ep_params.field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS;
    ep_params.address = address;
    ep_params.address_length = length;
    assert_int_equal(verve_ep_create(p->a, &ep_params, &p->ab), VERVE_OK);
    verve_worker_address_release(address);
}

int pair_setup(void **state)
{
    pair_t *p = calloc(1, sizeof(*p));

    setenv("VERVE_TLS", tls_under_test, 1);
    assert_int_equal(verve_context_create(NULL, &p->context), VERVE_OK);
    assert_int_equal(verve_worker_create(p->context, NULL, &p->a), VERVE_OK);
    if (strcmp(tls_under_test, "self") == 0) {
        p->b = p->a;
    } else {
        assert_int_equal(verve_worker_create(p->context, NULL, &p->b),
                         VERVE_OK);
    }
    pair_connect(p);
    *state = p;
    return 0;
}

int pair_teardown(void **state)
{
    pair_t *p = *state;
    verve_request_h req = NULL;
    unsigned long rounds = 0;
    int rc = 0;

    if (verve_ep_close_nbx(p->ab, VERVE_EP_CLOSE_FLUSH, NULL, &req) ==
        VERVE_INPROGRESS) {
        while (verve_request_test(req) == VERVE_INPROGRESS &&
               ++rounds < PAIR_MAX_ROUNDS) {
            pair_progress(p);
        }
        if (rounds == PAIR_MAX_ROUNDS) {
            print_error("pair: closing endpoint a -> b over %s: flush still "
                        "in progress after %lu progress rounds\n",
                        tls_under_test, rounds);
            rc = -1;
        }
        verve_request_free(req);
    }
    if (p->b != p->a) {
        verve_worker_destroy(p->b);
    }
    verve_worker_destroy(p->a);
    verve_context_destroy(p->context);
    free(p);
    return rc;
}
