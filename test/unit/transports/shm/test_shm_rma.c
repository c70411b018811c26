/*
 * Unit tests of the shared-memory transport's data movement and keys:
 * get_zcopy (CMA), put/get/atomics through rkeys on allocated and
 * registered memory, the same with CMA turned off, and the parsers of
 * packed rkeys and addresses that read bytes from a peer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/base/log.h"
#include "shm_test_util.h"

static void test_get_zcopy(void **state)
{
    const size_t length = 1 << 20;
    vt_remote_buffer_t remote;
    vt_completion_t comp = {NULL, 1, VERVE_OK};
    shm_peer_t peer;
    vt_iface_t *iface;
    vt_ep_t *ep;
    uint8_t *buf;
    size_t bad = 0;

    (void)state;
    if (shm_fork(&peer)) {
        vt_iface_t *ciface;
        vt_ep_t *cep = child_setup(&peer, &ciface);
        uint8_t *src = malloc(length);
        CHILD_CHECK(src != NULL);
        pattern_fill(77, 0, src, length);
        shm_write_u64(&peer, (uintptr_t)src);
        child_teardown(ciface, cep, &peer);
    }
    iface = shm_iface_open(PARENT_UID, child_noop_handler, NULL, -1);
    ep = shm_connect(iface, &peer);
    assert_int_equal(ep->caps_off, 0);    /* CMA reaches the child */
    remote.address = shm_read_u64(&peer);
    remote.length = length;
    buf = calloc(1, length);
    assert_non_null(buf);
    assert_int_equal(ep->iface->ops->ep_get_zcopy(ep, buf, length, &remote,
                                                  &comp), VERVE_OK);
    for (size_t i = 0; i < length; ++i) {
        bad += buf[i] != pattern_byte(77, i);
    }
    assert_int_equal(bad, 0);
    /* An address the child does not map: an I/O error, not a crash. */
    remote.address = 8;
    assert_int_equal(ep->iface->ops->ep_get_zcopy(ep, buf, 64, &remote,
                                                  &comp), VERVE_ERR_IO);
    free(buf);
    shm_write_u64(&peer, 0);
    assert_int_equal(shm_join(&peer), 0);
    iface->ops->ep_destroy(ep);
    iface->ops->iface_close(iface);
}

#define FADD_COUNT 10000

/* Parent allocates; both processes fetch-add through rkeys; the child also
 * puts and gets. Then the child registers plain memory and the parent puts
 * and gets it through CMA. */
