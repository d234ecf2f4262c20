/* The page filter on a synthetic vmcore (tests/synth/synthmm.h): 16 MiB of
 * RAM, 6.1-style VMCOREINFO, SPARSEMEM_EXTREME mem_section, a vmemmap mapped
 * by a 2 MiB page through 4-level page tables, and hand-made struct pages. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter/filter.h"
#include "lib/log.h"
#include "lib/rd.h"
#include "vmcore/vmcore.h"
#include "tests/synth/synthmm.h"
#include "tests/synth/synthvm.h"
#include "tests/unit/t.h"

#define NPFN 4096ull
#define RAM (NPFN * 4096)
#define MEMSEC_PA 0x10000ull
#define MEMMAP_PA 0x800000ull /* struct pages, 2 MiB aligned */
#define KPTR SYNTHMM_KPTR
#define ORPHAN_PFN 0x8000ull /* 128 MiB: section 1, which has no mem_map */
#define ORPHAN_NPFN 16ull
#define ORPHAN_END (ORPHAN_PFN + ORPHAN_NPFN)

static uint8_t *mem; /* the synthetic RAM */

/* Build the fixture in PATH, with a PT_LOAD of ORPHAN_NPFN pages at
 * ORPHAN_PFN if ORPHAN, the vmemmap through 4 KiB pages unless HUGE;
 * returns 0 or -1. */
static int make_vmcore(const char *path, bool orphan, bool huge)
{
	static uint8_t other[ORPHAN_NPFN * 4096];
	struct synthvm_seg seg[2] = { { 0 } };
	struct synthmm m = { .memmap_pa = MEMMAP_PA };
	char vmci[2048];

	mem = m.mem = calloc(1, RAM);
	if (!mem || synthmm_vmcoreinfo(vmci, sizeof(vmci), MEMSEC_PA) < 0) {
		return -1;
	}
	/* vmemmap through a 2 MiB page; mem_section roots @0x10000 -> sections @0x11000 */
	synthmm_init(&m, NPFN, MEMSEC_PA, huge);
	synthmm_page_set(&m, 100, SYNTHMM_PG(LRU), KPTR, -1, 2);                              /* cache */
	synthmm_page_set(&m, 101, SYNTHMM_PG(LRU) | SYNTHMM_PG(PRIVATE), KPTR, -1, 2);        /* cache, private */
	synthmm_page_set(&m, 102, SYNTHMM_PG(LRU) | SYNTHMM_PG(SWAPBACKED), KPTR | 1, 0, 2);  /* anon */
	synthmm_page_set(&m, 103, SYNTHMM_PG(SLAB), KPTR | 1, -1, 1);                         /* slab, not anon */
	synthmm_page_set(&m, 104, SYNTHMM_PG(SWAPCACHE), KPTR, -1, 1); /* swapcache w/o swapbacked: kept */
	synthmm_page_set(&m, 105, SYNTHMM_PG(SWAPCACHE) | SYNTHMM_PG(SWAPBACKED), KPTR, -1, 1); /* cache */
	synthmm_page_set(&m, 200, SYNTHMM_PG(HWPOISON), 0, -1, 1);
	synthmm_page_set(&m, 201, 0, 0, -257, 1);                                          /* offline */
	synthmm_page_set(&m, 300, SYNTHMM_PG(LRU), 0x1234567812345678ull, -1, 2);          /* garbage mapping */
	synthmm_page_set(&m, 301, SYNTHMM_PG(HWPOISON), 0x00ff00ff00ff00ffull, 7, 9);      /* garbage */
	synthmm_page_set(&m, 302, 0, 0, -129, 7); /* "buddy" with references */
	for (uint64_t p = 512; p < 1024; p++) {
		st_le32(synthmm_page(&m, p) + 52, 0);
	}
	synthmm_page_set(&m, 512, 0, 0, -129, 0); /* free block of order 9 */
	st_le64(synthmm_page(&m, 512) + 40, 9);
	st_le64(synthmm_page(&m, 700) + 24, 0xdeadbeefull); /* a tail that does not look free */
	synthmm_compound(&m, 1024, 9, SYNTHMM_PG(LRU) | SYNTHMM_PG(SWAPBACKED), KPTR | 1, 0); /* anon THP */
	synthmm_compound(&m, 2048, 2, 0, KPTR, 2); /* hugetlb, order 2 */
	synthmm_compound(&m, 2056, 2, 0, 0, 1);    /* other compound: kept */
	synthmm_page_set(&m, 3000, 0, 0, -129, 0);
	st_le64(synthmm_page(&m, 3000) + 40, 11); /* impossible order: kept */
	seg[0] = (struct synthvm_seg){ mem, RAM, 0, SYNTHMM_DMAP };
	seg[1] = (struct synthvm_seg){ other, sizeof(other), ORPHAN_PFN * 4096, SYNTHMM_DMAP + ORPHAN_PFN * 4096 };
	memset(other, 0x5a, sizeof(other));
	return synthvm_write_segs(path, vmci, seg, orphan ? 2 : 1) ? -1 : 0;
}

