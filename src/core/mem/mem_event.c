/* Memory events through userfaultfd; see mem_event.h for the contract. */
#include "verve_config.h"
#include "mem_event.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "core/base/compiler.h"
#include "core/base/log.h"

#define VS_MEM_EVENT_MAX_SUBSCRIBERS 16

typedef struct vs_mem_event_subscriber {
    vs_mem_event_cb_t cb;
    void *arg;
} vs_mem_event_subscriber_t;

static struct {
    pthread_once_t once;
    verve_status_t status;          /* of starting the thread */
    int fd;
    pthread_t thread;
    /* Set while events read from the kernel are being handled: the
     * thread that unmapped may already run again. */
    atomic_int busy;
    pthread_mutex_t lock;           /* subscribers */
    vs_mem_event_subscriber_t subscribers[VS_MEM_EVENT_MAX_SUBSCRIBERS];
} vs_mem_event = {
    .once = PTHREAD_ONCE_INIT,
    .fd = -1,
    .lock = PTHREAD_MUTEX_INITIALIZER,
};

static void vs_mem_event_dispatch(uintptr_t start, uintptr_t end)
{
    unsigned i;

    pthread_mutex_lock(&vs_mem_event.lock);
    for (i = 0; i < VS_MEM_EVENT_MAX_SUBSCRIBERS; ++i) {
        if (vs_mem_event.subscribers[i].cb != NULL) {
            vs_mem_event.subscribers[i].cb(vs_mem_event.subscribers[i].arg,
                                           start, end);
        }
    }
    pthread_mutex_unlock(&vs_mem_event.lock);
}

static void vs_mem_event_handle(const struct uffd_msg *msg)
{
    switch (msg->event) {
    case UFFD_EVENT_UNMAP:
    case UFFD_EVENT_REMOVE:
        vs_mem_event_dispatch(msg->arg.remove.start, msg->arg.remove.end);
        break;
    case UFFD_EVENT_REMAP:
        /* The old range is gone; the new one holds pages that were never
         * registered at that address. */
        vs_mem_event_dispatch(msg->arg.remap.from,
                              msg->arg.remap.from + msg->arg.remap.len);
        vs_mem_event_dispatch(msg->arg.remap.to,
                              msg->arg.remap.to + msg->arg.remap.len);
        break;
    default:
        break;
    }
}

static void *vs_mem_event_thread(void *arg)
{
    struct pollfd pfd = {.fd = vs_mem_event.fd, .events = POLLIN};
    struct uffd_msg msgs[16];
    ssize_t n;

    (void)arg;
    for (;;) {
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            vs_error("memory events: poll failed: %s", strerror(errno));
            return NULL;
        }
        /* Busy before the read releases the unmapping thread. */
        atomic_store(&vs_mem_event.busy, 1);
        while ((n = read(vs_mem_event.fd, msgs, sizeof(msgs))) > 0) {
            for (size_t i = 0; i < (size_t)n / sizeof(msgs[0]); ++i) {
                vs_mem_event_handle(&msgs[i]);
            }
        }
        atomic_store(&vs_mem_event.busy, 0);
    }
    return NULL;
}

/* The event thread does not survive fork, and the kernel drops the
 * child's watches: the child caches nothing. */
static void vs_mem_event_atfork_child(void)
{
    if (vs_mem_event.fd >= 0) {
        close(vs_mem_event.fd);
        vs_mem_event.fd = -1;
    }
    vs_mem_event.status = VERVE_ERR_UNSUPPORTED;
    atomic_store(&vs_mem_event.busy, 0);
}

static void vs_mem_event_start(void)
{
    struct uffdio_api api = {
        .api = UFFD_API,
        .features = UFFD_FEATURE_EVENT_UNMAP | UFFD_FEATURE_EVENT_REMOVE |
                    UFFD_FEATURE_EVENT_REMAP};
    pthread_attr_t attr;
    sigset_t all, old;
    int rc;

    vs_mem_event.status = VERVE_ERR_UNSUPPORTED;
    /* User-mode faults only: allowed without privileges since 5.11. */
    vs_mem_event.fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK |
                                   UFFD_USER_MODE_ONLY);
    if (vs_mem_event.fd < 0) {
        vs_debug("memory events: userfaultfd unavailable: %s",
                 strerror(errno));
        return;
    }
    if (ioctl(vs_mem_event.fd, UFFDIO_API, &api) != 0) {
        vs_debug("memory events: UFFDIO_API failed: %s", strerror(errno));
        goto err_close;
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* The application's signals stay with its own threads. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&vs_mem_event.thread, &attr, vs_mem_event_thread,
                        NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        vs_warn("memory events: starting the event thread failed: %s",
                strerror(rc));
        goto err_close;
    }
    pthread_atfork(NULL, NULL, vs_mem_event_atfork_child);
    vs_mem_event.status = VERVE_OK;
    return;

