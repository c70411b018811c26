/* The rc component: its options and its entry points. */
#include "rc.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>

static const char *const vt_rc_atomics_names[] = {"auto", "device",
                                                  "emulated", NULL};

static const vs_config_field_t vt_rc_config_fields[] = {
    {"SEG_SIZE", "8k",
     "Bytes of each receive and bounce buffer: the largest active message, "
     "and the largest put or get copied through a bounce buffer (larger "
     "ones register the user's buffer for the operation)",
     VS_CONFIG_TYPE_SIZE_RANGE(VT_AM_BCOPY_MIN, (size_t)1 << 30),
     offsetof(vt_rc_config_t, seg_size)},
    {"RX_QUEUE", "256",
     "Receive buffers in the shared receive queue of each interface",
     VS_CONFIG_TYPE_UINT_RANGE(16, 1u << 20),
     offsetof(vt_rc_config_t, rx_queue)},
    {"TX_BUFS", "256",
     "Bounce buffers of each interface, for active messages that are not "
     "inlined and for small puts, gets and atomic results",
     VS_CONFIG_TYPE_UINT_RANGE(16, 1u << 20),
     offsetof(vt_rc_config_t, tx_bufs)},
    {"SQ_SIZE", "128",
     "Send work requests in flight per connection (a power of two)",
     VS_CONFIG_TYPE_UINT_RANGE(16, 1u << 15),
     offsetof(vt_rc_config_t, sq_size)},
    {"MAX_INLINE", "128",
     "Bytes of a send or put copied into the work request itself; the "
     "device may grant less",
     VS_CONFIG_TYPE_UINT, offsetof(vt_rc_config_t, max_inline)},
    {"SIGNAL_EVERY", "32",
     "Inline sends posted without a completion between two that ask for "
     "one (selective signalling); below VERVE_RC_SQ_SIZE",
     VS_CONFIG_TYPE_UINT_RANGE(1, 1u << 15),
     offsetof(vt_rc_config_t, signal_every)},
    {"CONNECT_RETRY", "100ms",
     "Interval between resends of an unanswered connection request",
     VS_CONFIG_TYPE_TIME_RANGE(1e-3, 60.0),
     offsetof(vt_rc_config_t, connect_retry)},
    {"PEER_TIMEOUT", "10s",
     "A connection whose sends make no progress for this long fails with "
     "VERVE_ERR_PEER_FAILED (SoftRoCE does not always end the QP's own "
     "retries when the peer process is gone); inf: never",
     VS_CONFIG_TYPE_TIME_RANGE(1e-3, INFINITY),
     offsetof(vt_rc_config_t, peer_timeout)},
    {"ATOMICS", "auto",
     "Where atomics run: device (the HCA's fetch-add and compare-swap), "
     "emulated (at the owner, over AM), or auto: device wherever it has "
     "atomics. Where they are atomic only among themselves "
     "(IBV_ATOMIC_HCA, SoftRoCE), every atomic on rc-registered memory, "
     "the owner's own and its local peers' included, then goes through "
     "the device",
     VS_CONFIG_TYPE_ENUM(vt_rc_atomics_names, "auto, device, emulated"),
     offsetof(vt_rc_config_t, atomics)}
};

/* The send queue's index arithmetic masks with its size, and a signalled
 * send must come before the queue fills. */
static verve_status_t vt_rc_config_check(const void *opts)
{
    const vt_rc_config_t *cfg = opts;
    char value[32];

    if ((cfg->sq_size & (cfg->sq_size - 1)) != 0) {
        snprintf(value, sizeof(value), "%u", cfg->sq_size);
        vs_config_reject("VERVE_RC_SQ_SIZE", value, "a power of two");
        return VERVE_ERR_INVALID_CONFIG;
    }
    if (cfg->signal_every >= cfg->sq_size) {
        snprintf(value, sizeof(value), "%u", cfg->signal_every);
        vs_config_reject("VERVE_RC_SIGNAL_EVERY", value, "below "
                         "VERVE_RC_SQ_SIZE=%u", cfg->sq_size);
        return VERVE_ERR_INVALID_CONFIG;
    }
    return VERVE_OK;
}

vs_config_table_t vt_rc_config_table = {
    .component = "rc",
    .prefix = "RC_",
    .fields = vt_rc_config_fields,
    .num_fields = vs_array_size(vt_rc_config_fields),
    .struct_size = sizeof(vt_rc_config_t),
    .check = vt_rc_config_check,
    .next = NULL
};

static vs_constructor void vt_rc_config_init(void)
{
    vs_config_register(&vt_rc_config_table);
}

const vt_component_t vt_rc_component = {
    .name = "rc",
    .id = VT_RC_COMPONENT_ID,
    .config = &vt_rc_config_table,
    .iface_open = vt_rc_iface_open,
    .mem_alloc = NULL,
    .mem_reg = vt_verbs_mem_reg,
    .mem_reg_cached = vt_verbs_mem_reg_cached,
    .mem_dereg = vt_verbs_mem_dereg,
    .rkey_packed_size = vt_verbs_rkey_packed_size,
    .rkey_pack = vt_verbs_rkey_pack,
    .rkey_unpack = vt_rc_rkey_unpack,
    .rkey_release = vt_verbs_rkey_release
};
