/* The one list of transports compiled in, in order of preference. */
#include <verve_config.h>
#include "vt_iface.h"

extern const vt_component_t vt_self_component;
extern const vt_component_t vt_shm_component;
extern const vt_component_t vt_tcp_component;
#ifdef HAVE_VERBS
extern const vt_component_t vt_rc_component;
extern const vt_component_t vt_ud_component;
#endif

const vt_component_t *const vt_components[] = {
    &vt_self_component,
    &vt_shm_component,
    &vt_tcp_component,
#ifdef HAVE_VERBS
    &vt_rc_component,
    &vt_ud_component,
#endif
    NULL
};
