/*
 * Memory for the self transport: a key is usable natively only inside the
 * process that packed it (same pid and same boot of the host); anywhere
 * else unpacking says unreachable and the engine emulates.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "transports/vt_iface.h"
#include "core/base/topo.h"

typedef struct vt_self_memh {
    void *address;
    size_t length;
} vt_self_memh_t;

typedef struct vt_self_rkey_packed {
    uint64_t host_id;
    uint32_t pid;
    uint32_t reserved;
} vt_self_rkey_packed_t;

struct vt_memh {
    vt_self_memh_t self;
};

static verve_status_t vt_self_mem_reg(void *address, size_t length,
                                      vt_memh_t **memh_p)
{
    vt_memh_t *memh = malloc(sizeof(*memh));
    if (memh == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    memh->self.address = address;
    memh->self.length = length;
    *memh_p = memh;
    return VERVE_OK;
}

static void vt_self_mem_dereg(vt_memh_t *memh)
{
    free(memh);
}

static size_t vt_self_rkey_packed_size(vt_memh_t *memh)
{
    (void)memh;
    return sizeof(vt_self_rkey_packed_t);
}

static void vt_self_rkey_pack(vt_memh_t *memh, void *buffer)
{
    vt_self_rkey_packed_t packed = {vs_topo_host_id(), (uint32_t)getpid(),
                                    0};
    (void)memh;
    memcpy(buffer, &packed, sizeof(packed));
}

static verve_status_t vt_self_rkey_unpack(vt_iface_t *iface,
                                          const void *buffer, size_t length,
                                          vt_rkey_t **rkey_p)
{
    vt_self_rkey_packed_t packed;
    vt_rkey_t *rkey;

    (void)iface;
    if (length != sizeof(packed)) {
        return VERVE_ERR_INVALID_RKEY;
    }
    memcpy(&packed, buffer, sizeof(packed));
    if (packed.host_id != vs_topo_host_id() ||
        packed.pid != (uint32_t)getpid()) {
        return VERVE_ERR_UNREACHABLE;
    }
    rkey = malloc(sizeof(*rkey));
    if (rkey == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    rkey->flags = VT_CAP_RMA | VT_CAP_AMO32 | VT_CAP_AMO64;
    *rkey_p = rkey;
    return VERVE_OK;
}

static void vt_self_rkey_release(vt_rkey_t *rkey)
{
    free(rkey);
}

verve_status_t vt_self_iface_open(const vt_iface_params_t *params,
                                  vt_iface_t **iface_p);
extern vs_config_table_t vt_self_config_table;

const vt_component_t vt_self_component = {
    .name = "self",
    .id = 1,
    .config = &vt_self_config_table,
    .iface_open = vt_self_iface_open,
    .mem_alloc = NULL,
    .mem_reg = vt_self_mem_reg,
    .mem_dereg = vt_self_mem_dereg,
    .rkey_packed_size = vt_self_rkey_packed_size,
    .rkey_pack = vt_self_rkey_pack,
    .rkey_unpack = vt_self_rkey_unpack,
    .rkey_release = vt_self_rkey_release,
};
