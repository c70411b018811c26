/*
 * coll verve: MPI's collectives on verve's (verve_coll.h), an Open MPI 4.1
 * coll component. The component owns a verve context and worker of its
 * own, whichever pml runs, and publishes the worker's address in the
 * modex; each intra-communicator gets a module whose verve team is made on
 * the first collective that reaches verve. A call verve cannot take (a
 * user op, a datatype or op verve lacks, an inter-communicator) goes to
 * the component that would have had it, counted.
 */
#ifndef COLL_VERVE_H
#define COLL_VERVE_H

#include "ompi_config.h"
#include "ompi/communicator/communicator.h"
#include "ompi/mca/coll/base/base.h"
#include "ompi/mca/coll/coll.h"
#include "opal/class/opal_hash_table.h"

#include <verve/verve.h>
#include <verve/verve_coll.h>

#include "verve_ompi.h"
#include "verve_ompi_share.h"

BEGIN_C_DECLS

#define COLL_VERVE_NAME "coll verve"

/* The collectives coll verve serves, for the per-collective switch and
 * the fallback counts. */
typedef enum coll_verve_kind {
    COLL_VERVE_BARRIER,
    COLL_VERVE_BCAST,
    COLL_VERVE_REDUCE,
    COLL_VERVE_ALLREDUCE,
    COLL_VERVE_ALLGATHER,
    COLL_VERVE_ALLTOALL,
    COLL_VERVE_GATHER,
    COLL_VERVE_SCATTER,
    COLL_VERVE_ALLGATHERV,
    COLL_VERVE_GATHERV,
    COLL_VERVE_SCATTERV,
    COLL_VERVE_ALLTOALLV,
    COLL_VERVE_REDUCE_SCATTER,
    COLL_VERVE_REDUCE_SCATTER_BLOCK,
    COLL_VERVE_IBARRIER,
    COLL_VERVE_IBCAST,
    COLL_VERVE_IREDUCE,
    COLL_VERVE_IALLREDUCE,
    COLL_VERVE_IALLGATHER,
    COLL_VERVE_IALLTOALL,
    COLL_VERVE_IGATHER,
    COLL_VERVE_ISCATTER,
    COLL_VERVE_KIND_LAST
} coll_verve_kind_t;

typedef struct coll_verve_component {
    mca_coll_base_component_2_0_0_t super;
    int priority;
    bool enable;
    char *disable;                /* comma list of kinds to leave alone */
    bool kind_off[COLL_VERVE_KIND_LAST];
    /* the selected pml's or mtl's when it is verve's, else NULL */
    const verve_ompi_share_t *share;
    verve_context_h context;      /* own, without a share */
    verve_worker_h worker;        /* the share's, or own */
    opal_hash_table_t eps;        /* own: ompi_proc_t * -> verve_ep_h */
    bool progress_registered;     /* with opal_progress, for MPI_I* */
    /* calls verve ran, and calls handed to the next component, per kind */
    uint64_t served[COLL_VERVE_KIND_LAST];
    uint64_t fallbacks[COLL_VERVE_KIND_LAST];
} coll_verve_component_t;

OMPI_MODULE_DECLSPEC extern coll_verve_component_t mca_coll_verve_component;

/* What the component below had, per collective: called for a fallback. */
typedef struct coll_verve_module {
    mca_coll_base_module_t super;
    struct ompi_communicator_t *comm;
    verve_team_h team;            /* NULL until first use */
    int team_status;              /* OMPI_SUCCESS, or why it failed */
    mca_coll_base_comm_coll_t previous;
    mca_coll_base_module_t *previous_modules[COLL_VERVE_KIND_LAST];
    /* The last call of each kind, as a persistent collective: a program
     * repeats the same call (buffers included) over and over, and a
     * start skips the checks and the choice of algorithm a new call
     * makes. */
    verve_coll_args_t last_args[COLL_VERVE_KIND_LAST];
    verve_coll_h last_coll[COLL_VERVE_KIND_LAST];
} coll_verve_module_t;

OBJ_CLASS_DECLARATION(coll_verve_module_t);

const char *coll_verve_kind_name(coll_verve_kind_t kind);
mca_coll_base_module_t *coll_verve_comm_query(struct ompi_communicator_t *comm,
                                              int *priority);
/* Where verve reads or writes count elements of a datatype at a buffer:
 * the bytes in place, or a packed copy (tmp). */