err_close:
    close(vs_mem_event.fd);
    vs_mem_event.fd = -1;
}

verve_status_t vs_mem_event_subscribe(vs_mem_event_cb_t cb, void *arg)
{
    verve_status_t status = VERVE_ERR_NO_RESOURCE;
    unsigned i;

    pthread_once(&vs_mem_event.once, vs_mem_event_start);
    if (vs_mem_event.status != VERVE_OK) {
        return vs_mem_event.status;
    }
    pthread_mutex_lock(&vs_mem_event.lock);
    for (i = 0; i < VS_MEM_EVENT_MAX_SUBSCRIBERS; ++i) {
        if (vs_mem_event.subscribers[i].cb == NULL) {
            vs_mem_event.subscribers[i].cb = cb;
            vs_mem_event.subscribers[i].arg = arg;
            status = VERVE_OK;
            break;
        }
    }
    pthread_mutex_unlock(&vs_mem_event.lock);
    if (status != VERVE_OK) {
        vs_error("memory events: more than %d subscribers",
                 VS_MEM_EVENT_MAX_SUBSCRIBERS);
    }
    return status;
}

void vs_mem_event_unsubscribe(vs_mem_event_cb_t cb, void *arg)
{
    unsigned i;

    /* Under the lock: once this returns the callback is not running. */
    pthread_mutex_lock(&vs_mem_event.lock);
    for (i = 0; i < VS_MEM_EVENT_MAX_SUBSCRIBERS; ++i) {
        if (vs_mem_event.subscribers[i].cb == cb &&
            vs_mem_event.subscribers[i].arg == arg) {
            vs_mem_event.subscribers[i].cb = NULL;
            vs_mem_event.subscribers[i].arg = NULL;
        }
    }
    pthread_mutex_unlock(&vs_mem_event.lock);
}

verve_status_t vs_mem_event_watch(uintptr_t start, uintptr_t end)
{
    struct uffdio_register reg = {
        .range = {.start = start, .len = end - start},
        .mode = UFFDIO_REGISTER_MODE_WP};

    if (vs_mem_event.fd < 0) {
        return VERVE_ERR_UNSUPPORTED;
    }
    if (ioctl(vs_mem_event.fd, UFFDIO_REGISTER, &reg) != 0) {
        vs_debug("memory events: cannot watch [0x%lx, 0x%lx): %s",
                 (unsigned long)start, (unsigned long)end, strerror(errno));
        return VERVE_ERR_UNSUPPORTED;
    }
    /* shmdt unmaps without the event (the kernel passes no userfaultfd
     * context there): a detached segment must never be cached. A plain
     * SysV segment cannot be registered at all, but a SHM_HUGETLB one can
     * where the kernel has uffd-wp PTE markers. Huge pages show as the
     * basic ioctl set, without UFFDIO_ZEROPAGE: refuse them all. */
    if (!(reg.ioctls & ((uint64_t)1 << _UFFDIO_ZEROPAGE))) {
        struct uffdio_range range = {.start = start, .len = end - start};

        (void)ioctl(vs_mem_event.fd, UFFDIO_UNREGISTER, &range);
        vs_debug("memory events: [0x%lx, 0x%lx) is huge pages, whose "
                 "shmdt would go unseen: not watched",
                 (unsigned long)start, (unsigned long)end);
        return VERVE_ERR_UNSUPPORTED;
    }
    return VERVE_OK;
}

int vs_mem_event_available(void)
{
    return vs_mem_event.fd >= 0;
}

void vs_mem_event_sync(void)
{
    /* Events not read yet belong to threads still inside munmap; only the
     * read ones can have released their thread. */
    while (atomic_load(&vs_mem_event.busy)) {
        sched_yield();
    }
}
