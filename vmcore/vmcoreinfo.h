/* VMCOREINFO: the KEY=VALUE text the dead kernel left in its ELF notes.
 * Values are looked up by their full key: "SYMBOL(prb)", "OFFSET(page.flags)",
 * "SIZE(page)", "NUMBER(PG_lru)", "LENGTH(mem_section)", "KERNELOFFSET", ... */
#ifndef KDC_VMCOREINFO_H
#define KDC_VMCOREINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmcoreinfo {
	const char *text; /* not NUL-terminated; points into the vmcore's notes */
	size_t len;
};

/* The raw value string of KEY; false if absent. */
bool vmci_raw(const struct vmcoreinfo *vi, const char *key, const char **val, size_t *len);
/* Unsigned number of KEY in the given base (16 for SYMBOL/KERNELOFFSET, 10 otherwise). */
bool vmci_u64(const struct vmcoreinfo *vi, const char *key, int base, uint64_t *out);
/* Signed decimal (NUMBER() values may be negative, e.g. PAGE_BUDDY_MAPCOUNT_VALUE). */
bool vmci_s64(const struct vmcoreinfo *vi, const char *key, int64_t *out);
/* Convenience wrappers: name without the KIND(...) wrapping. */
bool vmci_symbol(const struct vmcoreinfo *vi, const char *name, uint64_t *out);
bool vmci_offset(const struct vmcoreinfo *vi, const char *name, uint64_t *out);
bool vmci_size(const struct vmcoreinfo *vi, const char *name, uint64_t *out);
bool vmci_number(const struct vmcoreinfo *vi, const char *name, int64_t *out);
bool vmci_length(const struct vmcoreinfo *vi, const char *name, uint64_t *out);
/* Copy a string value (OSRELEASE, BUILD-ID) into buf, NUL-terminated; false if absent. */
bool vmci_str(const struct vmcoreinfo *vi, const char *key, char *buf, size_t size);

#endif
