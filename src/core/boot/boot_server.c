/*
 * Bootstrap server. Requests are read without blocking, a little at a time,
 * so one stalled rank cannot stop the launcher; replies are written with a
 * bounded wait, which is safe because a rank only gets a reply while it is
 * blocked reading for it.
 */
#include "verve_config.h"
#include "boot_server.h"
#include "boot_wire.h"

#include "core/base/log.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A rank that does not drain its reply within this long is treated as
 * dead: it is blocked in a read for it, so it is stopped or gone. */
#define VS_BOOT_SERVER_SEND_TIMEOUT 30.0

typedef struct vs_boot_server_conn {
    int fd;
    int rank;                   /* -1 until HELLO */
    int said_bye;
    vs_boot_wire_hdr_t hdr;     /* request being read */
    size_t hdr_received;
    char *payload;              /* where its bytes go; NULL: discard */
    uint64_t payload_left;
} vs_boot_server_conn_t;

struct vs_boot_server {
    int listen_fd;
    unsigned size;
    char address[sizeof(((struct sockaddr_un *)0)->sun_path)];
    vs_boot_server_conn_t *conns;
    size_t num_conns;
    size_t max_conns;
    uint8_t *connected;         /* per rank: a connection said HELLO */
    uint8_t *done;              /* per rank: said BYE */
    unsigned num_done;
    /* The allgather being collected. */
    uint8_t *contributed;
    unsigned num_contributed;
    int round_open;             /* a rank sent this round's header */
    uint64_t round_length;
    char *round_buffer;
    /* Sticky once a rank died or broke the protocol. */
    int failed;
    unsigned failed_rank;
    verve_status_t failed_status;
};

static void vs_boot_server_round_reset(vs_boot_server_t *server)
{
    free(server->round_buffer);
    server->round_buffer = NULL;
    server->round_length = 0;
    server->round_open = 0;
    server->num_contributed = 0;
    memset(server->contributed, 0, server->size);
}

static void vs_boot_server_send_fail(vs_boot_server_t *server,
                                     vs_boot_server_conn_t *conn)
{
    vs_boot_wire_hdr_t hdr = {
        .magic = VS_BOOT_WIRE_MAGIC,
        .op = VS_BOOT_WIRE_FAIL,
        .rank = server->failed_rank,
        .status = server->failed_status,
    };

    /* A rank that cannot take this is gone too; its close is seen next. */
    (void)vs_boot_wire_send(conn->fd, &hdr, sizeof(hdr),
                            VS_BOOT_SERVER_SEND_TIMEOUT);
}

/* From now on every collective fails: the ranks waiting in one are told at
 * once, the others when they start their next. */
static void vs_boot_server_fail(vs_boot_server_t *server, unsigned rank,
                                verve_status_t status, const char *why)
{
    size_t i;

    if (server->failed) {
        return;
    }
    server->failed = 1;
    server->failed_rank = rank;
    server->failed_status = status;
    vs_debug("boot server: rank %u failed (%s): failing the job's "
             "collectives", rank, why);

    for (i = 0; i < server->num_conns; ++i) {
        vs_boot_server_conn_t *conn = &server->conns[i];
        if ((conn->fd >= 0) && (conn->rank >= 0) && !conn->said_bye &&
            server->contributed[conn->rank]) {
            vs_boot_server_send_fail(server, conn);
        }
        /* Bytes still in flight for the dead round go nowhere. */
        conn->payload = NULL;
    }
    vs_boot_server_round_reset(server);
}

static void vs_boot_server_conn_close(vs_boot_server_t *server,
                                      vs_boot_server_conn_t *conn,
                                      const char *why)
{
    int rank = conn->rank;

    close(conn->fd);
    conn->fd = -1;
    if ((rank >= 0) && !conn->said_bye) {
        vs_boot_server_fail(server, (unsigned)rank, VERVE_ERR_PEER_FAILED,
                            why);
    }
}

