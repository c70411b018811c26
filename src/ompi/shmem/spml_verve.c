/*
 * spml verve's module: Open MPI 4.1's spml entries on verve's RMA.
 *
 * Keys: register() maps a symmetric segment (the heap, the data segment)
 * with verve_mem_map() and hands oshmem the packed key as the segment's
 * one mkey (len, u.data); oshmem exchanges the mkeys itself and calls
 * rmkey_unpack() with each PE's, which unpacks it on that PE's endpoint.
 * Addresses: oshmem names a remote object by its local symmetric address;
 * the segment it falls in gives the PE's address (the PEs' segments may
 * sit at different addresses).
 *
 * oshmem calls spml_get(ctx, remote, size, local, pe): the header names
 * the arguments the other way round (dst_addr first).
 */
#include "oshmem_config.h"

#include <stdlib.h>

#include "oshmem/mca/spml/base/base.h"
#include "oshmem/proc/proc.h"
#include "oshmem/runtime/runtime.h"
#include "ompi/communicator/communicator.h"
#include "ompi/datatype/ompi_datatype.h"
#include "ompi/mca/pml/pml.h"
#include "opal/runtime/opal_progress.h"
#include "opal/util/output.h"

#include "spml_verve.h"
#include "spml_verve_module.h"
#include "verve_ompi.h"

#define SPML_VERVE_WHO "spml verve"

static spml_verve_t spml_verve;

static verve_rkey_h spml_verve_rkey_miss(spml_verve_t *spml, int pe,
                                         const void *va, uint64_t *rva_p);

static int spml_verve_progress(void)
{
    return (int)verve_worker_progress(spml_verve.worker);
}

/* oshmem 4.1 passes enable_mpi_threads = 1 whatever the program asked
 * for; the thread level shmem_init_thread granted decides, as for spml
 * ucx (a locked worker doubles the cost of an 8 B put). */
int spml_verve_module_init(bool enable_mpi_threads)
{
    verve_context_params_t context_params;
    verve_worker_params_t worker_params = {
        .field_mask = VERVE_WORKER_PARAM_FIELD_THREAD_MODE,
        .thread_mode = (oshmem_mpi_thread_provided == SHMEM_THREAD_MULTIPLE)
                               ? VERVE_THREAD_MODE_MULTI
                               : VERVE_THREAD_MODE_SINGLE
    };
    verve_status_t status;

    (void)enable_mpi_threads;
    memset(&spml_verve, 0, sizeof(spml_verve));
    spml_verve.output = opal_output_open(NULL);
    verve_ompi_context_params(SPML_VERVE_WHO, spml_verve.output,
                              &context_params);
    status = verve_context_create(&context_params, &spml_verve.context);
    if (status != VERVE_OK) {
        opal_output(0, "%s: verve_context_create failed: %s",
                    SPML_VERVE_WHO, verve_status_string(status));
        goto err_close_output;
    }
    status = verve_worker_create(spml_verve.context, &worker_params,
                                 &spml_verve.worker);
    if (status != VERVE_OK) {
        opal_output(0, "%s: verve_worker_create failed: %s",
                    SPML_VERVE_WHO, verve_status_string(status));
        goto err_destroy_context;
    }
    spml_verve.my_pe = -1;
    spml_verve.rkey_miss = spml_verve_rkey_miss;
    mca_spml_verve_module.self = &spml_verve;
    oshmem_ctx_default = (shmem_ctx_t)(void *)&spml_verve;
    return OSHMEM_SUCCESS;

err_destroy_context:
    verve_context_destroy(spml_verve.context);
    spml_verve.context = NULL;
err_close_output:
    opal_output_close(spml_verve.output);
    return OSHMEM_ERROR;
}

static void spml_verve_peers_close(spml_verve_t *spml)
{
    int pe, i;

    if (spml->peers == NULL) {
        return;
    }
    for (pe = 0; pe < spml->npeers; pe++) {
        spml_verve_peer_t *peer = &spml->peers[pe];

        for (i = 0; i < MCA_MEMHEAP_MAX_SEGMENTS; i++) {
            verve_rkey_destroy(peer->segs[i].rkey);
            peer->segs[i].rkey = NULL;
        }
        peer->nsegs = 0;
        if (peer->ep != NULL) {
            /* After quiet and oshmem's closing barrier nothing of ours is
             * outstanding; force closes without waiting on a peer that
             * may already be gone. */
            (void)verve_ep_close_nbx(peer->ep, VERVE_EP_CLOSE_FORCE, NULL,
                                     NULL);
            peer->ep = NULL;
        }
    }
}