static void test_rma_atomics(void **state)
{
    const vt_component_t *comp = &vt_shm_component;
    size_t key_len;
    uint8_t key[256], pbuf[128], gbuf[128];
    uint64_t *mem, result, total;
    vt_memh_t *memh;
    vt_rkey_t *rkey;
    shm_peer_t peer;
    vt_iface_t *iface;
    vt_ep_t *ep;

    (void)state;
    assert_int_equal(comp->mem_alloc(4096, (void **)&mem, &memh), VERVE_OK);
    memset(mem, 0, 4096);
    key_len = comp->rkey_packed_size(memh);
    assert_true(key_len <= sizeof(key));
    comp->rkey_pack(memh, key);

    if (shm_fork(&peer)) {
        vt_iface_t *ciface;
        vt_ep_t *cep = child_setup(&peer, &ciface);
        const vt_iface_ops_t *ops = cep->iface->ops;
        uint64_t base = shm_read_u64(&peer), fetched, prev = 0, cmp = 0;
        uint8_t cbuf[128], *plain;
        uint32_t old32 = 0;
        vt_memh_t *cmemh;
        vt_rkey_t *crkey;
        size_t n;

        CHILD_CHECK(comp->rkey_unpack(ciface, key, key_len, &crkey) ==
                    VERVE_OK);
        CHILD_CHECK(crkey->flags ==
                    (VT_CAP_RMA | VT_CAP_AMO32 | VT_CAP_AMO64));
        pattern_fill(5, 256, cbuf, sizeof(cbuf));
        CHILD_CHECK(ops->ep_put(cep, cbuf, sizeof(cbuf), base + 256, crkey,
                                NULL) == VERVE_OK);
        memset(cbuf, 0, sizeof(cbuf));
        CHILD_CHECK(ops->ep_get(cep, cbuf, sizeof(cbuf), base + 256, crkey,
                                NULL) == VERVE_OK);
        for (size_t i = 0; i < sizeof(cbuf); ++i) {
            CHILD_CHECK(cbuf[i] == pattern_byte(5, 256 + i));
        }
        shm_write_u64(&peer, 1);     /* go */
        for (int i = 0; i < FADD_COUNT; ++i) {
            CHILD_CHECK(ops->ep_atomic(cep, VT_ATOMIC_FADD, 8, 1, 0, &fetched,
                                       base, crkey, NULL) == VERVE_OK);
            /* Fetched values grow strictly (the parent adds too). */
            CHILD_CHECK(i == 0 || fetched > prev);
            prev = fetched;
        }
        /* 32-bit compare-and-swap at offset 8: 0 -> 7, then a miss. */
        CHILD_CHECK(ops->ep_atomic(cep, VT_ATOMIC_CSWAP, 4, 7, cmp, &old32,
                                   base + 8, crkey, NULL) == VERVE_OK);
        CHILD_CHECK(old32 == 0);
        CHILD_CHECK(ops->ep_atomic(cep, VT_ATOMIC_CSWAP, 4, 9, cmp, &old32,
                                   base + 8, crkey, NULL) == VERVE_OK);
        CHILD_CHECK(old32 == 7);
        comp->rkey_release(crkey);

        /* Plain registered memory: RMA only, through CMA. */
        plain = calloc(1, 4096);
        CHILD_CHECK(plain != NULL);
        pattern_fill(9, 0, plain, 4096);
        CHILD_CHECK(comp->mem_reg(plain, 4096, &cmemh) == VERVE_OK);
        n = comp->rkey_packed_size(cmemh);
        comp->rkey_pack(cmemh, cbuf);
        shm_write_u64(&peer, n);
        shm_write_all(peer.wfd, cbuf, n);
        shm_write_u64(&peer, (uintptr_t)plain);
        shm_read_u64(&peer);     /* parent wrote into plain[1024..1152) */
        for (size_t i = 0; i < 128; ++i) {
            CHILD_CHECK(plain[1024 + i] == pattern_byte(11, 1024 + i));
        }
        comp->mem_dereg(cmemh);
        child_teardown(ciface, cep, &peer);
    }
    iface = shm_iface_open(PARENT_UID, child_noop_handler, NULL, -1);
    ep = shm_connect(iface, &peer);
    shm_write_u64(&peer, (uintptr_t)mem);
    assert_int_equal(comp->rkey_unpack(iface, key, key_len, &rkey), VERVE_OK);
    assert_int_equal(shm_read_u64(&peer), 1);
    for (int i = 0; i < FADD_COUNT; ++i) {
        assert_int_equal(ep->iface->ops->ep_atomic(ep, VT_ATOMIC_FADD, 8, 1,
                                                   0, &result,
                                                   (uintptr_t)mem, rkey,
                                                   NULL), VERVE_OK);
    }

    /* The child's registered key, then put/get through it. */
    {
        uint64_t n = shm_read_u64(&peer), plain;
        vt_rkey_t *prkey;
        uint8_t pkey[256];

        assert_true(n <= sizeof(pkey));
        assert_int_equal(shm_read_all(peer.rfd, pkey, n), 0);
        plain = shm_read_u64(&peer);
        assert_int_equal(comp->rkey_unpack(iface, pkey, n, &prkey), VERVE_OK);
        assert_int_equal(prkey->flags, VT_CAP_RMA);
        assert_int_equal(ep->iface->ops->ep_get(ep, gbuf, sizeof(gbuf),
                                                plain + 64, prkey, NULL),
                         VERVE_OK);
        for (size_t i = 0; i < sizeof(gbuf); ++i) {
            assert_int_equal(gbuf[i], pattern_byte(9, 64 + i));
        }
        pattern_fill(11, 1024, pbuf, sizeof(pbuf));
        assert_int_equal(ep->iface->ops->ep_put(ep, pbuf, sizeof(pbuf),
                                                plain + 1024, prkey, NULL),
                         VERVE_OK);
        comp->rkey_release(prkey);
        shm_write_u64(&peer, 0);
    }
    shm_write_u64(&peer, 0);
    assert_int_equal(shm_join(&peer), 0);

    memcpy(&total, mem, sizeof(total));
    assert_int_equal(total, 2 * FADD_COUNT);
    assert_int_equal(((uint32_t *)mem)[2], 7);
    for (size_t i = 0; i < 128; ++i) {
        assert_int_equal(((uint8_t *)mem)[256 + i], pattern_byte(5, 256 + i));
    }
    comp->rkey_release(rkey);
    comp->mem_dereg(memh);
    iface->ops->ep_destroy(ep);
    iface->ops->iface_close(iface);
}

