/*
 * Memory pool: fixed-size elements on a free list, grown in chunks. get and
 * put are a few instructions and never call into the allocator once warm.
 */
#ifndef VS_MPOOL_H
#define VS_MPOOL_H

#include <stddef.h>
#include <verve_config.h>
#include <verve/verve_status.h>
#include "compiler.h"

/* An element on the free list is marked inaccessible, so that a use after
 * vs_mpool_put is reported by ASan (sanitizer builds) or valgrind (debug
 * builds) instead of silently corrupting the next user's object. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define vs_mpool_mark_free(obj, size) ASAN_POISON_MEMORY_REGION(obj, size)
#define vs_mpool_mark_used(obj, size) ASAN_UNPOISON_MEMORY_REGION(obj, size)
#elif defined(VS_ENABLE_TRACE) && defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define vs_mpool_mark_free(obj, size) \
    VALGRIND_MAKE_MEM_NOACCESS(obj, size)
#define vs_mpool_mark_used(obj, size) \
    VALGRIND_MAKE_MEM_UNDEFINED(obj, size)
#endif
#endif
#ifndef vs_mpool_mark_free
#define vs_mpool_mark_free(obj, size) ((void)(obj), (void)(size))
#define vs_mpool_mark_used(obj, size) ((void)(obj), (void)(size))
#endif

typedef struct vs_mpool vs_mpool_t;

/* Header before each element: the pool while allocated, the next free
 * element while on the free list. */
typedef union vs_mpool_elem {
    union vs_mpool_elem *next;
    vs_mpool_t *pool;
} vs_mpool_elem_t;

struct vs_mpool {
    vs_mpool_elem_t *free_list;
    size_t elem_size;    /* user size */
    size_t stride;       /* header + user size, aligned */
    size_t align;
    unsigned grow;       /* elements per chunk */
    unsigned max_elems;  /* 0: unlimited */
    unsigned num_elems;  /* allocated so far */
    unsigned num_in_use;
    void *chunks;        /* singly linked through the chunk's first word */
    const char *name;
};

verve_status_t vs_mpool_init(vs_mpool_t *mp, const char *name,
                             size_t elem_size, size_t align, unsigned grow,
                             unsigned max_elems);
/* Warns about elements never put back. */
void vs_mpool_cleanup(vs_mpool_t *mp);
void *vs_mpool_get_grow(vs_mpool_t *mp);

/* NULL when the pool is at max_elems or memory is exhausted. */
static inline void *vs_mpool_get(vs_mpool_t *mp)
{
    vs_mpool_elem_t *elem = mp->free_list;
    if (vs_unlikely(elem == NULL)) {
        return vs_mpool_get_grow(mp);
    }
    mp->free_list = elem->next;
    elem->pool = mp;
    ++mp->num_in_use;
    vs_mpool_mark_used(elem + 1, mp->elem_size);
    return elem + 1;
}

static inline void vs_mpool_put(void *obj)
{
    vs_mpool_elem_t *elem = (vs_mpool_elem_t *)obj - 1;
    vs_mpool_t *mp = elem->pool;
    vs_mpool_mark_free(obj, mp->elem_size);
    elem->next = mp->free_list;
    mp->free_list = elem;
    --mp->num_in_use;
}

#endif
