/*
 * Worker address format (little endian, as the hosts that share it):
 *   u32 magic, u16 version, u16 entry count, u64 worker uid,
 *   then per entry: u8 component id, u8 reserved, u16 length, bytes.
 * Unpacking treats the bytes as hostile: every length is checked.
 */
#include <stdlib.h>
#include <string.h>
#include "ve_worker.h"
#include "core/base/log.h"

#define VE_ADDRESS_MAGIC 0x41565256u /* "VRVA" */
#define VE_ADDRESS_VERSION 1

typedef struct ve_address_header {
    uint32_t magic;
    uint16_t version;
    uint16_t count;
    uint64_t uid;
} ve_address_header_t;

typedef struct ve_address_entry_header {
    uint8_t component_id;
    uint8_t reserved;
    uint16_t length;
} ve_address_entry_header_t;

verve_status_t ve_address_pack(ve_worker_t *worker, void **address_p,
                               size_t *length_p)
{
    ve_address_header_t header = {VE_ADDRESS_MAGIC, VE_ADDRESS_VERSION,
                                  (uint16_t)worker->num_ifaces, worker->uid};
    size_t length = sizeof(header);
    uint8_t *buffer, *p;
    unsigned i;

    for (i = 0; i < worker->num_ifaces; ++i) {
        length += sizeof(ve_address_entry_header_t) +
                  worker->ifaces[i].caps.address_length;
    }
    buffer = malloc(length);
    if (buffer == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    memcpy(buffer, &header, sizeof(header));
    p = buffer + sizeof(header);
    for (i = 0; i < worker->num_ifaces; ++i) {
        ve_lane_t *lane = &worker->ifaces[i];
        ve_address_entry_header_t entry = {
            lane->component->id, 0, (uint16_t)lane->caps.address_length};
        memcpy(p, &entry, sizeof(entry));
        p += sizeof(entry);
        lane->iface->ops->iface_address(lane->iface, p);
        p += lane->caps.address_length;
    }
    *address_p = buffer;
    *length_p = length;
    return VERVE_OK;
}

verve_status_t ve_address_unpack(const void *address, size_t length,
                                 uint64_t *uid_p, ve_address_entry_t *entries,
                                 unsigned max_entries, unsigned *count_p)
{
    const uint8_t *p = address, *end = p + length;
    ve_address_header_t header;
    unsigned i, count = 0;

    if (address == NULL || length < sizeof(header)) {
        goto err_malformed;
    }
    memcpy(&header, p, sizeof(header));
    if (header.magic != VE_ADDRESS_MAGIC ||
        header.version != VE_ADDRESS_VERSION) {
        goto err_malformed;
    }
    p += sizeof(header);
    for (i = 0; i < header.count; ++i) {
        ve_address_entry_header_t entry;
        if ((size_t)(end - p) < sizeof(entry)) {
            goto err_malformed;
        }
        memcpy(&entry, p, sizeof(entry));
        p += sizeof(entry);
        if ((size_t)(end - p) < entry.length) {
            goto err_malformed;
        }
        if (count < max_entries) {
            entries[count].component_id = entry.component_id;
            entries[count].address = p;
            entries[count].length = entry.length;
            ++count;
        }
        p += entry.length;
    }
    if (p != end) {
        goto err_malformed;
    }
    *uid_p = header.uid;
    *count_p = count;
    return VERVE_OK;

err_malformed:
    vs_error("worker address of %zu bytes is malformed (not from "
             "verve_worker_address_pack of this version)", length);
    return VERVE_ERR_INVALID_PARAM;
}

VERVE_API verve_status_t verve_worker_address_pack(verve_worker_h worker,
        void **address_p, size_t *length_p)
{
    verve_status_t status;
    ve_worker_lock(worker);
    status = ve_address_pack(worker, address_p, length_p);
    ve_worker_unlock(worker);
    return status;
}

VERVE_API void verve_worker_address_release(void *address)
{
    free(address);
}
