/*
 * Machine topology (cores, hardware threads, NUMA nodes) and the host
 * identity that decides which peers shared memory can reach.
 */
#include <verve_config.h>

#include "topo.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_HWLOC
#include <hwloc.h>
#endif

#include "hash.h"
#include "log.h"

#define VS_TOPO_BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"

static vs_topo_info_t vs_topo_info;
static pthread_once_t vs_topo_once = PTHREAD_ONCE_INIT;
static unsigned long long vs_topo_host;
static pthread_once_t vs_topo_host_once = PTHREAD_ONCE_INIT;

#ifdef HAVE_HWLOC
static int vs_topo_count(hwloc_topology_t topology, hwloc_obj_type_t type)
{
    int count = hwloc_get_nbobjs_by_type(topology, type);
    return (count > 0) ? count : 0;
}

/* Returns 1 when hwloc described the machine. */
static int vs_topo_detect_hwloc(vs_topo_info_t *info)
{
    hwloc_topology_t topology;

    if (hwloc_topology_init(&topology) != 0) {
        vs_debug("topo: hwloc_topology_init failed, using sysconf");
        return 0;
    }
    if (hwloc_topology_load(topology) != 0) {
        vs_debug("topo: hwloc_topology_load failed, using sysconf");
        hwloc_topology_destroy(topology);
        return 0;
    }
    info->num_pus = vs_topo_count(topology, HWLOC_OBJ_PU);
    info->num_cores = vs_topo_count(topology, HWLOC_OBJ_CORE);
    info->num_numa = vs_topo_count(topology, HWLOC_OBJ_NUMANODE);
    info->from_hwloc = 1;
    hwloc_topology_destroy(topology);
    return info->num_pus > 0;
}
#endif

static void vs_topo_detect(void)
{
    vs_topo_info_t info = {0};
    long online;

#ifdef HAVE_HWLOC
    if (!vs_topo_detect_hwloc(&info)) {
        memset(&info, 0, sizeof(info));
    }
#endif
    if (info.num_pus <= 0) {
        /* sysconf cannot tell cores from hardware threads: count each
         * thread as a core, which errs towards more parallelism. */
        online = sysconf(_SC_NPROCESSORS_ONLN);
        info.num_pus = (online > 0) ? (int)online : 1;
        info.from_hwloc = 0;
    }
    if (info.num_cores <= 0) {
        info.num_cores = info.num_pus;
    }
    if (info.num_numa <= 0) {
        info.num_numa = 1;
    }
    vs_debug("topo: %d cores, %d hardware threads, %d NUMA nodes (from %s)",
             info.num_cores, info.num_pus, info.num_numa,
             info.from_hwloc ? "hwloc" : "sysconf");
    vs_topo_info = info;
}

const vs_topo_info_t *vs_topo_get(void)
{
    pthread_once(&vs_topo_once, vs_topo_detect);
    return &vs_topo_info;
}

/* FNV-1a over the text, then mixed: boot_id is 36 characters of UUID. */
static unsigned long long vs_topo_hash_text(const char *text, size_t length)
{
    uint64_t hash = 0xcbf29ce484222325ull;

    for (size_t i = 0; i < length; ++i) {
        hash ^= (unsigned char)text[i];
        hash *= 0x100000001b3ull;
    }
    return vs_hash_u64(hash);
}

static void vs_topo_detect_host(void)
{
    char boot_id[64];
    size_t length = 0;
    FILE *file;

    /* The boot id changes at every boot and is the same in every process
     * (and container) on the kernel; gethostid() is often just derived
     * from the IP address, so it is the fallback only. */
    file = fopen(VS_TOPO_BOOT_ID_PATH, "r");
    if (file != NULL) {
        length = fread(boot_id, 1, sizeof(boot_id) - 1, file);
        fclose(file);
        while ((length > 0) && ((boot_id[length - 1] == '\n') ||
                                (boot_id[length - 1] == ' '))) {
            --length;
        }
    }
    if (length > 0) {
        vs_topo_host = vs_topo_hash_text(boot_id, length);
    } else {
        vs_debug("topo: cannot read %s, using gethostid()",
                 VS_TOPO_BOOT_ID_PATH);
        vs_topo_host = vs_hash_u64((uint64_t)(unsigned long)gethostid());
    }
}

unsigned long long vs_topo_host_id(void)
{
    pthread_once(&vs_topo_host_once, vs_topo_detect_host);
    return vs_topo_host;
}
