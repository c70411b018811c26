/*
 * Verbs devices: which ports are usable, which GID each one is reached
 * through, and the process-wide device context with its protection domain.
 */
#include "verbs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/base/log.h"

const char *const vt_verbs_yield_names[] = {"auto", "yes", "no", NULL};

static const vs_config_field_t vt_verbs_config_fields[] = {
    {"NET_DEVICES", "auto",
     "Verbs ports to use, as a comma-separated list of device:port (rxe0:1); "
     "auto: every active port whose network device is in this network "
     "namespace, the ones local to this process's CPUs first",
     VS_CONFIG_TYPE_STRING, offsetof(vt_verbs_config_t, net_devices)},
    {"VERBS_GID_INDEX", "255",
     "GID table index used on RoCE ports; 255: a RoCE v2 GID chosen "
     "automatically, IPv4-mapped first",
     VS_CONFIG_TYPE_UINT, offsetof(vt_verbs_config_t, gid_index)},
    {"VERBS_ANY_NETNS", "n",
     "Also use RoCE ports whose network device is in another network "
     "namespace (their packets would leave from there)",
     VS_CONFIG_TYPE_BOOL, offsetof(vt_verbs_config_t, any_netns)},
    {"VERBS_IDLE_YIELD", "auto",
     "Whether a progress call that finds nothing to do on verbs gives the "
     "CPU away (sched_yield): auto (on software devices, SoftRoCE and siw, "
     "whose work runs in the kernel on the host's CPUs and starves while "
     "an idle process polls), yes, no",
     VS_CONFIG_TYPE_ENUM(vt_verbs_yield_names, "auto, yes, no"),
     offsetof(vt_verbs_config_t, idle_yield)}
};

vs_config_table_t vt_verbs_config_table = {
    .component = "verbs",
    .prefix = "",
    .fields = vt_verbs_config_fields,
    .num_fields = vs_array_size(vt_verbs_config_fields),
    .struct_size = sizeof(vt_verbs_config_t),
    .next = NULL
};

static vs_constructor void vt_verbs_config_init(void)
{
    vs_config_register(&vt_verbs_config_table);
}

int vt_verbs_vendor_is_soft(uint32_t vendor_id)
{
    return vendor_id == 0xffffff || vendor_id == 0x626d74;
}

int vt_verbs_idle_yield(unsigned mode, int soft)
{
    switch (mode) {
    case VT_VERBS_YIELD_YES:
        return 1;
    case VT_VERBS_YIELD_NO:
        return 0;
    default:
        return soft;
    }
}

size_t vt_verbs_mtu_bytes(uint8_t mtu)
{
    return (mtu >= IBV_MTU_256 && mtu <= IBV_MTU_4096)
                   ? (size_t)128 << mtu : 0;
}

static int vt_verbs_read_line(const char *path, char *buffer, size_t max)
{
    FILE *f = fopen(path, "re");
    size_t n;

    if (f == NULL) {
        return -1;
    }
    if (fgets(buffer, (int)max, f) == NULL) {
        fclose(f);
        return -1;
    }
    fclose(f);
    n = strlen(buffer);
    while (n > 0 && (buffer[n - 1] == '\n' || buffer[n - 1] == ' ')) {
        buffer[--n] = '\0';
    }
    return 0;
}

int vt_verbs_gid_is_rocev2(const char *dev_name, unsigned port,
                           unsigned index, unsigned *ifindex_p)
{
    char path[256], value[64];

    *ifindex_p = 0;
    snprintf(path, sizeof(path),
             "/sys/class/infiniband/%s/ports/%u/gid_attrs/ndevs/%u",
             dev_name, port, index);
    if (vt_verbs_read_line(path, value, sizeof(value)) == 0) {
        /* 0 when the netdev lives in another network namespace. */
        *ifindex_p = if_nametoindex(value);
    }
    snprintf(path, sizeof(path),
             "/sys/class/infiniband/%s/ports/%u/gid_attrs/types/%u",
             dev_name, port, index);
    if (vt_verbs_read_line(path, value, sizeof(value)) != 0) {
        return 0;
    }
    return strcmp(value, "RoCE v2") == 0;
}

static int vt_verbs_gid_is_ipv4(const union ibv_gid *gid)
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                       0xff, 0xff};
    return memcmp(gid->raw, prefix, sizeof(prefix)) == 0;
}

int vt_verbs_gid_choose(const union ibv_gid *gids, const int *types,
                        const int *here, unsigned count, int any_netns)
{
    int best = -1, best_score = 0, score;
    unsigned i;

    for (i = 0; i < count; ++i) {
        if (!types[i] || (!here[i] && !any_netns)) {
            continue;
        }
        /* Reachable from here beats elsewhere; IPv4 beats link-local
         * IPv6, which every peer on another subnet could not route. */
        score = 1 + 2 * !!here[i] + vt_verbs_gid_is_ipv4(&gids[i]);
        if (score > best_score) {
            best_score = score;
            best = (int)i;
        }
    }
    return best;
}

