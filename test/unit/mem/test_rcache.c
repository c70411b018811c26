/*
 * The registration cache's structure: lookups, merging, eviction,
 * invalidation of part of a region, in-use regions outliving their drop,
 * and registration per use when nothing reports unmaps. Invalidation is
 * driven by hand here; test_mem_event.c drives it with the kernel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>
#include "core/mem/rcache.h"
#include "rcache_fixture.h"

static int setup(void **state)
{
    return fixture_make(state, SIZE_MAX, SIZE_MAX, VS_RCACHE_EVENTS_MANUAL);
}

static int setup_small(void **state)
{
    /* 3 regions or 8 pages, whichever is reached first */
    return fixture_make(state, 8 * (size_t)sysconf(_SC_PAGESIZE), 3,
                        VS_RCACHE_EVENTS_MANUAL);
}

static vs_rcache_region_t *get(fixture_t *f, size_t page, size_t offset,
                               size_t length)
{
    vs_rcache_region_t *region;

    assert_int_equal(vs_rcache_get(f->rcache, f->arena + page * f->page +
                                   offset, length, &region), VERVE_OK);
    assert_true(region->start <= (uintptr_t)f->arena + page * f->page +
                                 offset);
    assert_true(region->end >= (uintptr_t)f->arena + page * f->page +
                               offset + length);
    return region;
}

static void test_hit_and_contained(void **state)
{
    fixture_t *f = *state;
    vs_rcache_region_t *a = get(f, 2, 100, 3 * f->page);
    vs_rcache_region_t *b, *c;
    vs_rcache_stats_t stats;

    assert_true(vs_rcache_is_caching(f->rcache));
    b = get(f, 2, 100, 3 * f->page);
    c = get(f, 3, 0, 10);                    /* inside a */
    assert_ptr_equal(a, b);
    assert_ptr_equal(a, c);
    assert_int_equal(f->ops.total, 1);
    vs_rcache_stats(f->rcache, &stats);
    assert_int_equal(stats.hits, 2);
    assert_int_equal(stats.regions, 1);
    assert_int_equal(stats.bytes, 4 * f->page);   /* page aligned */
    vs_rcache_put(f->rcache, a);
    vs_rcache_put(f->rcache, b);
    vs_rcache_put(f->rcache, c);
    /* unused but cached: still registered */
    assert_int_equal(f->ops.live, 1);
}

static void test_overlap_and_adjacent_merge(void **state)
{
    fixture_t *f = *state;
    vs_rcache_region_t *a, *b, *c, *d;
    vs_rcache_stats_t stats;

    a = get(f, 0, 0, 2 * f->page);           /* [0, 2) */
    b = get(f, 1, 0, 2 * f->page);           /* [1, 3): overlaps a */
    assert_ptr_not_equal(a, b);
    assert_int_equal(b->start, (uintptr_t)f->arena);
    assert_int_equal(b->end, (uintptr_t)f->arena + 3 * f->page);
    c = get(f, 3, 0, f->page);               /* [3, 4): touches b */
    assert_int_equal(c->start, (uintptr_t)f->arena);
    assert_int_equal(c->end, (uintptr_t)f->arena + 4 * f->page);
    vs_rcache_stats(f->rcache, &stats);
    assert_int_equal(stats.regions, 1);
    assert_int_equal(stats.merges, 2);
    /* a and b were dropped from the cache but stay registered in use */
    assert_int_equal(f->ops.live, 3);
    vs_rcache_put(f->rcache, a);
    vs_rcache_put(f->rcache, b);
    assert_int_equal(f->ops.live, 1);
    d = get(f, 0, 0, 4 * f->page);           /* the merged region */
    assert_ptr_equal(c, d);
    vs_rcache_put(f->rcache, c);
    vs_rcache_put(f->rcache, d);
    /* a region that spans two separate cached ones takes both in */
    a = get(f, 10, 0, f->page);
    b = get(f, 14, 0, f->page);
    c = get(f, 9, 0, 7 * f->page);
    assert_int_equal(c->start, (uintptr_t)f->arena + 9 * f->page);
    assert_int_equal(c->end, (uintptr_t)f->arena + 16 * f->page);
    vs_rcache_put(f->rcache, a);
    vs_rcache_put(f->rcache, b);
    vs_rcache_put(f->rcache, c);
    vs_rcache_stats(f->rcache, &stats);
    assert_int_equal(stats.regions, 2);      /* [0, 4) and [9, 16) */
}

