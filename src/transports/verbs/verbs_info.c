/* What verve_info shows of the verbs devices: every port, the GID verve
 * would use on it, and the device limits the transports depend on. */
#include "verbs.h"

#include <errno.h>
#include <string.h>

/* The largest inline size a device grants an RC QP: only creating one
 * tells. */
static unsigned vt_verbs_probe_inline(struct ibv_context *ctx,
                                      struct ibv_pd *pd)
{
    static const unsigned sizes[] = {1024, 512, 256, 128, 64, 32};
    struct ibv_qp_init_attr init;
    struct ibv_cq *cq;
    struct ibv_qp *qp;
    unsigned i, granted = 0;

    cq = ibv_create_cq(ctx, 4, NULL, NULL, 0);
    if (cq == NULL) {
        return 0;
    }
    for (i = 0; i < vs_array_size(sizes) && granted == 0; ++i) {
        memset(&init, 0, sizeof(init));
        init.send_cq = cq;
        init.recv_cq = cq;
        init.qp_type = IBV_QPT_RC;
        init.cap.max_send_wr = 1;
        init.cap.max_recv_wr = 1;
        init.cap.max_send_sge = 1;
        init.cap.max_recv_sge = 1;
        init.cap.max_inline_data = sizes[i];
        qp = ibv_create_qp(pd, &init);
        if (qp != NULL) {
            granted = init.cap.max_inline_data;
            ibv_destroy_qp(qp);
        }
    }
    ibv_destroy_cq(cq);
    return granted;
}

static void vt_verbs_print_odp(FILE *stream, const char *name,
                               uint32_t caps)
{
    fprintf(stream, "#     odp %-12s %s%s%s%s%s\n", name,
            caps == 0 ? "none" : "",
            (caps & IBV_ODP_SUPPORT_SEND) ? "send " : "",
            (caps & IBV_ODP_SUPPORT_RECV) ? "recv " : "",
            (caps & IBV_ODP_SUPPORT_WRITE) ? "write " : "",
            (caps & IBV_ODP_SUPPORT_READ) ? "read" : "");
}

/* How rc reaches buffers that verve_mem_map did not register: for the
 * device in use, what the transports do (the memory events of this
 * kernel included); for others, what they would do. */
static void vt_verbs_print_path(FILE *stream, struct ibv_context *ctx,
                                int used)
{
    vt_verbs_mem_config_t cfg;
    vt_verbs_reg_path_t path;
    verve_status_t status;

    if (vs_config_read(&vt_verbs_mem_config_table, &cfg) != VERVE_OK) {
        return;
    }
    if (used) {
        status = vt_verbs_reg_path(&path);
    } else {
        status = vt_verbs_odp_path(cfg.odp, vt_verbs_odp_caps(ctx), 1,
                                   &path);
    }
    fprintf(stream, "#     user buffers:    %s (VERVE_ODP=%s%s)\n",
            status == VERVE_OK ? vt_verbs_path_name(path)
                               : verve_status_string(status),
            vt_verbs_odp_names[cfg.odp],
            used ? "" : ", if used");
    if (used && status == VERVE_OK) {
        fprintf(stream, "#                      %s\n", vt_verbs_reg_why());
    }
    vs_config_release(&vt_verbs_mem_config_table, &cfg);
}

