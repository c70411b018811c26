/*
 * The peers of an Open MPI verve component (pml verve, mtl verve): one
 * verve endpoint per peer process, kept in proc->proc_endpoints[slot],
 * their failure state, and their closing with a flush at del_procs and
 * finalize.
 */
#ifndef VERVE_OMPI_PEERS_H
#define VERVE_OMPI_PEERS_H

#include "verve_ompi.h"
#include "opal/threads/mutex.h"

BEGIN_C_DECLS

/* One per peer process. */
typedef struct verve_ompi_endpoint {
    verve_ep_h ep;
    struct ompi_proc_t *proc;
    /* The verve status that failed the peer, VERVE_OK while it lives;
     * written under the component's lock. */
    volatile int failed;
    bool closing;           /* del_procs or finalize is closing it */
} verve_ompi_endpoint_t;

typedef struct verve_ompi_peers {
    const char *who;        /* "pml verve": names it in messages */
    int output;             /* the framework's verbose output */
    int slot;               /* OMPI_PROC_ENDPOINT_TAG_PML or _MTL */
    verve_worker_h worker;
    verve_ompi_endpoint_t **endpoints;
    size_t num_endpoints;
    size_t max_endpoints;
} verve_ompi_peers_t;

/* Creates the endpoint to proc from its address in the modex (published
 * under version's key), err_cb(its endpoint, ...) its error handler, and
 * keeps it in proc's slot. NULL when proc cannot be reached (said). */
verve_ompi_endpoint_t *verve_ompi_peer_add(verve_ompi_peers_t *peers,
                                           const mca_base_component_t *version,
                                           struct ompi_proc_t *proc,
                                           verve_ep_error_cb_t err_cb);

/* The message a peer's failure deserves: an error line, or a verbose one
 * once MPI_Finalize started (peers close their endpoints then). */
void verve_ompi_peer_report(const verve_ompi_peers_t *peers,
                            struct ompi_proc_t *proc, verve_status_t status);

/* Closes the endpoints of the nprocs procs (every endpoint when procs is
 * NULL) with a flush, so that sends that completed in place are delivered
 * before the peer goes; a peer that is gone fails its flush, which ends
 * the wait as well. forget() runs before the endpoints are freed, so that
 * nothing still names them. */
void verve_ompi_peers_close(verve_ompi_peers_t *peers, size_t nprocs,
                            struct ompi_proc_t **procs, void (*forget)(void));

/* Ends the receives posted for peers that failed, from progress, outside
 * any verve call: clears *pending, then, one receive at a time, take()
 * (called under lock) finds one, takes its verve request (NULL: someone
 * else holds it) and returns true, or returns false when none is left;
 * the request is cancelled and freed outside the lock, since its
 * callback takes the lock too and may complete (and free) the
 * component's request. */
void verve_ompi_fail_receives(verve_worker_h worker, opal_mutex_t *lock,
                              volatile int *pending,
                              bool (*take)(verve_request_h *vreq_p));

/* After verve_ompi_peers_close(peers, 0, NULL, ...). */
void verve_ompi_peers_fini(verve_ompi_peers_t *peers);

END_C_DECLS

#endif
