/*
 * The built-in bootstrap's wire protocol, shared by the client in each rank
 * (boot_builtin.c) and the server in verve_run (boot_server.c), and the
 * socket helpers both sides use. Both ends are processes of the same build
 * on the same host, so the header travels in host byte order.
 *
 * rank -> server: HELLO{rank, size}, then ALLGATHER{length} + length bytes
 *                 per collective, BYE before closing.
 * server -> rank: HELLO_ACK, ALLGATHER_REPLY{length = size * l} + bytes, or
 *                 FAIL{rank, status} once any rank died or broke the
 *                 protocol; after FAIL the server answers nothing else.
 */
#ifndef VS_BOOT_WIRE_H
#define VS_BOOT_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <verve/verve_status.h>

#define VS_BOOT_WIRE_MAGIC 0x76627431u /* "vbt1" */

/* What verve_run sets for each rank; boot.c reads them through its config
 * table (component "boot", prefix "RUN_"), whose field names are the
 * suffixes below. */
#define VS_BOOT_ENV_ADDR       "VERVE_RUN_ADDR"
#define VS_BOOT_ENV_RANK       "VERVE_RUN_RANK"
#define VS_BOOT_ENV_SIZE       "VERVE_RUN_SIZE"
#define VS_BOOT_ENV_LOCAL_RANK "VERVE_RUN_LOCAL_RANK"
#define VS_BOOT_ENV_LOCAL_SIZE "VERVE_RUN_LOCAL_SIZE"

/* A barrier is an allgather of nothing; larger exchanges are worker
 * addresses. The cap keeps a corrupted length from making the server
 * allocate the machine: size * length must stay under it. */
#define VS_BOOT_WIRE_MAX_TOTAL (256ull << 20)

typedef enum vs_boot_wire_op {
    VS_BOOT_WIRE_HELLO = 1,
    VS_BOOT_WIRE_HELLO_ACK,
    VS_BOOT_WIRE_ALLGATHER,
    VS_BOOT_WIRE_ALLGATHER_REPLY,
    VS_BOOT_WIRE_BYE,
    VS_BOOT_WIRE_FAIL
} vs_boot_wire_op_t;

typedef struct vs_boot_wire_hdr {
    uint32_t magic;
    uint32_t op;        /* vs_boot_wire_op_t */
    uint32_t rank;      /* HELLO: sender; FAIL: the rank that failed */
    uint32_t size;      /* HELLO: job size the sender was told */
    int32_t status;     /* FAIL: why (verve_status_t) */
    uint32_t reserved;
    uint64_t length;    /* payload bytes that follow the header */
} vs_boot_wire_hdr_t;

/* Returns 1 when hdr is well formed for a message sent by a rank of a job
 * of `size` (magic, op, length bounds), 0 otherwise. */
int vs_boot_wire_check_request(const vs_boot_wire_hdr_t *hdr,
                               unsigned size);

/* Fills a sockaddr_un from "@name" (abstract) or a filesystem path. */
verve_status_t vs_boot_wire_sockaddr(const char *address,
                                     struct sockaddr_un *sa,
                                     socklen_t *len_p);

/* Sends or receives exactly length bytes on a socket, waiting at most
 * timeout seconds (<= 0: forever) for the peer to make room or data.
 * Returns VERVE_ERR_PEER_FAILED when the peer closed, VERVE_ERR_TIMED_OUT
 * on timeout, VERVE_ERR_IO on other errors; never raises SIGPIPE. */
verve_status_t vs_boot_wire_send(int fd, const void *buffer, size_t length,
                                 double timeout);
verve_status_t vs_boot_wire_recv(int fd, void *buffer, size_t length,
                                 double timeout);

#endif