void spml_verve_module_fini(void)
{
    if (spml_verve.worker == NULL) {
        return;
    }
    if (spml_verve.progress_registered) {
        opal_progress_unregister(spml_verve_progress);
        spml_verve.progress_registered = 0;
    }
    spml_verve_peers_close(&spml_verve);
    free(spml_verve.peers);
    free(spml_verve.addresses);
    free(spml_verve.address_lengths);
    free(spml_verve.address_offsets);
    spml_verve.addresses = NULL;
    spml_verve.address_lengths = NULL;
    spml_verve.address_offsets = NULL;
    spml_verve.peers = NULL;
    spml_verve.npeers = 0;
    verve_worker_destroy(spml_verve.worker);
    spml_verve.worker = NULL;
    verve_context_destroy(spml_verve.context);
    spml_verve.context = NULL;
    opal_output_close(spml_verve.output);
}

/* Every PE's worker address, gathered over oshmem's MPI allgather (the
 * modex fence is over by the time an spml starts). */
static int spml_verve_addresses_gather(int nprocs, char **all_p,
                                       int **lengths_p, int **offsets_p)
{
    int *lengths = NULL, *offsets = NULL;
    void *address = NULL;
    char *all = NULL;
    size_t length;
    int my_length, total, i, rc;
    verve_status_t status;

    status = verve_worker_address_pack(spml_verve.worker, &address,
                                       &length);
    if (status != VERVE_OK) {
        opal_output(0, "%s: verve_worker_address_pack failed: %s",
                    SPML_VERVE_WHO, verve_status_string(status));
        return OSHMEM_ERROR;
    }
    my_length = (int)length;
    lengths = calloc((size_t)nprocs, sizeof(*lengths));
    offsets = calloc((size_t)nprocs, sizeof(*offsets));
    if (lengths == NULL || offsets == NULL) {
        rc = OSHMEM_ERR_OUT_OF_RESOURCE;
        goto err_free;
    }
    rc = oshmem_shmem_allgather(&my_length, lengths, sizeof(int));
    if (rc != OSHMEM_SUCCESS) {
        goto err_free;
    }
    for (total = 0, i = 0; i < nprocs; i++) {
        offsets[i] = total;
        total += lengths[i];
    }
    all = malloc((size_t)total);
    if (all == NULL) {
        rc = OSHMEM_ERR_OUT_OF_RESOURCE;
        goto err_free;
    }
    rc = oshmem_shmem_allgatherv(address, all, my_length, lengths, offsets);
    if (rc != OSHMEM_SUCCESS) {
        goto err_free;
    }
    verve_worker_address_release(address);
    *all_p = all;
    *lengths_p = lengths;
    *offsets_p = offsets;
    return OSHMEM_SUCCESS;

err_free:
    opal_output(0, "%s: gathering %d worker addresses failed: %d",
                SPML_VERVE_WHO, nprocs, rc);
    free(all);
    free(offsets);
    free(lengths);
    verve_worker_address_release(address);
    return rc;
}

/* An endpoint of spml's worker to every PE's (default) worker. */
static int spml_verve_eps_create(spml_verve_t *spml)
{
    verve_status_t status;
    int pe;

    for (pe = 0; pe < spml->npeers; pe++) {
        verve_ep_params_t params = {
            .field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS,
            .address = spml_verve.addresses + spml_verve.address_offsets[pe],
            .address_length = (size_t)spml_verve.address_lengths[pe]
        };

        status = verve_ep_create(spml->worker, &params, &spml->peers[pe].ep);
        if (status != VERVE_OK) {
            opal_output(0, "%s: verve_ep_create to PE %d (address of %d "
                        "bytes) failed: %s", SPML_VERVE_WHO, pe,
                        spml_verve.address_lengths[pe],
                        verve_status_string(status));
            return OSHMEM_ERR_UNREACH;
        }
    }
    return OSHMEM_SUCCESS;
}

