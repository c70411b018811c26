/*
 * What spml verve's component file calls in the module file.
 */
#ifndef SPML_VERVE_MODULE_H
#define SPML_VERVE_MODULE_H

#include "spml_verve.h"

BEGIN_C_DECLS

OSHMEM_MODULE_DECLSPEC extern mca_spml_base_component_2_0_0_t
        mca_spml_verve_component;
extern mca_spml_base_module_t mca_spml_verve_module;

/* Creates the context and worker, and makes the default shmem context
 * point at them. */
int spml_verve_module_init(bool enable_mpi_threads);

/* Undoes spml_verve_module_init() and whatever add_procs left. */
void spml_verve_module_fini(void);

END_C_DECLS

#endif
