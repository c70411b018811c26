/* TCP transport: the byte queues behind each connection. */
#include "tcp.h"

#include <stdlib.h>
#include <string.h>
#include "core/base/log.h"

void vt_tcp_buf_cleanup(vt_tcp_buf_t *buf)
{
    free(buf->data);
    memset(buf, 0, sizeof(*buf));
}

/* Room for `length` more bytes after tail. Pending bytes move to the
 * front first: a queue drained from the head would otherwise only grow. */
verve_status_t vt_tcp_buf_reserve(vt_tcp_buf_t *buf, size_t length)
{
    size_t used = buf->tail - buf->head, capacity;
    char *data;

    if (buf->capacity - buf->tail >= length) {
        return VERVE_OK;
    }
    if (buf->head > 0) {
        memmove(buf->data, buf->data + buf->head, used);
        buf->head = 0;
        buf->tail = used;
        if (buf->capacity - buf->tail >= length) {
            return VERVE_OK;
        }
    }
    capacity = vs_max(buf->capacity * 2, used + length);
    capacity = vs_max(capacity, (size_t)4096);
    data = realloc(buf->data, capacity);
    if (data == NULL) {
        vs_error("tcp: growing a connection buffer to %zu bytes failed",
                 capacity);
        return VERVE_ERR_NO_MEMORY;
    }
    buf->data = data;
    buf->capacity = capacity;
    return VERVE_OK;
}

verve_status_t vt_tcp_buf_append_iov(vt_tcp_buf_t *buf,
                                     const struct iovec *iov, int iovcnt,
                                     size_t skip)
{
    size_t total = 0, length;
    verve_status_t status;
    int i;

    for (i = 0; i < iovcnt; ++i) {
        total += iov[i].iov_len;
    }
    status = vt_tcp_buf_reserve(buf, total - skip);
    if (status != VERVE_OK) {
        return status;
    }
    for (i = 0; i < iovcnt; ++i) {
        if (skip >= iov[i].iov_len) {
            skip -= iov[i].iov_len;
            continue;
        }
        length = iov[i].iov_len - skip;
        memcpy(buf->data + buf->tail, (const char *)iov[i].iov_base + skip,
               length);
        buf->tail += length;
        skip = 0;
    }
    return VERVE_OK;
}
