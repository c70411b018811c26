/*
 * sshmem verve: allocates oshmem's symmetric heap with verve_mem_map
 * (VERVE_MEM_MAP_ALLOCATE) on spml verve's context, so that verve's shm
 * transport maps it in the peers on the node: puts and gets on the heap
 * are then copies into the peer's memory and atomics are CPU atomics,
 * instead of CMA system calls and atomics emulated through the target's
 * progress on memory oshmem allocated itself. Runs only over spml verve,
 * and is then preferred over mmap and sysv; spml verve's register()
 * recognises the region (spml_verve_t::allocs) and packs its key.
 *
 * verve chooses the address, so the heap need not sit at the same address
 * in every PE; spml verve translates addresses per PE and segment.
 */
#include "oshmem_config.h"

#include "oshmem/mca/sshmem/sshmem.h"
#include "oshmem/mca/sshmem/base/base.h"
#include "oshmem/mca/spml/base/base.h"
#include "oshmem/runtime/runtime.h"
#include "opal/util/output.h"

#include "spml_verve.h"

#define SSHMEM_VERVE_WHO "sshmem verve"
/* Above mmap's and sysv's: over spml verve, verve allocates the heap
 * unless told otherwise ("--mca sshmem mmap"). */
#define SSHMEM_VERVE_DEFAULT_PRIORITY 100

static int sshmem_verve_priority = SSHMEM_VERVE_DEFAULT_PRIORITY;

static spml_verve_t *sshmem_verve_spml(void)
{
    return (spml_verve_t *)mca_spml.self;
}

static int sshmem_verve_module_init(void)
{
    return OSHMEM_SUCCESS;
}

static int sshmem_verve_module_finalize(void)
{
    return OSHMEM_SUCCESS;
}

static spml_verve_alloc_t *sshmem_verve_slot(spml_verve_t *spml,
                                            uintptr_t base)
{
    int i;

    for (i = 0; i < MCA_MEMHEAP_MAX_SEGMENTS; i++) {
        if (spml->allocs[i].base == base) {
            return &spml->allocs[i];
        }
    }
    return NULL;
}

static int sshmem_verve_segment_create(map_segment_t *ds_buf,
                                       const char *file_name, size_t size,
                                       long hint)
{
    verve_mem_map_params_t params = {
        .field_mask = VERVE_MEM_MAP_PARAM_FIELD_LENGTH |
                      VERVE_MEM_MAP_PARAM_FIELD_FLAGS,
        .length = size,
        .flags = VERVE_MEM_MAP_ALLOCATE
    };
    spml_verve_t *spml = sshmem_verve_spml();
    spml_verve_alloc_t *slot;
    verve_status_t status;
    verve_mem_h memh;

    (void)file_name;
    shmem_ds_reset(ds_buf);
    slot = sshmem_verve_slot(spml, 0);
    if (slot == NULL) {
        opal_output(0, "%s: more than %d segments", SSHMEM_VERVE_WHO,
                    MCA_MEMHEAP_MAX_SEGMENTS);
        return OSHMEM_ERR_OUT_OF_RESOURCE;
    }
    status = verve_mem_map(spml->context, &params, &memh);
    if (status != VERVE_OK) {
        opal_output(0, "%s: verve_mem_map allocating %zu bytes failed: %s",
                    SSHMEM_VERVE_WHO, size, verve_status_string(status));
        return OSHMEM_ERR_OUT_OF_RESOURCE;
    }
    slot->base = (uintptr_t)verve_mem_address(memh);
    slot->length = size;
    slot->memh = memh;
    ds_buf->super.va_base = verve_mem_address(memh);
    ds_buf->super.va_end = (char *)ds_buf->super.va_base + size;
    ds_buf->seg_size = size;
    ds_buf->context = slot;
    /* No type of its own in 4.1's list; oshmem tells only STATIC apart. */
    ds_buf->type = MAP_SEGMENT_ALLOC_MMAP;
    ds_buf->alloc_hints = hint;
    opal_output_verbose(1, oshmem_sshmem_base_framework.framework_output,
                        "%s: heap of %zu bytes at %p", SSHMEM_VERVE_WHO,
                        size, ds_buf->super.va_base);
    return OSHMEM_SUCCESS;
}

