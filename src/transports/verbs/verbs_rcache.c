/*
 * Registration of buffers that verve_mem_map did not register, for the
 * process-wide device: zero-copy put and get on rc and the buffers the
 * engine registers for a rendezvous (vt_verbs_mem_reg). One path is
 * chosen when the first such buffer is registered (verbs_odp.c):
 *
 * - the registration cache (core/mem/rcache.h): pinned regions, found by
 *   address, dropped by the memory events of the kernel when the
 *   application unmaps or changes them, so a buffer freed and mapped
 *   again at the same address is registered afresh; per use where the
 *   kernel gives no events;
 * - explicit ODP: the same cache of regions, registered on demand and
 *   never invalidated, since the device follows the page tables;
 * - implicit ODP: one MR over the whole address space for local access
 *   (put sources, get destinations); remote keys still come from explicit
 *   regions, so a peer never holds a key to all of our memory.
 *
 * Cached regions give peers read access only. verve_mem_map's keys are
 * not cached (VT_VERBS_REG_OWN): they must stop working at
 * verve_mem_unmap, which a cached region outlives.
 *
 * The cache holds a reference on the device, dropped at exit: its regions
 * keep the protection domain busy.
 */
#include "verbs.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include "core/base/log.h"
#include "core/mem/rcache.h"

/* Cached regions serve local access and rendezvous reads: a peer that
 * keeps a key past its message can read, never write. */
#define VT_VERBS_ACCESS_CACHED \
    (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ)
#define VT_VERBS_ACCESS_OWN \
    (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
     IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC)

static struct {
    pthread_mutex_t lock;
    atomic_int ready;
    vt_verbs_dev_t *dev;
    vt_verbs_reg_path_t path;
    const char *why;             /* the path was chosen */
    int access;                  /* of cached regions */
    int own_access;              /* of VT_VERBS_REG_OWN ones */
    vs_rcache_t *rcache;
    struct ibv_mr *implicit_mr;
    atomic_size_t in_use;
    atomic_size_t uncached;
} vt_verbs_reg_state = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
};

static verve_status_t vt_verbs_reg_errno(int err)
{
    return err == ENOMEM ? VERVE_ERR_NO_MEMORY : VERVE_ERR_IO;
}

static verve_status_t vt_verbs_rcache_reg(void *arg, void *address,
                                          size_t length, void **memh_p)
{
    struct ibv_mr *mr;

    (void)arg;
    mr = ibv_reg_mr(vt_verbs_reg_state.dev->pd, address, length,
                    vt_verbs_reg_state.access);
    if (mr == NULL) {
        /* The caller falls back to a registration of this use alone with
         * the access it needs (read-only memory refuses write access). */
        vs_debug("verbs: caching a registration of [%p, +%zu) failed: %s",
                 address, length, strerror(errno));
        return vt_verbs_reg_errno(errno);
    }
    *memh_p = mr;
    return VERVE_OK;
}

static void vt_verbs_rcache_dereg(void *arg, void *memh)
{
    struct ibv_mr *mr = memh;

    (void)arg;
    if (ibv_dereg_mr(mr) != 0) {
        vs_warn("verbs: ibv_dereg_mr of a cached registration (rkey 0x%x) "
                "failed: %s", mr->rkey, strerror(errno));
    }
}

static const vs_rcache_ops_t vt_verbs_rcache_ops = {
    .reg = vt_verbs_rcache_reg,
    .dereg = vt_verbs_rcache_dereg
};

