/*
 * mtl verve: Open MPI 4.1's matching transport layer (pml cm) over verve's
 * tag matching (verve_tag.h). One verve worker per process; one verve
 * endpoint per peer, kept in proc->proc_endpoints[OMPI_PROC_ENDPOINT_TAG_MTL].
 *
 * Tag layout, the 64-bit verve tag of every message:
 *
 *   63        44 43        24 23 22              0
 *   | context id | src rank   | s |  MPI tag bits  |
 *      20 bits      20 bits    1      23 bits
 *
 * - context id: comm->c_contextid, at most 2^20 - 1 (mtl_max_contextid);
 *   add_comm refuses a communicator beyond it, and one with more than 2^20
 *   ranks, rather than let two alias.
 * - src rank: the sender's rank in the communicator (its local group for
 *   an intercommunicator, which is how the receiver names it).
 * - s: the MPI tag's sign. Non-negative tags (user tags, at most
 *   mtl_max_tag = 2^23 - 1) are stored as they are. Negative tags belong
 *   to Open MPI's collectives (-10 down to -INT_MAX); their low 23 bits
 *   are kept under s = 1, so they never alias a user tag. Two negative
 *   tags 2^23 apart do alias each other: only collectives use them, and
 *   a receive posted with a negative tag reports that tag in its status,
 *   not the folded one.
 *
 * Masks: MPI_ANY_SOURCE clears the source bits; MPI_ANY_TAG clears the 23
 * tag bits but keeps s, expected 0, so that a wildcard receive never takes
 * a collective's message.
 */
#ifndef MTL_VERVE_H
#define MTL_VERVE_H

#include "ompi_config.h"
#include "ompi/mca/mtl/mtl.h"
#include "opal/threads/mutex.h"

#include <verve/verve.h>
#include <verve/verve_tag.h>

BEGIN_C_DECLS

#define MTL_VERVE_TAG_BITS 24
#define MTL_VERVE_SOURCE_BITS 20
#define MTL_VERVE_CID_BITS 20
#define MTL_VERVE_SOURCE_SHIFT MTL_VERVE_TAG_BITS
#define MTL_VERVE_CID_SHIFT (MTL_VERVE_TAG_BITS + MTL_VERVE_SOURCE_BITS)

#define MTL_VERVE_MAX_TAG ((1 << (MTL_VERVE_TAG_BITS - 1)) - 1)
#define MTL_VERVE_MAX_CID ((1u << MTL_VERVE_CID_BITS) - 1)
#define MTL_VERVE_MAX_RANKS (1 << MTL_VERVE_SOURCE_BITS)

#define MTL_VERVE_TAG_FIELD ((UINT64_C(1) << MTL_VERVE_TAG_BITS) - 1)
#define MTL_VERVE_TAG_SIGN (UINT64_C(1) << (MTL_VERVE_TAG_BITS - 1))
#define MTL_VERVE_SOURCE_FIELD \
    (((UINT64_C(1) << MTL_VERVE_SOURCE_BITS) - 1) << MTL_VERVE_SOURCE_SHIFT)

static inline verve_tag_t ompi_mtl_verve_tag_make(uint32_t cid,
                                                  int source, int tag)
{
    uint64_t tag_bits = (tag >= 0)
            ? (uint64_t)tag
            : (MTL_VERVE_TAG_SIGN | ((uint64_t)(uint32_t)tag &
                                     (MTL_VERVE_TAG_SIGN - 1)));

    return ((uint64_t)cid << MTL_VERVE_CID_SHIFT) |
           ((uint64_t)(uint32_t)source << MTL_VERVE_SOURCE_SHIFT) |
           tag_bits;
}

/* The mask that goes with a receive or probe for (source, tag), either
 * of which may be a wildcard. */
static inline verve_tag_t ompi_mtl_verve_tag_mask(int source, int tag)
{
    verve_tag_t mask = ~UINT64_C(0);

    if (source == MPI_ANY_SOURCE) {
        mask &= ~MTL_VERVE_SOURCE_FIELD;
    }
    if (tag == MPI_ANY_TAG) {
        mask &= ~(MTL_VERVE_TAG_FIELD & ~MTL_VERVE_TAG_SIGN);
    }
    return mask;
}

