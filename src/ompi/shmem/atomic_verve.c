/*
 * atomic verve: OpenSHMEM's atomics (Open MPI 4.1's atomic framework) on
 * verve_atomic_nbx(), over spml verve's endpoints and keys. verve has
 * add, fetch-add, swap and compare-swap; and, or and xor (fetching or
 * not) are compare-swap loops: read the old value, swap in (old op
 * value) if it is still old, retry with what was found otherwise.
 */
#include "oshmem_config.h"

#include "oshmem/mca/atomic/atomic.h"
#include "oshmem/mca/atomic/base/base.h"
#include "oshmem/mca/spml/base/base.h"
#include "opal/util/output.h"

#include "spml_verve.h"

#define ATOMIC_VERVE_WHO "atomic verve"
/* Below ucx's and basic's: atomic verve runs when named. */
#define ATOMIC_VERVE_DEFAULT_PRIORITY 5

typedef enum atomic_verve_bitop {
    ATOMIC_VERVE_AND,
    ATOMIC_VERVE_OR,
    ATOMIC_VERVE_XOR
} atomic_verve_bitop_t;

static int atomic_verve_priority = ATOMIC_VERVE_DEFAULT_PRIORITY;

static int atomic_verve_op(shmem_ctx_t ctx, verve_atomic_op_t op,
                           void *target, void *result, uint64_t value,
                           uint64_t compare, size_t size, int pe)
{
    spml_verve_t *spml = SPML_VERVE_STATE(ctx);
    verve_request_h request = NULL;
    verve_status_t status;
    verve_rkey_h rkey;
    uint64_t rva;

    rkey = spml_verve_rkey(spml, pe, target, &rva);
    if (OPAL_UNLIKELY(rkey == NULL)) {
        opal_output(0, "%s: %p is in no symmetric segment of PE %d",
                    ATOMIC_VERVE_WHO, target, pe);
        return OSHMEM_ERR_BAD_PARAM;
    }
    status = verve_atomic_nbx(spml->peers[pe].ep, op, value, compare, result,
                              size, rva, rkey, NULL, &request);
    if (OPAL_UNLIKELY(status != VERVE_OK && status != VERVE_INPROGRESS)) {
        opal_output(0, "%s: verve_atomic_nbx (op %d, %zu bytes) on PE %d "
                    "failed: %s", ATOMIC_VERVE_WHO, (int)op, size, pe,
                    verve_status_string(status));
        return OSHMEM_ERROR;
    }
    return spml_verve_complete(spml, status, request);
}

static uint64_t atomic_verve_apply(atomic_verve_bitop_t bitop, uint64_t old,
                                   uint64_t value)
{
    switch (bitop) {
    case ATOMIC_VERVE_AND:
        return old & value;
    case ATOMIC_VERVE_OR:
        return old | value;
    default:
        return old ^ value;
    }
}

/* The old value as an op_size integer read from where verve wrote it. */
static uint64_t atomic_verve_load(const void *result, size_t size)
{
    return (size == 4) ? *(const uint32_t *)result
                       : *(const uint64_t *)result;
}

static int atomic_verve_bitwise(shmem_ctx_t ctx, atomic_verve_bitop_t bitop,
                                void *target, void *prev, uint64_t value,
                                size_t size, int pe)
{
    uint64_t old_buffer = 0, found_buffer = 0;
    uint64_t old, mask = (size == 4) ? UINT32_MAX : UINT64_MAX;
    int rc;

    /* Fetch-add of 0: an atomic read through the same path as the swap
     * (a plain get may not be atomic with verve's emulated atomics). */
    rc = atomic_verve_op(ctx, VERVE_ATOMIC_FADD, target, &old_buffer, 0, 0,
                         size, pe);
    if (rc != OSHMEM_SUCCESS) {
        return rc;
    }
    old = atomic_verve_load(&old_buffer, size);
    for (;;) {
        uint64_t desired = atomic_verve_apply(bitop, old, value) & mask;

        rc = atomic_verve_op(ctx, VERVE_ATOMIC_CSWAP, target, &found_buffer,
                             desired, old, size, pe);
        if (rc != OSHMEM_SUCCESS) {
            return rc;
        }
        if (atomic_verve_load(&found_buffer, size) == old) {
            break;
        }
        old = atomic_verve_load(&found_buffer, size);
    }
    if (prev != NULL) {
        memcpy(prev, &found_buffer, size);
    }
    return OSHMEM_SUCCESS;
}

static int atomic_verve_add(shmem_ctx_t ctx, void *target, uint64_t value,
                            size_t size, int pe)
{
    return atomic_verve_op(ctx, VERVE_ATOMIC_ADD, target, NULL, value, 0,
                           size, pe);
}

static int atomic_verve_and(shmem_ctx_t ctx, void *target, uint64_t value,
                            size_t size, int pe)
{
    return atomic_verve_bitwise(ctx, ATOMIC_VERVE_AND, target, NULL, value,
                                size, pe);
}

static int atomic_verve_or(shmem_ctx_t ctx, void *target, uint64_t value,
                           size_t size, int pe)
{
    return atomic_verve_bitwise(ctx, ATOMIC_VERVE_OR, target, NULL, value,
                                size, pe);
}

