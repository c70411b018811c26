/*
 * verve_run --netns: each rank runs in a network namespace, which stands
 * for a host. The bootstrap server's abstract socket exists only in
 * verve_run's own namespace, so the ranks reach it through a filesystem
 * socket in a private directory, relayed here by verve_run's poll loop.
 */
#include "verve_config.h"
#include "verve_run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "core/boot/boot_wire.h"

/* --netns: opens the namespaces, so that a missing one is reported before
 * any rank starts, and the socket through which the ranks reach the
 * bootstrap server from there. */
int run_netns_setup(run_job_t *job)
{
    struct sockaddr_un sa;
    char path[sizeof(RUN_NETNS_DIR) + NAME_MAX];
    unsigned i;

    for (i = 0; i < job->opts.num_netns; ++i) {
        snprintf(path, sizeof(path), RUN_NETNS_DIR "%s", job->opts.netns[i]);
        job->netns_fds[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (job->netns_fds[i] < 0) {
            fprintf(stderr, "verve_run: --netns: cannot open %s: %s (make "
                    "it with 'ip netns add %s')\n", path, strerror(errno),
                    job->opts.netns[i]);
            return -1;
        }
    }
    /* A private directory (0700): only this user reaches the socket. */
    snprintf(job->relay_dir, sizeof(job->relay_dir), "/tmp/verve_run.XXXXXX");
    if (mkdtemp(job->relay_dir) == NULL) {
        fprintf(stderr, "verve_run: mkdtemp(%s) failed: %s\n",
                job->relay_dir, strerror(errno));
        job->relay_dir[0] = '\0';
        return -1;
    }
    snprintf(job->relay_path, sizeof(job->relay_path), "%s/boot",
             job->relay_dir);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    /* relay_dir is 20 bytes: the path fits sun_path */
    memcpy(sa.sun_path, job->relay_path,
           strnlen(job->relay_path, sizeof(sa.sun_path) - 1));
    job->relay_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
                           SOCK_CLOEXEC, 0);
    if (job->relay_fd < 0 ||
        bind(job->relay_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(job->relay_fd, SOMAXCONN) < 0) {
        fprintf(stderr, "verve_run: listening on %s failed: %s\n",
                job->relay_path, strerror(errno));
        return -1;
    }
    job->max_proxies = (size_t)job->opts.np + 8;
    job->proxies = calloc(job->max_proxies, sizeof(*job->proxies));
    if (job->proxies == NULL) {
        fprintf(stderr, "verve_run: out of memory\n");
        return -1;
    }
    for (i = 0; i < job->max_proxies; ++i) {
        job->proxies[i].fds[0] = job->proxies[i].fds[1] = -1;
    }
    return 0;
}

void run_proxy_close(run_proxy_t *proxy)
{
    int i;

    for (i = 0; i < 2; ++i) {
        if (proxy->fds[i] >= 0) {
            close(proxy->fds[i]);
        }
        proxy->fds[i] = -1;
        free(proxy->dir[i].buffer);
        memset(&proxy->dir[i], 0, sizeof(proxy->dir[i]));
    }
}

/* A rank connected: open its twin connection to the server. */
void run_proxy_accept(run_job_t *job)
{
    struct sockaddr_un sa;
    run_proxy_t *proxy;
    socklen_t len;
    size_t i;
    int fd, server;

    while ((fd = accept4(job->relay_fd, NULL, NULL,
                         SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        for (i = 0; i < job->max_proxies && job->proxies[i].fds[0] >= 0;
             ++i) {
        }
        server = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (i == job->max_proxies || server < 0 ||
            vs_boot_wire_sockaddr(vs_boot_server_address(job->server), &sa,
                                  &len) != VERVE_OK ||
            connect(server, (struct sockaddr *)&sa, len) < 0) {
            fprintf(stderr, "verve_run: relaying a bootstrap connection "
                    "failed: %s\n", (i == job->max_proxies)
                                            ? "too many connections"
                                            : strerror(errno));
            close(fd);
            if (server >= 0) {
                close(server);
            }
            continue;
        }
        fcntl(server, F_SETFL, O_NONBLOCK);
        proxy = &job->proxies[i];
        proxy->fds[0] = fd;
        proxy->fds[1] = server;
        proxy->dir[0].buffer = malloc(RUN_PROXY_BUFFER);
        proxy->dir[1].buffer = malloc(RUN_PROXY_BUFFER);
        if (proxy->dir[0].buffer == NULL || proxy->dir[1].buffer == NULL) {
            fprintf(stderr, "verve_run: out of memory\n");
            run_proxy_close(proxy);
        }
    }
}

static short run_proxy_events(const run_proxy_t *proxy, int side)
{
    const run_proxy_dir_t *in = &proxy->dir[side];

    return (short)(((!in->eof && in->length < RUN_PROXY_BUFFER) ? POLLIN
                                                                 : 0) |
                   (proxy->dir[!side].length > 0 ? POLLOUT : 0));
}

/* Moves bytes both ways, and an end of stream from one side to the
 * other once what came before it has been written. */
static void run_proxy_progress(run_proxy_t *proxy, const short revents[2])
{
    run_proxy_dir_t *in, *out;
    ssize_t n;
    int side;

    for (side = 0; side < 2; ++side) {
        in = &proxy->dir[side];
        out = &proxy->dir[!side];
        if ((revents[side] & (POLLIN | POLLHUP | POLLERR)) && !in->eof &&
            in->length < RUN_PROXY_BUFFER) {
            n = read(proxy->fds[side], in->buffer + in->length,
                     RUN_PROXY_BUFFER - in->length);
            if (n > 0) {
                in->length += (size_t)n;
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                in->eof = 1;
            }
        }
        if ((revents[side] & (POLLOUT | POLLERR)) && out->length > 0) {
            n = send(proxy->fds[side], out->buffer, out->length,
                     MSG_NOSIGNAL);
            if (n > 0) {
                memmove(out->buffer, out->buffer + n, out->length - (size_t)n);
                out->length -= (size_t)n;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                out->length = 0;   /* nobody left to read it */
                out->eof = 1;
            }
        }
    }
    for (side = 0; side < 2; ++side) {
        in = &proxy->dir[side];
        if (in->eof == 1 && in->length == 0) {
            shutdown(proxy->fds[!side], SHUT_WR);
            in->eof = 2;
        }
    }
    if (proxy->dir[0].eof == 2 && proxy->dir[1].eof == 2) {
        run_proxy_close(proxy);
    }
}

size_t run_proxy_pollfds(run_job_t *job, struct pollfd *fds)
{
    size_t n = 0, i;
    int side;

    if (job->relay_fd < 0) {
        return 0;
    }
    fds[n].fd = job->relay_fd;
    fds[n].events = POLLIN;
    fds[n++].revents = 0;
    for (i = 0; i < job->max_proxies; ++i) {
        for (side = 0; side < 2 && job->proxies[i].fds[0] >= 0; ++side) {
            fds[n].fd = job->proxies[i].fds[side];
            fds[n].events = run_proxy_events(&job->proxies[i], side);
            fds[n++].revents = 0;
        }
    }
    return n;
}

/* The same walk as run_proxy_pollfds, before anything changed. */
void run_proxy_handle(run_job_t *job, const struct pollfd *fds)
{
    size_t n = 1, i;
    short revents[2];

    if (job->relay_fd < 0) {
        return;
    }
    for (i = 0; i < job->max_proxies; ++i) {
        if (job->proxies[i].fds[0] < 0) {
            continue;
        }
        revents[0] = fds[n++].revents;
        revents[1] = fds[n++].revents;
        if (revents[0] || revents[1]) {
            run_proxy_progress(&job->proxies[i], revents);
        }
    }
    if (fds[0].revents & POLLIN) {
        run_proxy_accept(job);
    }
}
