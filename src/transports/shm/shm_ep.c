/* Shared-memory endpoints: attach to a peer's ring and send AMs into it. */
#include "shm.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "core/base/cma.h"
#include "core/base/log.h"
#include "shm_segment.h"

static int vt_shm_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

static verve_status_t vt_shm_ep_parse_address(vt_shm_iface_t *iface,
                                              const void *address,
                                              size_t length,
                                              vt_shm_iface_addr_t *addr)
{
    if (length != sizeof(*addr)) {
        vs_error("shm: ep_create: address of %zu bytes, expected %zu",
                 length, sizeof(*addr));
        return VERVE_ERR_INVALID_PARAM;
    }
    memcpy(addr, address, sizeof(*addr));
    if (addr->magic != VT_SHM_ADDR_MAGIC || addr->pid <= 0 || addr->fd < 0 ||
        addr->num_slots < VT_SHM_FIFO_MIN_SLOTS ||
        addr->num_slots > VT_SHM_FIFO_MAX_SLOTS ||
        (addr->num_slots & (addr->num_slots - 1)) != 0) {
        vs_error("shm: ep_create: malformed address (magic %x, pid %d, fd %d, "
                 "%u slots)", addr->magic, addr->pid, addr->fd,
                 addr->num_slots);
        return VERVE_ERR_INVALID_PARAM;
    }
    if (addr->host_id != iface->host_id || addr->pidns != iface->pidns) {
        vs_error("shm: ep_create: peer pid %d is on host %llx pid namespace "
                 "%llx, not this host %llx namespace %llx", addr->pid,
                 (unsigned long long)addr->host_id,
                 (unsigned long long)addr->pidns,
                 (unsigned long long)iface->host_id,
                 (unsigned long long)iface->pidns);
        return VERVE_ERR_UNREACHABLE;
    }
    if (vt_shm_fifo_rec_slots(iface->bcopy_max) > addr->num_slots / 4) {
        vs_error("shm: ep_create: peer pid %d's ring of %u slots is too "
                 "small for VERVE_SHM_BCOPY_MAX=%zu", addr->pid,
                 addr->num_slots, iface->bcopy_max);
        return VERVE_ERR_UNREACHABLE;
    }
    return VERVE_OK;
}

static verve_status_t vt_shm_ep_watch_peer(vt_shm_iface_t *iface,
                                           vt_shm_ep_t *ep)
{
    struct epoll_event event;

    ep->pidfd = vt_shm_pidfd_open(ep->peer_pid);
    if (ep->pidfd < 0) {
        if (errno == ESRCH) {
            vs_error("shm: ep_create: peer pid %d exited after publishing "
                     "its address", (int)ep->peer_pid);
            return VERVE_ERR_UNREACHABLE;
        }
        /* Old kernel: ep_check falls back to kill(pid, 0). */
        vs_debug("shm: pidfd_open(%d) failed: %s", (int)ep->peer_pid,
                 strerror(errno));
        return VERVE_OK;
    }
    if (iface->epoll_fd >= 0) {
        /* One-shot: an exited process stays readable forever, and the
         * worker only needs waking once to notice through ep_check. */
        memset(&event, 0, sizeof(event));
        event.events = EPOLLIN | EPOLLONESHOT;
        event.data.ptr = &iface->super;
        if (epoll_ctl(iface->epoll_fd, EPOLL_CTL_ADD, ep->pidfd,
                      &event) < 0) {
            vs_warn("shm: adding pidfd of peer pid %d to epoll fd %d "
                    "failed: %s", (int)ep->peer_pid, iface->epoll_fd,
                    strerror(errno));
        }
    }
    return VERVE_OK;
}

/* Whether CMA reaches the peer, both ways, so that both ends of the pair
 * pick the same protocols (a rendezvous is read by its receiver, a split
 * one written by its sender): both ends use it (VERVE_SHM_CMA, seccomp
 * seen in the ring header's flag); a read of the magic word at the head
 * of the peer's ring, where the peer maps it, returns what we see in our
 * mapping; and under Yama ptrace_scope 1 the peer may read us. */
static int vt_shm_ep_probe_cma(const vt_shm_iface_t *iface,
                               const vt_shm_ep_t *ep,
                               const vt_shm_fifo_ctl_t *ctl)
{
    verve_status_t status;
    uint64_t magic = 0;

    if (!iface->cma) {
        return 0;       /* said at iface_open */
    }
    if (!(ctl->owner_flags & VT_SHM_OWNER_CMA)) {
        vt_shm_cma_refused(ep->peer_pid, "it does not use CMA itself "
                           "(VERVE_SHM_CMA=n there, or its kernel calls "
                           "refused)");
        return 0;
    }
    status = vs_cma_probe(ep->peer_pid, ctl->owner_address, &magic,
                          sizeof(magic));
    if (status == VERVE_OK && magic == ctl->magic) {
        if (vs_cma_peer_may_read(ep->peer_pid)) {
            return 1;
        }
        vt_shm_cma_refused(ep->peer_pid, "under Yama ptrace_scope 1 it may "
                           "not read us (it is neither our ancestor nor "
                           "started by our parent)");
        return 0;
    }
    vt_shm_cma_refused(ep->peer_pid,
                       status == VERVE_ERR_UNSUPPORTED
                               ? "the kernel refuses process_vm_readv of "
                                 "it (Yama ptrace_scope, seccomp)"
                               : "a probe of its ring header failed");
    return 0;
}

