/* Compiler helpers shared by every layer. */
#ifndef VS_COMPILER_H
#define VS_COMPILER_H

#include <stddef.h>

#define vs_likely(x) __builtin_expect(!!(x), 1)
#define vs_unlikely(x) __builtin_expect(!!(x), 0)
/* The slow half of a function whose fast half is a check: kept out of
 * line so that the check runs without the slow half's register saves. */
#define vs_noinline __attribute__((noinline))

#define VS_CACHE_LINE 64
#define vs_cache_aligned __attribute__((aligned(VS_CACHE_LINE)))

#define vs_container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))

#define vs_array_size(a) (sizeof(a) / sizeof((a)[0]))
#define vs_min(a, b) ((a) < (b) ? (a) : (b))
#define vs_max(a, b) ((a) > (b) ? (a) : (b))
#define vs_align_up(x, a) ((((x) + (a) - 1) / (a)) * (a))

#define vs_unused __attribute__((unused))
#define vs_printf_like(f, a) __attribute__((format(printf, f, a)))
#define vs_constructor __attribute__((constructor))

/* Memory that another process or a device wrote with no instruction of
 * ours (process_vm_writev by a peer, a NIC's DMA): valgrind cannot see
 * the write, so the reader marks it defined before using it. */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define vs_mark_defined(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED(p, n))
#endif
#endif
#ifndef vs_mark_defined
#define vs_mark_defined(p, n) ((void)(p), (void)(n))
#endif

#endif