static int atomic_verve_xor(shmem_ctx_t ctx, void *target, uint64_t value,
                            size_t size, int pe)
{
    return atomic_verve_bitwise(ctx, ATOMIC_VERVE_XOR, target, NULL, value,
                                size, pe);
}

static int atomic_verve_fadd(shmem_ctx_t ctx, void *target, void *prev,
                             uint64_t value, size_t size, int pe)
{
    return atomic_verve_op(ctx, VERVE_ATOMIC_FADD, target, prev, value, 0,
                           size, pe);
}

static int atomic_verve_fand(shmem_ctx_t ctx, void *target, void *prev,
                             uint64_t value, size_t size, int pe)
{
    return atomic_verve_bitwise(ctx, ATOMIC_VERVE_AND, target, prev, value,
                                size, pe);
}

static int atomic_verve_for(shmem_ctx_t ctx, void *target, void *prev,
                            uint64_t value, size_t size, int pe)
{
    return atomic_verve_bitwise(ctx, ATOMIC_VERVE_OR, target, prev, value,
                                size, pe);
}

static int atomic_verve_fxor(shmem_ctx_t ctx, void *target, void *prev,
                             uint64_t value, size_t size, int pe)
{
    return atomic_verve_bitwise(ctx, ATOMIC_VERVE_XOR, target, prev, value,
                                size, pe);
}

static int atomic_verve_swap(shmem_ctx_t ctx, void *target, void *prev,
                             uint64_t value, size_t size, int pe)
{
    return atomic_verve_op(ctx, VERVE_ATOMIC_SWAP, target, prev, value, 0,
                           size, pe);
}

/* prev points at an integer of size bytes (the wrapper's own type). */
static int atomic_verve_cswap(shmem_ctx_t ctx, void *target, uint64_t *prev,
                              uint64_t cond, uint64_t value, size_t size,
                              int pe)
{
    return atomic_verve_op(ctx, VERVE_ATOMIC_CSWAP, target, prev, value,
                           cond, size, pe);
}

static int atomic_verve_register(void);
static int atomic_verve_startup(bool enable_progress_threads,
                                bool enable_threads);
static int atomic_verve_finalize(void);
static mca_atomic_base_module_t *atomic_verve_query(int *priority);

OSHMEM_MODULE_DECLSPEC extern mca_atomic_base_component_t
        mca_atomic_verve_component;

mca_atomic_base_component_t mca_atomic_verve_component = {
    .atomic_version = {
        MCA_ATOMIC_BASE_VERSION_2_0_0,
        .mca_component_name = SPML_VERVE_NAME,
        MCA_BASE_MAKE_VERSION(component, VERVE_VERSION_MAJOR,
                              VERVE_VERSION_MINOR, 0),
        .mca_register_component_params = atomic_verve_register,
    },
    .atomic_data = {
        MCA_BASE_METADATA_PARAM_NONE
    },
    .atomic_startup = atomic_verve_startup,
    .atomic_finalize = atomic_verve_finalize,
    .atomic_query = atomic_verve_query,
    .priority = ATOMIC_VERVE_DEFAULT_PRIORITY
};

static int atomic_verve_register(void)
{
    atomic_verve_priority = ATOMIC_VERVE_DEFAULT_PRIORITY;
    (void)mca_base_component_var_register(
            &mca_atomic_verve_component.atomic_version, "priority",
            "Priority of atomic verve (runs only over spml verve)",
            MCA_BASE_VAR_TYPE_INT, NULL, 0, 0, OPAL_INFO_LVL_3,
            MCA_BASE_VAR_SCOPE_READONLY, &atomic_verve_priority);
    return OSHMEM_SUCCESS;
}

static int atomic_verve_startup(bool enable_progress_threads,
                                bool enable_threads)
{
    (void)enable_progress_threads;
    (void)enable_threads;
    return OSHMEM_SUCCESS;
}

static int atomic_verve_finalize(void)
{
    return OSHMEM_SUCCESS;
}

/* Only over spml verve: the endpoints and keys are its. */
static mca_atomic_base_module_t *atomic_verve_query(int *priority)
{
    const char *spml_name =
            mca_spml_base_selected_component.spmlm_version.mca_component_name;
    mca_atomic_base_module_t *module;

    if (strcmp(spml_name, SPML_VERVE_NAME) != 0) {
        opal_output_verbose(1, 0, "%s: not used: spml %s is selected, not "
                            "spml verve", ATOMIC_VERVE_WHO, spml_name);
        return NULL;
    }
    module = OBJ_NEW(mca_atomic_base_module_t);
    if (module == NULL) {
        return NULL;
    }
    module->atomic_add = atomic_verve_add;
    module->atomic_and = atomic_verve_and;
    module->atomic_or = atomic_verve_or;
    module->atomic_xor = atomic_verve_xor;
    module->atomic_fadd = atomic_verve_fadd;
    module->atomic_fand = atomic_verve_fand;
    module->atomic_for = atomic_verve_for;
    module->atomic_fxor = atomic_verve_fxor;
    module->atomic_swap = atomic_verve_swap;
    module->atomic_cswap = atomic_verve_cswap;
    *priority = atomic_verve_priority;
    opal_output_verbose(1, oshmem_atomic_base_framework.framework_output,
                        "%s: atomics over spml verve's endpoints",
                        ATOMIC_VERVE_WHO);
    return module;
}
