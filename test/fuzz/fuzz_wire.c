/*
 * Fuzz target for every parser of bytes that come from a peer: the
 * protocol handlers (eager, fragments, rendezvous, replies, emulated RMA),
 * packed worker addresses and packed remote keys. The first input byte
 * picks the parser; the rest is the message. Handlers run on a real worker
 * that has an endpoint to itself, so the replies they send are delivered
 * and parsed too (progress after every input).
 *
 * Built two ways: with libFuzzer (clang -fsanitize=fuzzer; see
 * fuzz_main.c for the command) and, in every build, with fuzz_main.c as a
 * plain program that CI runs under ASan/UBSan on random and mutated
 * inputs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <verve/verve.h>
#include "core/ve_proto.h"
#include "core/ve_types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t fuzz_sum;

/* A handler that reads every byte it is given (so the sanitizers see a
 * parser that hands out too long a header or payload) and keeps nothing.
 * It does not receive rendezvous data: the messages claim to come from
 * this very process, whose self transport trusts addresses (no other
 * process can send on it); declining sends the ATS, whose reply parsing
 * runs too. */
static verve_status_t fuzz_am_cb(void *arg, const void *header,
                                 size_t header_length, void *data,
                                 size_t length,
                                 const verve_am_recv_param_t *param)
{
    uint8_t sum = 0;
    size_t i;

    (void)arg;
    for (i = 0; i < header_length; ++i) {
        sum += ((const uint8_t *)header)[i];
    }
    if (param->recv_attr & VERVE_AM_RECV_ATTR_FLAG_DATA) {
        for (i = 0; i < length; ++i) {
            sum += ((const uint8_t *)data)[i];
        }
    }
    fuzz_sum += sum;
    return VERVE_OK;
}

typedef struct fuzz_state {
    verve_context_h context;
    verve_worker_h worker;
    verve_ep_h ep;
    verve_mem_h mem;
} fuzz_state_t;

static fuzz_state_t fuzz;

static void fuzz_cleanup(void)
{
    verve_request_h req;

    if (verve_ep_close_nbx(fuzz.ep, VERVE_EP_CLOSE_FORCE, NULL, &req) ==
        VERVE_INPROGRESS) {
        verve_request_wait(fuzz.worker, req);
        verve_request_free(req);
    }
    verve_mem_unmap(fuzz.context, fuzz.mem);
    verve_worker_destroy(fuzz.worker);
    verve_context_destroy(fuzz.context);
}

static void fuzz_init(void)
{
    verve_mem_map_params_t mparams = {
        .field_mask = VERVE_MEM_MAP_PARAM_FIELD_LENGTH |
                      VERVE_MEM_MAP_PARAM_FIELD_FLAGS,
        .length = 4096, .flags = VERVE_MEM_MAP_ALLOCATE};
    verve_ep_params_t ep_params = {
        .field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS};
    verve_am_handler_params_t hp = {
        .field_mask = VERVE_AM_HANDLER_PARAM_FIELD_ID |
                      VERVE_AM_HANDLER_PARAM_FIELD_CB |
                      VERVE_AM_HANDLER_PARAM_FIELD_ARG,
        .cb = fuzz_am_cb};
    void *address;
    size_t length;

    /* A first fragment's claim is allocated up to VERVE_AM_FRAG_MAX (2g
     * by default, by design); libFuzzer counts a malloc past its 2 GiB
     * as a failure: keep the configured maximum below it. */
    setenv("VERVE_AM_FRAG_MAX", "64m", 0);
    if (verve_context_create(NULL, &fuzz.context) != VERVE_OK ||
        verve_worker_create(fuzz.context, NULL, &fuzz.worker) != VERVE_OK ||
        verve_worker_address_pack(fuzz.worker, &address, &length) !=
                VERVE_OK) {
        abort();
    }
    ep_params.address = address;
    ep_params.address_length = length;
    if (verve_ep_create(fuzz.worker, &ep_params, &fuzz.ep) != VERVE_OK ||
        verve_mem_map(fuzz.context, &mparams, &fuzz.mem) != VERVE_OK) {
        abort();
    }
    verve_worker_address_release(address);
    /* handlers on a few ids only: the rest exercise "no handler" */
    hp.arg = fuzz.worker;
    for (hp.id = 0; hp.id < 8; ++hp.id) {
        verve_worker_set_am_handler(fuzz.worker, &hp);
    }
    atexit(fuzz_cleanup);
}

static void fuzz_address(const uint8_t *data, size_t size)
{
    verve_ep_params_t ep_params = {
        .field_mask = VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS,
        .address = data, .address_length = size};
    verve_request_h req;
    verve_ep_h ep;

    if (verve_ep_create(fuzz.worker, &ep_params, &ep) == VERVE_OK &&
        verve_ep_close_nbx(ep, VERVE_EP_CLOSE_FORCE, NULL, &req) ==
                VERVE_INPROGRESS) {
        verve_request_wait(fuzz.worker, req);
        verve_request_free(req);
    }
}

static void fuzz_rkey(const uint8_t *data, size_t size)
{
    verve_rkey_h rkey;

    /* No access through an accepted key: keys of the self transport are
     * trusted (only this process can pack them). */
    if (verve_rkey_unpack(fuzz.ep, data, size, &rkey) == VERVE_OK) {
        verve_rkey_destroy(rkey);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* handlers read the message in place and may keep nothing of it: a
     * private copy lets ASan see reads past its end */
    uint8_t *message;
    size_t length;
    unsigned kind;

    if (fuzz.worker == NULL) {
        fuzz_init();
    }
    if (size == 0) {
        return 0;
    }
    kind = data[0] % (VE_AM_LAST + 2);
    length = size - 1;
    message = malloc(length ? length : 1);
    memcpy(message, data + 1, length);
    if (kind == VE_AM_LAST) {
        fuzz_address(message, length);
    } else if (kind == VE_AM_LAST + 1) {
        fuzz_rkey(message, length);
    } else {
        /* from ourselves: the uid the self ep replies to */
        ve_proto_handlers[kind](fuzz.worker, message, length,
                                fuzz.worker->uid);
    }
    free(message);
    for (int i = 0; i < 4; ++i) {
        verve_worker_progress(fuzz.worker);
    }
    return 0;
}
