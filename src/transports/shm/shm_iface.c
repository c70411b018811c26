/* Shared-memory interface: its segment, receive progress and wakeup. */
#include "shm.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/base/cma.h"
#include "core/base/log.h"
#include "core/base/topo.h"
#include "shm_segment.h"

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define VT_SHM_MARK_DEFINED(p, n) VALGRIND_MAKE_MEM_DEFINED(p, n)
#endif
#endif
#ifndef VT_SHM_MARK_DEFINED
#define VT_SHM_MARK_DEFINED(p, n) do { (void)(p); (void)(n); } while (0)
#endif

socklen_t vt_shm_wake_addr(pid_t pid, int seg_fd, struct sockaddr_un *sun)
{
    int len;

    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    /* Abstract namespace (leading NUL): nothing to unlink after a crash. */
    len = snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1,
                   "verve-shm-%d-%d", (int)pid, seg_fd);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
}

static pthread_once_t vt_shm_pidns_once = PTHREAD_ONCE_INIT;
static uint64_t vt_shm_pidns;

static void vt_shm_pidns_detect(void)
{
    struct stat st;

    if (stat("/proc/self/ns/pid", &st) == 0) {
        vt_shm_pidns = ((uint64_t)st.st_dev << 32) ^ (uint64_t)st.st_ino;
    }
}

uint64_t vt_shm_pidns_id(void)
{
    pthread_once(&vt_shm_pidns_once, vt_shm_pidns_detect);
    return vt_shm_pidns;
}

int vt_shm_pid_exists(pid_t pid)
{
    return kill(pid, 0) == 0 || errno == EPERM;
}

int vt_shm_pid_alive(pid_t pid)
{
    char path[64], buffer[512], *state;
    ssize_t n;
    int fd;

    if (!vt_shm_pid_exists(pid)) {
        return 0;
    }
    /* A zombie still answers kill(); its state letter says it exited. */
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno != ENOENT;
    }
    n = read(fd, buffer, sizeof(buffer) - 1);
    close(fd);
    if (n <= 0) {
        return 1;
    }
    buffer[n] = '\0';
    state = strrchr(buffer, ')');
    return state == NULL || state[1] == '\0' ||
           (state[2] != 'Z' && state[2] != 'X');
}

void vt_shm_cma_refused(pid_t pid, const char *cause)
{
    static atomic_flag said = ATOMIC_FLAG_INIT;
    char whom[32];

    if (pid > 0) {
        snprintf(whom, sizeof(whom), "peer pid %d", (int)pid);
    } else {
        snprintf(whom, sizeof(whom), "any peer");
    }
    if (!atomic_flag_test_and_set(&said)) {
        vs_info("shm: no CMA (process_vm_readv/writev) with %s: %s; "
                "rendezvous data goes through the ring as fragments and "
                "RMA on registered memory as AMs", whom, cause);
    } else {
        vs_debug("shm: no CMA with %s: %s", whom, cause);
    }
}

static void vt_shm_iface_drain_wakeup(vt_shm_iface_t *iface)
{
    char buffer[64];

    while (recv(iface->wake_fd, buffer, sizeof(buffer), MSG_DONTWAIT) > 0) {
    }
    iface->armed = 0;
    atomic_store_explicit(&iface->rx.ctl->sleeping, 0, memory_order_relaxed);
}

