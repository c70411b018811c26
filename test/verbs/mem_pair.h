/*
 * Two workers of one process joined by an rc endpoint (loopback through
 * the rxe device), a verve_mem_map'd target with its key, and a
 * rendezvous receiver: what mem_reg.c and mem_bench.c share. Included by
 * one program each, so its functions are static (inline: not all are
 * used by both).
 */
#ifndef VT_TEST_MEM_PAIR_H
#define VT_TEST_MEM_PAIR_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <verve/verve.h>
#include "../check.h"
#include "../pattern.h"

#define MEM_PAIR_AM_ID 9

typedef struct pair {
    verve_context_h context;
    verve_worker_h a, b;
    verve_ep_h ab;
    verve_rkey_h rkey;
    verve_mem_h mem;
    uint8_t *target;          /* mapped by verve_mem_map */
    uint8_t *rbuf;            /* where rendezvous data lands */
    size_t rlen;
    verve_request_h rreq;
    verve_status_t rstatus;
    unsigned received;
    int cache;                /* the path is the registration cache */
} pair_t;

static inline void pair_drive(pair_t *p, verve_status_t status,
                       verve_request_h *req_p, const char *what)
{
    verve_request_h req = *req_p;

    if (status == VERVE_INPROGRESS) {
        while ((status = verve_request_test(req)) == VERVE_INPROGRESS) {
            verve_worker_progress(p->a);
            verve_worker_progress(p->b);
        }
        verve_request_free(req);
    }
    check(status == VERVE_OK, "%s: %s", what, verve_status_string(status));
}

static inline verve_status_t rndv_cb(void *arg, const void *header,
                              size_t header_length, void *data,
                              size_t length,
                              const verve_am_recv_param_t *param)
{
    verve_request_param_t rp = {0};
    pair_t *p = arg;

    (void)header, (void)header_length;
    p->rreq = NULL;
    if (!(param->recv_attr & VERVE_AM_RECV_ATTR_FLAG_RNDV) ||
        length > p->rlen) {
        p->rstatus = VERVE_ERR_INVALID_PARAM;
        return VERVE_OK;
    }
    p->rstatus = verve_am_recv_data_nbx(p->b, data, p->rbuf, length, &rp,
                                        &p->rreq);
    ++p->received;
    return VERVE_OK;
}

/* Sends buffer by rendezvous into p->rbuf and waits for both sides. */
static inline void pair_rndv(pair_t *p, const void *buffer, size_t length)
{
    verve_request_param_t sp = {.op_attr_mask = VERVE_OP_ATTR_FIELD_FLAGS,
                                .flags = VERVE_AM_SEND_FLAG_RNDV};
    verve_request_h req = NULL;
    unsigned before = p->received;
    verve_status_t status;

    status = verve_am_send_nbx(p->ab, MEM_PAIR_AM_ID, NULL, 0, buffer,
                               length, &sp, &req);
    check(status == VERVE_OK || status == VERVE_INPROGRESS, "rndv send: %s",
          verve_status_string(status));
    while (p->received == before) {
        verve_worker_progress(p->a);
        verve_worker_progress(p->b);
    }
    pair_drive(p, p->rstatus, &p->rreq, "rndv receive");
    pair_drive(p, status, &req, "rndv send");
}

static inline void pair_put(pair_t *p, const void *buffer, size_t length)
{
    verve_request_h req = NULL;

    pair_drive(p, verve_put_nbx(p->ab, buffer, length,
                                (uint64_t)(uintptr_t)p->target, p->rkey,
                                NULL, &req), &req, "put");
    pair_drive(p, verve_ep_flush_nbx(p->ab, NULL, &req), &req, "flush");
}

static inline void fill(uint8_t *buffer, size_t length, unsigned seed)
{
    pattern_fill(pattern_id(0x3e, seed), 0, buffer, length);
}

/* Connects the pair, maps target_length bytes as the put target and
 * allocates the rendezvous receive buffer. */
static inline void pair_open(pair_t *p, size_t target_length,
                             size_t rbuf_length)
{
    verve_mem_map_params_t mp = {
        .field_mask = VERVE_MEM_MAP_PARAM_FIELD_LENGTH |
                      VERVE_MEM_MAP_PARAM_FIELD_FLAGS,
        .length = target_length, .flags = VERVE_MEM_MAP_ALLOCATE};
    verve_am_handler_params_t hp = {
        .field_mask = VERVE_AM_HANDLER_PARAM_FIELD_ID |
                      VERVE_AM_HANDLER_PARAM_FIELD_CB |
                      VERVE_AM_HANDLER_PARAM_FIELD_ARG,
        .id = MEM_PAIR_AM_ID, .cb = rndv_cb, .arg = p};
    verve_ep_params_t ep_params = {0};
    size_t length;
    void *address, *packed;

    check(verve_context_create(NULL, &p->context) == VERVE_OK, "context");
    check(verve_worker_create(p->context, NULL, &p->a) == VERVE_OK,
          "worker");
    check(verve_worker_create(p->context, NULL, &p->b) == VERVE_OK,
          "worker");
    check(verve_worker_set_am_handler(p->b, &hp) == VERVE_OK, "handler");
    check(verve_worker_address_pack(p->b, &address, &length) == VERVE_OK,
          "address");
    ep_params.field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS;
    ep_params.address = address;
    ep_params.address_length = length;
    check(verve_ep_create(p->a, &ep_params, &p->ab) == VERVE_OK, "ep");
    verve_worker_address_release(address);
    check(verve_mem_map(p->context, &mp, &p->mem) == VERVE_OK, "mem map");
    p->target = verve_mem_address(p->mem);
    check(verve_rkey_pack(p->context, p->mem, &packed, &length) == VERVE_OK,
          "rkey pack");
    check(verve_rkey_unpack(p->ab, packed, length, &p->rkey) == VERVE_OK,
          "rkey unpack");
    verve_rkey_buffer_release(packed);
    p->rlen = rbuf_length;
    p->rbuf = malloc(p->rlen);
    check(p->rbuf != NULL, "malloc");
}

static inline void pair_close(pair_t *p)
{
    verve_request_h req = NULL;

    free(p->rbuf);
    verve_rkey_destroy(p->rkey);
    verve_mem_unmap(p->context, p->mem);
    pair_drive(p, verve_ep_close_nbx(p->ab, VERVE_EP_CLOSE_FLUSH, NULL,
                                     &req), &req, "close");
    verve_worker_destroy(p->b);
    verve_worker_destroy(p->a);
    verve_context_destroy(p->context);
}

#endif
