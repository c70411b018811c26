/*
 * Leveled logging. The level is checked before the arguments are evaluated,
 * errno is preserved, and trace compiles out of release builds.
 */
#ifndef VS_LOG_H
#define VS_LOG_H

#include <verve_config.h>
#include <verve/verve_status.h>
#include "compiler.h"

typedef enum vs_log_level {
    VS_LOG_FATAL = 0,
    VS_LOG_ERROR,
    VS_LOG_WARN,
    VS_LOG_INFO,
    VS_LOG_DEBUG,
    VS_LOG_TRACE,
    VS_LOG_LAST
} vs_log_level_t;

extern vs_log_level_t vs_log_level;

void vs_log_write(vs_log_level_t level, const char *file, int line,
                  const char *fmt, ...) vs_printf_like(4, 5);
/* This host's short name, looked up once. */
const char *vs_log_hostname(void);
/* Lower-case name ("warn"); "unknown" when out of range. */
const char *vs_log_level_name(vs_log_level_t level);

/* Sets the level from VERVE_LOG_LEVEL. A constructor already applied a
 * valid value silently; this call, made at context creation, reports a
 * malformed one. Calling it again re-reads the same variable. */
verve_status_t vs_log_init(void);

#define vs_log(level, ...) \
    do { \
        if (vs_unlikely((level) <= vs_log_level)) { \
            vs_log_write((level), __FILE__, __LINE__, __VA_ARGS__); \
        } \
    } while (0)

#define vs_fatal(...) vs_log(VS_LOG_FATAL, __VA_ARGS__)
#define vs_error(...) vs_log(VS_LOG_ERROR, __VA_ARGS__)
#define vs_warn(...)  vs_log(VS_LOG_WARN, __VA_ARGS__)
#define vs_info(...)  vs_log(VS_LOG_INFO, __VA_ARGS__)
#define vs_debug(...) vs_log(VS_LOG_DEBUG, __VA_ARGS__)
#ifdef VS_ENABLE_TRACE
#define vs_trace(...) vs_log(VS_LOG_TRACE, __VA_ARGS__)
#else
/* Compiled out, but still type-checked, and its arguments still count as
 * used, so a variable only traced does not warn in release builds. */
#define vs_trace(...) \
    do { \
        if (0) { \
            vs_log_write(VS_LOG_TRACE, __FILE__, __LINE__, __VA_ARGS__); \
        } \
    } while (0)
#endif

#endif