static int spml_verve_add_procs(struct oshmem_group_t *group, size_t nprocs)
{
    int *lengths = NULL, *offsets = NULL;
    char *all = NULL;
    int rc;

    (void)group;
    spml_verve.peers = calloc(nprocs, sizeof(*spml_verve.peers));
    if (spml_verve.peers == NULL) {
        return OSHMEM_ERR_OUT_OF_RESOURCE;
    }
    spml_verve.npeers = (int)nprocs;
    spml_verve.my_pe = oshmem_my_proc_id();
    rc = spml_verve_addresses_gather((int)nprocs, &all, &lengths, &offsets);
    if (rc != OSHMEM_SUCCESS) {
        return rc;
    }
    spml_verve.addresses = all;
    spml_verve.address_lengths = lengths;
    spml_verve.address_offsets = offsets;
    rc = spml_verve_eps_create(&spml_verve);
    if (rc == OSHMEM_SUCCESS) {
        /* At spml_base_verbose 1: the tests count this line to know that
         * spml verve, not a fallback, carried the job. */
        opal_output_verbose(1, oshmem_spml_base_framework.framework_output,
                            "%s: PE %d has endpoints to %d PEs",
                            SPML_VERVE_WHO, spml_verve.my_pe, (int)nprocs);
    }
    if (rc == OSHMEM_SUCCESS && !spml_verve.progress_registered) {
        /* Emulated RMA and atomics (every atomic on oshmem's heap, which
         * verve did not allocate) need this PE's progress while it waits
         * in MPI (shmem_barrier_all) or in shmem_wait_until. */
        opal_progress_register(spml_verve_progress);
        spml_verve.progress_registered = 1;
    }
    return rc;
}

static int spml_verve_del_procs(struct oshmem_group_t *group, size_t nprocs)
{
    (void)group;
    (void)nprocs;
    spml_verve_peers_close(&spml_verve);
    return OSHMEM_SUCCESS;
}

static int spml_verve_enable(bool enable)
{
    (void)enable;
    return OSHMEM_SUCCESS;
}

/* sshmem verve's region that starts at addr and holds size bytes. */
static verve_mem_h spml_verve_allocated(const void *addr, size_t size)
{
    const spml_verve_alloc_t *alloc = spml_verve.allocs;
    int i;

    for (i = 0; i < MCA_MEMHEAP_MAX_SEGMENTS; i++, alloc++) {
        if (alloc->base == (uintptr_t)addr && alloc->length >= size) {
            return alloc->memh;
        }
    }
    return NULL;
}

static sshmem_mkey_t *spml_verve_register(void *addr, size_t size,
                                          uint64_t shmid, int *count)
{
    verve_mem_map_params_t params = {
        .field_mask = VERVE_MEM_MAP_PARAM_FIELD_ADDRESS |
                      VERVE_MEM_MAP_PARAM_FIELD_LENGTH,
        .address = addr,
        .length = size
    };
    sshmem_mkey_t *mkeys;
    verve_mem_h memh;
    verve_status_t status;
    void *buffer;
    size_t length;

    verve_mem_h allocated;

    (void)shmid;
    mkeys = calloc(1, sizeof(*mkeys));
    if (mkeys == NULL) {
        return NULL;
    }
    mkeys[0].va_base = addr;
    *count = 1;
    if (size == 0) {
        return mkeys;   /* nothing to reach: no key (len 0, key 0) */
    }
    allocated = spml_verve_allocated(addr, size);
    if (allocated != NULL) {
        memh = allocated;   /* sshmem verve's: it unmaps it */
    } else {
        status = verve_mem_map(spml_verve.context, &params, &memh);
        if (status != VERVE_OK) {
            opal_output(0, "%s: verve_mem_map of %p (%zu bytes) failed: %s",
                        SPML_VERVE_WHO, addr, size,
                        verve_status_string(status));
            goto err_free;
        }
    }
    status = verve_rkey_pack(spml_verve.context, memh, &buffer, &length);
    if (status != VERVE_OK) {
        opal_output(0, "%s: verve_rkey_pack of %p failed: %s",
                    SPML_VERVE_WHO, addr, verve_status_string(status));
        goto err_unmap;
    }
    if (length > UINT16_MAX) {
        /* sshmem_mkey_t's len is 16 bits. */
        opal_output(0, "%s: the packed key of %p has %zu bytes; oshmem's "
                    "mkey holds at most %u", SPML_VERVE_WHO, addr, length,
                    UINT16_MAX);
        verve_rkey_buffer_release(buffer);
        goto err_unmap;
    }
    mkeys[0].len = (uint16_t)length;
    mkeys[0].u.data = buffer;
    /* The region to unmap at deregister; NULL for sshmem verve's. */
    mkeys[0].spml_context = (allocated != NULL) ? NULL : memh;
    return mkeys;

err_unmap:
    if (allocated == NULL) {
        (void)verve_mem_unmap(spml_verve.context, memh);
    }
err_free:
    free(mkeys);
    return NULL;
}

