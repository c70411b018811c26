/*
 * Buffers that verve_mem_map did not register, on rc between two workers
 * of one process (loopback through the rxe device): puts and rendezvous
 * from malloc'd buffers in loops of malloc/send/free/realloc; munmap,
 * madvise(MADV_DONTNEED), mremap, shmdt (of normal and, with the hugetlb
 * argument, SHM_HUGETLB segments) and brk shrinking followed by new
 * contents at the same address, which the receiver must see every time;
 * the cache's bounds; transfers from and into pages never touched. Run by mem_reg.sh with
 * VERVE_ODP=no (the registration cache) and by mem_odp.sh with
 * VERVE_ODP=yes; the first argument names the path expected: cache or
 * odp (exit 77 when ODP is refused); a second, hugetlb, also runs the
 * shmdt rounds on huge page segments (the caller reserved the pages).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>
#include <verve/verve.h>
#include "mem_pair.h"
#include "transports/verbs/verbs.h"

#define TARGET (4u << 20)
#define REMAP_LEN (1u << 20)
#define BOUND_REGIONS 8
#define BOUND_BYTES (12u << 20)

/* The first byte where two buffers differ, for messages. */
static size_t first_diff(const uint8_t *a, const uint8_t *b, size_t length)
{
    size_t i = 0;

    while (i < length && a[i] == b[i]) {
        ++i;
    }
    return i;
}

/* Both ways out of a buffer: a put into target, a rendezvous into rbuf. */
static void send_both(pair_t *p, const uint8_t *buffer, size_t length,
                      const char *what, unsigned round)
{
    memset(p->target, 0xee, length);
    pair_put(p, buffer, length);
    check(memcmp(p->target, buffer, length) == 0,
          "%s round %u: put of %zu bytes: target differs from byte %zu "
          "(0x%x, not 0x%x)", what, round, length,
          first_diff(p->target, buffer, length),
          p->target[first_diff(p->target, buffer, length)],
          buffer[first_diff(p->target, buffer, length)]);
    memset(p->rbuf, 0xee, length);
    pair_rndv(p, buffer, length);
    check(memcmp(p->rbuf, buffer, length) == 0,
          "%s round %u: rendezvous of %zu bytes differs from byte %zu",
          what, round, length, first_diff(p->rbuf, buffer, length));
}

static void test_malloc_loop(pair_t *p)
{
    static const size_t sizes[] = {64u << 10, 200000, 1u << 20, 70001};
    unsigned round;

    for (round = 0; round < 16; ++round) {
        size_t length = sizes[round % 4];
        uint8_t *buffer = malloc(length);

        check(buffer != NULL, "malloc");
        fill(buffer, length, round);
        send_both(p, buffer, length, "malloc", round);
        buffer = realloc(buffer, length * 2);
        check(buffer != NULL, "realloc");
        fill(buffer, length * 2, round + 100);
        send_both(p, buffer, length * 2, "realloc", round);
        free(buffer);
    }
    printf("malloc/send/free/realloc: 16 rounds of puts and rendezvous "
           "checked\n");
}

