/*
 * pml verve: where verve reads a send's bytes and writes a receive's.
 * Contiguous data stays in the user's buffer; anything else goes through
 * a packed copy made with Open MPI's convertor.
 */
#include "ompi_config.h"

#include <stdlib.h>

#include "ompi/datatype/ompi_datatype.h"
#include "opal/util/output.h"

#include "pml_verve.h"

/* malloc(0) may give NULL: an empty message still needs a pointer. */
static void *pml_verve_malloc(size_t length)
{
    return malloc(length + 1);
}

int pml_verve_pack(const void *buf, size_t count,
                   struct ompi_datatype_t *datatype, void **buffer_p,
                   size_t *length_p, void **packed_p)
{
    int rc;

    *packed_p = NULL;
    if (OPAL_LIKELY(verve_ompi_contig(buf, count, datatype, buffer_p,
                                     length_p))) {
        return OMPI_SUCCESS;
    }
    rc = verve_ompi_pack_into(buf, count, datatype, pml_verve_malloc,
                             packed_p, length_p);
    if (rc != OMPI_SUCCESS) {
        opal_output(0, PML_VERVE_NAME ": no memory to pack %zu bytes of a "
                    "non-contiguous datatype", *length_p);
        return rc;
    }
    *buffer_p = *packed_p;
    return OMPI_SUCCESS;
}

/* A receive into a non-contiguous datatype lands in a copy that
 * pml_verve_unpack spreads out; the request keeps the convertor and a
 * reference to the datatype until then. */
int pml_verve_unpacked_prepare(pml_verve_request_t *req, void *buf,
                               size_t count,
                               struct ompi_datatype_t *datatype)
{
    req->packed = NULL;
    if (OPAL_LIKELY(verve_ompi_contig(buf, count, datatype, &req->buffer,
                                         &req->length))) {
        return OMPI_SUCCESS;
    }
    OBJ_CONSTRUCT(&req->convertor, opal_convertor_t);
    req->flags |= PML_VERVE_FLAG_CONVERTOR;
    opal_convertor_copy_and_prepare_for_recv(ompi_mpi_local_convertor,
                                             &datatype->super,
                                             (int32_t)count, buf, 0,
                                             &req->convertor);
    opal_convertor_get_packed_size(&req->convertor, &req->length);
    req->packed = malloc(req->length + 1);
    if (req->packed == NULL) {
        opal_output(0, PML_VERVE_NAME ": no memory to receive %zu bytes of "
                    "a non-contiguous datatype", req->length);
        return OMPI_ERR_OUT_OF_RESOURCE;
    }
    req->buffer = req->packed;
    return OMPI_SUCCESS;
}

void pml_verve_unpack(pml_verve_request_t *req, size_t delivered)
{
    struct iovec iov = {.iov_base = req->packed, .iov_len = delivered};
    uint32_t iov_count = 1;
    size_t length = delivered;

    if (req->packed == NULL) {
        return;
    }
    if (delivered > 0) {
        (void)opal_convertor_unpack(&req->convertor, &iov, &iov_count,
                                    &length);
    }
    free(req->packed);
    req->packed = NULL;
}
