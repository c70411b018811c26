/*
 * What the registration cache tests share: a fake registration that
 * counts what is live, and a fixture with a cache and an arena of pages.
 * Included by each test program (static functions).
 */
#ifndef TEST_RCACHE_FIXTURE_H
#define TEST_RCACHE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "core/mem/rcache.h"

/* A fake registration: what was registered, and whether it still is. */
typedef struct fake_memh {
    uintptr_t start;
    size_t length;
    int live;
} fake_memh_t;

typedef struct fake_ops_state {
    unsigned live;            /* registrations not yet deregistered */
    unsigned total;
} fake_ops_state_t;

static verve_status_t fake_reg(void *arg, void *address, size_t length,
                               void **memh_p)
{
    fake_ops_state_t *state = arg;
    fake_memh_t *memh = malloc(sizeof(*memh));

    assert_non_null(memh);
    memh->start = (uintptr_t)address;
    memh->length = length;
    memh->live = 1;
    ++state->live;
    ++state->total;
    *memh_p = memh;
    return VERVE_OK;
}

static void fake_dereg(void *arg, void *memh)
{
    fake_ops_state_t *state = arg;
    fake_memh_t *m = memh;

    assert_int_equal(m->live, 1);
    --state->live;
    free(m);
}

static const vs_rcache_ops_t fake_ops = {fake_reg, fake_dereg};

typedef struct fixture {
    fake_ops_state_t ops;
    vs_rcache_t *rcache;
    size_t page;
    uint8_t *arena;           /* 64 pages to carve buffers from */
} fixture_t;

static int fixture_make(void **state, size_t max_bytes, size_t max_regions,
                        vs_rcache_events_t events)
{
    fixture_t *f = calloc(1, sizeof(*f));
    vs_rcache_params_t params = {
        .name = "test rcache", .max_bytes = max_bytes,
        .max_regions = max_regions, .ops = &fake_ops, .events = events};

    assert_non_null(f);
    params.arg = &f->ops;
    f->page = (size_t)sysconf(_SC_PAGESIZE);
    f->arena = mmap(NULL, 64 * f->page, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(f->arena != MAP_FAILED);
    assert_int_equal(vs_rcache_create(&params, &f->rcache), VERVE_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;

    vs_rcache_destroy(f->rcache);
    assert_int_equal(f->ops.live, 0);
    munmap(f->arena, 64 * f->page);
    free(f);
    return 0;
}

#endif
