/*
 * Shared-memory registrations and remote keys. Memory from mem_alloc is
 * its own memfd that peers map; registered plain memory is reached with
 * CMA. Either way the key names a slot of its owner's registration table,
 * a small memfd every peer maps: mem_dereg bumps the slot's generation, so
 * a peer holding a stale key sees the mismatch before it touches memory.
 */
#ifndef VT_SHM_MEM_H
#define VT_SHM_MEM_H

#include <stdatomic.h>
#include "shm.h"

/* Slots in a process's registration table: one page of generations. */
#define VT_SHM_REG_SLOTS 512

typedef struct vt_shm_mapping vt_shm_mapping_t;

typedef struct vt_shm_rkey {
    vt_rkey_t super;
    pid_t pid;
    uint64_t remote_base;
    char *local_base;             /* NULL: reach it with CMA */
    vt_shm_mapping_t *mapping;    /* of the memory, NULL when not mapped */
    vt_shm_mapping_t *table;      /* of the owner's registration table */
    _Atomic uint64_t *valid;      /* generation slot, NULL: unchecked */
    uint64_t generation;
} vt_shm_rkey_t;

/* Whether the owner still has the region registered. A region
 * deregistered between this check and the access is not caught: the
 * window is the length of one memcpy or CMA call. */
static inline int vt_shm_rkey_is_valid(const vt_shm_rkey_t *rkey)
{
    return rkey->valid == NULL ||
           atomic_load_explicit(rkey->valid, memory_order_acquire) ==
           rkey->generation;
}

#endif
