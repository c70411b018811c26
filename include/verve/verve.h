/**
 * @file verve.h
 * @brief verve: active messages, RMA and atomics over shared memory and
 * networks. Contexts, workers, endpoints, requests, active messages,
 * memory and remote keys, RMA and atomics.
 *
 * `verve_tag.h` adds tag matching, `verve_coll.h` collectives,
 * `verve_boot.h` the bootstrap and `verve_status.h` the status codes.
 */

/**
 * @mainpage verve API reference
 *
 * verve is an HPC communication library: active messages (AM), tag
 * matching, put/get, atomics and group collectives over loopback (`self`),
 * shared memory (`shm`), `tcp` and RDMA verbs (`rc`, `ud`). Include
 * `verve/verve.h` (and `verve/verve_tag.h`, `verve/verve_coll.h`,
 * `verve/verve_boot.h` as needed); link with `-lverve` (`pkg-config
 * verve`).
 *
 * The groups: @ref verve_status, @ref verve_context, @ref verve_worker,
 * @ref verve_request, @ref verve_ep, @ref verve_am, @ref verve_mem,
 * @ref verve_rma, @ref verve_atomic, @ref verve_tag, @ref verve_team,
 * @ref verve_coll, @ref verve_boot.
 *
 * The contract in brief (the page @ref verve_contract, `man
 * verve_contract`, says it in full):
 * - A nonblocking call returns #VERVE_OK when it completed in place (no
 *   request, no callback), #VERVE_INPROGRESS with a request that
 *   completes later (its callback runs then), or an error (nothing
 *   started).
 * - Threads: a #VERVE_THREAD_MODE_SINGLE worker is used by one thread at
 *   a time; a #VERVE_THREAD_MODE_MULTI worker by any thread, each call
 *   under the worker's recursive lock.
 * - Callbacks and AM handlers run inside progress (or inside the call
 *   that completes them at once), on the calling thread, with the
 *   worker's lock held; they may start operations but not block.
 * - Completion: an AM or tag send is *locally* complete (the buffer may
 *   be reused); a put and an atomic are *remotely* complete (performed in
 *   the target's memory); a get has its data in the local buffer; a flush
 *   completes when everything started before it on the endpoint has.
 * - Ordering: AMs (and tagged messages) of one endpoint are delivered in
 *   the order sent; puts, gets and atomics are not ordered among
 *   themselves or with AMs unless a verve_worker_fence() separates them.
 * - RMA that a transport cannot do natively (all of it on `tcp`, `ud`) is
 *   emulated over AM and happens only while the **target** calls
 *   progress; verve_worker_wait() wakes on such a request but does not
 *   serve it, verve_request_wait() both sleeps and serves.
 */