static int vt_verbs_list_is_auto(const char *list)
{
    return list == NULL || *list == '\0' || strcmp(list, "auto") == 0 ||
           strcmp(list, "all") == 0;
}

int vt_verbs_port_selected(const char *list, const char *dev_name,
                           unsigned port)
{
    char entry[VT_VERBS_DEV_NAME_MAX + 16], want[VT_VERBS_DEV_NAME_MAX + 16];
    const char *p = list, *end;
    size_t n;

    if (vt_verbs_list_is_auto(list)) {
        return 1;
    }
    snprintf(want, sizeof(want), "%s:%u", dev_name, port);
    while (*p != '\0') {
        end = strchr(p, ',');
        n = end ? (size_t)(end - p) : strlen(p);
        if (n < sizeof(entry)) {
            memcpy(entry, p, n);
            entry[n] = '\0';
            if (strcmp(entry, want) == 0 || strcmp(entry, dev_name) == 0) {
                return 1;
            }
        }
        p += n;
        if (*p == ',') {
            ++p;
        }
    }
    return 0;
}

/* Whether the device is attached to a NUMA node our CPUs run on; virtual
 * devices (rxe) have no node and count as local. */
static int vt_verbs_dev_is_local(const char *dev_name)
{
    char path[256], value[1024];
    cpu_set_t mine;
    unsigned lo, hi, cpu;
    char *p;

    snprintf(path, sizeof(path), "/sys/class/infiniband/%s/device/"
             "local_cpulist", dev_name);
    if (vt_verbs_read_line(path, value, sizeof(value)) != 0 ||
        sched_getaffinity(0, sizeof(mine), &mine) != 0) {
        return 1;
    }
    for (p = value; *p != '\0';) {
        lo = (unsigned)strtoul(p, &p, 10);
        hi = lo;
        if (*p == '-') {
            hi = (unsigned)strtoul(p + 1, &p, 10);
        }
        for (cpu = lo; cpu <= hi && cpu < CPU_SETSIZE; ++cpu) {
            if (CPU_ISSET(cpu, &mine)) {
                return 1;
            }
        }
        if (*p != ',') {
            break;
        }
        ++p;
    }
    return 0;
}

static int vt_verbs_port_pick_gid(struct ibv_context *ctx,
                                  const vt_verbs_config_t *cfg,
                                  const struct ibv_port_attr *attr,
                                  vt_verbs_port_t *port)
{
    enum { MAX_GIDS = 64 };
    union ibv_gid gids[MAX_GIDS];
    int types[MAX_GIDS], here[MAX_GIDS];
    unsigned i, count = vs_min((unsigned)attr->gid_tbl_len, MAX_GIDS);
    unsigned ifindex;
    int index;

    memset(gids, 0, sizeof(gids));
    for (i = 0; i < count; ++i) {
        types[i] = 0;
        here[i] = 0;
        if (ibv_query_gid(ctx, port->port_num, (int)i, &gids[i]) != 0 ||
            (gids[i].global.subnet_prefix == 0 &&
             gids[i].global.interface_id == 0)) {
            continue;
        }
        types[i] = vt_verbs_gid_is_rocev2(port->dev_name, port->port_num, i,
                                          &ifindex);
        here[i] = ifindex != 0;
    }
    if (cfg->gid_index != VT_VERBS_GID_AUTO) {
        if (cfg->gid_index >= count) {
            vs_error("verbs: VERVE_VERBS_GID_INDEX=%u is beyond the %u GIDs "
                     "of %s:%u", cfg->gid_index, count, port->dev_name,
                     port->port_num);
            return -1;
        }
        index = (int)cfg->gid_index;
    } else {
        /* A port named in VERVE_NET_DEVICES is wanted even when its
         * netdev is in another namespace. */
        index = vt_verbs_gid_choose(gids, types, here, count,
                                    cfg->any_netns ||
                                    !vt_verbs_list_is_auto(cfg->net_devices));
    }
    if (index < 0) {
        vs_debug("verbs: %s:%u has no RoCE v2 GID with its netdev in this "
                 "network namespace", port->dev_name, port->port_num);
        return -1;
    }
    port->gid_index = (uint8_t)index;
    port->gid = gids[index];
    return 0;
}

