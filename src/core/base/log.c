/* Leveled logging to stderr, and the VERVE_LOG_LEVEL option. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define VS_LOG_LINE_MAX 1024
#define VS_LOG_HOST_MAX 64

vs_log_level_t vs_log_level = VS_LOG_WARN;

static const char *const vs_log_level_names[] = {
    [VS_LOG_FATAL] = "fatal",
    [VS_LOG_ERROR] = "error",
    [VS_LOG_WARN] = "warn",
    [VS_LOG_INFO] = "info",
    [VS_LOG_DEBUG] = "debug",
    [VS_LOG_TRACE] = "trace",
    [VS_LOG_LAST] = NULL
};

static const char *const vs_log_level_tags[] = {
    [VS_LOG_FATAL] = "FATAL",
    [VS_LOG_ERROR] = "ERROR",
    [VS_LOG_WARN] = "WARN",
    [VS_LOG_INFO] = "INFO",
    [VS_LOG_DEBUG] = "DEBUG",
    [VS_LOG_TRACE] = "TRACE"
};

typedef struct vs_log_opts {
    unsigned level;
} vs_log_opts_t;

static const vs_config_field_t vs_log_config_fields[] = {
    {"LEVEL", "warn",
     "Messages up to this level are printed to stderr.",
     VS_CONFIG_TYPE_ENUM(vs_log_level_names,
                         "fatal, error, warn, info, debug, trace"),
     offsetof(vs_log_opts_t, level)}
};

static vs_config_table_t vs_log_config_table = {
    .component = "log",
    .prefix = "LOG_",
    .fields = vs_log_config_fields,
    .num_fields = vs_array_size(vs_log_config_fields),
    .struct_size = sizeof(vs_log_opts_t),
    .next = NULL
};

const char *vs_log_level_name(vs_log_level_t level)
{
    if ((unsigned)level >= VS_LOG_LAST) {
        return "unknown";
    }
    return vs_log_level_names[level];
}

verve_status_t vs_log_init(void)
{
    vs_log_opts_t opts;
    verve_status_t status;

    status = vs_config_read(&vs_log_config_table, &opts);
    if (status != VERVE_OK) {
        return status;
    }
    vs_log_level = (vs_log_level_t)opts.level;
    vs_config_release(&vs_log_config_table, &opts);
    return VERVE_OK;
}

/* Applies VERVE_LOG_LEVEL before main() so that tools and early messages
 * see it. A malformed value is not reported here (a library constructor
 * has no one to return an error to); vs_log_init reports it. */
static vs_constructor void vs_log_constructor(void)
{
    vs_config_register(&vs_log_config_table);
    /* Silences the error vs_config_read would log for a bad value. */
    vs_log_level = VS_LOG_FATAL;
    if (vs_log_init() != VERVE_OK) {
        vs_log_level = VS_LOG_WARN;
    }
}

static char vs_log_host[VS_LOG_HOST_MAX];
static pthread_once_t vs_log_host_once = PTHREAD_ONCE_INIT;

static void vs_log_host_lookup(void)
{
    char *dot;

    if (gethostname(vs_log_host, sizeof(vs_log_host) - 1) != 0) {
        strcpy(vs_log_host, "?");
    }
    dot = strchr(vs_log_host, '.');
    if (dot != NULL) {
        *dot = '\0';
    }
}

/* Short host name, looked up once: it does not change while we run. */
const char *vs_log_hostname(void)
{
    pthread_once(&vs_log_host_once, vs_log_host_lookup);
    return vs_log_host;
}

static const char *vs_log_basename(const char *file)
{
    const char *slash = strrchr(file, '/');
    return (slash != NULL) ? slash + 1 : file;
}

/* One write() per line: stderr is shared by every process of a job, and
 * a line split over several writes interleaves with other processes'. */
static void vs_log_write_all(const char *buffer, size_t length)
{
    ssize_t ret;

    while (length > 0) {
        ret = write(STDERR_FILENO, buffer, length);
        if (ret < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        buffer += ret;
        length -= (size_t)ret;
    }
}

void vs_log_write(vs_log_level_t level, const char *file, int line,
                  const char *fmt, ...)
{
    static const char truncated[] = "...";
    char buffer[VS_LOG_LINE_MAX];
    int saved_errno = errno;
    size_t length;
    va_list ap;
    int ret;

    if ((unsigned)level >= VS_LOG_LAST) {
        level = VS_LOG_ERROR;
    }
    ret = snprintf(buffer, sizeof(buffer), "[%s:%d] verve %s %s:%d ",
                   vs_log_hostname(), (int)getpid(), vs_log_level_tags[level],
                   vs_log_basename(file), line);
    length = (ret < 0) ? 0 : vs_min((size_t)ret, sizeof(buffer) - 1);

    va_start(ap, fmt);
    ret = vsnprintf(buffer + length, sizeof(buffer) - length, fmt, ap);
    va_end(ap);
    if (ret > 0) {
        length += (size_t)ret;
    }

    /* Keep room for the newline; mark a cut message so it is not mistaken
     * for the whole text. */
    if (length > sizeof(buffer) - 2) {
        length = sizeof(buffer) - 2;
        memcpy(buffer + length - (sizeof(truncated) - 1), truncated,
               sizeof(truncated) - 1);
    }
    buffer[length++] = '\n';
    vs_log_write_all(buffer, length);

    errno = saved_errno;
}
