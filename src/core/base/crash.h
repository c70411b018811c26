/*
 * What a process does on a fatal signal (VERVE_HANDLE_ERRORS): print a
 * backtrace to stderr, then let the handler that was there before (the
 * default: a core dump) take the signal.
 */
#ifndef VS_CRASH_H
#define VS_CRASH_H

typedef enum vs_crash_mode {
    VS_CRASH_NONE,       /* leave the signals alone */
    VS_CRASH_BACKTRACE   /* SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT */
} vs_crash_mode_t;

/* VERVE_HANDLE_ERRORS's names, in vs_crash_mode_t order, NULL-ended. */
extern const char *const vs_crash_mode_names[];

/* Installs the handlers of `mode` on the signals where ours is not the
 * current one (each context creation calls it); the handler found there
 * is the one ours hands the signal to. VS_CRASH_NONE installs none. */
void vs_crash_handlers_install(vs_crash_mode_t mode);

#endif
