/*
 * Loopback within a process. Messages are copied into a queue and
 * delivered by progress, never from inside the send: a handler that sends
 * would otherwise recurse without bound and see messages out of order.
 *
 * VERVE_SELF_ASYNC=y makes put, get, atomics and rendezvous reads happen in
 * a later progress call and complete through their completion, and has
 * rendezvous reads go through the sender's key, as RDMA does: it exercises
 * the engine's path for such transports on any machine.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "transports/vt_iface.h"
#include "core/base/compiler.h"
#include "core/base/config.h"
#include "core/base/list.h"
#include "core/base/log.h"
#include "core/base/mpool.h"

#define VT_SELF_BCOPY_MAX (64 * 1024)
#define VT_SELF_SHORT_MAX 256
#define VT_SELF_QUEUE_MAX 4096

typedef struct vt_self_msg {
    vs_queue_elem_t link;
    uint8_t am_id;
    size_t length;
    uint8_t data[];
} vt_self_msg_t;

typedef struct vt_self_config {
    int async;
} vt_self_config_t;

static const vs_config_field_t vt_self_config_fields[] = {
    {"ASYNC", "n",
     "y: carry out put, get and atomics from progress and complete them "
     "later, as RDMA transports do (for testing the engine)",
     VS_CONFIG_TYPE_BOOL, offsetof(vt_self_config_t, async)},
};

vs_config_table_t vt_self_config_table = {
    .component = "self",
    .prefix = "SELF_",
    .fields = vt_self_config_fields,
    .num_fields = vs_array_size(vt_self_config_fields),
    .struct_size = sizeof(vt_self_config_t),
};

static vs_constructor void vt_self_config_init(void)
{
    vs_config_register(&vt_self_config_table);
}

/* An operation of the async variant, carried out by progress. */
typedef struct vt_self_deferred {
    vs_list_link_t list;
    struct vt_self_ep *ep;
    int is_atomic;
    vt_atomic_op_t op;
    size_t op_size;
    uint64_t value;
    uint64_t compare;
    void *result;
    void *dest;
    const void *src;
    size_t length;
    vt_completion_t *comp;
} vt_self_deferred_t;

typedef struct vt_self_iface {
    vt_iface_t super;
    uint64_t uid;
    pid_t pid;
    vt_am_handler_t handlers[VT_AM_ID_MAX];
    void *args[VT_AM_ID_MAX];
    vs_queue_t queue;
    unsigned queued;
    vs_mpool_t msg_mp;
    int event_fd;
    int armed;
    int async;
    vs_list_link_t deferred;   /* vt_self_deferred_t, in order */
} vt_self_iface_t;

typedef struct vt_self_address {
    uint64_t uid;
    uint32_t pid;
} vt_self_address_t;

typedef struct vt_self_ep {
    vt_ep_t super;
    unsigned deferred;         /* its operations not yet carried out */
} vt_self_ep_t;

static vt_self_iface_t *vt_self_iface(vt_iface_t *iface)
{
    return vs_container_of(iface, vt_self_iface_t, super);
}

static unsigned vt_self_deferred_progress(vt_self_iface_t *self)
{
    unsigned count = 0;

    while (!vs_list_is_empty(&self->deferred)) {
        vt_self_deferred_t *d = vs_list_entry(self->deferred.next,
                                              vt_self_deferred_t, list);
        vs_list_del(&d->list);
        if (d->is_atomic) {
            vt_atomic_apply(d->op, d->op_size, d->dest, d->value, d->compare,
                            d->result);
        } else {
            memmove(d->dest, d->src, d->length);
        }
        --d->ep->deferred;
        vt_completion_update(d->comp, VERVE_OK);
        free(d);
        ++count;
    }
    return count;
}

static void vt_self_iface_close(vt_iface_t *iface)
{
    vt_self_iface_t *self = vt_self_iface(iface);
    vs_queue_elem_t *elem;

    /* Every ep was destroyed first, and took its operations along. */
    while (!vs_list_is_empty(&self->deferred)) {
        vt_self_deferred_t *d = vs_list_entry(self->deferred.next,
                                              vt_self_deferred_t, list);
        vs_list_del(&d->list);
        free(d);
    }
    while ((elem = vs_queue_pop(&self->queue)) != NULL) {
        vs_mpool_put(elem);
    }
    vs_mpool_cleanup(&self->msg_mp);
    close(self->event_fd);
    free(self);
}

