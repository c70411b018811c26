/* Socket helpers and header checks shared by the bootstrap client and
 * server. */
#include "verve_config.h"
#include "boot_wire.h"

#include "core/base/log.h"
#include "core/base/time.h"
#include <errno.h>
#include <poll.h>
#include <string.h>

int vs_boot_wire_check_request(const vs_boot_wire_hdr_t *hdr, unsigned size)
{
    if (hdr->magic != VS_BOOT_WIRE_MAGIC) {
        return 0;
    }

    switch (hdr->op) {
    case VS_BOOT_WIRE_HELLO:
    case VS_BOOT_WIRE_BYE:
        return hdr->length == 0;
    case VS_BOOT_WIRE_ALLGATHER:
        /* Divide rather than multiply: size * length may overflow. */
        return (size > 0) && (hdr->length <= VS_BOOT_WIRE_MAX_TOTAL / size);
    default:
        return 0;
    }
}

verve_status_t vs_boot_wire_sockaddr(const char *address,
                                     struct sockaddr_un *sa,
                                     socklen_t *len_p)
{
    size_t length = strlen(address);

    if ((length == 0) || (length >= sizeof(sa->sun_path))) {
        vs_error("boot: socket address '%s' is %s", address,
                 (length == 0) ? "empty" : "too long for a unix socket");
        return VERVE_ERR_INVALID_PARAM;
    }

    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, address, length);
    if (address[0] == '@') {
        /* Abstract namespace: nothing on disk to clean up if the launcher
         * is killed. The name is exactly `length` bytes, no terminator. */
        sa->sun_path[0] = '\0';
        *len_p = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + length);
    } else {
        *len_p = (socklen_t)sizeof(*sa);
    }
    return VERVE_OK;
}

/* Waits for `events` on fd until the absolute deadline (0: none). */
static verve_status_t vs_boot_wire_wait(int fd, short events,
                                        uint64_t deadline_ns)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    int timeout_ms = -1;
    int ret;

    for (;;) {
        if (deadline_ns != 0) {
            uint64_t now = vs_time_ns();
            if (now >= deadline_ns) {
                return VERVE_ERR_TIMED_OUT;
            }
            timeout_ms = (int)((deadline_ns - now + 999999) / 1000000);
        }
        ret = poll(&pfd, 1, timeout_ms);
        if (ret > 0) {
            return VERVE_OK;
        }
        if ((ret < 0) && (errno != EINTR)) {
            vs_error("boot: poll on socket %d failed: %s", fd,
                     strerror(errno));
            return VERVE_ERR_IO;
        }
    }
}

static uint64_t vs_boot_wire_deadline(double timeout)
{
    return (timeout > 0) ? vs_time_ns() + (uint64_t)(timeout * 1e9) : 0;
}

verve_status_t vs_boot_wire_send(int fd, const void *buffer, size_t length,
                                 double timeout)
{
    uint64_t deadline = vs_boot_wire_deadline(timeout);
    const char *p = buffer;
    verve_status_t status;
    ssize_t ret;

    while (length > 0) {
        ret = send(fd, p, length, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (ret > 0) {
            p += ret;
            length -= (size_t)ret;
            continue;
        }
        if ((errno == EAGAIN) || (errno == EWOULDBLOCK)) {
            status = vs_boot_wire_wait(fd, POLLOUT, deadline);
            if (status != VERVE_OK) {
                return status;
            }
        } else if (errno == EPIPE || errno == ECONNRESET) {
            return VERVE_ERR_PEER_FAILED;
        } else if (errno != EINTR) {
            vs_error("boot: send of %zu bytes on socket %d failed: %s",
                     length, fd, strerror(errno));
            return VERVE_ERR_IO;
        }
    }
    return VERVE_OK;
}

verve_status_t vs_boot_wire_recv(int fd, void *buffer, size_t length,
                                 double timeout)
{
    uint64_t deadline = vs_boot_wire_deadline(timeout);
    char *p = buffer;
    verve_status_t status;
    ssize_t ret;

    while (length > 0) {
        ret = recv(fd, p, length, MSG_DONTWAIT);
        if (ret > 0) {
            p += ret;
            length -= (size_t)ret;
            continue;
        }
        if (ret == 0) {
            return VERVE_ERR_PEER_FAILED;
        }
        if ((errno == EAGAIN) || (errno == EWOULDBLOCK)) {
            status = vs_boot_wire_wait(fd, POLLIN, deadline);
            if (status != VERVE_OK) {
                return status;
            }
        } else if (errno == ECONNRESET) {
            return VERVE_ERR_PEER_FAILED;
        } else if (errno != EINTR) {
            vs_error("boot: recv of %zu bytes on socket %d failed: %s",
                     length, fd, strerror(errno));
            return VERVE_ERR_IO;
        }
    }
    return VERVE_OK;
}