static verve_status_t vt_verbs_reg_init_path(
        const vt_verbs_mem_config_t *cfg)
{
    vs_rcache_params_t params = {
        .name = "verbs rcache",
        .max_bytes = cfg->rcache_max_bytes,
        .max_regions = cfg->rcache_max_regions,
        .ops = &vt_verbs_rcache_ops,
        .arg = NULL,
        .events = VS_RCACHE_EVENTS_KERNEL};
    vt_verbs_dev_t *dev = vt_verbs_reg_state.dev;
    uint32_t caps = vt_verbs_odp_caps(dev->context);
    verve_status_t status;
    vt_verbs_reg_path_t path;

    status = vt_verbs_odp_path(cfg->odp, caps, 1, &path);
    if (status != VERVE_OK) {
        vs_error("verbs: VERVE_ODP=yes but %s offers no on-demand paging "
                 "for rc (send, write and read)", dev->port.dev_name);
        return status;
    }
    vt_verbs_reg_state.why = cfg->odp == VT_VERBS_ODP_NO
                                     ? "VERVE_ODP=no"
                                     : "the device has no ODP for rc";
    if (path != VT_VERBS_PATH_RCACHE && cfg->odp == VT_VERBS_ODP_UNCHECKED) {
        vt_verbs_reg_state.why = "VERVE_ODP=unchecked: ODP not tested";
    } else if (path != VT_VERBS_PATH_RCACHE) {
        /* A device that miscopies through ODP would corrupt data
         * silently: better the cache, or an error when ODP was asked
         * for. */
        if (!vt_verbs_odp_probe(dev)) {
            vt_verbs_reg_state.why = "ODP reported but its test transfer "
                                     "failed";
            if (cfg->odp == VT_VERBS_ODP_YES) {
                vs_error("verbs: VERVE_ODP=yes but a test transfer through "
                         "ODP on %s arrived wrong or failed "
                         "(VERVE_ODP=unchecked forces it)",
                         dev->port.dev_name);
                return VERVE_ERR_UNSUPPORTED;
            }
            /* Safe, and shown by verve_info -d: no warning in every
             * process. */
            vs_info("verbs: %s reports ODP but a test transfer through it "
                    "arrived wrong or failed: using the registration cache",
                    dev->port.dev_name);
            path = VT_VERBS_PATH_RCACHE;
        } else {
            vt_verbs_reg_state.why = "the device has ODP for rc and its "
                                     "test transfer passed";
        }
    }
    vt_verbs_reg_state.access = VT_VERBS_ACCESS_CACHED;
    vt_verbs_reg_state.own_access = VT_VERBS_ACCESS_OWN;
    if (path != VT_VERBS_PATH_RCACHE) {
        vt_verbs_reg_state.access |= IBV_ACCESS_ON_DEMAND;
        vt_verbs_reg_state.own_access |= IBV_ACCESS_ON_DEMAND;
        if (!(caps & VT_VERBS_ODP_CAP_ATOMIC)) {
            vt_verbs_reg_state.own_access &= ~IBV_ACCESS_REMOTE_ATOMIC;
        }
        params.events = VS_RCACHE_EVENTS_MANUAL;
    }
    if (path == VT_VERBS_PATH_ODP_IMPLICIT) {
        vt_verbs_reg_state.implicit_mr = ibv_reg_mr(
                dev->pd, NULL, SIZE_MAX,
                IBV_ACCESS_ON_DEMAND | IBV_ACCESS_LOCAL_WRITE);
        if (vt_verbs_reg_state.implicit_mr == NULL) {
            vs_warn("verbs: implicit ODP registration on %s failed: %s; "
                    "registering explicit ODP regions", dev->port.dev_name,
                    strerror(errno));
            path = VT_VERBS_PATH_ODP;
        }
    }
    status = vs_rcache_create(&params, &vt_verbs_reg_state.rcache);
    if (status != VERVE_OK) {
        goto err_dereg;
    }
    if (path == VT_VERBS_PATH_RCACHE &&
        !vs_rcache_is_caching(vt_verbs_reg_state.rcache)) {
        path = VT_VERBS_PATH_PER_USE;
        vt_verbs_reg_state.why = "the kernel gives no memory events "
                                 "(userfaultfd)";
    }
    vt_verbs_reg_state.path = path;
    vs_debug("verbs: user buffers on %s: %s", dev->port.dev_name,
             vt_verbs_path_name(path));
    return VERVE_OK;

err_dereg:
    if (vt_verbs_reg_state.implicit_mr != NULL) {
        ibv_dereg_mr(vt_verbs_reg_state.implicit_mr);
        vt_verbs_reg_state.implicit_mr = NULL;
    }
    return status;
}

