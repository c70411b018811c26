/*
 * The transport interface. Each transport is a component (vt_component_t)
 * listed once in transports.c; the engine never names a transport. A
 * component opens one interface per worker and endpoints on it; the
 * protocol layer drives them through the const ops table below.
 *
 * Transport-level active messages carry a small id (below VT_AM_ID_MAX)
 * chosen by the protocol layer, not the user's AM id.
 */
#ifndef VT_IFACE_H
#define VT_IFACE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <verve/verve_status.h>
#include "core/base/config.h"

#define VT_AM_ID_MAX 32
/* The smallest am_bcopy_max a transport may be configured to: the engine
 * sends its own messages as one am_bcopy each, and the largest, the
 * wireup, carries the worker's packed address (16 bytes, then 4 and the
 * address for each transport: 108 bytes with shm, self and tcp, 212 with
 * rc and ud too). The worker checks the real length when it opens its
 * transports. */
#define VT_AM_BCOPY_MIN 256
#define VT_COMPONENT_NAME_MAX 16

typedef struct vt_iface vt_iface_t;
typedef struct vt_ep vt_ep_t;
typedef struct vt_memh vt_memh_t;
typedef struct vt_rkey vt_rkey_t;
typedef struct vt_component vt_component_t;

/* Delivery of a received transport AM. data is valid only during the call.
 * src_uid identifies the sending worker (see vt_iface_params_t.uid). */
typedef void (*vt_am_handler_t)(void *arg, void *data, size_t length,
                                uint64_t src_uid);

/* Writes the payload of a bcopy AM into dest and returns its length. */
typedef size_t (*vt_pack_cb_t)(void *dest, void *arg);

/* A pending operation's completion: count falls to zero, then func runs. */
typedef struct vt_completion vt_completion_t;
struct vt_completion {
    void (*func)(vt_completion_t *self, verve_status_t status);
    int count;
    verve_status_t status;
};

static inline void vt_completion_update(vt_completion_t *comp,
                                        verve_status_t status)
{
    if (status != VERVE_OK && comp->status == VERVE_OK) {
        comp->status = status;
    }
    if (--comp->count == 0) {
        comp->func(comp, comp->status);
    }
}

enum {
    VT_CAP_AM_SHORT = 1u << 0,
    VT_CAP_AM_BCOPY = 1u << 1,
    VT_CAP_GET_ZCOPY = 1u << 2,  /* read from a peer's plain buffer */
    VT_CAP_PUT_ZCOPY = 1u << 3,  /* write into a peer's plain buffer */
    VT_CAP_RMA = 1u << 4,        /* put/get through rkeys */
    VT_CAP_AMO32 = 1u << 5,      /* atomics through rkeys */
    VT_CAP_AMO64 = 1u << 6,
    VT_CAP_WAKEUP = 1u << 7,     /* arm + event fd */
    /* put, get, atomics and the zcopy ops may return VERVE_INPROGRESS and
     * update comp later, from iface_progress: exactly once, with an error
     * when the ep fails, and before ep_destroy returns at the latest.
     * Without it the engine passes no comp and expects completion in
     * place. ep_flush is polled with a NULL comp either way. */
    VT_CAP_ASYNC = 1u << 8,
    /* get/put_zcopy reach the peer's buffer through a key: its owner
     * registers it with the component's mem_reg, packs the key
     * (rkey_pack), the other side unpacks it into remote.rkey. */
    VT_CAP_ZCOPY_KEY = 1u << 9,
    /* On an unpacked key (vt_rkey_t.flags): the device's atomics are
     * atomic only among themselves (IBV_ATOMIC_HCA), not against the
     * CPU's, so every atomic on this memory, the owner's own and those of
     * its local peers included, must run through this component: the
     * engine then gives such keys this component's lane for atomics
     * whatever lane the endpoint has. On an iface's caps: its keys may
     * carry it (the engine looks at foreign key parts only then). */
    VT_CAP_AMO_LANE = 1u << 10,
    /* The device's work runs on the host's CPUs (a software RDMA device):
     * while an endpoint uses this lane, a worker progress call that found
     * nothing gives the CPU away, or a busy-polling process takes the CPU
     * the device needs (SoftRoCE's write bandwidth dropped by a third with
     * a spinning passive side). */
    VT_CAP_IDLE_YIELD = 1u << 11
};

/* Empty polls in a row before idle progress yields (VT_CAP_IDLE_YIELD),
 * in the worker and in a transport's own waits: longer than a round trip's
 * wait on the devices it is for (SoftRoCE under emulation: a few hundred
 * polls), far shorter than a passive side's wait. */
#define VT_IDLE_YIELD_POLLS 1024

