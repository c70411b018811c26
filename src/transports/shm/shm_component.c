/* The shared-memory component: its options and its entry points. */
#include "shm.h"

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

static const vs_config_field_t vt_shm_config_fields[] = {
    {"FIFO_SIZE", "256k",
     "Bytes of each receive ring (64-byte slots, a power of two); larger "
     "rings absorb longer bursts of bcopy messages",
     VS_CONFIG_TYPE_SIZE_RANGE(VT_SHM_FIFO_MIN_SLOTS * VT_SHM_SLOT_SIZE,
                               (size_t)VT_SHM_FIFO_MAX_SLOTS *
                               VT_SHM_SLOT_SIZE),
     offsetof(vt_shm_config_t, fifo_size)},
    /* Below VT_AM_BCOPY_MIN the engine's own wireup overran its ring
     * record; above, the length no longer fits the record header's 16
     * bits. */
    {"BCOPY_MAX", "8k",
     "Largest am_bcopy payload, copied inline through the ring; at most "
     "a quarter of VERVE_SHM_FIFO_SIZE",
     VS_CONFIG_TYPE_SIZE_RANGE(VT_AM_BCOPY_MIN,
                               UINT16_MAX - VT_SHM_SLOT_SIZE),
     offsetof(vt_shm_config_t, bcopy_max)},
    {"RX_BATCH", "16",
     "Most messages delivered by one progress call of an interface",
     VS_CONFIG_TYPE_UINT_RANGE(1, 65536),
     offsetof(vt_shm_config_t, rx_batch)},
    {"CMA", "y",
     "Move rendezvous data and RMA on registered memory with single copies "
     "(process_vm_readv/writev) where the kernel allows it, probed with "
     "each peer at wireup; n: never, as where the kernel refuses it "
     "(seccomp, Yama ptrace_scope): fragments through the ring, RMA on "
     "registered memory over AM",
     VS_CONFIG_TYPE_BOOL, offsetof(vt_shm_config_t, cma)}
};

/* What the fields' ranges cannot say: the ring's shape, and a bcopy
 * reservation that leaves room for others. */
static verve_status_t vt_shm_config_check(const void *opts)
{
    const vt_shm_config_t *cfg = opts;
    size_t num_slots = cfg->fifo_size / VT_SHM_SLOT_SIZE;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char value[32];

    if (((num_slots & (num_slots - 1)) != 0) ||
        (cfg->fifo_size % VT_SHM_SLOT_SIZE != 0) ||
        (cfg->fifo_size % page != 0)) {
        vs_config_print_size(value, sizeof(value), &cfg->fifo_size, NULL);
        vs_config_reject("VERVE_SHM_FIFO_SIZE", value, "a power of two "
                         "and a multiple of the page size (%zu bytes)",
                         page);
        return VERVE_ERR_INVALID_CONFIG;
    }
    if (vt_shm_fifo_rec_slots(cfg->bcopy_max) > num_slots / 4) {
        vs_config_print_size(value, sizeof(value), &cfg->bcopy_max, NULL);
        vs_config_reject("VERVE_SHM_BCOPY_MAX", value, "at most a quarter "
                         "of VERVE_SHM_FIFO_SIZE=%zu, less a %u-byte record "
                         "header", cfg->fifo_size,
                         (unsigned)VT_SHM_HDR_SIZE);
        return VERVE_ERR_INVALID_CONFIG;
    }
    return VERVE_OK;
}

vs_config_table_t vt_shm_config_table = {
    .component = "shm",
    .prefix = "SHM_",
    .fields = vt_shm_config_fields,
    .num_fields = vs_array_size(vt_shm_config_fields),
    .struct_size = sizeof(vt_shm_config_t),
    .check = vt_shm_config_check,
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
