/*
 * mtl verve: Open MPI 4.1's matching transport layer (pml cm) over verve's
 * tag matching (verve_tag.h). One verve worker per process; one verve
 * endpoint per peer, kept in proc->proc_endpoints[OMPI_PROC_ENDPOINT_TAG_MTL].
 *
 * The tag layout is verve_ompi.h's, shared with pml verve.
 */
#ifndef MTL_VERVE_H
#define MTL_VERVE_H

#include "ompi_config.h"
#include "ompi/mca/mtl/mtl.h"
#include "opal/threads/mutex.h"

#include "verve_ompi.h"
#include "verve_ompi_peers.h"

BEGIN_C_DECLS

typedef verve_ompi_endpoint_t ompi_mtl_verve_endpoint_t;

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
    verve_ompi_peers_t peers;
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
