/* The protocol handlers the engine installs on every interface. */
#include "core/ve_proto.h"
#include "va_am.h"

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

void ve_proto_request_what(const ve_request_t *req, ve_request_what_t *what)
{
    what->op = NULL;
    what->waits_for = NULL;
    if (!va_rma_what(req, what) && !va_am_send_what(req, what)) {
        va_am_recv_what(req, what);
    }
}
