/* Packing and unpacking non-contiguous datatypes (verve_ompi_datatype.h). */
#include "verve_ompi_datatype.h"

#include "opal/datatype/opal_convertor.h"

void verve_ompi_pack_at(const void *buf, size_t count,
                        struct ompi_datatype_t *datatype, void *dest)
{
    opal_convertor_t convertor;
    size_t length = count * datatype->super.size;
    struct iovec iov = {.iov_base = dest, .iov_len = length};
    uint32_t iov_count = 1;

    if (length == 0) {
        return;
    }
    OBJ_CONSTRUCT(&convertor, opal_convertor_t);
    opal_convertor_copy_and_prepare_for_send(ompi_mpi_local_convertor,
                                             &datatype->super,
                                             (int32_t)count, buf, 0,
                                             &convertor);
    (void)opal_convertor_pack(&convertor, &iov, &iov_count, &length);
    OBJ_DESTRUCT(&convertor);
}

void verve_ompi_unpack_from(const void *packed, size_t length, void *buf,
                            size_t count, struct ompi_datatype_t *datatype)
{
    opal_convertor_t convertor;
    struct iovec iov = {.iov_base = (void *)packed, .iov_len = length};
    uint32_t iov_count = 1;

    if (length == 0) {
        return;
    }
    OBJ_CONSTRUCT(&convertor, opal_convertor_t);
    opal_convertor_copy_and_prepare_for_recv(ompi_mpi_local_convertor,
                                             &datatype->super,
                                             (int32_t)count, buf, 0,
                                             &convertor);
    (void)opal_convertor_unpack(&convertor, &iov, &iov_count, &length);
    OBJ_DESTRUCT(&convertor);
}

/* The local convertor packs count elements into count * size bytes. */
int verve_ompi_pack_into(const void *buf, size_t count,
                         struct ompi_datatype_t *datatype,
                         void *(*alloc)(size_t), void **copy_p,
                         size_t *length_p)
{
    size_t length = count * datatype->super.size;
    void *copy = alloc(length);

    *length_p = length;
    if (copy == NULL) {
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    verve_ompi_pack_at(buf, count, datatype, copy);
    *copy_p = copy;
    return OMPI_SUCCESS;
}