static void vt_self_iface_query(vt_iface_t *iface, vt_iface_caps_t *caps)
{
    memset(caps, 0, sizeof(*caps));
    caps->flags = VT_CAP_AM_SHORT | VT_CAP_AM_BCOPY | VT_CAP_GET_ZCOPY |
                  VT_CAP_PUT_ZCOPY | VT_CAP_RMA | VT_CAP_AMO32 |
                  VT_CAP_AMO64 | VT_CAP_WAKEUP;
    if (vt_self_iface(iface)->async) {
        caps->flags |= VT_CAP_ASYNC | VT_CAP_ZCOPY_KEY;
    }
    caps->am_short_max = VT_SELF_SHORT_MAX;
    caps->am_bcopy_max = VT_SELF_BCOPY_MAX;
    caps->zcopy_max = SIZE_MAX;
    caps->address_length = sizeof(vt_self_address_t);
    caps->latency_ns = 1;
    caps->bandwidth_MBps = 20000;
}

static void vt_self_iface_address(vt_iface_t *iface, void *address)
{
    vt_self_iface_t *self = vt_self_iface(iface);
    vt_self_address_t addr = {self->uid, (uint32_t)self->pid};
    memcpy(address, &addr, sizeof(addr));
}

static int vt_self_iface_is_reachable(vt_iface_t *iface, const void *address,
                                      size_t length)
{
    vt_self_iface_t *self = vt_self_iface(iface);
    vt_self_address_t addr;

    if (length != sizeof(addr)) {
        return 0;
    }
    memcpy(&addr, address, sizeof(addr));
    return addr.uid == self->uid && addr.pid == (uint32_t)self->pid;
}

static vs_noinline unsigned vt_self_iface_work(vt_self_iface_t *self)
{
    unsigned count = 0, limit = self->queued;
    vs_queue_elem_t *elem;

    if (vs_unlikely(!vs_list_is_empty(&self->deferred))) {
        count += vt_self_deferred_progress(self);
    }
    while (count < limit && (elem = vs_queue_pop(&self->queue)) != NULL) {
        vt_self_msg_t *msg = vs_container_of(elem, vt_self_msg_t, link);
        --self->queued;
        self->handlers[msg->am_id](self->args[msg->am_id], msg->data,
                                   msg->length, self->uid);
        vs_mpool_put(msg);
        ++count;
    }
    return count;
}

/* Called on every progress of the worker, mostly with nothing queued. */
static unsigned vt_self_iface_progress(vt_iface_t *iface)
{
    vt_self_iface_t *self = vt_self_iface(iface);

    if (vs_likely(self->queued == 0 && vs_list_is_empty(&self->deferred))) {
        return 0;
    }
    return vt_self_iface_work(self);
}

static verve_status_t vt_self_iface_arm(vt_iface_t *iface)
{
    vt_self_iface_t *self = vt_self_iface(iface);
    uint64_t value;

    while (read(self->event_fd, &value, sizeof(value)) > 0) {
    }
    if (self->queued != 0 || !vs_list_is_empty(&self->deferred)) {
        return VERVE_ERR_BUSY;
    }
    self->armed = 1;
    return VERVE_OK;
}

