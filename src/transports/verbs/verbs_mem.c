/* Verbs memory registration and remote keys, shared by rc and ud. */
#include "verbs.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/base/log.h"

#define VT_VERBS_RKEY_MAGIC 0x6b726276u    /* "vbrk" */

struct vt_memh {
    struct ibv_mr *mr;
    vt_verbs_dev_t *dev;
};

/* Little-endian fixed layout: keys cross hosts. */
typedef struct vt_verbs_rkey_packed {
    uint32_t magic;
    uint32_t rkey;
} vt_verbs_rkey_packed_t;

verve_status_t vt_verbs_mem_reg(void *address, size_t length,
                                vt_memh_t **memh_p)
{
    verve_status_t status;
    vt_verbs_dev_t *dev;
    vt_memh_t *memh;

    status = vt_verbs_dev_get(&dev);
    if (status != VERVE_OK) {
        return status;
    }
    memh = calloc(1, sizeof(*memh));
    if (memh == NULL) {
        status = VERVE_ERR_NO_MEMORY;
        goto err_put;
    }
    memh->mr = ibv_reg_mr(dev->pd, address, length,
                          IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
                          IBV_ACCESS_REMOTE_READ |
                          IBV_ACCESS_REMOTE_ATOMIC);
    if (memh->mr == NULL) {
        vs_error("verbs: ibv_reg_mr of [%p, +%zu) on %s failed: %s", address,
                 length, dev->port.dev_name, strerror(errno));
        status = errno == ENOMEM ? VERVE_ERR_NO_MEMORY : VERVE_ERR_IO;
        goto err_free;
    }
    memh->dev = dev;
    *memh_p = memh;
    return VERVE_OK;

err_free:
    free(memh);
err_put:
    vt_verbs_dev_put(dev);
    return status;
}

void vt_verbs_mem_dereg(vt_memh_t *memh)
{
    if (ibv_dereg_mr(memh->mr) != 0) {
        vs_warn("verbs: ibv_dereg_mr of rkey 0x%x failed: %s",
                memh->mr->rkey, strerror(errno));
    }
    vt_verbs_dev_put(memh->dev);
    free(memh);
}

size_t vt_verbs_rkey_packed_size(vt_memh_t *memh)
{
    (void)memh;
    return sizeof(vt_verbs_rkey_packed_t);
}

void vt_verbs_rkey_pack(vt_memh_t *memh, void *buffer)
{
    vt_verbs_rkey_packed_t packed;

    packed.magic = htole32(VT_VERBS_RKEY_MAGIC);
    packed.rkey = htole32(memh->mr->rkey);
    memcpy(buffer, &packed, sizeof(packed));
}

verve_status_t vt_verbs_rkey_parse(const void *buffer, size_t length,
                                   uint32_t flags, vt_rkey_t **rkey_p)
{
    vt_verbs_rkey_packed_t packed;
    vt_verbs_rkey_t *rkey;

    if (length != sizeof(packed)) {
        return VERVE_ERR_INVALID_RKEY;
    }
    memcpy(&packed, buffer, sizeof(packed));
    if (le32toh(packed.magic) != VT_VERBS_RKEY_MAGIC) {
        return VERVE_ERR_INVALID_RKEY;
    }
    rkey = calloc(1, sizeof(*rkey));
    if (rkey == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    rkey->super.flags = flags;
    rkey->rkey = le32toh(packed.rkey);
    *rkey_p = &rkey->super;
    return VERVE_OK;
}

void vt_verbs_rkey_release(vt_rkey_t *rkey)
{
    free(vs_container_of(rkey, vt_verbs_rkey_t, super));
}
