/*
 * The ud transport between two processes on two devices, for the SoftRoCE
 * guest, where a netem qdisc can make the path lossy:
 *
 *   contrib/softroce-vm/vm-run 'ip netns exec a tc qdisc add dev v0 root \
 *       netem loss 10% duplicate 2% reorder 10% delay 1ms; \
 *       build/test/unit/transports/verbs/ud_pair [fail|busy|mute|flushack]'
 *
 * The parent runs in network namespace a on rxe0, the child in b on rxe1
 * (when those namespaces exist). Both send COUNT checked messages of every
 * size and flush. With "fail", the child exits once it has received half,
 * and the parent must see the peer fail within VERVE_UD_TIMEOUT (2 s
 * here), after which sends fail at once. With "busy", the child stops
 * progressing for three timeouts once it has received half (a long
 * computation), then goes on: its keepalive thread (every 0.5 s unless
 * VERVE_UD_KEEPALIVE says otherwise) keeps the parent from failing it,
 * and everything arrives. With "mute", every datagram the child sends
 * first is lost and the child then blocks without progress: its keepalive
 * thread must resend, so that the parent gets every message within 20 s.
 * With "flushack", the child flushes after one message and then stops
 * progressing (no keepalive thread): the parent's flush must succeed.
 * Not in TESTS: it needs the guest.
 * Exit status 0 pass, 1 fail, 77 no device.
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/base/time.h"
#include "transports/verbs/ud.h"

#define AM_ID 5
#define COUNT 2000
#define LIMIT_NS (120ull * 1000000000ull)

static uint64_t num_received;
static uint64_t num_bad;
static uint64_t peer_uid;
static size_t max_length;

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "ud_pair %d: check failed at line %d: %s\n", \
                    (int)getpid(), __LINE__, #cond); \
            exit(1); \
        } \
    } while (0)

static size_t msg_length(uint64_t k)
{
    return (size_t)((k * 2654435761u) % (max_length + 1));
}

static uint8_t msg_byte(uint64_t k, size_t i)
{
    return (uint8_t)(k * 131 + i * 7 + (i >> 9));
}

static void am_handler(void *arg, void *data, size_t length,
                       uint64_t src_uid)
{
    uint64_t k = num_received++;
    const uint8_t *bytes = data;

    (void)arg;
    if ((src_uid != peer_uid) || (length != msg_length(k))) {
        ++num_bad;
        return;
    }
    for (size_t i = 0; i < length; ++i) {
        if (bytes[i] != msg_byte(k, i)) {
            ++num_bad;
            return;
        }
    }
}

static void enter_netns(const char *name)
{
    char path[64];
    int fd;

    snprintf(path, sizeof(path), "/var/run/netns/%s", name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        CHECK(setns(fd, CLONE_NEWNET) == 0);
        close(fd);
    }
}

static int pipe_ready(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    return poll(&pfd, 1, 0) > 0;
}

/* Sends what the window takes; returns the number sent so far. */
static uint64_t send_some(vt_ep_t *ep, uint64_t sent, uint64_t count,
                          uint8_t *buffer)
{
    while (sent < count) {
        size_t length = msg_length(sent);
        verve_status_t status;

        for (size_t i = 0; i < length; ++i) {
            buffer[i] = msg_byte(sent, i);
        }
        status = ep->iface->ops->ep_am_short(ep, AM_ID, NULL, 0, buffer,
                                             length);
        if (status == VERVE_ERR_NO_RESOURCE) {
            break;
        }
        if (status != VERVE_OK) {
            /* Named, so that ud_engine.sh can tell the failure it expects
             * (the peer declared failed) from any other. */
            fprintf(stderr, "ud_pair %d: send of message %llu: %s\n",
                    (int)getpid(), (unsigned long long)sent,
                    verve_status_string(status));
            exit(1);
        }
        ++sent;
    }
    return sent;
}

enum { MODE_PLAIN, MODE_FAIL, MODE_BUSY, MODE_MUTE, MODE_FLUSHACK };

/* MODE_MUTE: the network loses every datagram the child sends at first. */
static verve_status_t drop_tx(void *arg, void *peer_arg,
                              const void *datagram, size_t length)
{
    (void)arg, (void)peer_arg, (void)datagram, (void)length;
    return VERVE_OK;
}

#define MUTE_LIMIT_NS (20ull * 1000000000ull)

/* The child's messages are all lost, and it stops progressing once its
 * sends completed (blocked, as in a bootstrap barrier): its keepalive
 * thread must resend them, or the parent waits forever. */
