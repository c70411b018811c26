/*
 * verve: active messages, RMA and atomics over shared memory and networks.
 *
 * Object model: a context holds configuration and memory registrations; a
 * worker owns transport interfaces and progresses them; an endpoint connects
 * a worker to one remote worker, whose address was exchanged out of band
 * (verve_boot.h gives a way to do that).
 *
 * Request model: every nonblocking call returns VERVE_OK when it completed in
 * place (and allocates nothing), VERVE_INPROGRESS with a request in
 * *request_p, or an error. A request completes through its callback or
 * verve_request_test/verve_request_wait, and is given back with
 * verve_request_free (which may be called before completion).
 */
#ifndef VERVE_H
#define VERVE_H

#include <stddef.h>
#include <stdint.h>
#include <verve/verve_status.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VERVE_VERSION_MAJOR 0
#define VERVE_VERSION_MINOR 1

typedef struct verve_context *verve_context_h;
typedef struct verve_worker *verve_worker_h;
typedef struct verve_ep *verve_ep_h;
typedef struct verve_mem *verve_mem_h;
typedef struct verve_rkey *verve_rkey_h;
typedef struct verve_request *verve_request_h;

VERVE_API const char *verve_version_string(void);

/* ---- context ------------------------------------------------------------ */

enum {
    VERVE_FEATURE_AM = 1u << 0,
    VERVE_FEATURE_RMA = 1u << 1,
    VERVE_FEATURE_AMO32 = 1u << 2,
    VERVE_FEATURE_AMO64 = 1u << 3,
    /* Ask for verve_worker_wait support (eventfd/socket based sleep). */
    VERVE_FEATURE_WAKEUP = 1u << 4
};

enum {
    VERVE_CONTEXT_PARAM_FIELD_FEATURES = 1u << 0,
    VERVE_CONTEXT_PARAM_FIELD_NAME = 1u << 1,
    VERVE_CONTEXT_PARAM_FIELD_TLS = 1u << 2
};

typedef struct verve_context_params {
    uint64_t field_mask;
    uint64_t features;   /* VERVE_FEATURE_*; default: all */
    const char *name;    /* shown in log messages */
    /* The transports when VERVE_TLS is not set, in its syntax (a library
     * that knows every peer shares the node passes "shm,self"); a
     * VERVE_TLS in the environment wins. */
    const char *tls;
} verve_context_params_t;

/* Reads the VERVE_* configuration; a malformed value fails with
 * VERVE_ERR_INVALID_CONFIG after logging the variable and accepted values. */
VERVE_API verve_status_t verve_context_create(
        const verve_context_params_t *params, verve_context_h *context_p);
VERVE_API void verve_context_destroy(verve_context_h context);

/* ---- worker ------------------------------------------------------------- */

typedef enum verve_thread_mode {
    VERVE_THREAD_MODE_SINGLE = 0, /* one thread at a time, no locks */
    VERVE_THREAD_MODE_MULTI = 1   /* any thread, calls serialised by a lock */
} verve_thread_mode_t;

enum {
    VERVE_WORKER_PARAM_FIELD_THREAD_MODE = 1u << 0
};

typedef struct verve_worker_params {
    uint64_t field_mask;
    verve_thread_mode_t thread_mode;
} verve_worker_params_t;

VERVE_API verve_status_t verve_worker_create(verve_context_h context,
        const verve_worker_params_t *params, verve_worker_h *worker_p);
/* Endpoints still open are closed with force. */
VERVE_API void verve_worker_destroy(verve_worker_h worker);

/* The worker's address, to hand to peers. Release with
 * verve_worker_address_release. */
VERVE_API verve_status_t verve_worker_address_pack(verve_worker_h worker,
        void **address_p, size_t *length_p);
VERVE_API void verve_worker_address_release(void *address);

/* Makes progress on every transport of the worker: delivers received
 * messages, completes requests. Returns how many events it handled. */
VERVE_API unsigned verve_worker_progress(verve_worker_h worker);