typedef struct vt_iface_caps {
    uint32_t flags;          /* VT_CAP_* */
    size_t am_short_max;     /* header + payload bytes in one am_short */
    size_t am_bcopy_max;     /* payload bytes in one am_bcopy */
    size_t zcopy_max;        /* bytes in one get/put_zcopy */
    size_t address_length;   /* bytes written by iface_address */
    double latency_ns;       /* estimate, used to pick lanes */
    double bandwidth_MBps;   /* estimate */
} vt_iface_caps_t;

typedef struct vt_iface_params {
    uint64_t uid;             /* the owning worker's unique id */
    vt_am_handler_t am_handlers[VT_AM_ID_MAX];
    void *am_args[VT_AM_ID_MAX];
    int epoll_fd;             /* the worker's epoll set for wakeup fds */
} vt_iface_params_t;

typedef enum vt_atomic_op {
    VT_ATOMIC_ADD,
    VT_ATOMIC_FADD,
    VT_ATOMIC_SWAP,
    VT_ATOMIC_CSWAP
} vt_atomic_op_t;

/* A peer's plain buffer, for rendezvous data movement without rkeys (CMA on
 * shm, memcpy on self). */
typedef struct vt_remote_buffer {
    uint64_t address;
    size_t length;
    vt_rkey_t *rkey;         /* VT_CAP_ZCOPY_KEY lanes; NULL elsewhere */
} vt_remote_buffer_t;

/*
 * Operations. Every send returns VERVE_OK (done, buffers reusable),
 * VERVE_INPROGRESS (comp is updated later), VERVE_ERR_NO_RESOURCE (nothing
 * was sent: retry after progress) or an error. Operations a transport lacks
 * point to the vt_no_* stubs below, never to NULL.
 */
typedef struct vt_iface_ops {
    void (*iface_close)(vt_iface_t *iface);
    void (*iface_query)(vt_iface_t *iface, vt_iface_caps_t *caps);
    /* Writes caps.address_length bytes. */
    void (*iface_address)(vt_iface_t *iface, void *address);
    int (*iface_is_reachable)(vt_iface_t *iface, const void *address,
                              size_t length);
    unsigned (*iface_progress)(vt_iface_t *iface);
    /* VERVE_OK: armed, the worker may sleep on its epoll fd;
     * VERVE_ERR_BUSY: events are pending, progress first. */
    verve_status_t (*iface_arm)(vt_iface_t *iface);

    verve_status_t (*ep_create)(vt_iface_t *iface, const void *address,
                                size_t length, vt_ep_t **ep_p);
    void (*ep_destroy)(vt_ep_t *ep);
    /* Cheap liveness check of the peer process: VERVE_OK or
     * VERVE_ERR_PEER_FAILED. */
    verve_status_t (*ep_check)(vt_ep_t *ep);

    verve_status_t (*ep_am_short)(vt_ep_t *ep, uint8_t id, const void *header,
                                  size_t header_length, const void *payload,
                                  size_t length);
    /* Returns the packed length, or a negative verve_status_t. */
    ssize_t (*ep_am_bcopy)(vt_ep_t *ep, uint8_t id, vt_pack_cb_t pack,
                           void *arg);

    /* Rendezvous data movement on plain buffers of the peer: read from
     * it, or write into it (VT_CAP_GET_ZCOPY, VT_CAP_PUT_ZCOPY). */
    verve_status_t (*ep_get_zcopy)(vt_ep_t *ep, void *buffer, size_t length,
                                   const vt_remote_buffer_t *remote,
                                   vt_completion_t *comp);
    verve_status_t (*ep_put_zcopy)(vt_ep_t *ep, const void *buffer,
                                   size_t length,
                                   const vt_remote_buffer_t *remote,
                                   vt_completion_t *comp);

    /* RMA through an rkey unpacked for this transport. The engine has
     * already checked that [remote_addr, +length) is inside the region. */
    verve_status_t (*ep_put)(vt_ep_t *ep, const void *buffer, size_t length,
                             uint64_t remote_addr, vt_rkey_t *rkey,
                             vt_completion_t *comp);
    verve_status_t (*ep_get)(vt_ep_t *ep, void *buffer, size_t length,
                             uint64_t remote_addr, vt_rkey_t *rkey,
                             vt_completion_t *comp);
    /* op_size 4 or 8; result may be NULL for VT_ATOMIC_ADD. */
    verve_status_t (*ep_atomic)(vt_ep_t *ep, vt_atomic_op_t op,
                                size_t op_size, uint64_t value,
                                uint64_t compare, void *result,
                                uint64_t remote_addr, vt_rkey_t *rkey,
                                vt_completion_t *comp);
    /* VERVE_OK when everything started on the ep is remotely complete;
     * VERVE_INPROGRESS while not (the engine asks again from progress, so
     * the transport may start what it needs to finish, once). */
    verve_status_t (*ep_flush)(vt_ep_t *ep, vt_completion_t *comp);
} vt_iface_ops_t;

