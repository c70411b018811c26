/*
 * Registration cache: zero-copy on buffers the application never
 * registered costs one registration per region, not one per message.
 * Regions are page aligned and never overlap in the cache: a miss that
 * overlaps or touches cached regions registers their union and drops
 * them. Unused regions are evicted in LRU order past a bound in bytes or
 * in count. Memory events (mem_event.h) drop every region the
 * application unmaps or changes, so a stale registration is never handed
 * out; where the kernel gives no events the cache registers per use.
 *
 * Thread safe. A region returned by get stays registered until put, even
 * if it is dropped meanwhile.
 */
#ifndef VS_RCACHE_H
#define VS_RCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <verve/verve_status.h>
#include "core/base/list.h"

typedef struct vs_rcache vs_rcache_t;

typedef struct vs_rcache_region {
    uintptr_t start;        /* page aligned [start, end) */
    uintptr_t end;
    void *memh;             /* what ops->reg returned */
    unsigned refcount;      /* users */
    unsigned flags;         /* internal */
    vs_list_link_t list;    /* LRU while cached and unused */
} vs_rcache_region_t;

typedef struct vs_rcache_ops {
    verve_status_t (*reg)(void *arg, void *address, size_t length,
                          void **memh_p);
    void (*dereg)(void *arg, void *memh);
} vs_rcache_ops_t;

/* Who tells the cache that memory went away. */
typedef enum vs_rcache_events {
    VS_RCACHE_EVENTS_NONE,     /* nobody: register per use, cache nothing */
    VS_RCACHE_EVENTS_KERNEL,   /* memory events; per use where there are
                                  none */
    VS_RCACHE_EVENTS_MANUAL    /* only vs_rcache_invalidate (tests, and
                                  callers that track memory themselves) */
} vs_rcache_events_t;

typedef struct vs_rcache_params {
    const char *name;          /* in messages */
    size_t max_bytes;          /* unused regions beyond are evicted */
    size_t max_regions;
    const vs_rcache_ops_t *ops;
    void *arg;
    vs_rcache_events_t events;
} vs_rcache_params_t;

typedef struct vs_rcache_stats {
    size_t regions;            /* cached now */
    size_t bytes;
    size_t registrations;      /* ops->reg calls so far */
    size_t hits;
    size_t merges;
    size_t evictions;
    size_t invalidations;      /* regions dropped by memory events */
} vs_rcache_stats_t;

verve_status_t vs_rcache_create(const vs_rcache_params_t *params,
                                vs_rcache_t **rcache_p);
/* Every region must have been put. */
void vs_rcache_destroy(vs_rcache_t *rcache);
verve_status_t vs_rcache_get(vs_rcache_t *rcache, void *address,
                             size_t length, vs_rcache_region_t **region_p);
void vs_rcache_put(vs_rcache_t *rcache, vs_rcache_region_t *region);
/* Drops the regions overlapping [start, end); the memory-event path, and
 * open to tests. */
void vs_rcache_invalidate(vs_rcache_t *rcache, uintptr_t start,
                          uintptr_t end);
void vs_rcache_stats(vs_rcache_t *rcache, vs_rcache_stats_t *stats);
/* Whether regions are cached (memory events work) or registered per use. */
int vs_rcache_is_caching(vs_rcache_t *rcache);

#endif