verve_status_t vt_shm_ep_create(vt_iface_t *tl_iface, const void *address,
                                size_t length, vt_ep_t **ep_p)
{
    vt_shm_iface_t *iface = vs_container_of(tl_iface, vt_shm_iface_t, super);
    vt_shm_iface_addr_t addr;
    vt_shm_fifo_ctl_t *ctl;
    verve_status_t status;
    vt_shm_ep_t *ep;
    int fd;

    status = vt_shm_ep_parse_address(iface, address, length, &addr);
    if (status != VERVE_OK) {
        return status;
    }
    ep = calloc(1, sizeof(*ep));
    if (ep == NULL) {
        vs_error("shm: allocating an ep of %zu bytes failed", sizeof(*ep));
        return VERVE_ERR_NO_MEMORY;
    }
    ep->super.iface = tl_iface;
    ep->src_uid = iface->uid;
    ep->bcopy_max = iface->bcopy_max;
    ep->bcopy_slots = iface->bcopy_slots;
    ep->peer_pid = addr.pid;
    ep->ring_size = (size_t)addr.num_slots * VT_SHM_SLOT_SIZE;
    ep->wake_fd = iface->wake_fd;
    ep->peer_wake_len = vt_shm_wake_addr(addr.pid, addr.fd, &ep->peer_wake);

    /* pidfd first: it pins the identity of the process we then attach to. */
    status = vt_shm_ep_watch_peer(iface, ep);
    if (status != VERVE_OK) {
        goto err_free;
    }
    status = vt_shm_segment_open_peer(addr.pid, addr.fd,
                                      VT_SHM_CTL_SIZE + ep->ring_size, &fd,
                                      NULL);
    if (status != VERVE_OK) {
        goto err_close_pidfd;
    }
    status = vt_shm_segment_map_ring(fd, VT_SHM_CTL_SIZE, ep->ring_size,
                                     &ep->seg_base);
    close(fd);
    if (status != VERVE_OK) {
        goto err_close_pidfd;
    }
    ctl = ep->seg_base;
    if (ctl->magic != VT_SHM_FIFO_MAGIC || ctl->num_slots != addr.num_slots ||
        ctl->owner_pid != (uint32_t)addr.pid) {
        vs_error("shm: ep_create: fd %d of pid %d is not its verve ring "
                 "(magic %llx, %u slots, owner %u)", addr.fd, addr.pid,
                 (unsigned long long)ctl->magic, ctl->num_slots,
                 ctl->owner_pid);
        status = VERVE_ERR_UNREACHABLE;
        goto err_unmap;
    }
    ep->tx.ctl = ctl;
    ep->tx.ring = (char *)ep->seg_base + VT_SHM_CTL_SIZE;
    ep->tx.mask = addr.num_slots - 1;
    ep->tx.cached_tail = atomic_load_explicit(&ctl->tail,
                                              memory_order_acquire);
    ep->cma = vt_shm_ep_probe_cma(iface, ep, ctl);
    if (!ep->cma) {
        ep->super.caps_off = VT_CAP_GET_ZCOPY | VT_CAP_PUT_ZCOPY;
    }
    *ep_p = &ep->super;
    return VERVE_OK;

err_unmap:
    vt_shm_segment_unmap_ring(ep->seg_base, VT_SHM_CTL_SIZE, ep->ring_size);
err_close_pidfd:
    if (ep->pidfd >= 0) {
        if (iface->epoll_fd >= 0) {
            epoll_ctl(iface->epoll_fd, EPOLL_CTL_DEL, ep->pidfd, NULL);
        }
        close(ep->pidfd);
    }
err_free:
    free(ep);
    return status;
}

void vt_shm_ep_destroy(vt_ep_t *tl_ep)
{
    vt_shm_ep_t *ep = vs_container_of(tl_ep, vt_shm_ep_t, super);
    vt_shm_iface_t *iface = vs_container_of(tl_ep->iface, vt_shm_iface_t,
                                            super);

    if (ep->pidfd >= 0) {
        /* Explicitly: a forked child's copy of the fd would keep the
         * registration alive past our close. */
        if (iface->epoll_fd >= 0) {
            epoll_ctl(iface->epoll_fd, EPOLL_CTL_DEL, ep->pidfd, NULL);
        }
        close(ep->pidfd);
    }
    vt_shm_segment_unmap_ring(ep->seg_base, VT_SHM_CTL_SIZE, ep->ring_size);
    free(ep);
}