struct vt_iface {
    const vt_iface_ops_t *ops;
    const vt_component_t *component;
};

struct vt_ep {
    vt_iface_t *iface;
    /* VT_CAP_* of the iface that this endpoint lacks, set by ep_create: a
     * peer whose memory the kernel will not let us reach (shm where CMA
     * is refused) has no VT_CAP_GET_ZCOPY or VT_CAP_PUT_ZCOPY. */
    uint32_t caps_off;
};

/* What an unpacked key allows on its interface: the engine emulates over AM
 * whatever is missing (VT_CAP_RMA, VT_CAP_AMO32, VT_CAP_AMO64). */
struct vt_rkey {
    uint32_t flags;
};

/*
 * Memory domain part of a component: registration and remote keys. A
 * component without native RMA leaves mem_reg NULL and the protocol layer
 * emulates RMA over AM.
 */
struct vt_component {
    const char name[VT_COMPONENT_NAME_MAX];
    uint8_t id;                       /* stable, used in packed rkeys */
    vs_config_table_t *config;        /* may be NULL */

    /* VERVE_ERR_NO_ELEM when this host has no device for the transport
     * (none at all, or none that its settings select): the normal case
     * on most machines, which verve_info and the engine say as such. */
    verve_status_t (*iface_open)(const vt_iface_params_t *params,
                                 vt_iface_t **iface_p);

    /* Allocates shareable memory, or NULL if the component cannot. */
    verve_status_t (*mem_alloc)(size_t length, void **address_p,
                                vt_memh_t **memh_p);
    verve_status_t (*mem_reg)(void *address, size_t length,
                              vt_memh_t **memh_p);
    /* For a buffer registered per message (a rendezvous send): may come
     * from a cache, and its key may stay valid, for reads, after
     * mem_dereg. NULL: mem_reg serves. */
    verve_status_t (*mem_reg_cached)(void *address, size_t length,
                                     vt_memh_t **memh_p);
    void (*mem_dereg)(vt_memh_t *memh);
    /* Bytes of rkey_pack output; 0 when the component has no rkeys. */
    size_t (*rkey_packed_size)(vt_memh_t *memh);
    void (*rkey_pack)(vt_memh_t *memh, void *buffer);
    /* Unpacked on a specific interface: a key that this interface cannot
     * use fails with VERVE_ERR_UNREACHABLE (the engine then emulates);
     * malformed bytes fail with VERVE_ERR_INVALID_RKEY. */
    verve_status_t (*rkey_unpack)(vt_iface_t *iface, const void *buffer,
                                  size_t length, vt_rkey_t **rkey_p);
    void (*rkey_release)(vt_rkey_t *rkey);
};

/* The list of components compiled in, NULL-terminated (transports.c). */
extern const vt_component_t *const vt_components[];

/* Stubs for operations a transport lacks. */
verve_status_t vt_no_arm(vt_iface_t *iface);
verve_status_t vt_no_ep_check(vt_ep_t *ep);
verve_status_t vt_no_am_short(vt_ep_t *ep, uint8_t id, const void *header,
                              size_t header_length, const void *payload,
                              size_t length);
ssize_t vt_no_am_bcopy(vt_ep_t *ep, uint8_t id, vt_pack_cb_t pack, void *arg);
verve_status_t vt_no_get_zcopy(vt_ep_t *ep, void *buffer, size_t length,
                               const vt_remote_buffer_t *remote,
                               vt_completion_t *comp);
verve_status_t vt_no_put_zcopy(vt_ep_t *ep, const void *buffer,
                               size_t length,
                               const vt_remote_buffer_t *remote,
                               vt_completion_t *comp);
verve_status_t vt_no_put(vt_ep_t *ep, const void *buffer, size_t length,
                         uint64_t remote_addr, vt_rkey_t *rkey,
                         vt_completion_t *comp);
verve_status_t vt_no_get(vt_ep_t *ep, void *buffer, size_t length,
                         uint64_t remote_addr, vt_rkey_t *rkey,
                         vt_completion_t *comp);
verve_status_t vt_no_atomic(vt_ep_t *ep, vt_atomic_op_t op, size_t op_size,
                            uint64_t value, uint64_t compare, void *result,
                            uint64_t remote_addr, vt_rkey_t *rkey,
                            vt_completion_t *comp);
verve_status_t vt_no_flush(vt_ep_t *ep, vt_completion_t *comp);

/* Applies an atomic to local memory: shared by every transport that reaches
 * the target memory with loads and stores, and by AM emulation. */
void vt_atomic_apply(vt_atomic_op_t op, size_t op_size, void *target,
                     uint64_t value, uint64_t compare, void *result);

#endif