/* Peers reach the segment through spml verve's keys, never by attaching
 * it (that is for keys of length 0, which spml verve never makes). */
static void *sshmem_verve_segment_attach(map_segment_t *ds_buf,
                                         sshmem_mkey_t *mkey)
{
    (void)ds_buf;
    (void)mkey;
    opal_output(0, "%s: a verve segment cannot be attached",
                SSHMEM_VERVE_WHO);
    oshmem_shmem_abort(-1);
    return NULL;
}

static int sshmem_verve_segment_detach(map_segment_t *ds_buf,
                                       sshmem_mkey_t *mkey)
{
    (void)mkey;
    shmem_ds_reset(ds_buf);
    return OSHMEM_SUCCESS;
}

static int sshmem_verve_unlink(map_segment_t *ds_buf)
{
    spml_verve_t *spml = sshmem_verve_spml();
    spml_verve_alloc_t *slot = ds_buf->context;

    if (slot != NULL) {
        if (spml != NULL && spml->context != NULL) {
            (void)verve_mem_unmap(spml->context, slot->memh);
        }
        memset(slot, 0, sizeof(*slot));
    }
    ds_buf->context = NULL;
    ds_buf->seg_id = MAP_SEGMENT_SHM_INVALID;
    MAP_SEGMENT_INVALIDATE(ds_buf);
    return OSHMEM_SUCCESS;
}

static mca_sshmem_base_module_t sshmem_verve_module = {
    .module_init = sshmem_verve_module_init,
    .segment_create = sshmem_verve_segment_create,
    .segment_attach = sshmem_verve_segment_attach,
    .segment_detach = sshmem_verve_segment_detach,
    .unlink = sshmem_verve_unlink,
    .module_finalize = sshmem_verve_module_finalize
};

static int sshmem_verve_register(void);
static int sshmem_verve_runtime_query(mca_base_module_t **module,
                                      int *priority, const char *hint);

OSHMEM_MODULE_DECLSPEC extern mca_sshmem_base_component_2_0_0_t
        mca_sshmem_verve_component;

mca_sshmem_base_component_2_0_0_t mca_sshmem_verve_component = {
    .base_version = {
        MCA_SSHMEM_BASE_VERSION_2_0_0,
        .mca_component_name = SPML_VERVE_NAME,
        MCA_BASE_MAKE_VERSION(component, VERVE_VERSION_MAJOR,
                              VERVE_VERSION_MINOR, 0),
        .mca_register_component_params = sshmem_verve_register,
    },
    .base_data = {
        MCA_BASE_METADATA_PARAM_NONE
    },
    .runtime_query = sshmem_verve_runtime_query
};

static int sshmem_verve_register(void)
{
    sshmem_verve_priority = SSHMEM_VERVE_DEFAULT_PRIORITY;
    (void)mca_base_component_var_register(
            &mca_sshmem_verve_component.base_version, "priority",
            "Priority of sshmem verve (only over spml verve; above mmap "
            "and sysv, so that verve allocates the heap)",
            MCA_BASE_VAR_TYPE_INT, NULL, 0, 0, OPAL_INFO_LVL_3,
            MCA_BASE_VAR_SCOPE_READONLY, &sshmem_verve_priority);
    return OSHMEM_SUCCESS;
}

/* spml verve is selected before sshmem, so its context exists here. */
static int sshmem_verve_runtime_query(mca_base_module_t **module,
                                      int *priority, const char *hint)
{
    const char *spml_name =
            mca_spml_base_selected_component.spmlm_version.mca_component_name;

    (void)hint;
    *module = NULL;
    if (strcmp(spml_name, SPML_VERVE_NAME) != 0 ||
        sshmem_verve_spml() == NULL ||
        sshmem_verve_spml()->context == NULL) {
        return OSHMEM_ERR_NOT_AVAILABLE;
    }
    *priority = sshmem_verve_priority;
    *module = (mca_base_module_t *)&sshmem_verve_module;
    return OSHMEM_SUCCESS;
}
