/* TCP transport: which interface to use, and socket setup. */
#include "tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/base/log.h"

/* The IPv4 address of interface `name` when it is up, else 0. */
static int vt_tcp_sock_if_addr(const struct ifaddrs *list, const char *name,
                               size_t name_length, struct in_addr *addr)
{
    const struct ifaddrs *ifa;

    for (ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
        if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET ||
            !(ifa->ifa_flags & IFF_UP) ||
            strlen(ifa->ifa_name) != name_length ||
            strncmp(ifa->ifa_name, name, name_length) != 0) {
            continue;
        }
        *addr = ((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
        return 1;
    }
    return 0;
}

/* The first up IPv4 interface, loopback or not as asked. */
static const struct ifaddrs *vt_tcp_sock_first_if(const struct ifaddrs *list,
                                                  int loopback)
{
    const struct ifaddrs *ifa;

    for (ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
        if (ifa->ifa_addr != NULL && ifa->ifa_addr->sa_family == AF_INET &&
            (ifa->ifa_flags & IFF_UP) &&
            !!(ifa->ifa_flags & IFF_LOOPBACK) == loopback) {
            return ifa;
        }
    }
    return NULL;
}

verve_status_t vt_tcp_sock_find_if(const char *names, struct in_addr *addr,
                                   char *name_out, size_t name_max)
{
    const struct ifaddrs *found;
    struct ifaddrs *list;
    const char *p = names;
    size_t item;

    if (getifaddrs(&list) < 0) {
        vs_error("tcp: getifaddrs failed: %s", strerror(errno));
        return VERVE_ERR_IO;
    }
    if (names[0] == '\0') {
        found = vt_tcp_sock_first_if(list, 0);
        if (found == NULL) {
            found = vt_tcp_sock_first_if(list, 1);
        }
        if (found == NULL) {
            vs_error("tcp: no network interface is up with an IPv4 "
                     "address");
            freeifaddrs(list);
            return VERVE_ERR_UNREACHABLE;
        }
        *addr = ((const struct sockaddr_in *)found->ifa_addr)->sin_addr;
        snprintf(name_out, name_max, "%s", found->ifa_name);
        freeifaddrs(list);
        return VERVE_OK;
    }
    /* The first name of the list that is up with an IPv4 address. */
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        item = end ? (size_t)(end - p) : strlen(p);
        if (item > 0 && vt_tcp_sock_if_addr(list, p, item, addr)) {
            snprintf(name_out, name_max, "%.*s", (int)item, p);
            freeifaddrs(list);
            return VERVE_OK;
        }
        p += item + (end != NULL);
    }
    freeifaddrs(list);
    vs_error("tcp: VERVE_TCP_IF='%s': none of these interfaces is up with "
             "an IPv4 address (see 'ip -4 addr')", names);
    return VERVE_ERR_UNREACHABLE;
}

verve_status_t vt_tcp_sock_parse_ports(const char *range, unsigned *low_p,
                                       unsigned *high_p)
{
    unsigned long low, high;
    char *end;

    errno = 0;
    low = strtoul(range, &end, 10);
    if (end == range) {
        goto err;
    }
    if (*end == '\0') {
        high = low;
    } else if (*end == '-') {
        const char *start = end + 1;
        high = strtoul(start, &end, 10);
        if (end == start || *end != '\0') {
            goto err;
        }
    } else {
        goto err;
    }
    if (errno != 0 || high > 65535 || low > high || (low == 0 && high)) {
        goto err;
    }
    *low_p = (unsigned)low;
    *high_p = (unsigned)high;
    return VERVE_OK;

err:
    vs_error("tcp: invalid value '%s' for VERVE_TCP_PORT_RANGE: expected 0 "
             "(any free port) or LOW-HIGH with 1 <= LOW <= HIGH <= 65535",
             range);
    return VERVE_ERR_INVALID_CONFIG;
}

void vt_tcp_sock_tune(int fd, size_t sndbuf, size_t rcvbuf)
{
    int one = 1, value;

    /* Latency first: a short message leaves at once. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (sndbuf > 0) {
        value = (int)vs_min(sndbuf, (size_t)INT32_MAX / 2);
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &value, sizeof(value));
    }
    if (rcvbuf > 0) {
        value = (int)vs_min(rcvbuf, (size_t)INT32_MAX / 2);
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, sizeof(value));
    }
}

verve_status_t vt_tcp_sock_listen(const struct in_addr *addr, unsigned low,
                                  unsigned high, int *fd_p,
                                  struct sockaddr_in *bound)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    char text[INET_ADDRSTRLEN];
    unsigned port;
    int fd, err = 0;

    inet_ntop(AF_INET, addr, text, sizeof(text));
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        vs_error("tcp: socket(AF_INET) for a listener on %s failed: %s",
                 text, strerror(errno));
        return VERVE_ERR_IO;
    }
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr = *addr;
    for (port = low; port <= high; ++port) {
        sin.sin_port = htons((uint16_t)port);
        err = (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) ? 0
                                                                     : errno;
        if (err != EADDRINUSE) {
            break;
        }
    }
    if (err != 0) {
        vs_error("tcp: bind to %s port %u..%u failed: %s", text, low, high,
                 strerror(err));
        goto err_close;
    }
    if (listen(fd, SOMAXCONN) < 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
        vs_error("tcp: listen on %s failed: %s", text, strerror(errno));
        goto err_close;
    }
    *fd_p = fd;
    *bound = sin;
    return VERVE_OK;

err_close:
    close(fd);
    return VERVE_ERR_IO;
}
