/*
 * Shared-memory transport: objects shared by its files. Each interface owns
 * a memfd segment holding its receive ring (shm_fifo.h); a peer attaches by
 * opening /proc/<pid>/fd/<fd>, so nothing is created in /dev/shm and a
 * crash leaves nothing behind.
 */
#ifndef VT_SHM_H
#define VT_SHM_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include "transports/vt_iface.h"
#include "shm_fifo.h"

#define VT_SHM_COMPONENT_ID 2
#define VT_SHM_ADDR_MAGIC 0x73686d31u    /* "shm1" */

typedef struct vt_shm_config {
    size_t fifo_size;       /* ring bytes */
    size_t bcopy_max;
    unsigned rx_batch;
    int cma;                /* use CMA where the kernel allows it */
} vt_shm_config_t;

extern vs_config_table_t vt_shm_config_table;

/* What iface_address writes; fixed-width fields, host byte order (the
 * transport reaches only its own host). */
typedef struct vt_shm_iface_addr {
    uint32_t magic;
    int32_t pid;
    int32_t fd;              /* the segment's memfd in pid */
    uint32_t num_slots;
    uint64_t host_id;
    uint64_t pidns;          /* pids mean something only within one */
    uint64_t uid;
} vt_shm_iface_addr_t;

typedef struct vt_shm_iface {
    vt_iface_t super;
    vt_shm_fifo_t rx;                 /* our ring, consumer view */
    uint64_t rx_tail;                 /* private copy of rx.ctl->tail */
    unsigned rx_batch;
    int in_progress;                  /* handlers may call progress */
    int armed;
    size_t bcopy_max;
    size_t bcopy_slots;
    int cma;                          /* VERVE_SHM_CMA=y and vs_cma_usable */
    uint64_t uid;
    uint64_t host_id;
    uint64_t pidns;
    pid_t pid;
    void *seg_base;
    size_t ring_size;
    int seg_fd;
    int wake_fd;                      /* bound datagram socket */
    int epoll_fd;
    vt_am_handler_t am_handlers[VT_AM_ID_MAX];
    void *am_args[VT_AM_ID_MAX];
} vt_shm_iface_t;

typedef struct vt_shm_ep {
    vt_ep_t super;
    vt_shm_fifo_t tx;                 /* the peer's ring, producer view */
    uint64_t src_uid;
    size_t bcopy_max;
    size_t bcopy_slots;
    int failed;
    int cma;                          /* the kernel lets us reach the peer */
    pid_t peer_pid;
    int pidfd;                        /* -1 when pidfd_open is missing */
    void *seg_base;
    size_t ring_size;
    int wake_fd;                      /* the iface's socket, to sendto */
    struct sockaddr_un peer_wake;
    socklen_t peer_wake_len;
} vt_shm_ep_t;

/* Abstract-namespace name of an iface's wakeup socket. */
socklen_t vt_shm_wake_addr(pid_t pid, int seg_fd, struct sockaddr_un *sun);
/* An identifier of this process's pid namespace (0 when unknown): peers
 * on the same host in another container cannot be named by pid. */
uint64_t vt_shm_pidns_id(void);
/* Whether a process exists (alive or not yet reaped). */
int vt_shm_pid_exists(pid_t pid);
/* Whether it is running (not exited, not a zombie); slower: for ep_check
 * where pidfd_open is missing. */
int vt_shm_pid_alive(pid_t pid);

/* Says once per process, at info level, that the kernel refuses CMA (to
 * pid, or to any process when pid is 0) and why: copies go through the
 * ring and RMA on registered memory over AM. Later refusals go to debug. */
void vt_shm_cma_refused(pid_t pid, const char *cause);

/* shm_iface.c */
verve_status_t vt_shm_iface_open(const vt_iface_params_t *params,
                                 vt_iface_t **iface_p);

/* shm_ep.c */
verve_status_t vt_shm_ep_create(vt_iface_t *iface, const void *address,
                                size_t length, vt_ep_t **ep_p);
void vt_shm_ep_destroy(vt_ep_t *ep);
verve_status_t vt_shm_ep_check(vt_ep_t *ep);
verve_status_t vt_shm_ep_am_short(vt_ep_t *ep, uint8_t id, const void *header,
                                  size_t header_length, const void *payload,
                                  size_t length);
ssize_t vt_shm_ep_am_bcopy(vt_ep_t *ep, uint8_t id, vt_pack_cb_t pack,
                           void *arg);
verve_status_t vt_shm_ep_flush(vt_ep_t *ep, vt_completion_t *comp);

/* shm_rma.c */
verve_status_t vt_shm_ep_put_zcopy(vt_ep_t *ep, const void *buffer,
                                   size_t length,
                                   const vt_remote_buffer_t *remote,
                                   vt_completion_t *comp);
verve_status_t vt_shm_ep_get_zcopy(vt_ep_t *ep, void *buffer, size_t length,
                                   const vt_remote_buffer_t *remote,
                                   vt_completion_t *comp);
verve_status_t vt_shm_ep_put(vt_ep_t *ep, const void *buffer, size_t length,
                             uint64_t remote_addr, vt_rkey_t *rkey,
                             vt_completion_t *comp);
verve_status_t vt_shm_ep_get(vt_ep_t *ep, void *buffer, size_t length,
                             uint64_t remote_addr, vt_rkey_t *rkey,
                             vt_completion_t *comp);
verve_status_t vt_shm_ep_atomic(vt_ep_t *ep, vt_atomic_op_t op,
                                size_t op_size, uint64_t value,
                                uint64_t compare, void *result,
                                uint64_t remote_addr, vt_rkey_t *rkey,
                                vt_completion_t *comp);
verve_status_t vt_shm_mem_alloc(size_t length, void **address_p,
                                vt_memh_t **memh_p);
verve_status_t vt_shm_mem_reg(void *address, size_t length,
                              vt_memh_t **memh_p);
void vt_shm_mem_dereg(vt_memh_t *memh);
size_t vt_shm_rkey_packed_size(vt_memh_t *memh);
void vt_shm_rkey_pack(vt_memh_t *memh, void *buffer);
verve_status_t vt_shm_rkey_unpack(vt_iface_t *iface, const void *buffer,
                                  size_t length, vt_rkey_t **rkey_p);
void vt_shm_rkey_release(vt_rkey_t *rkey);

extern const vt_iface_ops_t vt_shm_iface_ops;

#endif
