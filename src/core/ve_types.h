/*
 * Engine objects: context, worker, endpoint, request, memory handle and
 * remote key. Public handles (verve_*_h) point to these structs; nothing
 * here is visible to users.
 */
#ifndef VE_TYPES_H
#define VE_TYPES_H

#include <pthread.h>
#include <stdint.h>
#include <verve/verve.h>
#include "core/base/hash.h"
#include "core/base/list.h"
#include "core/base/mpool.h"
#include "transports/vt_iface.h"

#define VE_MAX_IFACES 8
/* Layers above the engine (ve_layer.h), and the polls they may add to a
 * worker's progress. */
#define VE_MAX_LAYERS 4
#define VE_MAX_LAYER_POLLS 4
#define VE_REQ_HEADER_INLINE 64

typedef struct verve_context ve_context_t;
typedef struct verve_worker ve_worker_t;
typedef struct verve_ep ve_ep_t;
typedef struct verve_request ve_request_t;
typedef struct verve_mem ve_mem_t;
typedef struct verve_rkey ve_rkey_t;
/* The tag-matching state of a worker (src/am/va_tag.h). */
typedef struct va_tag_worker va_tag_worker_t;

/* A member of a tag-matching queue (src/am/va_tag.h): the link, the tag
 * and the order of arrival or posting. */
typedef struct va_tag_entry {
    vs_list_link_t link;
    uint64_t tag;
    uint64_t seq;
} va_tag_entry_t;

typedef struct ve_config {
    char *tls;               /* comma list of transport names, or "all" */
    size_t rndv_thresh;      /* AM payload from which rendezvous is used */
    size_t rndv_split;       /* rendezvous from which both sides copy */
    unsigned spin_count;     /* progress calls before a wait sleeps */
    int rma_native;          /* 0: every RMA and atomic goes over AM */
    int am_zcopy;            /* 0: large AMs always go as fragments */
    double failure_check;    /* seconds between peer liveness checks */
    size_t frag_max;         /* largest message assembled from fragments */
    double frag_timeout;     /* seconds a message in assembly may idle */
    double stall_warn;       /* seconds a request may wait on a peer
                                before a warning; inf: never */
    unsigned handle_errors;  /* vs_crash_mode_t */
} ve_config_t;

struct verve_context {
    uint64_t features;
    char name[32];
    ve_config_t config;
    vs_hash_t mem_by_key;    /* key id -> ve_mem_t, for emulated RMA */
    pthread_mutex_t lock;    /* guards mem_by_key across workers */
    const vt_component_t *components[VE_MAX_IFACES];
    unsigned num_components;
};

typedef struct ve_am_handler {
    verve_am_recv_cb_t cb;
    void *arg;
    uint32_t flags;
} ve_am_handler_t;

typedef struct ve_lane {
    vt_iface_t *iface;
    vt_iface_caps_t caps;
    const vt_component_t *component;
} ve_lane_t;

/* What the engine knows about a remote worker, kept after its endpoints
 * are closed so a late message still finds a way back. */
typedef struct ve_peer {
    uint64_t uid;
    void *address;
    size_t address_length;
    ve_ep_t *ep;             /* the endpoint replies go through, or NULL */
} ve_peer_t;

