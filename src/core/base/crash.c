/*
 * Backtrace on a fatal signal, as UCX's UCX_HANDLE_ERRORS=bt: a rank that
 * dies in a job of hundreds otherwise leaves a bare "exited on signal 11".
 *
 * The handler uses async-signal-safe calls only: write(2), getpid,
 * sigaction, raise. backtrace() is not on that list in principle because
 * its first call loads libgcc; it is called once at install time, so that
 * the handler's call only walks the stack. The handler then puts back the
 * handler it replaced and raises the signal again: the default action
 * (core dump, the launcher's "killed by signal") or the program's own
 * handler still runs, and a second fault inside ours cannot loop.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "crash.h"
#include "log.h"
#ifdef __GLIBC__
#include <execinfo.h>
#endif

#define VS_CRASH_FRAMES_MAX 64

const char *const vs_crash_mode_names[] = {"none", "bt", NULL};

static const struct {
    int sig;
    const char *name;
} vs_crash_signals[] = {
    {SIGSEGV, "SIGSEGV (invalid memory access)"},
    {SIGBUS, "SIGBUS (bus error)"},
    {SIGFPE, "SIGFPE (arithmetic error)"},
    {SIGILL, "SIGILL (illegal instruction)"},
    {SIGABRT, "SIGABRT (abort)"},
};

#define VS_CRASH_NUM_SIGNALS \
    (sizeof(vs_crash_signals) / sizeof(vs_crash_signals[0]))

static struct sigaction vs_crash_previous[VS_CRASH_NUM_SIGNALS];
static pthread_mutex_t vs_crash_lock = PTHREAD_MUTEX_INITIALIZER;
static char vs_crash_host[64];

static void vs_crash_write(const char *text)
{
    size_t length = strlen(text);

    while (length > 0) {
        ssize_t written = write(STDERR_FILENO, text, length);
        if (written <= 0) {
            return;
        }
        text += written;
        length -= (size_t)written;
    }
}

/* Decimal, without printf (not async-signal-safe). */
static void vs_crash_write_int(long value)
{
    char digits[24];
    size_t i = sizeof(digits) - 1;
    int negative = value < 0;
    unsigned long magnitude = negative ? 0ul - (unsigned long)value
                                       : (unsigned long)value;

    digits[i] = '\0';
    do {
        digits[--i] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0 && i > 1);
    if (negative) {
        digits[--i] = '-';
    }
    vs_crash_write(&digits[i]);
}

static void vs_crash_handler(int sig, siginfo_t *info, void *context)
{
    const char *name = "a fatal signal";
    size_t i, index = 0;

    (void)context;
    for (i = 0; i < VS_CRASH_NUM_SIGNALS; ++i) {
        if (vs_crash_signals[i].sig == sig) {
            name = vs_crash_signals[i].name;
            index = i;
        }
    }
    vs_crash_write("[");
    vs_crash_write(vs_crash_host);
    vs_crash_write(":");
    vs_crash_write_int((long)getpid());
    vs_crash_write("] verve: caught signal ");
    vs_crash_write_int(sig);
    vs_crash_write(", ");
    vs_crash_write(name);
    if ((sig == SIGSEGV || sig == SIGBUS) && info != NULL) {
        char hex[2 + 2 * sizeof(void *) + 1];
        uintptr_t address = (uintptr_t)info->si_addr;
        size_t digit;
        hex[0] = '0';
        hex[1] = 'x';
        for (digit = 0; digit < 2 * sizeof(void *); ++digit) {
            hex[2 + digit] = "0123456789abcdef"
                    [(address >> (4 * (2 * sizeof(void *) - 1 - digit))) &
                     0xf];
        }
        hex[sizeof(hex) - 1] = '\0';
        vs_crash_write(" at address ");
        vs_crash_write(hex);
    }
    vs_crash_write("; backtrace (VERVE_HANDLE_ERRORS=bt):\n");
#ifdef __GLIBC__
    {
        void *frames[VS_CRASH_FRAMES_MAX];
        int count = backtrace(frames, VS_CRASH_FRAMES_MAX);
        backtrace_symbols_fd(frames, count, STDERR_FILENO);
    }
#else
    vs_crash_write("  (no backtrace() in this C library)\n");
#endif
    sigaction(sig, &vs_crash_previous[index], NULL);
    /* Blocked until we return (no SA_NODEFER): the previous handler, or
     * the default action, takes it then. */
    raise(sig);
}

void vs_crash_handlers_install(vs_crash_mode_t mode)
{
    struct sigaction action, current;
    size_t i;

    if (mode != VS_CRASH_BACKTRACE) {
        return;
    }
    pthread_mutex_lock(&vs_crash_lock);
    if (vs_crash_host[0] == '\0') {
#ifdef __GLIBC__
        void *frame;
        backtrace(&frame, 1);   /* loads libgcc now, not in the handler */
#endif
        strncpy(vs_crash_host, vs_log_hostname(), sizeof(vs_crash_host) - 1);
    }
    memset(&action, 0, sizeof(action));
    action.sa_sigaction = vs_crash_handler;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    for (i = 0; i < VS_CRASH_NUM_SIGNALS; ++i) {
        /* Ours stays; one that replaced ours since (or was there first)
         * becomes the one ours hands the signal to. */
        if (sigaction(vs_crash_signals[i].sig, NULL, &current) != 0 ||
            ((current.sa_flags & SA_SIGINFO) &&
             current.sa_sigaction == vs_crash_handler)) {
            continue;
        }
        if (sigaction(vs_crash_signals[i].sig, &action,
                      &vs_crash_previous[i]) != 0) {
            vs_warn("VERVE_HANDLE_ERRORS=bt: sigaction(%s) failed",
                    vs_crash_signals[i].name);
        }
    }
    pthread_mutex_unlock(&vs_crash_lock);
}