static int spml_verve_deregister(sshmem_mkey_t *mkeys)
{
    if (mkeys == NULL) {
        return OSHMEM_SUCCESS;
    }
    if (mkeys[0].len > 0) {
        verve_rkey_buffer_release(mkeys[0].u.data);
        if (mkeys[0].spml_context != NULL) {
            (void)verve_mem_unmap(spml_verve.context,
                                  mkeys[0].spml_context);
        }
    }
    free(mkeys);
    return OSHMEM_SUCCESS;
}

/* Unpacks PE pe's key of segment segno on spml's endpoint to pe. */
static spml_verve_seg_t *spml_verve_seg_unpack(spml_verve_t *spml,
                                               const sshmem_mkey_t *mkey,
                                               uint32_t segno, int pe)
{
    map_segment_t *local = memheap_find_seg((int)segno);
    spml_verve_seg_t *seg;
    verve_status_t status;

    if (mkey->len == 0 || pe < 0 || pe >= spml->npeers ||
        segno >= MCA_MEMHEAP_MAX_SEGMENTS) {
        return NULL;
    }
    seg = &spml->peers[pe].segs[segno];
    verve_rkey_destroy(seg->rkey);
    seg->rkey = NULL;
    status = verve_rkey_unpack(spml->peers[pe].ep, mkey->u.data, mkey->len,
                               &seg->rkey);
    if (status != VERVE_OK) {
        opal_output(0, "%s: verve_rkey_unpack of PE %d's segment %u (%u "
                    "bytes) failed: %s", SPML_VERVE_WHO, pe, segno,
                    mkey->len, verve_status_string(status));
        oshmem_shmem_abort(-1);
        return NULL;
    }
    seg->va_base = (uintptr_t)local->super.va_base;
    seg->va_end = (uintptr_t)local->super.va_end;
    seg->rva_base = (uintptr_t)mkey->va_base;
    if ((int)segno >= spml->peers[pe].nsegs) {
        spml->peers[pe].nsegs = (int)segno + 1;
    }
    return seg;
}

/* oshmem unpacks every PE's keys into the default context at start-up
 * (contexts made later unpack their own, spml_verve_ctx_create). */
static void spml_verve_rmkey_unpack(shmem_ctx_t ctx, sshmem_mkey_t *mkey,
                                    uint32_t segno, int pe, int tr_id)
{
    spml_verve_seg_t *seg;

    (void)ctx;
    (void)tr_id;
    seg = spml_verve_seg_unpack(&spml_verve, mkey, segno, pe);
    if (seg != NULL && pe != spml_verve.my_pe) {
        mkey->spml_context = seg;   /* the own PE's holds the memh */
    }
}

static void spml_verve_rmkey_free(sshmem_mkey_t *mkey, int pe)
{
    spml_verve_seg_t *seg = mkey->spml_context;

    (void)pe;
    if (seg != NULL && spml_verve.peers != NULL) {
        verve_rkey_destroy(seg->rkey);
        seg->rkey = NULL;
    }
    mkey->spml_context = NULL;
}

/* verve has no call that turns a peer's key into a pointer into the
 * peer's mapped memory (its shm transport maps regions internally), so
 * only this PE's own memory has a direct pointer. */
