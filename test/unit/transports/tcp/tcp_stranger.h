/*
 * Helpers for the tests that play a stranger against a tcp interface: a
 * raw socket to its port, frames written by hand, and the interface's
 * view (what its handler received, whether it closed the stream).
 */
#ifndef TEST_TCP_STRANGER_H
#define TEST_TCP_STRANGER_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "transports/tcp/tcp.h"
#include "core/base/time.h"

extern const vt_component_t vt_tcp_component;

#define STRANGER_AM_ID 7

typedef struct stranger_rx {
    unsigned count;
    uint64_t last_uid;
} stranger_rx_t;

static void stranger_handler(void *arg, void *data, size_t length,
                             uint64_t uid)
{
    stranger_rx_t *rx = arg;

    (void)data, (void)length;
    ++rx->count;
    rx->last_uid = uid;
}

static inline vt_iface_t *stranger_iface_open(uint64_t uid, stranger_rx_t *rx)
{
    vt_iface_params_t params;
    vt_iface_t *iface = NULL;

    memset(&params, 0, sizeof(params));
    params.uid = uid;
    params.epoll_fd = -1;
    params.am_handlers[STRANGER_AM_ID] = stranger_handler;
    params.am_args[STRANGER_AM_ID] = rx;
    if (vt_tcp_component.iface_open(&params, &iface) != VERVE_OK) {
        return NULL;
    }
    return iface;
}

static inline vt_ep_t *stranger_ep_to(vt_iface_t *from, vt_iface_t *to)
{
    vt_tcp_iface_addr_t addr;
    vt_ep_t *ep = NULL;

    to->ops->iface_address(to, &addr);
    if (from->ops->ep_create(from, &addr, sizeof(addr), &ep) != VERVE_OK) {
        return NULL;
    }
    return ep;
}

/* A blocking socket connected to the interface's port, or -1. */
static inline int stranger_connect(vt_iface_t *iface)
{
    vt_tcp_iface_addr_t addr;
    struct sockaddr_in sin;
    int fd;

    iface->ops->iface_address(iface, &addr);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = addr.ipv4;
    sin.sin_port = addr.port;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static inline int stranger_send_frame(int fd, uint8_t type, uint8_t am_id,
                                      const void *payload, size_t length)
{
    vt_tcp_frame_hdr_t hdr;

    vt_tcp_frame_hdr_init(&hdr, type, am_id, length);
    if (send(fd, &hdr, sizeof(hdr), MSG_NOSIGNAL) != (ssize_t)sizeof(hdr)) {
        return -1;
    }
    if (length > 0 &&
        send(fd, payload, length, MSG_NOSIGNAL) != (ssize_t)length) {
        return -1;
    }
    return 0;
}

/* A HELLO of the protocol in force that claims worker uid. */
static inline int stranger_send_hello(int fd, uint64_t uid)
{
    vt_tcp_hello_t hello;

    memset(&hello, 0, sizeof(hello));
    hello.magic = VT_TCP_HELLO_MAGIC;
    hello.version = VT_TCP_HELLO_VERSION;
    hello.uid = uid;
    return stranger_send_frame(fd, VT_TCP_FRAME_HELLO, 0, &hello,
                               sizeof(hello));
}

/* Progresses the interface until it closed the stream (1), or 5 seconds
 * passed (0). */
static inline int stranger_wait_closed(vt_iface_t *iface, int fd)
{
    uint64_t deadline = vs_time_ns() + 5000000000ull;
    char buffer[256];
    ssize_t ret;

    while (vs_time_ns() < deadline) {
        iface->ops->iface_progress(iface);
        ret = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
        if (ret == 0 || (ret < 0 && errno != EAGAIN && errno != EINTR)) {
            return 1;
        }
    }
    return 0;
}

static inline void stranger_progress(vt_iface_t **ifaces, unsigned n,
                                     unsigned spins)
{
    while (spins-- > 0) {
        for (unsigned i = 0; i < n; ++i) {
            ifaces[i]->ops->iface_progress(ifaces[i]);
        }
    }
}

/* Resident memory of this process in bytes. */
static inline size_t stranger_rss(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    if (f != NULL) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2) {
            resident = 0;
        }
        fclose(f);
    }
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

#endif
