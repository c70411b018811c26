/* Typed stubs for operations a transport does not have. */
#include "vt_iface.h"

verve_status_t vt_no_arm(vt_iface_t *iface)
{
    (void)iface;
    return VERVE_OK;
}

verve_status_t vt_no_ep_check(vt_ep_t *ep)
{
    (void)ep;
    return VERVE_OK;
}

verve_status_t vt_no_am_short(vt_ep_t *ep, uint8_t id, const void *header,
                              size_t header_length, const void *payload,
                              size_t length)
{
    (void)ep, (void)id, (void)header, (void)header_length, (void)payload;
    (void)length;
    return VERVE_ERR_UNSUPPORTED;
}

ssize_t vt_no_am_bcopy(vt_ep_t *ep, uint8_t id, vt_pack_cb_t pack, void *arg)
{
    (void)ep, (void)id, (void)pack, (void)arg;
    return VERVE_ERR_UNSUPPORTED;
}

verve_status_t vt_no_get_zcopy(vt_ep_t *ep, void *buffer, size_t length,
                               const vt_remote_buffer_t *remote,
                               vt_completion_t *comp)
{
    (void)ep, (void)buffer, (void)length, (void)remote, (void)comp;
    return VERVE_ERR_UNSUPPORTED;
}

verve_status_t vt_no_put(vt_ep_t *ep, const void *buffer, size_t length,
                         uint64_t remote_addr, vt_rkey_t *rkey,
                         vt_completion_t *comp)
{
    (void)ep, (void)buffer, (void)length, (void)remote_addr, (void)rkey;
    (void)comp;
    return VERVE_ERR_UNSUPPORTED;
}

verve_status_t vt_no_get(vt_ep_t *ep, void *buffer, size_t length,
                         uint64_t remote_addr, vt_rkey_t *rkey,
                         vt_completion_t *comp)
{
    (void)ep, (void)buffer, (void)length, (void)remote_addr, (void)rkey;
    (void)comp;
    return VERVE_ERR_UNSUPPORTED;
}

verve_status_t vt_no_atomic(vt_ep_t *ep, vt_atomic_op_t op, size_t op_size,
                            uint64_t value, uint64_t compare, void *result,
                            uint64_t remote_addr, vt_rkey_t *rkey,
                            vt_completion_t *comp)
{
    (void)ep, (void)op, (void)op_size, (void)value, (void)compare;
    (void)result, (void)remote_addr, (void)rkey, (void)comp;
    return VERVE_ERR_UNSUPPORTED;
}

verve_status_t vt_no_flush(vt_ep_t *ep, vt_completion_t *comp)
{
    (void)ep, (void)comp;
    return VERVE_OK;
}

verve_status_t vt_no_put_zcopy(vt_ep_t *ep, const void *buffer,
                               size_t length,
                               const vt_remote_buffer_t *remote,
                               vt_completion_t *comp)
{
    (void)ep, (void)buffer, (void)length, (void)remote, (void)comp;
    return VERVE_ERR_UNSUPPORTED;
}
