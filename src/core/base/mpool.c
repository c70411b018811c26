/*
 * Memory pool slow path: creating the pool, growing it by one chunk, and
 * freeing the chunks. The fast path is inline in mpool.h.
 *
 * A chunk is one allocation laid out as
 *   [next-chunk link][pad][hdr|elem][pad][hdr|elem]...
 * where the pad before the first header makes every element (the address
 * after its header) a multiple of the alignment, and the stride, a
 * multiple of the alignment, keeps every following element aligned too.
 */
#include "mpool.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define VS_MPOOL_DEFAULT_GROW 64

static int vs_mpool_is_pow2(size_t value)
{
    return (value != 0) && ((value & (value - 1)) == 0);
}

/* Offset of the first element header from the start of a chunk. */
static size_t vs_mpool_first_offset(const vs_mpool_t *mp)
{
    return vs_align_up(sizeof(void *) + sizeof(vs_mpool_elem_t), mp->align) -
           sizeof(vs_mpool_elem_t);
}

verve_status_t vs_mpool_init(vs_mpool_t *mp, const char *name,
                             size_t elem_size, size_t align, unsigned grow,
                             unsigned max_elems)
{
    if (align == 0) {
        align = alignof(vs_mpool_elem_t);
    }
    if ((elem_size == 0) || !vs_mpool_is_pow2(align)) {
        vs_error("mpool %s: invalid element size %zu or alignment %zu "
                 "(the size must be > 0, the alignment a power of two)",
                 name, elem_size, align);
        return VERVE_ERR_INVALID_PARAM;
    }

    memset(mp, 0, sizeof(*mp));
    mp->name = name;
    mp->elem_size = elem_size;
    /* The header is a pointer, so everything is at least pointer-aligned. */
    mp->align = vs_max(align, alignof(vs_mpool_elem_t));
    mp->stride = vs_align_up(sizeof(vs_mpool_elem_t) + elem_size, mp->align);
    mp->grow = (grow != 0) ? grow : VS_MPOOL_DEFAULT_GROW;
    mp->max_elems = max_elems;
    return VERVE_OK;
}

void vs_mpool_cleanup(vs_mpool_t *mp)
{
    void *chunk;
    void *next;

    if (mp->num_in_use != 0) {
        vs_warn("mpool %s: %u of %u elements were not put back before "
                "cleanup (leaked or still referenced)", mp->name,
                mp->num_in_use, mp->num_elems);
    }
    for (chunk = mp->chunks; chunk != NULL; chunk = next) {
        next = *(void **)chunk;
        free(chunk);
    }
    mp->chunks = NULL;
    mp->free_list = NULL;
    mp->num_elems = 0;
    mp->num_in_use = 0;
}

static void *vs_mpool_chunk_alloc(const vs_mpool_t *mp, size_t size)
{
    void *chunk;

    if (mp->align <= alignof(max_align_t)) {
        return malloc(size);
    }
    if (posix_memalign(&chunk, mp->align, size) != 0) {
        return NULL;
    }
    return chunk;
}

void *vs_mpool_get_grow(vs_mpool_t *mp)
{
    vs_mpool_elem_t *elem;
    unsigned count;
    size_t offset;
    size_t size;
    char *chunk;

    if (mp->free_list == NULL) {
        count = mp->grow;
        if (mp->max_elems != 0) {
            if (mp->num_elems >= mp->max_elems) {
                return NULL;
            }
            count = vs_min(count, mp->max_elems - mp->num_elems);
        }

        offset = vs_mpool_first_offset(mp);
        if (count > (SIZE_MAX - offset) / mp->stride) {
            vs_error("mpool %s: chunk of %u elements of %zu bytes overflows",
                     mp->name, count, mp->stride);
            return NULL;
        }
        size = offset + (size_t)count * mp->stride;
        chunk = vs_mpool_chunk_alloc(mp, size);
        if (chunk == NULL) {
            vs_error("mpool %s: failed to allocate a chunk of %zu bytes "
                     "(%u elements)", mp->name, size, count);
            return NULL;
        }
        *(void **)chunk = mp->chunks;
        mp->chunks = chunk;

        /* Pushed last to first, so that gets hand out ascending addresses
         * (kinder to prefetchers and easier to read in a debugger). */
        for (unsigned i = count; i-- > 0;) {
            elem = (vs_mpool_elem_t *)(chunk + offset + i * mp->stride);
            elem->next = mp->free_list;
            mp->free_list = elem;
            vs_mpool_mark_free(elem + 1, mp->elem_size);
        }
        mp->num_elems += count;
    }

    elem = mp->free_list;
    mp->free_list = elem->next;
    elem->pool = mp;
    ++mp->num_in_use;
    vs_mpool_mark_used(elem + 1, mp->elem_size);
    return elem + 1;
}
