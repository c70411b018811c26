/* Shared-memory registrations, remote keys and the peer mappings they
 * share (see shm_mem.h). */
#include "shm_mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/base/cma.h"
#include "core/base/log.h"
#include "core/base/topo.h"
#include "shm_segment.h"

#define VT_SHM_RKEY_MAGIC 0x6b73686du     /* "mhsk" */
#define VT_SHM_NO_SLOT UINT32_MAX
#define VT_SHM_REG_TABLE_SIZE (VT_SHM_REG_SLOTS * sizeof(uint64_t))

typedef enum vt_shm_mem_type {
    VT_SHM_MEM_ALLOC = 1,    /* own memfd: peers map it */
    VT_SHM_MEM_REG = 2       /* plain memory: peers use CMA */
} vt_shm_mem_type_t;

struct vt_memh {
    vt_shm_mem_type_t type;
    int fd;
    uint32_t slot;           /* in the registration table */
    uint64_t ino;
    uint64_t generation;
    void *address;
    size_t length;           /* mapped length for ALLOC */
};

/* Host byte order: keys never leave the host. host_id and pidns stay at
 * offsets 16 and 24 (tests flip them). */
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
    uint64_t table_ino;
    uint64_t generation;
    int32_t table_fd;
    uint32_t slot;           /* VT_SHM_NO_SLOT: the owner had no table */
} vt_shm_rkey_packed_t;

/* A peer's memfd mapped here, shared by every rkey that names it. The
 * inode, not the fd number, identifies it: the peer may reuse fds. */
struct vt_shm_mapping {
    struct vt_shm_mapping *next;
    pid_t pid;
    uint64_t ino;
    void *base;
    size_t length;
    unsigned refcount;
};

/* This process's registration table: a generation per slot. Created on
 * first use, and again in a forked child, whose inherited copy is the
 * parent's. */
typedef struct vt_shm_reg_table {
    pid_t pid;
    int fd;
    uint64_t ino;
    _Atomic uint64_t *gens;
    uint32_t num_free;
    uint32_t free_slots[VT_SHM_REG_SLOTS];
} vt_shm_reg_table_t;

/* Registration and unpacking are off the fast path; one lock and a list
 * are enough for the handful of segments a process maps. */
static pthread_mutex_t vt_shm_mem_lock = PTHREAD_MUTEX_INITIALIZER;
static vt_shm_mapping_t *vt_shm_mappings;
static vt_shm_reg_table_t vt_shm_reg_table = {.fd = -1};

static int vt_shm_reg_table_ready(void)
{
    vt_shm_reg_table_t *t = &vt_shm_reg_table;
    struct stat st;
    void *gens;

    if (t->gens != NULL && t->pid == getpid()) {
        return 1;
    }
    if (t->gens != NULL) {
        /* Forked: slots of the parent's table are not ours to use. */
        munmap((void *)t->gens, VT_SHM_REG_TABLE_SIZE);
        close(t->fd);
        t->gens = NULL;
    }
    if (vt_shm_segment_create("verve-shm-regs", VT_SHM_REG_TABLE_SIZE,
                              &t->fd) != VERVE_OK) {
        return 0;
    }
    if (fstat(t->fd, &st) != 0 ||
        vt_shm_segment_map(t->fd, VT_SHM_REG_TABLE_SIZE, &gens) !=
                VERVE_OK) {
        vs_warn("shm: no registration table (fstat/mmap failed): keys will "
                "be checked by their owner over AM");
        close(t->fd);
        return 0;
    }
    t->gens = gens;
    t->ino = (uint64_t)st.st_ino;
    t->pid = getpid();
    t->num_free = VT_SHM_REG_SLOTS;
    for (uint32_t i = 0; i < VT_SHM_REG_SLOTS; ++i) {
        t->free_slots[i] = VT_SHM_REG_SLOTS - 1 - i;
    }
    return 1;
}

/* Gives memh a live slot, or VT_SHM_NO_SLOT when the table is full. */
static void vt_shm_reg_slot_get(vt_memh_t *memh)
{
    vt_shm_reg_table_t *t = &vt_shm_reg_table;

    memh->slot = VT_SHM_NO_SLOT;
    pthread_mutex_lock(&vt_shm_mem_lock);
    if (vt_shm_reg_table_ready() && t->num_free > 0) {
        memh->slot = t->free_slots[--t->num_free];
        memh->generation = atomic_fetch_add_explicit(&t->gens[memh->slot], 1,
                                                     memory_order_release) +
                           1;
    } else {
        vs_debug("shm: registration table full (%u slots): the key of "
                 "%p is checked by its owner", VT_SHM_REG_SLOTS,
                 memh->address);
    }
    pthread_mutex_unlock(&vt_shm_mem_lock);
}