static void vs_boot_server_round_complete(vs_boot_server_t *server)
{
    uint64_t total = server->round_length * server->size;
    vs_boot_wire_hdr_t hdr = {
        .magic = VS_BOOT_WIRE_MAGIC,
        .op = VS_BOOT_WIRE_ALLGATHER_REPLY,
        .length = total,
    };
    char *buffer = server->round_buffer;
    verve_status_t status;
    size_t i;

    /* The next round starts now: a rank failing below must not free the
     * buffer still being sent, nor be told of a round it completed. */
    server->round_buffer = NULL;
    vs_boot_server_round_reset(server);

    for (i = 0; i < server->num_conns; ++i) {
        vs_boot_server_conn_t *conn = &server->conns[i];
        if ((conn->fd < 0) || (conn->rank < 0)) {
            continue;
        }
        status = vs_boot_wire_send(conn->fd, &hdr, sizeof(hdr),
                                   VS_BOOT_SERVER_SEND_TIMEOUT);
        if ((status == VERVE_OK) && (total > 0)) {
            status = vs_boot_wire_send(conn->fd, buffer, total,
                                       VS_BOOT_SERVER_SEND_TIMEOUT);
        }
        if (status != VERVE_OK) {
            vs_boot_server_conn_close(server, conn,
                                      "could not take its allgather reply");
        }
    }
    free(buffer);
}

static void vs_boot_server_contributed(vs_boot_server_t *server,
                                       vs_boot_server_conn_t *conn)
{
    if (server->failed) {
        vs_boot_server_send_fail(server, conn);
        return;
    }
    server->contributed[conn->rank] = 1;
    if (++server->num_contributed == server->size) {
        vs_boot_server_round_complete(server);
    }
}

static void vs_boot_server_hello(vs_boot_server_t *server,
                                 vs_boot_server_conn_t *conn)
{
    vs_boot_wire_hdr_t ack = {
        .magic = VS_BOOT_WIRE_MAGIC,
        .op = VS_BOOT_WIRE_HELLO_ACK,
    };
    const vs_boot_wire_hdr_t *hdr = &conn->hdr;

    if ((conn->rank >= 0) || (hdr->size != server->size) ||
        (hdr->rank >= server->size) || server->connected[hdr->rank]) {
        vs_error("boot server: rejected hello from rank %u of %u (job of "
                 "%u ranks, rank %s)", hdr->rank, hdr->size, server->size,
                 ((hdr->rank < server->size) &&
                  server->connected[hdr->rank]) ? "already connected" :
                 "out of range");
        /* Its process reports the failure through its exit status. */
        close(conn->fd);
        conn->fd = -1;
        return;
    }

    conn->rank = (int)hdr->rank;
    server->connected[hdr->rank] = 1;
    if (server->failed) {
        vs_boot_server_send_fail(server, conn);
    } else if (vs_boot_wire_send(conn->fd, &ack, sizeof(ack),
                                 VS_BOOT_SERVER_SEND_TIMEOUT) != VERVE_OK) {
        vs_boot_server_conn_close(server, conn, "hello reply failed");
    }
}

static void vs_boot_server_allgather(vs_boot_server_t *server,
                                     vs_boot_server_conn_t *conn)
{
    uint64_t length = conn->hdr.length;
    unsigned rank = (unsigned)conn->rank;
    unsigned i;

    conn->payload = NULL;
    conn->payload_left = length;
    if (server->failed) {
        return;         /* drained, then answered with FAIL */
    }

    for (i = 0; (server->num_done > 0) && (i < server->size); ++i) {
        if (server->done[i]) {
            /* It finalized: this allgather can never complete. */
            vs_boot_server_fail(server, i, VERVE_ERR_PEER_FAILED,
                                "finalized before an allgather");
            return;
        }
    }

    if (server->contributed[rank]) {
        vs_error("boot server: rank %u started an allgather before the "
                 "previous one completed", rank);
        vs_boot_server_fail(server, rank, VERVE_ERR_IO, "protocol error");
        return;
    }

    /* Not num_contributed: the first rank may still be sending its bytes
     * into the buffer when the second one's header arrives. */
    if (!server->round_open) {
        server->round_open = 1;
        server->round_length = length;
        if (length > 0) {
            server->round_buffer = malloc(length * server->size);
            if (server->round_buffer == NULL) {
                vs_error("boot server: allocating %llu bytes for an "
                         "allgather failed",
                         (unsigned long long)(length * server->size));
                vs_boot_server_fail(server, rank, VERVE_ERR_NO_MEMORY,
                                    "out of memory");
                return;
            }
        }
    } else if (length != server->round_length) {
        vs_error("boot server: rank %u contributed %llu bytes to an "
                 "allgather where the others contributed %llu", rank,
                 (unsigned long long)length,
                 (unsigned long long)server->round_length);
        vs_boot_server_fail(server, rank, VERVE_ERR_INVALID_PARAM,
                            "allgather length mismatch");
        return;
    }
    /* No buffer for a round of nothing (a barrier): NULL + 0 would be
     * undefined. */
    conn->payload = (length > 0)
                            ? server->round_buffer + (size_t)rank * length
                            : NULL;
}

