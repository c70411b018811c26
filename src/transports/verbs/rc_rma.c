/*
 * rc RMA: RDMA write and read through remote keys, and flush. Atomics are
 * in rc_atomic.c.
 *
 * The interface is VT_CAP_ASYNC: an operation with a completion returns
 * VERVE_INPROGRESS and updates it from the CQE. One without (a caller
 * that needs completion in place) waits for its own CQE on the send CQ,
 * which needs nothing from the peer's CPU.
 */
#include "rc.h"

#include <errno.h>
#include <string.h>
#include "core/base/log.h"

void vt_rc_op_unget(vt_rc_conn_t *conn)
{
    --conn->sq_head;
}

/* Gives back the registration of the user's buffer, if the op took one. */
static void vt_rc_rma_release(vt_rc_op_t *op)
{
    vt_verbs_reg_t reg = {.region = op->region, .mr = op->mr};

    vt_verbs_reg_put(&reg);
    op->region = NULL;
    op->mr = NULL;
}

void vt_rc_rma_complete(vt_rc_conn_t *conn, vt_rc_op_t *op,
                        verve_status_t status)
{
    vt_rc_iface_t *iface = conn->iface;
    char *bounce = op->tx_buf >= 0 ? vt_rc_tx_buf(iface, op->tx_buf) : NULL;
    uint64_t old;

    if (status == VERVE_OK && op->type == VT_RC_OP_GET) {
        VT_VERBS_MARK_DEFINED(bounce != NULL ? bounce : op->buffer,
                              op->length);
    } else if (status == VERVE_OK && bounce != NULL &&
               op->type != VT_RC_OP_PUT) {
        VT_VERBS_MARK_DEFINED(bounce, 8);
    }
    if (status == VERVE_OK && bounce != NULL) {
        switch (op->type) {
        case VT_RC_OP_GET:
            memcpy(op->buffer, bounce, op->length);
            break;
        case VT_RC_OP_SWAP:
            memcpy(&old, bounce, sizeof(old));
            if (old != op->compare) {
                /* Lost the race or guessed wrong: try again with the value
                 * seen. The slot of op is free again, so this posts. */
                vt_rc_op_t *next = vt_rc_op_get(conn);
                struct ibv_send_wr wr;
                struct ibv_sge sge;

                *next = (vt_rc_op_t){
                    .conn = conn, .sn = next->sn, .type = VT_RC_OP_SWAP,
                    .op_size = 8, .tx_buf = op->tx_buf, .comp = op->comp,
                    .buffer = op->buffer, .value = op->value,
                    .compare = old, .remote_addr = op->remote_addr,
                    .rkey = op->rkey};
                sge.addr = (uintptr_t)bounce;
                sge.length = 8;
                sge.lkey = iface->tx_mr->lkey;
                memset(&wr, 0, sizeof(wr));
                wr.sg_list = &sge;
                wr.num_sge = 1;
                wr.opcode = IBV_WR_ATOMIC_CMP_AND_SWP;
                wr.wr.atomic.remote_addr = next->remote_addr;
                wr.wr.atomic.rkey = next->rkey;
                wr.wr.atomic.compare_add = old;
                wr.wr.atomic.swap = next->value;
                if (vt_rc_op_post(conn, next, &wr, 1) == VERVE_OK) {
                    return;
                }
                status = VERVE_ERR_IO;
                break;
            }
            /* fall through */
        case VT_RC_OP_FADD:
        case VT_RC_OP_CSWAP:
            if (op->buffer != NULL) {
                memcpy(op->buffer, bounce, 8);
            }
            break;
        default:
            break;
        }
    }
    if (op->tx_buf >= 0) {
        vt_rc_tx_put(iface, op->tx_buf);
        op->tx_buf = -1;
    }
    vt_rc_rma_release(op);
    op->status = status;
    op->done = 1;
    if (op->comp != NULL) {
        vt_completion_update(op->comp, status);
    }
}

