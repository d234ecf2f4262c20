/* Synthetic kernel memory for the page filter (Linux 6.1 x86_64 layout):
 * 4-level page tables, a SPARSEMEM_EXTREME mem_section whose section 0
 * holds every page, a vmemmap of 64-byte struct pages, and the VMCOREINFO
 * text that describes it. Physical address 0 is byte 0 of the RAM image;
 * it sits in an ELF core through tests/synth/synthvm.h. */
#ifndef KDC_SYNTHMM_H
#define KDC_SYNTHMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYNTHMM_KMAP 0xffffffff80000000ull    /* kernel text: physical 0 with phys_base 0 */
#define SYNTHMM_VMEMMAP 0xffffea0000000000ull /* struct page of pfn 0 */
#define SYNTHMM_DMAP 0xffff888000000000ull    /* direct map: the PT_LOAD's vaddr */
#define SYNTHMM_PGD 0x1000ull                 /* PML4 (init_top_pgt); more tables follow it */
#define SYNTHMM_KPTR (SYNTHMM_DMAP + 0x123440ull) /* a plausible page->mapping */

/* page flag bits, as NUMBER(PG_*) in synthmm_vmcoreinfo() says */
enum { SYNTHMM_PG_LRU = 4, SYNTHMM_PG_SLAB = 9, SYNTHMM_PG_SWAPCACHE = 10, SYNTHMM_PG_PRIVATE = 13,
       SYNTHMM_PG_HEAD = 16, SYNTHMM_PG_SWAPBACKED = 19, SYNTHMM_PG_HWPOISON = 23 };
#define SYNTHMM_PG(name) (1ull << SYNTHMM_PG_##name) /* SYNTHMM_PG(LRU): the flag's mask */

struct synthmm {
	uint8_t *mem;       /* the RAM image, zeroed before synthmm_init */
	uint64_t memmap_pa; /* physical address of the struct pages (2 MiB aligned if huge) */
};

/* The VMCOREINFO text, the mem_section roots at physical MEMSEC_PA, into
 * BUF. Returns its length or -ENOSPC. */
int synthmm_vmcoreinfo(char *buf, size_t size, uint64_t memsec_pa);

#define SYNTHMM_SECTION_PFN_BITS 15  /* 128 MiB sections: NUMBER(SECTION_SIZE_BITS)=27 */
#define SYNTHMM_SECTIONS_PER_ROOT 256 /* a 4 KiB page of 16-byte mem_section entries */

/* Page tables (PML4 at SYNTHMM_PGD, further tables from 0x2000 on) that map
 * the struct pages of NPFN pages at SYNTHMM_VMEMMAP, with 2 MiB pages when
 * HUGE, else 4 KiB ones; the mem_section roots at MEMSEC_PA, root R pointing
 * to its page of sections at MEMSEC_PA + 4 KiB * (1 + R), every section that
 * holds one of the NPFN pages present. The struct pages are left alone. */
void synthmm_tables(const struct synthmm *m, uint64_t npfn, uint64_t memsec_pa, bool huge);

/* synthmm_tables and NPFN plain struct pages (no flags, _mapcount -1, one
 * reference). */
void synthmm_init(const struct synthmm *m, uint64_t npfn, uint64_t memsec_pa, bool huge);

/* The struct page of PFN. */
uint8_t *synthmm_page(const struct synthmm *m, uint64_t pfn);

/* Set PFN's flags, mapping, _mapcount and _refcount. */
void synthmm_page_set(const struct synthmm *m, uint64_t pfn, uint64_t flags, uint64_t mapping, int32_t mapcount,
		      uint32_t ref);

/* A compound page of 2^ORDER pages from HEAD: the head gets FLAGS (plus
 * PG_head) and MAPPING, the tails point to it, the first tail holds DTOR
 * and ORDER. */
void synthmm_compound(const struct synthmm *m, uint64_t head, unsigned order, uint64_t flags, uint64_t mapping,
		      uint8_t dtor);

/* The next number of a xorshift64 sequence (STATE: its nonzero state), for
 * page contents that are the same on every run. */
uint64_t synthmm_rand(uint64_t *state);

#endif
