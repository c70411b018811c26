/*
 * coll verve: MPI_I* collectives. Each is a verve collective started at
 * once; its MPI request completes from verve's callback, which Open MPI's
 * progress reaches through a callback the component registers with
 * opal_progress on the first nonblocking call. The request goes back
 * when both verve completed it and MPI freed it.
 */
#include "ompi_config.h"

#include <stdlib.h>

#include "ompi/request/request.h"
#include "opal/runtime/opal_progress.h"
#include "opal/sys/atomic.h"
#include "opal/util/output.h"

#include "coll_verve.h"
#include "verve_ompi_datatype.h"

enum {
    COLL_VERVE_REQ_DONE = 1,       /* verve completed it */
    COLL_VERVE_REQ_RELEASED = 2    /* MPI freed it */
};

typedef struct coll_verve_request {
    ompi_request_t super;
    coll_verve_call_t call;
    verve_request_h vreq;
    volatile int32_t state;        /* COLL_VERVE_REQ_*, atomic */
} coll_verve_request_t;

static OBJ_CLASS_INSTANCE(coll_verve_request_t, ompi_request_t, NULL, NULL);

int coll_verve_call_end(coll_verve_call_t *call, int rc)
{
    if (call->in.tmp != NULL) {
        free(call->in.tmp);
        call->in.tmp = NULL;
    }
    if (call->out.tmp != NULL) {
        if (call->out_buf != NULL && rc == OMPI_SUCCESS) {
            verve_ompi_unpack_from(call->out.tmp, call->out.bytes,
                                   call->out_buf, call->out_count,
                                   call->out_datatype);
        }
        free(call->out.tmp);
        call->out.tmp = NULL;
    }
    return rc;
}

/* The last of verve and MPI to let go frees it. */
static void coll_verve_request_state(coll_verve_request_t *req, int32_t bit)
{
    int32_t old = opal_atomic_fetch_or_32(&req->state, bit);

    if ((old | bit) == (COLL_VERVE_REQ_DONE | COLL_VERVE_REQ_RELEASED)) {
        OMPI_REQUEST_FINI(&req->super);
        OBJ_RELEASE(req);
    }
}

static int coll_verve_request_free(ompi_request_t **request)
{
    coll_verve_request_t *req = (coll_verve_request_t *)*request;

    *request = MPI_REQUEST_NULL;
    coll_verve_request_state(req, COLL_VERVE_REQ_RELEASED);
    return OMPI_SUCCESS;
}

/* A collective cannot be cancelled (MPI): it completes. */
static int coll_verve_request_cancel(ompi_request_t *request, int complete)
{
    (void)request;
    (void)complete;
    return OMPI_SUCCESS;
}

static void coll_verve_request_cb(verve_request_h vreq,
                                  verve_status_t status, void *user_data)
{
    coll_verve_request_t *req = user_data;
    int rc = (status == VERVE_OK) ? OMPI_SUCCESS : verve_ompi_error(status);

    verve_request_free(vreq);
    req->vreq = NULL;
    rc = coll_verve_call_end(&req->call, rc);
    req->super.req_status.MPI_ERROR = rc;
    ompi_request_complete(&req->super, true);
    coll_verve_request_state(req, COLL_VERVE_REQ_DONE);
}

int coll_verve_progress(void)
{
    return (int)verve_worker_progress(mca_coll_verve_component.worker);
}

int coll_verve_issue(coll_verve_module_t *module, coll_verve_kind_t kind,
                     coll_verve_call_t *call, ompi_request_t **request)
{
    coll_verve_component_t *c = &mca_coll_verve_component;
    verve_request_param_t param = {
        .op_attr_mask = VERVE_OP_ATTR_FIELD_CALLBACK |
                        VERVE_OP_ATTR_FIELD_USER_DATA,
        .cb = coll_verve_request_cb
    };
    coll_verve_request_t *req;
    verve_status_t status;
    verve_team_h team;
    int rc;

    if (request == NULL) {
        return coll_verve_call_end(call, coll_verve_run(module, kind,
                                                        &call->args));
    }
    team = module->team;
    if (team == NULL && (team = coll_verve_team_make(module, &rc)) == NULL) {
        return coll_verve_call_end(call, rc);
    }
    /* a lent worker is progressed by its pml or mtl already */
    if (!c->progress_registered && c->share == NULL) {
        (void)opal_progress_register(coll_verve_progress);
        c->progress_registered = true;
    }
    req = OBJ_NEW(coll_verve_request_t);
    if (req == NULL) {
        return coll_verve_call_end(call, OMPI_ERR_OUT_OF_RESOURCE);
    }
    OMPI_REQUEST_INIT(&req->super, false);
    req->super.req_type = OMPI_REQUEST_COLL;
    req->super.req_state = OMPI_REQUEST_ACTIVE;
    req->super.req_free = coll_verve_request_free;
    req->super.req_cancel = coll_verve_request_cancel;
    req->super.req_mpi_object.comm = module->comm;
    req->call = *call;
    req->vreq = NULL;
    req->state = 0;
    param.user_data = req;
    ++c->served[kind];
    status = verve_coll_nbx(team, &req->call.args, &param, &req->vreq);
    if (status == VERVE_INPROGRESS) {
        *request = &req->super;
        return OMPI_SUCCESS;
    }
    /* ended in the call: the callback did not run */
    rc = coll_verve_call_end(&req->call, (status == VERVE_OK)
                                         ? OMPI_SUCCESS
                                         : verve_ompi_error(status));
    if (rc != OMPI_SUCCESS) {
        OMPI_REQUEST_FINI(&req->super);
        OBJ_RELEASE(req);
        return rc;
    }
    req->super.req_status.MPI_ERROR = MPI_SUCCESS;
    ompi_request_complete(&req->super, true);
    req->state = COLL_VERVE_REQ_DONE;
    *request = &req->super;
    return OMPI_SUCCESS;
}
