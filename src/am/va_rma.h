/* RMA emulated over AM, for keys a lane cannot reach natively. */
#ifndef VA_RMA_H
#define VA_RMA_H

#include "core/ve_types.h"

verve_status_t va_put_emulated_send(ve_request_t *req);
verve_status_t va_get_emulated_send(ve_request_t *req);
verve_status_t va_amo_emulated_send(ve_request_t *req);

#endif
