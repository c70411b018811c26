/*
 * Memory regions. A region is registered with every transport that can
 * reach memory; its packed key carries a common part (base, length, a
 * random key id for emulation) and one part per transport. Packed keys
 * come from peers: unpacking checks every length and a checksum.
 */
#include <stdlib.h>
#include <string.h>
#include "ve_ep.h"
#include "ve_mem.h"
#include "ve_worker.h"
#include "core/base/log.h"

#define VE_RKEY_MAGIC 0x4b565256u /* "VRVK" */
#define VE_RKEY_VERSION 1

typedef struct ve_rkey_header {
    uint32_t magic;
    uint16_t version;
    uint16_t num_parts;
    uint64_t base;
    uint64_t length;
    uint64_t key_id;
} ve_rkey_header_t;

typedef struct ve_rkey_part {
    uint8_t component_id;
    uint8_t reserved;
    uint16_t length;
} ve_rkey_part_t;

static uint32_t ve_rkey_checksum(const uint8_t *p, size_t length)
{
    uint32_t hash = 2166136261u; /* FNV-1a */
    while (length-- > 0) {
        hash = (hash ^ *p++) * 16777619u;
    }
    return hash;
}

static verve_status_t ve_mem_allocate(ve_context_t *context, ve_mem_t *mem)
{
    unsigned i;
    for (i = 0; i < context->num_components; ++i) {
        const vt_component_t *component = context->components[i];
        if (component->mem_alloc != NULL &&
            component->mem_alloc(mem->length, &mem->address,
                                 &mem->memh[i]) == VERVE_OK) {
            mem->alloc_component = component;
            return VERVE_OK;
        }
    }
    if (posix_memalign(&mem->address, 4096, mem->length) != 0) {
        return VERVE_ERR_NO_MEMORY;
    }
    mem->allocated = 1;
    return VERVE_OK;
}

static void ve_mem_release(ve_context_t *context, ve_mem_t *mem)
{
    unsigned i;
    for (i = 0; i < context->num_components; ++i) {
        if (mem->memh[i] != NULL) {
            context->components[i]->mem_dereg(mem->memh[i]);
        }
    }
    if (mem->allocated) {
        free(mem->address);
    }
    free(mem);
}

