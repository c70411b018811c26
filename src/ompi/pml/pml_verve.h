/*
 * pml verve: Open MPI 4.1's point-to-point layer straight on verve's tag
 * matching, without pml cm's generic requests and convertors between
 * them (what pml ucx is to UCX). One verve worker per process; one verve
 * endpoint per peer, created on first use and kept in
 * proc->proc_endpoints[OMPI_PROC_ENDPOINT_TAG_PML]. The tag layout is
 * verve_ompi.h's, shared with mtl verve.
 *
 * Requests: nonblocking calls take a pml_verve_request_t from a free list
 * (every request ever made is also in the module's registry, which a
 * peer's failure searches for the receives posted for it);
 * blocking calls wait on their stack and take none. A send that verve
 * completes in place returns one shared, completed request (nothing to
 * allocate or free). A request goes back to the free list once both MPI
 * let go of it (MPI_Wait, MPI_Request_free) and verve completed it,
 * whichever comes last (PML_VERVE_REQ_RELEASED, PML_VERVE_REQ_DONE).
 */
#ifndef PML_VERVE_H
#define PML_VERVE_H

#include "ompi_config.h"
#include "ompi/communicator/communicator.h"
#include "ompi/datatype/ompi_datatype.h"
#include "ompi/mca/pml/pml.h"
#include "ompi/proc/proc.h"
#include "ompi/request/request.h"
#include "opal/class/opal_free_list.h"
#include "opal/datatype/opal_convertor.h"
#include "opal/threads/mutex.h"

#include "verve_ompi.h"
#include "verve_ompi_datatype.h"
#include "verve_ompi_peers.h"

BEGIN_C_DECLS

#define PML_VERVE_NAME "pml verve"

typedef verve_ompi_endpoint_t pml_verve_endpoint_t;

enum {
    /* verve completed the operation (or it never started). */
    PML_VERVE_REQ_DONE = 1u << 0,
    /* MPI freed the request: it goes back to the list once DONE. */
    PML_VERVE_REQ_RELEASED = 1u << 1
};

enum {
    /* Cancelled because its peer failed: an error, not MPI_Cancel. */
    PML_VERVE_FLAG_PEER_FAILED = 1u << 1,
    /* convertor was constructed: destruct it on release. */
    PML_VERVE_FLAG_CONVERTOR = 1u << 3
};

typedef enum pml_verve_req_kind {
    PML_VERVE_SEND,
    PML_VERVE_RECV
} pml_verve_req_kind_t;

typedef struct pml_verve_request {
    ompi_request_t ompi;
    pml_verve_req_kind_t kind;
    volatile uint32_t state;        /* PML_VERVE_REQ_*, atomic */
    uint32_t flags;                 /* PML_VERVE_FLAG_*, under the lock */
    /* A receive's verve request, kept until release so that MPI_Cancel
     * may always name it; a send's is released at once. */
    verve_request_h vreq;
    void *buffer;                   /* what verve reads or writes */
    size_t length;
    void *packed;                   /* a packing copy, or NULL */
    verve_tag_recv_info_t info;
    int source;                     /* a receive's source (MPI_ANY_SOURCE),
                                       or a send's own rank */
    int tag;                        /* a receive's tag, or MPI_ANY_TAG */
    pml_verve_endpoint_t *peer;     /* receive from one source, or NULL */
    /* A receive verve holds: set before it is posted, cleared by its
     * callback. */
    volatile int posted;
    /* Persistent requests: the call to repeat at MPI_Start. */
    const void *user_buffer;
    size_t count;
    struct ompi_datatype_t *datatype;
    struct ompi_communicator_t *comm;
    int peer_rank;
    mca_pml_base_send_mode_t mode;
    opal_convertor_t convertor;     /* non-contiguous datatypes only */
} pml_verve_request_t;

OBJ_CLASS_DECLARATION(pml_verve_request_t);

typedef struct pml_verve_module {
    mca_pml_base_module_t super;
    verve_context_h context;
    verve_worker_h worker;
    opal_free_list_t requests;
    /* Returned by a send that verve completed in place. */
    ompi_request_t completed_send;
    /* Guards the registry, each request's vreq and flags, and the
     * endpoints. Never held across a verve call: verve's callbacks run
     * under verve's worker lock and take this one. */
    opal_mutex_t lock;
    pml_verve_request_t **registry; /* every request the free list made */
    size_t num_registry;
    size_t max_registry;
    volatile int failure_pending;   /* a peer failed: fail its receives */
    verve_ompi_peers_t peers;
} pml_verve_module_t;

extern pml_verve_module_t ompi_pml_verve;
OMPI_MODULE_DECLSPEC extern mca_pml_base_component_2_0_0_t
        mca_pml_verve_component;

/* pml_verve.c: the module, peers, communicators, progress */
int pml_verve_module_init(bool enable_mpi_threads);
void pml_verve_module_fini(void);
int pml_verve_progress(void);
pml_verve_endpoint_t *pml_verve_endpoint_add(struct ompi_proc_t *proc);
void pml_verve_wait_progress(unsigned *idle);

static inline pml_verve_endpoint_t *pml_verve_peer(
        struct ompi_communicator_t *comm, int rank)
{
    struct ompi_proc_t *proc = ompi_comm_peer_lookup(comm, rank);
    pml_verve_endpoint_t *endpoint;

    endpoint = proc->proc_endpoints[OMPI_PROC_ENDPOINT_TAG_PML];
    return OPAL_LIKELY(endpoint != NULL) ? endpoint
                                         : pml_verve_endpoint_add(proc);
}

