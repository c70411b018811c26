/*
 * Shared-memory RMA: memory allocated as its own memfd is mapped by peers
 * (put/get are memcpy, atomics are CPU atomics); plain registered memory is
 * reached with CMA (process_vm_readv/writev), atomics on it are emulated by
 * the engine. Rendezvous reads of plain buffers use CMA too.
 */
#include "shm.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "core/base/log.h"
#include "core/base/topo.h"
#include "shm_segment.h"

#define VT_SHM_RKEY_MAGIC 0x6b73686du     /* "mhsk" */
/* One CMA call moves at most this much: the kernel caps a call anyway, and
 * partial transfers are resumed. */
#define VT_SHM_CMA_CHUNK (1ul << 30)

typedef enum vt_shm_mem_type {
    VT_SHM_MEM_ALLOC = 1,    /* own memfd: peers map it */
    VT_SHM_MEM_REG = 2       /* plain memory: peers use CMA */
} vt_shm_mem_type_t;

struct vt_memh {
    vt_shm_mem_type_t type;
    int fd;
    uint64_t ino;
    void *address;
    size_t length;           /* mapped length for ALLOC */
};

typedef struct vt_shm_rkey_packed {
    uint32_t magic;
    uint32_t type;
    int32_t pid;
    int32_t fd;
    uint64_t host_id;
    uint64_t pidns;
    uint64_t ino;
    uint64_t address;
    uint64_t length;
} vt_shm_rkey_packed_t;

/* A peer's memfd mapped here, shared by every rkey that names it. The
 * inode, not the fd number, identifies it: the peer may reuse fds. */
typedef struct vt_shm_mapping {
    struct vt_shm_mapping *next;
    pid_t pid;
    uint64_t ino;
    void *base;
    size_t length;
    unsigned refcount;
} vt_shm_mapping_t;

typedef struct vt_shm_rkey {
    vt_rkey_t super;
    vt_shm_mem_type_t type;
    pid_t pid;
    uint64_t remote_base;
    char *local_base;             /* NULL for REG of another process */
    vt_shm_mapping_t *mapping;    /* NULL when not mapped */
} vt_shm_rkey_t;

/* Unpacking is off the fast path; a list under a lock is enough for the
 * handful of segments a process maps. */
static pthread_mutex_t vt_shm_mappings_lock = PTHREAD_MUTEX_INITIALIZER;
static vt_shm_mapping_t *vt_shm_mappings;

verve_status_t vt_shm_mem_alloc(size_t length, void **address_p,
                                vt_memh_t **memh_p)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    verve_status_t status;
    struct stat st;
    vt_memh_t *memh;

    if (length == 0) {
        vs_error("shm: mem_alloc of 0 bytes");
        return VERVE_ERR_INVALID_PARAM;
    }
    memh = calloc(1, sizeof(*memh));
    if (memh == NULL) {
        vs_error("shm: allocating a memory handle failed");
        return VERVE_ERR_NO_MEMORY;
    }
    memh->type = VT_SHM_MEM_ALLOC;
    memh->length = vs_align_up(length, page);
    status = vt_shm_segment_create("verve-shm-mem", memh->length, &memh->fd);
    if (status != VERVE_OK) {
        goto err_free;
    }
    if (fstat(memh->fd, &st) < 0) {
        vs_error("shm: fstat of memfd %d failed: %s", memh->fd,
                 strerror(errno));
        status = VERVE_ERR_IO;
        goto err_close;
    }
    memh->ino = (uint64_t)st.st_ino;
    status = vt_shm_segment_map(memh->fd, memh->length, &memh->address);
    if (status != VERVE_OK) {
        goto err_close;
    }
    *address_p = memh->address;
    *memh_p = memh;
    return VERVE_OK;

err_close:
    close(memh->fd);
err_free:
    free(memh);
    return status;
}

verve_status_t vt_shm_mem_reg(void *address, size_t length,
                              vt_memh_t **memh_p)
{
    vt_memh_t *memh = calloc(1, sizeof(*memh));

    if (memh == NULL) {
        vs_error("shm: allocating a memory handle failed");
        return VERVE_ERR_NO_MEMORY;
    }
    memh->type = VT_SHM_MEM_REG;
    memh->fd = -1;
    memh->address = address;
    memh->length = length;
    *memh_p = memh;
    return VERVE_OK;
}

void vt_shm_mem_dereg(vt_memh_t *memh)
{
    if (memh->type == VT_SHM_MEM_ALLOC) {
        /* Peers that mapped it keep the pages alive until they unmap. */
        munmap(memh->address, memh->length);
        close(memh->fd);
    }
    free(memh);
}