vt_rc_op_t *vt_rc_rma_start(vt_ep_t *tl_ep, vt_completion_t *comp,
                            uint8_t type, verve_status_t *status_p)
{
    vt_rc_conn_t *conn = vs_container_of(tl_ep, vt_rc_ep_t, super)->conn;
    vt_rc_op_t *op;

    if (vs_unlikely(conn->state != VT_RC_CONN_CONNECTED)) {
        *status_p = conn->state == VT_RC_CONN_FAILED ? conn->error
                                                     : VERVE_ERR_NO_RESOURCE;
        return NULL;
    }
    op = vt_rc_op_get(conn);
    if (op == NULL) {
        *status_p = VERVE_ERR_NO_RESOURCE;
        return NULL;
    }
    op->type = type;
    op->comp = comp;
    return op;
}

verve_status_t vt_rc_rma_post(vt_rc_op_t *op, struct ibv_send_wr *wr)
{
    vt_rc_conn_t *conn = op->conn;
    verve_status_t status;
    /* An inline put holds nothing of the caller's once posted: it is
     * complete locally, as a put's completion means, and rides the
     * selective signalling of sends. An error still ends the connection
     * and shows in the next flush. No CQE of its own spares the device
     * and us a completion per put. */
    int in_place = (wr->send_flags & IBV_SEND_INLINE) &&
                   op->type == VT_RC_OP_PUT;

    if (in_place) {
        op->comp = NULL;
    }
    status = vt_rc_op_post(conn, op, wr, !in_place);
    if (vs_unlikely(status != VERVE_OK)) {
        if (op->tx_buf >= 0) {
            vt_rc_tx_put(conn->iface, op->tx_buf);
        }
        vt_rc_rma_release(op);
        return status;
    }
    if (in_place) {
        return VERVE_OK;
    }
    if (op->comp != NULL) {
        return VERVE_INPROGRESS;
    }
    return vt_rc_iface_wait(conn->iface, op);
}

/* The local side of a put or get: inline, a bounce buffer, or the user's
 * buffer, registered through the cache or ODP (verbs_rcache.c) and held
 * until the op completes. */
static verve_status_t vt_rc_rma_local(vt_rc_op_t *op, void *buffer,
                                      size_t length, int is_put,
                                      struct ibv_sge *sge,
                                      unsigned *send_flags)
{
    vt_rc_iface_t *iface = op->conn->iface;
    verve_status_t status;
    vt_verbs_reg_t reg;

    sge->length = (uint32_t)length;
    if (is_put && length <= iface->max_inline) {
        sge->addr = (uintptr_t)buffer;
        sge->lkey = 0;
        *send_flags = IBV_SEND_INLINE;
        return VERVE_OK;
    }
    if (length <= iface->cfg.seg_size) {
        op->tx_buf = vt_rc_tx_get(iface);
        if (op->tx_buf < 0) {
            return VERVE_ERR_NO_RESOURCE;
        }
        if (is_put) {
            memcpy(vt_rc_tx_buf(iface, op->tx_buf), buffer, length);
        }
        sge->addr = (uintptr_t)vt_rc_tx_buf(iface, op->tx_buf);
        sge->lkey = iface->tx_mr->lkey;
        return VERVE_OK;
    }
    status = vt_verbs_reg_get(buffer, length,
                              is_put ? 0 : VT_VERBS_REG_WRITE, &reg);
    if (status != VERVE_OK) {
        vs_error("rc: registering the %s buffer [%p, +%zu) failed: %s",
                 is_put ? "put" : "get", buffer, length,
                 verve_status_string(status));
        return status;
    }
    op->region = reg.region;
    op->mr = reg.mr;
    sge->addr = (uintptr_t)buffer;
    sge->lkey = reg.lkey;
    return VERVE_OK;
}

