/*
 * Whether the device really moves data right through ODP registrations,
 * checked once before the ODP path is trusted: an RDMA write and an RDMA
 * read between two ODP regions, at offsets inside their pages and across
 * packets and pages, on an RC QP connected to itself. A device can report
 * ODP and still miscopy: rxe on the 7.3 backports kernel drops the offset
 * inside a page, so every packet lands at the start of its page.
 */
#include "verbs.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "core/base/log.h"
#include "core/base/time.h"

#define VT_VERBS_PROBE_TIMEOUT_NS 5000000000ull

typedef struct vt_verbs_probe {
    vt_verbs_dev_t *dev;
    struct ibv_cq *cq;
    struct ibv_qp *qp;
    struct ibv_mr *src_mr;
    struct ibv_mr *dst_mr;
    uint8_t *src;
    uint8_t *dst;
    size_t length;           /* of each buffer */
} vt_verbs_probe_t;

static int vt_verbs_probe_connect(vt_verbs_probe_t *probe)
{
    const vt_verbs_port_t *port = &probe->dev->port;
    struct ibv_qp_attr attr;

    memset(&attr, 0, sizeof(attr));
    attr.qp_state = IBV_QPS_INIT;
    attr.port_num = port->port_num;
    attr.qp_access_flags = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;
    if (ibv_modify_qp(probe->qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
                      IBV_QP_PORT | IBV_QP_ACCESS_FLAGS) != 0) {
        return -1;
    }
    memset(&attr, 0, sizeof(attr));
    attr.qp_state = IBV_QPS_RTR;
    attr.path_mtu = port->active_mtu;
    attr.dest_qp_num = probe->qp->qp_num;
    attr.max_dest_rd_atomic = 1;
    attr.min_rnr_timer = 12;
    attr.ah_attr.port_num = port->port_num;
    attr.ah_attr.dlid = port->lid;
    if (port->link_layer == VT_VERBS_LL_ETH) {
        attr.ah_attr.is_global = 1;
        attr.ah_attr.grh.dgid = port->gid;
        attr.ah_attr.grh.sgid_index = port->gid_index;
        attr.ah_attr.grh.hop_limit = 64;
    }
    if (ibv_modify_qp(probe->qp, &attr, IBV_QP_STATE | IBV_QP_AV |
                      IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
                      IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER) !=
        0) {
        return -1;
    }
    memset(&attr, 0, sizeof(attr));
    attr.qp_state = IBV_QPS_RTS;
    attr.timeout = 14;
    attr.retry_cnt = 7;
    attr.rnr_retry = 7;
    attr.max_rd_atomic = 1;
    return ibv_modify_qp(probe->qp, &attr, IBV_QP_STATE | IBV_QP_SQ_PSN |
                         IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
                         IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC);
}

/* One RDMA op of length bytes from local+loff to remote+roff; 0 once
 * it completed well. */
static int vt_verbs_probe_op(vt_verbs_probe_t *probe, int is_read,
                             size_t loff, size_t roff, size_t length)
{
    struct ibv_mr *local = is_read ? probe->dst_mr : probe->src_mr;
    struct ibv_mr *remote = is_read ? probe->src_mr : probe->dst_mr;
    struct ibv_send_wr wr, *bad;
    struct ibv_sge sge;
    struct ibv_wc wc;
    uint64_t deadline;
    int n;

    sge.addr = (uintptr_t)local->addr + loff;
    sge.length = (uint32_t)length;
    sge.lkey = local->lkey;
    memset(&wr, 0, sizeof(wr));
    wr.sg_list = &sge;
    wr.num_sge = 1;
    wr.opcode = is_read ? IBV_WR_RDMA_READ : IBV_WR_RDMA_WRITE;
    wr.send_flags = IBV_SEND_SIGNALED;
    wr.wr.rdma.remote_addr = (uintptr_t)remote->addr + roff;
    wr.wr.rdma.rkey = remote->rkey;
    if (ibv_post_send(probe->qp, &wr, &bad) != 0) {
        return -1;
    }
    deadline = vs_time_ns() + VT_VERBS_PROBE_TIMEOUT_NS;
    while ((n = ibv_poll_cq(probe->cq, 1, &wc)) == 0) {
        if (vs_time_ns() > deadline) {
            return -1;
        }
    }
    return n == 1 && wc.status == IBV_WC_SUCCESS ? 0 : -1;
}

