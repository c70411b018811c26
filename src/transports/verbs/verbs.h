/*
 * The verbs common layer, shared by the rc and ud transports: device and
 * port selection, the process-wide device context and protection domain,
 * memory registration and remote keys.
 *
 * Registration has no interface argument (vt_component_t.mem_reg), so the
 * device context and its protection domain are process-wide: opened on
 * first use by an interface or a registration, closed when the last user
 * releases it. Every QP and MR of the process lives in that one PD, so a key
 * registered before an interface opened still works on its QPs.
 */
#ifndef VT_VERBS_H
#define VT_VERBS_H

#include <stdint.h>
#include <stdio.h>
#include <infiniband/verbs.h>
#include "core/base/compiler.h"
#include "transports/vt_iface.h"

/* Memory the device wrote (receives, reads, atomic results) is unknown to
 * valgrind: mark it, so that its reports stay meaningful. */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define VT_VERBS_MARK_DEFINED(p, n) VALGRIND_MAKE_MEM_DEFINED(p, n)
#endif
#endif
#ifndef VT_VERBS_MARK_DEFINED
#define VT_VERBS_MARK_DEFINED(p, n) do { (void)(p); (void)(n); } while (0)
#endif

/* Fills wr[0..n) and sge[0..n) as one chain of receives, into the
 * buffers index[0..n) of an array of stride-byte buffers at bufs, each
 * wr_id tag | its index: how rc's SRQ and handshake QP and ud's QP post
 * their receives, a batch in one call to the provider. */
static inline void vt_verbs_recv_chain(struct ibv_recv_wr *wr,
                                       struct ibv_sge *sge,
                                       const unsigned *index, unsigned n,
                                       void *bufs, uint32_t stride,
                                       uint32_t lkey, uint64_t tag)
{
    for (unsigned i = 0; i < n; ++i) {
        sge[i].addr = (uintptr_t)((char *)bufs + (size_t)index[i] * stride);
        sge[i].length = stride;
        sge[i].lkey = lkey;
        wr[i].wr_id = tag | index[i];
        wr[i].next = (i + 1 < n) ? &wr[i + 1] : NULL;
        wr[i].sg_list = &sge[i];
        wr[i].num_sge = 1;
    }
}

#define VT_VERBS_DEV_NAME_MAX 64
#define VT_VERBS_MAX_PORTS 8
#define VT_VERBS_GID_AUTO 255

/* Link layers as carried in addresses (fixed values, not the ibv_ enum). */
enum {
    VT_VERBS_LL_IB = 1,
    VT_VERBS_LL_ETH = 2
};

/* VERVE_VERBS_IDLE_YIELD */
typedef enum vt_verbs_yield_mode {
    VT_VERBS_YIELD_AUTO = 0,  /* on software devices */
    VT_VERBS_YIELD_YES = 1,
    VT_VERBS_YIELD_NO = 2
} vt_verbs_yield_mode_t;

typedef struct vt_verbs_config {
    char *net_devices;       /* "rxe0:1,mlx5_0:1", "all" or "auto" */
    unsigned gid_index;      /* VT_VERBS_GID_AUTO: chosen here */
    int any_netns;           /* also ports whose netdev is elsewhere */
    unsigned idle_yield;     /* vt_verbs_yield_mode_t */
} vt_verbs_config_t;

extern vs_config_table_t vt_verbs_config_table;
/* VERVE_VERBS_IDLE_YIELD's values by mode, NULL-terminated. */
extern const char *const vt_verbs_yield_names[];

/* One usable port: what an address needs to be reached. */
typedef struct vt_verbs_port {
    char dev_name[VT_VERBS_DEV_NAME_MAX];
    uint8_t port_num;
    uint8_t link_layer;      /* VT_VERBS_LL_* */
    uint8_t gid_index;
    uint8_t active_mtu;      /* enum ibv_mtu */
    uint16_t lid;
    uint32_t max_msg_sz;
    union ibv_gid gid;
    int numa_local;          /* 1: the device is local to our CPUs */
} vt_verbs_port_t;

/* The process-wide device context: the chosen port, its device, one PD. */
typedef struct vt_verbs_dev {
    struct ibv_context *context;
    struct ibv_pd *pd;
    struct ibv_device_attr attr;
    vt_verbs_port_t port;
    unsigned refcount;
    /* The device's work runs in the kernel on the host's CPUs (SoftRoCE,
     * siw), so a process that polls it with nothing to do takes the CPU
     * that work needs: idle progress then gives the CPU away
     * (VT_CAP_IDLE_YIELD). Decided at open from VERVE_VERBS_IDLE_YIELD. */
    int idle_yield;
} vt_verbs_dev_t;

/* An interface's address, the same for rc and ud: the port (link layer,
 * MTU, LID, GID), the QP peers send to first (ud: its only QP; rc: the
 * UD QP its connections are set up through) and the worker's uid. Fixed
 * width and little endian: addresses cross hosts. magic names the
 * transport, so an address of one is refused by the other. */
