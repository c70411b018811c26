/* Helpers shared by the ud reliability tests: parameters, completion
 * records and callbacks that count or ignore. */
#ifndef UD_TEST_UTIL_H
#define UD_TEST_UTIL_H

#include "ud_sim.h"

#define MTU 1024
#define FRAG_MAX (MTU - VT_UD_REL_HDR_LEN)
#define MSG_MAX (16 * 1024)

static inline vt_ud_rel_params_t test_params(void)
{
    return (vt_ud_rel_params_t){
        .mtu = MTU,
        .window = 64,
        .ack_count = 16,
        .ack_delay_ns = 100 * UD_SIM_US,
        .rto_min_ns = 2 * UD_SIM_MS,
        .rto_max_ns = 64 * UD_SIM_MS,
        .timeout_ns = 10000 * UD_SIM_MS,
        .max_msg = MSG_MAX + 64,
        .ooo_max = 256
    };
}


/* ---- completion records */

typedef struct comp_rec {
    vt_completion_t comp;
    int calls;
    verve_status_t status;
} comp_rec_t;

static inline void comp_rec_done(vt_completion_t *self, verve_status_t status)
{
    comp_rec_t *rec = vs_container_of(self, comp_rec_t, comp);
    ++rec->calls;
    rec->status = status;
}

static inline void comp_rec_init(comp_rec_t *rec)
{
    rec->comp.func = comp_rec_done;
    rec->comp.count = 1;
    rec->comp.status = VERVE_OK;
    rec->calls = 0;
    rec->status = VERVE_INPROGRESS;
}

static inline void count_deliver(void *arg, unsigned dst, unsigned src,
                          uint8_t am_id, void *data, size_t length)
{
    uint64_t *count = arg;
    (void)dst;
    (void)src;
    (void)am_id;
    (void)data;
    (void)length;
    ++*count;
}


static inline void noop_deliver(void *arg, unsigned dst, unsigned src,
                         uint8_t am_id, void *data, size_t length)
{
    (void)arg;
    (void)dst;
    (void)src;
    (void)am_id;
    (void)data;
    (void)length;
}


static inline verve_status_t null_tx(void *arg, void *peer_arg,
                              const void *datagram, size_t length)
{
    (void)arg;
    (void)peer_arg;
    (void)datagram;
    (void)length;
    return VERVE_OK;
}

static inline void null_deliver(void *arg, void *peer_arg, uint8_t am_id,
                         void *data, size_t length)
{
    (void)arg;
    (void)peer_arg;
    (void)am_id;
    (void)data;
    (void)length;
}

#endif