static int run_mute(int index, vt_iface_t *iface, vt_ep_t *ep, int to_peer,
                    int from_peer, uint8_t *buffer)
{
    vt_ud_iface_t *ud = vs_container_of(iface, vt_ud_iface_t, super);
    uint64_t count = 0, start = vs_time_ns();
    char done = 1;

    if (index == 1) {
        vt_ud_rel_tx_cb_t tx = ud->rel.params.tx;

        ud->rel.params.tx = drop_tx;
        count = send_some(ep, 0, 32, buffer);
        ud->rel.params.tx = tx;
        CHECK(count > 0);
        CHECK(write(to_peer, &count, sizeof(count)) == sizeof(count));
        CHECK(read(from_peer, &done, 1) == 1);
        printf("side 1: %llu messages lost, then no progress; the "
               "keepalive thread resent %llu datagrams\n",
               (unsigned long long)count, (unsigned long long)ud->ka.resent);
        CHECK(ud->ka.resent > 0);
        return 0;
    }
    CHECK(read(from_peer, &count, sizeof(count)) == sizeof(count));
    while (num_received < count && vs_time_ns() - start < MUTE_LIMIT_NS) {
        iface->ops->iface_progress(iface);
    }
    printf("side 0: %llu of %llu messages from the stopped side in %.2f s\n",
           (unsigned long long)num_received, (unsigned long long)count,
           (double)(vs_time_ns() - start) * 1e-9);
    CHECK(num_received == count);
    CHECK(num_bad == 0);
    CHECK(write(to_peer, &done, 1) == 1);
    return 0;
}

/* Flushes ep, progressing until it ends (LIMIT_NS after start at most). */
static verve_status_t flush_ep(vt_iface_t *iface, vt_ep_t *ep,
                               uint64_t start)
{
    verve_status_t status;

    while ((status = ep->iface->ops->ep_flush(ep, NULL)) ==
           VERVE_INPROGRESS) {
        iface->ops->iface_progress(iface);
        CHECK(vs_time_ns() - start < LIMIT_NS);
    }
    return status;
}

/* MODE_FLUSHACK: side 0 sends one message; side 1 takes it, flushes and
 * then blocks without progress, its keepalive thread off. Side 0's flush
 * must still succeed: a flush sends the acks its side owes, or a peer
 * that flushes and then waits elsewhere (a barrier) leaves the other
 * side's flush to its keepalive thread or to the failure timeout. */
static int run_flushack(int index, vt_iface_t *iface, vt_ep_t *ep,
                        int to_peer, int from_peer, uint8_t *buffer)
{
    uint64_t start = vs_time_ns();
    verve_status_t status;
    char done = 1;

    if (index == 1) {
        while (num_received < 1) {
            iface->ops->iface_progress(iface);
            CHECK(vs_time_ns() - start < LIMIT_NS);
        }
        status = flush_ep(iface, ep, start);
        CHECK(status == VERVE_OK);
        CHECK(read(from_peer, &done, 1) == 1);
        return 0;
    }
    CHECK(send_some(ep, 0, 1, buffer) == 1);
    status = flush_ep(iface, ep, start);
    printf("side 0: flush %s after %.2f s, the peer flushed and stopped "
           "progressing\n", verve_status_string(status),
           (double)(vs_time_ns() - start) * 1e-9);
    CHECK(status == VERVE_OK);
    CHECK(write(to_peer, &done, 1) == 1);
    return 0;
}

