/* Where the dead kernel keeps the struct page of each pfn, found from
 * VMCOREINFO alone: SPARSEMEM (classic or EXTREME) mem_section entries give
 * each 2^SECTION_SIZE_BITS section's mem_map (in the vmemmap),
 * which is then read through the kernel page tables. No vmlinux needed. */
#ifndef KDC_MEMMAP_H
#define KDC_MEMMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "vmcore/vmcore.h"

struct memmap {
	struct vmcore *vc;
	uint64_t page_size;      /* SIZE(page) */
	unsigned sec_shift;      /* pfns per section = 1 << sec_shift */
	uint64_t nr_sections;    /* 1 << (MAX_PHYSMEM_BITS - SECTION_SIZE_BITS) */
	bool extreme;            /* SPARSEMEM_EXTREME: roots of pointers */
	uint64_t roots;          /* root array (EXTREME) or the section array */
	uint64_t per_root;       /* sections per root */
	uint64_t ms_size;        /* SIZE(mem_section) */
	uint64_t ms_map_off;     /* OFFSET(mem_section.section_mem_map) */
	uint64_t kmin, kmax;     /* kernel addresses: [kmin, kmax) (vmcore/arch.h) */
	uint64_t cur_sec;        /* one-entry cache of memmap_base() */
	uint64_t cur_base;
	int cur_ret;
	bool cur_valid;
};

/* Read the layout from VMCOREINFO and check it against the vmcore. On
 * failure returns -errno and points *why at a sentence saying what is wrong. */
int memmap_init(struct memmap *m, struct vmcore *vc, const char **why);
/* First pfn of the section after pfn's. */
uint64_t memmap_section_end(const struct memmap *m, uint64_t pfn);
/* Virtual address of pfn's struct page; -ENOENT when its section has no
 * mem_map, -EIO when the mem_section entries cannot be read. */
int memmap_vaddr(struct memmap *m, uint64_t pfn, uint64_t *vaddr);
/* Copy the struct pages of [pfn, pfn + n) (one section) into buf, n *
 * page_size bytes; ok[i] tells whether pfn + i was read (its bytes are
 * zero otherwise). Returns the number read, or -errno when none was (buf
 * is then untouched when the section has no mem_map). */
int64_t memmap_read(struct memmap *m, uint64_t pfn, uint64_t n, uint8_t *buf, uint8_t *ok);
/* The same struct pages in place (vmcore_map_phys), valid until the next
 * call: 0, or -errno when they are not one physically contiguous range of
 * the file or cannot be mapped (then memmap_read copies what it can). */
int memmap_map(struct memmap *m, uint64_t pfn, uint64_t n, const uint8_t **out);
/* A plausible kernel pointer (the architecture's kernel address range). */
bool memmap_is_kaddr(const struct memmap *m, uint64_t v);

#endif