static void vt_verbs_dev_list_ports(struct ibv_device *device,
                                    const vt_verbs_config_t *cfg,
                                    vt_verbs_port_t *ports, unsigned max,
                                    unsigned *count)
{
    struct ibv_device_attr dev_attr;
    struct ibv_port_attr attr;
    struct ibv_context *ctx;
    vt_verbs_port_t *port;
    unsigned p;

    ctx = ibv_open_device(device);
    if (ctx == NULL) {
        vs_debug("verbs: ibv_open_device(%s) failed: %s",
                 ibv_get_device_name(device), strerror(errno));
        return;
    }
    if (ibv_query_device(ctx, &dev_attr) != 0) {
        goto out;
    }
    for (p = 1; p <= dev_attr.phys_port_cnt && *count < max; ++p) {
        port = &ports[*count];
        memset(port, 0, sizeof(*port));
        snprintf(port->dev_name, sizeof(port->dev_name), "%s",
                 ibv_get_device_name(device));
        port->port_num = (uint8_t)p;
        if (ibv_query_port(ctx, (uint8_t)p, &attr) != 0 ||
            attr.state != IBV_PORT_ACTIVE ||
            !vt_verbs_port_selected(cfg->net_devices, port->dev_name, p)) {
            continue;
        }
        port->active_mtu = (uint8_t)attr.active_mtu;
        port->lid = attr.lid;
        port->max_msg_sz = attr.max_msg_sz;
        port->numa_local = vt_verbs_dev_is_local(port->dev_name);
        if (attr.link_layer == IBV_LINK_LAYER_ETHERNET) {
            port->link_layer = VT_VERBS_LL_ETH;
            if (vt_verbs_port_pick_gid(ctx, cfg, &attr, port) != 0) {
                continue;
            }
        } else {
            port->link_layer = VT_VERBS_LL_IB;
            port->gid_index = 0;
            if (ibv_query_gid(ctx, (uint8_t)p, 0, &port->gid) != 0) {
                continue;
            }
        }
        ++*count;
    }
out:
    ibv_close_device(ctx);
}

static pthread_mutex_t vt_verbs_dev_lock = PTHREAD_MUTEX_INITIALIZER;
static vt_verbs_dev_t vt_verbs_dev;
/* Set once no usable port was found, so that every registration on a
 * machine without RDMA does not scan the devices again. */
static int vt_verbs_dev_absent;

static pthread_once_t vt_verbs_fork_once = PTHREAD_ONCE_INIT;

/* The child starts without the parent's device: the context and every
 * object in it belong to the parent (with ibv_fork_init their memory is
 * not even mapped here), so verve in the child opens its own. The
 * parent's copy is dropped, not closed: closing would act on the
 * parent's kernel objects. */
static void vt_verbs_fork_child(void)
{
    pthread_mutex_t unlocked = PTHREAD_MUTEX_INITIALIZER;

    vt_verbs_dev_lock = unlocked;
    memset(&vt_verbs_dev, 0, sizeof(vt_verbs_dev));
}

/* A child forked after registrations must not take the parent's DMA pages
 * with it (the parent's transfers would then land in pages the child
 * owns): either the kernel copies such pages at fork (5.13 and later,
 * nothing to do), or libibverbs marks registered ranges MADV_DONTFORK,
 * which ibv_fork_init must set up before the first registration. */
static void vt_verbs_fork_setup(void)
{
    int ret;

    ret = pthread_atfork(NULL, NULL, vt_verbs_fork_child);
    if (ret != 0) {
        vs_warn("verbs: pthread_atfork failed: %s: a forked child cannot "
                "use verbs", strerror(ret));
    }
    if (ibv_is_fork_initialized() == IBV_FORK_UNNEEDED) {
        vs_debug("verbs: fork safety: the kernel copies DMA pages at fork");
        return;
    }
    ret = ibv_fork_init();
    if (ret != 0) {
        vs_warn("verbs: ibv_fork_init failed: %s: a child forked after "
                "registrations may corrupt this process's transfers",
                strerror(ret));
        return;
    }
    vs_debug("verbs: fork safety: ibv_fork_init (registered memory is "
             "not inherited by children)");
}

verve_status_t vt_verbs_ports_list(const vt_verbs_config_t *cfg,
                                   vt_verbs_port_t *ports, unsigned max,
                                   unsigned *count_p)
{
    struct ibv_device **list;
    vt_verbs_port_t tmp;
    unsigned count = 0, i, j;
    int num;

    /* Before anything else of libibverbs: every device is opened and
     * every registration made after the port scan. */
    pthread_once(&vt_verbs_fork_once, vt_verbs_fork_setup);
    list = ibv_get_device_list(&num);
    if (list == NULL) {
        vs_debug("verbs: ibv_get_device_list failed: %s", strerror(errno));
        *count_p = 0;
        return VERVE_ERR_NO_ELEM;
    }
    for (i = 0; i < (unsigned)num; ++i) {
        vt_verbs_dev_list_ports(list[i], cfg, ports, max, &count);
    }
    ibv_free_device_list(list);
    /* Insertion sort, stable: local devices first, otherwise in the
     * order the kernel lists them. */
    for (i = 1; i < count; ++i) {
        tmp = ports[i];
        for (j = i; j > 0 && tmp.numa_local && !ports[j - 1].numa_local;
             --j) {
            ports[j] = ports[j - 1];
        }
        ports[j] = tmp;
    }
    *count_p = count;
    return count > 0 ? VERVE_OK : VERVE_ERR_NO_ELEM;
}