static void test_invalid_rkey(void **state)
{
    const vt_component_t *comp = &vt_shm_component;
    uint8_t key[256], bad[256];
    vt_rkey_t *rkey = NULL;
    vt_memh_t *memh;
    vt_iface_t *iface;
    size_t len;
    void *mem;

    (void)state;
    iface = shm_iface_open(PARENT_UID, child_noop_handler, NULL, -1);
    assert_int_equal(comp->mem_alloc(100, &mem, &memh), VERVE_OK);
    len = comp->rkey_packed_size(memh);
    assert_true(len > 8 && len <= sizeof(key));
    comp->rkey_pack(memh, key);

    memset(bad, 0xa5, sizeof(bad));
    assert_int_equal(comp->rkey_unpack(iface, bad, len, &rkey),
                     VERVE_ERR_INVALID_RKEY);
    assert_int_equal(comp->rkey_unpack(iface, key, len - 1, &rkey),
                     VERVE_ERR_INVALID_RKEY);
    assert_int_equal(comp->rkey_unpack(iface, key, len + 1, &rkey),
                     VERVE_ERR_INVALID_RKEY);
    memcpy(bad, key, len);
    bad[0] ^= 1;                       /* magic */
    assert_int_equal(comp->rkey_unpack(iface, bad, len, &rkey),
                     VERVE_ERR_INVALID_RKEY);
    /* Another host: bytes 16..23 hold the host id. */
    memcpy(bad, key, len);
    bad[16] ^= 0xff;
    assert_int_equal(comp->rkey_unpack(iface, bad, len, &rkey),
                     VERVE_ERR_UNREACHABLE);
    /* Same host, another pid namespace (bytes 24..31). */
    memcpy(bad, key, len);
    bad[24] ^= 0xff;
    assert_int_equal(comp->rkey_unpack(iface, bad, len, &rkey),
                     VERVE_ERR_UNREACHABLE);
    assert_null(rkey);
    /* The good key still works, on our own memory. */
    assert_int_equal(comp->rkey_unpack(iface, key, len, &rkey), VERVE_OK);
    comp->rkey_release(rkey);
    comp->mem_dereg(memh);
    iface->ops->iface_close(iface);
}

/* Keys of regions their owner deregistered: every access fails with
 * VERVE_ERR_INVALID_RKEY and leaves the memory alone, for allocated
 * (mapped) and registered (CMA) memory alike; unpacking fails too. */