/* A wildcard's expected value: the wildcard's own bits are masked out,
 * and MPI_ANY_TAG's expected sign must be 0. */
static inline verve_tag_t ompi_mtl_verve_tag_expect(uint32_t cid,
                                                    int source, int tag)
{
    return ompi_mtl_verve_tag_make(cid,
                                   (source == MPI_ANY_SOURCE) ? 0 : source,
                                   (tag == MPI_ANY_TAG) ? 0 : tag);
}

static inline int ompi_mtl_verve_tag_source(verve_tag_t tag)
{
    return (int)((tag & MTL_VERVE_SOURCE_FIELD) >> MTL_VERVE_SOURCE_SHIFT);
}

/* Exact for tags >= -2^23 (every user tag); see the layout above. */
static inline int ompi_mtl_verve_tag_mpi(verve_tag_t tag)
{
    uint64_t bits = tag & MTL_VERVE_TAG_FIELD;

    if (bits & MTL_VERVE_TAG_SIGN) {
        return (int)(int32_t)(uint32_t)(bits | ~MTL_VERVE_TAG_FIELD);
    }
    return (int)bits;
}

/* One per peer process. */
typedef struct ompi_mtl_verve_endpoint {
    verve_ep_h ep;
    struct ompi_proc_t *proc;
    /* The verve status that failed the peer, VERVE_OK while it lives;
     * written under the module's lock. */
    volatile int failed;
    bool closing;           /* del_procs or finalize is closing it */
} ompi_mtl_verve_endpoint_t;

enum {
    /* On the module's list of receives from one peer. */
    MTL_VERVE_REQ_LINKED = 1u << 0,
    /* The verve callback ran: vreq is gone. */
    MTL_VERVE_REQ_DONE = 1u << 1,
    /* Cancel or a peer failure took vreq to cancel it: the taker frees
     * it, not the callback. */
    MTL_VERVE_REQ_TAKEN = 1u << 2,
    /* Cancelled because its peer failed: an error, not MPI_Cancel. */
    MTL_VERVE_REQ_PEER_FAILED = 1u << 3,
    /* The receive of a message a probe took: matched, not cancellable. */
    MTL_VERVE_REQ_MATCHED = 1u << 4
};

typedef enum ompi_mtl_verve_req_type {
    MTL_VERVE_REQ_SEND,
    MTL_VERVE_REQ_RECV
} ompi_mtl_verve_req_type_t;

/* What pml cm allocates after its own request, mtl_request_size bytes. */
typedef struct ompi_mtl_verve_request {
    mca_mtl_request_t super;
    ompi_mtl_verve_req_type_t type;
    uint32_t flags;                 /* MTL_VERVE_REQ_*, under the lock */
    /* Receives: the verve request while it may still be cancelled. */
    verve_request_h vreq;
    void *buffer;                   /* what verve reads or writes */
    size_t length;
    bool free_after;                /* buffer is a packing copy */
    struct opal_convertor_t *convertor;
    verve_tag_recv_info_t info;     /* filled by verve for receives */
    int tag;                        /* the receive's MPI tag */
    int source;                     /* the receive's source, for errors */
    ompi_mtl_verve_endpoint_t *peer; /* receive from one source, or NULL */
    struct ompi_mtl_verve_request *prev, *next; /* on the module's list */
    /* mtl_send, which has no ompi request: set when complete. */
    volatile int done;
    int mpi_error;
} ompi_mtl_verve_request_t;

