/* The "ud" configuration table: VERVE_UD_* variables. */
#include "ud_rel.h"

#include <stddef.h>
#include "core/base/compiler.h"

static const vs_config_field_t vt_ud_config_fields[] = {
    {"TIMEOUT", "10s",
     "A peer that acks nothing for this long is declared failed: its "
     "pending operations fail with VERVE_ERR_PEER_FAILED",
     VS_CONFIG_TYPE_TIME_RANGE(1e-3, 3600.0),
     offsetof(vt_ud_config_t, timeout)},
    {"RTO_MIN", "2ms",
     "First retransmission timeout; doubled on each expiry without an ack",
     VS_CONFIG_TYPE_TIME_RANGE(1e-6, 4.0),
     offsetof(vt_ud_config_t, rto_min)},
    {"RTO_MAX", "500ms",
     "Largest retransmission timeout the back-off reaches",
     /* kept in 32 bits of nanoseconds */
     VS_CONFIG_TYPE_TIME_RANGE(1e-6, 4.0),
     offsetof(vt_ud_config_t, rto_max)},
    {"WINDOW", "64",
     "Datagrams in flight per peer; sends beyond it return "
     "VERVE_ERR_NO_RESOURCE",
     VS_CONFIG_TYPE_UINT_RANGE(1, VT_UD_REL_WINDOW_MAX),
     offsetof(vt_ud_config_t, window)},
    {"ACK_COUNT", "16",
     "Send a standalone ack after this many datagrams with no data to "
     "carry it...",
     VS_CONFIG_TYPE_UINT_RANGE(1, VT_UD_REL_WINDOW_MAX),
     offsetof(vt_ud_config_t, ack_count)},
    {"ACK_DELAY", "100us",
     "...or this long after the first datagram not yet acked",
     VS_CONFIG_TYPE_TIME_RANGE(0.0, 4.0),
     offsetof(vt_ud_config_t, ack_delay)},
    {"MAX_MSG", "32k",
     "Largest message (am_short and am_bcopy), sent in MTU-sized "
     "fragments; must fit in the window",
     /* whether it fits the window depends on the port's MTU: checked
      * when the interface opens */
     VS_CONFIG_TYPE_SIZE_RANGE(VT_AM_BCOPY_MIN, (size_t)1 << 30),
     offsetof(vt_ud_config_t, max_msg)},
    {"OOO_MAX", "1024",
     "Datagrams held after a gap until it fills, for all peers together "
     "(at most 64 per peer); 0 drops them and resends from the gap",
     VS_CONFIG_TYPE_UINT, offsetof(vt_ud_config_t, ooo_max)},
    {"KEEPALIVE", "2s",
     "When the process has made no progress for this long (a long "
     "computation), a thread tells its peers this often that it lives, so "
     "they do not declare it failed after VERVE_UD_TIMEOUT (at most a "
     "quarter of which is used), and resends what they have not acked; "
     "0 turns it off (no thread: a message lost after the sender stopped "
     "progressing then waits for its next progress)",
     VS_CONFIG_TYPE_TIME, offsetof(vt_ud_config_t, keepalive)}
};

static verve_status_t vt_ud_config_check(const void *opts)
{
    const vt_ud_config_t *cfg = opts;
    char value[32];

    if (cfg->rto_max < cfg->rto_min) {
        vs_config_print_time(value, sizeof(value), &cfg->rto_max, NULL);
        vs_config_reject("VERVE_UD_RTO_MAX", value, "at least "
                         "VERVE_UD_RTO_MIN=%gs", cfg->rto_min);
        return VERVE_ERR_INVALID_CONFIG;
    }
    return VERVE_OK;
}

vs_config_table_t vt_ud_config_table = {
    .component = "ud",
    .prefix = "UD_",
    .fields = vt_ud_config_fields,
    .num_fields = vs_array_size(vt_ud_config_fields),
    .struct_size = sizeof(vt_ud_config_t),
    .check = vt_ud_config_check,
    .next = NULL
};

static vs_constructor void vt_ud_config_init(void)
{
    vs_config_register(&vt_ud_config_table);
}
