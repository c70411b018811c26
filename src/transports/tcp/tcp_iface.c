/* TCP interface: the listener, the epoll set, progress and wakeup. */
#include "tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/base/log.h"
#include "core/base/time.h"

/* How long closing an interface waits for queued bytes to leave. */
#define VT_TCP_CLOSE_DRAIN_NS (2ull * 1000 * 1000 * 1000)

static void vt_tcp_iface_accept(vt_tcp_iface_t *iface)
{
    struct sockaddr_in peer;
    socklen_t len;
    int fd;

    for (;;) {
        len = sizeof(peer);
        fd = accept4(iface->listen_fd, (struct sockaddr *)&peer, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                vs_warn("tcp: accept on port %u failed: %s",
                        (unsigned)ntohs(iface->addr.sin_port),
                        strerror(errno));
            }
            return;
        }
        (void)vt_tcp_conn_accept(iface, fd, &peer);
    }
}

/* Everything the epoll set reports: new connections, connects that
 * finished, queues that may drain, peers gone, and data on receiving
 * connections when there are too many to read each in turn. */
static unsigned vt_tcp_iface_poll(vt_tcp_iface_t *iface)
{
    struct epoll_event events[32];
    unsigned count = 0;
    int n, i;

    do {
        n = epoll_wait(iface->epoll_fd, events, vs_array_size(events), 0);
    } while (n < 0 && errno == EINTR);
    for (i = 0; i < n; ++i) {
        vt_tcp_conn_t *conn = events[i].data.ptr;
        if (conn == NULL) {
            vt_tcp_iface_accept(iface);
            continue;
        }
        vt_tcp_conn_event(conn, events[i].events);
        if ((events[i].events & ~(uint32_t)EPOLLOUT) &&
            iface->num_rx > VT_TCP_RX_DIRECT_MAX) {
            count += vt_tcp_conn_receive(conn);
        }
    }
    return count;
}

static vs_noinline unsigned vt_tcp_iface_work(vt_tcp_iface_t *iface)
{
    vs_list_link_t *link, *next;
    unsigned count = 0;

    /* A handler that progresses again would see its own frame's buffer
     * move under it. */
    if (vs_unlikely(iface->in_progress)) {
        return 0;
    }
    iface->in_progress = 1;
    if (vs_unlikely(iface->armed)) {
        iface->armed = 0;
        vt_tcp_iface_update_events(iface);
    }
    for (link = iface->tx_conns.next; link != &iface->tx_conns;
         link = next) {
        next = link->next;
        vt_tcp_conn_flush(vs_list_entry(link, vt_tcp_conn_t, tx_list));
    }
    if (vs_likely(iface->num_rx <= VT_TCP_RX_DIRECT_MAX)) {
        for (link = iface->rx_conns.next; link != &iface->rx_conns;
             link = link->next) {
            count += vt_tcp_conn_receive(vs_list_entry(link, vt_tcp_conn_t,
                                                       rx_list));
        }
    }
    if (iface->poll_now || --iface->poll_countdown == 0 ||
        iface->num_rx > VT_TCP_RX_DIRECT_MAX) {
        iface->poll_now = 0;
        /* An interface nobody talks to yet costs others' progress little:
         * a first connection waits a few microseconds more. */
        iface->poll_countdown = vs_list_is_empty(&iface->all)
                                        ? VT_TCP_POLL_IDLE_INTERVAL
                                        : VT_TCP_POLL_INTERVAL;
        count += vt_tcp_iface_poll(iface);
        if (vs_unlikely(!vs_list_is_empty(&iface->pending))) {
            vt_tcp_auth_expire(iface);
        }
    }
    if (vs_unlikely(iface->num_sweep > 0)) {
        vt_tcp_iface_sweep(iface);
    }
    iface->in_progress = 0;
    return count;
}

/* Called on every progress of the worker. Nothing connected and nothing
 * to send (a job whose peers are all on shm): only the countdown to the
 * next look at the listener runs, so that the transports that do carry
 * messages are polled sooner. */
static unsigned vt_tcp_iface_progress(vt_iface_t *tl_iface)
{
    vt_tcp_iface_t *iface = vs_container_of(tl_iface, vt_tcp_iface_t, super);

    if (vs_likely(vs_list_is_empty(&iface->rx_conns) &&
                  vs_list_is_empty(&iface->tx_conns) && !iface->armed &&
                  !iface->poll_now && iface->num_sweep == 0)) {
        if (--iface->poll_countdown != 0) {
            return 0;
        }
        iface->poll_now = 1;  /* the work: no second decrement */
    }
    return vt_tcp_iface_work(iface);
}