/* Opens the device and chooses the path, once; tried again after a
 * failure (no device yet). */
static verve_status_t vt_verbs_reg_init(void)
{
    vt_verbs_mem_config_t cfg;
    verve_status_t status = VERVE_OK;

    if (vs_likely(atomic_load_explicit(&vt_verbs_reg_state.ready,
                                       memory_order_acquire))) {
        return VERVE_OK;
    }
    pthread_mutex_lock(&vt_verbs_reg_state.lock);
    if (atomic_load(&vt_verbs_reg_state.ready)) {
        goto out;
    }
    status = vs_config_read(&vt_verbs_mem_config_table, &cfg);
    if (status != VERVE_OK) {
        goto out;
    }
    status = vt_verbs_dev_get(&vt_verbs_reg_state.dev);
    if (status != VERVE_OK) {
        goto out_release;
    }
    status = vt_verbs_reg_init_path(&cfg);
    if (status != VERVE_OK) {
        vt_verbs_dev_put(vt_verbs_reg_state.dev);
        vt_verbs_reg_state.dev = NULL;
        goto out_release;
    }
    atomic_store_explicit(&vt_verbs_reg_state.ready, 1,
                          memory_order_release);
out_release:
    vs_config_release(&vt_verbs_mem_config_table, &cfg);
out:
    pthread_mutex_unlock(&vt_verbs_reg_state.lock);
    return status;
}

/* At exit: the cache's registrations and its device reference. */
static __attribute__((destructor)) void vt_verbs_reg_cleanup(void)
{
    if (!atomic_load(&vt_verbs_reg_state.ready)) {
        return;
    }
    if (atomic_load(&vt_verbs_reg_state.in_use) != 0) {
        /* Still posted or held by requests: leave it to the kernel. */
        return;
    }
    vs_rcache_destroy(vt_verbs_reg_state.rcache);
    if (vt_verbs_reg_state.implicit_mr != NULL) {
        ibv_dereg_mr(vt_verbs_reg_state.implicit_mr);
    }
    vt_verbs_dev_put(vt_verbs_reg_state.dev);
    atomic_store(&vt_verbs_reg_state.ready, 0);
}

/* A registration of this use alone. */
static verve_status_t vt_verbs_reg_per_use(void *address, size_t length,
                                           int access, int quiet,
                                           vt_verbs_reg_t *reg)
{
    struct ibv_mr *mr;

    atomic_fetch_add(&vt_verbs_reg_state.uncached, 1);
    mr = ibv_reg_mr(vt_verbs_reg_state.dev->pd, address, length, access);
    if (mr == NULL) {
        if (quiet) {
            vs_debug("verbs: registering [%p, +%zu) with access 0x%x "
                     "failed: %s", address, length, access, strerror(errno));
        } else {
            vs_error("verbs: registering [%p, +%zu) on %s failed: %s",
                     address, length, vt_verbs_reg_state.dev->port.dev_name,
                     strerror(errno));
        }
        return vt_verbs_reg_errno(errno);
    }
    reg->lkey = mr->lkey;
    reg->rkey = mr->rkey;
    reg->region = NULL;
    reg->mr = mr;
    return VERVE_OK;
}

/* The least access a use needs: the last resort for memory that refuses
 * more (read-only pages refuse any write access). */
static int vt_verbs_reg_least_access(unsigned flags)
{
    return ((flags & VT_VERBS_REG_WRITE) ? IBV_ACCESS_LOCAL_WRITE : 0) |
           ((flags & VT_VERBS_REG_REMOTE) ? IBV_ACCESS_REMOTE_READ : 0);
}

