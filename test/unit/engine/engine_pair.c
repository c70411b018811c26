#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "engine_pair.h"
#include "../../asleep.h"

const char *tls_under_test = "shm";

void pair_progress(pair_t *p)
{
    verve_worker_progress(p->a);
    if (p->b != p->a) {
        verve_worker_progress(p->b);
    }
}

void pair_wait_asleep(long tid)
{
    if (!test_wait_asleep(tid)) {
        fail_msg("pair: thread %ld not seen in epoll_wait (%u looks, or "
                 "/proc/self/task/%ld/syscall unreadable)", tid,
                 TEST_ASLEEP_MAX_LOOKS, tid);
    }
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

    if (p->ab != NULL &&
        verve_ep_close_nbx(p->ab, VERVE_EP_CLOSE_FLUSH, NULL, &req) ==
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