size_t vt_shm_rkey_packed_size(vt_memh_t *memh)
{
    (void)memh;
    return sizeof(vt_shm_rkey_packed_t);
}

void vt_shm_rkey_pack(vt_memh_t *memh, void *buffer)
{
    vt_shm_rkey_packed_t packed;

    memset(&packed, 0, sizeof(packed));
    packed.magic = VT_SHM_RKEY_MAGIC;
    packed.type = memh->type;
    packed.pid = getpid();
    packed.fd = memh->fd;
    packed.host_id = vs_topo_host_id();
    packed.pidns = vt_shm_pidns_id();
    packed.ino = memh->ino;
    packed.address = (uintptr_t)memh->address;
    packed.length = memh->length;
    memcpy(buffer, &packed, sizeof(packed));
}

static verve_status_t vt_shm_mapping_get(const vt_shm_rkey_packed_t *packed,
                                         vt_shm_mapping_t **mapping_p)
{
    vt_shm_mapping_t *mapping;
    verve_status_t status;
    unsigned long ino;
    int fd;

    pthread_mutex_lock(&vt_shm_mappings_lock);
    for (mapping = vt_shm_mappings; mapping != NULL;
         mapping = mapping->next) {
        if (mapping->pid == packed->pid && mapping->ino == packed->ino &&
            mapping->length >= packed->length) {
            ++mapping->refcount;
            status = VERVE_OK;
            goto out;
        }
    }
    status = vt_shm_segment_open_peer(packed->pid, packed->fd,
                                      packed->length, &fd, &ino);
    if (status != VERVE_OK) {
        goto out;
    }
    if (ino != packed->ino) {
        vs_error("shm: rkey_unpack: fd %d of pid %d is no longer the "
                 "registered memory (inode %lu, key names %llu)", packed->fd,
                 packed->pid, ino, (unsigned long long)packed->ino);
        status = VERVE_ERR_INVALID_RKEY;
        goto out_close;
    }
    mapping = calloc(1, sizeof(*mapping));
    if (mapping == NULL) {
        vs_error("shm: allocating an rkey mapping failed");
        status = VERVE_ERR_NO_MEMORY;
        goto out_close;
    }
    status = vt_shm_segment_map(fd, packed->length, &mapping->base);
    if (status != VERVE_OK) {
        free(mapping);
        goto out_close;
    }
    mapping->pid = packed->pid;
    mapping->ino = packed->ino;
    mapping->length = packed->length;
    mapping->refcount = 1;
    mapping->next = vt_shm_mappings;
    vt_shm_mappings = mapping;
out_close:
    close(fd);
out:
    pthread_mutex_unlock(&vt_shm_mappings_lock);
    if (status == VERVE_OK) {
        *mapping_p = mapping;
    }
    return status;
}

static void vt_shm_mapping_put(vt_shm_mapping_t *mapping)
{
    vt_shm_mapping_t **link;

    pthread_mutex_lock(&vt_shm_mappings_lock);
    if (--mapping->refcount == 0) {
        for (link = &vt_shm_mappings; *link != mapping;
             link = &(*link)->next) {
        }
        *link = mapping->next;
        munmap(mapping->base, mapping->length);
        free(mapping);
    }
    pthread_mutex_unlock(&vt_shm_mappings_lock);
}

verve_status_t vt_shm_rkey_unpack(vt_iface_t *tl_iface, const void *buffer,
                                  size_t length, vt_rkey_t **rkey_p)
{
    vt_shm_iface_t *iface = vs_container_of(tl_iface, vt_shm_iface_t, super);
    vt_shm_rkey_packed_t packed;
    verve_status_t status;
    vt_shm_rkey_t *rkey;

    if (length != sizeof(packed)) {
        vs_error("shm: rkey_unpack: %zu bytes, expected %zu", length,
                 sizeof(packed));
        return VERVE_ERR_INVALID_RKEY;
    }
    memcpy(&packed, buffer, sizeof(packed));
    if (packed.magic != VT_SHM_RKEY_MAGIC ||
        (packed.type != VT_SHM_MEM_ALLOC && packed.type != VT_SHM_MEM_REG) ||
        packed.pid <= 0 || packed.address + packed.length < packed.address ||
        (packed.type == VT_SHM_MEM_ALLOC &&
         (packed.fd < 0 || packed.length == 0))) {
        vs_error("shm: rkey_unpack: malformed key (magic %x, type %u, pid %d, "
                 "fd %d, length %llu)", packed.magic, packed.type, packed.pid,
                 packed.fd, (unsigned long long)packed.length);
        return VERVE_ERR_INVALID_RKEY;
    }
    if (packed.host_id != iface->host_id || packed.pidns != iface->pidns) {
        vs_debug("shm: rkey_unpack: key of pid %d is from host %llx pid "
                 "namespace %llx, not this one", packed.pid,
                 (unsigned long long)packed.host_id,
                 (unsigned long long)packed.pidns);
        return VERVE_ERR_UNREACHABLE;
    }
    rkey = calloc(1, sizeof(*rkey));
    if (rkey == NULL) {
        vs_error("shm: allocating an rkey failed");
        return VERVE_ERR_NO_MEMORY;
    }
    rkey->type = packed.type;
    rkey->pid = packed.pid;
    rkey->remote_base = packed.address;
    if (packed.pid == iface->pid) {
        /* Our own memory: reachable as it is. */
        rkey->local_base = (char *)(uintptr_t)packed.address;
    } else if (packed.type == VT_SHM_MEM_ALLOC) {
        status = vt_shm_mapping_get(&packed, &rkey->mapping);
        if (status != VERVE_OK) {
            free(rkey);
            return status;
        }
        rkey->local_base = rkey->mapping->base;
    }
    rkey->super.flags = VT_CAP_RMA;
    if (rkey->local_base != NULL) {
        rkey->super.flags |= VT_CAP_AMO32 | VT_CAP_AMO64;
    }
    *rkey_p = &rkey->super;
    return VERVE_OK;
}

