/*
 * The protocol layer's second AM channel, for the collectives (src/coll):
 * verve_am_send_nbx with the message flagged VA_AM_FLAG_COLL, so it takes
 * every protocol a user AM takes (eager, rendezvous, fragments) and
 * arrives at the handler ve_worker_set_chan installed instead of a user
 * handler.
 */
#ifndef VA_CHAN_H
#define VA_CHAN_H

#include "core/ve_types.h"

verve_status_t va_chan_send_nbx(ve_ep_t *ep, const void *header,
                                size_t header_length, const void *buffer,
                                size_t length,
                                const verve_request_param_t *param,
                                verve_request_h *request_p);

#endif