/* A whole header arrived: act on it. Returns 0 when the connection must be
 * closed as broken. */
static int vs_boot_server_request(vs_boot_server_t *server,
                                  vs_boot_server_conn_t *conn)
{
    if (!vs_boot_wire_check_request(&conn->hdr, server->size) ||
        ((conn->rank < 0) && (conn->hdr.op != VS_BOOT_WIRE_HELLO))) {
        vs_error("boot server: malformed request from rank %d (magic 0x%x "
                 "op %u length %llu)", conn->rank, conn->hdr.magic,
                 conn->hdr.op, (unsigned long long)conn->hdr.length);
        return 0;
    }

    switch (conn->hdr.op) {
    case VS_BOOT_WIRE_HELLO:
        vs_boot_server_hello(server, conn);
        break;
    case VS_BOOT_WIRE_BYE:
        conn->said_bye = 1;
        server->done[conn->rank] = 1;
        ++server->num_done;
        if (server->round_open && !server->contributed[conn->rank]) {
            vs_boot_server_fail(server, (unsigned)conn->rank,
                                VERVE_ERR_PEER_FAILED,
                                "finalized during an allgather");
        }
        break;
    case VS_BOOT_WIRE_ALLGATHER:
        vs_boot_server_allgather(server, conn);
        if ((conn->fd >= 0) && (conn->payload_left == 0)) {
            vs_boot_server_contributed(server, conn);
        }
        break;
    }
    return 1;
}

/* Reads once; returns 1 when bytes came, 0 when none were there or the
 * connection closed. */
static int vs_boot_server_conn_read(vs_boot_server_t *server,
                                    vs_boot_server_conn_t *conn)
{
    char discard[4096];
    size_t want;
    void *dst;
    ssize_t ret;

    /* One read per poll event keeps a chatty rank from starving others. */
    if (conn->payload_left > 0) {
        want = (size_t)conn->payload_left;
        dst = conn->payload;
        if (dst == NULL) {
            want = vs_min(want, sizeof(discard));
            dst = discard;
        }
    } else {
        want = sizeof(conn->hdr) - conn->hdr_received;
        dst = (char *)&conn->hdr + conn->hdr_received;
    }

    ret = recv(conn->fd, dst, want, MSG_DONTWAIT);
    if (ret == 0) {
        vs_boot_server_conn_close(server, conn, "connection closed");
        return 0;
    }
    if (ret < 0) {
        if ((errno != EAGAIN) && (errno != EWOULDBLOCK) && (errno != EINTR)) {
            vs_boot_server_conn_close(server, conn, strerror(errno));
        }
        return 0;
    }

    if (conn->payload_left > 0) {
        conn->payload_left -= (uint64_t)ret;
        if (conn->payload != NULL) {
            conn->payload += ret;
        }
        if (conn->payload_left == 0) {
            vs_boot_server_contributed(server, conn);
        }
        return 1;
    }

    conn->hdr_received += (size_t)ret;
    if (conn->hdr_received == sizeof(conn->hdr)) {
        conn->hdr_received = 0;
        if (!vs_boot_server_request(server, conn)) {
            vs_boot_server_conn_close(server, conn, "protocol error");
        }
    }
    return 1;
}

static void vs_boot_server_accept(vs_boot_server_t *server)
{
    vs_boot_server_conn_t *conn;
    struct ucred cred;
    socklen_t cred_len = sizeof(cred);
    int fd;

    fd = accept4(server->listen_fd, NULL, NULL,
                 SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        if ((errno != EAGAIN) && (errno != EINTR)) {
            vs_error("boot server: accept on '%s' failed: %s",
                     server->address, strerror(errno));
        }
        return;
    }

    /* An abstract socket is reachable by every user on the host. */
    if ((getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) < 0) ||
        (cred.uid != getuid())) {
        vs_error("boot server: refused a connection from another user");
        close(fd);
        return;
    }
    if (server->num_conns == server->max_conns) {
        vs_error("boot server: refused connection %zu: a job of %u ranks "
                 "has no room for it", server->num_conns + 1, server->size);
        close(fd);
        return;
    }

    conn = &server->conns[server->num_conns++];
    memset(conn, 0, sizeof(*conn));
    conn->fd = fd;
    conn->rank = -1;
}

