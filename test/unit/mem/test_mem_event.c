/*
 * Memory events from the kernel (userfaultfd) driving the registration
 * cache: a region must be dropped when the application gives its memory
 * back (munmap, mremap, madvise, brk), so that memory mapped again at the
 * same address is registered afresh; a SysV segment, whose shmdt raises
 * no event, is never cached. Skipped as a whole (exit 77)
 * where the kernel offers no events (valgrind does not know the system
 * call); the cache then registers per use, which test_rcache.c checks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "../unit_skip.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>
#include "core/mem/rcache.h"
#include "rcache_fixture.h"

static int setup(void **state)
{
    return fixture_make(state, SIZE_MAX, SIZE_MAX, VS_RCACHE_EVENTS_KERNEL);
}

/* Maps 4 pages at a given address (or anywhere), filled with a byte.
 * NULL when something else took the address meanwhile (the sanitizers'
 * allocators map memory of their own): the caller tries again. */
static uint8_t *map_at(void *address, int fill, size_t page)
{
    uint8_t *p = mmap(address, 4 * page, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS |
                      (address ? MAP_FIXED_NOREPLACE : 0), -1, 0);
    if (address != NULL && (p == MAP_FAILED || p != address)) {
        if (p != MAP_FAILED) {
            munmap(p, 4 * page);   /* kernels before 4.17 ignore the flag */
        }
        return NULL;
    }
    assert_true(p != MAP_FAILED);
    memset(p, fill, 4 * page);
    return p;
}

/* Registers [p, +4 pages), then checks the region is dropped after the
 * memory is given back by `release`, and that the memory mapped again
 * gets a new registration. */
static void check_event(fixture_t *f, void (*release)(uint8_t *, size_t),
                        const char *what)
{
    vs_rcache_region_t *a, *b;
    vs_rcache_stats_t stats;
    uint8_t *p, *q = NULL;
    unsigned total = 0;
    int attempt;

    for (attempt = 0; q == NULL && attempt < 20; ++attempt) {
        p = map_at(NULL, 1, f->page);
        assert_int_equal(vs_rcache_get(f->rcache, p, 4 * f->page, &a),
                         VERVE_OK);
        vs_rcache_put(f->rcache, a);
        total = f->ops.total;
        release(p, f->page);
        q = map_at(p, 2, f->page);
    }
    if (q == NULL) {
        fail_msg("%s: could not map the same address again in 20 tries",
                 what);
    }
    p = q;
    assert_int_equal(vs_rcache_get(f->rcache, p, 4 * f->page, &b),
                     VERVE_OK);
    vs_rcache_stats(f->rcache, &stats);
    if (f->ops.total != total + 1) {
        fail_msg("%s: the memory mapped again reused the old registration",
                 what);
    }
    assert_true(stats.invalidations >= 1);
    vs_rcache_put(f->rcache, b);
    munmap(p, 4 * f->page);
}

static void release_munmap(uint8_t *p, size_t page)
{
    assert_int_equal(munmap(p, 4 * page), 0);
}

static void release_munmap_part(uint8_t *p, size_t page)
{
    /* one page is enough to drop the region; then the rest */
    assert_int_equal(munmap(p + page, page), 0);
    assert_int_equal(munmap(p, 4 * page), 0);
}

static void release_mremap(uint8_t *p, size_t page)
{
    void *q = mremap(p, 4 * page, 8 * page, MREMAP_MAYMOVE);
    assert_true(q != MAP_FAILED);
    if (q == p) {
        assert_int_equal(munmap(p, 8 * page), 0);
    } else {
        assert_int_equal(munmap(q, 8 * page), 0);
    }
}

static void release_madvise(uint8_t *p, size_t page)
{
    /* the mapping stays; the pages are new: a registration of the old
     * ones must not be used (map_at then fails on the still-mapped range,
     * so unmap after the event) */
    assert_int_equal(madvise(p, 4 * page, MADV_DONTNEED), 0);
    assert_int_equal(munmap(p, 4 * page), 0);
}

static void test_memory_events(void **state)
{
    fixture_t *f = *state;

    check_event(f, release_munmap, "munmap");
    check_event(f, release_munmap_part, "munmap of one page");
    check_event(f, release_mremap, "mremap");
    check_event(f, release_madvise, "madvise(MADV_DONTNEED)");
}

static void test_madvise_keeps_mapping(void **state)
{
    fixture_t *f = *state;
    uint8_t *p = map_at(NULL, 1, f->page);
    vs_rcache_region_t *a, *b;

    assert_int_equal(vs_rcache_get(f->rcache, p, 4 * f->page, &a),
                     VERVE_OK);
    vs_rcache_put(f->rcache, a);
    assert_int_equal(madvise(p + f->page, f->page, MADV_DONTNEED), 0);
    assert_int_equal(p[f->page], 0);         /* fresh zero page */
    assert_int_equal(vs_rcache_get(f->rcache, p, 4 * f->page, &b),
                     VERVE_OK);
    assert_int_equal(f->ops.total, 2);
    vs_rcache_put(f->rcache, b);
    munmap(p, 4 * f->page);
}