typedef struct ompi_mtl_verve_module {
    mca_mtl_base_module_t super;
    verve_context_h context;
    verve_worker_h worker;
    /* Guards the receive list, each request's vreq and flags, and the
     * endpoints' failure state. Never held across a verve call: verve's
     * callbacks run under verve's worker lock and take this one. */
    opal_mutex_t lock;
    ompi_mtl_verve_request_t *receives; /* receives from one source */
    volatile int failure_pending;       /* a peer failed: fail them */
    ompi_mtl_verve_endpoint_t **endpoints; /* for finalize */
    size_t num_endpoints;
    size_t max_endpoints;
} ompi_mtl_verve_module_t;

typedef struct ompi_mtl_verve_component {
    mca_mtl_base_component_2_0_0_t super;
} ompi_mtl_verve_component_t;

extern ompi_mtl_verve_module_t ompi_mtl_verve;
OMPI_MODULE_DECLSPEC extern ompi_mtl_verve_component_t
        mca_mtl_verve_component;

/* mtl_verve.c */
int ompi_mtl_verve_add_procs(struct mca_mtl_base_module_t *mtl,
                             size_t nprocs, struct ompi_proc_t **procs);
int ompi_mtl_verve_del_procs(struct mca_mtl_base_module_t *mtl,
                             size_t nprocs, struct ompi_proc_t **procs);
int ompi_mtl_verve_finalize(struct mca_mtl_base_module_t *mtl);
int ompi_mtl_verve_add_comm(struct mca_mtl_base_module_t *mtl,
                            struct ompi_communicator_t *comm);
int ompi_mtl_verve_del_comm(struct mca_mtl_base_module_t *mtl,
                            struct ompi_communicator_t *comm);
int ompi_mtl_verve_progress(void);
int ompi_mtl_verve_error(verve_status_t status);
ompi_mtl_verve_endpoint_t *ompi_mtl_verve_endpoint(
        struct ompi_communicator_t *comm, int rank);

/* mtl_verve_send.c */
int ompi_mtl_verve_send(struct mca_mtl_base_module_t *mtl,
                        struct ompi_communicator_t *comm, int dest, int tag,
                        struct opal_convertor_t *convertor,
                        mca_pml_base_send_mode_t mode);
int ompi_mtl_verve_isend(struct mca_mtl_base_module_t *mtl,
                         struct ompi_communicator_t *comm, int dest, int tag,
                         struct opal_convertor_t *convertor,
                         mca_pml_base_send_mode_t mode, bool blocking,
                         mca_mtl_request_t *mtl_request);

/* mtl_verve_recv.c */
int ompi_mtl_verve_irecv(struct mca_mtl_base_module_t *mtl,
                         struct ompi_communicator_t *comm, int src, int tag,
                         struct opal_convertor_t *convertor,
                         mca_mtl_request_t *mtl_request);
int ompi_mtl_verve_imrecv(struct mca_mtl_base_module_t *mtl,
                          struct opal_convertor_t *convertor,
                          struct ompi_message_t **message,
                          mca_mtl_request_t *mtl_request);

/* mtl_verve_probe.c */
int ompi_mtl_verve_iprobe(struct mca_mtl_base_module_t *mtl,
                          struct ompi_communicator_t *comm, int src, int tag,
                          int *flag, struct ompi_status_public_t *status);
int ompi_mtl_verve_improbe(struct mca_mtl_base_module_t *mtl,
                           struct ompi_communicator_t *comm, int src,
                           int tag, int *matched,
                           struct ompi_message_t **message,
                           struct ompi_status_public_t *status);

/* mtl_verve_cancel.c: the receive list, MPI_Cancel and failed peers */
void ompi_mtl_verve_recv_started(ompi_mtl_verve_request_t *req,
                                 verve_request_h vreq);
bool ompi_mtl_verve_recv_finished(ompi_mtl_verve_request_t *req);
int ompi_mtl_verve_cancel(struct mca_mtl_base_module_t *mtl,
                          mca_mtl_request_t *mtl_request, int flag);
void ompi_mtl_verve_peer_failed(ompi_mtl_verve_endpoint_t *endpoint,
                                verve_status_t status);
void ompi_mtl_verve_fail_receives(void);
void ompi_mtl_verve_forget_closing_peers(void);

END_C_DECLS

#endif