static void *spml_verve_rmkey_ptr(const void *dst_addr, sshmem_mkey_t *mkey,
                                  int pe)
{
    (void)mkey;
    return (pe == spml_verve.my_pe) ? (void *)dst_addr : NULL;
}

/* The PE's own segments: oshmem keeps their packed keys in its local
 * mkeys and never passes them to rmkey_unpack, so they are unpacked on
 * the endpoint to self when first used. */
static verve_rkey_h spml_verve_rkey_miss(spml_verve_t *spml, int pe,
                                         const void *va, uint64_t *rva_p)
{
    map_segment_t *local;
    sshmem_mkey_t *mkey;
    int segno;

    if (pe != spml->my_pe || spml->peers == NULL) {
        return NULL;
    }
    local = memheap_find_va((void *)va);
    if (local == NULL || local->mkeys == NULL) {
        return NULL;
    }
    segno = (int)(local - memheap_map->mem_segs);
    mkey = &local->mkeys[0];
    if (mkey->len == 0 || spml->peers[pe].segs[segno].rkey != NULL ||
        spml_verve_seg_unpack(spml, mkey, (uint32_t)segno, pe) == NULL) {
        return NULL;
    }
    return spml_verve_rkey(spml, pe, va, rva_p);
}

static verve_rkey_h spml_verve_lookup(spml_verve_t *spml, int pe,
                                      const void *va, uint64_t *rva_p)
{
    verve_rkey_h rkey = spml_verve_rkey(spml, pe, va, rva_p);

    if (OPAL_UNLIKELY(rkey == NULL)) {
        opal_output(0, "%s: %p is in no symmetric segment of PE %d",
                    SPML_VERVE_WHO, va, pe);
    }
    return rkey;
}

/* A put (from local to remote) or a get (from remote to local) of size
 * bytes on pe: waited for when blocking, else left for quiet (a worker
 * flush) to complete. Inlined into the four entries below with constant
 * put and blocking. */
static inline int spml_verve_rma(shmem_ctx_t ctx, int put, void *remote,
                                 void *local, size_t size, int pe,
                                 int blocking)
{
    spml_verve_t *spml = SPML_VERVE_STATE(ctx);
    verve_request_h request = NULL;
    verve_request_h *request_p = blocking ? &request : NULL;
    verve_status_t status;
    verve_rkey_h rkey;
    uint64_t rva;

    rkey = spml_verve_lookup(spml, pe, remote, &rva);
    if (rkey == NULL) {
        return OSHMEM_ERR_BAD_PARAM;
    }
    status = put ? verve_put_nbx(spml->peers[pe].ep, local, size, rva, rkey,
                                 NULL, request_p)
                 : verve_get_nbx(spml->peers[pe].ep, local, size, rva, rkey,
                                 NULL, request_p);
    if (blocking) {
        return spml_verve_complete(spml, status, request);
    }
    return (status == VERVE_OK || status == VERVE_INPROGRESS)
                   ? OSHMEM_SUCCESS : OSHMEM_ERROR;
}

static int spml_verve_put(shmem_ctx_t ctx, void *dst_addr, size_t size,
                          void *src_addr, int pe)
{
    return spml_verve_rma(ctx, 1, dst_addr, src_addr, size, pe, 1);
}

static int spml_verve_put_nb(shmem_ctx_t ctx, void *dst_addr, size_t size,
                             void *src_addr, int pe, void **handle)
{
    (void)handle;
    return spml_verve_rma(ctx, 1, dst_addr, src_addr, size, pe, 0);
}

/* oshmem passes the remote address first (the header's names say
 * otherwise). */
static int spml_verve_get(shmem_ctx_t ctx, void *src_remote, size_t size,
                          void *dst_local, int pe)
{
    return spml_verve_rma(ctx, 0, src_remote, dst_local, size, pe, 1);
}

static int spml_verve_get_nb(shmem_ctx_t ctx, void *src_remote, size_t size,
                             void *dst_local, int pe, void **handle)
{
    (void)handle;
    return spml_verve_rma(ctx, 0, src_remote, dst_local, size, pe, 0);
}

static int spml_verve_quiet(shmem_ctx_t ctx);