static void test_stale_rkey(void **state)
{
    const vt_component_t *comp = &vt_shm_component;
    uint8_t keys[2][256], data[64];
    uint64_t addrs[2], n[2], result;
    vt_rkey_t *rkeys[2];
    shm_peer_t peer;
    vt_iface_t *iface;
    vt_ep_t *ep;

    (void)state;
    if (shm_fork(&peer)) {
        vt_iface_t *ciface;
        vt_ep_t *cep = child_setup(&peer, &ciface);
        uint8_t *plain = malloc(4096), *alloc, key[256];
        vt_memh_t *memh[2];
        size_t len;

        CHILD_CHECK(plain != NULL);
        CHILD_CHECK(comp->mem_alloc(4096, (void **)&alloc, &memh[0]) ==
                    VERVE_OK);
        CHILD_CHECK(comp->mem_reg(plain, 4096, &memh[1]) == VERVE_OK);
        for (int i = 0; i < 2; ++i) {
            len = comp->rkey_packed_size(memh[i]);
            comp->rkey_pack(memh[i], key);
            shm_write_u64(&peer, len);
            shm_write_all(peer.wfd, key, len);
            shm_write_u64(&peer, i == 0 ? (uintptr_t)alloc
                                        : (uintptr_t)plain);
        }
        memset(plain, 0xee, 4096);
        shm_read_u64(&peer);                 /* parent unpacked */
        comp->mem_dereg(memh[0]);
        comp->mem_dereg(memh[1]);
        shm_write_u64(&peer, 0);
        shm_read_u64(&peer);                 /* parent tried */
        for (size_t i = 0; i < 4096; ++i) {
            CHILD_CHECK(plain[i] == 0xee);
        }
        child_teardown(ciface, cep, &peer);
    }
    iface = shm_iface_open(PARENT_UID, child_noop_handler, NULL, -1);
    ep = shm_connect(iface, &peer);
    for (int i = 0; i < 2; ++i) {
        n[i] = shm_read_u64(&peer);
        assert_true(n[i] <= sizeof(keys[i]));
        assert_int_equal(shm_read_all(peer.rfd, keys[i], n[i]), 0);
        addrs[i] = shm_read_u64(&peer);
        assert_int_equal(comp->rkey_unpack(iface, keys[i], n[i], &rkeys[i]),
                         VERVE_OK);
        assert_true(rkeys[i]->flags & VT_CAP_RMA);
        /* Valid so far. */
        assert_int_equal(ep->iface->ops->ep_get(ep, data, sizeof(data),
                                                addrs[i], rkeys[i], NULL),
                         VERVE_OK);
    }
    shm_write_u64(&peer, 0);
    shm_read_u64(&peer);                     /* child deregistered */
    memset(data, 1, sizeof(data));
    for (int i = 0; i < 2; ++i) {
        vt_rkey_t *again = NULL;
        assert_int_equal(ep->iface->ops->ep_put(ep, data, sizeof(data),
                                                addrs[i], rkeys[i], NULL),
                         VERVE_ERR_INVALID_RKEY);
        assert_int_equal(ep->iface->ops->ep_get(ep, data, sizeof(data),
                                                addrs[i], rkeys[i], NULL),
                         VERVE_ERR_INVALID_RKEY);
        assert_int_equal(comp->rkey_unpack(iface, keys[i], n[i], &again),
                         VERVE_ERR_INVALID_RKEY);
        assert_null(again);
    }
    assert_int_equal(ep->iface->ops->ep_atomic(ep, VT_ATOMIC_FADD, 8, 1, 0,
                                               &result, addrs[0], rkeys[0],
                                               NULL),
                     VERVE_ERR_INVALID_RKEY);
    shm_write_u64(&peer, 0);
    shm_write_u64(&peer, 0);
    assert_int_equal(shm_join(&peer), 0);
    comp->rkey_release(rkeys[0]);
    comp->rkey_release(rkeys[1]);
    iface->ops->ep_destroy(ep);
    iface->ops->iface_close(iface);
}