void vs_boot_server_progress(vs_boot_server_t *server,
                             const struct pollfd *fds, size_t count)
{
    size_t i, j;

    /* fds[0] is the listening socket, fds[1 + i] conns[i]; conns closed
     * here keep their slot until the compaction below. */
    for (i = 1; (i < count) && (i - 1 < server->num_conns); ++i) {
        vs_boot_server_conn_t *conn = &server->conns[i - 1];
        if ((conn->fd >= 0) && (conn->fd == fds[i].fd) &&
            (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
            vs_boot_server_conn_read(server, conn);
        }
    }

    for (i = j = 0; i < server->num_conns; ++i) {
        if (server->conns[i].fd >= 0) {
            server->conns[j++] = server->conns[i];
        }
    }
    server->num_conns = j;

    if ((count > 0) && (fds[0].revents & POLLIN)) {
        vs_boot_server_accept(server);
    }
}

size_t vs_boot_server_pollfd_count(const vs_boot_server_t *server)
{
    return 1 + server->max_conns;
}

size_t vs_boot_server_pollfds(const vs_boot_server_t *server,
                              struct pollfd *fds, size_t max)
{
    size_t i, n = 0;

    if (max == 0) {
        return 0;
    }
    fds[n].fd = server->listen_fd;
    fds[n].events = POLLIN;
    fds[n++].revents = 0;
    for (i = 0; (i < server->num_conns) && (n < max); ++i) {
        fds[n].fd = server->conns[i].fd;
        fds[n].events = POLLIN;
        fds[n++].revents = 0;
    }
    return n;
}

void vs_boot_server_rank_exited(vs_boot_server_t *server, unsigned rank)
{
    size_t i;

    /* All it wrote is in its socket by now, but perhaps not read yet: a
     * BYE still queued there means it finalized and did not die. */
    for (i = 0; i < server->num_conns; ++i) {
        vs_boot_server_conn_t *conn = &server->conns[i];
        while ((conn->rank == (int)rank) && (conn->fd >= 0) &&
               vs_boot_server_conn_read(server, conn)) {
        }
    }
    if ((rank < server->size) && !server->done[rank]) {
        vs_boot_server_fail(server, rank, VERVE_ERR_PEER_FAILED,
                            "exited without finalizing");
    }
}

const char *vs_boot_server_address(const vs_boot_server_t *server)
{
    return server->address;
}

verve_status_t vs_boot_server_create(unsigned size,
                                     vs_boot_server_t **server_p)
{
    static unsigned counter;
    vs_boot_server_t *server;
    struct sockaddr_un sa;
    verve_status_t status;
    socklen_t sa_len;

    if (size == 0) {
        return VERVE_ERR_INVALID_PARAM;
    }

    server = calloc(1, sizeof(*server));
    if (server == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    server->size = size;
    /* Room for every rank plus strays, which are refused beyond that. */
    server->max_conns = (size_t)size + 8;
    server->conns = calloc(server->max_conns, sizeof(*server->conns));
    server->connected = calloc(size, 1);
    server->done = calloc(size, 1);
    server->contributed = calloc(size, 1);
    if ((server->conns == NULL) || (server->connected == NULL) ||
        (server->done == NULL) || (server->contributed == NULL)) {
        vs_error("boot server: allocating state for %u ranks failed", size);
        status = VERVE_ERR_NO_MEMORY;
        goto err_free;
    }

    snprintf(server->address, sizeof(server->address), "@verve_run.%d.%u",
             (int)getpid(), counter++);
    status = vs_boot_wire_sockaddr(server->address, &sa, &sa_len);
    if (status != VERVE_OK) {
        goto err_free;
    }

    server->listen_fd = socket(AF_UNIX,
                               SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (server->listen_fd < 0) {
        vs_error("boot server: socket(AF_UNIX) failed: %s", strerror(errno));
        status = VERVE_ERR_IO;
        goto err_free;
    }
    if ((bind(server->listen_fd, (struct sockaddr *)&sa, sa_len) < 0) ||
        (listen(server->listen_fd, SOMAXCONN) < 0)) {
        vs_error("boot server: listening on '%s' failed: %s",
                 server->address, strerror(errno));
        status = VERVE_ERR_IO;
        goto err_close;
    }

    *server_p = server;
    return VERVE_OK;

err_close:
    close(server->listen_fd);
err_free:
    free(server->contributed);
    free(server->done);
    free(server->connected);
    free(server->conns);
    free(server);
    return status;
}

void vs_boot_server_destroy(vs_boot_server_t *server)
{
    size_t i;

    for (i = 0; i < server->num_conns; ++i) {
        close(server->conns[i].fd);
    }
    close(server->listen_fd);
    free(server->round_buffer);
    free(server->contributed);
    free(server->done);
    free(server->connected);
    free(server->conns);
    free(server);
}
