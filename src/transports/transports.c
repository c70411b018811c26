/* The one list of transports compiled in, in order of preference. */
#include "vt_iface.h"

extern const vt_component_t vt_self_component;
extern const vt_component_t vt_shm_component;

const vt_component_t *const vt_components[] = {
    &vt_self_component,
    &vt_shm_component,
    NULL
};