/* Every single-byte change of a valid key and of a valid address, and
 * random bytes: each parser either accepts or fails with one of its
 * documented codes, and never crashes (run it under valgrind/ASan). */
static void test_parsers_mutated(void **state)
{
    const vt_component_t *comp = &vt_shm_component;
    static const uint8_t deltas[] = {1, 0x80, 0xff};
    uint8_t key[256], addr[256], buf[256];
    size_t key_len, i, d;
    unsigned seed = 12345;
    vt_iface_caps_t caps;
    verve_status_t status;
    vt_memh_t *memh;
    vt_rkey_t *rkey;
    vt_iface_t *iface;
    vt_ep_t *ep;
    void *mem;
    vs_log_level_t saved_level = vs_log_level;

    (void)state;
    /* Thousands of rejections, each logged: keep the output readable. */
    vs_log_level = VS_LOG_FATAL;
    iface = shm_iface_open(PARENT_UID, child_noop_handler, NULL, -1);
    iface->ops->iface_query(iface, &caps);
    iface->ops->iface_address(iface, addr);
    assert_int_equal(comp->mem_alloc(4096, &mem, &memh), VERVE_OK);
    key_len = comp->rkey_packed_size(memh);
    comp->rkey_pack(memh, key);

    for (i = 0; i < key_len; ++i) {
        for (d = 0; d < sizeof(deltas); ++d) {
            memcpy(buf, key, key_len);
            buf[i] ^= deltas[d];
            rkey = NULL;
            status = comp->rkey_unpack(iface, buf, key_len, &rkey);
            assert_true(status == VERVE_OK ||
                        status == VERVE_ERR_INVALID_RKEY ||
                        status == VERVE_ERR_UNREACHABLE);
            if (status == VERVE_OK) {
                comp->rkey_release(rkey);
            } else {
                assert_null(rkey);
            }
        }
    }
    for (i = 0; i < caps.address_length; ++i) {
        for (d = 0; d < sizeof(deltas); ++d) {
            memcpy(buf, addr, caps.address_length);
            buf[i] ^= deltas[d];
            ep = NULL;
            (void)iface->ops->iface_is_reachable(iface, buf,
                                                 caps.address_length);
            status = iface->ops->ep_create(iface, buf, caps.address_length,
                                           &ep);
            assert_true(status == VERVE_OK ||
                        status == VERVE_ERR_INVALID_PARAM ||
                        status == VERVE_ERR_UNREACHABLE);
            if (status == VERVE_OK) {
                iface->ops->ep_destroy(ep);
            } else {
                assert_null(ep);
            }
        }
    }
    for (i = 0; i < 2000; ++i) {
        size_t len = (size_t)rand_r(&seed) % (key_len + 8);
        for (d = 0; d < len; ++d) {
            buf[d] = (uint8_t)rand_r(&seed);
        }
        rkey = NULL;
        status = comp->rkey_unpack(iface, buf, len, &rkey);
        assert_true(status == VERVE_ERR_INVALID_RKEY ||
                    status == VERVE_ERR_UNREACHABLE);
        ep = NULL;
        status = iface->ops->ep_create(iface, buf, len, &ep);
        assert_true(status == VERVE_ERR_INVALID_PARAM ||
                    status == VERVE_ERR_UNREACHABLE);
    }
    comp->mem_dereg(memh);
    iface->ops->iface_close(iface);
    vs_log_level = saved_level;
}

/* VERVE_SHM_CMA=n on one side: both ends of the pair lose zcopy (the
 * rendezvous then goes through the ring); keys of registered memory lose
 * VT_CAP_RMA only where the initiator has no CMA, keys of allocated
 * memory keep RMA and atomics (they are mapped). */
