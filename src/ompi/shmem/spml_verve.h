/*
 * spml verve and atomic verve: Open MPI 4.1's OpenSHMEM (oshmem) over
 * verve. The spml owns verve's context, worker, one endpoint per PE and
 * the remote keys of every PE's symmetric segments; the atomic component
 * (a separate mca_atomic_verve.so, loaded by another framework) finds
 * that state through the selected spml module's `self` pointer, so both
 * read the layout below and neither links against the other.
 *
 * Contexts: each shmem_ctx_t is an spml_verve_t; the default one is the
 * spml's state, and ctx_create makes another with its own worker,
 * endpoints and keys (see serve_worker for how its waits progress).
 */
#ifndef SPML_VERVE_H
#define SPML_VERVE_H

#include "oshmem_config.h"
#include "oshmem/mca/spml/spml.h"
#include "oshmem/mca/memheap/base/base.h"

#include <stdint.h>
#include <string.h>
#include <verve/verve.h>

BEGIN_C_DECLS

/* The component's name, also what atomic verve checks the selected spml
 * against. */
#define SPML_VERVE_NAME "verve"

/* One symmetric segment of one PE: the local range that names it, where
 * the PE has it, and its key unpacked on the PE's endpoint. */
typedef struct spml_verve_seg {
    uintptr_t va_base;  /* local start (what the program passes) */
    uintptr_t va_end;   /* local end, exclusive */
    uintptr_t rva_base; /* the PE's start of the same segment */
    verve_rkey_h rkey;  /* NULL: not unpacked (yet) */
} spml_verve_seg_t;

typedef struct spml_verve_peer {
    verve_ep_h ep;
    int nsegs;   /* segs[nsegs..] were never unpacked: not searched */
    spml_verve_seg_t segs[MCA_MEMHEAP_MAX_SEGMENTS];
} spml_verve_peer_t;

typedef struct spml_verve spml_verve_t;

/* A symmetric segment that sshmem verve allocated with
 * VERVE_MEM_MAP_ALLOCATE: peers on the node map it, so puts and gets on
 * it are copies and atomics CPU atomics. register() packs this region's
 * key instead of mapping the memory again. */
typedef struct spml_verve_alloc {
    uintptr_t base;   /* 0: slot free */
    size_t length;
    verve_mem_h memh;
} spml_verve_alloc_t;

/* One OpenSHMEM context: a shmem_ctx_t points at one (the handle is
 * opaque to oshmem), so the atomic component finds the worker, endpoints
 * and keys through its ctx argument. The default context is the spml's
 * own state; shmem_ctx_create makes a copy with a worker, endpoints and
 * keys of its own (the fields marked shared are the default's, read
 * only). */
struct spml_verve {
    verve_context_h context;   /* shared */
    verve_worker_h worker;
    spml_verve_peer_t *peers;
    int npeers;                /* shared */
    int output;                /* shared */
    int my_pe;                 /* shared */
    int progress_registered;   /* default context only */
    /* Contexts of their own: the default context's worker, which they
     * progress while they wait, as what peers emulate on this PE (their
     * puts, gets and atomics, whatever their context) arrives there; a
     * wait on one context alone would deadlock two PEs that each wait on
     * theirs. NULL in the default context. */
    verve_worker_h serve_worker;
    /* Default context only: what sshmem verve allocated, and every PE's
     * worker address (for the endpoints of contexts made later). */
    spml_verve_alloc_t allocs[MCA_MEMHEAP_MAX_SEGMENTS];
    char *addresses;
    int *address_lengths;
    int *address_offsets;
    /* Called when va is in no unpacked segment of pe: oshmem unpacks no
     * key for the PE itself, so the spml unpacks its own keys on first
     * use (a function pointer, so that atomic verve need not link
     * against the spml). */
    verve_rkey_h (*rkey_miss)(spml_verve_t *spml, int pe, const void *va,
                              uint64_t *rva_p);
};

/* The state of the selected spml verve (in mca_spml_verve.so). */
#define SPML_VERVE_STATE(_ctx) ((spml_verve_t *)(void *)(_ctx))

/* The remote key and the PE's address for local symmetric address va on
 * pe; NULL when va is in no segment whose key is unpacked. */
static inline verve_rkey_h spml_verve_rkey(spml_verve_t *spml, int pe,
                                           const void *va, uint64_t *rva_p)
{
    const spml_verve_peer_t *peer = &spml->peers[pe];
    const spml_verve_seg_t *seg = peer->segs;
    uintptr_t addr = (uintptr_t)va;
    int i;

    for (i = 0; i < peer->nsegs; i++, seg++) {
        if (seg->rkey != NULL && addr >= seg->va_base &&
            addr < seg->va_end) {
            *rva_p = (uint64_t)(addr - seg->va_base + seg->rva_base);
            return seg->rkey;
        }
    }
    return spml->rkey_miss(spml, pe, va, rva_p);
}

/* Waits for a request a verve call on spml's worker handed out; status
 * is the call's. */
static inline int spml_verve_complete(const spml_verve_t *spml,
                                      verve_status_t status,
                                      verve_request_h request)
{
    if (status == VERVE_INPROGRESS) {
        if (spml->serve_worker == NULL) {
            status = verve_request_wait(spml->worker, request);
        } else {
            while ((status = verve_request_test(request)) ==
                   VERVE_INPROGRESS) {
                (void)verve_worker_progress(spml->serve_worker);
            }
        }
        verve_request_free(request);
    }
    return (status == VERVE_OK) ? OSHMEM_SUCCESS : OSHMEM_ERROR;
}

END_C_DECLS

#endif
