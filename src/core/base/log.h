/*
 * Leveled logging. The level is checked before the arguments are evaluated,
 * errno is preserved, and trace compiles out of release builds.
 */
#ifndef VS_LOG_H
#define VS_LOG_H

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
const char *vs_log_level_name(vs_log_level_t level);

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
#define vs_trace(...) do { } while (0)
#endif

#endif
