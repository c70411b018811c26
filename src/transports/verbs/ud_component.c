/* The ud component: its entry points. Its options are the "ud" table of
 * the reliability engine (ud_config.c). No RMA: the engine emulates it
 * over active messages. */
#include "ud.h"

const vt_component_t vt_ud_component = {
    .name = "ud",
    .id = VT_UD_COMPONENT_ID,
    .config = &vt_ud_config_table,
    .iface_open = vt_ud_iface_open,
    .mem_alloc = NULL,
    .mem_reg = NULL,
    .mem_dereg = NULL,
    .rkey_packed_size = NULL,
    .rkey_pack = NULL,
    .rkey_unpack = NULL,
    .rkey_release = NULL
};