/* Both directions at offsets inside pages, over a few packets. */
static int vt_verbs_probe_transfer(vt_verbs_probe_t *probe)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t length = 2 * page + 123, i;

    for (i = 0; i < probe->length; ++i) {
        probe->src[i] = (uint8_t)(i * 7 + i / 251);
    }
    memset(probe->dst, 0, probe->length);
    if (vt_verbs_probe_op(probe, 0, 100, 300, length) != 0 ||
        memcmp(probe->dst + 300, probe->src + 100, length) != 0) {
        return -1;
    }
    memset(probe->dst, 0, probe->length);
    if (vt_verbs_probe_op(probe, 1, 52, 1000, length) != 0 ||
        memcmp(probe->dst + 52, probe->src + 1000, length) != 0) {
        return -1;
    }
    return 0;
}

int vt_verbs_odp_probe(vt_verbs_dev_t *dev)
{
    const int access = IBV_ACCESS_ON_DEMAND | IBV_ACCESS_LOCAL_WRITE |
                       IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;
    vt_verbs_probe_t probe = {.dev = dev};
    struct ibv_qp_init_attr init;
    const char *failed;
    int ok = 0;

    probe.length = 4 * (size_t)sysconf(_SC_PAGESIZE);
    probe.src = mmap(NULL, 2 * probe.length, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (probe.src == MAP_FAILED) {
        vs_debug("verbs: ODP probe: mmap failed: %s", strerror(errno));
        return 0;
    }
    probe.dst = probe.src + probe.length;
    failed = "ibv_create_cq";
    probe.cq = ibv_create_cq(dev->context, 2, NULL, NULL, 0);
    if (probe.cq == NULL) {
        goto out_unmap;
    }
    memset(&init, 0, sizeof(init));
    init.send_cq = probe.cq;
    init.recv_cq = probe.cq;
    init.qp_type = IBV_QPT_RC;
    init.cap.max_send_wr = 1;
    init.cap.max_recv_wr = 1;
    init.cap.max_send_sge = 1;
    init.cap.max_recv_sge = 1;
    failed = "ibv_create_qp";
    probe.qp = ibv_create_qp(dev->pd, &init);
    if (probe.qp == NULL) {
        goto out_cq;
    }
    failed = "ODP ibv_reg_mr";
    probe.src_mr = ibv_reg_mr(dev->pd, probe.src, probe.length, access);
    if (probe.src_mr == NULL) {
        goto out_qp;
    }
    probe.dst_mr = ibv_reg_mr(dev->pd, probe.dst, probe.length, access);
    if (probe.dst_mr == NULL) {
        goto out_src;
    }
    failed = "connecting an RC QP to itself";
    if (vt_verbs_probe_connect(&probe) != 0) {
        goto out_dst;
    }
    failed = "data written or read through ODP differs";
    ok = vt_verbs_probe_transfer(&probe) == 0;

out_dst:
    ibv_dereg_mr(probe.dst_mr);
out_src:
    ibv_dereg_mr(probe.src_mr);
out_qp:
    ibv_destroy_qp(probe.qp);
out_cq:
    ibv_destroy_cq(probe.cq);
out_unmap:
    munmap(probe.src, 2 * probe.length);
    if (!ok) {
        vs_debug("verbs: ODP probe on %s failed: %s", dev->port.dev_name,
                 failed);
    }
    return ok;
}
