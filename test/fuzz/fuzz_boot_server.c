/*
 * Fuzz target for verve_run's bootstrap server (core/boot/boot_server.c):
 * what ranks, or anything else that reaches its socket, write to it. Each
 * input runs a fresh server for a job of 1 to 4 ranks and a script of
 * clients that connect, write bytes (raw, or a header with the right magic
 * and fields from the input, which gets the fuzzer to HELLO and ALLGATHER
 * sooner), close, or are reaped as the launcher would; after each step the
 * server progresses until it has nothing left to do, and the clients read
 * and drop its replies.
 *
 * Input: byte 0: job size - 1 (mod 4); byte 1: clients - 1 (mod 6, more
 * than a job has ranks: strays are refused); then steps, each a control
 * byte c (client c % clients, action (c / 8) % 4) and its arguments:
 *   0 raw: a length byte n, then n bytes (0: a header's worth);
 *   1 header: op, rank and length bytes (length in bytes: a small
 *     allgather), then that many payload bytes follow as a raw write;
 *   2 close the client (its next step connects again);
 *   3 the launcher reaped rank (byte) % size.
 */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/base/compiler.h"
#include "core/boot/boot_server.h"
#include "core/boot/boot_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CLIENTS_MAX 6
/* Rounds of poll and progress after a step; each accepts one connection
 * at most, so a few more than clients. */
#define FUZZ_PROGRESS_ROUNDS 16

typedef struct fuzz_input {
    const uint8_t *data;
    size_t left;
} fuzz_input_t;

static int fuzz_next(fuzz_input_t *in, uint8_t *byte_p)
{
    if (in->left == 0) {
        return 0;
    }
    *byte_p = *in->data++;
    --in->left;
    return 1;
}

static void fuzz_drain(const int *clients, unsigned count)
{
    char buffer[4096];
    unsigned i;

    for (i = 0; i < count; ++i) {
        while (clients[i] >= 0 &&
               recv(clients[i], buffer, sizeof(buffer), MSG_DONTWAIT) > 0) {
        }
    }
}

static void fuzz_progress(vs_boot_server_t *server, const int *clients,
                          unsigned count)
{
    struct pollfd fds[1 + 4 + 8];
    size_t n;
    int round;

    for (round = 0; round < FUZZ_PROGRESS_ROUNDS; ++round) {
        n = vs_boot_server_pollfds(server, fds, vs_array_size(fds));
        if (poll(fds, n, 0) <= 0) {
            break;
        }
        vs_boot_server_progress(server, fds, n);
        fuzz_drain(clients, count);
    }
}

static int fuzz_connect(vs_boot_server_t *server)
{
    struct sockaddr_un sa;
    socklen_t len;
    int fd;

    if (vs_boot_wire_sockaddr(vs_boot_server_address(server), &sa, &len) !=
        VERVE_OK) {
        abort();
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, len) != 0) {
        perror("fuzz_boot_server: connect");
        abort();
    }
    return fd;
}

/* Writes what the socket takes; a server that stopped reading (a closed
 * connection, a full buffer) drops the rest, as a kernel would not. */
static void fuzz_send(int fd, const void *buffer, size_t length)
{
    (void)send(fd, buffer, length, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void fuzz_step(vs_boot_server_t *server, unsigned job_size,
                      int *clients, unsigned count, uint8_t control,
                      fuzz_input_t *in)
{
    unsigned client = control % count;
    vs_boot_wire_hdr_t hdr;
    uint8_t a = 0, b = 0, c = 0;
    size_t n;

    switch ((control / 8) % 4) {
    case 0:
    case 1:
        if (clients[client] < 0) {
            clients[client] = fuzz_connect(server);
        }
        if ((control / 8) % 4 == 0) {
            (void)fuzz_next(in, &a);
            n = vs_min(a ? (size_t)a : sizeof(hdr), in->left);
        } else {
            (void)(fuzz_next(in, &a) && fuzz_next(in, &b) &&
                   fuzz_next(in, &c));
            memset(&hdr, 0, sizeof(hdr));
            hdr.magic = VS_BOOT_WIRE_MAGIC;
            hdr.op = a % 8;
            hdr.rank = b;
            hdr.size = job_size;
            hdr.length = c;
            fuzz_send(clients[client], &hdr, sizeof(hdr));
            n = vs_min((size_t)c, in->left);
        }
        fuzz_send(clients[client], in->data, n);
        in->data += n;
        in->left -= n;
        break;
    case 2:
        if (clients[client] >= 0) {
            close(clients[client]);
            clients[client] = -1;
        }
        break;
    default:
        (void)fuzz_next(in, &a);
        vs_boot_server_rank_exited(server, a % job_size);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input_t in = {.data = data, .left = size};
    int clients[FUZZ_CLIENTS_MAX];
    vs_boot_server_t *server;
    unsigned job_size, count, i;
    uint8_t byte;

    if (!fuzz_next(&in, &byte)) {
        return 0;
    }
    job_size = 1 + byte % 4;
    if (!fuzz_next(&in, &byte)) {
        return 0;
    }
    count = 1 + byte % FUZZ_CLIENTS_MAX;
    if (vs_boot_server_create(job_size, &server) != VERVE_OK) {
        abort();
    }
    for (i = 0; i < count; ++i) {
        clients[i] = -1;
    }
    while (fuzz_next(&in, &byte)) {
        fuzz_step(server, job_size, clients, count, byte, &in);
        fuzz_progress(server, clients, count);
    }
    for (i = 0; i < count; ++i) {
        if (clients[i] >= 0) {
            close(clients[i]);
        }
    }
    fuzz_progress(server, clients, 0);
    vs_boot_server_destroy(server);
    return 0;
}
