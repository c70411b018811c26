/* Text for the public status codes. */
#include <verve/verve_status.h>

VERVE_API const char *verve_status_string(verve_status_t status)
{
    /* A switch rather than a table indexed by -status: the codes are not
     * contiguous (VERVE_INPROGRESS is positive), and -Wswitch flags a code
     * added to the enum without a string here. */
    switch (status) {
    case VERVE_OK:
        return "success";
    case VERVE_INPROGRESS:
        return "operation in progress";
    case VERVE_ERR_NO_RESOURCE:
        return "resource temporarily exhausted";
    case VERVE_ERR_NO_MEMORY:
        return "out of memory";
    case VERVE_ERR_INVALID_PARAM:
        return "invalid parameter";
    case VERVE_ERR_UNSUPPORTED:
        return "operation not supported";
    case VERVE_ERR_UNREACHABLE:
        return "destination is unreachable";
    case VERVE_ERR_INVALID_RKEY:
        return "invalid remote key";
    case VERVE_ERR_OUT_OF_RANGE:
        return "address or length out of range";
    case VERVE_ERR_PEER_FAILED:
        return "peer failed";
    case VERVE_ERR_CANCELED:
        return "operation canceled";
    case VERVE_ERR_TIMED_OUT:
        return "operation timed out";
    case VERVE_ERR_IO:
        return "input/output error";
    case VERVE_ERR_NO_ELEM:
        return "no such element";
    case VERVE_ERR_BUSY:
        return "resource busy";
    case VERVE_ERR_MESSAGE_TRUNCATED:
        return "message truncated";
    case VERVE_ERR_INVALID_CONFIG:
        return "invalid configuration value";
    case VERVE_ERR_LAST:
        break;
    }
    return "unknown status";
}
