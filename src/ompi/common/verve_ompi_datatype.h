/*
 * Datatypes for verve, which moves bytes: a contiguous datatype is used in
 * place, any other is packed into (or unpacked from) a copy through Open
 * MPI's convertor. Shared by the pml and the coll components.
 */
#ifndef VERVE_OMPI_DATATYPE_H
#define VERVE_OMPI_DATATYPE_H

#include "ompi_config.h"
#include "ompi/datatype/ompi_datatype.h"

BEGIN_C_DECLS

/* Whether count elements of datatype at buf are one run of bytes; if so,
 * where it starts and how long it is. */
static inline bool verve_ompi_contig(const void *buf, size_t count,
                                     struct ompi_datatype_t *datatype,
                                     void **buffer_p, size_t *length_p)
{
    if (!ompi_datatype_is_contiguous_memory_layout(datatype,
                                                   (int32_t)count)) {
        return false;
    }
    *buffer_p = (char *)buf + datatype->super.true_lb;
    *length_p = count * datatype->super.size;
    return true;
}

/* Packs count elements at buf into a copy from alloc; on
 * OMPI_ERR_OUT_OF_RESOURCE, *length_p says how much it needed. */
int verve_ompi_pack_into(const void *buf, size_t count,
                         struct ompi_datatype_t *datatype,
                         void *(*alloc)(size_t), void **copy_p,
                         size_t *length_p);

/* Packs count elements at buf into dest, which holds their packed size
 * (count * the datatype's size). */
void verve_ompi_pack_at(const void *buf, size_t count,
                        struct ompi_datatype_t *datatype, void *dest);

/* Unpacks length packed bytes into count elements at buf. */
void verve_ompi_unpack_from(const void *packed, size_t length, void *buf,
                            size_t count, struct ompi_datatype_t *datatype);

END_C_DECLS

#endif