static vs_noinline unsigned vt_shm_iface_work(vt_shm_iface_t *iface)
{
    uint64_t tail = iface->rx_tail;
    unsigned count = 0, batch = iface->rx_batch;
    vt_shm_rec_hdr_t *hdr;
    uint64_t n, i;

    if (vs_unlikely(iface->armed)) {
        vt_shm_iface_drain_wakeup(iface);
    }
    /* A handler that progresses again would see the record it is still
     * reading as unconsumed; its slots are released only when it returns. */
    if (vs_unlikely(iface->in_progress)) {
        return 0;
    }
    iface->in_progress = 1;
    while (count < batch && vt_shm_fifo_ready(&iface->rx, tail)) {
        hdr = vt_shm_fifo_slot(&iface->rx, tail);
        /* The producer's core holds the next slots: asking for them now
         * overlaps their transfer with this record's handler (about 7%
         * more 8-byte MPI messages per second; +4 as well, or a prefetch
         * for writing, measured no better). */
        __builtin_prefetch(vt_shm_fifo_slot(&iface->rx, tail + 2));
        n = vt_shm_fifo_rec_span(&iface->rx, hdr);
        if (vs_unlikely(n == 0)) {
            /* A corrupt length: skipping it would misread the ring, and
             * every local peer shares it. Only a process that may
             * ptrace us maps the segment (a memfd, opened through
             * /proc/<pid>/fd): this is a peer's memory corruption, not
             * an attack to survive (test/fuzz/fuzz_shm.c fuzzes
             * everything short of it). */
            vs_fatal("shm: record at position %llu of pid %d's ring has "
                     "length %u, beyond the ring of %llu slots",
                     (unsigned long long)tail, (int)iface->pid, hdr->length,
                     (unsigned long long)(iface->rx.mask + 1));
            abort();
        }
        if (vs_likely(!(hdr->flags & VT_SHM_REC_PAD))) {
            VT_SHM_MARK_DEFINED(hdr + 1, hdr->length);
            if (vs_likely(hdr->am_id < VT_AM_ID_MAX &&
                          iface->am_handlers[hdr->am_id] != NULL)) {
                iface->am_handlers[hdr->am_id](iface->am_args[hdr->am_id],
                                               hdr + 1, hdr->length,
                                               hdr->src_uid);
            } else {
                vs_error("shm: dropped a message of %u bytes from uid %llx "
                         "with am id %u: no handler", hdr->length,
                         (unsigned long long)hdr->src_uid, hdr->am_id);
            }
            ++count;
        }
        /* Rule 4 of the proof in shm_fifo.h. */
        for (i = 0; i < n; ++i) {
            atomic_store_explicit(&vt_shm_fifo_slot(&iface->rx,
                                                    tail + i)->seq,
                                  (uint32_t)(tail + i), memory_order_relaxed);
        }
        tail += n;
        /* Released per record: a full ring frees up at once. */
        atomic_store_explicit(&iface->rx.ctl->tail, tail,
                              memory_order_release);
    }
    iface->rx_tail = tail;
    iface->in_progress = 0;
    return count;
}

/* Called on every progress of the worker: most calls find the ring
 * empty, and pay only this check. */
static unsigned vt_shm_iface_progress(vt_iface_t *tl_iface)
{
    vt_shm_iface_t *iface = vs_container_of(tl_iface, vt_shm_iface_t, super);

    if (vs_likely(!iface->armed &&
                  !vt_shm_fifo_ready(&iface->rx, iface->rx_tail))) {
        return 0;
    }
    return vt_shm_iface_work(iface);
}

static verve_status_t vt_shm_iface_arm(vt_iface_t *tl_iface)
{
    vt_shm_iface_t *iface = vs_container_of(tl_iface, vt_shm_iface_t, super);

    if (vt_shm_fifo_arm(&iface->rx, iface->rx_tail) != 0) {
        return VERVE_ERR_BUSY;
    }
    iface->armed = 1;
    return VERVE_OK;
}

static void vt_shm_iface_query(vt_iface_t *tl_iface, vt_iface_caps_t *caps)
{
    vt_shm_iface_t *iface = vs_container_of(tl_iface, vt_shm_iface_t, super);

    memset(caps, 0, sizeof(*caps));
    caps->flags = VT_CAP_AM_SHORT | VT_CAP_AM_BCOPY | VT_CAP_GET_ZCOPY |
                  VT_CAP_PUT_ZCOPY | VT_CAP_RMA | VT_CAP_AMO32 |
                  VT_CAP_AMO64 | VT_CAP_WAKEUP;
    caps->am_short_max = VT_SHM_SLOT_SIZE - VT_SHM_HDR_SIZE;
    caps->am_bcopy_max = iface->bcopy_max;
    caps->zcopy_max = SIZE_MAX;
    caps->address_length = sizeof(vt_shm_iface_addr_t);
    caps->latency_ns = 80;
    caps->bandwidth_MBps = 10000;
}

