/* Verbs memory registration and remote keys, shared by rc and ud. */
#include "verbs.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "core/base/log.h"

#define VT_VERBS_RKEY_MAGIC 0x6b726276u    /* "vbrk" */

/* A registration of its own (mem_reg: verve_mem_map, whose key must die
 * with verve_mem_unmap), or one found in the cache (mem_reg_cached:
 * rendezvous buffers). */
struct vt_memh {
    vt_verbs_reg_t reg;
};

/* Little-endian fixed layout: keys cross hosts. */
typedef struct vt_verbs_rkey_packed {
    uint32_t magic;
    uint32_t rkey;
} vt_verbs_rkey_packed_t;

static verve_status_t vt_verbs_mem_reg_flags(void *address, size_t length,
                                             unsigned flags,
                                             vt_memh_t **memh_p)
{
    verve_status_t status;
    vt_memh_t *memh;

    memh = calloc(1, sizeof(*memh));
    if (memh == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    status = vt_verbs_reg_get(address, length, flags, &memh->reg);
    if (status != VERVE_OK) {
        free(memh);
        return status;
    }
    *memh_p = memh;
    return VERVE_OK;
}

verve_status_t vt_verbs_mem_reg(void *address, size_t length,
                                vt_memh_t **memh_p)
{
    return vt_verbs_mem_reg_flags(address, length,
                                  VT_VERBS_REG_REMOTE | VT_VERBS_REG_OWN,
                                  memh_p);
}

verve_status_t vt_verbs_mem_reg_cached(void *address, size_t length,
                                       vt_memh_t **memh_p)
{
    return vt_verbs_mem_reg_flags(address, length, VT_VERBS_REG_REMOTE,
                                  memh_p);
}

void vt_verbs_mem_dereg(vt_memh_t *memh)
{
    vt_verbs_reg_put(&memh->reg);
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
    packed.rkey = htole32(memh->reg.rkey);
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
