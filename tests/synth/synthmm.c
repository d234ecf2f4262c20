/* Synthetic kernel memory for the page filter. See synthmm.h. */
#include <errno.h>
#include <stdio.h>

#include "lib/rd.h"
#include "tests/synth/synthmm.h"

#define PTE_PRESENT_RW 3
#define PTE_PSE 0x80

int synthmm_vmcoreinfo(char *buf, size_t size, uint64_t memsec_pa)
{
	int n = snprintf(
		buf, size,
		"OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"
		"SYMBOL(mem_section)=%llx\nLENGTH(mem_section)=2048\nSIZE(mem_section)=16\n"
		"OFFSET(mem_section.section_mem_map)=0\nNUMBER(SECTION_SIZE_BITS)=27\nNUMBER(MAX_PHYSMEM_BITS)=46\n"
		"SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page._refcount)=52\nOFFSET(page.mapping)=24\n"
		"OFFSET(page.lru)=8\nOFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
		"OFFSET(page.compound_dtor)=16\nOFFSET(page.compound_order)=17\nOFFSET(page.compound_head)=8\n"
		"LENGTH(zone.free_area)=11\nNUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
		"NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\nNUMBER(PG_hwpoison)=23\nNUMBER(PG_head_mask)=65536\n"
		"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\nNUMBER(HUGETLB_PAGE_DTOR)=2\n"
		"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\nSYMBOL(init_top_pgt)=%llx\n"
		"NUMBER(pgtable_l5_enabled)=0\nNUMBER(phys_base)=0\n",
		(unsigned long long)(SYNTHMM_KMAP + memsec_pa), (unsigned long long)(SYNTHMM_KMAP + SYNTHMM_PGD));

	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

/* The entry for VA at LEVEL (39, 30, 21, 12: its index's lowest bit) in
 * the table at physical TABLE. */
static uint8_t *entry(uint8_t *mem, uint64_t table, uint64_t va, unsigned level)
{
	return mem + table + ((va >> level) & 511) * 8;
}

/* The table the entry E points to, taken from *NEXT if E is empty. */
static uint64_t table_at(uint8_t *e, uint64_t *next)
{
	if (!ld_le64(e)) {
		st_le64(e, *next | PTE_PRESENT_RW);
		*next += 4096;
	}
	return ld_le64(e) & ~0xfffull;
}

/* Map [VA, VA + LEN) to PA; tables taken in order from *NEXT. */
static void map(uint8_t *mem, uint64_t *next, uint64_t va, uint64_t pa, uint64_t len, bool huge)
{
	uint64_t step = huge ? 2ull << 20 : 4096;

	for (uint64_t at = 0; at < len; at += step) {
		uint64_t pud = table_at(entry(mem, SYNTHMM_PGD, va + at, 39), next);
		uint64_t pmd = table_at(entry(mem, pud, va + at, 30), next);

		if (huge) {
			st_le64(entry(mem, pmd, va + at, 21), (pa + at) | PTE_PSE | PTE_PRESENT_RW);
		} else {
			st_le64(entry(mem, table_at(entry(mem, pmd, va + at, 21), next), va + at, 12),
				(pa + at) | PTE_PRESENT_RW);
		}
	}
}

void synthmm_tables(const struct synthmm *m, uint64_t npfn, uint64_t memsec_pa, bool huge)
{
	uint64_t next = SYNTHMM_PGD + 4096;

	map(m->mem, &next, SYNTHMM_VMEMMAP, m->memmap_pa, npfn * 64, huge);
	for (uint64_t sec = 0; sec << SYNTHMM_SECTION_PFN_BITS < npfn; sec++) {
		uint64_t root = sec / SYNTHMM_SECTIONS_PER_ROOT, page = memsec_pa + 4096 * (1 + root);

		st_le64(m->mem + memsec_pa + root * 8, SYNTHMM_KMAP + page);
		/* SECTION_MARKED_PRESENT; the encoded mem_map of a vmemmap is its start */
		st_le64(m->mem + page + sec % SYNTHMM_SECTIONS_PER_ROOT * 16, SYNTHMM_VMEMMAP | 1);
	}
}

void synthmm_init(const struct synthmm *m, uint64_t npfn, uint64_t memsec_pa, bool huge)
{
	synthmm_tables(m, npfn, memsec_pa, huge);
	for (uint64_t p = 0; p < npfn; p++) {
		synthmm_page_set(m, p, 0, 0, -1, 1);
	}
}

uint8_t *synthmm_page(const struct synthmm *m, uint64_t pfn)
{
	return m->mem + m->memmap_pa + pfn * 64;
}

void synthmm_page_set(const struct synthmm *m, uint64_t pfn, uint64_t flags, uint64_t mapping, int32_t mapcount,
		      uint32_t ref)
{
	uint8_t *pg = synthmm_page(m, pfn);

	st_le64(pg, flags);
	st_le64(pg + 24, mapping);
	st_le32(pg + 48, (uint32_t)mapcount);
	st_le32(pg + 52, ref);
}

void synthmm_compound(const struct synthmm *m, uint64_t head, unsigned order, uint64_t flags, uint64_t mapping,
		      uint8_t dtor)
{
	synthmm_page_set(m, head, flags | SYNTHMM_PG(HEAD), mapping, -1, 1);
	for (uint64_t p = head + 1; p < head + (1ull << order); p++) {
		st_le64(synthmm_page(m, p) + 8, (SYNTHMM_VMEMMAP + head * 64) | 1);
		st_le32(synthmm_page(m, p) + 48, 0xffffffffu);
	}
	synthmm_page(m, head + 1)[16] = dtor;
	synthmm_page(m, head + 1)[17] = (uint8_t)order;
}

uint64_t synthmm_rand(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}
