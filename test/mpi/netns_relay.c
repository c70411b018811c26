/*
 * netns_relay NETNS PORT: lets a process in network namespace NETNS
 * reach mpirun's PMIx server, which listens on 127.0.0.1:PORT in the
 * namespace mpirun runs in. PMIx 4 (Debian 12's) has no Unix-socket
 * transport: a rank finds its server at "tcp4://127.0.0.1:PORT" in
 * PMIX_SERVER_URI*, and every network namespace has a loopback of its
 * own, so a rank started with `ip netns exec` fails in MPI_Init.
 *
 * The relay opens a listening socket on 127.0.0.1:PORT inside NETNS
 * (/run/netns/NETNS, or a path) and connects each client it accepts to
 * 127.0.0.1:PORT in the namespace it was started in: a socket stays in
 * the namespace it was created in, so one process holds both ends.
 * It exits 0 once it listens, serving from a process of its own that ends
 * when its last connection closes, or when none came within 60 s; it
 * also exits 0 when another relay already listens there (two ranks in
 * one namespace share it). The child prints "netns_relay: pid P relays
 * ..." so that a test can stop it by its id. Exit status 1 and a
 * message on errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PAIRS 32
#define IDLE_MS 60000

typedef struct {
    int client; /* accepted in the target namespace */
    int server; /* connected in the origin namespace */
} relay_pair_t;

static struct sockaddr_in loopback(unsigned port)
{
    struct sockaddr_in addr;

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

/* The listening socket, made inside the namespace at `path`; the
 * calling thread is back in `origin` on return. -1 on errors, -2 when
 * the port is taken there. */
static int listen_in(const char *path, int origin, unsigned port)
{
    struct sockaddr_in addr = loopback(port);
    int target, fd, one = 1, err;

    target = open(path, O_RDONLY | O_CLOEXEC);
    if (target < 0) {
        fprintf(stderr, "netns_relay: open %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (setns(target, CLONE_NEWNET) < 0) {
        fprintf(stderr, "netns_relay: setns %s: %s\n", path, strerror(errno));
        close(target);
        return -1;
    }
    close(target);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    err = errno;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
            listen(fd, 16) < 0) {
            err = errno;
            close(fd);
            fd = (err == EADDRINUSE) ? -2 : -1;
        }
    }
    if (setns(origin, CLONE_NEWNET) < 0) {
        fprintf(stderr, "netns_relay: setns back: %s\n", strerror(errno));
        exit(1);
    }
    if (fd == -1) {
        fprintf(stderr, "netns_relay: listening on 127.0.0.1:%u in %s: %s\n",
                port, path, strerror(err));
    }
    return fd;
}

static int connect_origin(unsigned port)
{
    struct sockaddr_in addr = loopback(port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fprintf(stderr, "netns_relay: connecting to 127.0.0.1:%u: %s\n",
                port, strerror(errno));
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Copies what `from` has to `to`; 0 when the stream goes on. PMIx's
 * ends never block on their writes (libevent), so a blocking write here
 * always drains. */
static int forward(int from, int to)
{
    char buffer[65536];
    ssize_t got = read(from, buffer, sizeof(buffer)), done = 0;

    if (got <= 0) {
        return -1;
    }
    while (done < got) {
        ssize_t sent = write(to, buffer + done, (size_t)(got - done));
        if (sent < 0) {
            return -1;
        }
        done += sent;
    }
    return 0;
}

static void serve(int listener, unsigned port)
{
    relay_pair_t pairs[MAX_PAIRS];
    struct pollfd fds[1 + 2 * MAX_PAIRS];
    int num_pairs = 0, served = 0, i;

    for (;;) {
        int ready;

        fds[0].fd = (num_pairs < MAX_PAIRS) ? listener : -1;
        fds[0].events = POLLIN;
        for (i = 0; i < num_pairs; ++i) {
            fds[1 + 2 * i].fd = pairs[i].client;
            fds[2 + 2 * i].fd = pairs[i].server;
            fds[1 + 2 * i].events = fds[2 + 2 * i].events = POLLIN;
        }
        ready = poll(fds, (nfds_t)(1 + 2 * num_pairs), IDLE_MS);
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready < 0) {
            fprintf(stderr, "netns_relay: poll: %s\n", strerror(errno));
            exit(1);
        }
        if (ready == 0 && num_pairs == 0) {
            exit(0);
        }
        for (i = num_pairs - 1; i >= 0; --i) {
            short in = fds[1 + 2 * i].revents, out = fds[2 + 2 * i].revents;
            if ((in && forward(pairs[i].client, pairs[i].server) < 0) ||
                (out && forward(pairs[i].server, pairs[i].client) < 0)) {
                close(pairs[i].client);
                close(pairs[i].server);
                pairs[i] = pairs[--num_pairs];
            }
        }
        if (fds[0].fd >= 0 && (fds[0].revents & POLLIN)) {
            int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
            int server = (client >= 0) ? connect_origin(port) : -1;
            if (server >= 0) {
                pairs[num_pairs].client = client;
                pairs[num_pairs].server = server;
                ++num_pairs;
                ++served;
            } else if (client >= 0) {
                close(client);
            }
        }
        if (served > 0 && num_pairs == 0) {
            exit(0);
        }
    }
}

int main(int argc, char **argv)
{
    char path[4096];
    unsigned long port;
    char *end;
    int origin, listener;
    pid_t pid;

    if (argc != 3) {
        fprintf(stderr, "usage: netns_relay NETNS PORT\n");
        return 1;
    }
    port = strtoul(argv[2], &end, 10);
    if (*end != '\0' || port == 0 || port > 65535) {
        fprintf(stderr, "netns_relay: bad port '%s'\n", argv[2]);
        return 1;
    }
    snprintf(path, sizeof(path), "%s%s",
             strchr(argv[1], '/') ? "" : "/run/netns/", argv[1]);
    origin = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (origin < 0) {
        fprintf(stderr, "netns_relay: open /proc/self/ns/net: %s\n",
                strerror(errno));
        return 1;
    }
    listener = listen_in(path, origin, (unsigned)port);
    if (listener == -2) {
        printf("netns_relay: 127.0.0.1:%lu in %s has a relay already\n",
               port, argv[1]);
        return 0;
    }
    if (listener < 0) {
        return 1;
    }
    /* Twice, so that the relay is nobody's child: the caller goes on to
     * exec the MPI program, which should not inherit it. */
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "netns_relay: fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid > 0) {
        int status = 1;
        waitpid(pid, &status, 0);
        return (WIFEXITED(status) && WEXITSTATUS(status) == 0) ? 0 : 1;
    }
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "netns_relay: fork: %s\n", strerror(errno));
        _exit(1);
    }
    if (pid > 0) {
        _exit(0);
    }
    printf("netns_relay: pid %ld relays 127.0.0.1:%lu in %s to the "
           "origin namespace\n", (long)getpid(), port, argv[1]);
    fflush(stdout);
    serve(listener, (unsigned)port);
    return 0;
}
