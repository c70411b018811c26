/*
 * On-demand paging for buffers that verve_mem_map did not register: the
 * options that choose between ODP and the registration cache, what the
 * device offers, and prefetching before a transfer.
 *
 * With ODP the device resolves pages through the process's page tables
 * when it touches them, so a region registered once stays right after the
 * application unmaps and maps memory again at the same address: such
 * registrations need no invalidation, and nothing is pinned.
 */
#include "verbs.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include "core/base/log.h"

const char *const vt_verbs_odp_names[] = {"auto", "yes", "no", "unchecked",
                                         NULL};

static const vs_config_field_t vt_verbs_mem_config_fields[] = {
    {"ODP", "auto",
     "How zero-copy and rendezvous reach buffers that verve_mem_map did not "
     "register on verbs: yes (on-demand paging, implicit where the device "
     "offers it; an error where it has none or a test transfer through it "
     "arrives wrong), no (the registration cache, invalidated by memory "
     "events), auto (ODP where the device reports it for rc and the test "
     "transfer passes, else the cache), unchecked (ODP without the test "
     "transfer: for measurements only)",
     VS_CONFIG_TYPE_ENUM(vt_verbs_odp_names, "auto, yes, no, unchecked"),
     offsetof(vt_verbs_mem_config_t, odp)},
    {"RCACHE_MAX_BYTES", "1g",
     "Bytes of unused registrations the verbs registration cache keeps; "
     "least recently used ones beyond are deregistered",
     VS_CONFIG_TYPE_SIZE, offsetof(vt_verbs_mem_config_t, rcache_max_bytes)},
    {"RCACHE_MAX_REGIONS", "4096",
     "Registrations the verbs registration cache keeps (unused ones beyond "
     "are deregistered, least recently used first)",
     VS_CONFIG_TYPE_UINT,
     offsetof(vt_verbs_mem_config_t, rcache_max_regions)}
};

vs_config_table_t vt_verbs_mem_config_table = {
    .component = "verbs_mem",
    .prefix = "",
    .fields = vt_verbs_mem_config_fields,
    .num_fields = vs_array_size(vt_verbs_mem_config_fields),
    .struct_size = sizeof(vt_verbs_mem_config_t),
    .next = NULL
};

static vs_constructor void vt_verbs_mem_config_init(void)
{
    vs_config_register(&vt_verbs_mem_config_table);
}

uint32_t vt_verbs_odp_caps(struct ibv_context *context)
{
    const uint32_t needed = IBV_ODP_SUPPORT_SEND | IBV_ODP_SUPPORT_WRITE |
                            IBV_ODP_SUPPORT_READ;
    struct ibv_device_attr_ex attr;
    uint32_t rc, caps = 0;

    memset(&attr, 0, sizeof(attr));
    if (ibv_query_device_ex(context, NULL, &attr) != 0 ||
        !(attr.odp_caps.general_caps & IBV_ODP_SUPPORT)) {
        return 0;
    }
    rc = attr.odp_caps.per_transport_caps.rc_odp_caps;
    if ((rc & needed) == needed) {
        caps |= VT_VERBS_ODP_CAP_RC;
    }
    if (rc & IBV_ODP_SUPPORT_ATOMIC) {
        caps |= VT_VERBS_ODP_CAP_ATOMIC;
    }
    if ((caps & VT_VERBS_ODP_CAP_RC) &&
        (attr.odp_caps.general_caps & IBV_ODP_SUPPORT_IMPLICIT)) {
        caps |= VT_VERBS_ODP_CAP_IMPLICIT;
    }
    return caps;
}

verve_status_t vt_verbs_odp_path(unsigned mode, uint32_t caps,
                                 int kernel_events,
                                 vt_verbs_reg_path_t *path_p)
{
    if (mode != VT_VERBS_ODP_NO && (caps & VT_VERBS_ODP_CAP_RC)) {
        *path_p = (caps & VT_VERBS_ODP_CAP_IMPLICIT)
                          ? VT_VERBS_PATH_ODP_IMPLICIT : VT_VERBS_PATH_ODP;
        return VERVE_OK;
    }
    if (mode == VT_VERBS_ODP_YES) {
        return VERVE_ERR_UNSUPPORTED;
    }
    *path_p = kernel_events ? VT_VERBS_PATH_RCACHE : VT_VERBS_PATH_PER_USE;
    return VERVE_OK;
}

const char *vt_verbs_path_name(vt_verbs_reg_path_t path)
{
    switch (path) {
    case VT_VERBS_PATH_RCACHE:
        return "registration cache";
    case VT_VERBS_PATH_PER_USE:
        return "registration per use (no memory events)";
    case VT_VERBS_PATH_ODP:
        return "odp (explicit regions)";
    case VT_VERBS_PATH_ODP_IMPLICIT:
        return "odp (implicit)";
    }
    return "?";
}

void vt_verbs_odp_prefetch(struct ibv_pd *pd, void *address, size_t length,
                           uint32_t lkey, int write)
{
    /* Cleared on the first refusal: a device without prefetch refuses
     * every time, and the transfer faults its pages in by itself. */
    static atomic_int supported = 1;
    struct ibv_sge sge;
    int rc;

    if (!atomic_load_explicit(&supported, memory_order_relaxed) ||
        length > UINT32_MAX) {
        return;
    }
    sge.addr = (uintptr_t)address;
    sge.length = (uint32_t)length;
    sge.lkey = lkey;
    rc = ibv_advise_mr(pd, write ? IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE
                                 : IBV_ADVISE_MR_ADVICE_PREFETCH,
                       IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
    if (rc == EOPNOTSUPP || rc == ENOSYS || rc == EINVAL) {
        vs_debug("verbs: ibv_advise_mr prefetch of [%p, +%zu) refused: %s; "
                 "not prefetching", address, length, strerror(rc));
        atomic_store_explicit(&supported, 0, memory_order_relaxed);
    } else if (rc != 0) {
        vs_debug("verbs: ibv_advise_mr prefetch of [%p, +%zu) failed: %s",
                 address, length, strerror(rc));
    }
}
