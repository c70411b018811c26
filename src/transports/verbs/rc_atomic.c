/*
 * rc atomics: fetch-add and compare-swap on 64 bits through the HCA, swap
 * as a compare-swap loop, and the choice of whether rc keys offer them.
 */
#include "rc.h"

#include <string.h>

verve_status_t vt_rc_rkey_unpack(vt_iface_t *tl_iface, const void *buffer,
                                 size_t length, vt_rkey_t **rkey_p)
{
    vt_rc_iface_t *iface = vs_container_of(tl_iface, vt_rc_iface_t, super);
    uint32_t flags = VT_CAP_RMA;

    if (vt_rc_native_atomics(iface)) {
        flags |= VT_CAP_AMO64;
        /* Such a device is atomic only against itself: the engine then
         * sends every atomic on this memory through rc, the owner's own
         * (over a loopback connection) and its local peers' included. */
        if (iface->dev->attr.atomic_cap == IBV_ATOMIC_HCA) {
            flags |= VT_CAP_AMO_LANE;
        }
    }
    return vt_verbs_rkey_parse(buffer, length, flags, rkey_p);
}

int vt_rc_native_atomics(const vt_rc_iface_t *iface)
{
    switch ((vt_rc_atomics_t)iface->cfg.atomics) {
    case VT_RC_ATOMICS_DEVICE:
        return iface->dev->attr.atomic_cap != IBV_ATOMIC_NONE;
    case VT_RC_ATOMICS_EMULATED:
        return 0;
    default:
        /* On IBV_ATOMIC_HCA devices too: their keys carry
         * VT_CAP_AMO_LANE. */
        return iface->dev->attr.atomic_cap != IBV_ATOMIC_NONE;
    }
}

verve_status_t vt_rc_ep_atomic(vt_ep_t *tl_ep, vt_atomic_op_t aop,
                               size_t op_size, uint64_t value,
                               uint64_t compare, void *result,
                               uint64_t remote_addr, vt_rkey_t *rkey,
                               vt_completion_t *comp)
{
    uint32_t key = vs_container_of(rkey, vt_verbs_rkey_t, super)->rkey;
    vt_rc_iface_t *iface;
    struct ibv_send_wr wr;
    verve_status_t status;
    struct ibv_sge sge;
    uint8_t type;
    vt_rc_op_t *op;
    uint64_t old;

    if (vs_unlikely(op_size != 8)) {
        return VERVE_ERR_UNSUPPORTED;     /* the key claims only AMO64 */
    }
    type = (aop == VT_ATOMIC_ADD || aop == VT_ATOMIC_FADD) ? VT_RC_OP_FADD :
           (aop == VT_ATOMIC_CSWAP || comp == NULL) ? VT_RC_OP_CSWAP :
                                                      VT_RC_OP_SWAP;
    /* A swap without completion loops here on compare-swap, from a first
     * guess of 0; with one, the loop runs from the CQEs. */
    if (aop == VT_ATOMIC_SWAP) {
        compare = 0;
    }
    for (;;) {
        op = vt_rc_rma_start(tl_ep, comp, type, &status);
        if (op == NULL) {
            return status;
        }
        iface = op->conn->iface;
        op->tx_buf = vt_rc_tx_get(iface);
        if (op->tx_buf < 0) {
            vt_rc_op_unget(op->conn);
            return VERVE_ERR_NO_RESOURCE;
        }
        op->op_size = 8;
        op->buffer = (aop == VT_ATOMIC_SWAP && comp == NULL) ? &old : result;
        op->value = value;
        op->compare = compare;
        op->remote_addr = remote_addr;
        op->rkey = key;
        sge.addr = (uintptr_t)vt_rc_tx_buf(iface, op->tx_buf);
        sge.length = 8;
        sge.lkey = iface->tx_mr->lkey;
        memset(&wr, 0, sizeof(wr));
        wr.sg_list = &sge;
        wr.num_sge = 1;
        wr.wr.atomic.remote_addr = remote_addr;
        wr.wr.atomic.rkey = key;
        if (type == VT_RC_OP_FADD) {
            wr.opcode = IBV_WR_ATOMIC_FETCH_AND_ADD;
            wr.wr.atomic.compare_add = value;
        } else {
            wr.opcode = IBV_WR_ATOMIC_CMP_AND_SWP;
            wr.wr.atomic.compare_add = compare;
            wr.wr.atomic.swap = value;
        }
        status = vt_rc_rma_post(op, &wr);
        if (aop != VT_ATOMIC_SWAP || comp != NULL || status != VERVE_OK) {
            return status;
        }
        if (old == compare) {
            memcpy(result, &old, sizeof(old));
            return VERVE_OK;
        }
        compare = old;
    }
}