struct verve_worker {
    ve_context_t *context;
    verve_thread_mode_t thread_mode;
    pthread_mutex_t lock;
    uint64_t uid;
    int epoll_fd;
    ve_lane_t ifaces[VE_MAX_IFACES];
    unsigned num_ifaces;
    /* Every progress call reads these: packed here, rather than reached
     * through ifaces[i].iface->ops. */
    struct {
        unsigned (*progress)(vt_iface_t *iface);
        vt_iface_t *iface;
    } polls[VE_MAX_IFACES];
    ve_am_handler_t am_handlers[VERVE_AM_ID_MAX];
    vs_mpool_t req_mp;
    vs_hash_t peers;          /* uid -> ve_peer_t */
    ve_peer_t *last_peer;     /* the last one looked up: messages come in
                                 runs from one peer */
    vs_hash_t reqs_by_id;     /* id -> ve_request_t waiting for a reply */
    vs_hash_t frags;          /* fragmented AMs in assembly (src/am) */
    va_tag_worker_t *tag;     /* queues of tag matching, made at first use
                                 (src/am) */
    uint64_t next_req_id;
    vs_list_link_t eps;       /* every endpoint, for flush and checks */
    vs_list_link_t pending_eps; /* endpoints with queued sends */
    uint64_t next_check_ns;
    unsigned progress_count;
    unsigned idle_yield_eps;  /* endpoints on VT_CAP_IDLE_YIELD lanes */
    unsigned idle_polls;      /* progress calls in a row that found nothing */
    int in_progress;
    /* The protocol layer's second AM channel (VA_AM_FLAG_COLL): set by the
     * layer that uses it (the collectives, ve_worker_set_chan), never a
     * user id. */
    ve_am_handler_t chan_handler;
    /* Each upper layer's state, at the slot ve_layer_register gave it. */
    void *layer_data[VE_MAX_LAYERS];
    /* Polls an upper layer adds while it waits for something no transport
     * reports (flags in shared memory): none most of the time. */
    struct {
        unsigned (*progress)(void *arg);
        void *arg;
    } layer_polls[VE_MAX_LAYER_POLLS];
    unsigned num_layer_polls;
};

enum {
    VE_EP_FLAG_USER = 1u << 0,     /* created by verve_ep_create */
    VE_EP_FLAG_FAILED = 1u << 1,
    VE_EP_FLAG_CLOSING = 1u << 2,
    VE_EP_FLAG_ON_PENDING = 1u << 3,
    VE_EP_FLAG_DYING = 1u << 4,    /* found dead, failed after a drain */
    /* Destroyed while busy: freed when the outermost completion returns. */
    VE_EP_FLAG_DESTROYED = 1u << 5
};

struct verve_ep {
    ve_worker_t *worker;
    ve_peer_t *peer;
    vt_ep_t *vt_ep;
    ve_lane_t *lane;
    uint16_t flags;
    /* Completions and error callbacks running on this endpoint: a
     * callback may close it, and the code it returns to still reads it. */
    uint16_t busy;
    verve_status_t error;
    verve_ep_error_cb_t err_cb;
    void *err_arg;
    void *user_data;
    vs_list_link_t list;          /* in worker->eps */
    vs_list_link_t pending_list;  /* in worker->pending_eps */
    vs_list_link_t pending;       /* requests not yet sent, in order */
    vs_list_link_t outstanding;   /* requests sent, waiting for a reply */
    vs_list_link_t flushes;       /* flush/close requests */
    /* Atomics on keys that ask for their own lane (VT_CAP_AMO_LANE), on
     * a lane other than this one's: made at the first such key. */
    vt_ep_t *amo_vt_ep;
};

enum {
    VE_REQ_FLAG_COMPLETED = 1u << 0,
    VE_REQ_FLAG_RELEASED = 1u << 1,  /* user freed it, or internal */
    VE_REQ_FLAG_CALLBACK = 1u << 2,
    VE_REQ_FLAG_HEADER_ALLOC = 1u << 3,
    VE_REQ_FLAG_CLOSE = 1u << 4,     /* a flush request that closes */
    VE_REQ_FLAG_BUFFER_ALLOC = 1u << 5, /* am.buffer is a bounce copy */
    VE_REQ_FLAG_IN_CALLBACK = 1u << 6, /* a free now only marks it */
    /* The transport holds rma.comp: only it completes the request (a
     * failure of the ep included). */
    VE_REQ_FLAG_TRANSPORT = 1u << 7,
    /* Lane resources released at completion (ve_request_complete). */
    VE_REQ_FLAG_RNDV_MEMH = 1u << 8,   /* am.rndv_memh: our buffer's */
    VE_REQ_FLAG_RNDV_RKEY = 1u << 9,   /* rndv.rkey: the sender's */
    VE_REQ_FLAG_TAG_RECV = 1u << 10,   /* a tag receive: tag is valid */
    /* The stall check saw it waiting: stall_ms is set (ve_stall.c). */
    VE_REQ_FLAG_STALL_SEEN = 1u << 11,
    VE_REQ_FLAG_STALL_WARNED = 1u << 12 /* warned about once */
};

