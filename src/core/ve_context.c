/* Contexts: configuration, features, the transports in use. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <verve_config.h>
#include "ve_types.h"
#include "core/base/config.h"
#include "core/base/crash.h"
#include "core/base/log.h"

static const vs_config_field_t ve_config_fields[] = {
    {"TLS", "all",
     "transports to use, comma separated (self, shm), or all",
     VS_CONFIG_TYPE_STRING, offsetof(ve_config_t, tls)},
    {"RNDV_THRESH", "0",
     "AM payload size from which rendezvous is used; 0: the largest "
     "message a copy send carries",
     VS_CONFIG_TYPE_SIZE, offsetof(ve_config_t, rndv_thresh)},
    {"RNDV_SPLIT", "256k",
     "rendezvous size from which the sender writes half of the data while "
     "the receiver reads the other half (inf: never)",
     VS_CONFIG_TYPE_SIZE, offsetof(ve_config_t, rndv_split)},
    {"RMA_NATIVE", "y",
     "use the transports' own RMA and atomics where a key allows; n: "
     "emulate every one over AM (for testing)",
     VS_CONFIG_TYPE_BOOL, offsetof(ve_config_t, rma_native)},
    {"AM_ZCOPY", "y",
     "let receivers read large AM payloads from the sender's memory where "
     "the lane can; n: send them as fragments everywhere (for testing)",
     VS_CONFIG_TYPE_BOOL, offsetof(ve_config_t, am_zcopy)},
    {"SPIN_COUNT", "1000",
     "idle progress calls before verve_request_wait sleeps",
     VS_CONFIG_TYPE_UINT, offsetof(ve_config_t, spin_count)},
    {"FAILURE_CHECK", "100ms",
     "how often an idle worker checks that its peers are alive",
     /* added to a time in nanoseconds: finite */
     VS_CONFIG_TYPE_TIME_RANGE(1e-6, 3600.0),
     offsetof(ve_config_t, failure_check)},
    {"AM_FRAG_MAX", "2g",
     "largest message a receiver assembles from fragments (tcp, ud); a "
     "peer's first fragment that claims more is dropped, and a send of "
     "more fails, before any memory is taken for it",
     VS_CONFIG_TYPE_SIZE_RANGE(1, SIZE_MAX), offsetof(ve_config_t, frag_max)},
    {"AM_FRAG_TIMEOUT", "5m",
     "longest a message in assembly may wait for its next fragment before "
     "it is dropped with a warning (a sender that stopped, or that never "
     "meant to finish)",
     /* added to a time in nanoseconds: finite */
     VS_CONFIG_TYPE_TIME_RANGE(1e-3, 30 * 86400.0),
     offsetof(ve_config_t, frag_timeout)},
    {"STALL_WARN", "30s",
     "warn, once per operation, when an operation has waited this long on "
     "its peer (an emulated RMA reply, a rendezvous, a flush, a queued "
     "send), naming the peer, the operation and what it waits for: a "
     "target that does not call progress; checked by idle progress every "
     "VERVE_FAILURE_CHECK; inf: never",
     VS_CONFIG_TYPE_TIME_RANGE(1e-3, INFINITY),
     offsetof(ve_config_t, stall_warn)},
    {"HANDLE_ERRORS", "bt",
     "on a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT), bt "
     "prints a backtrace to stderr, then hands the signal to the handler "
     "that was there before (the default: the process dies with it, core "
     "dump included); installed by context creation, where not already "
     "there; none leaves the signals alone",
     VS_CONFIG_TYPE_ENUM(vs_crash_mode_names, "none, bt"),
     offsetof(ve_config_t, handle_errors)},
};

static vs_config_table_t ve_config_table = {
    .component = "engine",
    .prefix = "",
    .fields = ve_config_fields,
    .num_fields = vs_array_size(ve_config_fields),
    .struct_size = sizeof(ve_config_t),
};

static vs_constructor void ve_config_register(void)
{
    vs_config_register(&ve_config_table);
}

VERVE_API const char *verve_version_string(void)
{
    return PACKAGE_VERSION;
}

static int ve_tls_allows(const char *tls, const char *name)
{
    size_t length = strlen(name);
    const char *p = tls;

    if (strcmp(tls, "all") == 0) {
        return 1;
    }
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t item = end ? (size_t)(end - p) : strlen(p);
        if (item == length && strncmp(p, name, length) == 0) {
            return 1;
        }
        p += item + (end != NULL);
    }
    return 0;
}

