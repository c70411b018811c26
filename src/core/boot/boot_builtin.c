/*
 * Client of verve_run's bootstrap server: one unix stream socket per rank,
 * one blocking request/reply per collective.
 */
#include "verve_config.h"
#include "boot.h"
#include "boot_wire.h"

#include "core/base/log.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Reads a FAIL the server sent in place of a reply and makes it sticky, so
 * every later collective fails at once instead of waiting for a reply that
 * will never come. */
static verve_status_t vs_boot_builtin_fail(verve_boot_h boot,
                                           const vs_boot_wire_hdr_t *hdr,
                                           const char *operation)
{
    boot->failed = (hdr->status < 0) ? (verve_status_t)hdr->status :
                   VERVE_ERR_PEER_FAILED;
    vs_error("boot: rank %d: %s failed: rank %u of the job failed (%s)",
             boot->rank, operation, hdr->rank,
             verve_status_string(boot->failed));
    return boot->failed;
}

static verve_status_t vs_boot_builtin_lost(verve_boot_h boot,
                                           verve_status_t status,
                                           const char *operation)
{
    boot->failed = status;
    if (status == VERVE_ERR_TIMED_OUT) {
        vs_error("boot: rank %d: %s: no answer from verve_run's server "
                 "within %g s (VERVE_RUN_TIMEOUT)", boot->rank, operation,
                 boot->timeout);
    } else {
        vs_error("boot: rank %d: %s with verve_run's server failed: %s",
                 boot->rank, operation,
                 (status == VERVE_ERR_PEER_FAILED) ? "connection closed" :
                 verve_status_string(status));
    }
    return status;
}

static verve_status_t vs_boot_builtin_init(verve_boot_h boot,
                                           const vs_boot_config_t *config)
{
    vs_boot_wire_hdr_t hdr;
    struct sockaddr_un sa;
    verve_status_t status;
    socklen_t sa_len;
    int fd;

    if (config->addr[0] == '\0') {
        return VERVE_ERR_UNSUPPORTED;
    }

    if ((config->size == 0) || (config->rank >= config->size) ||
        (config->local_size == 0) ||
        (config->local_rank >= config->local_size)) {
        vs_error("boot: VERVE_RUN_RANK=%u VERVE_RUN_SIZE=%u "
                 "VERVE_RUN_LOCAL_RANK=%u VERVE_RUN_LOCAL_SIZE=%u do not "
                 "describe a rank of a job (need rank < size, size >= 1)",
                 config->rank, config->size, config->local_rank,
                 config->local_size);
        return VERVE_ERR_INVALID_CONFIG;
    }

    status = vs_boot_wire_sockaddr(config->addr, &sa, &sa_len);
    if (status != VERVE_OK) {
        return VERVE_ERR_INVALID_CONFIG;
    }

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        vs_error("boot: rank %u: socket(AF_UNIX) failed: %s", config->rank,
                 strerror(errno));
        return VERVE_ERR_IO;
    }

    if (connect(fd, (struct sockaddr *)&sa, sa_len) < 0) {
        vs_error("boot: rank %u: connect to verve_run at '%s' failed: %s",
                 config->rank, config->addr, strerror(errno));
        status = VERVE_ERR_UNREACHABLE;
        goto err_close;
    }

    boot->rank = (int)config->rank;
    boot->size = (int)config->size;
    boot->local_rank = (int)config->local_rank;
    boot->local_size = (int)config->local_size;
    boot->timeout = config->timeout;
    boot->fd = fd;

    memset(&hdr, 0, sizeof(hdr));
    hdr.magic = VS_BOOT_WIRE_MAGIC;
    hdr.op = VS_BOOT_WIRE_HELLO;
    hdr.rank = config->rank;
    hdr.size = config->size;
    status = vs_boot_wire_send(fd, &hdr, sizeof(hdr), boot->timeout);
    if (status == VERVE_OK) {
        status = vs_boot_wire_recv(fd, &hdr, sizeof(hdr), boot->timeout);
    }
    if (status != VERVE_OK) {
        vs_boot_builtin_lost(boot, status, "hello");
        goto err_close;
    }
    if ((hdr.magic != VS_BOOT_WIRE_MAGIC) || (hdr.length != 0)) {
        vs_error("boot: rank %u: malformed hello reply from verve_run "
                 "(magic 0x%x op %u)", config->rank, hdr.magic, hdr.op);
        status = VERVE_ERR_IO;
        goto err_close;
    }
    if (hdr.op == VS_BOOT_WIRE_FAIL) {
        status = vs_boot_builtin_fail(boot, &hdr, "hello");
        goto err_close;
    }
    if (hdr.op != VS_BOOT_WIRE_HELLO_ACK) {
        vs_error("boot: rank %u: unexpected reply %u to hello",
                 config->rank, hdr.op);
        status = VERVE_ERR_IO;
        goto err_close;
    }
    return VERVE_OK;

