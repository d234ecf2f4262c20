/* A small vmcore whose pages the filter can tell apart, for the collector's
 * shell tests (tests/integration/sweep.sh, fake.sh):
 *   synthcore OUT [PADDR:PAGES ...]
 * 512 KiB of RAM at physical 0 with page tables, a SPARSEMEM_EXTREME
 * mem_section and struct pages (tests/synth/synthmm.h), its pages a mix of
 * page cache, private cache, anonymous, free buddy blocks, an anonymous
 * THP, hwpoison and plain pages, holding zero, compressible, random or
 * one-valued bytes, or a copy of one of two random pages (fill_page). Each
 * PADDR:PAGES adds a PT_LOAD of such pages whose section has no mem_map:
 * the filter must keep all of them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rd.h"
#include "tests/synth/synthmm.h"
#include "tests/synth/synthvm.h"

#define NPFN 128ull
#define MEMSEC_PA 0x10000ull
#define MEMMAP_PA 0x20000ull /* struct pages of NPFN pfns: 8 KiB, 4 KiB mappings */
#define FIRST_DATA 0x28ull   /* pfns below hold the tables above */
#define MAX_SEGS 8
#define PAGE 4096u

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	return synthmm_rand(&rng);
}

/* Bytes of the two pages that recur (random, so only sharing equal pages
 * makes them smaller) and the values pages are filled with. */
#define COPY_SEED 0x5851f42d4c957f2dull
static const uint8_t fill_bytes[] = { 0xff, 0x6b, 0xa5 };

/* Zero, repeated short pattern, random, its pfn repeated, one byte value
 * (the writer stores one copy per value), or a copy of one of two random
 * pages (the same bytes at several pfns). */
static void fill_page(uint8_t *p, uint64_t pfn)
{
	uint64_t kind = next_rand() % 6, pat = next_rand(), copy = COPY_SEED + pat % 2;

	if (kind == 4) {
		memset(p, fill_bytes[pat % sizeof(fill_bytes)], PAGE);
		return;
	}
	for (unsigned i = 0; i < PAGE; i += 8) {
		uint64_t v = kind == 0 ? 0 : kind == 1 ? pat : kind == 2 ? next_rand() : kind == 3 ? pfn :
			     synthmm_rand(&copy);

		st_le64(p + i, v);
	}
}

/* One of every kind of struct page, in a cycle of 16 pfns. */
static void classify(const struct synthmm *m, uint64_t p)
{
	switch (p % 16) {
	case 0: synthmm_page_set(m, p, SYNTHMM_PG(LRU), SYNTHMM_KPTR, -1, 2); break;
	case 1: synthmm_page_set(m, p, SYNTHMM_PG(LRU) | SYNTHMM_PG(PRIVATE), SYNTHMM_KPTR, -1, 2); break;
	case 2: synthmm_page_set(m, p, SYNTHMM_PG(LRU) | SYNTHMM_PG(SWAPBACKED), SYNTHMM_KPTR | 1, 0, 2); break;
	case 4: /* a free block of order 2 */
		synthmm_page_set(m, p, 0, 0, -129, 0);
		st_le64(synthmm_page(m, p) + 40, 2);
		for (uint64_t t = p + 1; t < p + 4; t++) {
			synthmm_page_set(m, t, 0, 0, -1, 0);
		}
		break;
	case 8: synthmm_compound(m, p, 2, SYNTHMM_PG(LRU) | SYNTHMM_PG(SWAPBACKED), SYNTHMM_KPTR | 1, 0); break;
	case 12: synthmm_page_set(m, p, SYNTHMM_PG(HWPOISON), 0, -1, 1); break;
	default: break;
	}
}

static int parse_seg(const char *s, struct synthvm_seg *seg)
{
	char *end;
	uint64_t pa = strtoull(s, &end, 0), pages;

	if (*end != ':') {
		return -EINVAL;
	}
	pages = strtoull(end + 1, &end, 0);
	if (*end || !pages || pages > 4096 || pa % PAGE || pa < NPFN * PAGE) {
		return -EINVAL;
	}
	seg->len = (size_t)pages * PAGE;
	seg->paddr = pa;
	seg->vaddr = SYNTHMM_DMAP + pa;
	seg->mem = malloc(seg->len);
	if (!seg->mem) {
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < pages; i++) {
		fill_page((uint8_t *)seg->mem + i * PAGE, pa / PAGE + i);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct synthmm m = { .memmap_pa = MEMMAP_PA };
	struct synthvm_seg seg[MAX_SEGS] = { { 0 } };
	char vmci[2048];
	unsigned nseg = 1;

	if (argc < 2 || argc - 2 >= MAX_SEGS) {
		fprintf(stderr, "usage: synthcore OUT [PADDR:PAGES ...] (at most %d)\n", MAX_SEGS - 1);
		return 2;
	}
	m.mem = calloc(1, NPFN * PAGE);
	if (!m.mem || synthmm_vmcoreinfo(vmci, sizeof(vmci), MEMSEC_PA) < 0) {
		return 1;
	}
	for (uint64_t p = FIRST_DATA; p < NPFN; p++) {
		fill_page(m.mem + p * PAGE, p);
	}
	synthmm_init(&m, NPFN, MEMSEC_PA, false);
	for (uint64_t p = FIRST_DATA; p < NPFN; p++) {
		classify(&m, p);
	}
	seg[0] = (struct synthvm_seg){ m.mem, NPFN * PAGE, 0, SYNTHMM_DMAP };
	for (int i = 2; i < argc; i++) {
		if (parse_seg(argv[i], &seg[nseg++])) {
			fprintf(stderr, "synthcore: bad segment '%s': give PADDR:PAGES, page aligned, above the RAM\n",
				argv[i]);
			return 2;
		}
	}
	if (synthvm_write_segs(argv[1], vmci, seg, nseg)) {
		fprintf(stderr, "synthcore: cannot write %s\n", argv[1]);
		return 1;
	}
	return 0;
}
