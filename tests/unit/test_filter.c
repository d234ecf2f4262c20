/* The page filter on a synthetic vmcore: 16 MiB of RAM, 6.1-style
 * VMCOREINFO, SPARSEMEM_EXTREME mem_section, a vmemmap mapped by a 2 MiB
 * page through 4-level page tables, and hand-made struct pages. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/vmcore.h"
#include "filter/filter.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/rd.h"
#include "tests/unit/t.h"

#define NPFN 4096ull
#define RAM (NPFN * 4096)
#define KMAP 0xffffffff80000000ull
#define VMEMMAP 0xffffea0000000000ull
#define DMAP 0xffff888000000000ull
#define MEMMAP_PA 0x800000ull /* struct pages, 2 MiB aligned */
#define NOTE_OFF 0x1000ull
#define LOAD_OFF 0x2000ull
#define KPTR (DMAP + 0x123440ull)

enum { PG_LRU = 4, PG_SLAB = 9, PG_SWAPCACHE = 10, PG_PRIVATE = 13, PG_HEAD = 16, PG_SWAPBACKED = 19,
       PG_HWPOISON = 23 };

static const char vmcoreinfo[] =
	"OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"
	"SYMBOL(mem_section)=ffffffff80010000\nLENGTH(mem_section)=2048\nSIZE(mem_section)=16\n"
	"OFFSET(mem_section.section_mem_map)=0\nNUMBER(SECTION_SIZE_BITS)=27\nNUMBER(MAX_PHYSMEM_BITS)=46\n"
	"SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page._refcount)=52\nOFFSET(page.mapping)=24\n"
	"OFFSET(page.lru)=8\nOFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
	"OFFSET(page.compound_dtor)=16\nOFFSET(page.compound_order)=17\nOFFSET(page.compound_head)=8\n"
	"LENGTH(zone.free_area)=11\nNUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
	"NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\nNUMBER(PG_hwpoison)=23\nNUMBER(PG_head_mask)=65536\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\nNUMBER(HUGETLB_PAGE_DTOR)=2\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\nSYMBOL(init_top_pgt)=ffffffff80001000\n"
	"NUMBER(pgtable_l5_enabled)=0\nNUMBER(phys_base)=0\n";

static uint8_t *mem; /* the synthetic RAM */

static void st_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint8_t *pg(uint64_t pfn)
{
	return mem + MEMMAP_PA + pfn * 64;
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
		st_le32(pg(p) + 48, 0xffffffffu);
	}
	pg(head + 1)[16] = dtor;
	pg(head + 1)[17] = (uint8_t)order;
}

static void put_phdr(uint8_t *p, uint32_t type, uint64_t off, uint64_t va, uint64_t pa, uint64_t sz)
{
	st_le32(p, type);
	st_le64(p + 8, off);
	st_le64(p + 16, va);
	st_le64(p + 24, pa);
	st_le64(p + 32, sz);
	st_le64(p + 40, sz);
}