static verve_status_t vt_tcp_iface_arm(vt_iface_t *tl_iface)
{
    vt_tcp_iface_t *iface = vs_container_of(tl_iface, vt_tcp_iface_t, super);
    struct epoll_event event;
    vs_list_link_t *link;
    int n;

    /* Whatever wakes the worker, the next progress looks at every fd. */
    iface->poll_now = 1;
    if (!iface->armed) {
        /* watched before looking: data from now on wakes the worker */
        iface->armed = 1;
        vt_tcp_iface_update_events(iface);
    }
    for (link = iface->rx_conns.next; link != &iface->rx_conns;
         link = link->next) {
        if (vt_tcp_conn_rx_ready(vs_list_entry(link, vt_tcp_conn_t,
                                               rx_list))) {
            return VERVE_ERR_BUSY;
        }
    }
    do {
        n = epoll_wait(iface->epoll_fd, &event, 1, 0);
    } while (n < 0 && errno == EINTR);
    return (n > 0) ? VERVE_ERR_BUSY : VERVE_OK;
}

static void vt_tcp_iface_query(vt_iface_t *tl_iface, vt_iface_caps_t *caps)
{
    vt_tcp_iface_t *iface = vs_container_of(tl_iface, vt_tcp_iface_t, super);

    memset(caps, 0, sizeof(*caps));
    caps->flags = VT_CAP_AM_SHORT | VT_CAP_AM_BCOPY | VT_CAP_WAKEUP;
    caps->am_short_max = iface->short_max;
    caps->am_bcopy_max = iface->bcopy_max;
    caps->address_length = sizeof(vt_tcp_iface_addr_t);
    /* Far above shm and self: those win wherever they reach. */
    caps->latency_ns = 10000;
    caps->bandwidth_MBps = 1000;
}

static void vt_tcp_iface_address(vt_iface_t *tl_iface, void *address)
{
    vt_tcp_iface_t *iface = vs_container_of(tl_iface, vt_tcp_iface_t, super);
    vt_tcp_iface_addr_t addr;

    memset(&addr, 0, sizeof(addr));
    addr.magic = VT_TCP_ADDR_MAGIC;
    addr.ipv4 = iface->addr.sin_addr.s_addr;
    addr.port = iface->addr.sin_port;
    addr.uid = iface->uid;
    memcpy(address, &addr, sizeof(addr));
}

/* Any well-formed IPv4 address: routing decides whether it answers. */
static int vt_tcp_iface_is_reachable(vt_iface_t *tl_iface,
                                     const void *address, size_t length)
{
    vt_tcp_iface_addr_t addr;

    (void)tl_iface;
    return vt_tcp_addr_parse(address, length, &addr);
}

/* Bounded: a peer that stopped reading must not hang our exit. Bytes
 * held for a pair's answer cannot go. */
static void vt_tcp_iface_drain(vt_tcp_iface_t *iface)
{
    uint64_t deadline = vs_time_ns() + VT_TCP_CLOSE_DRAIN_NS;
    vs_list_link_t *link, *next;
    vt_tcp_conn_t *conn, *waiting;
    struct pollfd pfd;
    uint64_t now;

    while ((now = vs_time_ns()) < deadline) {
        waiting = NULL;
        for (link = iface->tx_conns.next; link != &iface->tx_conns;
             link = next) {
            next = link->next;
            conn = vs_list_entry(link, vt_tcp_conn_t, tx_list);
            vt_tcp_conn_flush(conn);
            if (conn->on_tx_list && !conn->sweep &&
                (conn->state == VT_TCP_CONN_OPEN ||
                 conn->state == VT_TCP_CONN_CONNECTING)) {
                waiting = conn;
            }
        }
        if (waiting == NULL) {
            return;
        }
        pfd.fd = waiting->fd;
        pfd.events = POLLOUT;
        (void)poll(&pfd, 1, (int)((deadline - now) / 1000000) + 1);
    }
}

static void vt_tcp_iface_close(vt_iface_t *tl_iface)
{
    vt_tcp_iface_t *iface = vs_container_of(tl_iface, vt_tcp_iface_t, super);

    vt_tcp_iface_drain(iface);
    while (!vs_list_is_empty(&iface->all)) {
        vt_tcp_conn_destroy(vs_list_entry(iface->all.next, vt_tcp_conn_t,
                                          list));
    }
    if (iface->worker_epoll_fd >= 0) {
        epoll_ctl(iface->worker_epoll_fd, EPOLL_CTL_DEL, iface->epoll_fd,
                  NULL);
    }
    close(iface->epoll_fd);
    close(iface->listen_fd);
    vs_hash_cleanup(&iface->conns);
    free(iface);
}

