/* The TCP component: its options and its entry points. It has no memory
 * registration: the engine emulates RMA and atomics over AM. */
#include "tcp.h"

#include <stddef.h>
#include <stdint.h>

static const vs_config_field_t vt_tcp_config_fields[] = {
    {"IF", "",
     "Network interfaces to listen on and advertise, comma separated; the "
     "first that is up with an IPv4 address is used. Empty: the first "
     "non-loopback interface that is up, else the loopback",
     VS_CONFIG_TYPE_STRING, offsetof(vt_tcp_config_t, ifname)},
    {"PORT_RANGE", "0",
     "Ports to listen on: 0 for any free port, or LOW-HIGH",
     VS_CONFIG_TYPE_STRING, offsetof(vt_tcp_config_t, port_range)},
    {"SNDBUF", "0",
     "Socket send buffer size (SO_SNDBUF); 0: the system's default, which "
     "the kernel grows by itself",
     VS_CONFIG_TYPE_SIZE_RANGE(0, (size_t)1 << 30),
     offsetof(vt_tcp_config_t, sndbuf)},
    {"RCVBUF", "0",
     "Socket receive buffer size (SO_RCVBUF); 0: the system's default",
     VS_CONFIG_TYPE_SIZE_RANGE(0, (size_t)1 << 30),
     offsetof(vt_tcp_config_t, rcvbuf)},
    {"SHORT_MAX", "64k",
     "Largest am_short message, sent from the caller's buffers without a "
     "copy while the socket takes it; at most VERVE_TCP_BCOPY_MAX",
     VS_CONFIG_TYPE_SIZE_RANGE(64, (size_t)1 << 31),
     offsetof(vt_tcp_config_t, short_max)},
    {"BCOPY_MAX", "4m",
     "Largest am_bcopy payload: one frame, received in place; the engine "
     "sends larger AMs as fragments of this size",
     /* the frame header's length has 32 bits; the engine's wireup must
      * fit in one frame */
     VS_CONFIG_TYPE_SIZE_RANGE(VT_AM_BCOPY_MIN, (size_t)1 << 31),
     offsetof(vt_tcp_config_t, bcopy_max)},
    {"TX_QUEUE_MAX", "4m",
     "Bytes queued behind a full socket before sends on the connection "
     "return no-resource and the engine holds its requests",
     VS_CONFIG_TYPE_SIZE_RANGE(1, SIZE_MAX),
     offsetof(vt_tcp_config_t, tx_queue_max)},
    {"AUTH_PENDING_MAX", "64",
     "Accepted connections that may be in their handshake (not yet proved "
     "to hold the job key) at once; new ones beyond are closed, and their "
     "makers, if in the job, connect again",
     VS_CONFIG_TYPE_UINT_RANGE(1, 65536),
     offsetof(vt_tcp_config_t, auth_pending_max)},
    {"AUTH_TIMEOUT", "10s",
     "Longest time an accepted connection may take to prove it holds the "
     "job key before it is closed",
     VS_CONFIG_TYPE_TIME_RANGE(1e-3, 3600.0),
     offsetof(vt_tcp_config_t, auth_timeout)}
};

static verve_status_t vt_tcp_config_check(const void *opts)
{
    const vt_tcp_config_t *cfg = opts;
    unsigned low, high;
    char value[32];

    if (cfg->short_max > cfg->bcopy_max) {
        vs_config_print_size(value, sizeof(value), &cfg->short_max, NULL);
        vs_config_reject("VERVE_TCP_SHORT_MAX", value, "at most "
                         "VERVE_TCP_BCOPY_MAX=%zu", cfg->bcopy_max);
        return VERVE_ERR_INVALID_CONFIG;
    }
    return vt_tcp_sock_parse_ports(cfg->port_range, &low, &high);
}

vs_config_table_t vt_tcp_config_table = {
    .component = "tcp",
    .prefix = "TCP_",
    .fields = vt_tcp_config_fields,
    .num_fields = vs_array_size(vt_tcp_config_fields),
    .struct_size = sizeof(vt_tcp_config_t),
    .check = vt_tcp_config_check,
    .next = NULL
};

static vs_constructor void vt_tcp_config_init(void)
{
    vs_config_register(&vt_tcp_config_table);
}

const vt_component_t vt_tcp_component = {
    .name = "tcp",
    .id = VT_TCP_COMPONENT_ID,
    .config = &vt_tcp_config_table,
    .iface_open = vt_tcp_iface_open,
    .mem_alloc = NULL,
    .mem_reg = NULL,
    .mem_dereg = NULL,
    .rkey_packed_size = NULL,
    .rkey_pack = NULL,
    .rkey_unpack = NULL,
    .rkey_release = NULL
};