/**
 * @page verve_contract verve: the contract
 *
 * @section contract_scope Scope
 *
 * What every call of the API may assume and must provide; each function's
 * own page says the rest.
 *
 * @section contract_objects Objects
 *
 * A *context* (verve_context_create()) holds the configuration read from
 * the `VERVE_*` environment and the memory regions (verve_mem_map()). A
 * *worker* (verve_worker_create()) owns one interface per transport and
 * makes progress on them. An *endpoint* (verve_ep_create()) connects a
 * worker to one remote worker whose address (verve_worker_address_pack())
 * was exchanged out of band, for example with verve_boot_allgather().
 * Destroy in the reverse order: endpoints (or let verve_worker_destroy()
 * close them), workers, memory regions, the context.
 *
 * Every handle and every buffer verve returns belongs to verve until it is
 * given back with the function named on its page (verve_request_free(),
 * verve_worker_address_release(), verve_rkey_buffer_release(),
 * verve_am_data_release(), verve_rkey_destroy(), ...). Every buffer the
 * program passes stays the program's: verve copies what it must keep past
 * the call (parameter structs, AM headers, endpoint arrays of teams) and
 * says on the function's page which buffers it uses until the operation
 * completes.
 *
 * @section contract_requests Nonblocking calls and requests
 *
 * A nonblocking call (`*_nbx`, `*_nb`) returns:
 * - #VERVE_OK: it completed in place, nothing was allocated, and its
 *   callback is **not** called;
 * - #VERVE_INPROGRESS: it was started; when `request_p` is not NULL,
 *   `*request_p` names a request to test, wait for and give back with
 *   verve_request_free(); the callback of its verve_request_param_t, if
 *   any, runs once when it completes (also when `request_p` is NULL, and
 *   then the request is given back by verve after the callback);
 * - an error (a negative #verve_status_t): nothing was started (unless
 *   the function's page says otherwise), nothing was written to
 *   `*request_p`, and no callback runs.
 *
 * A request completes with a final status (#VERVE_OK or an error) that
 * verve_request_test() and verve_request_wait() return and the callback
 * receives.
 *
 * @section contract_threads Threads
 *
 * A worker's thread mode (verve_worker_params_t::thread_mode) decides who
 * may call functions that take the worker, one of its endpoints, requests,
 * teams or persistent collectives:
 * - #VERVE_THREAD_MODE_SINGLE (the default): one thread at a time. Any
 *   thread may call, but the program makes sure no two calls on one
 *   worker (and its objects) overlap. No lock is taken.
 * - #VERVE_THREAD_MODE_MULTI: any thread at any time. Each such call
 *   holds the worker's lock (a recursive mutex) for its duration, so
 *   calls on one worker are serialised. verve_request_wait() lets other
 *   threads in between its progress rounds, and verve_worker_wait() sleeps
 *   without the lock.
 *
 * Different workers are independent: each may be driven by its own thread
 * in either mode. The functions that only read a handle
 * (verve_ep_user_data(), verve_mem_address(), verve_mem_length(),
 * verve_team_rank(), verve_team_size()) and those that only free a buffer
 * verve returned (verve_worker_address_release(),
 * verve_rkey_buffer_release(), verve_am_data_release()) take no lock and
 * may be called from any thread. verve_mem_map() and verve_mem_unmap()
 * take the context's lock and may be called from any thread.
 * verve_context_create(), verve_context_destroy(), the bootstrap
 * (`verve_boot.h`) and verve_status_string() need no worker; the bootstrap
 * handle is for one thread at a time.
 *
 * @section contract_callbacks Callbacks
 *
 * verve calls the program back through request callbacks
 * (#verve_send_cb_t), AM handlers (#verve_am_recv_cb_t), endpoint error
 * callbacks (#verve_ep_error_cb_t) and user reductions
 * (#verve_coll_user_op_t). All of them run on the thread that made the
 * verve call they run inside, with the worker's lock held
 * (#VERVE_THREAD_MODE_MULTI), and never in a thread of verve's own (its
 * helper threads, the `ud` keepalive and the memory-event watcher, run no
 * program code). They run:
 * - inside progress: verve_worker_progress(), and the calls that progress
 *   the worker: verve_request_test(), verve_request_wait(),
 *   verve_worker_fence();
 * - or inside another call on the worker that completes or fails them at
 *   once: a send that finds its peer gone (the endpoint's operations fail,
 *   its error callback runs), verve_tag_recv_cancel(),
 *   verve_ep_close_nbx() with #VERVE_EP_CLOSE_FORCE,
 *   verve_worker_destroy(); and any call that starts an operation may
 *   handle replies that arrive meanwhile.
 *
 * A callback may call nonblocking functions of the same worker (start
 * operations, post receives, free requests, set handlers): the lock is
 * recursive. It may also close the endpoint whose operation or error it
 * reports (verve_ep_close_nbx()): verve keeps the endpoint's memory until
 * the callback and the completion around it have returned, and the
 * handle is invalid to the program from the close on. It must not block
 * (verve_request_wait(), verve_worker_wait(), verve_worker_fence(), the
 * bootstrap's collective calls) or destroy the worker.
 *
 * @section contract_completion What completion means
 *
 * - **AM and tag send** (verve_am_send_nbx(), verve_tag_send_nbx()):
 *   *local*. The payload buffer may be reused; the message may still be
 *   on its way. Small messages complete in place (copied); a rendezvous
 *   completes once the receiver has read the payload. A synchronous tag
 *   send (verve_tag_send_sync_nbx()) completes once a receive at the peer
 *   has matched it.
 * - **Put** (verve_put_nbx()): *remote*. The data is in the target's
 *   memory: stored through a mapping or written by `process_vm_writev`
 *   before an in-place #VERVE_OK (`shm`, `self`), acknowledged by the
 *   target's device (`rc`), or applied by the target's progress and
 *   acknowledged (emulated). The source buffer may be reused.
 * - **Get** (verve_get_nbx()): the data is in the local buffer.
 * - **Atomic** (verve_atomic_nbx()): *remote*. The operation was performed
 *   at the target, atomically with respect to the other verve atomics on
 *   that location, and its result (if any) is in `*result`.
 * - **Flush** (verve_ep_flush_nbx(), verve_worker_flush_nbx()): every
 *   operation started on the endpoint (on every endpoint of the worker)
 *   before the flush has completed in the sense above, and the transport
 *   holds nothing of them any more: what was sent is in the peer's receive
 *   queue or memory, or on `tcp` in the kernel's socket buffer. A flush
 *   does not mean that the peer's AM handlers have run.
 *
 * @section contract_ordering Ordering on one endpoint
 *
 * - AMs on one endpoint reach their handlers in the order they were sent,
 *   whatever their size or protocol; tagged messages of one endpoint are
 *   matched in the order they were sent (`verve_tag.h`).
 * - Operations that cannot start at once (a full transport) are queued on
 *   their endpoint and start in the order they were called.
 * - Puts, gets and atomics are **not** ordered with each other nor with
 *   AMs: an operation that completes in place (a mapped or CMA put) may
 *   take effect before an earlier one that goes through the target's
 *   progress or the network. verve_worker_fence() orders them: every
 *   operation started after it is performed after every operation started
 *   before it. To tell a peer that data has landed, complete the put (or
 *   flush) before sending the message that says so.
 *
 * @section contract_progress Progress, and RMA emulated over AM
 *
 * Progress is explicit: nothing moves unless some thread calls
 * verve_worker_progress() (or a call that progresses: verve_request_test(),
 * verve_request_wait(), verve_worker_fence()).
 *
 * Put, get and atomics are *native* where the transport reaches the
 * target's memory itself: `shm` puts and gets on registered memory
 * (through the mapping or CMA), `shm` atomics on memory allocated with
 * #VERVE_MEM_MAP_ALLOCATE, `self`, and `rc` RDMA reads, writes and (where
 * the device has them) 64-bit atomics. Every other operation is *emulated*
 * over AM (all of them on `tcp` and `ud`, and every one when
 * `VERVE_RMA_NATIVE=n`):
 * the target's worker applies it **only while the target calls progress**.
 * A target that computes, or blocks outside verve (verve_boot_barrier(),
 * `sleep`), leaves the initiator's emulated put, get or atomic (and any
 * flush or fence waiting for it) incomplete until it progresses again.
 *
 * verve_worker_wait() does not progress: it sleeps until an event may be
 * ready, among them the arrival of an emulated request, so a target that
 * loops on verve_worker_wait() then verve_worker_progress() serves
 * emulated RMA while it sleeps otherwise. verve_request_wait() does both:
 * it progresses, and when spinning does not help it sleeps in
 * verve_worker_wait() (with a short timeout), so a target waiting in
 * verve_request_wait() (or in a collective it waits for that way) serves
 * emulated operations too.
 *
 * An operation that has waited on its peer longer than `VERVE_STALL_WARN`
 * (default 30 s; `inf` turns it off) is warned about once, on the
 * initiator, naming the peer, the operation and what it waits for: the
 * check runs in the initiator's idle progress (verve_worker_progress(),
 * verve_request_wait()), not while it sleeps in verve_worker_wait().
 */
#ifndef VERVE_H
#define VERVE_H