static void test_eviction(void **state)
{
    fixture_t *f = *state;
    vs_rcache_region_t *r[5];
    vs_rcache_stats_t stats;
    int i;

    /* bound by count (3): the least recently used unused region goes */
    for (i = 0; i < 4; ++i) {
        r[i] = get(f, (size_t)i * 2, 0, f->page);
        vs_rcache_put(f->rcache, r[i]);
    }
    vs_rcache_stats(f->rcache, &stats);
    assert_int_equal(stats.regions, 3);
    assert_int_equal(stats.evictions, 1);
    assert_int_equal(f->ops.live, 3);
    r[0] = get(f, 0, 0, f->page);            /* evicted: registered again */
    assert_int_equal(f->ops.total, 5);
    /* r[0] in use: never evicted, the others go first */
    r[4] = get(f, 20, 0, 6 * f->page);       /* bound by bytes (8 pages) */
    vs_rcache_stats(f->rcache, &stats);
    assert_true(stats.bytes <= 8 * f->page);
    assert_true(stats.regions <= 3);
    vs_rcache_put(f->rcache, r[4]);
    r[1] = get(f, 0, 0, f->page);
    assert_ptr_equal(r[0], r[1]);
    vs_rcache_put(f->rcache, r[0]);
    vs_rcache_put(f->rcache, r[1]);
}

static void test_invalidate_part(void **state)
{
    fixture_t *f = *state;
    vs_rcache_region_t *a, *b;
    vs_rcache_stats_t stats;

    a = get(f, 4, 0, 4 * f->page);
    /* one page in the middle: the whole region is dropped, but it stays
     * registered while in use */
    vs_rcache_invalidate(f->rcache, (uintptr_t)f->arena + 5 * f->page,
                         (uintptr_t)f->arena + 6 * f->page);
    vs_rcache_stats(f->rcache, &stats);
    assert_int_equal(stats.regions, 0);
    assert_int_equal(stats.invalidations, 1);
    assert_int_equal(f->ops.live, 1);
    b = get(f, 4, 0, 4 * f->page);
    assert_ptr_not_equal(a, b);
    assert_int_equal(f->ops.total, 2);
    vs_rcache_put(f->rcache, a);
    assert_int_equal(f->ops.live, 1);
    vs_rcache_put(f->rcache, b);
    /* invalidating next to a region leaves it alone */
    vs_rcache_invalidate(f->rcache, (uintptr_t)f->arena + 8 * f->page,
                         (uintptr_t)f->arena + 9 * f->page);
    vs_rcache_stats(f->rcache, &stats);
    assert_int_equal(stats.regions, 1);
}

/* Without memory events every get registers and every put deregisters. */
static void test_no_events(void **state)
{
    fixture_t *f;
    vs_rcache_region_t *a, *b;

    (void)state;
    fixture_make((void **)&f, SIZE_MAX, SIZE_MAX, VS_RCACHE_EVENTS_NONE);
    assert_false(vs_rcache_is_caching(f->rcache));
    a = get(f, 0, 0, f->page);
    b = get(f, 0, 0, f->page);
    assert_ptr_not_equal(a, b);
    assert_int_equal(f->ops.live, 2);
    vs_rcache_put(f->rcache, a);
    vs_rcache_put(f->rcache, b);
    assert_int_equal(f->ops.live, 0);
    teardown((void **)&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hit_and_contained, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_overlap_and_adjacent_merge,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_eviction, setup_small,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invalidate_part, setup,
                                        teardown),
        cmocka_unit_test(test_no_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