static void vt_shm_iface_address(vt_iface_t *tl_iface, void *address)
{
    vt_shm_iface_t *iface = vs_container_of(tl_iface, vt_shm_iface_t, super);
    vt_shm_iface_addr_t addr;

    memset(&addr, 0, sizeof(addr));
    addr.magic = VT_SHM_ADDR_MAGIC;
    addr.pid = iface->pid;
    addr.fd = iface->seg_fd;
    addr.num_slots = (uint32_t)(iface->rx.mask + 1);
    addr.host_id = iface->host_id;
    addr.pidns = iface->pidns;
    addr.uid = iface->uid;
    memcpy(address, &addr, sizeof(addr));
}

static int vt_shm_iface_is_reachable(vt_iface_t *tl_iface,
                                     const void *address, size_t length)
{
    vt_shm_iface_t *iface = vs_container_of(tl_iface, vt_shm_iface_t, super);
    vt_shm_iface_addr_t addr;

    if (length != sizeof(addr)) {
        return 0;
    }
    memcpy(&addr, address, sizeof(addr));
    return addr.magic == VT_SHM_ADDR_MAGIC &&
           addr.host_id == iface->host_id && addr.pidns == iface->pidns &&
           vt_shm_pid_exists(addr.pid);
}

static void vt_shm_iface_close(vt_iface_t *tl_iface)
{
    vt_shm_iface_t *iface = vs_container_of(tl_iface, vt_shm_iface_t, super);

    if (iface->epoll_fd >= 0) {
        epoll_ctl(iface->epoll_fd, EPOLL_CTL_DEL, iface->wake_fd, NULL);
    }
    close(iface->wake_fd);
    vt_shm_segment_unmap_ring(iface->seg_base, VT_SHM_CTL_SIZE,
                              iface->ring_size);
    close(iface->seg_fd);
    free(iface);
}

static verve_status_t vt_shm_iface_open_wakeup(vt_shm_iface_t *iface,
                                               int epoll_fd)
{
    struct epoll_event event;
    struct sockaddr_un sun;
    socklen_t len;
    int fd;

    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        vs_error("shm: socket(AF_UNIX, SOCK_DGRAM) for the wakeup of pid %d "
                 "failed: %s", (int)iface->pid, strerror(errno));
        return VERVE_ERR_IO;
    }
    len = vt_shm_wake_addr(iface->pid, iface->seg_fd, &sun);
    if (bind(fd, (struct sockaddr *)&sun, len) < 0) {
        vs_error("shm: bind of wakeup socket @%s failed: %s",
                 sun.sun_path + 1, strerror(errno));
        goto err_close;
    }
    if (epoll_fd >= 0) {
        memset(&event, 0, sizeof(event));
        event.events = EPOLLIN;
        event.data.ptr = &iface->super;
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0) {
            vs_error("shm: adding wakeup socket @%s to epoll fd %d failed: "
                     "%s", sun.sun_path + 1, epoll_fd, strerror(errno));
            goto err_close;
        }
    }
    iface->wake_fd = fd;
    iface->epoll_fd = epoll_fd;
    return VERVE_OK;

err_close:
    close(fd);
    return VERVE_ERR_IO;
}