/* Build the fixture in PATH; returns 0 or -1. */
static int make_vmcore(const char *path)
{
	uint8_t hdr[NOTE_OFF] = { 0 }, note[0x1000] = { 0 };
	size_t desc = sizeof(vmcoreinfo) - 1;
	int fd, ok;

	mem = calloc(1, RAM);
	if (!mem) {
		return -1;
	}
	/* page tables: PML4 @0x1000 -> PUD @0x2000 -> PMD @0x3000 -> 2M page at MEMMAP_PA */
	st_le64(mem + 0x1000 + ((VMEMMAP >> 39) & 511) * 8, 0x2000 | 3);
	st_le64(mem + 0x2000 + ((VMEMMAP >> 30) & 511) * 8, 0x3000 | 3);
	st_le64(mem + 0x3000 + ((VMEMMAP >> 21) & 511) * 8, MEMMAP_PA | 0x80 | 3);
	/* mem_section roots @0x10000 -> sections @0x11000; section 0 present */
	st_le64(mem + 0x10000, KMAP + 0x11000);
	st_le64(mem + 0x11000, VMEMMAP | 1);
	for (uint64_t p = 0; p < NPFN; p++) {
		st_le32(pg(p) + 48, 0xffffffffu); /* _mapcount -1 */
		st_le32(pg(p) + 52, 1);
	}
	page_set(100, 1ull << PG_LRU, KPTR, -1, 2);                          /* cache */
	page_set(101, 1ull << PG_LRU | 1ull << PG_PRIVATE, KPTR, -1, 2);     /* cache, private */
	page_set(102, 1ull << PG_LRU | 1ull << PG_SWAPBACKED, KPTR | 1, 0, 2); /* anon */
	page_set(103, 1ull << PG_SLAB, KPTR | 1, -1, 1);                    /* slab, not anon */
	page_set(104, 1ull << PG_SWAPCACHE, KPTR, -1, 1);                   /* swapcache w/o swapbacked: kept */
	page_set(105, 1ull << PG_SWAPCACHE | 1ull << PG_SWAPBACKED, KPTR, -1, 1); /* cache */
	page_set(200, 1ull << PG_HWPOISON, 0, -1, 1);
	page_set(201, 0, 0, -257, 1);                                        /* offline */
	page_set(300, 1ull << PG_LRU, 0x1234567812345678ull, -1, 2);        /* garbage mapping */
	page_set(301, 1ull << PG_HWPOISON, 0x00ff00ff00ff00ffull, 7, 9);    /* garbage */
	page_set(302, 0, 0, -129, 7);                                        /* "buddy" with references */
	for (uint64_t p = 512; p < 1024; p++) {
		st_le32(pg(p) + 52, 0);
	}
	page_set(512, 0, 0, -129, 0); /* free block of order 9 */
	st_le64(pg(512) + 40, 9);
	st_le64(pg(700) + 24, 0xdeadbeefull); /* a tail that does not look free */
	compound(1024, 9, 1ull << PG_LRU | 1ull << PG_SWAPBACKED, KPTR | 1, 0); /* anon THP */
	compound(2048, 2, 0, KPTR, 2);                                          /* hugetlb, order 2 */
	compound(2056, 2, 0, 0, 1);                                             /* other compound: kept */
	page_set(3000, 0, 0, -129, 0);
	st_le64(pg(3000) + 40, 11); /* impossible order: kept */

	memcpy(hdr, "\177ELF", 4);
	hdr[4] = 2;
	hdr[5] = 1;
	hdr[6] = 1;
	st_le16(hdr + 16, 4);
	st_le16(hdr + 18, 62);
	st_le64(hdr + 32, 64);
	st_le16(hdr + 52, 64);
	st_le16(hdr + 54, 56);
	st_le16(hdr + 56, 2);
	st_le32(note, 11);
	st_le32(note + 4, (uint32_t)desc);
	memcpy(note + 12, "VMCOREINFO", 11);
	memcpy(note + 24, vmcoreinfo, desc);
	put_phdr(hdr + 64, 4, NOTE_OFF, 0, 0, 24 + ((desc + 3) & ~3ul));
	put_phdr(hdr + 120, 1, LOAD_OFF, DMAP, 0, RAM);
	fd = io_open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		return -1;
	}
	ok = io_write(fd, hdr, sizeof(hdr)) == 0 && io_write(fd, note, sizeof(note)) == 0 &&
	     io_write(fd, mem, RAM) == 0;
	return io_close(fd) == 0 && ok ? 0 : -1;
}

struct run {
	uint8_t ram[NPFN / 8], dump[NPFN / 8];
	struct filter_stats st;
};

static int run_filter(const char *path, unsigned level, uint64_t win, size_t budget, struct run *out)
{
	struct vmcore vc;
	struct filter f;
	int r;

	memset(out, 0, sizeof(*out));
	if (vmcore_open(&vc, path)) {
		return -1;
	}
	r = filter_init(&f, &vc, level, budget);
	for (uint64_t s = 0; !r && s < NPFN; s += win) {
		uint8_t ram2[NPFN / 8] = { 0 }, dump2[NPFN / 8] = { 0 };

		r = filter_window(&f, s, win, out->ram + s / 8, out->dump + s / 8, true);
		r = r ? r : filter_window(&f, s, win, ram2, dump2, false);
		if (!r && (memcmp(ram2, out->ram + s / 8, win / 8) || memcmp(dump2, out->dump + s / 8, win / 8))) {
			r = -1; /* the writing pass must see what the counting pass saw */
		}
	}
	out->st = f.st;
	filter_close(&f);
	vmcore_close(&vc);
	return r;
}