/* shmdt raises no memory event, so a SysV segment must never be cached:
 * a second use of [p, p + length) registers again. */
static void assert_registered_per_use(fixture_t *f, void *p, size_t length)
{
    vs_rcache_region_t *a;
    unsigned total;

    assert_int_equal(vs_rcache_get(f->rcache, p, length, &a), VERVE_OK);
    vs_rcache_put(f->rcache, a);
    total = f->ops.total;
    assert_int_equal(vs_rcache_get(f->rcache, p, length, &a), VERVE_OK);
    vs_rcache_put(f->rcache, a);
    assert_int_equal(f->ops.total, total + 1);
}

static void test_shmdt(void **state)
{
    fixture_t *f = *state;
    vs_rcache_region_t *b;
    uint8_t *p, *q = NULL;
    unsigned total = 0;
    int attempt, id;

    for (attempt = 0; q == NULL && attempt < 20; ++attempt) {
        id = shmget(IPC_PRIVATE, 4 * f->page, IPC_CREAT | 0600);
        assert_true(id >= 0);
        p = shmat(id, NULL, 0);
        assert_true(p != (void *)-1);
        shmctl(id, IPC_RMID, NULL);
        assert_registered_per_use(f, p, 4 * f->page);
        total = f->ops.total;
        assert_int_equal(shmdt(p), 0);
        q = map_at(p, 3, f->page);
    }
    if (q == NULL) {
        fail_msg("shmdt: could not map the same address again in 20 tries");
    }
    assert_int_equal(vs_rcache_get(f->rcache, q, 4 * f->page, &b),
                     VERVE_OK);
    assert_int_equal(f->ops.total, total + 1);
    vs_rcache_put(f->rcache, b);
    munmap(q, 4 * f->page);
}

/* A SHM_HUGETLB segment: kernels with uffd-wp PTE markers (6.18 here)
 * let it be watched, but its shmdt raises no event either: it must not be
 * cached. Needs a reserved 2 MiB huge page; skipped (and said) without. */
static void test_shmdt_hugetlb(void **state)
{
    fixture_t *f = *state;
    const size_t length = 2u << 20;
    uint8_t *p;
    int id;

    id = shmget(IPC_PRIVATE, length, IPC_CREAT | SHM_HUGETLB | 0600);
    if (id < 0) {
        printf("test_shmdt_hugetlb: no SHM_HUGETLB segment (%s; no huge "
               "pages reserved in /proc/sys/vm/nr_hugepages?): skipped\n",
               strerror(errno));
        unit_skip();
    }
    p = shmat(id, NULL, 0);
    shmctl(id, IPC_RMID, NULL);
    assert_true(p != (void *)-1);
    memset(p, 1, length);
    assert_registered_per_use(f, p, length);
    assert_int_equal(shmdt(p), 0);
}

static void test_brk(void **state)
{
    fixture_t *f = *state;
    uint8_t *top = sbrk(0), *p;
    vs_rcache_region_t *a, *b;
    size_t length = 4 * f->page;

    assert_true(top != (void *)-1);
    /* grow the heap by whole pages past a page boundary, register, shrink
     * it back, grow again: the new pages are not the old ones */
    p = (uint8_t *)(((uintptr_t)top + f->page - 1) & ~(f->page - 1));
    assert_true(sbrk((intptr_t)(p - top + (ptrdiff_t)length)) !=
                (void *)-1);
    memset(p, 1, length);
    assert_int_equal(vs_rcache_get(f->rcache, p, length, &a), VERVE_OK);
    vs_rcache_put(f->rcache, a);
    assert_true(sbrk(-(intptr_t)(p - top + (ptrdiff_t)length)) !=
                (void *)-1);
    assert_true(sbrk((intptr_t)(p - top + (ptrdiff_t)length)) !=
                (void *)-1);
    memset(p, 2, length);
    assert_int_equal(vs_rcache_get(f->rcache, p, length, &b), VERVE_OK);
    assert_int_equal(f->ops.total, 2);
    vs_rcache_put(f->rcache, b);
    sbrk(-(intptr_t)(p - top + (ptrdiff_t)length));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_memory_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_madvise_keeps_mapping, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_shmdt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shmdt_hugetlb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_brk, setup, teardown),
    };
    void *f;
    int caching;

    setup(&f);
    caching = vs_rcache_is_caching(((fixture_t *)f)->rcache);
    teardown(&f);
    if (!caching) {
        printf("SKIP: the kernel offers no memory events here "
               "(userfaultfd)\n");
        return 77;
    }
    return unit_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
