/* The registered upper layers (ve_layer.h). */
#include <stdlib.h>
#include "ve_layer.h"
#include "core/base/log.h"

static const ve_layer_t *ve_layers[VE_MAX_LAYERS];
static unsigned ve_num_layers;

unsigned ve_layer_register(const ve_layer_t *layer)
{
    if (ve_num_layers == VE_MAX_LAYERS) {
        /* a build with more layers than slots: a programming error */
        vs_fatal("layer %s: more than %d layers registered", layer->name,
                 VE_MAX_LAYERS);
        abort();
    }
    ve_layers[ve_num_layers] = layer;
    return ve_num_layers++;
}

verve_status_t ve_layers_worker_init(ve_worker_t *worker)
{
    verve_status_t status;
    unsigned i;

    for (i = 0; i < ve_num_layers; ++i) {
        if (ve_layers[i]->worker_init == NULL) {
            continue;
        }
        status = ve_layers[i]->worker_init(worker);
        if (status != VERVE_OK) {
            while (i-- > 0) {
                if (ve_layers[i]->worker_cleanup != NULL) {
                    ve_layers[i]->worker_cleanup(worker);
                }
            }
            return status;
        }
    }
    return VERVE_OK;
}

void ve_layers_worker_cleanup(ve_worker_t *worker)
{
    unsigned i = ve_num_layers;

    while (i-- > 0) {
        if (ve_layers[i]->worker_cleanup != NULL) {
            ve_layers[i]->worker_cleanup(worker);
        }
    }
}

void ve_layers_ep_failed(ve_ep_t *ep, verve_status_t status)
{
    unsigned i;

    for (i = 0; i < ve_num_layers; ++i) {
        if (ve_layers[i]->ep_failed != NULL) {
            ve_layers[i]->ep_failed(ep, status);
        }
    }
}

void ve_layers_ep_gone(ve_ep_t *ep)
{
    unsigned i;

    for (i = 0; i < ve_num_layers; ++i) {
        if (ve_layers[i]->ep_gone != NULL) {
            ve_layers[i]->ep_gone(ep);
        }
    }
}

void ve_layers_worker_check(ve_worker_t *worker, uint64_t now_ns)
{
    unsigned i;

    for (i = 0; i < ve_num_layers; ++i) {
        if (ve_layers[i]->worker_check != NULL) {
            ve_layers[i]->worker_check(worker, now_ns);
        }
    }
}

void ve_layers_request_what(const ve_request_t *req, ve_request_what_t *what)
{
    unsigned i;

    what->op = NULL;
    what->waits_for = NULL;
    for (i = 0; i < ve_num_layers; ++i) {
        if (ve_layers[i]->request_what != NULL &&
            ve_layers[i]->request_what(req, what)) {
            return;
        }
    }
}