typedef struct vt_verbs_addr {
    uint32_t magic;
    uint8_t link_layer;      /* VT_VERBS_LL_* */
    uint8_t mtu;             /* enum ibv_mtu */
    uint16_t lid;
    uint32_t qpn;
    uint32_t reserved;
    uint8_t gid[16];
    uint64_t uid;
} vt_verbs_addr_t;

/* verbs_addr.c */

/* Writes sizeof(vt_verbs_addr_t) bytes for this device's port. */
void vt_verbs_addr_pack(const vt_verbs_dev_t *dev, uint32_t magic,
                        uint32_t qpn, uint64_t uid, void *address);
/* Whether the bytes are a well-formed address with this magic; *addr then
 * holds it in host byte order. */
int vt_verbs_addr_parse(const void *address, size_t length, uint32_t magic,
                        vt_verbs_addr_t *addr);
/* A well-formed address with this magic on this device's link layer. */
int vt_verbs_addr_reachable(const vt_verbs_dev_t *dev, uint32_t magic,
                            const void *address, size_t length);
/* ibv_create_ah, tried again while the kernel's neighbour resolution of a
 * RoCE destination times out (a lost ARP exchange is not a dead peer);
 * NULL with errno set after five tries over about two seconds. */
struct ibv_ah *vt_verbs_ah_create(struct ibv_pd *pd,
                                  struct ibv_ah_attr *attr);

/* verbs_device.c */

/* Fills ports with up to max usable ports of the host, in the order of
 * preference (local to our CPUs first), filtered by VERVE_NET_DEVICES and
 * by the network namespace; *count_p is their number. */
verve_status_t vt_verbs_ports_list(const vt_verbs_config_t *cfg,
                                   vt_verbs_port_t *ports, unsigned max,
                                   unsigned *count_p);
/* Opens (or takes another reference on) the process-wide device. */
verve_status_t vt_verbs_dev_get(vt_verbs_dev_t **dev_p);
void vt_verbs_dev_put(vt_verbs_dev_t *dev);
/* Bytes of an ibv_mtu value (IBV_MTU_1024 -> 1024). */
size_t vt_verbs_mtu_bytes(uint8_t mtu);
/* GID type of a port's GID table entry from sysfs: 1 for RoCE v2, 0 for
 * anything else; the netdev in *ifindex_p (0 when none or not here). */
int vt_verbs_gid_is_rocev2(const char *dev_name, unsigned port,
                           unsigned index, unsigned *ifindex_p);
/* Whether a device with this vendor id is a software one (SoftRoCE's
 * 0xffffff, siw's 0x626d74), whose work runs on the host's CPUs. */
int vt_verbs_vendor_is_soft(uint32_t vendor_id);
/* Whether idle progress yields the CPU, for a VERVE_VERBS_IDLE_YIELD
 * mode and a device that is software (soft) or not. */
int vt_verbs_idle_yield(unsigned mode, int soft);
/* Whether a "dev:port" list (VERVE_NET_DEVICES) names this port. */
int vt_verbs_port_selected(const char *list, const char *dev_name,
                           unsigned port);
/* Picks the GID index for RoCE v2 among candidates: an IPv4-mapped GID
 * whose netdev is in this namespace first. types[i] is 1 for RoCE v2, gids
 * the raw entries, here[i] whether its netdev is in this namespace; returns
 * -1 when none fits. Exposed for unit tests. */
int vt_verbs_gid_choose(const union ibv_gid *gids, const int *types,
                        const int *here, unsigned count, int any_netns);

/* verbs_info.c: every device with its limits and usable ports, for
 * verve_info. */
void vt_verbs_devices_print(FILE *stream);

/* verbs_mem.c */
/* mem_reg: a registration of its own (verve_mem_map). mem_reg_cached:
 * through the registration cache or ODP, for buffers registered per
 * message (rendezvous); its key may outlive mem_dereg, readable only. */
verve_status_t vt_verbs_mem_reg(void *address, size_t length,
                                vt_memh_t **memh_p);
verve_status_t vt_verbs_mem_reg_cached(void *address, size_t length,
                                       vt_memh_t **memh_p);
void vt_verbs_mem_dereg(vt_memh_t *memh);
size_t vt_verbs_rkey_packed_size(vt_memh_t *memh);
void vt_verbs_rkey_pack(vt_memh_t *memh, void *buffer);
/* The unpacked key of the verbs transports. */
typedef struct vt_verbs_rkey {
    vt_rkey_t super;
    uint32_t rkey;
} vt_verbs_rkey_t;
/* Parses a packed key; flags become the key's capabilities. */
verve_status_t vt_verbs_rkey_parse(const void *buffer, size_t length,
                                   uint32_t flags, vt_rkey_t **rkey_p);
void vt_verbs_rkey_release(vt_rkey_t *rkey);

