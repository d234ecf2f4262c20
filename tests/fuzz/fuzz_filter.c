/* The page filter on a synthetic vmcore: 1 MiB of RAM, 6.1-style
 * VMCOREINFO, SPARSEMEM_EXTREME mem_section, a vmemmap mapped by 4 KiB
 * pages through 4-level page tables, and hand-made struct pages, all XORed
 * with the input from byte 1 on (so page tables, mem_section and struct
 * pages are what the fuzzer corrupts). Byte 0 picks the dump level (low 5
 * bits), the window (bit 5) and the buffer budget (bit 6). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/vmcore.h"
#include "filter/filter.h"
#include "lib/rd.h"
#include "tests/fuzz/fuzz.h"

#define NPFN 256u
#define RAM (NPFN * 4096u)
#define KMAP 0xffffffff80000000ull
#define VMEMMAP 0xffffea0000000000ull
#define DMAP 0xffff888000000000ull
#define MEMMAP_PA 0x8000u
#define FUZZ_FROM 0x1000u /* input byte 1 lands here */
#define KPTR (DMAP + 0x123440ull)

enum { PG_LRU = 4, PG_SLAB = 9, PG_SWAPCACHE = 10, PG_PRIVATE = 13, PG_HEAD = 16, PG_SWAPBACKED = 19,
       PG_HWPOISON = 23 };

static const char vmcoreinfo[] =
	"OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"
	"SYMBOL(mem_section)=ffffffff80005000\nLENGTH(mem_section)=2048\nSIZE(mem_section)=16\n"
	"OFFSET(mem_section.section_mem_map)=0\nNUMBER(SECTION_SIZE_BITS)=27\nNUMBER(MAX_PHYSMEM_BITS)=46\n"
	"SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page._refcount)=52\nOFFSET(page.mapping)=24\n"
	"OFFSET(page.lru)=8\nOFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
	"OFFSET(page.compound_dtor)=16\nOFFSET(page.compound_order)=17\nOFFSET(page.compound_head)=8\n"
	"LENGTH(zone.free_area)=11\nNUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
	"NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\nNUMBER(PG_hwpoison)=23\nNUMBER(PG_head_mask)=65536\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\nNUMBER(HUGETLB_PAGE_DTOR)=2\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\nSYMBOL(init_top_pgt)=ffffffff80001000\n"
	"NUMBER(pgtable_l5_enabled)=0\nNUMBER(phys_base)=0\n";

static uint8_t base[RAM], mem[RAM];

static uint8_t *pg(uint64_t pfn)
{
	return base + MEMMAP_PA + pfn * 64;
}

static void page_set(uint64_t pfn, uint64_t flags, uint64_t mapping, int32_t mapcount, uint32_t ref)
{
	st_le64(pg(pfn), flags);
	st_le64(pg(pfn) + 24, mapping);
	st_le32(pg(pfn) + 48, (uint32_t)mapcount);
	st_le32(pg(pfn) + 52, ref);
}

static void compound(uint64_t head, unsigned order, uint64_t flags, uint64_t mapping, uint8_t dtor)
{
	page_set(head, flags | 1ull << PG_HEAD, mapping, -1, 1);
	for (uint64_t p = head + 1; p < head + (1ull << order); p++) {
		st_le64(pg(p) + 8, (VMEMMAP + head * 64) | 1);
	}
	pg(head + 1)[16] = dtor;
	pg(head + 1)[17] = (uint8_t)order;
}

static void setup(void)
{
	st_le64(base + 0x1000 + ((VMEMMAP >> 39) & 511) * 8, 0x2000 | 3);
	st_le64(base + 0x2000 + ((VMEMMAP >> 30) & 511) * 8, 0x3000 | 3);
	st_le64(base + 0x3000 + ((VMEMMAP >> 21) & 511) * 8, 0x4000 | 3);
	for (unsigned i = 0; i < NPFN * 64 / 4096; i++) {
		st_le64(base + 0x4000 + i * 8, (MEMMAP_PA + i * 4096) | 3);
	}
	st_le64(base + 0x5000, KMAP + 0x6000);
	st_le64(base + 0x6000, VMEMMAP | 1);
	for (uint64_t p = 0; p < NPFN; p++) {
		page_set(p, 0, 0, -1, 1);
	}
	page_set(20, 1ull << PG_LRU, KPTR, -1, 2);
	page_set(21, 1ull << PG_LRU | 1ull << PG_PRIVATE, KPTR, -1, 2);
	page_set(22, 1ull << PG_LRU | 1ull << PG_SWAPBACKED, KPTR | 1, 0, 2);
	page_set(23, 1ull << PG_SLAB, KPTR | 1, -1, 1);
	page_set(24, 1ull << PG_SWAPCACHE | 1ull << PG_SWAPBACKED, KPTR, -1, 1);
	page_set(25, 1ull << PG_HWPOISON, 0, -1, 1);
	page_set(26, 0, 0, -257, 1);
	for (uint64_t p = 64; p < 80; p++) {
		page_set(p, 0, 0, -1, 0);
	}
	page_set(64, 0, 0, -129, 0); /* free block of order 4 */
	st_le64(pg(64) + 40, 4);
	compound(128, 3, 1ull << PG_LRU | 1ull << PG_SWAPBACKED, KPTR | 1, 0); /* anon THP */
	compound(160, 2, 0, KPTR, 2);                                         /* hugetlb */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static uint8_t ram[NPFN / 8], dump[NPFN / 8], ram2[NPFN / 8], dump2[NPFN / 8];
	unsigned ctl = size ? data[0] : 31, level = ctl & 31;
	uint64_t win = ctl & 32 ? 8 : NPFN;
	size_t budget = ctl & 64 ? 1 : 0;
	struct vmcore vc;
	struct filter f;
	char path[64];
	int fd, r;

	if (!ready) {
		fuzz_quiet();
		setup();
		ready = true;
	}
	memcpy(mem, base, RAM);
	for (size_t i = 1; i < size && FUZZ_FROM + i - 1 < RAM; i++) {
		mem[FUZZ_FROM + i - 1] ^= data[i];
	}
	fd = fuzz_vmcore(vmcoreinfo, mem, RAM, 0, DMAP, path, sizeof(path));
	if (fd < 0) {
		return 0;
	}
	if (vmcore_open(&vc, path) == 0) {
		r = filter_init(&f, &vc, level, budget);
		memset(ram, 0, sizeof(ram));
		memset(dump, 0, sizeof(dump));
		for (uint64_t s = 0; !r && s < NPFN; s += win) {
			memset(ram2, 0, sizeof(ram2));
			memset(dump2, 0, sizeof(dump2));
			r = filter_window(&f, s, win, ram + s / 8, dump + s / 8, true);
			r = r ? r : filter_window(&f, s, win, ram2, dump2, false);
			/* the writing pass must see what the counting pass saw */
			if (!r && (memcmp(ram2, ram + s / 8, win / 8) || memcmp(dump2, dump + s / 8, win / 8))) {
				__builtin_trap();
			}
		}
		if (!r) {
			char rep[4096];
			(void)filter_report(&f, NPFN, rep, sizeof(rep));
		}
		filter_close(&f);
		vmcore_close(&vc);
	}
	close(fd);
	return 0;
}