typedef struct coll_verve_buf {
    void *ptr;
    void *tmp;
    size_t bytes;
} coll_verve_buf_t;

/* An input of count elements at buf: its bytes in place when
 * contiguous, else a packed copy (b->tmp, which the caller frees). */
int coll_verve_in(const void *buf, size_t count,
                  struct ompi_datatype_t *datatype, coll_verve_buf_t *b);
/* An output: its bytes in place when contiguous, else a copy (b->tmp)
 * for the caller to unpack into buf and free. */
int coll_verve_out(void *buf, size_t count, struct ompi_datatype_t *datatype,
                   coll_verve_buf_t *b);

/* One call: verve's arguments, and what its end must do (unpack out's
 * copy into out_buf when set, free the copies). */
typedef struct coll_verve_call {
    verve_coll_args_t args;
    coll_verve_buf_t in;
    coll_verve_buf_t out;
    void *out_buf;
    size_t out_count;
    struct ompi_datatype_t *out_datatype;
} coll_verve_call_t;

/* opal_progress's callback once a nonblocking collective ran. */
int coll_verve_progress(void);
/* Ends call after verve's collective returned rc; returns rc. */
int coll_verve_call_end(coll_verve_call_t *call, int rc);
/* Runs call: to the end (request NULL), or started with an MPI request
 * that completes when it ends (MPI_I*). call is ended either way. */
int coll_verve_issue(coll_verve_module_t *module, coll_verve_kind_t kind,
                     coll_verve_call_t *call, ompi_request_t **request);
/* Makes the module's team on first use; NULL when it cannot be made (the
 * error is in *rc, and every later call gets it too). */
verve_team_h coll_verve_team_make(coll_verve_module_t *module, int *rc);
/* Runs verve's collective to the end: progress until the request
 * completes. An MPI error code. */
int coll_verve_run(coll_verve_module_t *module, coll_verve_kind_t kind,
                   const verve_coll_args_t *args);
/* Counts a call handed to the component below, and says why at
 * verbosity 10. */
void coll_verve_fallback(coll_verve_kind_t kind, const char *why);
void coll_verve_close_eps(void);

/* coll_verve_map.c: MPI's predefined datatypes and ops onto verve's. */
bool coll_verve_map_datatype(struct ompi_datatype_t *datatype,
                             verve_coll_datatype_t *vtype_p);
bool coll_verve_map_op(struct ompi_op_t *op, verve_coll_datatype_t vtype,
                       verve_coll_op_t *vop_p);

/* coll_verve_ops.c: the module's entries. */
int coll_verve_barrier(struct ompi_communicator_t *comm,
                       mca_coll_base_module_t *module);
int coll_verve_bcast(void *buff, int count, struct ompi_datatype_t *datatype,
                     int root, struct ompi_communicator_t *comm,
                     mca_coll_base_module_t *module);
int coll_verve_reduce(const void *sbuf, void *rbuf, int count,
                      struct ompi_datatype_t *dtype, struct ompi_op_t *op,
                      int root, struct ompi_communicator_t *comm,
                      mca_coll_base_module_t *module);
int coll_verve_allreduce(const void *sbuf, void *rbuf, int count,
                         struct ompi_datatype_t *dtype, struct ompi_op_t *op,
                         struct ompi_communicator_t *comm,
                         mca_coll_base_module_t *module);
int coll_verve_allgather(const void *sbuf, int scount,
                         struct ompi_datatype_t *sdtype, void *rbuf,
                         int rcount, struct ompi_datatype_t *rdtype,
                         struct ompi_communicator_t *comm,
                         mca_coll_base_module_t *module);
int coll_verve_alltoall(const void *sbuf, int scount,
                        struct ompi_datatype_t *sdtype, void *rbuf,
                        int rcount, struct ompi_datatype_t *rdtype,
                        struct ompi_communicator_t *comm,
                        mca_coll_base_module_t *module);
int coll_verve_gather(const void *sbuf, int scount,
                      struct ompi_datatype_t *sdtype, void *rbuf, int rcount,
                      struct ompi_datatype_t *rdtype, int root,
                      struct ompi_communicator_t *comm,
                      mca_coll_base_module_t *module);
int coll_verve_scatter(const void *sbuf, int scount,
                       struct ompi_datatype_t *sdtype, void *rbuf, int rcount,
                       struct ompi_datatype_t *rdtype, int root,
                       struct ompi_communicator_t *comm,
                       mca_coll_base_module_t *module);