/* Sleeps until an event may be ready on the worker (a message, a peer that
 * failed) or timeout_ms passes (-1: no timeout). Returns VERVE_OK when woken
 * or when events were already pending, VERVE_ERR_TIMED_OUT on timeout. Needs
 * VERVE_FEATURE_WAKEUP. */
VERVE_API verve_status_t verve_worker_wait(verve_worker_h worker,
        int timeout_ms);

/* ---- requests ----------------------------------------------------------- */

typedef void (*verve_send_cb_t)(verve_request_h request,
        verve_status_t status, void *user_data);

typedef enum verve_datatype {
    VERVE_DATATYPE_CONTIG = 0, /* buffer is bytes, count is a byte count */
    VERVE_DATATYPE_IOV = 1     /* buffer is verve_iov_t[count] */
} verve_datatype_t;

typedef struct verve_iov {
    void *buffer;
    size_t length;
} verve_iov_t;

enum {
    VERVE_OP_ATTR_FIELD_CALLBACK = 1u << 0,
    VERVE_OP_ATTR_FIELD_USER_DATA = 1u << 1,
    VERVE_OP_ATTR_FIELD_DATATYPE = 1u << 2,
    VERVE_OP_ATTR_FIELD_FLAGS = 1u << 3,
    VERVE_OP_ATTR_FIELD_RECV_INFO = 1u << 4
};

enum {
    /* Force the eager protocol (fails with VERVE_ERR_INVALID_PARAM when the
     * message exceeds the eager limit). */
    VERVE_AM_SEND_FLAG_EAGER = 1u << 0,
    /* Force rendezvous. */
    VERVE_AM_SEND_FLAG_RNDV = 1u << 1
};

struct verve_tag_recv_info;

typedef struct verve_request_param {
    uint64_t op_attr_mask;      /* VERVE_OP_ATTR_FIELD_* */
    verve_send_cb_t cb;         /* called once when the request completes */
    void *user_data;
    verve_datatype_t datatype;
    uint32_t flags;             /* VERVE_AM_SEND_FLAG_* */
    /* Tag receives (verve_tag.h): where the sender's tag and length go;
     * it must stay valid until the receive completes. */
    struct verve_tag_recv_info *recv_info;
} verve_request_param_t;

/* VERVE_INPROGRESS while running, then the final status. */
VERVE_API verve_status_t verve_request_test(verve_request_h request);
/* Progresses the worker until the request completes; returns its status.
 * Sleeps in verve_worker_wait when spinning does not help (oversubscribed
 * nodes). */
VERVE_API verve_status_t verve_request_wait(verve_worker_h worker,
        verve_request_h request);
/* Gives the request back. A request still running is released when it
 * completes; its callback still runs. */
VERVE_API void verve_request_free(verve_request_h request);

/* ---- endpoints ---------------------------------------------------------- */

typedef void (*verve_ep_error_cb_t)(void *arg, verve_ep_h ep,
        verve_status_t status);

enum {
    VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS = 1u << 0,
    VERVE_EP_PARAM_FIELD_ERR_HANDLER = 1u << 1,
    VERVE_EP_PARAM_FIELD_USER_DATA = 1u << 2
};

typedef struct verve_ep_params {
    uint64_t field_mask;
    const void *address;       /* from verve_worker_address_pack */
    size_t address_length;
    verve_ep_error_cb_t err_cb; /* called once when the peer fails */
    void *err_arg;
    void *user_data;            /* returned by verve_ep_user_data */
} verve_ep_params_t;

VERVE_API verve_status_t verve_ep_create(verve_worker_h worker,
        const verve_ep_params_t *params, verve_ep_h *ep_p);

typedef enum verve_ep_close_mode {
    VERVE_EP_CLOSE_FLUSH = 0, /* complete outstanding operations first */
    VERVE_EP_CLOSE_FORCE = 1  /* cancel them (VERVE_ERR_CANCELED) */
} verve_ep_close_mode_t;

/* Returns VERVE_OK when closed in place, or VERVE_INPROGRESS with a request
 * that completes when the endpoint is gone. */