static verve_status_t vt_verbs_dev_open(vt_verbs_dev_t *dev)
{
    vt_verbs_port_t ports[VT_VERBS_MAX_PORTS];
    struct ibv_device **list;
    vt_verbs_config_t cfg;
    verve_status_t status;
    unsigned count;
    int num, i;

    status = vs_config_read(&vt_verbs_config_table, &cfg);
    if (status != VERVE_OK) {
        return status;
    }
    status = vt_verbs_ports_list(&cfg, ports, VT_VERBS_MAX_PORTS, &count);
    if (status != VERVE_OK) {
        vs_debug("verbs: no active port matches VERVE_NET_DEVICES=%s",
                 cfg.net_devices);
        goto out;
    }
    dev->port = ports[0];
    status = VERVE_ERR_NO_ELEM;
    list = ibv_get_device_list(&num);
    for (i = 0; list != NULL && i < num; ++i) {
        if (strcmp(ibv_get_device_name(list[i]), dev->port.dev_name) == 0) {
            dev->context = ibv_open_device(list[i]);
            break;
        }
    }
    if (list != NULL) {
        ibv_free_device_list(list);
    }
    if (dev->context == NULL) {
        vs_error("verbs: opening device %s failed: %s", dev->port.dev_name,
                 strerror(errno));
        goto out;
    }
    if (ibv_query_device(dev->context, &dev->attr) != 0) {
        vs_error("verbs: ibv_query_device(%s) failed: %s",
                 dev->port.dev_name, strerror(errno));
        goto err_close;
    }
    dev->pd = ibv_alloc_pd(dev->context);
    if (dev->pd == NULL) {
        vs_error("verbs: ibv_alloc_pd on %s failed: %s", dev->port.dev_name,
                 strerror(errno));
        goto err_close;
    }
    dev->idle_yield = vt_verbs_idle_yield(
        cfg.idle_yield, vt_verbs_vendor_is_soft(dev->attr.vendor_id));
    vs_debug("verbs: using %s:%u gid index %u, mtu %zu, idle yield %s",
             dev->port.dev_name, dev->port.port_num, dev->port.gid_index,
             vt_verbs_mtu_bytes(dev->port.active_mtu),
             dev->idle_yield ? "on" : "off");
    status = VERVE_OK;
    goto out;

err_close:
    ibv_close_device(dev->context);
    dev->context = NULL;
    status = VERVE_ERR_IO;
out:
    vs_config_release(&vt_verbs_config_table, &cfg);
    return status;
}

verve_status_t vt_verbs_dev_get(vt_verbs_dev_t **dev_p)
{
    verve_status_t status = VERVE_OK;

    pthread_mutex_lock(&vt_verbs_dev_lock);
    if (vt_verbs_dev.refcount == 0) {
        status = vt_verbs_dev_absent ? VERVE_ERR_NO_ELEM
                                     : vt_verbs_dev_open(&vt_verbs_dev);
        vt_verbs_dev_absent = status == VERVE_ERR_NO_ELEM;
    }
    if (status == VERVE_OK) {
        ++vt_verbs_dev.refcount;
        *dev_p = &vt_verbs_dev;
    }
    pthread_mutex_unlock(&vt_verbs_dev_lock);
    return status;
}

void vt_verbs_dev_put(vt_verbs_dev_t *dev)
{
    pthread_mutex_lock(&vt_verbs_dev_lock);
    if (--dev->refcount == 0) {
        if (ibv_dealloc_pd(dev->pd) != 0) {
            vs_warn("verbs: ibv_dealloc_pd on %s failed: %s (objects still "
                    "use it)", dev->port.dev_name, strerror(errno));
        }
        ibv_close_device(dev->context);
        memset(dev, 0, sizeof(*dev));
    }
    pthread_mutex_unlock(&vt_verbs_dev_lock);
}

verve_status_t vt_verbs_wc_status(enum ibv_wc_status status)
{
    switch (status) {
    case IBV_WC_SUCCESS:
        return VERVE_OK;
    case IBV_WC_REM_ACCESS_ERR:
    case IBV_WC_LOC_PROT_ERR:
        return VERVE_ERR_INVALID_RKEY;
    case IBV_WC_RETRY_EXC_ERR:
    case IBV_WC_RNR_RETRY_EXC_ERR:
        return VERVE_ERR_PEER_FAILED;
    case IBV_WC_WR_FLUSH_ERR:
        return VERVE_ERR_CANCELED;
    default:
        return VERVE_ERR_IO;
    }
}
