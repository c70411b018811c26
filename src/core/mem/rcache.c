/*
 * Registration cache over a sorted array of non-overlapping regions:
 * lookup is a binary search, a miss costs a memmove of pointers, which
 * for the thousands of regions a cache holds is cheaper than keeping a
 * tree balanced. Regions dropped while unused go to a graveyard that the
 * application's own threads empty outside the lock: the event thread
 * must not free (see mem_event.h), and nothing is deregistered with the
 * lock held, so a heap trim inside free or dereg cannot wait on the event
 * thread while it waits on the lock.
 */
#include "verve_config.h"
#include "rcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mem_event.h"
#include "core/base/compiler.h"
#include "core/base/log.h"

enum {
    VS_RCACHE_REGION_CACHED = 1u << 0    /* in the array */
};

struct vs_rcache {
    vs_rcache_params_t params;
    pthread_mutex_t lock;
    vs_rcache_region_t **regions;     /* sorted by start */
    size_t count;
    size_t capacity;
    size_t bytes;
    vs_list_link_t lru;               /* cached and unused, oldest first */
    vs_list_link_t graveyard;         /* dropped and unused */
    vs_rcache_stats_t stats;
    uintptr_t page_size;
    int caching;
    int kernel_events;                /* subscribed to memory events */
};

static void vs_rcache_event_cb(void *arg, uintptr_t start, uintptr_t end)
{
    vs_rcache_invalidate(arg, start, end);
}