/* A context of its own fences with a flush (stronger than a fence), as
 * verve_worker_fence waits on its worker alone: see serve_worker. */
static int spml_verve_fence(shmem_ctx_t ctx)
{
    spml_verve_t *spml = SPML_VERVE_STATE(ctx);
    verve_status_t status;

    if (spml->serve_worker != NULL) {
        return spml_verve_quiet(ctx);
    }
    status = verve_worker_fence(spml->worker);
    if (status != VERVE_OK) {
        opal_output(0, "%s: verve_worker_fence failed: %s", SPML_VERVE_WHO,
                    verve_status_string(status));
        return OSHMEM_ERROR;
    }
    return OSHMEM_SUCCESS;
}

static int spml_verve_quiet(shmem_ctx_t ctx)
{
    spml_verve_t *spml = SPML_VERVE_STATE(ctx);
    verve_request_h request = NULL;
    verve_status_t status;
    int rc;

    status = verve_worker_flush_nbx(spml->worker, NULL, &request);
    rc = spml_verve_complete(spml, status, request);
    if (rc != OSHMEM_SUCCESS) {
        opal_output(0, "%s: quiet: verve_worker_flush_nbx failed",
                    SPML_VERVE_WHO);
    }
    return rc;
}

/* A context of its own: a worker of the spml's verve context, an
 * endpoint to every PE's default worker, and every PE's keys unpacked on
 * them, so that its operations order and complete apart from the other
 * contexts'. Its worker is progressed by its own calls (quiet, blocking
 * operations); what peers emulate on this PE goes to the default worker,
 * which opal_progress serves. */
static int spml_verve_ctx_create(long options, shmem_ctx_t *ctx)
{
    verve_worker_params_t worker_params = {
        .field_mask = VERVE_WORKER_PARAM_FIELD_THREAD_MODE,
        .thread_mode = VERVE_THREAD_MODE_SINGLE
    };
    spml_verve_t *spml;
    verve_status_t status;
    int pe, segno, rc;

    if (oshmem_mpi_thread_provided == SHMEM_THREAD_MULTIPLE &&
        !(options & (SHMEM_CTX_PRIVATE | SHMEM_CTX_SERIALIZED))) {
        worker_params.thread_mode = VERVE_THREAD_MODE_MULTI;
    }
    spml = calloc(1, sizeof(*spml));
    if (spml == NULL) {
        return OSHMEM_ERR_OUT_OF_RESOURCE;
    }
    spml->context = spml_verve.context;
    spml->npeers = spml_verve.npeers;
    spml->output = spml_verve.output;
    spml->my_pe = spml_verve.my_pe;
    spml->rkey_miss = spml_verve_rkey_miss;
    spml->serve_worker = spml_verve.worker;
    spml->peers = calloc((size_t)spml->npeers, sizeof(*spml->peers));
    if (spml->peers == NULL) {
        rc = OSHMEM_ERR_OUT_OF_RESOURCE;
        goto err_free;
    }
    status = verve_worker_create(spml->context, &worker_params,
                                 &spml->worker);
    if (status != VERVE_OK) {
        opal_output(0, "%s: shmem_ctx_create: verve_worker_create failed: "
                    "%s", SPML_VERVE_WHO, verve_status_string(status));
        rc = OSHMEM_ERROR;
        goto err_free;
    }
    rc = spml_verve_eps_create(spml);
    if (rc != OSHMEM_SUCCESS) {
        goto err_close;
    }
    for (pe = 0; pe < spml->npeers; pe++) {
        for (segno = 0; segno < memheap_map->n_segments; segno++) {
            sshmem_mkey_t **cache = memheap_map->mem_segs[segno].mkeys_cache;

            /* The PE's own keys are unpacked on first use. */
            if (pe != spml->my_pe && cache != NULL && cache[pe] != NULL) {
                (void)spml_verve_seg_unpack(spml, &cache[pe][0],
                                            (uint32_t)segno, pe);
            }
        }
    }
    *ctx = (shmem_ctx_t)(void *)spml;
    return OSHMEM_SUCCESS;

err_close:
    spml_verve_peers_close(spml);
    verve_worker_destroy(spml->worker);
err_free:
    free(spml->peers);
    free(spml);
    return rc;
}