VERVE_API verve_status_t verve_mem_map(verve_context_h context,
        const verve_mem_map_params_t *params, verve_mem_h *memh_p)
{
    uint32_t flags = 0;
    verve_status_t status;
    ve_mem_t *mem;
    unsigned i;

    /* Each missing argument named: one message for all of them sent
     * users hunting a length they had set. */
    if (context == NULL || params == NULL || memh_p == NULL) {
        vs_error("verve_mem_map: %s is NULL",
                 context == NULL ? "the context"
                 : params == NULL ? "params" : "memh_p (the output handle)");
        return VERVE_ERR_INVALID_PARAM;
    }
    if (!(params->field_mask & VERVE_MEM_MAP_PARAM_FIELD_LENGTH) ||
        params->length == 0) {
        vs_error("verve_mem_map: a non-zero length is required (%s)",
                 (params->field_mask & VERVE_MEM_MAP_PARAM_FIELD_LENGTH)
                 ? "length is 0"
                 : "VERVE_MEM_MAP_PARAM_FIELD_LENGTH is not in field_mask");
        return VERVE_ERR_INVALID_PARAM;
    }
    if (params->field_mask & VERVE_MEM_MAP_PARAM_FIELD_FLAGS) {
        flags = params->flags;
    }
    if (!(flags & VERVE_MEM_MAP_ALLOCATE) &&
        (!(params->field_mask & VERVE_MEM_MAP_PARAM_FIELD_ADDRESS) ||
         params->address == NULL)) {
        vs_error("verve_mem_map: an address is required without "
                 "VERVE_MEM_MAP_ALLOCATE");
        return VERVE_ERR_INVALID_PARAM;
    }
    mem = calloc(1, sizeof(*mem));
    if (mem == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    mem->context = context;
    mem->length = params->length;
    if (flags & VERVE_MEM_MAP_ALLOCATE) {
        status = ve_mem_allocate(context, mem);
        if (status != VERVE_OK) {
            vs_error("verve_mem_map: cannot allocate %zu bytes",
                     params->length);
            goto err_free;
        }
    } else {
        mem->address = params->address;
    }
    for (i = 0; i < context->num_components; ++i) {
        const vt_component_t *component = context->components[i];
        if (mem->memh[i] != NULL || component->mem_reg == NULL) {
            continue;
        }
        status = component->mem_reg(mem->address, mem->length,
                                    &mem->memh[i]);
        if (status != VERVE_OK) {
            /* Peers on this transport fall back to emulation. */
            vs_debug("%s: registration of %zu bytes failed: %s",
                     component->name, mem->length,
                     verve_status_string(status));
            mem->memh[i] = NULL;
        }
    }
    mem->key_id = ve_random_id();
    pthread_mutex_lock(&context->lock);
    status = vs_hash_put(&context->mem_by_key, mem->key_id, mem);
    pthread_mutex_unlock(&context->lock);
    if (status != VERVE_OK) {
        goto err_release;
    }
    *memh_p = mem;
    return VERVE_OK;

err_release:
    ve_mem_release(context, mem);
    return status;
err_free:
    free(mem);
    return status;
}

VERVE_API verve_status_t verve_mem_unmap(verve_context_h context,
                                         verve_mem_h memh)
{
    if (context == NULL || memh == NULL || memh->context != context) {
        return VERVE_ERR_INVALID_PARAM;
    }
    pthread_mutex_lock(&context->lock);
    vs_hash_del(&context->mem_by_key, memh->key_id);
    pthread_mutex_unlock(&context->lock);
    ve_mem_release(context, memh);
    return VERVE_OK;
}

VERVE_API void *verve_mem_address(verve_mem_h memh)
{
    return memh->address;
}

VERVE_API size_t verve_mem_length(verve_mem_h memh)
{
    return memh->length;
}

verve_status_t ve_mem_lookup(ve_context_t *context, uint64_t key_id,
                             uint64_t address, size_t length,
                             ve_mem_t **mem_p)
{
    ve_mem_t *mem;
    uint64_t base;

    pthread_mutex_lock(&context->lock);
    mem = vs_hash_get(&context->mem_by_key, key_id);
    pthread_mutex_unlock(&context->lock);
    if (mem == NULL) {
        return VERVE_ERR_INVALID_RKEY;
    }
    base = (uint64_t)(uintptr_t)mem->address;
    if (address < base || length > mem->length ||
        address - base > mem->length - length) {
        return VERVE_ERR_OUT_OF_RANGE;
    }
    *mem_p = mem;
    return VERVE_OK;
}

VERVE_API verve_status_t verve_rkey_pack(verve_context_h context,
        verve_mem_h memh, void **rkey_buffer_p, size_t *length_p)
{
    ve_rkey_header_t header = {VE_RKEY_MAGIC, VE_RKEY_VERSION, 0,
                               (uint64_t)(uintptr_t)memh->address,
                               memh->length, memh->key_id};
    size_t length = sizeof(header) + sizeof(uint32_t);
    uint8_t *buffer, *p;
    uint32_t checksum;
    unsigned i;

    for (i = 0; i < context->num_components; ++i) {
        if (memh->memh[i] != NULL) {
            length += sizeof(ve_rkey_part_t) +
                      context->components[i]->rkey_packed_size(memh->memh[i]);
            ++header.num_parts;
        }
    }
    buffer = malloc(length);
    if (buffer == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    memcpy(buffer, &header, sizeof(header));
    p = buffer + sizeof(header);
    for (i = 0; i < context->num_components; ++i) {
        const vt_component_t *component = context->components[i];
        ve_rkey_part_t part;
        if (memh->memh[i] == NULL) {
            continue;
        }
        part.component_id = component->id;
        part.reserved = 0;
        part.length = (uint16_t)component->rkey_packed_size(memh->memh[i]);
        memcpy(p, &part, sizeof(part));
        p += sizeof(part);
        component->rkey_pack(memh->memh[i], p);
        p += part.length;
    }
    checksum = ve_rkey_checksum(buffer, length - sizeof(checksum));
    memcpy(p, &checksum, sizeof(checksum));
    *rkey_buffer_p = buffer;
    *length_p = length;
    return VERVE_OK;
}

VERVE_API void verve_rkey_buffer_release(void *rkey_buffer)
{
    free(rkey_buffer);
}

VERVE_API verve_status_t verve_rkey_unpack(verve_ep_h ep,
        const void *rkey_buffer, size_t length, verve_rkey_h *rkey_p)
{
    const uint8_t *p = rkey_buffer, *end;
    const vt_component_t *component;
    ve_rkey_header_t header;
    uint32_t checksum;
    ve_rkey_t *rkey;
    unsigned i;

    if (ep == NULL || rkey_buffer == NULL || rkey_p == NULL ||
        length < sizeof(header) + sizeof(checksum)) {
        goto err_invalid;
    }
    end = p + length - sizeof(checksum);
    memcpy(&checksum, end, sizeof(checksum));
    memcpy(&header, p, sizeof(header));
    if (header.magic != VE_RKEY_MAGIC || header.version != VE_RKEY_VERSION ||
        checksum != ve_rkey_checksum(p, length - sizeof(checksum)) ||
        header.base + header.length < header.base) {
        goto err_invalid;
    }
    rkey = calloc(1, sizeof(*rkey));
    if (rkey == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    rkey->ep = ep;
    rkey->base = header.base;
    rkey->length = header.length;
    rkey->key_id = header.key_id;
    component = ep->lane->component;
    rkey->component = component;
    p += sizeof(header);
    for (i = 0; i < header.num_parts; ++i) {
        ve_rkey_part_t part;
        verve_status_t status;
        if ((size_t)(end - p) < sizeof(part)) {
            goto err_free;
        }
        memcpy(&part, p, sizeof(part));
        p += sizeof(part);
        if ((size_t)(end - p) < part.length) {
            goto err_free;
        }
        if (part.component_id != component->id) {
            if (ve_ep_amo_unpack(rkey, part.component_id, p,
                                 part.length) != VERVE_OK) {
                goto err_free;
            }
        } else if (rkey->vt_rkey == NULL) {
            status = component->rkey_unpack(ep->lane->iface, p, part.length,
                                            &rkey->vt_rkey);
            if (status == VERVE_OK) {
                rkey->caps = ep->worker->context->config.rma_native
                                     ? rkey->vt_rkey->flags : 0;
            } else if (status == VERVE_ERR_INVALID_RKEY) {
                goto err_free;
            } else {
                /* Not reachable natively: emulated over AM. */
                rkey->vt_rkey = NULL;
            }
        }
        p += part.length;
    }
    if (p != end) {
        goto err_free;
    }
    ve_ep_amo_default(rkey);
    *rkey_p = rkey;
    return VERVE_OK;

err_free:
    verve_rkey_destroy(rkey);
err_invalid:
    vs_error("verve_rkey_unpack: %zu bytes are not a packed remote key",
             length);
    return VERVE_ERR_INVALID_RKEY;
}

VERVE_API void verve_rkey_destroy(verve_rkey_h rkey)
{
    if (rkey == NULL) {
        return;
    }
    if (rkey->vt_rkey != NULL) {
        rkey->component->rkey_release(rkey->vt_rkey);
    }
    if (rkey->amo_component != NULL) {
        rkey->amo_component->rkey_release(rkey->amo_vt_rkey);
    }
    free(rkey);
}