void vt_shm_rkey_release(vt_rkey_t *tl_rkey)
{
    vt_shm_rkey_t *rkey = vs_container_of(tl_rkey, vt_shm_rkey_t, super);

    if (rkey->mapping != NULL) {
        vt_shm_mapping_put(rkey->mapping);
    }
    free(rkey);
}

/* Moves length bytes between here and pid's address space with CMA,
 * resuming partial transfers. */
static verve_status_t vt_shm_cma(pid_t pid, void *local, size_t length,
                                 uint64_t remote, int write)
{
    struct iovec liov, riov;
    size_t done = 0, chunk;
    ssize_t ret;

    while (done < length) {
        chunk = vs_min(length - done, VT_SHM_CMA_CHUNK);
        liov.iov_base = (char *)local + done;
        liov.iov_len = chunk;
        riov.iov_base = (void *)(uintptr_t)(remote + done);
        riov.iov_len = chunk;
        ret = write ? process_vm_writev(pid, &liov, 1, &riov, 1, 0)
                    : process_vm_readv(pid, &liov, 1, &riov, 1, 0);
        if (ret <= 0) {
            if (ret < 0 && errno == EINTR) {
                continue;
            }
            vs_error("shm: %s of %zu bytes at 0x%llx in pid %d failed: %s",
                     write ? "process_vm_writev" : "process_vm_readv", chunk,
                     (unsigned long long)(remote + done), (int)pid,
                     ret == 0 ? "no progress" : strerror(errno));
            return (ret < 0 && errno == ESRCH) ? VERVE_ERR_PEER_FAILED
                                               : VERVE_ERR_IO;
        }
        done += (size_t)ret;
    }
    return VERVE_OK;
}

verve_status_t vt_shm_ep_get_zcopy(vt_ep_t *tl_ep, void *buffer,
                                   size_t length,
                                   const vt_remote_buffer_t *remote,
                                   vt_completion_t *comp)
{
    vt_shm_ep_t *ep = vs_container_of(tl_ep, vt_shm_ep_t, super);

    (void)comp;
    return vt_shm_cma(ep->peer_pid, buffer, length, remote->address, 0);
}

verve_status_t vt_shm_ep_put(vt_ep_t *tl_ep, const void *buffer,
                             size_t length, uint64_t remote_addr,
                             vt_rkey_t *tl_rkey, vt_completion_t *comp)
{
    vt_shm_rkey_t *rkey = vs_container_of(tl_rkey, vt_shm_rkey_t, super);

    (void)tl_ep, (void)comp;
    if (rkey->local_base != NULL) {
        memcpy(rkey->local_base + (remote_addr - rkey->remote_base), buffer,
               length);
        return VERVE_OK;
    }
    return vt_shm_cma(rkey->pid, (void *)buffer, length, remote_addr, 1);
}

verve_status_t vt_shm_ep_get(vt_ep_t *tl_ep, void *buffer, size_t length,
                             uint64_t remote_addr, vt_rkey_t *tl_rkey,
                             vt_completion_t *comp)
{
    vt_shm_rkey_t *rkey = vs_container_of(tl_rkey, vt_shm_rkey_t, super);

    (void)tl_ep, (void)comp;
    if (rkey->local_base != NULL) {
        memcpy(buffer, rkey->local_base + (remote_addr - rkey->remote_base),
               length);
        return VERVE_OK;
    }
    return vt_shm_cma(rkey->pid, buffer, length, remote_addr, 0);
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