static int run_side(int index, int to_peer, int from_peer, int mode)
{
    char device[16];
    uint8_t address[2][sizeof(vt_verbs_addr_t)];
    vt_iface_params_t params;
    vt_iface_caps_t caps;
    vt_iface_t *iface;
    vt_ep_t *ep;
    uint8_t *buffer;
    uint64_t sent = 0;
    uint64_t start;
    verve_status_t status;
    char done = 1;
    int fail_mode = (mode == MODE_FAIL);

    enter_netns(index == 0 ? "a" : "b");
    snprintf(device, sizeof(device), "rxe%d:1", index);
    setenv("VERVE_NET_DEVICES", device, 1);
    setenv("VERVE_UD_TIMEOUT", "2s", 1);
    setenv("VERVE_UD_KEEPALIVE", "0.5s", 0);
    memset(&params, 0, sizeof(params));
    params.uid = 0xab00000000000000ull + (uint64_t)index + 1;
    peer_uid = 0xab00000000000000ull + (uint64_t)!index + 1;
    params.am_handlers[AM_ID] = am_handler;
    params.epoll_fd = -1;
    status = vt_ud_iface_open(&params, &iface);
    if (status != VERVE_OK) {
        printf("SKIP: no ud interface on %s: %s\n", device,
               verve_status_string(status));
        return 77;
    }
    iface->ops->iface_query(iface, &caps);
    max_length = caps.am_short_max;
    iface->ops->iface_address(iface, address[index]);
    CHECK(write(to_peer, address[index], sizeof(address[index])) ==
          (ssize_t)sizeof(address[index]));
    CHECK(read(from_peer, address[!index], sizeof(address[!index])) ==
          (ssize_t)sizeof(address[!index]));
    CHECK(iface->ops->ep_create(iface, address[!index],
                                sizeof(address[!index]), &ep) == VERVE_OK);
    buffer = malloc(max_length);
    CHECK(buffer != NULL);
    start = vs_time_ns();
    if (mode == MODE_MUTE || mode == MODE_FLUSHACK) {
        int ret = mode == MODE_MUTE ?
                  run_mute(index, iface, ep, to_peer, from_peer, buffer) :
                  run_flushack(index, iface, ep, to_peer, from_peer, buffer);

        free(buffer);
        iface->ops->ep_destroy(ep);
        iface->ops->iface_close(iface);
        return ret;
    }

    if (mode == MODE_BUSY && index == 1) {
        /* Computes, deaf to the network, once it has heard half. */
        while (num_received < COUNT / 2) {
            sent = send_some(ep, sent, COUNT, buffer);
            iface->ops->iface_progress(iface);
            CHECK(vs_time_ns() - start < LIMIT_NS);
        }
        printf("side 1: busy for 6 s after %llu received\n",
               (unsigned long long)num_received);
        sleep(6);
    }
    if (fail_mode && index == 1) {
        /* Dies without a word once it has heard half. */
        while (num_received < COUNT / 2) {
            iface->ops->iface_progress(iface);
            CHECK(vs_time_ns() - start < LIMIT_NS);
        }
        _exit(0);
    }
    while ((num_received < COUNT || sent < COUNT) &&
           !(fail_mode && ep->iface->ops->ep_check(ep) != VERVE_OK)) {
        sent = send_some(ep, sent, COUNT, buffer);
        iface->ops->iface_progress(iface);
        CHECK(vs_time_ns() - start < LIMIT_NS);
    }
    if (fail_mode) {
        CHECK(ep->iface->ops->ep_check(ep) == VERVE_ERR_PEER_FAILED);
        CHECK(ep->iface->ops->ep_am_short(ep, AM_ID, NULL, 0, NULL, 0) ==
              VERVE_ERR_PEER_FAILED);
        CHECK(ep->iface->ops->ep_flush(ep, NULL) == VERVE_ERR_PEER_FAILED);
        printf("side %d: peer failed after %.2f s, %llu received, %llu "
               "sent\n", index, (double)(vs_time_ns() - start) * 1e-9,
               (unsigned long long)num_received, (unsigned long long)sent);
    } else {
        status = flush_ep(iface, ep, start);
        if (status != VERVE_OK) {
            fprintf(stderr, "ud_pair %d: side %d: flush: %s\n",
                    (int)getpid(), index, verve_status_string(status));
            exit(1);
        }
        CHECK(write(to_peer, &done, 1) == 1);
        /* The peer may still need our acks until it has flushed too. */
        while (!pipe_ready(from_peer)) {
            iface->ops->iface_progress(iface);
            CHECK(vs_time_ns() - start < LIMIT_NS);
        }
        printf("side %d: %llu received in %.2f s; %llu resent, %llu "
               "timeouts, %llu acks, %llu out of order\n", index,
               (unsigned long long)num_received,
               (double)(vs_time_ns() - start) * 1e-9,
               (unsigned long long)vs_container_of(iface, vt_ud_iface_t,
                                                   super)->rel.stats.tx_resend,
               (unsigned long long)vs_container_of(iface, vt_ud_iface_t,
                                                   super)->rel.stats.timeouts,
               (unsigned long long)vs_container_of(iface, vt_ud_iface_t,
                                                   super)->rel.stats.tx_ack,
               (unsigned long long)vs_container_of(iface, vt_ud_iface_t,
                                                   super)->rel.stats.rx_ooo);
        CHECK(num_received == COUNT);
        if (mode == MODE_BUSY && index == 0) {
            uint64_t busy = vs_container_of(iface, vt_ud_iface_t,
                                            super)->rel.stats.rx_busy;
            printf("side 0: %llu keepalives from the busy side\n",
                   (unsigned long long)busy);
            CHECK(busy > 0);
        }
    }
    CHECK(num_bad == 0);
    free(buffer);
    iface->ops->ep_destroy(ep);
    iface->ops->iface_close(iface);
    return 0;
}

int main(int argc, char **argv)
{
    int mode = (argc < 2) ? MODE_PLAIN :
               (strcmp(argv[1], "fail") == 0) ? MODE_FAIL :
               (strcmp(argv[1], "busy") == 0) ? MODE_BUSY :
               (strcmp(argv[1], "mute") == 0) ? MODE_MUTE :
               (strcmp(argv[1], "flushack") == 0) ? MODE_FLUSHACK : -1;
    int down[2], up[2];
    int status, ret;
    pid_t child;

    if (mode < 0) {
        fprintf(stderr, "usage: ud_pair [fail|busy|mute|flushack]\n");
        return 2;
    }
    if (mode == MODE_FLUSHACK) {
        setenv("VERVE_UD_KEEPALIVE", "0", 1);
    }
    CHECK(pipe(down) == 0 && pipe(up) == 0);
    child = fork();
    CHECK(child >= 0);
    /* Each side keeps only its own ends, so that a side that exits ends
     * the other's reads instead of leaving it blocked. */
    if (child == 0) {
        close(down[1]);
        close(up[0]);
        _exit(run_side(1, up[1], down[0], mode));
    }
    close(down[0]);
    close(up[1]);
    ret = run_side(0, down[1], up[0], mode);
    if (ret == 77) {
        kill(child, SIGKILL);
    }
    CHECK(waitpid(child, &status, 0) == child);
    if (ret == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
        fprintf(stderr, "ud_pair: the child failed (status 0x%x)\n",
                status);
        return 1;
    }
    return ret;
}