static void test_cma_refused(void **state)
{
    const vt_component_t *comp = &vt_shm_component;
    uint8_t key[256], alloc_key[256], buf[64];
    vt_completion_t done = {NULL, 1, VERVE_OK};
    vt_remote_buffer_t remote;
    size_t key_len, alloc_len;
    vt_memh_t *memh, *alloc_memh;
    vt_rkey_t *rkey;
    shm_peer_t peer;
    vt_iface_t *iface;
    vt_ep_t *ep;
    void *mem;

    (void)state;
    for (int parent_off = 0; parent_off <= 1; ++parent_off) {
        if (shm_fork(&peer)) {
            vt_iface_t *ciface;
            vt_ep_t *cep;
            uint8_t *plain = calloc(1, 4096);
            size_t n;

            if (!parent_off) {
                setenv("VERVE_SHM_CMA", "n", 1);
            }
            cep = child_setup(&peer, &ciface);
            CHILD_CHECK(cep->caps_off ==
                        (VT_CAP_GET_ZCOPY | VT_CAP_PUT_ZCOPY));
            CHILD_CHECK(plain != NULL);
            CHILD_CHECK(comp->mem_reg(plain, 4096, &memh) == VERVE_OK);
            n = comp->rkey_packed_size(memh);
            comp->rkey_pack(memh, key);
            shm_write_u64(&peer, n);
            shm_write_all(peer.wfd, key, n);
            shm_write_u64(&peer, (uintptr_t)plain);
            shm_read_u64(&peer);
            comp->mem_dereg(memh);
            child_teardown(ciface, cep, &peer);
        }
        if (parent_off) {
            setenv("VERVE_SHM_CMA", "n", 1);
        }
        iface = shm_iface_open(PARENT_UID, child_noop_handler, NULL, -1);
        unsetenv("VERVE_SHM_CMA");
        ep = shm_connect(iface, &peer);
        assert_int_equal(ep->caps_off, VT_CAP_GET_ZCOPY | VT_CAP_PUT_ZCOPY);
        key_len = shm_read_u64(&peer);
        assert_true(key_len <= sizeof(key));
        assert_int_equal(shm_read_all(peer.rfd, key, key_len), 0);
        remote.address = shm_read_u64(&peer);
        remote.length = sizeof(buf);
        remote.rkey = NULL;
        /* Not called by the engine on such an ep; refused, not EIO. */
        assert_int_equal(ep->iface->ops->ep_get_zcopy(ep, buf, sizeof(buf),
                                                      &remote, &done),
                         VERVE_ERR_UNSUPPORTED);
        assert_int_equal(comp->rkey_unpack(iface, key, key_len, &rkey),
                         VERVE_OK);
        assert_int_equal(rkey->flags, parent_off ? 0 : VT_CAP_RMA);
        comp->rkey_release(rkey);
        /* Allocated memory is mapped: native whatever CMA does. */
        assert_int_equal(comp->mem_alloc(4096, &mem, &alloc_memh), VERVE_OK);
        alloc_len = comp->rkey_packed_size(alloc_memh);
        comp->rkey_pack(alloc_memh, alloc_key);
        assert_int_equal(comp->rkey_unpack(iface, alloc_key, alloc_len,
                                           &rkey), VERVE_OK);
        assert_int_equal(rkey->flags,
                         VT_CAP_RMA | VT_CAP_AMO32 | VT_CAP_AMO64);
        comp->rkey_release(rkey);
        comp->mem_dereg(alloc_memh);
        shm_write_u64(&peer, 0);
        shm_write_u64(&peer, 0);
        assert_int_equal(shm_join(&peer), 0);
        iface->ops->ep_destroy(ep);
        iface->ops->iface_close(iface);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_zcopy),
        cmocka_unit_test(test_rma_atomics),
        cmocka_unit_test(test_invalid_rkey),
        cmocka_unit_test(test_stale_rkey),
        cmocka_unit_test(test_parsers_mutated),
        cmocka_unit_test(test_cma_refused),
    };

    return cmocka_run_group_tests_name("shm_rma", tests, NULL, NULL);
}