struct run {
	uint8_t ram[NPFN / 8], dump[NPFN / 8];
	struct filter_stats st;
};

static bool refuse_mmap; /* run_filter reads with pread only: struct pages are copied */

static int run_filter(const char *path, unsigned level, uint64_t win, size_t budget, struct run *out)
{
	struct vmcore vc;
	struct filter f;
	int r;

	memset(out, 0, sizeof(*out));
	if (vmcore_open(&vc, path)) {
		return -1;
	}
	vc.no_mmap = refuse_mmap;
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

/* A PT_LOAD whose section has no mem_map keeps its own pages and nothing
 * else: the other pages are decided as without it (WANT, level 31). */
static void test_orphan_segment(const uint8_t *want)
{
	char path[] = "/tmp/kdumpcap-filter-XXXXXX";
	int fd = mkstemp(path);
	static uint8_t ram[ORPHAN_END / 8], dump[ORPHAN_END / 8];
	struct vmcore vc;
	struct filter f;
	int ll = log_get_level();

	CHECK(fd >= 0);
	close(fd);
	CHECK(make_vmcore(path, true, true) == 0);
	CHECK(vmcore_open(&vc, path) == 0);
	log_set_level(LOG_ERR);
	CHECK(filter_init(&f, &vc, 31, 0) == 0);
	CHECK(f.impl != NULL); /* filtering stays on */
	CHECK(filter_window(&f, 0, ORPHAN_END, ram, dump, true) == 0);
	log_set_level(ll);
	CHECK(!memcmp(dump, want, NPFN / 8));
	for (uint64_t p = ORPHAN_PFN; p < ORPHAN_END; p++) {
		CHECK(dump[p / 8] >> (p % 8) & 1);
	}
	CHECK(f.st.total == NPFN + ORPHAN_NPFN);
	filter_close(&f);
	vmcore_close(&vc);
	unlink(path);
	free(mem);
}

TEST(test_filter_levels)
{
	char path[] = "/tmp/kdumpcap-filter-XXXXXX";
	int fd = mkstemp(path);
	static struct run r0, r2, r4, r8, r16, r31, rw;
	int ll = log_get_level();

	CHECK(fd >= 0);
	close(fd);
	CHECK(make_vmcore(path, false, true) == 0);
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
	/* struct pages copied instead of read in place: the same outcome */
	refuse_mmap = true;
	CHECK(run_filter(path, 31, NPFN, 0, &rw) == 0);
	CHECK(!memcmp(rw.dump, r31.dump, sizeof(rw.dump)) && rw.st.free == r31.st.free && rw.st.user == r31.st.user);
	CHECK(run_filter(path, 16, 8, 1, &rw) == 0);
	CHECK(!memcmp(rw.dump, r16.dump, sizeof(rw.dump)));
	refuse_mmap = false;
	/* a vmemmap of 4 KiB pages, one after the other in physical memory: the
	 * first chunks are read in place across pages, the last is copied */
	free(mem);
	CHECK(make_vmcore(path, false, false) == 0);
	CHECK(run_filter(path, 31, 1024, 1, &rw) == 0);
	CHECK(!memcmp(rw.dump, r31.dump, sizeof(rw.dump)) && rw.st.free == r31.st.free);
	log_set_level(ll);
	unlink(path);
	free(mem);
	test_orphan_segment(r31.dump);
}