static verve_status_t vt_tcp_iface_open_sockets(vt_tcp_iface_t *iface,
                                                const vt_tcp_config_t *cfg,
                                                int worker_epoll_fd)
{
    struct epoll_event event;
    char ifname[IF_NAMESIZE + 1], ip[INET_ADDRSTRLEN];
    struct in_addr in;
    unsigned low, high;
    verve_status_t status;

    status = vt_tcp_sock_parse_ports(cfg->port_range, &low, &high);
    if (status != VERVE_OK) {
        return status;
    }
    status = vt_tcp_sock_find_if(cfg->ifname, &in, ifname, sizeof(ifname));
    if (status != VERVE_OK) {
        return status;
    }
    status = vt_tcp_sock_listen(&in, low, high, &iface->listen_fd,
                                &iface->addr);
    if (status != VERVE_OK) {
        return status;
    }
    iface->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (iface->epoll_fd < 0) {
        vs_error("tcp: epoll_create1 failed: %s", strerror(errno));
        status = VERVE_ERR_IO;
        goto err_close_listen;
    }
    memset(&event, 0, sizeof(event));
    event.events = EPOLLIN;
    event.data.ptr = NULL;
    if (epoll_ctl(iface->epoll_fd, EPOLL_CTL_ADD, iface->listen_fd,
                  &event) < 0) {
        vs_error("tcp: adding the listener to epoll fd %d failed: %s",
                 iface->epoll_fd, strerror(errno));
        status = VERVE_ERR_IO;
        goto err_close_epoll;
    }
    if (worker_epoll_fd >= 0) {
        event.events = EPOLLIN;
        event.data.ptr = &iface->super;
        if (epoll_ctl(worker_epoll_fd, EPOLL_CTL_ADD, iface->epoll_fd,
                      &event) < 0) {
            vs_error("tcp: adding epoll fd %d to the worker's epoll fd %d "
                     "failed: %s", iface->epoll_fd, worker_epoll_fd,
                     strerror(errno));
            status = VERVE_ERR_IO;
            goto err_close_epoll;
        }
    }
    iface->worker_epoll_fd = worker_epoll_fd;
    inet_ntop(AF_INET, &in, ip, sizeof(ip));
    vs_debug("tcp: iface of worker %016llx listens on %s (%s) port %u",
             (unsigned long long)iface->uid, ifname, ip,
             (unsigned)ntohs(iface->addr.sin_port));
    return VERVE_OK;

err_close_epoll:
    close(iface->epoll_fd);
err_close_listen:
    close(iface->listen_fd);
    return status;
}

verve_status_t vt_tcp_iface_open(const vt_iface_params_t *params,
                                 vt_iface_t **iface_p)
{
    vt_tcp_config_t cfg;
    vt_tcp_iface_t *iface;
    verve_status_t status;

    status = vs_auth_init();
    if (status != VERVE_OK) {
        return status;
    }
    status = vs_config_read(&vt_tcp_config_table, &cfg);
    if (status != VERVE_OK) {
        return status;
    }
    iface = calloc(1, sizeof(*iface));
    if (iface == NULL) {
        vs_error("tcp: allocating an iface of %zu bytes failed",
                 sizeof(*iface));
        status = VERVE_ERR_NO_MEMORY;
        goto err_config;
    }
    iface->super.ops = &vt_tcp_iface_ops;
    iface->uid = params->uid;
    iface->short_max = cfg.short_max;
    iface->bcopy_max = cfg.bcopy_max;
    iface->rx_frame_max = cfg.bcopy_max;
    iface->tx_queue_max = cfg.tx_queue_max;
    iface->sndbuf = cfg.sndbuf;
    iface->rcvbuf = cfg.rcvbuf;
    iface->pending_max = cfg.auth_pending_max;
    iface->auth_timeout_ns = (uint64_t)(cfg.auth_timeout * 1e9);
    iface->poll_countdown = VT_TCP_POLL_INTERVAL;
    vs_list_init(&iface->all);
    vs_list_init(&iface->eps);
    vs_list_init(&iface->tx_conns);
    vs_list_init(&iface->rx_conns);
    vs_list_init(&iface->pending);
    memcpy(iface->am_handlers, params->am_handlers,
           sizeof(iface->am_handlers));
    memcpy(iface->am_args, params->am_args, sizeof(iface->am_args));
    status = vs_hash_init(&iface->conns, 16);
    if (status != VERVE_OK) {
        goto err_free;
    }
    status = vt_tcp_iface_open_sockets(iface, &cfg, params->epoll_fd);
    if (status != VERVE_OK) {
        goto err_hash;
    }
    vs_config_release(&vt_tcp_config_table, &cfg);
    *iface_p = &iface->super;
    return VERVE_OK;

err_hash:
    vs_hash_cleanup(&iface->conns);
err_free:
    free(iface);
err_config:
    vs_config_release(&vt_tcp_config_table, &cfg);
    return status;
}

const vt_iface_ops_t vt_tcp_iface_ops = {
    .iface_close = vt_tcp_iface_close,
    .iface_query = vt_tcp_iface_query,
    .iface_address = vt_tcp_iface_address,
    .iface_is_reachable = vt_tcp_iface_is_reachable,
    .iface_progress = vt_tcp_iface_progress,
    .iface_arm = vt_tcp_iface_arm,
    .ep_create = vt_tcp_ep_create,
    .ep_destroy = vt_tcp_ep_destroy,
    .ep_check = vt_tcp_ep_check,
    .ep_am_short = vt_tcp_ep_am_short,
    .ep_am_bcopy = vt_tcp_ep_am_bcopy,
    .ep_get_zcopy = vt_no_get_zcopy,
    .ep_put_zcopy = vt_no_put_zcopy,
    .ep_put = vt_no_put,
    .ep_get = vt_no_get,
    .ep_atomic = vt_no_atomic,
    .ep_flush = vt_tcp_ep_flush
};
