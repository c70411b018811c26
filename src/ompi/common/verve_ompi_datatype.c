/* Packing and unpacking non-contiguous datatypes (verve_ompi_datatype.h). */
#include "verve_ompi_datatype.h"

#include "opal/datatype/opal_convertor.h"

int verve_ompi_pack_into(const void *buf, size_t count,
                         struct ompi_datatype_t *datatype,
                         void *(*alloc)(size_t), void **copy_p,
                         size_t *length_p)
{
    opal_convertor_t convertor;
    struct iovec iov;
    uint32_t iov_count = 1;
    size_t length;

    OBJ_CONSTRUCT(&convertor, opal_convertor_t);
    opal_convertor_copy_and_prepare_for_send(ompi_mpi_local_convertor,
                                             &datatype->super,
                                             (int32_t)count, buf, 0,
                                             &convertor);
    opal_convertor_get_packed_size(&convertor, &length);
    iov.iov_base = alloc(length);
    if (iov.iov_base == NULL) {
        OBJ_DESTRUCT(&convertor);
        *length_p = length;
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    iov.iov_len = length;
    (void)opal_convertor_pack(&convertor, &iov, &iov_count, &length);
    OBJ_DESTRUCT(&convertor);
    *copy_p = iov.iov_base;
    *length_p = length;
    return OMPI_SUCCESS;
}

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
