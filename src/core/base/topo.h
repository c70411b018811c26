/* Machine topology from hwloc when present, sysconf otherwise. */
#ifndef VS_TOPO_H
#define VS_TOPO_H

typedef struct vs_topo_info {
    int num_cores;      /* physical cores */
    int num_pus;        /* hardware threads */
    int num_numa;       /* NUMA nodes, at least 1 */
    int from_hwloc;
} vs_topo_info_t;

/* Cached after the first call. */
const vs_topo_info_t *vs_topo_get(void);

/* A 64-bit identifier of this host (boot id), equal for every process on
 * the host: the shared-memory transport reaches only peers that match. */
unsigned long long vs_topo_host_id(void);

#endif
