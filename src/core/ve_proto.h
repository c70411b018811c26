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

/* Frees what the protocol layer keeps per worker (messages in assembly);
 * called by worker destroy. */
struct verve_worker;
void ve_proto_worker_cleanup(struct verve_worker *worker);
/* An endpoint is going away (closed or destroyed): the protocol layer
 * drops what it keeps that points to it (rendezvous descriptors waiting
 * for a tag receive). */
struct verve_ep;
void ve_proto_ep_gone(struct verve_ep *ep);
/* A peer failed: what the protocol layer assembles from it goes. */
void ve_proto_peer_failed(struct verve_worker *worker, uint64_t uid);
/* Periodic (the worker's liveness timer): expires what waited too long
 * for a peer (fragments of a message that stopped coming). */
void ve_proto_worker_check(struct verve_worker *worker, uint64_t now_ns);

/* What a request is and what it waits for, in words, for the warning
 * about a request that waits too long (VERVE_STALL_WARN): op is NULL
 * when the protocol layer did not start the request. */
typedef struct ve_request_what {
    const char *op;          /* "get (emulated over AM)" */
    const char *waits_for;   /* "the target's reply (...)" */
} ve_request_what_t;
struct verve_request;
void ve_proto_request_what(const struct verve_request *req,
                           ve_request_what_t *what);

/* The collectives' channel (src/am defines it): verve_am_send_nbx with
 * the message flagged VA_AM_FLAG_COLL, so it takes every protocol a user
 * AM takes (eager, rendezvous, fragments) and arrives at the worker's
 * coll_handler instead of a user handler. */
verve_status_t ve_coll_am_send_nbx(struct verve_ep *ep, const void *header,
                                   size_t header_length, const void *buffer,
                                   size_t length,
                                   const verve_request_param_t *param,
                                   verve_request_h *request_p);

/* Creates the collectives' per-worker state (src/coll defines it; it
 * installs itself with ve_worker_set_coll). Called by worker create
 * before any interface opens. */
verve_status_t ve_coll_worker_init(struct verve_worker *worker);

/* Polls what the collectives wait for outside the transports (flags in
 * their shared-memory segments); called by every progress call (src/coll
 * defines it). Returns how many of them advanced. */
unsigned ve_coll_worker_progress(struct verve_worker *worker);

/* The engine's own handler for VE_AM_WIREUP. */
void ve_wireup_handler(void *arg, void *data, size_t length,
                       uint64_t src_uid);

#endif