VERVE_API verve_status_t verve_ep_close_nbx(verve_ep_h ep,
        verve_ep_close_mode_t mode, const verve_request_param_t *param,
        verve_request_h *request_p);
VERVE_API void *verve_ep_user_data(verve_ep_h ep);

/* Completes when every operation started on the endpoint is remotely
 * complete, or, on a transport whose kernel delivers by itself (tcp), when
 * all of its bytes left verve for the kernel: from then on nothing
 * started on the endpoint needs this process's progress, so it may block
 * outside verve (verve_boot_barrier). Until then the flush needs progress
 * here, and may need the peer's (to make room in a full ring or socket
 * buffer, or to answer a new connection). */
VERVE_API verve_status_t verve_ep_flush_nbx(verve_ep_h ep,
        const verve_request_param_t *param, verve_request_h *request_p);
VERVE_API verve_status_t verve_worker_flush_nbx(verve_worker_h worker,
        const verve_request_param_t *param, verve_request_h *request_p);
/* Operations started after the fence are performed after those before it,
 * per endpoint. */
VERVE_API verve_status_t verve_worker_fence(verve_worker_h worker);

/* ---- active messages ---------------------------------------------------- */

/* Handler ids are small integers below VERVE_AM_ID_MAX. */
#define VERVE_AM_ID_MAX 256

enum {
    /* The handler may return VERVE_INPROGRESS to keep eager data past its
     * return, and later give it back with verve_am_data_release. */
    VERVE_AM_FLAG_PERSISTENT_DATA = 1u << 0
};

enum {
    /* data points to the whole payload */
    VERVE_AM_RECV_ATTR_FLAG_DATA = 1u << 0,
    /* data is a rendezvous descriptor: receive it with
     * verve_am_recv_data_nbx, or return without doing so to drop it */
    VERVE_AM_RECV_ATTR_FLAG_RNDV = 1u << 1
};

typedef struct verve_am_recv_param {
    uint64_t recv_attr;    /* VERVE_AM_RECV_ATTR_FLAG_* */
    verve_ep_h reply_ep;   /* endpoint back to the sender, NULL if none */
} verve_am_recv_param_t;

typedef verve_status_t (*verve_am_recv_cb_t)(void *arg, const void *header,
        size_t header_length, void *data, size_t length,
        const verve_am_recv_param_t *param);

enum {
    VERVE_AM_HANDLER_PARAM_FIELD_ID = 1u << 0,
    VERVE_AM_HANDLER_PARAM_FIELD_CB = 1u << 1,
    VERVE_AM_HANDLER_PARAM_FIELD_ARG = 1u << 2,
    VERVE_AM_HANDLER_PARAM_FIELD_FLAGS = 1u << 3
};

typedef struct verve_am_handler_params {
    uint64_t field_mask;
    unsigned id;
    verve_am_recv_cb_t cb;  /* NULL removes the handler */
    void *arg;
    uint32_t flags;         /* VERVE_AM_FLAG_* */
} verve_am_handler_params_t;

VERVE_API verve_status_t verve_worker_set_am_handler(verve_worker_h worker,
        const verve_am_handler_params_t *params);

/* Sends header (copied before return) and the payload (buffer with count
 * bytes, or count iovs with VERVE_DATATYPE_IOV). The payload must stay
 * untouched until the call or its request completes. AMs on one endpoint
 * are delivered in the order they were sent. */
VERVE_API verve_status_t verve_am_send_nbx(verve_ep_h ep, unsigned id,
        const void *header, size_t header_length, const void *buffer,
        size_t count, const verve_request_param_t *param,
        verve_request_h *request_p);

/* From inside a handler that got VERVE_AM_RECV_ATTR_FLAG_RNDV, or later if
 * the handler returned VERVE_INPROGRESS to keep the descriptor (the sender
 * waits until then): receives the payload into buffer, which holds at
 * least the handler's `length` bytes (VERVE_ERR_MESSAGE_TRUNCATED
 * otherwise, and the message is dropped). Without request_p and callback
 * the data is in buffer when the call returns VERVE_OK; with either, a
 * large message may return VERVE_INPROGRESS and complete later, both
 * sides copying at once. Over RDMA the read always completes later: there
 * a request pointer or a callback is required (VERVE_ERR_UNSUPPORTED
 * otherwise, and the message is dropped). */