verve_status_t vs_rcache_create(const vs_rcache_params_t *params,
                                vs_rcache_t **rcache_p)
{
    vs_rcache_t *rcache = calloc(1, sizeof(*rcache));

    if (rcache == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    rcache->params = *params;
    pthread_mutex_init(&rcache->lock, NULL);
    vs_list_init(&rcache->lru);
    vs_list_init(&rcache->graveyard);
    rcache->page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
    switch (params->events) {
    case VS_RCACHE_EVENTS_KERNEL:
        rcache->caching = vs_mem_event_subscribe(vs_rcache_event_cb,
                                                 rcache) == VERVE_OK;
        rcache->kernel_events = rcache->caching;
        break;
    case VS_RCACHE_EVENTS_MANUAL:
        rcache->caching = 1;
        break;
    default:
        rcache->caching = 0;
        break;
    }
    if (params->events == VS_RCACHE_EVENTS_KERNEL && !rcache->caching) {
        vs_debug("%s: no memory events from the kernel: registering per "
                 "use", params->name);
    }
    *rcache_p = rcache;
    return VERVE_OK;
}

/* Deregisters what the graveyard holds; called without the lock. */
static void vs_rcache_bury(vs_rcache_t *rcache, vs_list_link_t *dead)
{
    while (!vs_list_is_empty(dead)) {
        vs_rcache_region_t *region = vs_list_entry(dead->next,
                                                   vs_rcache_region_t, list);
        vs_list_del(&region->list);
        rcache->params.ops->dereg(rcache->params.arg, region->memh);
        free(region);
    }
}

/* Takes the graveyard out from under the lock. */
static void vs_rcache_take_graveyard(vs_rcache_t *rcache,
                                     vs_list_link_t *dead)
{
    vs_list_init(dead);
    if (!vs_list_is_empty(&rcache->graveyard)) {
        *dead = rcache->graveyard;
        dead->next->prev = dead;
        dead->prev->next = dead;
        vs_list_init(&rcache->graveyard);
    }
}

static void vs_rcache_unlock(vs_rcache_t *rcache)
{
    vs_list_link_t dead;

    vs_rcache_take_graveyard(rcache, &dead);
    pthread_mutex_unlock(&rcache->lock);
    vs_rcache_bury(rcache, &dead);
}

void vs_rcache_destroy(vs_rcache_t *rcache)
{
    if (rcache == NULL) {
        return;
    }
    if (rcache->kernel_events) {
        vs_mem_event_unsubscribe(vs_rcache_event_cb, rcache);
    }
    pthread_mutex_lock(&rcache->lock);
    if (rcache->count != vs_list_length(&rcache->lru)) {
        vs_error("%s: destroyed with regions in use", rcache->params.name);
    }
    while (!vs_list_is_empty(&rcache->lru)) {
        vs_rcache_region_t *region = vs_list_entry(rcache->lru.next,
                                                   vs_rcache_region_t, list);
        vs_list_del(&region->list);
        vs_list_add_tail(&rcache->graveyard, &region->list);
    }
    rcache->count = 0;
    vs_rcache_unlock(rcache);
    pthread_mutex_destroy(&rcache->lock);
    free(rcache->regions);
    free(rcache);
}

/* The first region whose end is past addr (or count). */
static size_t vs_rcache_lower_bound(vs_rcache_t *rcache, uintptr_t addr)
{
    size_t low = 0, high = rcache->count;

    while (low < high) {
        size_t mid = low + (high - low) / 2;
        if (rcache->regions[mid]->end <= addr) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    return low;
}

/* Out of the array; to the graveyard when nobody uses it. */
static void vs_rcache_drop(vs_rcache_t *rcache, size_t index)
{
    vs_rcache_region_t *region = rcache->regions[index];

    memmove(&rcache->regions[index], &rcache->regions[index + 1],
            (rcache->count - index - 1) * sizeof(*rcache->regions));
    --rcache->count;
    rcache->bytes -= region->end - region->start;
    region->flags &= ~VS_RCACHE_REGION_CACHED;
    if (region->refcount == 0) {
        vs_list_del(&region->list);
        vs_list_add_tail(&rcache->graveyard, &region->list);
    }
}

static void vs_rcache_evict(vs_rcache_t *rcache)
{
    while ((rcache->bytes > rcache->params.max_bytes ||
            rcache->count > rcache->params.max_regions) &&
           !vs_list_is_empty(&rcache->lru)) {
        vs_rcache_region_t *region = vs_list_entry(rcache->lru.next,
                                                   vs_rcache_region_t, list);
        vs_rcache_drop(rcache, vs_rcache_lower_bound(rcache, region->start));
        ++rcache->stats.evictions;
    }
}

static verve_status_t vs_rcache_insert(vs_rcache_t *rcache, size_t index,
                                       vs_rcache_region_t *region)
{
    if (rcache->count == rcache->capacity) {
        size_t capacity = rcache->capacity ? 2 * rcache->capacity : 64;
        vs_rcache_region_t **regions = realloc(
                rcache->regions, capacity * sizeof(*regions));
        if (regions == NULL) {
            return VERVE_ERR_NO_MEMORY;
        }
        rcache->regions = regions;
        rcache->capacity = capacity;
    }
    memmove(&rcache->regions[index + 1], &rcache->regions[index],
            (rcache->count - index) * sizeof(*rcache->regions));
    rcache->regions[index] = region;
    ++rcache->count;
    rcache->bytes += region->end - region->start;
    region->flags |= VS_RCACHE_REGION_CACHED;
    return VERVE_OK;
}

static verve_status_t vs_rcache_register(vs_rcache_t *rcache,
                                         uintptr_t start, uintptr_t end,
                                         vs_rcache_region_t **region_p)
{
    vs_rcache_region_t *region = calloc(1, sizeof(*region));
    verve_status_t status;

    if (region == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    status = rcache->params.ops->reg(rcache->params.arg, (void *)start,
                                     end - start, &region->memh);
    if (status != VERVE_OK) {
        free(region);
        return status;
    }
    ++rcache->stats.registrations;
    region->start = start;
    region->end = end;
    region->refcount = 1;
    vs_list_init(&region->list);
    *region_p = region;
    return VERVE_OK;
}

verve_status_t vs_rcache_get(vs_rcache_t *rcache, void *address,
                             size_t length, vs_rcache_region_t **region_p)
{
    uintptr_t mask = rcache->page_size - 1;
    uintptr_t start = (uintptr_t)address & ~mask;
    uintptr_t end = ((uintptr_t)address + vs_max(length, 1) + mask) & ~mask;
    vs_rcache_region_t *region;
    verve_status_t status;
    size_t first, last;

    if (!vs_rcache_is_caching(rcache)) {
        pthread_mutex_lock(&rcache->lock);
        status = vs_rcache_register(rcache, start, end, region_p);
        pthread_mutex_unlock(&rcache->lock);
        return status;
    }
    /* Every unmap the kernel has told of is applied before the lookup. */
    if (rcache->kernel_events) {
        vs_mem_event_sync();
    }
    pthread_mutex_lock(&rcache->lock);
    first = vs_rcache_lower_bound(rcache, start);
    if (first < rcache->count && rcache->regions[first]->start <= start &&
        rcache->regions[first]->end >= end) {
        region = rcache->regions[first];
        if (region->refcount++ == 0) {
            vs_list_del(&region->list);
        }
        ++rcache->stats.hits;
        *region_p = region;
        pthread_mutex_unlock(&rcache->lock);
        return VERVE_OK;
    }
    /* A miss takes in every region it overlaps or touches. */
    while (first > 0 && rcache->regions[first - 1]->end == start) {
        --first;
    }
    for (last = first; last < rcache->count &&
                       rcache->regions[last]->start <= end; ++last) {
        start = vs_min(start, rcache->regions[last]->start);
        end = vs_max(end, rcache->regions[last]->end);
    }
    rcache->stats.merges += last - first;
    while (last-- > first) {
        vs_rcache_drop(rcache, first);
    }
    status = vs_rcache_register(rcache, start, end, &region);
    if (status != VERVE_OK) {
        goto out;
    }
    /* Memory the kernel cannot watch is registered, not cached. */
    if ((!rcache->kernel_events ||
         vs_mem_event_watch(start, end) == VERVE_OK) &&
        vs_rcache_insert(rcache, first, region) == VERVE_OK) {
        vs_rcache_evict(rcache);
    }
    *region_p = region;
out:
    vs_rcache_unlock(rcache);
    return status;
}

void vs_rcache_put(vs_rcache_t *rcache, vs_rcache_region_t *region)
{
    pthread_mutex_lock(&rcache->lock);
    if (--region->refcount == 0) {
        if (region->flags & VS_RCACHE_REGION_CACHED) {
            vs_list_add_tail(&rcache->lru, &region->list);
            vs_rcache_evict(rcache);
        } else {
            vs_list_add_tail(&rcache->graveyard, &region->list);
        }
    }
    vs_rcache_unlock(rcache);
}

void vs_rcache_invalidate(vs_rcache_t *rcache, uintptr_t start,
                          uintptr_t end)
{
    size_t index;

    pthread_mutex_lock(&rcache->lock);
    index = vs_rcache_lower_bound(rcache, start);
    while (index < rcache->count && rcache->regions[index]->start < end) {
        vs_rcache_drop(rcache, index);
        ++rcache->stats.invalidations;
    }
    /* No unlock through the graveyard: this may be the event thread. */
    pthread_mutex_unlock(&rcache->lock);
}

void vs_rcache_stats(vs_rcache_t *rcache, vs_rcache_stats_t *stats)
{
    pthread_mutex_lock(&rcache->lock);
    *stats = rcache->stats;
    stats->regions = rcache->count;
    stats->bytes = rcache->bytes;
    pthread_mutex_unlock(&rcache->lock);
}

int vs_rcache_is_caching(vs_rcache_t *rcache)
{
    return rcache->caching &&
           (!rcache->kernel_events || vs_mem_event_available());
}