/* verbs_odp.c: how buffers that verve_mem_map did not register reach the
 * device (zero-copy put and get, rendezvous), chosen once per process. */
/* VERVE_ODP's values by mode, NULL-terminated. */
extern const char *const vt_verbs_odp_names[];
typedef enum vt_verbs_odp_mode {
    VT_VERBS_ODP_AUTO,       /* ODP where the device offers it on rc */
    VT_VERBS_ODP_YES,        /* ODP, or fail where the device lacks it */
    VT_VERBS_ODP_NO,         /* the registration cache */
    VT_VERBS_ODP_UNCHECKED   /* yes, even where the probe fails */
} vt_verbs_odp_mode_t;

typedef struct vt_verbs_mem_config {
    unsigned odp;              /* vt_verbs_odp_mode_t */
    size_t rcache_max_bytes;   /* unused cached registrations beyond... */
    unsigned rcache_max_regions;
} vt_verbs_mem_config_t;

extern vs_config_table_t vt_verbs_mem_config_table;

/* What the device offers of ODP for rc (VT_VERBS_ODP_CAP_*). */
enum {
    VT_VERBS_ODP_CAP_RC = 1u << 0,        /* send, write, read */
    VT_VERBS_ODP_CAP_IMPLICIT = 1u << 1,  /* the whole address space */
    VT_VERBS_ODP_CAP_ATOMIC = 1u << 2     /* atomics on ODP memory */
};

typedef enum vt_verbs_reg_path {
    VT_VERBS_PATH_RCACHE,        /* pinned, cached, invalidated by events */
    VT_VERBS_PATH_PER_USE,       /* pinned per use: no memory events */
    VT_VERBS_PATH_ODP,           /* explicit ODP regions, cached */
    VT_VERBS_PATH_ODP_IMPLICIT   /* one implicit ODP MR for local access */
} vt_verbs_reg_path_t;

uint32_t vt_verbs_odp_caps(struct ibv_context *context);
/* The path for a device with these caps under this mode; VERVE_ERR_
 * UNSUPPORTED when mode is yes and the device has no ODP on rc. */
verve_status_t vt_verbs_odp_path(unsigned mode, uint32_t caps,
                                 int kernel_events,
                                 vt_verbs_reg_path_t *path_p);
const char *vt_verbs_path_name(vt_verbs_reg_path_t path);
/* Faults [address, +length) in for the device (ibv_advise_mr), so the
 * transfer does not wait on page faults; a no-op where unsupported. */
void vt_verbs_odp_prefetch(struct ibv_pd *pd, void *address, size_t length,
                           uint32_t lkey, int write);

/* verbs_odp_probe.c: 1 when an RDMA write and read between ODP regions
 * at offsets inside pages arrive intact, else 0. */
int vt_verbs_odp_probe(vt_verbs_dev_t *dev);

/* verbs_rcache.c: user buffers registered through the registration cache
 * or ODP, for the process-wide device. */
typedef struct vt_verbs_reg {
    uint32_t lkey;
    uint32_t rkey;
    void *region;              /* vs_rcache_region_t, or NULL */
    struct ibv_mr *mr;         /* registered for this use only, or NULL */
} vt_verbs_reg_t;

enum {
    VT_VERBS_REG_REMOTE = 1u << 0,   /* an rkey, for remote reads */
    VT_VERBS_REG_WRITE = 1u << 1,    /* the device writes the buffer */
    /* A registration of this use alone, with every remote access, that
     * dies with its put: verve_mem_map's keys must stop working at
     * verve_mem_unmap, which a cached region outlives. ODP where in use
     * (cheap), pinned otherwise. */
    VT_VERBS_REG_OWN = 1u << 2
};

/* Registers (or finds) [address, +length) for a use; VT_VERBS_REG_*. */
verve_status_t vt_verbs_reg_get(void *address, size_t length,
                                unsigned flags, vt_verbs_reg_t *reg);
void vt_verbs_reg_put(vt_verbs_reg_t *reg);
/* The path in use (the process's device opened for it, once), and why
 * it was chosen. */
verve_status_t vt_verbs_reg_path(vt_verbs_reg_path_t *path_p);
const char *vt_verbs_reg_why(void);
/* Registration count and pinned bytes of the cache, for tests and
 * verve_info; zero before first use. */
typedef struct vt_verbs_reg_stats {
    size_t regions;            /* cached now */
    size_t bytes;              /* cached now */
    size_t in_use;             /* registrations handed out, not put */
    size_t registrations;      /* ibv_reg_mr calls for user buffers */
    size_t uncached;           /* ibv_reg_mr calls beside the cache:
                                * verve_mem_map's, unwatchable memory */
    size_t hits;
    size_t invalidations;
    size_t evictions;
} vt_verbs_reg_stats_t;
void vt_verbs_reg_stats(vt_verbs_reg_stats_t *stats);

/* Maps a work completion status to a verve status. */
verve_status_t vt_verbs_wc_status(enum ibv_wc_status status);

#endif