verve_status_t vt_verbs_reg_get(void *address, size_t length,
                                unsigned flags, vt_verbs_reg_t *reg)
{
    vs_rcache_region_t *region;
    verve_status_t status;
    struct ibv_mr *mr;
    int odp;

    status = vt_verbs_reg_init();
    if (status != VERVE_OK) {
        return status;
    }
    if (vt_verbs_reg_state.implicit_mr != NULL &&
        !(flags & VT_VERBS_REG_REMOTE)) {
        reg->lkey = vt_verbs_reg_state.implicit_mr->lkey;
        reg->rkey = 0;
        reg->region = NULL;
        reg->mr = NULL;
        vt_verbs_odp_prefetch(vt_verbs_reg_state.dev->pd, address, length,
                              reg->lkey, flags & VT_VERBS_REG_WRITE);
        return VERVE_OK;
    }
    if (flags & VT_VERBS_REG_OWN) {
        status = vt_verbs_reg_per_use(address, length,
                                      vt_verbs_reg_state.own_access, 1, reg);
        odp = vt_verbs_reg_state.own_access & IBV_ACCESS_ON_DEMAND;
    } else {
        odp = vt_verbs_reg_state.access & IBV_ACCESS_ON_DEMAND;
        status = vs_rcache_get(vt_verbs_reg_state.rcache, address, length,
                               &region);
        if (status == VERVE_OK) {
            mr = region->memh;
            reg->lkey = mr->lkey;
            reg->rkey = mr->rkey;
            reg->region = region;
            reg->mr = NULL;
        }
    }
    if (status != VERVE_OK) {
        odp = 0;
        status = vt_verbs_reg_per_use(address, length,
                                      vt_verbs_reg_least_access(flags), 0,
                                      reg);
        if (status != VERVE_OK) {
            return status;
        }
    }
    atomic_fetch_add(&vt_verbs_reg_state.in_use, 1);
    if (odp) {
        vt_verbs_odp_prefetch(vt_verbs_reg_state.dev->pd, address, length,
                              reg->lkey, flags & VT_VERBS_REG_WRITE);
    }
    return VERVE_OK;
}

void vt_verbs_reg_put(vt_verbs_reg_t *reg)
{
    if (reg->region != NULL) {
        vs_rcache_put(vt_verbs_reg_state.rcache, reg->region);
    } else if (reg->mr != NULL) {
        if (ibv_dereg_mr(reg->mr) != 0) {
            vs_warn("verbs: ibv_dereg_mr of rkey 0x%x failed: %s",
                    reg->mr->rkey, strerror(errno));
        }
    } else {
        return;    /* the implicit MR: nothing was taken */
    }
    reg->region = NULL;
    reg->mr = NULL;
    atomic_fetch_sub(&vt_verbs_reg_state.in_use, 1);
}

const char *vt_verbs_reg_why(void)
{
    const char *why;

    pthread_mutex_lock(&vt_verbs_reg_state.lock);
    why = vt_verbs_reg_state.why != NULL ? vt_verbs_reg_state.why
                                         : "not chosen yet";
    pthread_mutex_unlock(&vt_verbs_reg_state.lock);
    return why;
}

verve_status_t vt_verbs_reg_path(vt_verbs_reg_path_t *path_p)
{
    verve_status_t status = vt_verbs_reg_init();

    if (status == VERVE_OK) {
        *path_p = vt_verbs_reg_state.path;
    }
    return status;
}

void vt_verbs_reg_stats(vt_verbs_reg_stats_t *stats)
{
    vs_rcache_stats_t rstats;

    memset(stats, 0, sizeof(*stats));
    if (!atomic_load_explicit(&vt_verbs_reg_state.ready,
                              memory_order_acquire)) {
        return;
    }
    vs_rcache_stats(vt_verbs_reg_state.rcache, &rstats);
    stats->regions = rstats.regions;
    stats->bytes = rstats.bytes;
    stats->registrations = rstats.registrations;
    stats->hits = rstats.hits;
    stats->invalidations = rstats.invalidations;
    stats->evictions = rstats.evictions;
    stats->in_use = atomic_load(&vt_verbs_reg_state.in_use);
    stats->uncached = atomic_load(&vt_verbs_reg_state.uncached);
}