static void spml_verve_ctx_destroy(shmem_ctx_t ctx)
{
    spml_verve_t *spml = SPML_VERVE_STATE(ctx);

    (void)spml_verve_quiet(ctx);
    if (spml == &spml_verve) {
        return;
    }
    spml_verve_peers_close(spml);
    verve_worker_destroy(spml->worker);
    free(spml->peers);
    free(spml);
}

/* Puts source's slot pe to every PE's slot my_pe of dest, and adds 1 to
 * counter at each PE once its data has landed there (fence between). */
static int spml_verve_put_all_nb(void *dest, const void *source, size_t size,
                                 long *counter)
{
    shmem_ctx_t ctx = (shmem_ctx_t)(void *)&spml_verve;
    int my_pe = spml_verve.my_pe;
    int npes = spml_verve.npeers;
    verve_status_t status;
    verve_rkey_h rkey;
    uint64_t rva;
    int i, pe, rc;

    for (i = 0; i < npes; i++) {
        pe = (my_pe + i) % npes;
        rc = spml_verve_put_nb(ctx, (char *)dest + (size_t)my_pe * size,
                               size, (char *)source + (size_t)pe * size,
                               pe, NULL);
        if (rc != OSHMEM_SUCCESS) {
            return rc;
        }
        rc = spml_verve_fence(ctx);
        if (rc != OSHMEM_SUCCESS) {
            return rc;
        }
        rkey = spml_verve_lookup(&spml_verve, pe, counter, &rva);
        if (rkey == NULL) {
            return OSHMEM_ERR_BAD_PARAM;
        }
        status = verve_atomic_nbx(spml_verve.peers[pe].ep, VERVE_ATOMIC_ADD,
                                  1, 0, NULL, sizeof(*counter), rva, rkey,
                                  NULL, NULL);
        if (status != VERVE_OK && status != VERVE_INPROGRESS) {
            return OSHMEM_ERROR;
        }
    }
    return OSHMEM_SUCCESS;
}

/* Blocking send and receive of bytes on MPI_COMM_WORLD (tag 0), as the
 * other spmls do; oshmem 4.1's own code does not call them. */
static int spml_verve_recv(void *buf, size_t size, int src)
{
    return MCA_PML_CALL(recv(buf, size, &ompi_mpi_unsigned_char.dt, src, 0,
                             &ompi_mpi_comm_world.comm, NULL));
}

static int spml_verve_send(void *buf, size_t size, int dst,
                           mca_spml_base_put_mode_t mode)
{
    return MCA_PML_CALL(send(buf, size, &ompi_mpi_unsigned_char.dt, dst, 0,
                             (mca_pml_base_send_mode_t)mode,
                             &ompi_mpi_comm_world.comm));
}

mca_spml_base_module_t mca_spml_verve_module = {
    .spml_add_procs = spml_verve_add_procs,
    .spml_del_procs = spml_verve_del_procs,
    .spml_enable = spml_verve_enable,
    .spml_register = spml_verve_register,
    .spml_deregister = spml_verve_deregister,
    .spml_oob_get_mkeys = mca_spml_base_oob_get_mkeys,
    .spml_ctx_create = spml_verve_ctx_create,
    .spml_ctx_destroy = spml_verve_ctx_destroy,
    .spml_put = spml_verve_put,
    .spml_put_nb = spml_verve_put_nb,
    .spml_get = spml_verve_get,
    .spml_get_nb = spml_verve_get_nb,
    .spml_recv = spml_verve_recv,
    .spml_send = spml_verve_send,
    .spml_wait = mca_spml_base_wait,
    .spml_wait_nb = mca_spml_base_wait_nb,
    .spml_test = mca_spml_base_test,
    .spml_fence = spml_verve_fence,
    .spml_quiet = spml_verve_quiet,
    .spml_rmkey_unpack = spml_verve_rmkey_unpack,
    .spml_rmkey_free = spml_verve_rmkey_free,
    .spml_rmkey_ptr = spml_verve_rmkey_ptr,
    .spml_memuse_hook = mca_spml_base_memuse_hook,
    .spml_put_all_nb = spml_verve_put_all_nb,
    .self = NULL
};
