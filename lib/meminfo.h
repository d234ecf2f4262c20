/* The memory this process may plan with: MemAvailable from /proc/meminfo. */
#ifndef KDC_MEMINFO_H
#define KDC_MEMINFO_H

#include <stddef.h>
#include <stdint.h>

/* The /proc/meminfo line NAME ("MemTotal") in bytes, 0 when absent. */
uint64_t meminfo_field(const char *name);
/* MemAvailable in bytes, or 0 when /proc/meminfo cannot tell. */
uint64_t meminfo_available(void);
/* The budget for the filter's and writer's buffers: a quarter of what is
 * available, at least 4 MiB, at most 256 MiB (64 MiB when unknown). */
size_t meminfo_budget(void);

#endif