verve_status_t vt_shm_iface_open(const vt_iface_params_t *params,
                                 vt_iface_t **iface_p)
{
    vt_shm_config_t cfg;
    vt_shm_iface_t *iface;
    verve_status_t status;
    size_t num_slots;

    status = vs_config_read(&vt_shm_config_table, &cfg);
    if (status != VERVE_OK) {
        return status;
    }
    /* vs_config_read checked the ring's shape */
    num_slots = cfg.fifo_size / VT_SHM_SLOT_SIZE;
    iface = calloc(1, sizeof(*iface));
    if (iface == NULL) {
        vs_error("shm: allocating an iface of %zu bytes failed",
                 sizeof(*iface));
        status = VERVE_ERR_NO_MEMORY;
        goto err_config;
    }
    iface->super.ops = &vt_shm_iface_ops;
    iface->rx_batch = cfg.rx_batch;
    iface->bcopy_max = cfg.bcopy_max;
    iface->bcopy_slots = vt_shm_fifo_rec_slots(cfg.bcopy_max);
    iface->uid = params->uid;
    iface->host_id = vs_topo_host_id();
    iface->pidns = vt_shm_pidns_id();
    iface->pid = getpid();
    iface->ring_size = num_slots * VT_SHM_SLOT_SIZE;
    memcpy(iface->am_handlers, params->am_handlers,
           sizeof(iface->am_handlers));
    memcpy(iface->am_args, params->am_args, sizeof(iface->am_args));

    status = vt_shm_segment_create("verve-shm",
                                   VT_SHM_CTL_SIZE + iface->ring_size,
                                   &iface->seg_fd);
    if (status != VERVE_OK) {
        goto err_free;
    }
    status = vt_shm_segment_map_ring(iface->seg_fd, VT_SHM_CTL_SIZE,
                                     iface->ring_size, &iface->seg_base);
    if (status != VERVE_OK) {
        goto err_close_seg;
    }
    vt_shm_fifo_init(&iface->rx, iface->seg_base,
                     (char *)iface->seg_base + VT_SHM_CTL_SIZE,
                     (uint32_t)num_slots);
    iface->rx.ctl->owner_pid = (uint32_t)iface->pid;
    iface->rx.ctl->owner_address = (uint64_t)(uintptr_t)iface->seg_base;
    iface->cma = cfg.cma && vs_cma_usable();
    if (iface->cma) {
        /* Before our address is published: peers probe us at wireup. */
        vs_cma_allow_peers();
        iface->rx.ctl->owner_flags = VT_SHM_OWNER_CMA;
    } else {
        vt_shm_cma_refused(0, cfg.cma ? "the kernel refuses this process "
                                        "the calls (seccomp, or built "
                                        "without CMA)"
                                      : "VERVE_SHM_CMA=n");
    }
    status = vt_shm_iface_open_wakeup(iface, params->epoll_fd);
    if (status != VERVE_OK) {
        goto err_unmap;
    }
    vs_config_release(&vt_shm_config_table, &cfg);
    vs_debug("shm: iface of pid %d opened: memfd %d, %zu slots",
             (int)iface->pid, iface->seg_fd, num_slots);
    *iface_p = &iface->super;
    return VERVE_OK;

err_unmap:
    vt_shm_segment_unmap_ring(iface->seg_base, VT_SHM_CTL_SIZE,
                              iface->ring_size);
err_close_seg:
    close(iface->seg_fd);
err_free:
    free(iface);
err_config:
    vs_config_release(&vt_shm_config_table, &cfg);
    return status;
}

const vt_iface_ops_t vt_shm_iface_ops = {
    .iface_close = vt_shm_iface_close,
    .iface_query = vt_shm_iface_query,
    .iface_address = vt_shm_iface_address,
    .iface_is_reachable = vt_shm_iface_is_reachable,
    .iface_progress = vt_shm_iface_progress,
    .iface_arm = vt_shm_iface_arm,
    .ep_create = vt_shm_ep_create,
    .ep_destroy = vt_shm_ep_destroy,
    .ep_check = vt_shm_ep_check,
    .ep_am_short = vt_shm_ep_am_short,
    .ep_am_bcopy = vt_shm_ep_am_bcopy,
    .ep_get_zcopy = vt_shm_ep_get_zcopy,
    .ep_put_zcopy = vt_shm_ep_put_zcopy,
    .ep_put = vt_shm_ep_put,
    .ep_get = vt_shm_ep_get,
    .ep_atomic = vt_shm_ep_atomic,
    .ep_flush = vt_shm_ep_flush
};
