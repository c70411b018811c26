/*
 * The device-independent parts of the verbs common layer and of rc: GID
 * choice, VERVE_NET_DEVICES matching, MTU values, which devices make idle
 * progress yield (VERVE_VERBS_IDLE_YIELD), work-completion status
 * mapping, and the parsers of bytes that come from peers (packed keys, rc
 * addresses).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <endian.h>
#include <string.h>
#include "transports/verbs/rc.h"
#include "transports/verbs/ud.h"

static void gid_set(union ibv_gid *gid, const char *kind, uint8_t last)
{
    memset(gid, 0, sizeof(*gid));
    if (strcmp(kind, "ipv4") == 0) {
        gid->raw[10] = 0xff;
        gid->raw[11] = 0xff;
        gid->raw[12] = 10;
        gid->raw[15] = last;
    } else {
        gid->raw[0] = 0xfe;
        gid->raw[1] = 0x80;
        gid->raw[15] = last;
    }
}

static void test_gid_prefers_ipv4_here(void **state)
{
    union ibv_gid gids[4];
    int types[4] = {1, 1, 0, 1};
    int here[4] = {1, 1, 1, 0};

    (void)state;
    gid_set(&gids[0], "ll", 1);
    gid_set(&gids[1], "ipv4", 1);
    gid_set(&gids[2], "ipv4", 2);     /* RoCE v1: never */
    gid_set(&gids[3], "ipv4", 3);     /* netdev elsewhere */
    assert_int_equal(vt_verbs_gid_choose(gids, types, here, 4, 0), 1);
    /* Another namespace's netdev loses to any of ours... */
    here[1] = 0;
    assert_int_equal(vt_verbs_gid_choose(gids, types, here, 4, 0), 0);
    /* ...and is taken only when allowed and nothing here fits. */
    here[0] = 0;
    assert_int_equal(vt_verbs_gid_choose(gids, types, here, 4, 0), -1);
    assert_int_equal(vt_verbs_gid_choose(gids, types, here, 4, 1), 1);
}

static void test_gid_none(void **state)
{
    union ibv_gid gids[2];
    int types[2] = {0, 0};
    int here[2] = {1, 1};

    (void)state;
    gid_set(&gids[0], "ll", 1);
    gid_set(&gids[1], "ipv4", 1);
    assert_int_equal(vt_verbs_gid_choose(gids, types, here, 2, 1), -1);
    assert_int_equal(vt_verbs_gid_choose(gids, types, here, 0, 1), -1);
}

static void test_port_selected(void **state)
{
    (void)state;
    assert_true(vt_verbs_port_selected("auto", "rxe0", 1));
    assert_true(vt_verbs_port_selected("", "rxe0", 1));
    assert_true(vt_verbs_port_selected(NULL, "rxe0", 1));
    assert_true(vt_verbs_port_selected("rxe0:1", "rxe0", 1));
    assert_false(vt_verbs_port_selected("rxe0:1", "rxe0", 2));
    assert_false(vt_verbs_port_selected("rxe0:1", "rxe1", 1));
    /* A prefix is not a match. */
    assert_false(vt_verbs_port_selected("rxe1:1", "rxe10", 1));
    assert_false(vt_verbs_port_selected("rxe1", "rxe10", 1));
    assert_true(vt_verbs_port_selected("mlx5_0:1,rxe1:1", "rxe1", 1));
    assert_true(vt_verbs_port_selected("mlx5_0,rxe1", "mlx5_0", 2));
    assert_false(vt_verbs_port_selected("mlx5_0:1,,rxe1:1", "rxe0", 1));
}

static void test_mtu_bytes(void **state)
{
    (void)state;
    assert_int_equal(vt_verbs_mtu_bytes(IBV_MTU_256), 256);
    assert_int_equal(vt_verbs_mtu_bytes(IBV_MTU_1024), 1024);
    assert_int_equal(vt_verbs_mtu_bytes(IBV_MTU_4096), 4096);
    assert_int_equal(vt_verbs_mtu_bytes(0), 0);
    assert_int_equal(vt_verbs_mtu_bytes(6), 0);
}

static void test_idle_yield(void **state)
{
    (void)state;
    /* SoftRoCE and siw run on the host's CPUs; an HCA's id does not. */
    assert_true(vt_verbs_vendor_is_soft(0xffffff));
    assert_true(vt_verbs_vendor_is_soft(0x626d74));
    assert_false(vt_verbs_vendor_is_soft(0x02c9));   /* Mellanox */
    assert_false(vt_verbs_vendor_is_soft(0));
    assert_true(vt_verbs_idle_yield(VT_VERBS_YIELD_AUTO, 1));
    assert_false(vt_verbs_idle_yield(VT_VERBS_YIELD_AUTO, 0));
    assert_true(vt_verbs_idle_yield(VT_VERBS_YIELD_YES, 0));
    assert_false(vt_verbs_idle_yield(VT_VERBS_YIELD_NO, 1));
}

