/* Memory regions and remote keys. */
#ifndef VE_MEM_H
#define VE_MEM_H

#include "ve_types.h"

/* Finds the region a peer named by key id and checks that
 * [address, +length) lies inside it: VERVE_ERR_INVALID_RKEY for an unknown
 * key, VERVE_ERR_OUT_OF_RANGE outside. Used by emulated RMA targets. */
verve_status_t ve_mem_lookup(ve_context_t *context, uint64_t key_id,
                             uint64_t address, size_t length,
                             ve_mem_t **mem_p);

/* Checks an access against an unpacked key. */
static inline verve_status_t ve_rkey_check(const ve_rkey_t *rkey,
                                           uint64_t address, size_t length)
{
    if (address < rkey->base || length > rkey->length ||
        address - rkey->base > rkey->length - length) {
        return VERVE_ERR_OUT_OF_RANGE;
    }
    return VERVE_OK;
}

#endif