/* pml_verve_request.c: the free list, completion, free, cancel, start */
void pml_verve_request_recycle(pml_verve_request_t *req);
void pml_verve_request_release(pml_verve_request_t *req);

/* Inline, as the three below: each runs once per message, where a call
 * costs as much as its work. */
static inline pml_verve_request_t *pml_verve_request_get(
        pml_verve_req_kind_t kind, struct ompi_communicator_t *comm)
{
    pml_verve_request_t *req;

    req = (pml_verve_request_t *)opal_free_list_get(&ompi_pml_verve.requests);
    if (OPAL_UNLIKELY(req == NULL)) {
        return NULL;
    }
    OMPI_REQUEST_INIT(&req->ompi, false);
    req->ompi.req_state = OMPI_REQUEST_ACTIVE;
    req->ompi.req_mpi_object.comm = comm;
    req->ompi.req_status._cancelled = 0;
    req->kind = kind;
    req->state = 0;
    return req;
}

/* Sets a PML_VERVE_REQ_* bit; returns the bits before. */
static inline uint32_t pml_verve_state_add(pml_verve_request_t *req,
                                           uint32_t bit)
{
    uint32_t old;

    if (!opal_using_threads()) {
        old = req->state;
        req->state = old | bit;
        return old;
    }
    return (uint32_t)opal_atomic_fetch_or_32((volatile int32_t *)
                                             &req->state, (int32_t)bit);
}

/* Once req_status is written: MPI sees it complete, and a request MPI
 * freed already goes back to the list. */
static inline __attribute__((always_inline)) void
pml_verve_request_done(pml_verve_request_t *req)
{
    ompi_request_complete(&req->ompi, true);
    if (pml_verve_state_add(req, PML_VERVE_REQ_DONE) &
        PML_VERVE_REQ_RELEASED) {
        pml_verve_request_release(req);
    }
}
void pml_verve_request_persist(pml_verve_request_t *req,
                               struct ompi_datatype_t *datatype,
                               struct ompi_communicator_t *comm);
int pml_verve_start(size_t count, ompi_request_t **requests);
void pml_verve_peer_failed(pml_verve_endpoint_t *endpoint,
                           verve_status_t status);
void pml_verve_fail_receives(void);
void pml_verve_forget_closing_peers(void);

/* pml_verve_send.c */
int pml_verve_send(const void *buf, size_t count,
                   struct ompi_datatype_t *datatype, int dst, int tag,
                   mca_pml_base_send_mode_t mode,
                   struct ompi_communicator_t *comm);
int pml_verve_isend(const void *buf, size_t count,
                    struct ompi_datatype_t *datatype, int dst, int tag,
                    mca_pml_base_send_mode_t mode,
                    struct ompi_communicator_t *comm,
                    ompi_request_t **request);
int pml_verve_isend_init(const void *buf, size_t count,
                         struct ompi_datatype_t *datatype, int dst, int tag,
                         mca_pml_base_send_mode_t mode,
                         struct ompi_communicator_t *comm,
                         ompi_request_t **request);
int pml_verve_send_start(pml_verve_request_t *req);

/* pml_verve_recv.c */
int pml_verve_recv(void *buf, size_t count, struct ompi_datatype_t *datatype,
                   int src, int tag, struct ompi_communicator_t *comm,
                   ompi_status_public_t *status);
int pml_verve_irecv(void *buf, size_t count,
                    struct ompi_datatype_t *datatype, int src, int tag,
                    struct ompi_communicator_t *comm,
                    ompi_request_t **request);
int pml_verve_irecv_init(void *buf, size_t count,
                         struct ompi_datatype_t *datatype, int src, int tag,
                         struct ompi_communicator_t *comm,
                         ompi_request_t **request);
int pml_verve_recv_start(pml_verve_request_t *req);
int pml_verve_mrecv(void *buf, size_t count,
                    struct ompi_datatype_t *datatype,
                    struct ompi_message_t **message,
                    ompi_status_public_t *status);
int pml_verve_imrecv(void *buf, size_t count,
                     struct ompi_datatype_t *datatype,
                     struct ompi_message_t **message,
                     ompi_request_t **request);
/* pml_verve_probe.c */
int pml_verve_iprobe(int src, int tag, struct ompi_communicator_t *comm,
                     int *matched, ompi_status_public_t *status);
int pml_verve_probe(int src, int tag, struct ompi_communicator_t *comm,
                    ompi_status_public_t *status);
int pml_verve_improbe(int src, int tag, struct ompi_communicator_t *comm,
                      int *matched, struct ompi_message_t **message,
                      ompi_status_public_t *status);
int pml_verve_mprobe(int src, int tag, struct ompi_communicator_t *comm,
                     struct ompi_message_t **message,
                     ompi_status_public_t *status);

/* pml_verve_datatype.c: where verve reads and writes for a datatype. The
 * contiguous case, nearly every message, is checked in line by the
 * callers first. */
int pml_verve_pack(const void *buf, size_t count,
                   struct ompi_datatype_t *datatype, void **buffer_p,
                   size_t *length_p, void **packed_p);
int pml_verve_unpacked_prepare(pml_verve_request_t *req, void *buf,
                               size_t count,
                               struct ompi_datatype_t *datatype);
void pml_verve_unpack(pml_verve_request_t *req, size_t delivered);

END_C_DECLS

#endif