static void vt_verbs_print_device(FILE *stream, struct ibv_device *device,
                                  const vt_verbs_port_t *ports,
                                  unsigned num_ports, unsigned yield_mode)
{
    const char *name = ibv_get_device_name(device);
    struct ibv_device_attr_ex attr;
    struct ibv_context *ctx;
    struct ibv_pd *pd;
    unsigned i;
    int soft;

    fprintf(stream, "#\n#   device: %s\n", name);
    ctx = ibv_open_device(device);
    if (ctx == NULL) {
        fprintf(stream, "#     cannot open: %s\n", strerror(errno));
        return;
    }
    memset(&attr, 0, sizeof(attr));
    if (ibv_query_device_ex(ctx, NULL, &attr) != 0) {
        fprintf(stream, "#     cannot query: %s\n", strerror(errno));
        goto out;
    }
    pd = ibv_alloc_pd(ctx);
    fprintf(stream, "#     max inline:      %u bytes (RC QP)\n",
            pd != NULL ? vt_verbs_probe_inline(ctx, pd) : 0);
    if (pd != NULL) {
        ibv_dealloc_pd(pd);
    }
    fprintf(stream, "#     max qp:          %d (%d WRs each)\n",
            attr.orig_attr.max_qp, attr.orig_attr.max_qp_wr);
    fprintf(stream, "#     max cqe:         %d\n", attr.orig_attr.max_cqe);
    fprintf(stream, "#     max srq wr:      %d\n", attr.orig_attr.max_srq_wr);
    fprintf(stream, "#     max mr size:     %llu\n",
            (unsigned long long)attr.orig_attr.max_mr_size);
    fprintf(stream, "#     rd atomic:       %d per QP\n",
            attr.orig_attr.max_qp_rd_atom);
    fprintf(stream, "#     atomics:         %s\n",
            attr.orig_attr.atomic_cap == IBV_ATOMIC_HCA ? "hca" :
            attr.orig_attr.atomic_cap == IBV_ATOMIC_GLOB ? "global" :
                                                           "none");
    fprintf(stream, "#     odp:             %s%s\n",
            (attr.odp_caps.general_caps & IBV_ODP_SUPPORT) ? "explicit" :
                                                             "none",
            (attr.odp_caps.general_caps & IBV_ODP_SUPPORT_IMPLICIT)
                    ? ", implicit" : "");
    vt_verbs_print_odp(stream, "rc:",
                       attr.odp_caps.per_transport_caps.rc_odp_caps);
    vt_verbs_print_odp(stream, "ud:",
                       attr.odp_caps.per_transport_caps.ud_odp_caps);
    vt_verbs_print_path(stream, ctx, num_ports > 0 &&
                                     strcmp(ports[0].dev_name, name) == 0);
    soft = vt_verbs_vendor_is_soft(attr.orig_attr.vendor_id);
    fprintf(stream, "#     idle yield:      %s (%s device, "
            "VERVE_VERBS_IDLE_YIELD=%s)\n",
            vt_verbs_idle_yield(yield_mode, soft) ? "on" : "off",
            soft ? "software" : "hardware", vt_verbs_yield_names[yield_mode]);
    for (i = 0; i < num_ports; ++i) {
        char gid[64];

        if (strcmp(ports[i].dev_name, name) != 0) {
            continue;
        }
        snprintf(gid, sizeof(gid), "%x:%x:%x:%x:%x:%x:%x:%x",
                 ports[i].gid.raw[0] << 8 | ports[i].gid.raw[1],
                 ports[i].gid.raw[2] << 8 | ports[i].gid.raw[3],
                 ports[i].gid.raw[4] << 8 | ports[i].gid.raw[5],
                 ports[i].gid.raw[6] << 8 | ports[i].gid.raw[7],
                 ports[i].gid.raw[8] << 8 | ports[i].gid.raw[9],
                 ports[i].gid.raw[10] << 8 | ports[i].gid.raw[11],
                 ports[i].gid.raw[12] << 8 | ports[i].gid.raw[13],
                 ports[i].gid.raw[14] << 8 | ports[i].gid.raw[15]);
        fprintf(stream, "#     port %u:          %s, mtu %zu, %s %u %s%s\n",
                ports[i].port_num,
                ports[i].link_layer == VT_VERBS_LL_ETH ? "RoCE v2" : "IB",
                vt_verbs_mtu_bytes(ports[i].active_mtu),
                ports[i].link_layer == VT_VERBS_LL_ETH ? "gid" : "lid",
                ports[i].link_layer == VT_VERBS_LL_ETH ? ports[i].gid_index
                                                       : ports[i].lid,
                ports[i].link_layer == VT_VERBS_LL_ETH ? gid : "",
                i == 0 ? " (used)" : "");
    }
out:
    ibv_close_device(ctx);
}

void vt_verbs_devices_print(FILE *stream)
{
    vt_verbs_port_t ports[VT_VERBS_MAX_PORTS];
    struct ibv_device **list;
    vt_verbs_config_t cfg;
    unsigned num_ports = 0, yield_mode = VT_VERBS_YIELD_AUTO;
    int num, i;

    fprintf(stream, "#\n# Verbs devices (ports usable here, as "
            "VERVE_NET_DEVICES selects them)\n");
    list = ibv_get_device_list(&num);
    if (list == NULL || num == 0) {
        fprintf(stream, "#   none\n");
        if (list != NULL) {
            ibv_free_device_list(list);
        }
        return;
    }
    if (vs_config_read(&vt_verbs_config_table, &cfg) == VERVE_OK) {
        (void)vt_verbs_ports_list(&cfg, ports, VT_VERBS_MAX_PORTS,
                                  &num_ports);
        yield_mode = cfg.idle_yield;
        vs_config_release(&vt_verbs_config_table, &cfg);
    }
    for (i = 0; i < num; ++i) {
        vt_verbs_print_device(stream, list[i], ports, num_ports,
                              yield_mode);
    }
    if (num_ports == 0) {
        fprintf(stream, "#   no active port usable from this network "
                "namespace\n");
    }
    ibv_free_device_list(list);
}