VERVE_API verve_status_t verve_am_recv_data_nbx(verve_worker_h worker,
        void *data_desc, void *buffer, size_t length,
        const verve_request_param_t *param, verve_request_h *request_p);

/* Gives back eager data kept by a handler that returned VERVE_INPROGRESS. */
VERVE_API void verve_am_data_release(verve_worker_h worker, void *data);

/* ---- memory and remote keys --------------------------------------------- */

enum {
    VERVE_MEM_MAP_PARAM_FIELD_ADDRESS = 1u << 0,
    VERVE_MEM_MAP_PARAM_FIELD_LENGTH = 1u << 1,
    VERVE_MEM_MAP_PARAM_FIELD_FLAGS = 1u << 2
};

enum {
    /* Allocate the memory (address is ignored). Allocated memory is
     * shareable: peers on the node reach it with plain loads and stores. */
    VERVE_MEM_MAP_ALLOCATE = 1u << 0
};

typedef struct verve_mem_map_params {
    uint64_t field_mask;
    void *address;
    size_t length;
    uint32_t flags;
} verve_mem_map_params_t;

VERVE_API verve_status_t verve_mem_map(verve_context_h context,
        const verve_mem_map_params_t *params, verve_mem_h *memh_p);
VERVE_API verve_status_t verve_mem_unmap(verve_context_h context,
        verve_mem_h memh);
VERVE_API void *verve_mem_address(verve_mem_h memh);
VERVE_API size_t verve_mem_length(verve_mem_h memh);

/* A byte string that names the region for peers. */
VERVE_API verve_status_t verve_rkey_pack(verve_context_h context,
        verve_mem_h memh, void **rkey_buffer_p, size_t *length_p);
VERVE_API void verve_rkey_buffer_release(void *rkey_buffer);
/* Fails with VERVE_ERR_INVALID_RKEY when the bytes are not a packed key. */
VERVE_API verve_status_t verve_rkey_unpack(verve_ep_h ep,
        const void *rkey_buffer, size_t length, verve_rkey_h *rkey_p);
VERVE_API void verve_rkey_destroy(verve_rkey_h rkey);

/* ---- RMA and atomics ---------------------------------------------------- */

/* An access outside the region named by the rkey fails with
 * VERVE_ERR_OUT_OF_RANGE and touches nothing. */
VERVE_API verve_status_t verve_put_nbx(verve_ep_h ep, const void *buffer,
        size_t length, uint64_t remote_addr, verve_rkey_h rkey,
        const verve_request_param_t *param, verve_request_h *request_p);
VERVE_API verve_status_t verve_get_nbx(verve_ep_h ep, void *buffer,
        size_t length, uint64_t remote_addr, verve_rkey_h rkey,
        const verve_request_param_t *param, verve_request_h *request_p);

typedef enum verve_atomic_op {
    VERVE_ATOMIC_ADD = 0,   /* no result */
    VERVE_ATOMIC_FADD = 1,  /* result: old value */
    VERVE_ATOMIC_SWAP = 2,  /* result: old value */
    VERVE_ATOMIC_CSWAP = 3, /* stores value if old == compare; result: old */
    VERVE_ATOMIC_OP_LAST
} verve_atomic_op_t;

/* op_size is 4 or 8; remote_addr must be aligned to it. result points to an
 * op_size integer (unused for VERVE_ATOMIC_ADD) written on completion. */
VERVE_API verve_status_t verve_atomic_nbx(verve_ep_h ep, verve_atomic_op_t op,
        uint64_t value, uint64_t compare, void *result, size_t op_size,
        uint64_t remote_addr, verve_rkey_h rkey,
        const verve_request_param_t *param, verve_request_h *request_p);

#ifdef __cplusplus
}
#endif

#endif
