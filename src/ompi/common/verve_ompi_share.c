/* Finding a component's share (verve_ompi_share.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1   /* dladdr */
#endif
#include "verve_ompi_share.h"

#include <dlfcn.h>

const verve_ompi_share_t *verve_ompi_share_find(const void *function)
{
    const verve_ompi_share_t *(*share)(void);
    const verve_ompi_share_t *found = NULL;
    Dl_info info;
    void *handle;

    if (function == NULL || dladdr(function, &info) == 0 ||
        info.dli_fname == NULL) {
        return NULL;
    }
    /* already loaded: this only takes a reference, dropped below */
    handle = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (handle == NULL) {
        return NULL;
    }
    *(void **)&share = dlsym(handle, VERVE_OMPI_SHARE_SYMBOL);
    if (share != NULL) {
        found = share();
    }
    (void)dlclose(handle);
    return found;
}