verve_status_t vt_shm_ep_check(vt_ep_t *tl_ep)
{
    vt_shm_ep_t *ep = vs_container_of(tl_ep, vt_shm_ep_t, super);
    struct pollfd pfd;

    if (ep->failed) {
        return VERVE_ERR_PEER_FAILED;
    }
    if (ep->pidfd >= 0) {
        pfd.fd = ep->pidfd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        ep->failed = poll(&pfd, 1, 0) > 0;
    } else {
        ep->failed = !vt_shm_pid_alive(ep->peer_pid);
    }
    if (ep->failed) {
        vs_debug("shm: peer pid %d exited", (int)ep->peer_pid);
        return VERVE_ERR_PEER_FAILED;
    }
    return VERVE_OK;
}

static void vt_shm_ep_wakeup(vt_shm_ep_t *ep)
{
    char byte = 0;

    /* A full socket buffer already holds a wakeup: EAGAIN is success. */
    (void)sendto(ep->wake_fd, &byte, 1, MSG_DONTWAIT,
                 (struct sockaddr *)&ep->peer_wake, ep->peer_wake_len);
}

static inline void vt_shm_ep_post(vt_shm_ep_t *ep, vt_shm_rec_hdr_t *hdr,
                                  uint64_t pos, uint8_t id, size_t length)
{
    hdr->am_id = id;
    hdr->flags = 0;
    hdr->length = (uint16_t)length;
    hdr->src_uid = ep->src_uid;
    vt_shm_fifo_publish(hdr, pos);
    if (vs_unlikely(vt_shm_fifo_need_wakeup(&ep->tx))) {
        vt_shm_ep_wakeup(ep);
    }
}

verve_status_t vt_shm_ep_am_short(vt_ep_t *tl_ep, uint8_t id,
                                  const void *header, size_t header_length,
                                  const void *payload, size_t length)
{
    vt_shm_ep_t *ep = vs_container_of(tl_ep, vt_shm_ep_t, super);
    size_t total = header_length + length;
    vt_shm_rec_hdr_t *hdr;
    uint64_t pos;
    char *data;

    /* One slot is the common case, but anything up to bcopy_max goes. */
    if (vs_unlikely(total > ep->bcopy_max || id >= VT_AM_ID_MAX)) {
        vs_error("shm: am_short of %zu bytes with id %u to pid %d: at most "
                 "%zu bytes and id below %d", total, id, (int)ep->peer_pid,
                 ep->bcopy_max, VT_AM_ID_MAX);
        return VERVE_ERR_INVALID_PARAM;
    }
    if (vs_unlikely(ep->failed)) {
        return VERVE_ERR_PEER_FAILED;
    }
    if (vs_unlikely(vt_shm_fifo_reserve(&ep->tx,
                                        vt_shm_fifo_rec_slots(total),
                                        &pos) != 0)) {
        return VERVE_ERR_NO_RESOURCE;
    }
    hdr = vt_shm_fifo_slot(&ep->tx, pos);
    data = (char *)(hdr + 1);
    memcpy(data, header, header_length);
    if (length > 0) {
        memcpy(data + header_length, payload, length);
    }
    vt_shm_ep_post(ep, hdr, pos, id, total);
    return VERVE_OK;
}

ssize_t vt_shm_ep_am_bcopy(vt_ep_t *tl_ep, uint8_t id, vt_pack_cb_t pack,
                           void *arg)
{
    vt_shm_ep_t *ep = vs_container_of(tl_ep, vt_shm_ep_t, super);
    vt_shm_rec_hdr_t *hdr;
    uint64_t pos;
    size_t length;

    if (vs_unlikely(id >= VT_AM_ID_MAX)) {
        vs_error("shm: am_bcopy with id %u to pid %d: id must be below %d",
                 id, (int)ep->peer_pid, VT_AM_ID_MAX);
        return VERVE_ERR_INVALID_PARAM;
    }
    if (vs_unlikely(ep->failed)) {
        return VERVE_ERR_PEER_FAILED;
    }
    /* The length is known only after packing, and packing goes straight
     * into the ring: reserve the most, give back the rest. */
    if (vs_unlikely(vt_shm_fifo_reserve(&ep->tx, ep->bcopy_slots,
                                        &pos) != 0)) {
        return VERVE_ERR_NO_RESOURCE;
    }
    hdr = vt_shm_fifo_slot(&ep->tx, pos);
    length = pack(hdr + 1, arg);
    if (vs_unlikely(length > ep->bcopy_max)) {
        vs_fatal("shm: am_bcopy pack callback wrote %zu bytes, more than "
                 "the %zu allowed: the ring of pid %d is corrupt", length,
                 ep->bcopy_max, (int)ep->peer_pid);
        abort();
    }
    vt_shm_fifo_trim(&ep->tx, pos, vt_shm_fifo_rec_slots(length),
                     ep->bcopy_slots);
    vt_shm_ep_post(ep, hdr, pos, id, length);
    return (ssize_t)length;
}

verve_status_t vt_shm_ep_flush(vt_ep_t *tl_ep, vt_completion_t *comp)
{
    (void)tl_ep, (void)comp;
    /* Every operation is complete when it returns. */
    return VERVE_OK;
}
