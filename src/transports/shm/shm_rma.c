/*
 * Shared-memory RMA: memory allocated as its own memfd is mapped by peers
 * (put/get are memcpy, atomics are CPU atomics); plain registered memory is
 * reached with CMA (process_vm_readv/writev), atomics on it are emulated by
 * the engine. Rendezvous reads of plain buffers use CMA too. Where the
 * kernel refuses CMA (shm_ep.c and vt_shm_rkey_unpack probe it) these
 * functions are not reached: the endpoint offers no zcopy and the key no
 * VT_CAP_RMA, so the engine sends fragments through the ring and emulates
 * RMA on registered memory over AM.
 */
#include "shm_mem.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/base/cma.h"
#include "core/base/log.h"

static verve_status_t vt_shm_rkey_stale(const vt_shm_rkey_t *rkey,
                                        const char *op)
{
    vs_debug("shm: %s through a key of pid %d whose region at 0x%llx was "
             "deregistered", op, (int)rkey->pid,
             (unsigned long long)rkey->remote_base);
    return VERVE_ERR_INVALID_RKEY;
}

/* Only a peer whose own probe succeeded where ours failed asks for this
 * (the engine offers no zcopy on such an endpoint): say so rather than
 * fail in the kernel. */
static verve_status_t vt_shm_ep_no_cma(const vt_shm_ep_t *ep, const char *op)
{
    vs_error("shm: %s with pid %d: CMA with it is refused here, but the "
             "peer's probe of us succeeded", op, (int)ep->peer_pid);
    return VERVE_ERR_UNSUPPORTED;
}

verve_status_t vt_shm_ep_get_zcopy(vt_ep_t *tl_ep, void *buffer,
                                   size_t length,
                                   const vt_remote_buffer_t *remote,
                                   vt_completion_t *comp)
{
    vt_shm_ep_t *ep = vs_container_of(tl_ep, vt_shm_ep_t, super);

    (void)comp;
    if (vs_unlikely(!ep->cma)) {
        return vt_shm_ep_no_cma(ep, "rendezvous read");
    }
    return vs_cma_copy(ep->peer_pid, buffer, length, remote->address, 0);
}

verve_status_t vt_shm_ep_put_zcopy(vt_ep_t *tl_ep, const void *buffer,
                                   size_t length,
                                   const vt_remote_buffer_t *remote,
                                   vt_completion_t *comp)
{
    vt_shm_ep_t *ep = vs_container_of(tl_ep, vt_shm_ep_t, super);

    (void)comp;
    if (vs_unlikely(!ep->cma)) {
        return vt_shm_ep_no_cma(ep, "rendezvous write");
    }
    return vs_cma_copy(ep->peer_pid, (void *)buffer, length,
                       remote->address, 1);
}

verve_status_t vt_shm_ep_put(vt_ep_t *tl_ep, const void *buffer,
                             size_t length, uint64_t remote_addr,
                             vt_rkey_t *tl_rkey, vt_completion_t *comp)
{
    vt_shm_rkey_t *rkey = vs_container_of(tl_rkey, vt_shm_rkey_t, super);

    (void)tl_ep, (void)comp;
    if (vs_unlikely(!vt_shm_rkey_is_valid(rkey))) {
        return vt_shm_rkey_stale(rkey, "put");
    }
    if (rkey->local_base != NULL) {
        memcpy(rkey->local_base + (remote_addr - rkey->remote_base), buffer,
               length);
        return VERVE_OK;
    }
    return vs_cma_copy(rkey->pid, (void *)buffer, length, remote_addr, 1);
}

verve_status_t vt_shm_ep_get(vt_ep_t *tl_ep, void *buffer, size_t length,
                             uint64_t remote_addr, vt_rkey_t *tl_rkey,
                             vt_completion_t *comp)
{
    vt_shm_rkey_t *rkey = vs_container_of(tl_rkey, vt_shm_rkey_t, super);

    (void)tl_ep, (void)comp;
    if (vs_unlikely(!vt_shm_rkey_is_valid(rkey))) {
        return vt_shm_rkey_stale(rkey, "get");
    }
    if (rkey->local_base != NULL) {
        memcpy(buffer, rkey->local_base + (remote_addr - rkey->remote_base),
               length);
        return VERVE_OK;
    }
    return vs_cma_copy(rkey->pid, buffer, length, remote_addr, 0);
}

verve_status_t vt_shm_ep_atomic(vt_ep_t *tl_ep, vt_atomic_op_t op,
                                size_t op_size, uint64_t value,
                                uint64_t compare, void *result,
                                uint64_t remote_addr, vt_rkey_t *tl_rkey,
                                vt_completion_t *comp)
{
    vt_shm_rkey_t *rkey = vs_container_of(tl_rkey, vt_shm_rkey_t, super);
    char *target;

    (void)tl_ep, (void)comp;
    if (vs_unlikely(!vt_shm_rkey_is_valid(rkey))) {
        return vt_shm_rkey_stale(rkey, "atomic");
    }
    if (rkey->local_base == NULL) {
        vs_error("shm: atomic on registered (not allocated) memory of pid "
                 "%d: the key has no AMO capability", (int)rkey->pid);
        return VERVE_ERR_UNSUPPORTED;
    }
    target = rkey->local_base + (remote_addr - rkey->remote_base);
    if ((op_size != 4 && op_size != 8) || (uintptr_t)target % op_size != 0) {
        vs_error("shm: atomic of %zu bytes at 0x%llx: size must be 4 or 8 "
                 "and the address aligned to it", op_size,
                 (unsigned long long)remote_addr);
        return VERVE_ERR_INVALID_PARAM;
    }
    vt_atomic_apply(op, op_size, target, value, compare, result);
    return VERVE_OK;
}