static void test_remap(pair_t *p)
{
    vt_verbs_reg_stats_t before, after;
    uint8_t *buffer, *moved;
    unsigned round;

    buffer = mmap(NULL, REMAP_LEN, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check(buffer != MAP_FAILED, "mmap");
    fill(buffer, REMAP_LEN, 0);
    send_both(p, buffer, REMAP_LEN, "first map", 0);
    vt_verbs_reg_stats(&before);
    /* Both ends of the put and of the rendezvous are in the cache now. */
    send_both(p, buffer, REMAP_LEN, "first map again", 0);
    vt_verbs_reg_stats(&after);
    if (p->cache) {
        check(after.registrations + after.uncached ==
              before.registrations + before.uncached,
              "sending an unchanged buffer again registered %zu times",
              after.registrations + after.uncached -
                      before.registrations - before.uncached);
    }
    for (round = 1; round <= 6; ++round) {
        uint8_t *again;
        void *spot;

        switch (round % 3) {
        case 0:   /* munmap, and a new mapping at the same address */
            check(munmap(buffer, REMAP_LEN) == 0, "munmap");
            again = mmap(buffer, REMAP_LEN, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                         -1, 0);
            check(again == buffer, "mmap at %p again: got %p", buffer,
                  again);
            break;
        case 1:   /* the pages go back to the kernel, the range stays */
            check(madvise(buffer, REMAP_LEN, MADV_DONTNEED) == 0,
                  "madvise");
            break;
        default:  /* the pages move away, new ones come in their place */
            spot = mmap(NULL, REMAP_LEN, PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            check(spot != MAP_FAILED, "mmap");
            moved = mremap(buffer, REMAP_LEN, REMAP_LEN,
                           MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
                           spot);
            if (moved == MAP_FAILED) {
                /* Without DONTUNMAP: move, then map the hole again. */
                moved = mremap(buffer, REMAP_LEN, REMAP_LEN,
                               MREMAP_MAYMOVE | MREMAP_FIXED, spot);
                check(moved != MAP_FAILED, "mremap");
                again = mmap(buffer, REMAP_LEN, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS |
                                     MAP_FIXED_NOREPLACE, -1, 0);
                check(again == buffer, "mmap after mremap: %p", again);
            }
            check(munmap(moved, REMAP_LEN) == 0, "munmap moved");
            break;
        }
        fill(buffer, REMAP_LEN, round);
        send_both(p, buffer, REMAP_LEN, "remapped", round);
    }
    vt_verbs_reg_stats(&after);
    if (p->cache) {
        check(after.invalidations > before.invalidations,
              "no invalidation after munmap/madvise/mremap (%zu)",
              after.invalidations);
    }
    check(munmap(buffer, REMAP_LEN) == 0, "munmap");
    printf("remap: 6 rounds of munmap/madvise/mremap then new contents at "
           "the same address, seen by the receiver (%zu invalidations)\n",
           after.invalidations - before.invalidations);
}

/* Three rounds of a SysV segment (shmget flags: 0 or SHM_HUGETLB) sent
 * from, detached, and a new one attached at the same address with other
 * contents (seed + round). */
static void shm_rounds(pair_t *p, size_t length, int flags, unsigned seed,
                       const char *what)
{
    uint8_t *base = NULL;
    unsigned round;

    for (round = 0; round < 3; ++round) {
        uint8_t *seg;
        int id = shmget(IPC_PRIVATE, length, IPC_CREAT | flags | 0600);

        check(id >= 0, "%s: shmget of %zu bytes: %s", what, length,
              strerror(errno));
        seg = shmat(id, base, 0);
        check(seg != (void *)-1, "%s: shmat at %p", what, (void *)base);
        shmctl(id, IPC_RMID, NULL);
        check(base == NULL || seg == base, "%s: shmat at %p gave %p", what,
              (void *)base, (void *)seg);
        base = seg;
        fill(seg, length, seed + round);
        send_both(p, seg, length, what, round);
        check(shmdt(seg) == 0, "shmdt");
    }
}

/* SysV shared memory detached and another segment attached at the same
 * address; the heap shrunk with brk and grown again. */
static void test_shm_brk(pair_t *p)
{
    uint8_t *base, *top;
    unsigned round;

    shm_rounds(p, REMAP_LEN, 0, 40, "shm segment");
    /* Only when nothing lies above our part of the heap: shrinking it
     * must not take memory that malloc extended the heap with. */
    base = sbrk(0);
    check(sbrk(REMAP_LEN) == (void *)base, "sbrk");
    for (round = 0; round < 3; ++round) {
        fill(base, REMAP_LEN, 50 + round);
        send_both(p, base, REMAP_LEN, "heap top", round);
        top = sbrk(0);
        if (top != base + REMAP_LEN) {
            printf("brk: the heap grew above the test's part: not shrunk\n");
            return;
        }
        check(sbrk(-(intptr_t)REMAP_LEN) != (void *)-1 &&
              sbrk(REMAP_LEN) == (void *)base, "brk shrink and grow");
    }
    check(sbrk(0) == base + REMAP_LEN &&
          sbrk(-(intptr_t)REMAP_LEN) != (void *)-1, "brk shrink");
    printf("shm, brk: 3 rounds each of shmdt/shmat and brk shrink/grow "
           "at the same address, new contents seen by the receiver\n");
}

/* The same shmdt/shmat rounds on SHM_HUGETLB segments: huge pages, whose
 * unmap the memory events must report as well (or the cache must keep
 * out of them). length: a multiple of the huge page size. */
static void test_shm_hugetlb(pair_t *p, size_t length)
{
    vt_verbs_reg_stats_t before, after;

    vt_verbs_reg_stats(&before);
    shm_rounds(p, length, SHM_HUGETLB, 60, "SHM_HUGETLB segment");
    vt_verbs_reg_stats(&after);
    /* Each round's new segment is registered at least once, whether the
     * cache keeps it (a detach then invalidates it) or registers it per
     * use (memory the events cannot watch): a round that registered
     * nothing sent from the old segment's registration. The receiver's
     * buffer is cached from the earlier tests and adds none. */
    check(after.registrations >= before.registrations + 3,
          "3 rounds of new huge page segments made only %zu registrations",
          after.registrations - before.registrations);
    printf("shm hugetlb: 3 rounds of shmdt/shmat of %zu-byte huge page "
           "segments at the same address, new contents seen by the "
           "receiver (%zu registrations, %zu invalidations)\n", length,
           after.registrations - before.registrations,
           after.invalidations - before.invalidations);
}

static void test_bounds(pair_t *p)
{
    /* Separate mappings with gaps between them, so nothing merges. */
    const size_t length = 512u << 10, stride = length + 4096;
    uint8_t *area = mmap(NULL, 32 * stride, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    vt_verbs_reg_stats_t stats;
    unsigned i;

    check(area != MAP_FAILED, "mmap");
    for (i = 0; i < 32; ++i) {
        uint8_t *buffer = area + i * stride;

        fill(buffer, length, i);
        send_both(p, buffer, length, "bounds", i);
        vt_verbs_reg_stats(&stats);
        /* The target's own mapping (verve_mem_map) stays in use. */
        check(stats.in_use <= 1, "%zu registrations still in use",
              stats.in_use);
        check(stats.regions <= BOUND_REGIONS && stats.bytes <= BOUND_BYTES,
              "after buffer %u: %zu regions, %zu bytes cached (bounds %d, "
              "%u)", i, stats.regions, stats.bytes, BOUND_REGIONS,
              BOUND_BYTES);
    }
    check(stats.evictions > 0, "32 buffers of 512 KiB and no eviction");
    check(munmap(area, 32 * stride) == 0, "munmap");
    printf("bounds: 32 buffers, at most %zu regions and %zu bytes cached "
           "(%zu registrations, %zu hits, %zu evictions)\n", stats.regions,
           stats.bytes, stats.registrations, stats.hits, stats.evictions);
}

static void test_untouched(pair_t *p)
{
    uint8_t *fresh = mmap(NULL, REMAP_LEN, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint8_t *dest = mmap(NULL, REMAP_LEN, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    verve_request_h req = NULL;
    size_t i;

    check(fresh != MAP_FAILED && dest != MAP_FAILED, "mmap");
    /* Out of pages never touched: the receiver must see zeros. */
    memset(p->rbuf, 0xee, REMAP_LEN);
    pair_rndv(p, fresh, REMAP_LEN);
    for (i = 0; i < REMAP_LEN; ++i) {
        check(p->rbuf[i] == 0, "untouched source: byte %zu is 0x%x", i,
              p->rbuf[i]);
    }
    memset(p->target, 0xee, REMAP_LEN);
    pair_put(p, fresh + 4096, REMAP_LEN - 4096);
    check(p->target[0] == 0 && p->target[REMAP_LEN - 4097] == 0 &&
          memchr(p->target, 0xee, REMAP_LEN - 4096) == NULL,
          "put from untouched pages is not zero");
    /* Into pages never touched: a get writes them. */
    fill(p->target, REMAP_LEN, 77);
    pair_drive(p, verve_get_nbx(p->ab, dest, REMAP_LEN,
                                (uint64_t)(uintptr_t)p->target, p->rkey,
                                NULL, &req), &req, "get into untouched");
    check(memcmp(dest, p->target, REMAP_LEN) == 0,
          "get into untouched pages differs");
    check(munmap(fresh, REMAP_LEN) == 0 && munmap(dest, REMAP_LEN) == 0,
          "munmap");
    printf("untouched: rendezvous and put from, get into pages never "
           "touched\n");
}

int main(int argc, char **argv)
{
    vt_verbs_reg_path_t path;
    verve_status_t status;
    pair_t p = {0};

    check((argc == 2 || (argc == 3 && !strcmp(argv[2], "hugetlb"))) &&
          (!strcmp(argv[1], "cache") || !strcmp(argv[1], "odp")),
          "usage: mem_reg cache|odp [hugetlb]");
    p.cache = !strcmp(argv[1], "cache");
    alarm(600);
    /* Before anything registers: VERVE_ODP=yes on a device whose ODP
     * fails its test transfer refuses here, and the caller skips. */
    status = vt_verbs_reg_path(&path);
    if (!p.cache && status == VERVE_ERR_UNSUPPORTED) {
        printf("SKIP: ODP refused: %s\n", vt_verbs_reg_why());
        return 77;
    }
    check(status == VERVE_OK, "registration path: %s",
          verve_status_string(status));
    printf("path: %s (%s)\n", vt_verbs_path_name(path), vt_verbs_reg_why());
    check(p.cache ? path == VT_VERBS_PATH_RCACHE
                  : (path == VT_VERBS_PATH_ODP ||
                     path == VT_VERBS_PATH_ODP_IMPLICIT),
          "expected the %s path, got %s", argv[1],
          vt_verbs_path_name(path));
    pair_open(&p, TARGET, TARGET);

    test_malloc_loop(&p);
    test_remap(&p);
    test_untouched(&p);
    test_shm_brk(&p);
    if (argc == 3) {
        test_shm_hugetlb(&p, 2u << 20);
    }
    test_bounds(&p);

    pair_close(&p);
    printf("mem_reg %s: all checks passed\n", argv[1]);
    return 0;
}
