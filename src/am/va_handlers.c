/* The protocol layer's hooks in the engine: the handlers it installs on
 * every interface, and the layer it registers on every worker. */
#include "core/ve_layer.h"
#include "core/ve_proto.h"
#include "core/base/compiler.h"
#include "va_am.h"
#include "va_tag.h"

const vt_am_handler_t ve_proto_handlers[VE_AM_LAST] = {
    [VE_AM_WIREUP] = ve_wireup_handler,
    [VE_AM_EAGER] = va_eager_handler,
    [VE_AM_RTS] = va_rts_handler,
    [VE_AM_ATS] = va_reply_handler,
    [VE_AM_RTR] = va_rtr_handler,
    [VE_AM_PUT_DONE] = va_put_done_handler,
    [VE_AM_PUT] = va_put_handler,
    [VE_AM_GET_REQ] = va_get_req_handler,
    [VE_AM_GET_REPLY] = va_get_reply_handler,
    [VE_AM_AMO_REQ] = va_amo_req_handler,
    [VE_AM_RMA_REPLY] = va_rma_reply_handler,
    [VE_AM_FRAG] = va_frag_handler,
};

static int va_request_what(const ve_request_t *req, ve_request_what_t *what)
{
    return va_rma_what(req, what) || va_am_send_what(req, what) ||
           va_am_recv_what(req, what);
}

static void va_ep_failed(ve_ep_t *ep, verve_status_t status)
{
    (void)status;
    va_frag_peer_failed(ep->worker, ep->peer->uid);
}

static const ve_layer_t va_layer = {
    .name = "am",
    .worker_cleanup = va_frag_worker_cleanup,
    .ep_failed = va_ep_failed,
    .ep_gone = va_tag_ep_gone,
    .worker_check = va_frag_worker_check,
    .request_what = va_request_what,
};

static vs_constructor void va_layer_register(void)
{
    (void)ve_layer_register(&va_layer);
}
