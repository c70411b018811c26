/*
 * Helpers for driving the shm transport between two processes without the
 * engine: a forked child, addresses and small values exchanged through
 * pipes. Shared by the unit test and the micro-benchmark.
 */
#ifndef SHM_TEST_UTIL_H
#define SHM_TEST_UTIL_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "transports/vt_iface.h"
#include "../../../pattern.h"

extern const vt_component_t vt_shm_component;

/* In the child: report and exit, never return into the test runner. */
#define CHILD_CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "child %d: %s:%d: check failed: %s\n", \
                    (int)getpid(), __FILE__, __LINE__, #cond); \
            _exit(1); \
        } \
    } while (0)

typedef struct shm_peer {
    pid_t pid;        /* the other process (0 in the child) */
    int rfd;          /* read end from the other process */
    int wfd;          /* write end to the other process */
} shm_peer_t;

static inline void shm_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            perror("shm test: write to pipe");
            _exit(2);
        }
        p += n;
        len -= (size_t)n;
    }
}

/* Returns 0, or -1 when the other side closed the pipe. */
static inline int shm_read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static inline uint64_t shm_read_u64(const shm_peer_t *peer)
{
    uint64_t v = 0;
    if (shm_read_all(peer->rfd, &v, sizeof(v)) != 0) {
        fprintf(stderr, "shm test: pid %d: peer closed its pipe\n",
                (int)getpid());
        _exit(3);
    }
    return v;
}

static inline void shm_write_u64(const shm_peer_t *peer, uint64_t v)
{
    shm_write_all(peer->wfd, &v, sizeof(v));
}

/* Forks; returns 1 in the child and 0 in the parent, each with its end of
 * two pipes. */
static inline int shm_fork(shm_peer_t *peer)
{
    int down[2], up[2];
    pid_t pid;

    if (pipe(down) != 0 || pipe(up) != 0) {
        perror("pipe");
        abort();
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        abort();
    }
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        peer->pid = 0;
        peer->rfd = down[0];
        peer->wfd = up[1];
        return 1;
    }
    close(down[0]);
    close(up[1]);
    peer->pid = pid;
    peer->rfd = up[0];
    peer->wfd = down[1];
    return 0;
}

/* Parent: closes the pipes and returns the child's exit status, or -1 when
 * it died of a signal. */
static inline int shm_join(shm_peer_t *peer)
{
    int wstatus;

    close(peer->rfd);
    close(peer->wfd);
    while (waitpid(peer->pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

static inline vt_iface_t *shm_iface_open(uint64_t uid, vt_am_handler_t handler,
                                         void *arg, int epoll_fd)
{
    vt_iface_params_t params;
    vt_iface_t *iface = NULL;

    memset(&params, 0, sizeof(params));
    params.uid = uid;
    for (int i = 0; i < VT_AM_ID_MAX; ++i) {
        params.am_handlers[i] = handler;
        params.am_args[i] = arg;
    }
    params.epoll_fd = epoll_fd;
    if (vt_shm_component.iface_open(&params, &iface) != VERVE_OK) {
        fprintf(stderr, "shm test: iface_open failed\n");
        _exit(4);
    }
    return iface;
}

/* Both sides: send our address, read the peer's, connect. */
static inline vt_ep_t *shm_connect(vt_iface_t *iface, const shm_peer_t *peer)
{
    vt_iface_caps_t caps;
    char addr[256], peer_addr[256];
    vt_ep_t *ep = NULL;
    verve_status_t status;

    iface->ops->iface_query(iface, &caps);
    if (caps.address_length > sizeof(addr)) {
        _exit(5);
    }
    iface->ops->iface_address(iface, addr);
    shm_write_all(peer->wfd, addr, caps.address_length);
    if (shm_read_all(peer->rfd, peer_addr, caps.address_length) != 0) {
        fprintf(stderr, "shm test: peer closed before sending its address\n");
        _exit(6);
    }
    if (!iface->ops->iface_is_reachable(iface, peer_addr,
                                        caps.address_length)) {
        fprintf(stderr, "shm test: peer address unreachable\n");
        _exit(7);
    }
    status = iface->ops->ep_create(iface, peer_addr, caps.address_length,
                                   &ep);
    if (status != VERVE_OK) {
        fprintf(stderr, "shm test: ep_create failed: %d\n", status);
        _exit(8);
    }
    return ep;
}

#define PARENT_UID 0x1000
#define CHILD_UID 0x2000

static inline void child_noop_handler(void *arg, void *data, size_t length,
                               uint64_t uid)
{
    (void)arg, (void)data, (void)length, (void)uid;
}

/* Child boilerplate: iface + ep to the parent. */
static inline vt_ep_t *child_setup(const shm_peer_t *peer, vt_iface_t **iface_p)
{
    *iface_p = shm_iface_open(CHILD_UID, child_noop_handler, NULL, -1);
    return shm_connect(*iface_p, peer);
}

static inline void child_teardown(vt_iface_t *iface, vt_ep_t *ep,
                           const shm_peer_t *peer)
{
    /* Keep our segment until the parent has checked everything. */
    shm_read_u64(peer);
    iface->ops->ep_destroy(ep);
    iface->ops->iface_close(iface);
    _exit(0);
}

#endif
