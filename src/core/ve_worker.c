/* Workers: interfaces, progress and sleep. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>
#include "ve_ep.h"
#include "ve_layer.h"
#include "ve_proto.h"
#include "ve_request.h"
#include "ve_worker.h"
#include "core/base/log.h"
#include "core/base/time.h"

uint64_t ve_random_id(void)
{
    uint64_t id = 0;
    while (id == 0) {
        if (getrandom(&id, sizeof(id), 0) != sizeof(id)) {
            id = vs_time_ns() ^ ((uint64_t)getpid() << 32);
        }
    }
    return id;
}

static void ve_worker_close_ifaces(ve_worker_t *worker)
{
    unsigned i;

    for (i = 0; i < worker->num_ifaces; ++i) {
        worker->ifaces[i].iface->ops->iface_close(worker->ifaces[i].iface);
    }
    worker->num_ifaces = 0;
}

/* The wireup, the engine's largest message, goes out as one am_bcopy on
 * whichever lane reaches a peer: each lane must carry it. Transports'
 * settings start at VT_AM_BCOPY_MIN for this; the check holds the
 * engine to what that bound promised. */
static verve_status_t ve_worker_check_lanes(ve_worker_t *worker)
{
    void *address;
    size_t length;
    verve_status_t status;
    unsigned i;

    status = ve_address_pack(worker, &address, &length);
    if (status != VERVE_OK) {
        return status;
    }
    free(address);
    for (i = 0; i < worker->num_ifaces; ++i) {
        const ve_lane_t *lane = &worker->ifaces[i];
        if (!(lane->caps.flags & VT_CAP_AM_BCOPY) ||
            (lane->caps.am_bcopy_max >= length)) {
            continue;
        }
        vs_error("worker: %s carries at most %zu bytes in one am_bcopy, "
                 "less than the %zu bytes of this worker's address that "
                 "the wireup sends (its VERVE_*_BCOPY_MAX is too small)",
                 lane->component->name, lane->caps.am_bcopy_max, length);
        return VERVE_ERR_INVALID_CONFIG;
    }
    return VERVE_OK;
}

static verve_status_t ve_worker_open_ifaces(ve_worker_t *worker)
{
    ve_context_t *context = worker->context;
    vt_iface_params_t params;
    verve_status_t status;
    unsigned i, id;

    memset(&params, 0, sizeof(params));
    params.uid = worker->uid;
    params.epoll_fd = worker->epoll_fd;
    for (id = 0; id < VE_AM_LAST; ++id) {
        params.am_handlers[id] = ve_proto_handlers[id];
        params.am_args[id] = worker;
    }
    for (i = 0; i < context->num_components; ++i) {
        const vt_component_t *component = context->components[i];
        ve_lane_t *lane = &worker->ifaces[worker->num_ifaces];
        status = component->iface_open(&params, &lane->iface);
        if (status == VERVE_ERR_INVALID_CONFIG) {
            /* named by the component; never a silent fallback */
            ve_worker_close_ifaces(worker);
            return status;
        }
        if (status != VERVE_OK) {
            /* No device for a transport nobody asked for by name is the
             * normal case on most machines, not news. */
            if (status == VERVE_ERR_NO_ELEM &&
                strcmp(context->config.tls, "all") == 0) {
                vs_debug("%s: no device here; the transport is off",
                         component->name);
            } else {
                vs_warn("%s: interface not opened (%s); the transport is "
                        "off for this worker", component->name,
                        status == VERVE_ERR_NO_ELEM
                                ? "no device for it on this host"
                                : verve_status_string(status));
            }
            continue;
        }
        lane->component = component;
        lane->iface->ops->iface_query(lane->iface, &lane->caps);
        worker->polls[worker->num_ifaces].progress =
                lane->iface->ops->iface_progress;
        worker->polls[worker->num_ifaces].iface = lane->iface;
        ++worker->num_ifaces;
    }
    if (worker->num_ifaces == 0) {
        vs_error("worker: no transport could be opened");
        return VERVE_ERR_UNREACHABLE;
    }
    status = ve_worker_check_lanes(worker);
    if (status != VERVE_OK) {
        ve_worker_close_ifaces(worker);
    }
    return status;
}

