/*
 * verve status codes. Every call that can fail returns one of these.
 */
#ifndef VERVE_STATUS_H
#define VERVE_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VERVE_API __attribute__((visibility("default")))
#else
#define VERVE_API
#endif

typedef enum verve_status {
    VERVE_OK = 0,
    /* The operation was started and completes later through a request. */
    VERVE_INPROGRESS = 1,
    /* A resource (ring slot, send queue entry) is exhausted for now: retry
     * after progress. */
    VERVE_ERR_NO_RESOURCE = -1,
    VERVE_ERR_NO_MEMORY = -2,
    VERVE_ERR_INVALID_PARAM = -3,
    VERVE_ERR_UNSUPPORTED = -4,
    VERVE_ERR_UNREACHABLE = -5,
    /* A remote key that is malformed or does not belong to this endpoint. */
    VERVE_ERR_INVALID_RKEY = -6,
    /* An address or length outside the remote region. */
    VERVE_ERR_OUT_OF_RANGE = -7,
    /* The peer process died or closed its endpoint. */
    VERVE_ERR_PEER_FAILED = -8,
    VERVE_ERR_CANCELED = -9,
    VERVE_ERR_TIMED_OUT = -10,
    VERVE_ERR_IO = -11,
    VERVE_ERR_NO_ELEM = -12,
    VERVE_ERR_BUSY = -13,
    VERVE_ERR_MESSAGE_TRUNCATED = -14,
    /* A VERVE_* variable with a value that cannot be parsed. */
    VERVE_ERR_INVALID_CONFIG = -15,
    VERVE_ERR_LAST = -16
} verve_status_t;

/* A short, constant description of a status code. Never NULL. */
VERVE_API const char *verve_status_string(verve_status_t status);

#ifdef __cplusplus
}
#endif

#endif
