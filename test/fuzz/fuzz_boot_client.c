/*
 * Fuzz target for the rank's side of the bootstrap protocol
 * (boot_builtin.c): what comes back from verve_run's server, or from
 * whatever answers on its socket, to a rank's allgathers: the reply
 * header (magic, op, FAIL and its status, the total length) and the
 * bytes after it. fuzz_boot_server.c covers the server's side.
 *
 * Input: byte 0: job size - 1 (mod 4); byte 1: bytes each rank gives
 * (mod 64); the rest is the server's stream, after which it closes. The
 * rank runs allgathers while they succeed (three at most), so replies to
 * later rounds, and a FAIL after a success, are read too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/boot/boot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct verve_boot boot;
    size_t length, written = 0;
    uint8_t *in, *out;
    ssize_t n;
    int sv[2], round;

    if (size < 2) {
        return 0;
    }
    memset(&boot, 0, sizeof(boot));
    boot.ops = &vs_boot_builtin_ops;
    boot.size = 1 + data[0] % 4;
    boot.timeout = 10.0;
    boot.failed = VERVE_OK;
    length = data[1] % 64;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        abort();
    }
    /* The whole answer first, then the close: a short one ends in EOF,
     * never in the wait for more. */
    while (written < size - 2) {
        n = send(sv[1], data + 2 + written, size - 2 - written,
                 MSG_NOSIGNAL);
        if (n <= 0) {
            abort();
        }
        written += (size_t)n;
    }
    shutdown(sv[1], SHUT_WR);
    boot.fd = sv[0];
    in = calloc(1, length ? length : 1);
    out = malloc(length * (size_t)boot.size + 1);
    if (in == NULL || out == NULL) {
        abort();
    }
    for (round = 0; round < 3; ++round) {
        if (boot.ops->allgather(&boot, in, length, out) != VERVE_OK) {
            break;
        }
    }
    free(out);
    free(in);
    close(sv[0]);
    close(sv[1]);
    return 0;
}