static verve_status_t vt_self_ep_create(vt_iface_t *iface,
                                        const void *address, size_t length,
                                        vt_ep_t **ep_p)
{
    vt_self_ep_t *ep;

    if (!vt_self_iface_is_reachable(iface, address, length)) {
        return VERVE_ERR_UNREACHABLE;
    }
    ep = calloc(1, sizeof(*ep));
    if (ep == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    ep->super.iface = iface;
    *ep_p = &ep->super;
    return VERVE_OK;
}

static void vt_self_ep_destroy(vt_ep_t *ep)
{
    vt_self_iface_t *self = vt_self_iface(ep->iface);
    vt_self_ep_t *self_ep = vs_container_of(ep, vt_self_ep_t, super);
    vs_list_link_t *link, *next;

    /* What was never carried out completes as canceled, before return. */
    for (link = self->deferred.next;
         self_ep->deferred > 0 && link != &self->deferred; link = next) {
        vt_self_deferred_t *d = vs_list_entry(link, vt_self_deferred_t,
                                              list);
        next = link->next;
        if (d->ep == self_ep) {
            vs_list_del(&d->list);
            --self_ep->deferred;
            vt_completion_update(d->comp, VERVE_ERR_CANCELED);
            free(d);
            next = self->deferred.next;
        }
    }
    free(self_ep);
}

static vt_self_msg_t *vt_self_msg_get(vt_self_iface_t *self)
{
    if (self->queued >= VT_SELF_QUEUE_MAX) {
        return NULL;
    }
    return vs_mpool_get(&self->msg_mp);
}

static void vt_self_msg_push(vt_self_iface_t *self, vt_self_msg_t *msg)
{
    uint64_t one = 1;

    vs_queue_push(&self->queue, &msg->link);
    ++self->queued;
    if (self->armed) {
        self->armed = 0;
        if (write(self->event_fd, &one, sizeof(one)) < 0 &&
            errno != EAGAIN) {
            vs_warn("self: wakeup write failed: %s", strerror(errno));
        }
    }
}

static verve_status_t vt_self_ep_am_short(vt_ep_t *ep, uint8_t id,
                                          const void *header,
                                          size_t header_length,
                                          const void *payload, size_t length)
{
    vt_self_iface_t *self = vt_self_iface(ep->iface);
    vt_self_msg_t *msg;

    if (header_length + length > VT_SELF_SHORT_MAX) {
        return VERVE_ERR_INVALID_PARAM;
    }
    msg = vt_self_msg_get(self);
    if (msg == NULL) {
        return VERVE_ERR_NO_RESOURCE;
    }
    msg->am_id = id;
    msg->length = header_length + length;
    memcpy(msg->data, header, header_length);
    if (length > 0) {
        memcpy(msg->data + header_length, payload, length);
    }
    vt_self_msg_push(self, msg);
    return VERVE_OK;
}

static ssize_t vt_self_ep_am_bcopy(vt_ep_t *ep, uint8_t id, vt_pack_cb_t pack,
                                   void *arg)
{
    vt_self_iface_t *self = vt_self_iface(ep->iface);
    vt_self_msg_t *msg = vt_self_msg_get(self);

    if (msg == NULL) {
        return VERVE_ERR_NO_RESOURCE;
    }
    msg->am_id = id;
    msg->length = pack(msg->data, arg);
    vt_self_msg_push(self, msg);
    return (ssize_t)msg->length;
}

static verve_status_t vt_self_ep_get_zcopy(vt_ep_t *ep, void *buffer,
                                           size_t length,
                                           const vt_remote_buffer_t *remote,
                                           vt_completion_t *comp)
{
    (void)ep, (void)comp;
    memcpy(buffer, (const void *)(uintptr_t)remote->address, length);
    return VERVE_OK;
}

static verve_status_t vt_self_ep_put_zcopy(vt_ep_t *ep, const void *buffer,
                                           size_t length,
                                           const vt_remote_buffer_t *remote,
                                           vt_completion_t *comp)
{
    (void)ep, (void)comp;
    memcpy((void *)(uintptr_t)remote->address, buffer, length);
    return VERVE_OK;
}

static verve_status_t vt_self_ep_put(vt_ep_t *ep, const void *buffer,
                                     size_t length, uint64_t remote_addr,
                                     vt_rkey_t *rkey, vt_completion_t *comp)
{
    (void)ep, (void)rkey, (void)comp;
    memmove((void *)(uintptr_t)remote_addr, buffer, length);
    return VERVE_OK;
}

static verve_status_t vt_self_ep_get(vt_ep_t *ep, void *buffer,
                                     size_t length, uint64_t remote_addr,
                                     vt_rkey_t *rkey, vt_completion_t *comp)
{
    (void)ep, (void)rkey, (void)comp;
    memmove(buffer, (const void *)(uintptr_t)remote_addr, length);
    return VERVE_OK;
}

static verve_status_t vt_self_ep_atomic(vt_ep_t *ep, vt_atomic_op_t op,
                                        size_t op_size, uint64_t value,
                                        uint64_t compare, void *result,
                                        uint64_t remote_addr,
                                        vt_rkey_t *rkey,
                                        vt_completion_t *comp)
{
    (void)ep, (void)rkey, (void)comp;
    vt_atomic_apply(op, op_size, (void *)(uintptr_t)remote_addr, value,
                    compare, result);
    return VERVE_OK;
}

static verve_status_t vt_self_ep_flush(vt_ep_t *ep, vt_completion_t *comp)
{
    (void)ep, (void)comp;
    return VERVE_OK;
}

static vt_self_deferred_t *vt_self_defer(vt_ep_t *ep, vt_completion_t *comp)
{
    vt_self_iface_t *self = vt_self_iface(ep->iface);
    vt_self_deferred_t *d = calloc(1, sizeof(*d));

    if (d == NULL) {
        return NULL;
    }
    d->ep = vs_container_of(ep, vt_self_ep_t, super);
    d->comp = comp;
    ++d->ep->deferred;
    vs_list_add_tail(&self->deferred, &d->list);
    return d;
}

/* A copy carried out by a later progress call. */
static verve_status_t vt_self_defer_copy(vt_ep_t *ep, vt_completion_t *comp,
                                         void *dest, const void *src,
                                         size_t length)
{
    vt_self_deferred_t *d = vt_self_defer(ep, comp);

    if (d == NULL) {
        return VERVE_ERR_NO_RESOURCE;
    }
    d->dest = dest;
    d->src = src;
    d->length = length;
    return VERVE_INPROGRESS;
}

static verve_status_t vt_self_ep_put_async(vt_ep_t *ep, const void *buffer,
                                           size_t length,
                                           uint64_t remote_addr,
                                           vt_rkey_t *rkey,
                                           vt_completion_t *comp)
{
    (void)rkey;
    return vt_self_defer_copy(ep, comp, (void *)(uintptr_t)remote_addr,
                              buffer, length);
}

static verve_status_t vt_self_ep_get_async(vt_ep_t *ep, void *buffer,
                                           size_t length,
                                           uint64_t remote_addr,
                                           vt_rkey_t *rkey,
                                           vt_completion_t *comp)
{
    (void)rkey;
    return vt_self_defer_copy(ep, comp, buffer,
                              (const void *)(uintptr_t)remote_addr, length);
}

static verve_status_t vt_self_ep_atomic_async(vt_ep_t *ep, vt_atomic_op_t op,
                                              size_t op_size, uint64_t value,
                                              uint64_t compare, void *result,
                                              uint64_t remote_addr,
                                              vt_rkey_t *rkey,
                                              vt_completion_t *comp)
{
    vt_self_deferred_t *d = vt_self_defer(ep, comp);

    (void)rkey;
    if (d == NULL) {
        return VERVE_ERR_NO_RESOURCE;
    }
    d->is_atomic = 1;
    d->op = op;
    d->op_size = op_size;
    d->value = value;
    d->compare = compare;
    d->result = result;
    d->dest = (void *)(uintptr_t)remote_addr;
    return VERVE_INPROGRESS;
}

static verve_status_t vt_self_ep_get_zcopy_async(
        vt_ep_t *ep, void *buffer, size_t length,
        const vt_remote_buffer_t *remote, vt_completion_t *comp)
{
    if (remote->rkey == NULL) {
        vs_error("self: rendezvous read of %zu bytes without the sender's "
                 "key", length);
        return VERVE_ERR_INVALID_RKEY;
    }
    return vt_self_defer_copy(ep, comp, buffer,
                              (const void *)(uintptr_t)remote->address,
                              length);
}

static verve_status_t vt_self_ep_flush_async(vt_ep_t *ep,
                                             vt_completion_t *comp)
{
    (void)comp;
    return (vs_container_of(ep, vt_self_ep_t, super)->deferred == 0)
                   ? VERVE_OK : VERVE_INPROGRESS;
}

static const vt_iface_ops_t vt_self_iface_ops = {
    .iface_close = vt_self_iface_close,
    .iface_query = vt_self_iface_query,
    .iface_address = vt_self_iface_address,
    .iface_is_reachable = vt_self_iface_is_reachable,
    .iface_progress = vt_self_iface_progress,
    .iface_arm = vt_self_iface_arm,
    .ep_create = vt_self_ep_create,
    .ep_destroy = vt_self_ep_destroy,
    .ep_check = vt_no_ep_check,
    .ep_am_short = vt_self_ep_am_short,
    .ep_am_bcopy = vt_self_ep_am_bcopy,
    .ep_get_zcopy = vt_self_ep_get_zcopy,
    .ep_put_zcopy = vt_self_ep_put_zcopy,
    .ep_put = vt_self_ep_put,
    .ep_get = vt_self_ep_get,
    .ep_atomic = vt_self_ep_atomic,
    .ep_flush = vt_self_ep_flush,
};

/* The same with put, get and atomics carried out by progress. */
static const vt_iface_ops_t vt_self_async_iface_ops = {
    .iface_close = vt_self_iface_close,
    .iface_query = vt_self_iface_query,
    .iface_address = vt_self_iface_address,
    .iface_is_reachable = vt_self_iface_is_reachable,
    .iface_progress = vt_self_iface_progress,
    .iface_arm = vt_self_iface_arm,
    .ep_create = vt_self_ep_create,
    .ep_destroy = vt_self_ep_destroy,
    .ep_check = vt_no_ep_check,
    .ep_am_short = vt_self_ep_am_short,
    .ep_am_bcopy = vt_self_ep_am_bcopy,
    .ep_get_zcopy = vt_self_ep_get_zcopy_async,
    .ep_put_zcopy = vt_self_ep_put_zcopy,
    .ep_put = vt_self_ep_put_async,
    .ep_get = vt_self_ep_get_async,
    .ep_atomic = vt_self_ep_atomic_async,
    .ep_flush = vt_self_ep_flush_async,
};

extern const vt_component_t vt_self_component;

verve_status_t vt_self_iface_open(const vt_iface_params_t *params,
                                  vt_iface_t **iface_p)
{
    struct epoll_event event = {.events = EPOLLIN};
    vt_self_config_t cfg;
    vt_self_iface_t *self;
    verve_status_t status;

    status = vs_config_read(&vt_self_config_table, &cfg);
    if (status != VERVE_OK) {
        return status;
    }
    vs_config_release(&vt_self_config_table, &cfg);
    self = calloc(1, sizeof(*self));
    if (self == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    self->async = cfg.async;
    self->super.ops = cfg.async ? &vt_self_async_iface_ops
                                : &vt_self_iface_ops;
    vs_list_init(&self->deferred);
    self->super.component = &vt_self_component;
    self->uid = params->uid;
    self->pid = getpid();
    memcpy(self->handlers, params->am_handlers, sizeof(self->handlers));
    memcpy(self->args, params->am_args, sizeof(self->args));
    vs_queue_init(&self->queue);
    status = vs_mpool_init(&self->msg_mp, "self messages",
                           sizeof(vt_self_msg_t) + VT_SELF_BCOPY_MAX, 16, 16,
                           0);
    if (status != VERVE_OK) {
        goto err_free;
    }
    self->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (self->event_fd < 0) {
        vs_error("self: eventfd failed: %s", strerror(errno));
        status = VERVE_ERR_IO;
        goto err_mpool;
    }
    event.data.ptr = self;
    if (params->epoll_fd >= 0 &&
        epoll_ctl(params->epoll_fd, EPOLL_CTL_ADD, self->event_fd,
                  &event) != 0) {
        vs_error("self: epoll_ctl failed: %s", strerror(errno));
        status = VERVE_ERR_IO;
        goto err_close;
    }
    *iface_p = &self->super;
    return VERVE_OK;

err_close:
    close(self->event_fd);
err_mpool:
    vs_mpool_cleanup(&self->msg_mp);
err_free:
    free(self);
    return status;
}