err_close:
    close(fd);
    boot->fd = -1;
    return status;
}

static void vs_boot_builtin_finalize(verve_boot_h boot)
{
    vs_boot_wire_hdr_t hdr;

    /* BYE tells the server that the close which follows is not a death.
     * After a failure the server listens no more; closing is enough. */
    if (boot->failed == VERVE_OK) {
        memset(&hdr, 0, sizeof(hdr));
        hdr.magic = VS_BOOT_WIRE_MAGIC;
        hdr.op = VS_BOOT_WIRE_BYE;
        hdr.rank = (uint32_t)boot->rank;
        (void)vs_boot_wire_send(boot->fd, &hdr, sizeof(hdr), boot->timeout);
    }
    close(boot->fd);
    boot->fd = -1;
}

static verve_status_t vs_boot_builtin_allgather(verve_boot_h boot,
                                                const void *in,
                                                size_t length, void *out)
{
    size_t total = length * (size_t)boot->size;
    vs_boot_wire_hdr_t hdr;
    verve_status_t status;

    if (boot->failed != VERVE_OK) {
        return boot->failed;
    }
    if (length > VS_BOOT_WIRE_MAX_TOTAL / (size_t)boot->size) {
        vs_error("boot: rank %d: allgather of %zu bytes per rank exceeds "
                 "%llu bytes in all", boot->rank, length,
                 (unsigned long long)VS_BOOT_WIRE_MAX_TOTAL);
        return VERVE_ERR_INVALID_PARAM;
    }

    memset(&hdr, 0, sizeof(hdr));
    hdr.magic = VS_BOOT_WIRE_MAGIC;
    hdr.op = VS_BOOT_WIRE_ALLGATHER;
    hdr.rank = (uint32_t)boot->rank;
    hdr.length = length;
    status = vs_boot_wire_send(boot->fd, &hdr, sizeof(hdr), boot->timeout);
    if ((status == VERVE_OK) && (length > 0)) {
        status = vs_boot_wire_send(boot->fd, in, length, boot->timeout);
    }
    if (status == VERVE_OK) {
        status = vs_boot_wire_recv(boot->fd, &hdr, sizeof(hdr),
                                   boot->timeout);
    }
    if (status != VERVE_OK) {
        return vs_boot_builtin_lost(boot, status, "allgather");
    }

    if ((hdr.magic == VS_BOOT_WIRE_MAGIC) && (hdr.op == VS_BOOT_WIRE_FAIL)) {
        return vs_boot_builtin_fail(boot, &hdr, "allgather");
    }
    if ((hdr.magic != VS_BOOT_WIRE_MAGIC) ||
        (hdr.op != VS_BOOT_WIRE_ALLGATHER_REPLY) || (hdr.length != total)) {
        vs_error("boot: rank %d: allgather of %zu bytes got a malformed "
                 "reply (magic 0x%x op %u length %llu, expected %zu)",
                 boot->rank, length, hdr.magic, hdr.op,
                 (unsigned long long)hdr.length, total);
        boot->failed = VERVE_ERR_IO;
        return VERVE_ERR_IO;
    }

    if (total > 0) {
        status = vs_boot_wire_recv(boot->fd, out, total, boot->timeout);
        if (status != VERVE_OK) {
            return vs_boot_builtin_lost(boot, status, "allgather");
        }
    }
    return VERVE_OK;
}

const vs_boot_backend_ops_t vs_boot_builtin_ops = {
    .name = "builtin",
    .init = vs_boot_builtin_init,
    .finalize = vs_boot_builtin_finalize,
    .allgather = vs_boot_builtin_allgather,
    .put = vs_boot_kvs_op_put,
    .fence = vs_boot_kvs_op_fence,
    .get = vs_boot_kvs_op_get,
};
