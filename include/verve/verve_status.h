/**
 * @file verve_status.h
 * @brief verve status codes: every call that can fail returns one.
 */
#ifndef VERVE_STATUS_H
#define VERVE_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup verve_status Status codes
 * @brief What every call that can fail returns.
 *
 * #VERVE_OK and #VERVE_INPROGRESS are not errors; every error is negative.
 * An error returned by a call means that it did nothing (unless its page
 * says otherwise) and wrote no output parameter; the same codes are the
 * final status of requests.
 * @{
 */

/** @cond VERVE_INTERNAL */
#if defined(__GNUC__)
#define VERVE_API __attribute__((visibility("default")))
#else
#define VERVE_API
#endif
/** @endcond */

/** A status code. */
typedef enum verve_status {
    /** Success; for a nonblocking call: completed in place. */
    VERVE_OK = 0,
    /** The operation was started and completes later through a request. */
    VERVE_INPROGRESS = 1,
    /** A resource (ring slot, send queue entry) is exhausted for now:
     * retry after progress. */
    VERVE_ERR_NO_RESOURCE = -1,
    /** Out of memory. */
    VERVE_ERR_NO_MEMORY = -2,
    /** An argument is wrong (the log names it). */
    VERVE_ERR_INVALID_PARAM = -3,
    /** Not possible with these transports or this build. */
    VERVE_ERR_UNSUPPORTED = -4,
    /** No transport here reaches the peer. */
    VERVE_ERR_UNREACHABLE = -5,
    /** A remote key that is malformed, does not belong to this endpoint,
     * or names a region its owner unmapped. */
    VERVE_ERR_INVALID_RKEY = -6,
    /** An address or length outside the remote region. */
    VERVE_ERR_OUT_OF_RANGE = -7,
    /** The peer process died or closed its endpoint. */
    VERVE_ERR_PEER_FAILED = -8,
    /** Canceled: a receive by verve_tag_recv_cancel(), operations by a
     * forced close. */
    VERVE_ERR_CANCELED = -9,
    /** A timeout passed. */
    VERVE_ERR_TIMED_OUT = -10,
    /** A system call or a device failed (the log says which). */
    VERVE_ERR_IO = -11,
    /** Nothing found (verve_tag_probe_nb(), verve_boot_get()). */
    VERVE_ERR_NO_ELEM = -12,
    /** The object is in a state that does not allow the call (a matched
     * receive to cancel). */
    VERVE_ERR_BUSY = -13,
    /** The message was longer than the buffer. */
    VERVE_ERR_MESSAGE_TRUNCATED = -14,
    /** A VERVE_* variable with a value that cannot be parsed. */
    VERVE_ERR_INVALID_CONFIG = -15,
    /** One below the lowest code (not a status). */
    VERVE_ERR_LAST = -16
} verve_status_t;

/**
 * @brief A short, constant description of a status code.
 *
 * Any thread, any time, from callbacks too.
 *
 * @param[in] status Any value; one that is not a status code gets a
 *                   generic description.
 * @return A constant string owned by the library; never NULL.
 */
VERVE_API const char *verve_status_string(verve_status_t status);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