static verve_status_t vt_rc_ep_rdma(vt_ep_t *tl_ep, void *buffer,
                                    size_t length, uint64_t remote_addr,
                                    vt_rkey_t *rkey, vt_completion_t *comp,
                                    int is_put)
{
    uint32_t key = vs_container_of(rkey, vt_verbs_rkey_t, super)->rkey;
    struct ibv_send_wr wr;
    verve_status_t status;
    struct ibv_sge sge;
    unsigned flags = 0;
    vt_rc_op_t *op;

    op = vt_rc_rma_start(tl_ep, comp, is_put ? VT_RC_OP_PUT : VT_RC_OP_GET,
                         &status);
    if (op == NULL) {
        return status;
    }
    status = vt_rc_rma_local(op, buffer, length, is_put, &sge, &flags);
    if (status != VERVE_OK) {
        vt_rc_op_unget(op->conn);
        return status;
    }
    op->buffer = buffer;
    op->length = length;
    memset(&wr, 0, sizeof(wr));
    wr.sg_list = &sge;
    wr.num_sge = 1;
    wr.opcode = is_put ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ;
    wr.send_flags = flags;
    wr.wr.rdma.remote_addr = remote_addr;
    wr.wr.rdma.rkey = key;
    return vt_rc_rma_post(op, &wr);
}

verve_status_t vt_rc_ep_put(vt_ep_t *ep, const void *buffer, size_t length,
                            uint64_t remote_addr, vt_rkey_t *rkey,
                            vt_completion_t *comp)
{
    /* Only read: the local side is registered without write access. */
    return vt_rc_ep_rdma(ep, (void *)buffer, length, remote_addr, rkey, comp,
                         1);
}

verve_status_t vt_rc_ep_get(vt_ep_t *ep, void *buffer, size_t length,
                            uint64_t remote_addr, vt_rkey_t *rkey,
                            vt_completion_t *comp)
{
    return vt_rc_ep_rdma(ep, buffer, length, remote_addr, rkey, comp, 0);
}

verve_status_t vt_rc_ep_get_zcopy(vt_ep_t *ep, void *buffer, size_t length,
                                  const vt_remote_buffer_t *remote,
                                  vt_completion_t *comp)
{
    /* Rendezvous read through the key the sender packed (ZCOPY_KEY). */
    if (vs_unlikely(remote->rkey == NULL)) {
        return VERVE_ERR_INVALID_RKEY;
    }
    return vt_rc_ep_rdma(ep, buffer, length, remote->address, remote->rkey,
                         comp, 0);
}

verve_status_t vt_rc_ep_put_zcopy(vt_ep_t *ep, const void *buffer,
                                  size_t length,
                                  const vt_remote_buffer_t *remote,
                                  vt_completion_t *comp)
{
    /* Rendezvous write into the receiver's buffer through its key. */
    if (vs_unlikely(remote->rkey == NULL)) {
        return VERVE_ERR_INVALID_RKEY;
    }
    return vt_rc_ep_rdma(ep, (void *)buffer, length, remote->address,
                         remote->rkey, comp, 1);
}

vt_rc_op_t *vt_rc_conn_fence(vt_rc_conn_t *conn, vt_completion_t *comp)
{
    struct ibv_send_wr wr;
    vt_rc_op_t *op;

    op = vt_rc_op_get(conn);
    if (op == NULL) {
        return NULL;
    }
    op->type = VT_RC_OP_FLUSH;
    op->comp = comp;
    /* A zero-length write needs no key; its ack follows every earlier
     * WR's. */
    memset(&wr, 0, sizeof(wr));
    wr.opcode = IBV_WR_RDMA_WRITE;
    return vt_rc_op_post(conn, op, &wr, 1) == VERVE_OK ? op : NULL;
}

verve_status_t vt_rc_ep_flush(vt_ep_t *tl_ep, vt_completion_t *comp)
{
    vt_rc_conn_t *conn = vs_container_of(tl_ep, vt_rc_ep_t, super)->conn;

    if (conn->state == VT_RC_CONN_FAILED) {
        return conn->error;
    }
    if (conn->sq_head == conn->sq_tail) {
        return VERVE_OK;
    }
    /* Polled (NULL comp): a signalled WR is on its way already unless
     * unsignalled sends end the ring; then one is needed, once. */
    if (comp == NULL && conn->unsignalled == 0) {
        return VERVE_INPROGRESS;
    }
    if (vt_rc_conn_fence(conn, comp) == NULL) {
        return comp == NULL ? VERVE_INPROGRESS : VERVE_ERR_NO_RESOURCE;
    }
    return VERVE_INPROGRESS;
}