VERVE_API verve_status_t verve_worker_create(verve_context_h context,
        const verve_worker_params_t *params, verve_worker_h *worker_p)
{
    pthread_mutexattr_t attr;
    ve_worker_t *worker;
    verve_status_t status;

    if (context == NULL || worker_p == NULL) {
        return VERVE_ERR_INVALID_PARAM;
    }
    worker = calloc(1, sizeof(*worker));
    if (worker == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    worker->context = context;
    worker->uid = ve_random_id();
    if (params != NULL &&
        (params->field_mask & VERVE_WORKER_PARAM_FIELD_THREAD_MODE)) {
        if (params->thread_mode != VERVE_THREAD_MODE_SINGLE &&
            params->thread_mode != VERVE_THREAD_MODE_MULTI) {
            vs_error("verve_worker_create: unknown thread mode %d",
                     (int)params->thread_mode);
            status = VERVE_ERR_INVALID_PARAM;
            goto err_free;
        }
        worker->thread_mode = params->thread_mode;
    }
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&worker->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    vs_list_init(&worker->eps);
    vs_list_init(&worker->pending_eps);
    worker->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (worker->epoll_fd < 0) {
        vs_error("worker: epoll_create1 failed: %s", strerror(errno));
        status = VERVE_ERR_IO;
        goto err_mutex;
    }
    status = vs_mpool_init(&worker->req_mp, "requests", sizeof(ve_request_t),
                           VS_CACHE_LINE, 128, 0);
    if (status != VERVE_OK) {
        goto err_epoll;
    }
    status = vs_hash_init(&worker->peers, 16);
    if (status != VERVE_OK) {
        goto err_mpool;
    }
    status = vs_hash_init(&worker->reqs_by_id, 64);
    if (status != VERVE_OK) {
        goto err_peers;
    }
    status = vs_hash_init(&worker->frags, 16);
    if (status != VERVE_OK) {
        goto err_reqs;
    }
    /* Before any interface opens: a peer's collective may arrive first. */
    status = ve_layers_worker_init(worker);
    if (status != VERVE_OK) {
        goto err_frags;
    }
    status = ve_worker_open_ifaces(worker);
    if (status != VERVE_OK) {
        goto err_layers;
    }
    *worker_p = worker;
    return VERVE_OK;

err_layers:
    ve_layers_worker_cleanup(worker);
err_frags:
    vs_hash_cleanup(&worker->frags);
err_reqs:
    vs_hash_cleanup(&worker->reqs_by_id);
err_peers:
    vs_hash_cleanup(&worker->peers);
err_mpool:
    vs_mpool_cleanup(&worker->req_mp);
err_epoll:
    close(worker->epoll_fd);
err_mutex:
    pthread_mutex_destroy(&worker->lock);
err_free:
    free(worker);
    return status;
}

VERVE_API void verve_worker_destroy(verve_worker_h worker)
{
    uint64_t key;
    void *value;
    size_t iter;

    if (worker == NULL) {
        return;
    }
    while (!vs_list_is_empty(&worker->eps)) {
        ve_ep_destroy(vs_list_entry(worker->eps.next, ve_ep_t, list),
                      VERVE_ERR_CANCELED);
    }
    for (iter = 0; vs_hash_next(&worker->peers, &iter, &key, &value);) {
        ve_peer_t *peer = value;
        free(peer->address);
        free(peer);
    }
    ve_worker_close_ifaces(worker);
    ve_layers_worker_cleanup(worker);
    vs_hash_cleanup(&worker->frags);
    vs_hash_cleanup(&worker->reqs_by_id);
    vs_hash_cleanup(&worker->peers);
    vs_mpool_cleanup(&worker->req_mp);
    close(worker->epoll_fd);
    pthread_mutex_destroy(&worker->lock);
    free(worker);
}

unsigned ve_worker_progress(ve_worker_t *worker)
{
    unsigned count = 0, i;

    for (i = 0; i < worker->num_ifaces; ++i) {
        count += worker->polls[i].progress(worker->polls[i].iface);
    }
    if (vs_unlikely(!vs_list_is_empty(&worker->pending_eps))) {
        count += ve_ep_progress_pending(worker);
    }
    /* re-read each time: a poll may remove itself */
    for (i = 0; i < worker->num_layer_polls; ++i) {
        count += worker->layer_polls[i].progress(worker->layer_polls[i].arg);
    }
    /* A device that runs on our CPUs (VT_CAP_IDLE_YIELD) gets the CPU
     * once we have been idle for a while: not at once, or a latency-bound
     * wait pays a system call each time it looks. */
    if (count != 0) {
        worker->idle_polls = 0;
    } else if (vs_unlikely(worker->idle_yield_eps > 0) &&
               ++worker->idle_polls > VT_IDLE_YIELD_POLLS) {
        sched_yield();
    }
    /* Liveness checks cost a system call per peer: run them on a timer
     * read only every 64 idle calls. */
    if (count == 0 && (++worker->progress_count & 63) == 0) {
        uint64_t now = vs_time_ns();
        if (now >= worker->next_check_ns) {
            worker->next_check_ns =
                    now + (uint64_t)(worker->context->config.failure_check *
                                     1e9);
            ve_ep_check_peers(worker);
            ve_layers_worker_check(worker, now);
            ve_worker_check_stalls(worker, now);
        }
    }
    return count;
}

VERVE_API unsigned verve_worker_progress(verve_worker_h worker)
{
    unsigned count;
    ve_worker_lock(worker);
    count = ve_worker_progress(worker);
    ve_worker_unlock(worker);
    return count;
}

VERVE_API verve_status_t verve_worker_wait(verve_worker_h worker,
                                           int timeout_ms)
{
    struct epoll_event events[16];
    verve_status_t status = VERVE_OK;
    unsigned i;
    int n;

    if (!(worker->context->features & VERVE_FEATURE_WAKEUP)) {
        vs_error("verve_worker_wait: the context was created without "
                 "VERVE_FEATURE_WAKEUP");
        return VERVE_ERR_UNSUPPORTED;
    }
    ve_worker_lock(worker);
    if (!vs_list_is_empty(&worker->pending_eps)) {
        goto out;
    }
    for (i = 0; i < worker->num_ifaces; ++i) {
        if (worker->ifaces[i].iface->ops->iface_arm(
                    worker->ifaces[i].iface) != VERVE_OK) {
            goto out;
        }
    }
    ve_worker_unlock(worker);
    n = epoll_wait(worker->epoll_fd, events, vs_array_size(events),
                   timeout_ms);
    ve_worker_lock(worker);
    if (n == 0) {
        status = VERVE_ERR_TIMED_OUT;
    } else if (n > 0) {
        /* A wakeup may be a peer that exited (its pidfd): look now rather
         * than after the next timer. */
        worker->next_check_ns = 0;
    } else if (errno != EINTR) {
        vs_error("verve_worker_wait: epoll_wait failed: %s",
                 strerror(errno));
        status = VERVE_ERR_IO;
    }
out:
    ve_worker_unlock(worker);
    return status;
}

void ve_worker_set_chan(ve_worker_t *worker, verve_am_recv_cb_t cb,
                        void *arg)
{
    worker->chan_handler.cb = cb;
    worker->chan_handler.arg = arg;
    worker->chan_handler.flags = 0;
}

verve_status_t ve_worker_poll_add(ve_worker_t *worker,
                                  unsigned (*progress)(void *arg), void *arg)
{
    if (worker->num_layer_polls == VE_MAX_LAYER_POLLS) {
        return VERVE_ERR_NO_RESOURCE;
    }
    worker->layer_polls[worker->num_layer_polls].progress = progress;
    worker->layer_polls[worker->num_layer_polls].arg = arg;
    ++worker->num_layer_polls;
    return VERVE_OK;
}

/* The last poll takes the removed one's place: a progress loop in
 * flight skips it once, and reads no freed slot. */
void ve_worker_poll_remove(ve_worker_t *worker,
                           unsigned (*progress)(void *arg), void *arg)
{
    unsigned i;

    for (i = 0; i < worker->num_layer_polls; ++i) {
        if (worker->layer_polls[i].progress == progress &&
            worker->layer_polls[i].arg == arg) {
            worker->layer_polls[i] =
                    worker->layer_polls[--worker->num_layer_polls];
            return;
        }
    }
}

VERVE_API verve_status_t verve_worker_set_am_handler(verve_worker_h worker,
        const verve_am_handler_params_t *params)
{
    ve_am_handler_t *handler;

    if (params == NULL || !(params->field_mask &
                            VERVE_AM_HANDLER_PARAM_FIELD_ID) ||
        params->id >= VERVE_AM_ID_MAX) {
        vs_error("verve_worker_set_am_handler: id %u is out of range "
                 "(0..%d)", params ? params->id : 0u, VERVE_AM_ID_MAX - 1);
        return VERVE_ERR_INVALID_PARAM;
    }
    ve_worker_lock(worker);
    handler = &worker->am_handlers[params->id];
    handler->cb = (params->field_mask & VERVE_AM_HANDLER_PARAM_FIELD_CB)
                          ? params->cb : NULL;
    handler->arg = (params->field_mask & VERVE_AM_HANDLER_PARAM_FIELD_ARG)
                           ? params->arg : NULL;
    handler->flags = (params->field_mask &
                      VERVE_AM_HANDLER_PARAM_FIELD_FLAGS) ? params->flags : 0;
    ve_worker_unlock(worker);
    return VERVE_OK;
}