/* Retries a queued send: VERVE_OK when done, VERVE_INPROGRESS when sent
 * and waiting for a reply, VERVE_ERR_NO_RESOURCE to stay queued. */
typedef verve_status_t (*ve_request_send_t)(ve_request_t *req);

struct verve_request {
    verve_status_t status;
    uint32_t flags;
    verve_send_cb_t cb;
    void *user_data;
    ve_worker_t *worker;
    ve_ep_t *ep;
    vs_list_link_t list;
    uint64_t id;              /* key in worker->reqs_by_id, 0 if none */
    ve_request_send_t send;
    verve_status_t first_error; /* of a request answered in parts */
    /* When the stall check first saw it waiting (milliseconds, modulo
     * 2^32), valid with VE_REQ_FLAG_STALL_SEEN: set there, not at start,
     * so the fast path reads no clock. */
    uint32_t stall_ms;
    union {
        struct {
            unsigned id;
            uint32_t proto_flags;
            uint8_t *header;
            size_t header_length;
            const void *buffer;
            size_t count;
            verve_datatype_t datatype;
            size_t length;
            size_t offset;        /* payload bytes sent in fragments */
            vt_memh_t *rndv_memh; /* registration for the peer's read */
            uint8_t header_inline[VE_REQ_HEADER_INLINE];
        } am;
        /* rma, rndv and amo start alike: comp is reached through any. */
        struct {
            vt_completion_t comp; /* native op of a VT_CAP_ASYNC lane */
            void *buffer;         /* local buffer */
            size_t length;
            size_t offset;        /* bytes sent or received so far */
            size_t acked;
            uint64_t remote_addr;
            ve_rkey_t *rkey;
        } rma;
        struct {
            vt_completion_t comp; /* the read of the sender's buffer */
            uint64_t send_req_id; /* the sender's request, for ATS */
            vt_rkey_t *rkey;      /* the sender's buffer */
            uint64_t address;     /* in the sender's memory */
            void *buffer;         /* ours */
            size_t length;
        } rndv;
        struct {
            vt_completion_t comp;
            int op;
            size_t size;
            uint64_t value;
            uint64_t compare;
            void *result;
            uint64_t remote_addr;
            ve_rkey_t *rkey;
        } amo;
        /* A tag receive (ep is NULL): posted on a queue through entry
         * until a message matches. */
        struct {
            va_tag_entry_t entry;
            uint64_t mask;
            void *buffer;
            size_t length;
            int posted;           /* on a queue: cancel may take it */
            struct verve_tag_recv_info *info; /* the user's, or NULL */
            uint64_t sender_tag;
            size_t sender_length;
        } tag;
    };
};

struct verve_mem {
    ve_context_t *context;
    void *address;
    size_t length;
    uint64_t key_id;
    int allocated;
    const vt_component_t *alloc_component;
    vt_memh_t *memh[VE_MAX_IFACES];   /* by context component index */
};

struct verve_rkey {
    ve_ep_t *ep;
    uint64_t base;
    uint64_t length;
    uint64_t key_id;
    const vt_component_t *component;
    vt_rkey_t *vt_rkey;      /* on the ep's lane, NULL: emulated */
    uint32_t caps;           /* VT_CAP_RMA/AMO32/AMO64 of vt_rkey */
    /* Where atomics run: the ep's lane, or the lane the key asks for
     * (VT_CAP_AMO_LANE). amo_caps: VT_CAP_AMO32/AMO64 of amo_vt_rkey,
     * and VT_CAP_ASYNC of its lane. */
    vt_ep_t *amo_vt_ep;
    vt_rkey_t *amo_vt_rkey;
    const vt_component_t *amo_component; /* when amo_vt_rkey is its own */
    uint32_t amo_caps;
};

#endif
