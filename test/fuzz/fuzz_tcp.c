/*
 * Fuzz target for the tcp transport's receive side: what a stranger, or a
 * broken peer, writes on a connection it made to a rank. The input is the
 * byte stream of one accepted connection: the framing, the handshake
 * (HELLO, CHALLENGE and PROOF in and out of turn, ACK and NACK that were
 * not asked for), the pair logic, then AM frames, which reach the
 * engine's protocol handlers (eager, fragments, rendezvous, RMA).
 *
 * The worker runs with VERVE_AUTH=n, so that a HELLO and then any PROOF
 * get through the handshake: with the key checked no fuzzer could forge
 * the HMAC, and what follows it (a job's own peers send that) would never
 * be reached. The check itself is tested by test_tcp_auth.
 *
 * Bit 7 of byte 0 turns the roles around: the worker connects (to send a
 * message to worker FUZZ_TCP_PEER_UID, whose address is a socket of this
 * target) and the input is what answers it: CHALLENGE, ACK or NACK, AM
 * frames, whatever a process that took a peer's port may send.
 *
 * Input: byte 0: the role (bit 7) and how the stream is cut into writes
 * (bits 0-6; 0: in one; n: n bytes a write, with progress between them,
 * so that every partial frame is buffered and resumed); the rest is the
 * stream. After it the peer closes (a reset, when the worker connected),
 * and the connection must leave nothing behind: a connection still
 * listed once the worker saw the close is a failure (the state that
 * strangers made a rank keep, issue 14).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <verve/verve.h>
#include "core/ve_types.h"
#include "transports/tcp/tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Progress calls after the close before the connection must be gone:
 * a connection closed in its handshake is made again up to
 * VT_TCP_CONNECT_RETRIES times. */
#define FUZZ_TCP_DRAIN_CALLS 256
#define FUZZ_TCP_PEER_UID 0x5eedull

static verve_context_h fuzz_context;
static verve_worker_h fuzz_worker;
static vt_tcp_iface_t *fuzz_iface;
/* Where the worker connects in the reversed role. */
static int fuzz_listen_fd = -1;
static struct sockaddr_in fuzz_listen_addr;

static void fuzz_cleanup(void)
{
    close(fuzz_listen_fd);
    verve_worker_destroy(fuzz_worker);
    verve_context_destroy(fuzz_context);
}

static void fuzz_init(void)
{
    socklen_t len = sizeof(fuzz_listen_addr);
    unsigned i;

    setenv("VERVE_AUTH", "n", 1);
    /* As in fuzz_wire.c: fragment claims stay below libFuzzer's malloc
     * limit. */
    setenv("VERVE_AM_FRAG_MAX", "64m", 0);
    if (getenv("VERVE_TLS") == NULL) {
        setenv("VERVE_TLS", "tcp", 1);
    }
    if (verve_context_create(NULL, &fuzz_context) != VERVE_OK ||
        verve_worker_create(fuzz_context, NULL, &fuzz_worker) != VERVE_OK) {
        fprintf(stderr, "fuzz_tcp: no worker with the tcp transport\n");
        abort();
    }
    for (i = 0; i < fuzz_worker->num_ifaces; ++i) {
        if (fuzz_worker->ifaces[i].iface->ops == &vt_tcp_iface_ops) {
            fuzz_iface = vs_container_of(fuzz_worker->ifaces[i].iface,
                                         vt_tcp_iface_t, super);
        }
    }
    if (fuzz_iface == NULL) {
        fprintf(stderr, "fuzz_tcp: the worker has no tcp interface\n");
        abort();
    }
    fuzz_listen_addr.sin_family = AF_INET;
    fuzz_listen_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fuzz_listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
                                     SOCK_CLOEXEC, 0);
    if (fuzz_listen_fd < 0 ||
        bind(fuzz_listen_fd, (struct sockaddr *)&fuzz_listen_addr,
             sizeof(fuzz_listen_addr)) != 0 ||
        listen(fuzz_listen_fd, 64) != 0 ||
        getsockname(fuzz_listen_fd, (struct sockaddr *)&fuzz_listen_addr,
                    &len) != 0) {
        perror("fuzz_tcp: listening on 127.0.0.1");
        abort();
    }
    atexit(fuzz_cleanup);
}

/* A connection the worker made to us, closed with a reset: no TIME_WAIT
 * left for each of the many inputs. */
static void fuzz_reset(int fd)
{
    struct linger linger = {.l_onoff = 1, .l_linger = 0};

    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof(linger));
    close(fd);
}

/* Accepts the worker's connection to FUZZ_TCP_PEER_UID; -1 if none came
 * within a few progress calls. */
static int fuzz_accept(void)
{
    int fd, i;

    for (i = 0; i < 1000; ++i) {
        fd = accept4(fuzz_listen_fd, NULL, NULL,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            return fd;
        }
        verve_worker_progress(fuzz_worker);
    }
    return -1;
}

/* The worker connects to send one AM frame to FUZZ_TCP_PEER_UID; returns
 * our end of that connection. */