/* The user's VERVE_TLS, else the caller's default, else all. */
static const char *ve_context_tls(const ve_context_t *context,
                                  const verve_context_params_t *params)
{
    if (params != NULL && (params->field_mask & VERVE_CONTEXT_PARAM_FIELD_TLS)
        && params->tls != NULL && getenv("VERVE_TLS") == NULL) {
        return params->tls;
    }
    return context->config.tls;
}

/* Every name in VERVE_TLS must be a transport compiled in: a typo would
 * otherwise silently leave a job without its fast path. */
static verve_status_t ve_context_select_components(ve_context_t *context,
                                                   const char *tls)
{
    const char *p = tls;
    unsigned i;

    while (strcmp(tls, "all") != 0 && *p != '\0') {
        const char *end = strchr(p, ',');
        size_t item = end ? (size_t)(end - p) : strlen(p);
        int known = 0;
        for (i = 0; vt_components[i] != NULL; ++i) {
            known |= strlen(vt_components[i]->name) == item &&
                     strncmp(vt_components[i]->name, p, item) == 0;
        }
        if (!known) {
            char names[128] = "";
            for (i = 0; vt_components[i] != NULL; ++i) {
                strncat(names, vt_components[i]->name,
                        sizeof(names) - strlen(names) - 1);
                strncat(names, ", ", sizeof(names) - strlen(names) - 1);
            }
            vs_error("invalid value '%s' for VERVE_TLS: '%.*s' is not a "
                     "transport; expected a comma list of %sor all",
                     tls, (int)item, p, names);
            return VERVE_ERR_INVALID_CONFIG;
        }
        p += item + (end != NULL);
    }
    for (i = 0; vt_components[i] != NULL; ++i) {
        if (ve_tls_allows(tls, vt_components[i]->name) &&
            context->num_components < VE_MAX_IFACES) {
            context->components[context->num_components++] = vt_components[i];
        }
    }
    if (context->num_components == 0) {
        vs_error("VERVE_TLS='%s' leaves no transport", tls);
        return VERVE_ERR_INVALID_CONFIG;
    }
    return VERVE_OK;
}

VERVE_API verve_status_t verve_context_create(
        const verve_context_params_t *params, verve_context_h *context_p)
{
    ve_context_t *context;
    verve_status_t status;

    if (context_p == NULL) {
        return VERVE_ERR_INVALID_PARAM;
    }
    status = vs_log_init();
    if (status != VERVE_OK) {
        return status;
    }
    context = calloc(1, sizeof(*context));
    if (context == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    context->features = VERVE_FEATURE_AM | VERVE_FEATURE_RMA |
                        VERVE_FEATURE_AMO32 | VERVE_FEATURE_AMO64 |
                        VERVE_FEATURE_WAKEUP;
    if (params != NULL) {
        if (params->field_mask & VERVE_CONTEXT_PARAM_FIELD_FEATURES) {
            context->features = params->features;
        }
        if ((params->field_mask & VERVE_CONTEXT_PARAM_FIELD_NAME) &&
            params->name != NULL) {
            strncpy(context->name, params->name, sizeof(context->name) - 1);
        }
    }
    /* Every component's settings, used by this context or not: a bad
     * value stops start-up here, the same way wherever it belongs, rather
     * than turning a transport off or failing mid-job. */
    status = vs_config_check_all();
    if (status != VERVE_OK) {
        goto err_free;
    }
    status = vs_config_read(&ve_config_table, &context->config);
    if (status != VERVE_OK) {
        goto err_free;
    }
    status = ve_context_select_components(context, ve_context_tls(context,
                                                                  params));
    if (status != VERVE_OK) {
        goto err_config;
    }
    status = vs_hash_init(&context->mem_by_key, 16);
    if (status != VERVE_OK) {
        goto err_config;
    }
    pthread_mutex_init(&context->lock, NULL);
    vs_config_warn_unused();
    vs_crash_handlers_install((vs_crash_mode_t)context->config.handle_errors);
    *context_p = context;
    return VERVE_OK;

err_config:
    vs_config_release(&ve_config_table, &context->config);
err_free:
    free(context);
    return status;
}

VERVE_API void verve_context_destroy(verve_context_h context)
{
    if (context == NULL) {
        return;
    }
    if (vs_hash_count(&context->mem_by_key) != 0) {
        vs_warn("context destroyed with %zu memory regions still mapped",
                vs_hash_count(&context->mem_by_key));
    }
    vs_hash_cleanup(&context->mem_by_key);
    pthread_mutex_destroy(&context->lock);
    vs_config_release(&ve_config_table, &context->config);
    free(context);
}
