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
 * Input: byte 0 says how the stream is cut into writes (0: in one; n: n
 * bytes a write, with progress between them, so that every partial frame
 * is buffered and resumed); the rest is the stream. After it the peer
 * closes, and the connection must leave nothing behind: a connection
 * still listed once the worker saw the close is a failure (the state that
 * strangers made a rank keep, issue 14).
 */
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

/* Progress calls after the close before the connection must be gone. */
#define FUZZ_TCP_DRAIN_CALLS 64

static verve_context_h fuzz_context;
static verve_worker_h fuzz_worker;
static vt_tcp_iface_t *fuzz_iface;

static void fuzz_cleanup(void)
{
    verve_worker_destroy(fuzz_worker);
    verve_context_destroy(fuzz_context);
}

static void fuzz_init(void)
{
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
    atexit(fuzz_cleanup);
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
    ssize_t n;

    while (size > 0) {
        n = send(fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n <= 0) {
            /* full (the worker reads one handshake frame at a time) or
             * closed by the worker: progress, and stop once it is gone */
            if (vs_list_is_empty(&fuzz_iface->all)) {
                return;
            }
            fuzz_progress(fd, 1);
            continue;
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
    unsigned calls;
    int sv[2];

    if (fuzz_worker == NULL) {
        fuzz_init();
    }
    if (size == 0) {
        return 0;
    }
    chunk = data[0] ? data[0] : size;
    ++data;
    --size;
    /* A stream socket stands in for the accepted one: the transport only
     * reads, writes and closes it (its tuning of TCP options fails
     * harmlessly on it). */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   sv) != 0) {
        perror("fuzz_tcp: socketpair");
        abort();
    }
    if (vt_tcp_conn_accept(fuzz_iface, sv[0], &peer) != VERVE_OK) {
        /* refused at the cap of pending handshakes: earlier inputs left
         * theirs behind */
        fprintf(stderr, "fuzz_tcp: connection refused: %u handshakes "
                "pending\n", fuzz_iface->num_pending);
        abort();
    }
    for (offset = 0; offset < size; offset += chunk) {
        fuzz_write(sv[1], data + offset, vs_min(chunk, size - offset));
        fuzz_progress(sv[1], 2);
    }
    shutdown(sv[1], SHUT_WR);
    for (calls = 0; calls < FUZZ_TCP_DRAIN_CALLS &&
                    !vs_list_is_empty(&fuzz_iface->all);
         ++calls) {
        fuzz_progress(sv[1], 1);
    }
    close(sv[1]);
    if (!vs_list_is_empty(&fuzz_iface->all) || fuzz_iface->num_pending) {
        fprintf(stderr, "fuzz_tcp: a closed connection was kept (%u "
                "handshakes pending)\n", fuzz_iface->num_pending);
        abort();
    }
    return 0;
}