/* coll_verve_vops.c: counts and displacements per member. */
int coll_verve_allgatherv(const void *sbuf, int scount,
                          struct ompi_datatype_t *sdtype, void *rbuf,
                          const int *rcounts, const int *displs,
                          struct ompi_datatype_t *rdtype,
                          struct ompi_communicator_t *comm,
                          mca_coll_base_module_t *module);
int coll_verve_gatherv(const void *sbuf, int scount,
                       struct ompi_datatype_t *sdtype, void *rbuf,
                       const int *rcounts, const int *displs,
                       struct ompi_datatype_t *rdtype, int root,
                       struct ompi_communicator_t *comm,
                       mca_coll_base_module_t *module);
int coll_verve_scatterv(const void *sbuf, const int *scounts,
                        const int *displs, struct ompi_datatype_t *sdtype,
                        void *rbuf, int rcount,
                        struct ompi_datatype_t *rdtype, int root,
                        struct ompi_communicator_t *comm,
                        mca_coll_base_module_t *module);
int coll_verve_alltoallv(const void *sbuf, const int *scounts,
                         const int *sdispls, struct ompi_datatype_t *sdtype,
                         void *rbuf, const int *rcounts, const int *rdispls,
                         struct ompi_datatype_t *rdtype,
                         struct ompi_communicator_t *comm,
                         mca_coll_base_module_t *module);
int coll_verve_reduce_scatter_block(const void *sbuf, void *rbuf,
                                    int rcount,
                                    struct ompi_datatype_t *dtype,
                                    struct ompi_op_t *op,
                                    struct ompi_communicator_t *comm,
                                    mca_coll_base_module_t *module);
int coll_verve_reduce_scatter(const void *sbuf, void *rbuf,
                              const int *rcounts,
                              struct ompi_datatype_t *dtype,
                              struct ompi_op_t *op,
                              struct ompi_communicator_t *comm,
                              mca_coll_base_module_t *module);

/* The nonblocking forms (coll_verve_ops.c). */
int coll_verve_ibarrier(struct ompi_communicator_t *comm,
                        ompi_request_t **request,
                        mca_coll_base_module_t *module);
int coll_verve_ibcast(void *buff, int count, struct ompi_datatype_t *datatype,
                      int root, struct ompi_communicator_t *comm,
                      ompi_request_t **request,
                      mca_coll_base_module_t *module);
int coll_verve_ireduce(const void *sbuf, void *rbuf, int count,
                       struct ompi_datatype_t *dtype, struct ompi_op_t *op,
                       int root, struct ompi_communicator_t *comm,
                       ompi_request_t **request,
                       mca_coll_base_module_t *module);
int coll_verve_iallreduce(const void *sbuf, void *rbuf, int count,
                          struct ompi_datatype_t *dtype, struct ompi_op_t *op,
                          struct ompi_communicator_t *comm,
                          ompi_request_t **request,
                          mca_coll_base_module_t *module);
int coll_verve_iallgather(const void *sbuf, int scount,
                          struct ompi_datatype_t *sdtype, void *rbuf,
                          int rcount, struct ompi_datatype_t *rdtype,
                          struct ompi_communicator_t *comm,
                          ompi_request_t **request,
                          mca_coll_base_module_t *module);
int coll_verve_ialltoall(const void *sbuf, int scount,
                         struct ompi_datatype_t *sdtype, void *rbuf,
                         int rcount, struct ompi_datatype_t *rdtype,
                         struct ompi_communicator_t *comm,
                         ompi_request_t **request,
                         mca_coll_base_module_t *module);
int coll_verve_igather(const void *sbuf, int scount,
                       struct ompi_datatype_t *sdtype, void *rbuf, int rcount,
                       struct ompi_datatype_t *rdtype, int root,
                       struct ompi_communicator_t *comm,
                       ompi_request_t **request,
                       mca_coll_base_module_t *module);
int coll_verve_iscatter(const void *sbuf, int scount,
                        struct ompi_datatype_t *sdtype, void *rbuf, int rcount,
                        struct ompi_datatype_t *rdtype, int root,
                        struct ompi_communicator_t *comm,
                        ompi_request_t **request,
                        mca_coll_base_module_t *module);

END_C_DECLS

#endif