static void test_wc_status(void **state)
{
    (void)state;
    assert_int_equal(vt_verbs_wc_status(IBV_WC_SUCCESS), VERVE_OK);
    assert_int_equal(vt_verbs_wc_status(IBV_WC_REM_ACCESS_ERR),
                     VERVE_ERR_INVALID_RKEY);
    assert_int_equal(vt_verbs_wc_status(IBV_WC_RETRY_EXC_ERR),
                     VERVE_ERR_PEER_FAILED);
    assert_int_equal(vt_verbs_wc_status(IBV_WC_WR_FLUSH_ERR),
                     VERVE_ERR_CANCELED);
    assert_int_equal(vt_verbs_wc_status(IBV_WC_GENERAL_ERR), VERVE_ERR_IO);
}

static void test_rkey_parse(void **state)
{
    uint32_t packed[2] = {htole32(0x6b726276u), htole32(0x1234abcd)};
    uint8_t bytes[sizeof(packed) + 1];
    vt_rkey_t *rkey = NULL;

    (void)state;
    assert_int_equal(vt_verbs_rkey_parse(packed, sizeof(packed),
                                         VT_CAP_RMA, &rkey), VERVE_OK);
    assert_int_equal(rkey->flags, VT_CAP_RMA);
    assert_int_equal(vs_container_of(rkey, vt_verbs_rkey_t, super)->rkey,
                     0x1234abcd);
    vt_verbs_rkey_release(rkey);
    /* Wrong length, wrong magic: refused, nothing allocated. */
    memcpy(bytes, packed, sizeof(packed));
    rkey = NULL;
    assert_int_equal(vt_verbs_rkey_parse(bytes, sizeof(bytes), 0, &rkey),
                     VERVE_ERR_INVALID_RKEY);
    assert_int_equal(vt_verbs_rkey_parse(bytes, 4, 0, &rkey),
                     VERVE_ERR_INVALID_RKEY);
    packed[0] ^= 1;
    assert_int_equal(vt_verbs_rkey_parse(packed, sizeof(packed), 0, &rkey),
                     VERVE_ERR_INVALID_RKEY);
    assert_null(rkey);
}

static void addr_fill(vt_verbs_addr_t *addr)
{
    memset(addr, 0, sizeof(*addr));
    addr->magic = htole32(VT_RC_ADDR_MAGIC);
    addr->link_layer = VT_VERBS_LL_ETH;
    addr->mtu = IBV_MTU_1024;
    addr->qpn = htole32(0x11);
    addr->uid = htole64(0x1122334455667788ull);
}

static int rc_parse(const vt_verbs_addr_t *addr, size_t length,
                    vt_verbs_addr_t *out)
{
    return vt_verbs_addr_parse(addr, length, VT_RC_ADDR_MAGIC, out);
}

static void test_rc_addr_parse(void **state)
{
    vt_verbs_addr_t addr, out;

    (void)state;
    addr_fill(&addr);
    assert_true(rc_parse(&addr, sizeof(addr), &out));
    assert_int_equal(out.qpn, 0x11);
    assert_int_equal(out.uid, 0x1122334455667788ull);
    assert_false(rc_parse(&addr, sizeof(addr) - 1, &out));
    /* an rc address is not a ud one */
    assert_false(vt_verbs_addr_parse(&addr, sizeof(addr), VT_UD_ADDR_MAGIC,
                                     &out));
    addr.magic ^= 1;
    assert_false(rc_parse(&addr, sizeof(addr), &out));
    addr_fill(&addr);
    addr.link_layer = 3;
    assert_false(rc_parse(&addr, sizeof(addr), &out));
    addr_fill(&addr);
    addr.mtu = 9;
    assert_false(rc_parse(&addr, sizeof(addr), &out));
    addr_fill(&addr);
    addr.qpn = htole32(1u << 24);     /* QPNs have 24 bits */
    assert_false(rc_parse(&addr, sizeof(addr), &out));
    addr.qpn = 0;
    assert_false(rc_parse(&addr, sizeof(addr), &out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gid_prefers_ipv4_here),
        cmocka_unit_test(test_gid_none),
        cmocka_unit_test(test_port_selected),
        cmocka_unit_test(test_mtu_bytes),
        cmocka_unit_test(test_idle_yield),
        cmocka_unit_test(test_wc_status),
        cmocka_unit_test(test_rkey_parse),
        cmocka_unit_test(test_rc_addr_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
