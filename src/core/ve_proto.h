/*
 * The engine's contract with the protocol layer above it: transport AM ids
 * and the handler table. The engine declares the table and installs it on
 * every interface it opens; src/am defines it (as the transport list is
 * declared by the transport layer and defined by each transport).
 */
#ifndef VE_PROTO_H
#define VE_PROTO_H

#include <verve/verve.h>
#include "transports/vt_iface.h"

enum {
    VE_AM_WIREUP = 0,       /* a worker address: the sender's way back */
    VE_AM_EAGER,            /* user AM with its data */
    VE_AM_RTS,              /* user AM header + rendezvous descriptor */
    VE_AM_ATS,              /* rendezvous data taken: complete the send */
    VE_AM_RTR,              /* rendezvous split: write this part for me */
    VE_AM_PUT_DONE,         /* the part asked for by RTR is written */
    VE_AM_PUT,              /* emulated put: descriptor + data */
    VE_AM_GET_REQ,          /* emulated get request */
    VE_AM_GET_REPLY,        /* emulated get data */
    VE_AM_AMO_REQ,          /* emulated atomic */
    VE_AM_RMA_REPLY,        /* status (and atomic result) of the above */
    VE_AM_FRAG,             /* a part of a message too large for one send */
    VE_AM_LAST
};

/* Handlers are called with the worker as arg. */
extern const vt_am_handler_t ve_proto_handlers[VE_AM_LAST];

/* The engine's own handler for VE_AM_WIREUP. */
void ve_wireup_handler(void *arg, void *data, size_t length,
                       uint64_t src_uid);

#endif