static bool kept(const struct run *r, uint64_t pfn)
{
	return r->dump[pfn / 8] >> (pfn % 8) & 1;
}

static uint64_t kept_in(const struct run *r, uint64_t a, uint64_t b)
{
	uint64_t n = 0;

	for (uint64_t p = a; p < b; p++) {
		n += kept(r, p);
	}
	return n;
}

TEST(test_filter_levels)
{
	char path[] = "/tmp/kdumpcap-filter-XXXXXX";
	int fd = mkstemp(path);
	static struct run r0, r2, r4, r8, r16, r31, rw;
	int ll = log_get_level();

	CHECK(fd >= 0);
	close(fd);
	CHECK(make_vmcore(path) == 0);
	log_set_level(LOG_ERR); /* the fixture's garbage is meant to be reported */
	CHECK(run_filter(path, 0, NPFN, 0, &r0) == 0);
	CHECK(run_filter(path, 2, NPFN, 0, &r2) == 0);
	CHECK(run_filter(path, 4, NPFN, 0, &r4) == 0);
	CHECK(run_filter(path, 8, NPFN, 0, &r8) == 0);
	CHECK(run_filter(path, 16, NPFN, 0, &r16) == 0);
	CHECK(run_filter(path, 31, NPFN, 0, &r31) == 0);
	log_set_level(ll);

	/* level 0: only hwpoison and offline go */
	CHECK(r0.st.total == NPFN && r0.st.kept == NPFN - 2);
	CHECK(!kept(&r0, 200) && !kept(&r0, 201) && kept(&r0, 100) && kept(&r0, 301));
	/* cache */
	CHECK(!kept(&r2, 100) && kept(&r2, 101) && kept(&r2, 102) && kept(&r2, 104) && !kept(&r2, 105));
	CHECK(r2.st.cache == 2 && r2.st.cache_private == 0);
	CHECK(!kept(&r4, 100) && !kept(&r4, 101) && kept(&r4, 102));
	CHECK(r4.st.cache == 2 && r4.st.cache_private == 1);
	/* user: anon, anon THP (whole compound), hugetlb (whole), not slab */
	CHECK(!kept(&r8, 102) && kept(&r8, 103) && kept(&r8, 100));
	CHECK(kept_in(&r8, 1024, 1536) == 0 && kept(&r8, 1536));
	CHECK(kept_in(&r8, 2048, 2052) == 0 && kept_in(&r8, 2056, 2060) == 4);
	CHECK(r8.st.user == 1 + 512 + 4);
	/* free: the order-9 block, except the tail that does not look free */
	CHECK(kept_in(&r16, 512, 1024) == 1 && kept(&r16, 700) && kept(&r16, 1024));
	CHECK(r16.st.free == 511);
	CHECK(kept(&r16, 302) && kept(&r16, 3000));
	/* garbage struct pages are kept at every level */
	CHECK(kept(&r31, 300) && kept(&r31, 301) && kept(&r31, 103));
	CHECK(r31.st.kept + r31.st.cache + r31.st.cache_private + r31.st.user + r31.st.free + r31.st.hwpoison +
		      r31.st.offline ==
	      NPFN);
	/* window and buffer sizes do not change the outcome */
	log_set_level(LOG_ERR);
	CHECK(run_filter(path, 31, 8, 1, &rw) == 0);
	CHECK(!memcmp(rw.dump, r31.dump, sizeof(rw.dump)) && rw.st.free == r31.st.free && rw.st.user == r31.st.user);
	CHECK(run_filter(path, 31, 1024, 1, &rw) == 0);
	CHECK(!memcmp(rw.dump, r31.dump, sizeof(rw.dump)));
	log_set_level(ll);
	unlink(path);
	free(mem);
}
