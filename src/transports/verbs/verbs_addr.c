/* Interface addresses of the verbs transports (see vt_verbs_addr_t). */
#include "verbs.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <time.h>

void vt_verbs_addr_pack(const vt_verbs_dev_t *dev, uint32_t magic,
                        uint32_t qpn, uint64_t uid, void *address)
{
    const vt_verbs_port_t *port = &dev->port;
    vt_verbs_addr_t addr;

    memset(&addr, 0, sizeof(addr));
    addr.magic = htole32(magic);
    addr.link_layer = port->link_layer;
    addr.mtu = port->active_mtu;
    addr.lid = htole16(port->lid);
    addr.qpn = htole32(qpn);
    memcpy(addr.gid, port->gid.raw, sizeof(addr.gid));
    addr.uid = htole64(uid);
    memcpy(address, &addr, sizeof(addr));
}

int vt_verbs_addr_parse(const void *address, size_t length, uint32_t magic,
                        vt_verbs_addr_t *addr)
{
    if (length != sizeof(*addr)) {
        return 0;
    }
    memcpy(addr, address, sizeof(*addr));
    addr->magic = le32toh(addr->magic);
    addr->lid = le16toh(addr->lid);
    addr->qpn = le32toh(addr->qpn);
    addr->uid = le64toh(addr->uid);
    /* QP numbers have 24 bits and 0 is never a peer's */
    return addr->magic == magic &&
           (addr->link_layer == VT_VERBS_LL_IB ||
            addr->link_layer == VT_VERBS_LL_ETH) &&
           vt_verbs_mtu_bytes(addr->mtu) != 0 && addr->qpn != 0 &&
           addr->qpn < (1u << 24);
}

int vt_verbs_addr_reachable(const vt_verbs_dev_t *dev, uint32_t magic,
                            const void *address, size_t length)
{
    vt_verbs_addr_t addr;

    return vt_verbs_addr_parse(address, length, magic, &addr) &&
           addr.link_layer == dev->port.link_layer;
}

struct ibv_ah *vt_verbs_ah_create(struct ibv_pd *pd, struct ibv_ah_attr *attr)
{
    long wait_ms = 100;
    struct ibv_ah *ah;

    /* Each try waits up to the kernel's own resolution timeout; the back-off
     * between tries lets a lost request be answered by the next. */
    for (int attempt = 0;; ++attempt) {
        ah = ibv_create_ah(pd, attr);
        if (ah != NULL || errno != ETIMEDOUT || attempt == 4) {
            return ah;
        }
        struct timespec pause = {0, wait_ms * 1000000L};
        nanosleep(&pause, NULL);
        wait_ms *= 2;
        errno = ETIMEDOUT;
    }
}
