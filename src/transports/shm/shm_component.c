/* The shared-memory component: its options and its entry points. */
#include "shm.h"

#include <stddef.h>

static const vs_config_field_t vt_shm_config_fields[] = {
    {"FIFO_SIZE", "256k",
     "Bytes of each receive ring (64-byte slots, a power of two); larger "
     "rings absorb longer bursts of bcopy messages",
     VS_CONFIG_TYPE_SIZE, offsetof(vt_shm_config_t, fifo_size)},
    {"BCOPY_MAX", "8k",
     "Largest am_bcopy payload, copied inline through the ring",
     VS_CONFIG_TYPE_SIZE, offsetof(vt_shm_config_t, bcopy_max)},
    {"RX_BATCH", "16",
     "Most messages delivered by one progress call of an interface",
     VS_CONFIG_TYPE_UINT, offsetof(vt_shm_config_t, rx_batch)}
};

vs_config_table_t vt_shm_config_table = {
    .component = "shm",
    .prefix = "SHM_",
    .fields = vt_shm_config_fields,
    .num_fields = vs_array_size(vt_shm_config_fields),
    .struct_size = sizeof(vt_shm_config_t),
    .next = NULL
};

static vs_constructor void vt_shm_config_init(void)
{
    vs_config_register(&vt_shm_config_table);
}

const vt_component_t vt_shm_component = {
    .name = "shm",
    .id = VT_SHM_COMPONENT_ID,
    .config = &vt_shm_config_table,
    .iface_open = vt_shm_iface_open,
    .mem_alloc = vt_shm_mem_alloc,
    .mem_reg = vt_shm_mem_reg,
    .mem_dereg = vt_shm_mem_dereg,
    .rkey_packed_size = vt_shm_rkey_packed_size,
    .rkey_pack = vt_shm_rkey_pack,
    .rkey_unpack = vt_shm_rkey_unpack,
    .rkey_release = vt_shm_rkey_release
};