static int fuzz_connected(void)
{
    vt_tcp_iface_addr_t addr = {.magic = VT_TCP_ADDR_MAGIC,
                                .ipv4 = fuzz_listen_addr.sin_addr.s_addr,
                                .port = fuzz_listen_addr.sin_port,
                                .uid = FUZZ_TCP_PEER_UID};
    uint8_t payload[8] = {0};
    vt_tcp_frame_hdr_t hdr;
    struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {payload, sizeof(payload)}};
    vt_tcp_conn_t *conn;
    int fd;

    vt_tcp_frame_hdr_init(&hdr, VT_TCP_FRAME_AM, 0, sizeof(payload));
    if (vt_tcp_conn_get(fuzz_iface, &addr, &conn) != VERVE_OK ||
        vt_tcp_conn_sendv(conn, iov, 2, sizeof(hdr) + sizeof(payload)) !=
                VERVE_OK) {
        fprintf(stderr, "fuzz_tcp: no connection to 127.0.0.1:%u\n",
                (unsigned)ntohs(addr.port));
        abort();
    }
    fd = fuzz_accept();
    if (fd < 0) {
        fprintf(stderr, "fuzz_tcp: the worker did not connect\n");
        abort();
    }
    return fd;
}

/* A pair that lost the race (NACK) keeps its queue for the peer's own
 * connection, which never comes here: ended as the peer's failure would
 * end it, so that the next input starts from nothing. */
static void fuzz_end_lost(void)
{
    vs_list_link_t *link;

    for (link = fuzz_iface->all.next; link != &fuzz_iface->all;
         link = link->next) {
        vt_tcp_conn_t *conn = vs_list_entry(link, vt_tcp_conn_t, list);
        if (conn->state == VT_TCP_CONN_LOST) {
            vt_tcp_conn_fail(conn, "fuzz_tcp: the peer is gone", 0);
        }
    }
}

/* Reads and drops what the worker answered (CHALLENGE, ACK, replies). */
static void fuzz_drain(int fd)
{
    char buffer[4096];

    while (recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT) > 0) {
    }
}

static void fuzz_progress(int fd, unsigned calls)
{
    while (calls-- > 0) {
        verve_worker_progress(fuzz_worker);
        fuzz_drain(fd);
    }
}

static void fuzz_write(int fd, const uint8_t *data, size_t size)
{
    unsigned full = 0;
    ssize_t n;

    while (size > 0) {
        n = send(fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN && ++full < FUZZ_TCP_DRAIN_CALLS) {
            /* full: the worker reads one handshake frame at a time */
            fuzz_progress(fd, 1);
            continue;
        }
        if (n <= 0) {
            return;   /* closed by the worker, or it stopped reading */
        }
        data += n;
        size -= (size_t)n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sockaddr_in peer = {.sin_family = AF_INET,
                               .sin_port = htons(4242),
                               .sin_addr.s_addr = htonl(0x7f000002)};
    size_t chunk, offset;
    int sv[2], connect_role, fd;
    unsigned calls;

    if (fuzz_worker == NULL) {
        fuzz_init();
    }
    if (size == 0) {
        return 0;
    }
    connect_role = data[0] & 0x80;
    chunk = (data[0] & 0x7f) ? (data[0] & 0x7f) : size;
    ++data;
    --size;
    if (connect_role) {
        sv[0] = -1;
        sv[1] = fuzz_connected();
    } else {
        /* A stream socket stands in for the accepted one: the transport
         * only reads, writes and closes it (its tuning of TCP options
         * fails harmlessly on it). */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                       0, sv) != 0) {
            perror("fuzz_tcp: socketpair");
            abort();
        }
        if (vt_tcp_conn_accept(fuzz_iface, sv[0], &peer) != VERVE_OK) {
            /* refused at the cap of pending handshakes: earlier inputs
             * left theirs behind */
            fprintf(stderr, "fuzz_tcp: connection refused: %u handshakes "
                    "pending\n", fuzz_iface->num_pending);
            abort();
        }
    }
    for (offset = 0; offset < size; offset += chunk) {
        fuzz_write(sv[1], data + offset, vs_min(chunk, size - offset));
        fuzz_progress(sv[1], 2);
    }
    if (connect_role) {
        fuzz_progress(sv[1], 2);
        fuzz_reset(sv[1]);
    } else {
        shutdown(sv[1], SHUT_WR);
    }
    for (calls = 0; calls < FUZZ_TCP_DRAIN_CALLS &&
                    !vs_list_is_empty(&fuzz_iface->all);
         ++calls) {
        if (connect_role) {
            /* connections made again after the reset: reset too */
            fd = accept4(fuzz_listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) {
                fuzz_reset(fd);
            }
            fuzz_end_lost();
            verve_worker_progress(fuzz_worker);
        } else {
            fuzz_progress(sv[1], 1);
        }
    }
    if (!connect_role) {
        close(sv[1]);
    }
    if (!vs_list_is_empty(&fuzz_iface->all) || fuzz_iface->num_pending) {
        fprintf(stderr, "fuzz_tcp: a closed connection was kept (%u "
                "handshakes pending)\n", fuzz_iface->num_pending);
        abort();
    }
    return 0;
}
