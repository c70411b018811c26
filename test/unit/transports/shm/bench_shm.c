/*
 * Micro-benchmark of the shm transport between two processes (not a test):
 * ping-pong of 8-byte am_short (half round trip), one-way streaming rate
 * of 8-byte am_short, 8 KiB am_bcopy bandwidth and 1 MiB get_zcopy
 * bandwidth.
 */
#include <time.h>
#include "shm_test_util.h"

#define PING_ITERS 200000
#define PING_WARMUP 10000
#define STREAM_MSGS 20000000
#define BCOPY_SIZE 8192
#define BCOPY_MSGS 500000
#define GET_SIZE (1 << 20)
#define GET_ITERS 2000

static volatile uint64_t bench_received;

static void bench_handler(void *arg, void *data, size_t length, uint64_t uid)
{
    (void)arg, (void)data, (void)length, (void)uid;
    ++bench_received;
}

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void bench_send(vt_iface_t *iface, vt_ep_t *ep, const uint64_t *v)
{
    while (ep->iface->ops->ep_am_short(ep, 1, v, 8, NULL, 0) ==
           VERVE_ERR_NO_RESOURCE) {
        iface->ops->iface_progress(iface);
    }
}

static size_t bench_pack(void *dest, void *arg)
{
    memcpy(dest, arg, BCOPY_SIZE);
    return BCOPY_SIZE;
}

static void bench_wait(vt_iface_t *iface, uint64_t count)
{
    while (bench_received < count) {
        iface->ops->iface_progress(iface);
    }
}

int main(void)
{
    shm_peer_t peer;
    int child = shm_fork(&peer);
    vt_iface_t *iface = shm_iface_open(child ? 2 : 1, bench_handler, NULL,
                                       -1);
    vt_ep_t *ep = shm_connect(iface, &peer);
    uint64_t v = 0, i;
    double t0 = 0, t1;

    /* Ping-pong: the parent sends first, each side answers. */
    for (i = 0; i < PING_WARMUP + PING_ITERS; ++i) {
        if (i == PING_WARMUP) {
            t0 = bench_now();
        }
        if (!child) {
            bench_send(iface, ep, &v);
            bench_wait(iface, i + 1);
        } else {
            bench_wait(iface, i + 1);
            bench_send(iface, ep, &v);
        }
    }
    t1 = bench_now();
    if (!child) {
        printf("am_short 8 B ping-pong: %.3f us half round trip\n",
               (t1 - t0) * 1e6 / PING_ITERS / 2);
    }

    /* Streaming: the child sends, the parent receives. */
    bench_received = 0;
    shm_write_u64(&peer, 0);
    shm_read_u64(&peer);
    t0 = bench_now();
    if (child) {
        for (i = 0; i < STREAM_MSGS; ++i) {
            bench_send(iface, ep, &i);
        }
    } else {
        bench_wait(iface, STREAM_MSGS);
        t1 = bench_now();
        printf("am_short 8 B streaming: %.2f M msg/s\n",
               STREAM_MSGS / (t1 - t0) / 1e6);
    }

    /* bcopy bandwidth: the child sends 8 KiB messages. */
    bench_received = 0;
    shm_write_u64(&peer, 0);
    shm_read_u64(&peer);
    t0 = bench_now();
    if (child) {
        static char payload[BCOPY_SIZE];
        for (i = 0; i < BCOPY_MSGS; ++i) {
            while (ep->iface->ops->ep_am_bcopy(ep, 1, bench_pack, payload) ==
                   VERVE_ERR_NO_RESOURCE) {
                iface->ops->iface_progress(iface);
            }
        }
    } else {
        bench_wait(iface, BCOPY_MSGS);
        t1 = bench_now();
        printf("am_bcopy 8 KiB streaming: %.2f GB/s\n",
               (double)BCOPY_SIZE * BCOPY_MSGS / (t1 - t0) / 1e9);
    }

    /* get_zcopy bandwidth: the parent reads the child's buffer. */
    if (child) {
        char *buf = malloc(GET_SIZE);
        memset(buf, 1, GET_SIZE);
        shm_write_u64(&peer, (uintptr_t)buf);
        shm_read_u64(&peer);
        _exit(0);
    } else {
        vt_remote_buffer_t remote = {shm_read_u64(&peer), GET_SIZE, NULL};
        char *buf = malloc(GET_SIZE);
        memset(buf, 0, GET_SIZE);
        t0 = bench_now();
        for (i = 0; i < GET_ITERS; ++i) {
            if (ep->iface->ops->ep_get_zcopy(ep, buf, GET_SIZE, &remote,
                                             NULL) != VERVE_OK) {
                return 1;
            }
        }
        t1 = bench_now();
        printf("get_zcopy 1 MiB: %.2f GB/s\n",
               (double)GET_SIZE * GET_ITERS / (t1 - t0) / 1e9);
        shm_write_u64(&peer, 0);
        return shm_join(&peer);
    }
}