static void vt_shm_reg_slot_put(vt_memh_t *memh)
{
    vt_shm_reg_table_t *t = &vt_shm_reg_table;

    if (memh->slot == VT_SHM_NO_SLOT) {
        return;
    }
    pthread_mutex_lock(&vt_shm_mem_lock);
    if (t->gens != NULL && t->pid == getpid()) {
        /* From here on every key of this registration is stale. */
        atomic_fetch_add_explicit(&t->gens[memh->slot], 1,
                                  memory_order_release);
        t->free_slots[t->num_free++] = memh->slot;
    }
    pthread_mutex_unlock(&vt_shm_mem_lock);
}

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
    vt_shm_reg_slot_get(memh);
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
    vt_shm_reg_slot_get(memh);
    *memh_p = memh;
    return VERVE_OK;
}

void vt_shm_mem_dereg(vt_memh_t *memh)
{
    vt_shm_reg_slot_put(memh);
    if (memh->type == VT_SHM_MEM_ALLOC) {
        /* Peers that mapped it keep the pages alive until they unmap, and
         * the bumped generation keeps them from writing there. */
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
    packed.slot = memh->slot;
    packed.generation = memh->generation;
    packed.table_fd = -1;
    if (memh->slot != VT_SHM_NO_SLOT) {
        packed.table_fd = vt_shm_reg_table.fd;
        packed.table_ino = vt_shm_reg_table.ino;
    }
    memcpy(buffer, &packed, sizeof(packed));
}

/* Maps (or finds) pid's memfd fd, which must be inode ino. Called with
 * vt_shm_mem_lock held. */
static verve_status_t vt_shm_mapping_get(pid_t pid, int peer_fd, uint64_t ino,
                                         size_t length,
                                         vt_shm_mapping_t **mapping_p)
{
    vt_shm_mapping_t *mapping;
    verve_status_t status;
    unsigned long file_ino;
    int fd;

    for (mapping = vt_shm_mappings; mapping != NULL;
         mapping = mapping->next) {
        if (mapping->pid == pid && mapping->ino == ino &&
            mapping->length >= length) {
            ++mapping->refcount;
            *mapping_p = mapping;
            return VERVE_OK;
        }
    }
    status = vt_shm_segment_open_peer(pid, peer_fd, length, &fd, &file_ino);
    if (status != VERVE_OK) {
        return status;
    }
    if (file_ino != ino) {
        vs_error("shm: rkey_unpack: fd %d of pid %d is no longer the "
                 "registered memory (inode %lu, key names %llu)", peer_fd,
                 (int)pid, file_ino, (unsigned long long)ino);
        status = VERVE_ERR_INVALID_RKEY;
        goto out_close;
    }
    mapping = calloc(1, sizeof(*mapping));
    if (mapping == NULL) {
        vs_error("shm: allocating an rkey mapping failed");
        status = VERVE_ERR_NO_MEMORY;
        goto out_close;
    }
    status = vt_shm_segment_map(fd, length, &mapping->base);
    if (status != VERVE_OK) {
        free(mapping);
        goto out_close;
    }
    mapping->pid = pid;
    mapping->ino = ino;
    mapping->length = length;
    mapping->refcount = 1;
    mapping->next = vt_shm_mappings;
    vt_shm_mappings = mapping;
    *mapping_p = mapping;
out_close:
    close(fd);
    return status;
}

/* Called with vt_shm_mem_lock held. */
static void vt_shm_mapping_put(vt_shm_mapping_t *mapping)
{
    vt_shm_mapping_t **link;

    if (--mapping->refcount > 0) {
        return;
    }
    for (link = &vt_shm_mappings; *link != mapping; link = &(*link)->next) {
    }
    *link = mapping->next;
    munmap(mapping->base, mapping->length);
    free(mapping);
}

static int vt_shm_rkey_packed_ok(const vt_shm_rkey_packed_t *packed)
{
    if (packed->magic != VT_SHM_RKEY_MAGIC || packed->pid <= 0 ||
        packed->address + packed->length < packed->address) {
        return 0;
    }
    if (packed->slot != VT_SHM_NO_SLOT &&
        (packed->slot >= VT_SHM_REG_SLOTS || packed->table_fd < 0)) {
        return 0;
    }
    switch (packed->type) {
    case VT_SHM_MEM_ALLOC:
        return packed->fd >= 0 && packed->length > 0;
    case VT_SHM_MEM_REG:
        return 1;
    default:
        return 0;
    }
}

/* Finds the key's generation slot: ours, or in the owner's mapped table. */
static verve_status_t vt_shm_rkey_attach_table(vt_shm_iface_t *iface,
                                               const vt_shm_rkey_packed_t *p,
                                               vt_shm_rkey_t *rkey)
{
    vt_shm_reg_table_t *t = &vt_shm_reg_table;
    verve_status_t status;

    if (p->pid == iface->pid) {
        if (t->gens == NULL || t->pid != iface->pid || t->ino != p->table_ino) {
            vs_error("shm: rkey_unpack: key of this process names a "
                     "registration table it does not have");
            return VERVE_ERR_INVALID_RKEY;
        }
        rkey->valid = &t->gens[p->slot];
        return VERVE_OK;
    }
    status = vt_shm_mapping_get(p->pid, p->table_fd, p->table_ino,
                                VT_SHM_REG_TABLE_SIZE, &rkey->table);
    if (status != VERVE_OK) {
        return status;
    }
    rkey->valid = (_Atomic uint64_t *)rkey->table->base + p->slot;
    return VERVE_OK;
}

static void vt_shm_rkey_detach(vt_shm_rkey_t *rkey)
{
    pthread_mutex_lock(&vt_shm_mem_lock);
    if (rkey->mapping != NULL) {
        vt_shm_mapping_put(rkey->mapping);
    }
    if (rkey->table != NULL) {
        vt_shm_mapping_put(rkey->table);
    }
    pthread_mutex_unlock(&vt_shm_mem_lock);
}

static verve_status_t vt_shm_rkey_attach(vt_shm_iface_t *iface,
                                         const vt_shm_rkey_packed_t *packed,
                                         vt_shm_rkey_t *rkey)
{
    verve_status_t status = VERVE_OK;

    pthread_mutex_lock(&vt_shm_mem_lock);
    if (packed->slot != VT_SHM_NO_SLOT) {
        status = vt_shm_rkey_attach_table(iface, packed, rkey);
    }
    if (status == VERVE_OK && packed->pid == iface->pid) {
        /* Our own memory: reachable as it is. */
        rkey->local_base = (char *)(uintptr_t)packed->address;
    } else if (status == VERVE_OK && packed->type == VT_SHM_MEM_ALLOC) {
        status = vt_shm_mapping_get(packed->pid, packed->fd, packed->ino,
                                    packed->length, &rkey->mapping);
        if (status == VERVE_OK) {
            rkey->local_base = rkey->mapping->base;
        }
    }
    pthread_mutex_unlock(&vt_shm_mem_lock);
    return status;
}

/* Whether CMA reaches the registered memory a key names: a read of its
 * first word. Per key, not per endpoint: keys are unpacked on the iface,
 * and one call here is nothing beside the exchange that brought the key. */
static int vt_shm_rkey_cma_ok(const vt_shm_iface_t *iface,
                              const vt_shm_rkey_packed_t *packed)
{
    uint64_t word;
    verve_status_t status;

    if (!iface->cma) {
        return 0;       /* said at iface_open */
    }
    if (packed->length == 0) {
        return 1;       /* nothing to reach */
    }
    status = vs_cma_probe(packed->pid, packed->address, &word,
                          vs_min(packed->length, sizeof(word)));
    if (status == VERVE_ERR_UNSUPPORTED) {
        vt_shm_cma_refused(packed->pid, "the kernel refuses "
                           "process_vm_readv of its registered memory "
                           "(Yama ptrace_scope, seccomp)");
        return 0;
    }
    /* Other errors (the owner exited, unmapped the region) show in the
     * operation, as they would with CMA allowed. */
    return 1;
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
    if (!vt_shm_rkey_packed_ok(&packed)) {
        vs_error("shm: rkey_unpack: malformed key (magic %x, type %u, pid %d, "
                 "fd %d, length %llu, slot %u)", packed.magic, packed.type,
                 packed.pid, packed.fd, (unsigned long long)packed.length,
                 packed.slot);
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
    rkey->pid = packed.pid;
    rkey->remote_base = packed.address;
    rkey->generation = packed.generation;
    status = vt_shm_rkey_attach(iface, &packed, rkey);
    if (status != VERVE_OK) {
        goto err_free;
    }
    if (rkey->valid != NULL && !vt_shm_rkey_is_valid(rkey)) {
        vs_error("shm: rkey_unpack: the region at 0x%llx of pid %d was "
                 "deregistered", (unsigned long long)packed.address,
                 packed.pid);
        status = VERVE_ERR_INVALID_RKEY;
        goto err_detach;
    }
    /* Without a generation slot only the owner can tell a stale key: the
     * engine then goes through it over AM. */
    rkey->super.flags = 0;
    if (rkey->valid != NULL &&
        (rkey->local_base != NULL || vt_shm_rkey_cma_ok(iface, &packed))) {
        rkey->super.flags = VT_CAP_RMA;
        if (rkey->local_base != NULL) {
            rkey->super.flags |= VT_CAP_AMO32 | VT_CAP_AMO64;
        }
    }
    *rkey_p = &rkey->super;
    return VERVE_OK;

err_detach:
    vt_shm_rkey_detach(rkey);
err_free:
    free(rkey);
    return status;
}

void vt_shm_rkey_release(vt_rkey_t *tl_rkey)
{
    vt_shm_rkey_t *rkey = vs_container_of(tl_rkey, vt_shm_rkey_t, super);

    vt_shm_rkey_detach(rkey);
    free(rkey);
}
