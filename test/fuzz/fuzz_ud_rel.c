/*
 * Fuzz target for the ud transport's reliability headers (ud_rel.c,
 * ud_rel_rx.c): the datagrams any process that knows a UD QP number can
 * send. The engine is pure (no device, no clock), so each input runs a
 * fresh one, as the ud interface drives it: datagrams from the input,
 * with a peer made for an unknown sender as ud_iface.c does (a few at
 * most), our own sends (so that acks, selective acks and resends have
 * something to act on), and time that passes (timers, failure).
 *
 * Input: steps, each a control byte c and its arguments:
 *   c % 4 == 0: a datagram: a length byte (+ 256 when bit 3 of c), then
 *               that many bytes; bit 2: its first 8 bytes (src_id) name
 *               the known peer, so the fuzzer need not find it;
 *   c % 4 == 1: a send to the known peer: am id and length bytes (the
 *               length in 16-byte units: fragmented beyond the mtu);
 *   c % 4 == 2: time passes (byte * 100 us), then progress;
 *   c % 4 == 3: a flush of the known peer.
 * Every message delivered is read whole; when the input ends, time runs
 * out for every peer and the engine is cleaned up, completing what is
 * pending (ASan's leak check sees what it would keep).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "transports/verbs/ud_rel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MTU 256
#define FUZZ_PEER_ID 0x1000u
#define FUZZ_PEERS_MAX 4
#define FUZZ_US 1000ull

static volatile uint8_t fuzz_sum;

static verve_status_t fuzz_tx(void *arg, void *peer_arg, const void *datagram,
                              size_t length)
{
    (void)arg;
    (void)peer_arg;
    if (length > FUZZ_MTU) {
        abort();   /* the engine must never exceed its mtu */
    }
    fuzz_sum += ((const uint8_t *)datagram)[length - 1];
    return VERVE_OK;
}

static void fuzz_deliver(void *arg, void *peer_arg, uint8_t am_id,
                         void *data, size_t length)
{
    uint8_t sum = am_id;

    (void)arg;
    (void)peer_arg;
    for (size_t i = 0; i < length; ++i) {
        sum += ((const uint8_t *)data)[i];
    }
    fuzz_sum += sum;
}

static void fuzz_failed(void *arg, void *peer_arg)
{
    (void)arg;
    (void)peer_arg;
}

static void fuzz_completed(vt_completion_t *self, verve_status_t status)
{
    (void)self;
    (void)status;
}

typedef struct fuzz_input {
    const uint8_t *data;
    size_t left;
} fuzz_input_t;

static uint8_t fuzz_byte(fuzz_input_t *in)
{
    if (in->left == 0) {
        return 0;
    }
    --in->left;
    return *in->data++;
}

typedef struct fuzz_state {
    vt_ud_rel_t rel;
    vt_ud_rel_peer_t *peer;
    unsigned num_peers;
    uint64_t now;
    vt_completion_t comps[64];
    unsigned num_comps;
} fuzz_state_t;

/* What ud_iface.c does with a received datagram. */
static void fuzz_datagram(fuzz_state_t *state, uint8_t control,
                          fuzz_input_t *in)
{
    size_t length = fuzz_byte(in) + ((control & 8) ? 256 : 0);
    vt_ud_rel_peer_t *peer;
    uint64_t id, known = FUZZ_PEER_ID;
    uint8_t *datagram;

    length = (length < in->left) ? length : in->left;
    /* a copy of its exact size: ASan sees a read past its end */
    datagram = malloc(length ? length : 1);
    if (datagram == NULL) {
        abort();
    }
    memcpy(datagram, in->data, length);
    in->data += length;
    in->left -= length;
    if ((control & 4) && length >= sizeof(known)) {
        memcpy(datagram, &known, sizeof(known));
    }
    if (vt_ud_rel_datagram_src(datagram, length, &id)) {
        if (vt_ud_rel_peer_find(&state->rel, id) == NULL &&
            !vt_ud_rel_datagram_is_busy(datagram, length) &&
            state->num_peers < FUZZ_PEERS_MAX &&
            vt_ud_rel_peer_create(&state->rel, id, NULL, &peer) ==
                    VERVE_OK) {
            ++state->num_peers;
        }
        vt_ud_rel_recv(&state->rel, datagram, length, state->now);
    }
    free(datagram);
}

static void fuzz_send(fuzz_state_t *state, fuzz_input_t *in)
{
    static uint8_t payload[64 * 16];
    uint8_t am_id = fuzz_byte(in);
    size_t length = (size_t)(fuzz_byte(in) % 64) * 16;
    vt_completion_t *comp = NULL;

    if (state->num_comps < 64) {
        comp = &state->comps[state->num_comps];
        comp->func = fuzz_completed;
        comp->count = 1;
    }
    if (vt_ud_rel_send(&state->rel, state->peer, am_id, NULL, 0, payload,
                       length, comp) == VERVE_INPROGRESS) {
        ++state->num_comps;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_state_t state;
    fuzz_input_t in = {.data = data, .left = size};
    vt_ud_rel_params_t params = {
        .mtu = FUZZ_MTU,
        .window = 16,
        .ack_count = 4,
        .ack_delay_ns = 100 * FUZZ_US,
        .rto_min_ns = 1000 * FUZZ_US,
        .rto_max_ns = 16000 * FUZZ_US,
        .timeout_ns = 50000 * FUZZ_US,
        .local_id = 0x2000,
        .max_msg = 8 * (FUZZ_MTU - VT_UD_REL_HDR_LEN),
        .ooo_max = 32,
        .tx = fuzz_tx,
        .deliver = fuzz_deliver,
        .failed = fuzz_failed
    };
    uint8_t control;

    memset(&state, 0, sizeof(state));
    state.now = 1;
    if (vt_ud_rel_init(&state.rel, &params) != VERVE_OK ||
        vt_ud_rel_peer_create(&state.rel, FUZZ_PEER_ID, NULL, &state.peer) !=
                VERVE_OK) {
        abort();
    }
    state.num_peers = 1;
    while (in.left > 0) {
        control = fuzz_byte(&in);
        switch (control % 4) {
        case 0:
            fuzz_datagram(&state, control, &in);
            break;
        case 1:
            fuzz_send(&state, &in);
            break;
        case 2:
            state.now += fuzz_byte(&in) * 100 * FUZZ_US;
            vt_ud_rel_progress(&state.rel, state.now);
            break;
        default:
            /* polled: no completion outlives this input */
            (void)vt_ud_rel_flush(&state.rel, state.peer, NULL);
            break;
        }
    }
    state.now += params.timeout_ns * 4;
    vt_ud_rel_progress(&state.rel, state.now);
    vt_ud_rel_cleanup(&state.rel);
    return 0;
}