#include <stddef.h>
#include <stdint.h>
#include <verve/verve_status.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup verve_context Context
 * @brief Configuration and the library's version.
 *
 * A context reads the `VERVE_*` configuration once and holds the memory
 * regions of its workers (@ref verve_mem). A process usually has one.
 * @{
 */

/** Major version of the API this header describes. */
#define VERVE_VERSION_MAJOR 0
/** Minor version of the API this header describes. */
#define VERVE_VERSION_MINOR 1

/** A context: configuration and memory regions (verve_context_create()). */
typedef struct verve_context *verve_context_h;

/**
 * @brief The library's version, as "MAJOR.MINOR.PATCH".
 *
 * Any thread, any time; may be called from a callback.
 *
 * @return A constant string owned by the library; never NULL.
 */
VERVE_API const char *verve_version_string(void);

/** Features a context is asked for (verve_context_params_t::features).
 * Only #VERVE_FEATURE_WAKEUP changes anything today: the others are
 * accepted but not enforced (an operation outside them still works). */
enum {
    VERVE_FEATURE_AM = 1u << 0,    /**< active messages (@ref verve_am) */
    VERVE_FEATURE_RMA = 1u << 1,   /**< put and get (@ref verve_rma) */
    VERVE_FEATURE_AMO32 = 1u << 2, /**< 32-bit atomics */
    VERVE_FEATURE_AMO64 = 1u << 3, /**< 64-bit atomics */
    /** verve_worker_wait() and the sleeping part of verve_request_wait()
     * (an epoll set over the transports' event descriptors). */
    VERVE_FEATURE_WAKEUP = 1u << 4
};

/** Bits of verve_context_params_t::field_mask: which fields are set. */
enum {
    /** verve_context_params_t::features is set. */
    VERVE_CONTEXT_PARAM_FIELD_FEATURES = 1u << 0,
    /** verve_context_params_t::name is set. */
    VERVE_CONTEXT_PARAM_FIELD_NAME = 1u << 1,
    /** verve_context_params_t::tls is set. */
    VERVE_CONTEXT_PARAM_FIELD_TLS = 1u << 2
};

/** Parameters of verve_context_create(). */
typedef struct verve_context_params {
    /** VERVE_CONTEXT_PARAM_FIELD_* bits: the fields that are set; the
     * others take their defaults. */
    uint64_t field_mask;
    /** VERVE_FEATURE_* bits; default: all. */
    uint64_t features;
    /** Shown in log messages; may be NULL. Copied (truncated if long). */
    const char *name;
    /** The transports when `VERVE_TLS` is not set in the environment, in
     * its syntax (a library that knows every peer shares the node passes
     * "shm,self"); a `VERVE_TLS` in the environment wins. Checked like
     * `VERVE_TLS` (#VERVE_ERR_INVALID_CONFIG for an unknown name). Read
     * during the call only; may be NULL (then `VERVE_TLS`, else all). */
    const char *tls;
} verve_context_params_t;

/**
 * @brief Creates a context: reads and checks the `VERVE_*` configuration.
 *
 * Unless `VERVE_HANDLE_ERRORS=none`, it also installs, as UCX does by
 * default, handlers of SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT that
 * print a backtrace to stderr and then hand the signal to the handler
 * they replaced (by default the process then dies of it). A program that
 * installs its own handlers later replaces them; the next context
 * creation puts them back in front, chaining to the program's. Any
 * thread. Not from a callback.
 *
 * @param[in] params     What to create; NULL for every default. Read during
 *                       the call only.
 * @param[out] context_p Receives the context on success; untouched on
 *                       failure. Must not be NULL.
 * @return #VERVE_OK; #VERVE_ERR_INVALID_CONFIG when a `VERVE_*` variable
 *         is malformed (the variable and its accepted values are logged);
 *         #VERVE_ERR_INVALID_PARAM; #VERVE_ERR_NO_MEMORY.
 */
VERVE_API verve_status_t verve_context_create(
        const verve_context_params_t *params, verve_context_h *context_p);

/**
 * @brief Destroys a context.
 *
 * Call it after every worker of the context was destroyed and every
 * memory region unmapped (a region still mapped is warned about and
 * leaked). No other call may use the context during or after it. Not from
 * a callback.
 *
 * @param[in] context The context; NULL does nothing.
 */
VERVE_API void verve_context_destroy(verve_context_h context);

/** @} */

/**
 * @defgroup verve_worker Worker
 * @brief Progress engine: transports, progress, sleep, thread mode.
 *
 * A worker opens one interface per transport available here and moves
 * every operation of its endpoints when progressed. It is the unit of
 * thread safety (see verve_thread_mode_t).
 * @{
 */

/** A worker: the transports' interfaces and their progress. */
typedef struct verve_worker *verve_worker_h;

/** Who may call the functions of one worker and its objects. */
typedef enum verve_thread_mode {
    /** One thread at a time (any thread; the program serialises the calls
     * on the worker, its endpoints, requests and teams). No locks. */
    VERVE_THREAD_MODE_SINGLE = 0,
    /** Any thread at any time: each call holds the worker's recursive
     * lock, so calls on one worker run one after the other. */
    VERVE_THREAD_MODE_MULTI = 1
} verve_thread_mode_t;

/** Bits of verve_worker_params_t::field_mask. */
enum {
    /** verve_worker_params_t::thread_mode is set. */
    VERVE_WORKER_PARAM_FIELD_THREAD_MODE = 1u << 0
};

/** Parameters of verve_worker_create(). */
typedef struct verve_worker_params {
    /** VERVE_WORKER_PARAM_FIELD_* bits: the fields that are set. */
    uint64_t field_mask;
    /** Default #VERVE_THREAD_MODE_SINGLE. */
    verve_thread_mode_t thread_mode;
} verve_worker_params_t;

/**
 * @brief Creates a worker and opens the transports available here.
 *
 * A transport that does not open here is left out (with a warning when
 * it was asked for by name in `VERVE_TLS`). Any thread; the context may
 * be shared by workers of several threads. Not from a callback.
 *
 * @param[in] context   The context; must not be NULL, and must outlive the
 *                      worker.
 * @param[in] params    NULL for defaults; read during the call only.
 * @param[out] worker_p Receives the worker; untouched on failure. Must not
 *                      be NULL.
 * @return #VERVE_OK; #VERVE_ERR_INVALID_PARAM (NULL context or worker_p,
 *         unknown thread mode); #VERVE_ERR_INVALID_CONFIG (a transport's
 *         settings, named in the log); #VERVE_ERR_UNREACHABLE (no
 *         transport opened); #VERVE_ERR_NO_MEMORY; #VERVE_ERR_IO.
 */
VERVE_API verve_status_t verve_worker_create(verve_context_h context,
        const verve_worker_params_t *params, verve_worker_h *worker_p);

/**
 * @brief Destroys a worker, closing with force the endpoints still open.
 *
 * Operations still running on them complete with #VERVE_ERR_CANCELED
 * (flushes with #VERVE_OK), their callbacks running inside this call.
 * Teams and persistent collectives of the worker must have been destroyed
 * first. No other call on the worker or its objects may run during or
 * after it; not from a callback.
 *
 * @param[in] worker The worker; NULL does nothing.
 */
VERVE_API void verve_worker_destroy(verve_worker_h worker);

/**
 * @brief The worker's address, to hand to peers for verve_ep_create().
 *
 * Worker's thread mode rules; may be called from a callback.
 *
 * @param[in] worker     The worker.
 * @param[out] address_p Receives a buffer owned by the caller, to give
 *                       back with verve_worker_address_release().
 * @param[out] length_p  Receives its length in bytes.
 * @return #VERVE_OK or #VERVE_ERR_NO_MEMORY.
 */
VERVE_API verve_status_t verve_worker_address_pack(verve_worker_h worker,
        void **address_p, size_t *length_p);

/**
 * @brief Gives back an address from verve_worker_address_pack().
 *
 * Any thread; may be called from a callback.
 *
 * @param[in] address The address; NULL does nothing.
 */
VERVE_API void verve_worker_address_release(void *address);

/**
 * @brief Makes progress on every transport of the worker.
 *
 * Delivers received messages (running AM handlers), serves the RMA other
 * workers emulate on this one, starts queued operations, completes
 * requests (running their callbacks), and when idle, every
 * `VERVE_FAILURE_CHECK` (100 ms), checks that peers are alive (running
 * error callbacks). Never blocks.
 *
 * Worker's thread mode rules. May be called from a callback (it then runs
 * nested), though a callback that progresses should not need to.
 *
 * @param[in] worker The worker.
 * @return How many events it handled; 0 when there was nothing to do.
 */
VERVE_API unsigned verve_worker_progress(verve_worker_h worker);

/**
 * @brief Sleeps until an event may be ready on the worker.
 *
 * Events are a message arriving on a transport (an AM, a reply, an
 * emulated put, get or atomic another worker sends here), a peer process
 * that exits, or a wakeup a transport arms for itself. verve_worker_wait()
 * does not progress: call verve_worker_progress() after it returns (a
 * wakeup may be spurious). Returns at once when operations are queued on
 * an endpoint or a transport has events pending.
 *
 * Worker's thread mode rules; under #VERVE_THREAD_MODE_MULTI it sleeps
 * without the worker's lock, so other threads may progress meanwhile. Not
 * from a callback.
 *
 * @param[in] worker     The worker; its context needs
 *                       #VERVE_FEATURE_WAKEUP.
 * @param[in] timeout_ms Longest sleep in milliseconds; -1: no limit; 0:
 *                       only look.
 * @return #VERVE_OK when woken or when events were already pending;
 *         #VERVE_ERR_TIMED_OUT on timeout; #VERVE_ERR_UNSUPPORTED without
 *         #VERVE_FEATURE_WAKEUP; #VERVE_ERR_IO when `epoll_wait` failed.
 */
VERVE_API verve_status_t verve_worker_wait(verve_worker_h worker,
        int timeout_ms);

/** @} */

/**
 * @defgroup verve_request Requests
 * @brief Operations that complete later, and the parameters of every
 * nonblocking call.
 *
 * A nonblocking call returns #VERVE_OK (completed in place, no request,
 * no callback), #VERVE_INPROGRESS with a request in `*request_p`, or an
 * error. A request completes once; its callback, if set, runs then (see
 * @ref verve_contract on where callbacks run). Give every request handed
 * to the program back with verve_request_free(), before or after it
 * completes.
 * @{
 */

/** An operation in progress. Owned by verve; the program holds it from
 * the call that returned it until verve_request_free(). */
typedef struct verve_request *verve_request_h;

/**
 * @brief Called once when a request completes.
 *
 * Runs inside progress (or inside the call that completes the request at
 * once; see @ref verve_contract), on the calling thread, with the worker's
 * lock held under #VERVE_THREAD_MODE_MULTI. Never runs for a call that returned
 * #VERVE_OK or an error. It may free the request (verve_request_free()),
 * start other operations, post receives and close the request's endpoint
 * (verve_ep_close_nbx()); it must not block or destroy the worker.
 *
 * @param request   The request; valid during the callback, and after it
 *                  until verve_request_free() when the call handed it to
 *                  the program (a request started with `request_p` NULL
 *                  is given back by verve after the callback).
 * @param status    Its final status: #VERVE_OK or an error.
 * @param user_data verve_request_param_t::user_data.
 */
typedef void (*verve_send_cb_t)(verve_request_h request,
        verve_status_t status, void *user_data);

/** How a buffer and a count describe a payload. */
typedef enum verve_datatype {
    /** The buffer is bytes; count is a byte count. */
    VERVE_DATATYPE_CONTIG = 0,
    /** The buffer is an array of count verve_iov_t (the array and the
     * memory it names follow the buffer's lifetime rules). */
    VERVE_DATATYPE_IOV = 1
} verve_datatype_t;

/** One piece of a scattered payload (#VERVE_DATATYPE_IOV). */
typedef struct verve_iov {
    void *buffer;  /**< start of the piece; NULL only if length is 0 */
    size_t length; /**< bytes in the piece */
} verve_iov_t;

/** Bits of verve_request_param_t::op_attr_mask: which fields are set. */
enum {
    VERVE_OP_ATTR_FIELD_CALLBACK = 1u << 0,  /**< cb is set */
    VERVE_OP_ATTR_FIELD_USER_DATA = 1u << 1, /**< user_data is set */
    VERVE_OP_ATTR_FIELD_DATATYPE = 1u << 2,  /**< datatype is set */
    VERVE_OP_ATTR_FIELD_FLAGS = 1u << 3,     /**< flags is set */
    VERVE_OP_ATTR_FIELD_RECV_INFO = 1u << 4  /**< recv_info is set */
};

/** Flags of AM and tag sends (verve_request_param_t::flags). */
enum {
    /** Force the eager protocol (the call fails with
     * #VERVE_ERR_INVALID_PARAM when the message exceeds the lane's eager
     * limit). */
    VERVE_AM_SEND_FLAG_EAGER = 1u << 0,
    /** Force rendezvous. */
    VERVE_AM_SEND_FLAG_RNDV = 1u << 1
};

struct verve_tag_recv_info;

/**
 * Parameters every nonblocking call takes (`param`). NULL, or a mask of
 * 0, means no callback, no user data, contiguous data, no flags. Read
 * during the call only, except recv_info.
 */
typedef struct verve_request_param {
    /** VERVE_OP_ATTR_FIELD_* bits: the fields that are set. */
    uint64_t op_attr_mask;
    /** Called once when the request completes (#verve_send_cb_t); only
     * when the call returned #VERVE_INPROGRESS. */
    verve_send_cb_t cb;
    /** Passed to cb. */
    void *user_data;
    /** Payload layout of AM and tag sends; default
     * #VERVE_DATATYPE_CONTIG. */
    verve_datatype_t datatype;
    /** VERVE_AM_SEND_FLAG_* (AM and tag sends). */
    uint32_t flags;
    /** Tag receives (`verve_tag.h`): where the sender's tag and length are
     * written; must stay valid until the receive completes. */
    struct verve_tag_recv_info *recv_info;
} verve_request_param_t;

/**
 * @brief Whether a request has completed; progresses the worker once if
 * it has not.
 *
 * Worker's thread mode rules. May be called from a callback.
 *
 * @param[in] request A request not yet given back (verve_request_free()).
 * @return #VERVE_INPROGRESS while it runs, then its final status.
 */
VERVE_API verve_status_t verve_request_test(verve_request_h request);

/**
 * @brief Progresses the worker until the request completes.
 *
 * After `VERVE_SPIN_COUNT` idle progress calls it sleeps in
 * verve_worker_wait() (10 ms at most, then looks again) when the context
 * has #VERVE_FEATURE_WAKEUP, so that oversubscribed nodes do not spin.
 * Under #VERVE_THREAD_MODE_MULTI other threads may call in between
 * progress rounds. Waits forever for a request that needs a peer that
 * never progresses (see @ref verve_contract on emulated RMA). Not from a
 * callback.
 *
 * @param[in] worker  The request's worker.
 * @param[in] request A request not yet given back.
 * @return The request's final status.
 */
VERVE_API verve_status_t verve_request_wait(verve_worker_h worker,
        verve_request_h request);

/**
 * @brief Gives a request back.
 *
 * A request still running keeps running, its callback still runs, and it
 * is released when it completes; the program must not use the handle
 * again in any case. Worker's thread mode rules; may be called from any
 * callback, the request's own included.
 *
 * @param[in] request A request handed to the program and not given back
 *                    yet.
 */
VERVE_API void verve_request_free(verve_request_h request);

/** @} */

/**
 * @defgroup verve_ep Endpoints
 * @brief Connections to remote workers: create, flush, fence, close.
 *
 * An endpoint connects a worker to one remote worker through the lane
 * (transport) picked from the peer's address. Every call on an endpoint
 * follows its worker's thread mode.
 * @{
 */

/** An endpoint: this worker's connection to one remote worker. */
typedef struct verve_ep *verve_ep_h;

/**
 * @brief Called once when the endpoint's peer is found failed (its
 * process died or its transport reports an error).
 *
 * Runs inside progress (the periodic liveness check, a transport error) or
 * inside a send on the endpoint that found the peer gone; on the calling
 * thread, with the worker's lock held (#VERVE_THREAD_MODE_MULTI). Before
 * it runs, every operation queued on the endpoint or waiting for a reply
 * has completed with the error (their callbacks ran; an operation a device
 * still holds completes when the device reports it); later operations on
 * it fail at once with that error. It may close the endpoint
 * (verve_ep_close_nbx(), in place since the peer failed); the handle is
 * then invalid once the close returns.
 *
 * @param arg    verve_ep_params_t::err_arg.
 * @param ep     The endpoint, still valid.
 * @param status Why: usually #VERVE_ERR_PEER_FAILED.
 */
typedef void (*verve_ep_error_cb_t)(void *arg, verve_ep_h ep,
        verve_status_t status);

/** Bits of verve_ep_params_t::field_mask. */
enum {
    /** address and address_length are set (required). */
    VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS = 1u << 0,
    /** err_cb and err_arg are set. */
    VERVE_EP_PARAM_FIELD_ERR_HANDLER = 1u << 1,
    /** user_data is set. */
    VERVE_EP_PARAM_FIELD_USER_DATA = 1u << 2
};

/** Parameters of verve_ep_create(). */
typedef struct verve_ep_params {
    /** VERVE_EP_PARAM_FIELD_* bits: the fields that are set. */
    uint64_t field_mask;
    /** The peer's address from verve_worker_address_pack(); read during
     * the call only. */
    const void *address;
    /** Its length in bytes. */
    size_t address_length;
    /** Called once when the peer fails (#verve_ep_error_cb_t); NULL: not
     * called. */
    verve_ep_error_cb_t err_cb;
    /** Passed to err_cb. */
    void *err_arg;
    /** Returned by verve_ep_user_data(); verve never reads it. */
    void *user_data;
} verve_ep_params_t;

/**
 * @brief Creates an endpoint to the worker whose address is given.
 *
 * Local: the connection is set up as operations need it, through the
 * worker's progress. One endpoint per peer is enough; it may also be used
 * to reach a worker of this same process (loopback). Worker's thread mode
 * rules; may be called from a callback.
 *
 * @param[in] worker The local worker.
 * @param[in] params Must set #VERVE_EP_PARAM_FIELD_REMOTE_ADDRESS; read
 *                   during the call only.
 * @param[out] ep_p  Receives the endpoint; untouched on failure.
 * @return #VERVE_OK; #VERVE_ERR_INVALID_PARAM (no address, or one that is
 *         not from verve_worker_address_pack() of this version);
 *         #VERVE_ERR_UNREACHABLE when no transport here reaches the peer;
 *         #VERVE_ERR_NO_MEMORY.
 */
VERVE_API verve_status_t verve_ep_create(verve_worker_h worker,
        const verve_ep_params_t *params, verve_ep_h *ep_p);

/** How verve_ep_close_nbx() treats operations still running. */
typedef enum verve_ep_close_mode {
    /** Complete outstanding operations first (a flush), then close. */
    VERVE_EP_CLOSE_FLUSH = 0,
    /** Close at once: outstanding operations complete with
     * #VERVE_ERR_CANCELED (flushes with #VERVE_OK), their callbacks
     * running inside the call. */
    VERVE_EP_CLOSE_FORCE = 1
} verve_ep_close_mode_t;

/**
 * @brief Closes an endpoint.
 *
 * With #VERVE_EP_CLOSE_FORCE, or on an endpoint whose peer failed, it is
 * closed in place. With #VERVE_EP_CLOSE_FLUSH the close waits, like
 * verve_ep_flush_nbx(), for what was started on it, needing this worker's
 * progress (and for emulated RMA the peer's). Remote keys unpacked on the
 * endpoint must not be used after the call, only destroyed. Teams whose
 * member it is must have been destroyed. Worker's thread mode rules; may
 * be called from a callback, that of an operation on this endpoint or
 * its error callback included (the memory is freed once that callback
 * returns). Closing it twice is an error.
 *
 * @param[in] ep         The endpoint; the handle is invalid after the
 *                       call unless it returned #VERVE_ERR_NO_MEMORY.
 * @param[in] mode       #VERVE_EP_CLOSE_FLUSH or #VERVE_EP_CLOSE_FORCE.
 * @param[in] param      Callback and user data for the close; may be
 *                       NULL.
 * @param[out] request_p With #VERVE_INPROGRESS, the request that completes
 *                       once the endpoint is gone; may be NULL.
 * @return #VERVE_OK when closed in place; #VERVE_INPROGRESS; the flush's
 *         error (the endpoint is closed anyway); #VERVE_ERR_NO_MEMORY
 *         (nothing done).
 */
VERVE_API verve_status_t verve_ep_close_nbx(verve_ep_h ep,
        verve_ep_close_mode_t mode, const verve_request_param_t *param,
        verve_request_h *request_p);

/**
 * @brief The user_data given at verve_ep_create().
 *
 * Any thread; takes no lock; may be called from a callback.
 *
 * @param[in] ep An endpoint the program created.
 * @return verve_ep_params_t::user_data, or NULL when none was set.
 */
VERVE_API void *verve_ep_user_data(verve_ep_h ep);

/**
 * @brief Completes once every operation started on the endpoint before it
 * has completed (see @ref verve_contract on what completion means).
 *
 * Operations started after the call are not waited for. On a transport
 * whose kernel delivers by itself (`tcp`) what was sent counts once all of
 * its bytes left verve for the kernel: from then on nothing started on the
 * endpoint needs this process's progress, so it may block outside verve
 * (verve_boot_barrier()). Until then the flush needs progress here, and
 * may need the peer's (to make room in a full ring or socket buffer, to
 * answer a new connection, to apply emulated RMA). Worker's thread mode
 * rules; may be called from a callback.
 *
 * @param[in] ep         The endpoint.
 * @param[in] param      Callback and user data; may be NULL.
 * @param[out] request_p With #VERVE_INPROGRESS, the flush's request; may be
 *                       NULL (then only the callback reports completion).
 * @return #VERVE_OK when nothing was outstanding; #VERVE_INPROGRESS; the
 *         endpoint's error when its peer failed; #VERVE_ERR_NO_MEMORY.
 */
VERVE_API verve_status_t verve_ep_flush_nbx(verve_ep_h ep,
        const verve_request_param_t *param, verve_request_h *request_p);

/**
 * @brief verve_ep_flush_nbx() on every endpoint of the worker, as one
 * request.
 *
 * Worker's thread mode rules; may be called from a callback.
 *
 * @param[in] worker     The worker.
 * @param[in] param      Callback and user data; may be NULL.
 * @param[out] request_p With #VERVE_INPROGRESS, the request; may be NULL.
 * @return #VERVE_OK when nothing was outstanding; #VERVE_INPROGRESS; the
 *         first endpoint's error (the others are still flushed);
 *         #VERVE_ERR_NO_MEMORY.
 */
VERVE_API verve_status_t verve_worker_flush_nbx(verve_worker_h worker,
        const verve_request_param_t *param, verve_request_h *request_p);

/**
 * @brief Orders operations: those started on an endpoint after the fence
 * are performed after those started before it.
 *
 * Blocking: it is a worker flush waited for with verve_request_wait(), so
 * it needs the peers' progress where their RMA is emulated. Operations
 * that completed in place are already ordered. Worker's thread mode rules;
 * not from a callback.
 *
 * @param[in] worker The worker.
 * @return #VERVE_OK, or the flush's error.
 */
VERVE_API verve_status_t verve_worker_fence(verve_worker_h worker);

/** @} */

/**
 * @defgroup verve_am Active messages
 * @brief A header and a payload sent to a handler the receiver registered
 * under a small id.
 *
 * Small payloads go eagerly (copied into the transport); large ones by
 * rendezvous (the receiver reads them from the sender's memory, or they
 * come as fragments where it cannot). Handlers run inside the receiver's
 * progress. AMs on one endpoint reach their handlers in the order sent.
 * @{
 */

/** Handler ids are below this: 0 to VERVE_AM_ID_MAX - 1. */
#define VERVE_AM_ID_MAX 256

/** Handler flags (verve_am_handler_params_t::flags). */
enum {
    /** The handler may keep eager data past its return: it returns
     * #VERVE_INPROGRESS and gives the data back later with
     * verve_am_data_release(). Such a handler receives its own copy of
     * the payload (verve pays a copy per message). */
    VERVE_AM_FLAG_PERSISTENT_DATA = 1u << 0
};

/** What a handler receives (verve_am_recv_param_t::recv_attr). */
enum {
    /** data points to the whole payload. */
    VERVE_AM_RECV_ATTR_FLAG_DATA = 1u << 0,
    /** data is a rendezvous descriptor: receive the payload with
     * verve_am_recv_data_nbx(), or return without doing so to drop it (the
     * sender then completes with #VERVE_OK). */
    VERVE_AM_RECV_ATTR_FLAG_RNDV = 1u << 1
};

/** More about a received AM, for its handler. Valid during the handler
 * only. */
typedef struct verve_am_recv_param {
    /** VERVE_AM_RECV_ATTR_FLAG_*. */
    uint64_t recv_attr;
    /** An endpoint back to the sender, to reply on; NULL when none could
     * be made. It belongs to the worker: the program's own endpoint to the
     * sender when it has one, otherwise one verve made, which the program
     * must not close. */
    verve_ep_h reply_ep;
} verve_am_recv_param_t;

/**
 * @brief An AM handler.
 *
 * Runs inside the receiver's progress (verve_worker_progress() and the
 * calls that progress), on the calling thread, with the worker's lock held
 * under #VERVE_THREAD_MODE_MULTI, once per message, in the order the
 * messages of one endpoint were sent. It may call the worker's nonblocking
 * functions (reply on param->reply_ep, post receives) but must not block.
 *
 * @param arg           verve_am_handler_params_t::arg.
 * @param header        The sender's header; valid during the call only.
 * @param header_length Its length in bytes.
 * @param data          The payload (#VERVE_AM_RECV_ATTR_FLAG_DATA), valid
 *                      during the call only unless the handler has
 *                      #VERVE_AM_FLAG_PERSISTENT_DATA and returns
 *                      #VERVE_INPROGRESS; or a rendezvous descriptor
 *                      (#VERVE_AM_RECV_ATTR_FLAG_RNDV).
 * @param length        Payload length in bytes (for a descriptor: the
 *                      length the sender sent).
 * @param param         recv_attr and reply_ep; valid during the call only.
 * @return #VERVE_OK when done with data; #VERVE_INPROGRESS to keep it:
 *         eager data of a #VERVE_AM_FLAG_PERSISTENT_DATA handler (give it
 *         back with verve_am_data_release()), or a rendezvous descriptor
 *         to receive later with verve_am_recv_data_nbx() (the sender waits
 *         until then). Other handlers' eager data is not kept whatever
 *         they return.
 */
typedef verve_status_t (*verve_am_recv_cb_t)(void *arg, const void *header,
        size_t header_length, void *data, size_t length,
        const verve_am_recv_param_t *param);

/** Bits of verve_am_handler_params_t::field_mask. */
enum {
    VERVE_AM_HANDLER_PARAM_FIELD_ID = 1u << 0,   /**< id is set (required) */
    VERVE_AM_HANDLER_PARAM_FIELD_CB = 1u << 1,   /**< cb is set */
    VERVE_AM_HANDLER_PARAM_FIELD_ARG = 1u << 2,  /**< arg is set */
    VERVE_AM_HANDLER_PARAM_FIELD_FLAGS = 1u << 3 /**< flags is set */
};

/** Parameters of verve_worker_set_am_handler(). */
typedef struct verve_am_handler_params {
    /** VERVE_AM_HANDLER_PARAM_FIELD_* bits: the fields that are set. */
    uint64_t field_mask;
    /** The handler id, below #VERVE_AM_ID_MAX. */
    unsigned id;
    /** The handler; NULL (or not set) removes the id's handler. */
    verve_am_recv_cb_t cb;
    /** Passed to cb. */
    void *arg;
    /** VERVE_AM_FLAG_*. */
    uint32_t flags;
} verve_am_handler_params_t;

/**
 * @brief Sets (or removes) the handler of an AM id on the worker.
 *
 * Messages for an id without a handler are dropped with a warning: set
 * handlers before peers may send. Worker's thread mode rules; may be
 * called from a callback or handler.
 *
 * @param[in] worker The worker.
 * @param[in] params The id, handler, argument and flags; read during the
 *                   call only.
 * @return #VERVE_OK; #VERVE_ERR_INVALID_PARAM when params is NULL or the id
 *         is missing or out of range.
 */
VERVE_API verve_status_t verve_worker_set_am_handler(verve_worker_h worker,
        const verve_am_handler_params_t *params);

/**
 * @brief Sends an active message: header and payload to handler id of the
 * peer.
 *
 * Completion is local (the payload buffer may be reused): in place for
 * small messages, later for large ones (after the receiver has read the
 * payload). Worker's thread mode rules; may be called from a callback or
 * handler.
 *
 * @param[in] ep            The endpoint.
 * @param[in] id            The receiver's handler id, below
 *                          #VERVE_AM_ID_MAX.
 * @param[in] header        Header bytes, copied before the call returns;
 *                          NULL only when header_length is 0.
 * @param[in] header_length Header length, at most 65535 bytes.
 * @param[in] buffer        The payload: count bytes, or an array of count
 *                          verve_iov_t with #VERVE_DATATYPE_IOV. It (the
 *                          iov array and the memory it names included)
 *                          must stay valid and unchanged until the call
 *                          returns #VERVE_OK or its request completes. NULL
 *                          only when count is 0.
 * @param[in] count         Bytes, or iov entries.
 * @param[in] param         Callback, user data, datatype and
 *                          VERVE_AM_SEND_FLAG_* flags; may be NULL.
 * @param[out] request_p    With #VERVE_INPROGRESS, the request; may be
 *                          NULL.
 * @return #VERVE_OK (sent in place); #VERVE_INPROGRESS;
 *         #VERVE_ERR_INVALID_PARAM (bad id, header, datatype, or a forced
 *         eager message past the eager limit); #VERVE_ERR_UNSUPPORTED (a
 *         rendezvous the lane cannot carry with this header);
 *         #VERVE_ERR_NO_MEMORY; the endpoint's error when its peer failed.
 */
VERVE_API verve_status_t verve_am_send_nbx(verve_ep_h ep, unsigned id,
        const void *header, size_t header_length, const void *buffer,
        size_t count, const verve_request_param_t *param,
        verve_request_h *request_p);

/**
 * @brief Receives the payload of a rendezvous AM into buffer.
 *
 * Called from inside the handler that got #VERVE_AM_RECV_ATTR_FLAG_RNDV,
 * or later if that handler returned #VERVE_INPROGRESS to keep the
 * descriptor (the sender waits until then). Without request_p and
 * callback the data is in buffer when the call returns #VERVE_OK; with
 * either, a large message may return #VERVE_INPROGRESS and complete later,
 * both sides copying at once. Over RDMA the read always completes later:
 * there a request pointer or a callback is required. Worker's thread mode
 * rules; may be called from the handler (that is its first use) or from
 * any callback.
 *
 * @param[in] worker     The worker the handler ran on.
 * @param[in] data_desc  The descriptor the handler received as data;
 *                       consumed by the call unless it returns
 *                       #VERVE_ERR_INVALID_PARAM.
 * @param[out] buffer    Receives the payload; holds at least the handler's
 *                       length bytes; must stay valid until the call
 *                       returns #VERVE_OK or its request completes.
 * @param[in] length     Size of buffer.
 * @param[in] param      Callback and user data; may be NULL.
 * @param[out] request_p With #VERVE_INPROGRESS, the request; may be NULL.
 * @return #VERVE_OK (data in buffer); #VERVE_INPROGRESS;
 *         #VERVE_ERR_INVALID_PARAM (a descriptor already received, or
 *         buffer NULL for a non-empty payload; nothing done);
 *         #VERVE_ERR_MESSAGE_TRUNCATED when length is smaller than the
 *         payload (the message is dropped); #VERVE_ERR_UNSUPPORTED for an
 *         RDMA read without request_p or callback (the message is
 *         dropped); another error from the read (the sender completes
 *         with it too).
 */
VERVE_API verve_status_t verve_am_recv_data_nbx(verve_worker_h worker,
        void *data_desc, void *buffer, size_t length,
        const verve_request_param_t *param, verve_request_h *request_p);

/**
 * @brief Gives back eager data kept by a #VERVE_AM_FLAG_PERSISTENT_DATA
 * handler that returned #VERVE_INPROGRESS.
 *
 * Any thread; takes no lock; may be called from a callback or handler.
 *
 * @param[in] worker The worker the handler ran on.
 * @param[in] data   The data pointer the handler received.
 */
VERVE_API void verve_am_data_release(verve_worker_h worker, void *data);

/** @} */

/**
 * @defgroup verve_mem Memory and remote keys
 * @brief Registering memory, and naming it to peers for RMA and atomics.
 *
 * A region registered with verve_mem_map() is reachable by peers through
 * its packed remote key (verve_rkey_pack()), which a peer unpacks on its
 * endpoint to this worker (verve_rkey_unpack()). Every access through a
 * key is checked against the region: outside it fails with
 * #VERVE_ERR_OUT_OF_RANGE and touches nothing.
 * @{
 */

/** A registered memory region of a context. */
typedef struct verve_mem *verve_mem_h;
/** A peer's region, unpacked on one endpoint. */
typedef struct verve_rkey *verve_rkey_h;

/** Bits of verve_mem_map_params_t::field_mask. */
enum {
    VERVE_MEM_MAP_PARAM_FIELD_ADDRESS = 1u << 0, /**< address is set */
    VERVE_MEM_MAP_PARAM_FIELD_LENGTH = 1u << 1,  /**< length (required) */
    VERVE_MEM_MAP_PARAM_FIELD_FLAGS = 1u << 2    /**< flags is set */
};

/** Flags of verve_mem_map() (verve_mem_map_params_t::flags). */
enum {
    /** Allocate the memory (address is ignored). Allocated memory is
     * shareable: peers on the node reach it with plain loads and stores,
     * atomics included; it is freed by verve_mem_unmap(). */
    VERVE_MEM_MAP_ALLOCATE = 1u << 0
};

/** Parameters of verve_mem_map(). */
typedef struct verve_mem_map_params {
    /** VERVE_MEM_MAP_PARAM_FIELD_* bits: the fields that are set. */
    uint64_t field_mask;
    /** Start of the program's memory to register (required without
     * #VERVE_MEM_MAP_ALLOCATE); it stays the program's, and must stay
     * mapped until verve_mem_unmap(). */
    void *address;
    /** Bytes; not 0. */
    size_t length;
    /** VERVE_MEM_MAP_* flags. */
    uint32_t flags;
} verve_mem_map_params_t;

/**
 * @brief Registers (or allocates) a memory region with every transport
 * that can reach memory.
 *
 * A transport that cannot register it leaves its peers to emulated RMA.
 * Any thread (the context's lock protects its key table); may be called
 * from a callback.
 *
 * @param[in] context The context.
 * @param[in] params  Address, length, flags; read during the call only.
 * @param[out] memh_p Receives the region; untouched on failure.
 * @return #VERVE_OK; #VERVE_ERR_INVALID_PARAM (no length, or no address
 *         without #VERVE_MEM_MAP_ALLOCATE); #VERVE_ERR_NO_MEMORY.
 */
VERVE_API verve_status_t verve_mem_map(verve_context_h context,
        const verve_mem_map_params_t *params, verve_mem_h *memh_p);

/**
 * @brief Deregisters a region (and frees it if verve allocated it).
 *
 * Peers' emulated operations through its keys then fail with
 * #VERVE_ERR_INVALID_RKEY; the program makes sure no native operation
 * (mapped, CMA, RDMA) still targets it, for example with a flush at the
 * peers and a message of its own. Any thread; may be called from a
 * callback.
 *
 * @param[in] context The region's context.
 * @param[in] memh    The region; invalid after the call.
 * @return #VERVE_OK; #VERVE_ERR_INVALID_PARAM when memh is NULL or of
 *         another context.
 */
VERVE_API verve_status_t verve_mem_unmap(verve_context_h context,
        verve_mem_h memh);

/**
 * @brief Start of the region (the memory verve allocated, with
 * #VERVE_MEM_MAP_ALLOCATE).
 *
 * Any thread; takes no lock; may be called from a callback.
 *
 * @param[in] memh The region.
 * @return Its first byte.
 */
VERVE_API void *verve_mem_address(verve_mem_h memh);

/**
 * @brief Length of the region in bytes.
 *
 * Any thread; takes no lock; may be called from a callback.
 *
 * @param[in] memh The region.
 * @return Its length.
 */
VERVE_API size_t verve_mem_length(verve_mem_h memh);

/**
 * @brief Packs the region's remote key: a byte string that names it for
 * peers.
 *
 * Any thread; may be called from a callback.
 *
 * @param[in] context        The region's context.
 * @param[in] memh           The region.
 * @param[out] rkey_buffer_p Receives a buffer owned by the caller, to give
 *                           back with verve_rkey_buffer_release().
 * @param[out] length_p      Receives its length in bytes.
 * @return #VERVE_OK or #VERVE_ERR_NO_MEMORY.
 */
VERVE_API verve_status_t verve_rkey_pack(verve_context_h context,
        verve_mem_h memh, void **rkey_buffer_p, size_t *length_p);

/**
 * @brief Gives back a buffer from verve_rkey_pack().
 *
 * Any thread; may be called from a callback.
 *
 * @param[in] rkey_buffer The buffer; NULL does nothing.
 */
VERVE_API void verve_rkey_buffer_release(void *rkey_buffer);

/**
 * @brief Unpacks a peer's remote key for use on one endpoint.
 *
 * The bytes come from a peer: every length and a checksum are checked.
 * The key is for operations on this endpoint only. Worker's thread mode
 * rules (it may connect the endpoint's atomics lane); may be called from
 * a callback or handler.
 *
 * @param[in] ep          The endpoint to the key's owner.
 * @param[in] rkey_buffer The packed key; read during the call only.
 * @param[in] length      Its length in bytes.
 * @param[out] rkey_p     Receives the key, to destroy with
 *                        verve_rkey_destroy(); untouched on failure.
 * @return #VERVE_OK; #VERVE_ERR_INVALID_RKEY when the bytes are not a
 *         packed key (or a parameter is NULL); #VERVE_ERR_NO_MEMORY.
 */
VERVE_API verve_status_t verve_rkey_unpack(verve_ep_h ep,
        const void *rkey_buffer, size_t length, verve_rkey_h *rkey_p);

/**
 * @brief Destroys an unpacked key.
 *
 * No operation through it may still be running. It may be called after
 * its endpoint was closed. Any thread, as long as no call uses the key
 * meanwhile; takes no lock; may be called from a callback.
 *
 * @param[in] rkey The key; NULL does nothing.
 */
VERVE_API void verve_rkey_destroy(verve_rkey_h rkey);

/** @} */

/**
 * @defgroup verve_rma RMA
 * @brief Put and get through remote keys.
 *
 * Native where the lane reaches the target's memory (`shm`, `self`,
 * `rc`), emulated over AM by the target's progress otherwise (`tcp`,
 * `ud`); see @ref verve_contract on what completion means and on
 * emulated RMA.
 * Puts and gets are not ordered with each other: use
 * verve_worker_fence().
 * @{
 */

/**
 * @brief Writes length bytes from buffer to remote_addr in the peer's
 * region.
 *
 * Completion is remote: the data is in the target's memory (see the main
 * page). Worker's thread mode rules; may be called from a callback or
 * handler.
 *
 * @param[in] ep          The endpoint to the region's owner.
 * @param[in] buffer      Source; must stay valid and unchanged until the
 *                        call returns #VERVE_OK or its request completes.
 * @param[in] length      Bytes; 0 completes in place.
 * @param[in] remote_addr Target address in the peer's address space,
 *                        inside the region.
 * @param[in] rkey        A key unpacked on ep.
 * @param[in] param       Callback and user data; may be NULL.
 * @param[out] request_p  With #VERVE_INPROGRESS, the request; may be NULL.
 * @return #VERVE_OK (written in place); #VERVE_INPROGRESS;
 *         #VERVE_ERR_INVALID_RKEY (a key not unpacked on ep; or, as the
 *         request's status, a region the target no longer has);
 *         #VERVE_ERR_OUT_OF_RANGE (outside the region; nothing written);
 *         #VERVE_ERR_NO_MEMORY; the endpoint's error when its peer
 *         failed.
 */
VERVE_API verve_status_t verve_put_nbx(verve_ep_h ep, const void *buffer,
        size_t length, uint64_t remote_addr, verve_rkey_h rkey,
        const verve_request_param_t *param, verve_request_h *request_p);

/**
 * @brief Reads length bytes at remote_addr in the peer's region into
 * buffer.
 *
 * Completes when the data is in buffer. Worker's thread mode rules; may
 * be called from a callback or handler.
 *
 * @param[in] ep          The endpoint to the region's owner.
 * @param[out] buffer     Destination; must stay valid, and is not to be
 *                        read, until the call returns #VERVE_OK or its
 *                        request completes.
 * @param[in] length      Bytes; 0 completes in place.
 * @param[in] remote_addr Source address in the peer's address space,
 *                        inside the region.
 * @param[in] rkey        A key unpacked on ep.
 * @param[in] param       Callback and user data; may be NULL.
 * @param[out] request_p  With #VERVE_INPROGRESS, the request; may be NULL.
 * @return As verve_put_nbx().
 */
VERVE_API verve_status_t verve_get_nbx(verve_ep_h ep, void *buffer,
        size_t length, uint64_t remote_addr, verve_rkey_h rkey,
        const verve_request_param_t *param, verve_request_h *request_p);

/** @} */

/**
 * @defgroup verve_atomic Atomics
 * @brief 32- and 64-bit atomic operations on a peer's memory.
 *
 * Native on `shm` for memory allocated with #VERVE_MEM_MAP_ALLOCATE
 * (CPU atomics), on `self`, and on `rc` for 64-bit operations where the
 * device has them; emulated over AM by the target's progress otherwise
 * (CPU atomics there). verve atomics on one location are atomic with
 * respect to each other whatever path each takes: where a device's
 * atomics are atomic only against the device itself, every verve atomic
 * on its memory goes through the device (a warning says so when a lane
 * for that cannot be made). They are not atomic with respect to the
 * program's own loads, stores and CPU atomics on that memory.
 * @{
 */

/** The operation of verve_atomic_nbx(). */
typedef enum verve_atomic_op {
    VERVE_ATOMIC_ADD = 0,   /**< adds value; no result */
    VERVE_ATOMIC_FADD = 1,  /**< adds value; result: the old value */
    VERVE_ATOMIC_SWAP = 2,  /**< stores value; result: the old value */
    /** Stores value if the old value equals compare; result: the old
     * value. */
    VERVE_ATOMIC_CSWAP = 3,
    VERVE_ATOMIC_OP_LAST    /**< number of operations (not one) */
} verve_atomic_op_t;

/**
 * @brief Performs an atomic operation on an op_size integer at remote_addr.
 *
 * Completion is remote: the operation was performed at the target and
 * *result written. Worker's thread mode rules; may be called from a
 * callback or handler.
 *
 * @param[in] ep          The endpoint to the region's owner.
 * @param[in] op          The operation.
 * @param[in] value       Operand (its low 32 bits when op_size is 4).
 * @param[in] compare     Compared value of #VERVE_ATOMIC_CSWAP; ignored
 *                        otherwise.
 * @param[out] result     Receives the old value (an op_size integer) on
 *                        completion; must stay valid until then. May be
 *                        NULL only for #VERVE_ATOMIC_ADD.
 * @param[in] op_size     4 or 8.
 * @param[in] remote_addr Target address, aligned to op_size, inside the
 *                        region.
 * @param[in] rkey        A key unpacked on ep.
 * @param[in] param       Callback and user data; may be NULL.
 * @param[out] request_p  With #VERVE_INPROGRESS, the request; may be NULL.
 * @return #VERVE_OK (performed in place); #VERVE_INPROGRESS;
 *         #VERVE_ERR_INVALID_PARAM (op, size, alignment, result);
 *         #VERVE_ERR_INVALID_RKEY; #VERVE_ERR_OUT_OF_RANGE;
 *         #VERVE_ERR_NO_MEMORY; the endpoint's error when its peer failed.
 */
VERVE_API verve_status_t verve_atomic_nbx(verve_ep_h ep, verve_atomic_op_t op,
        uint64_t value, uint64_t compare, void *result, size_t op_size,
        uint64_t remote_addr, verve_rkey_h rkey,
        const verve_request_param_t *param, verve_request_h *request_p);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
