/*
 * Fuzz target for the remote keys and interface addresses of each
 * transport (fuzz_wire.c covers the engine's packed formats over self).
 *
 * Byte 0 picks the parser, the rest is its input:
 *   0  a packed key unpacked on an endpoint over shm (two workers of this
 *      process), as verve_rkey_unpack does with a peer's: the input is
 *      XORed onto a valid key of memory mapped here (all zero: the valid
 *      key; longer or shorter: bytes added or cut), so the fuzzer starts
 *      from the engine's header, the shm part (pid, fd, inode, generation
 *      slot) and the mapping it names, instead of having to find them;
 *   1  the verbs key (rc), vt_verbs_rkey_parse (verbs builds);
 *   2  the verbs interface addresses, rc's and ud's magic (verbs builds);
 *   3  the tcp interface address.
 * tcp and ud have no keys (RMA goes over AM there).
 */
#include "verve_config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <verve/verve.h>
#include "transports/tcp/tcp.h"
#ifdef HAVE_VERBS
#include "transports/verbs/rc.h"
#include "transports/verbs/ud.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
    verve_context_h context;
    verve_worker_h worker;
    verve_worker_h peer;
    verve_ep_h ep;
    verve_mem_h mem;
    void *key;
    size_t key_length;
} fuzz;

static void fuzz_cleanup(void)
{
    verve_request_h req;

    verve_rkey_buffer_release(fuzz.key);
    if (verve_ep_close_nbx(fuzz.ep, VERVE_EP_CLOSE_FORCE, NULL, &req) ==
        VERVE_INPROGRESS) {
        verve_request_wait(fuzz.worker, req);
        verve_request_free(req);
    }
    verve_mem_unmap(fuzz.context, fuzz.mem);
    verve_worker_destroy(fuzz.peer);
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
    void *address;
    size_t length;

    setenv("VERVE_TLS", "shm", 1);
    if (verve_context_create(NULL, &fuzz.context) != VERVE_OK ||
        verve_worker_create(fuzz.context, NULL, &fuzz.worker) != VERVE_OK ||
        verve_worker_create(fuzz.context, NULL, &fuzz.peer) != VERVE_OK ||
        verve_worker_address_pack(fuzz.peer, &address, &length) !=
                VERVE_OK) {
        fprintf(stderr, "fuzz_rkey: no workers over shm\n");
        abort();
    }
    ep_params.address = address;
    ep_params.address_length = length;
    if (verve_ep_create(fuzz.worker, &ep_params, &fuzz.ep) != VERVE_OK ||
        verve_mem_map(fuzz.context, &mparams, &fuzz.mem) != VERVE_OK ||
        verve_rkey_pack(fuzz.context, fuzz.mem, &fuzz.key,
                        &fuzz.key_length) != VERVE_OK) {
        fprintf(stderr, "fuzz_rkey: no key over shm\n");
        abort();
    }
    verve_worker_address_release(address);
    atexit(fuzz_cleanup);
}

static void fuzz_shm_key(const uint8_t *data, size_t size)
{
    uint8_t *key = malloc(size ? size : 1);
    verve_rkey_h rkey;
    size_t i;

    if (key == NULL) {
        return;
    }
    for (i = 0; i < size; ++i) {
        key[i] = data[i] ^
                 ((i < fuzz.key_length) ? ((uint8_t *)fuzz.key)[i] : 0);
    }
    /* No access through an accepted key: it may name any memory of this
     * process (as a peer's key may name any of the peer's). */
    if (verve_rkey_unpack(fuzz.ep, key, size, &rkey) == VERVE_OK) {
        verve_rkey_destroy(rkey);
    }
    free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_tcp_iface_addr_t tcp_addr;
    uint8_t *copy;

    if (fuzz.worker == NULL) {
        fuzz_init();
    }
    if (size == 0) {
        return 0;
    }
    /* a copy of its exact size: ASan sees a read past its end */
    copy = malloc(size - 1 ? size - 1 : 1);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data + 1, size - 1);
    switch (data[0] % 4) {
    case 0:
        fuzz_shm_key(copy, size - 1);
        break;
#ifdef HAVE_VERBS
    case 1: {
        vt_rkey_t *rkey;
        if (vt_verbs_rkey_parse(copy, size - 1, VT_CAP_RMA, &rkey) ==
            VERVE_OK) {
            vt_verbs_rkey_release(rkey);
        }
        break;
    }
    case 2: {
        vt_verbs_addr_t addr;
        (void)vt_verbs_addr_parse(copy, size - 1, VT_RC_ADDR_MAGIC, &addr);
        (void)vt_verbs_addr_parse(copy, size - 1, VT_UD_ADDR_MAGIC, &addr);
        break;
    }
#endif
    case 3:
        (void)vt_tcp_addr_parse(copy, size - 1, &tcp_addr);
        break;
    default:
        break;
    }
    free(copy);
    verve_worker_progress(fuzz.worker);
    verve_worker_progress(fuzz.peer);
    return 0;
}
