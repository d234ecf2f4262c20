/* Page classification by makedumpfile's rules (what its
 * __exclude_unnecessary_pages() decides from a struct page), learnt from
 * its source and the kernel's, written anew:
 *  - a compound tail (compound_head bit 0) is never decided by itself; its
 *    head's decision covers the whole compound page (1 << order pages);
 *  - a buddy head (_mapcount == PAGE_BUDDY_MAPCOUNT_VALUE, not slab) starts
 *    a free block of 1 << page.private pages;
 *  - cache = PG_lru, or PG_swapcache with PG_swapbacked; "private" =
 *    PG_private; anonymous = mapping bit 0 (and not slab); hugetlb from the
 *    first tail page (compound_dtor, PG_hugetlb or the hugetlb page type);
 *  - hwpoison and offline pages go whatever the level.
 * Beyond the incumbent: a struct page that cannot be read, or whose fields
 * are impossible for the category it would be dropped as, keeps its page. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "filter/memmap.h"
#include "lib/bits.h"
#include "lib/log.h"
#include "lib/rd.h"

#define LOOKBACK_MAX_ORDER 20  /* largest block (4 GiB) a head before a window may span */
#define CACHE_RUN 512          /* makedumpfile's PGMM_CACHED: no compound lookahead past it */
#define BUF_MIN (256u << 10)
#define BUF_MAX (16u << 20)
#define BUF_DEFAULT (8u << 20)

enum cat { C_KEEP, C_TAIL, C_FREE, C_CACHE, C_CACHE_PRI, C_USER, C_HWPOISON, C_OFFLINE };

struct opt_num {
	bool has;
	int64_t v;
};

struct filter_impl {
	struct memmap mm;
	unsigned level;         /* the levels this kernel's layout lets us decide */
	uint64_t psize;         /* SIZE(page) */
	uint64_t off_flags, off_mapping, off_refcount, off_mapcount, off_private, off_chead;
	bool has_refcount, has_mapcount, has_private, has_chead;
	int pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab, pg_hwpoison, pg_hugetlb; /* -1: absent */
	struct opt_num head_mask, buddy, offline, slab_mc, hugetlb_mc, unaccepted, hugetlb_dtor;
	uint64_t order_off, dtor_off; /* within the first tail page */
	bool has_order, has_dtor;
	uint64_t free_orders;   /* LENGTH(zone.free_area) */
	bool has_free_orders;
	uint64_t chunk;         /* pfns per mem_map read */
	uint8_t *buf;           /* (chunk + 1) struct pages */
	uint8_t *ok;            /* chunk + 1 flags */
	uint8_t *inseg;         /* chunk bits: pfn's first byte is in a segment's file data */
	uint8_t look[2 * 1024]; /* lookback: two struct pages */
	uint8_t look_ok[2];
	bool is_copy; /* filter_clone's: warnings are held for filter_gather */
	struct warning {
		bool said;   /* by this filter, or (in a copy) by its parent */
		bool due;    /* a copy's, held for filter_gather */
		uint64_t pfn; /* the first met */
		int err;
	} unreadable, suspect;
};

/* A range being dropped page by page: the rest of a free block or of a compound page. */
struct skip {
	uint64_t end;
	enum cat cat;
	bool free_block;
	uint64_t head_va;       /* compound: tails point back at head_va | 1 */
};

/* Set bits [a, b) of bm (relative to base), clipped to [base, base + n). */
static void set_range(uint8_t *bm, uint64_t base, uint64_t n, uint64_t a, uint64_t b, bool on)
{
	if (a < base) {
		a = base;
	}
	if (b > base + n) {
		b = base + n;
	}
	if (a < b) {
		bits_fill(bm, a - base, b - base, on);
	}
}

static void for_each_seg(const struct vmcore *vc, void (*fn)(const struct vmcore_seg *s, void *arg), void *arg)
{
	for (unsigned i = 0; i < vc->nseg; i++) {
		fn(&vc->seg[i], arg);
	}
	if (vc->have_text) {
		fn(&vc->text, arg);
	}
}

struct win_arg {
	uint64_t start, n;
	uint8_t *bm;
	unsigned shift; /* the vmcore's page shift */
};

/* The pfn of the page holding byte PA - 1, plus one: PA's pfn rounded up. */
static uint64_t pfn_up(uint64_t pa, unsigned shift)
{
	return (pa + (1ull << shift) - 1) >> shift;
}

/* 1st bitmap: every pfn a segment holds a byte of, the segment's start
 * rounded down to its end rounded up, as makedumpfile builds it when the
 * bitmaps fit in memory (its usual case; its cyclic mode, for big machines,
 * rounds the end down and loses a partial last page: makedumpfile commit
 * 622f0d7 "Prevent data loss in last page" fixed only the former). A page
 * split between segments (EFI setup_data) or partly in a hole is read from
 * all of them (vmcore_page). */
static void ram_range(const struct vmcore_seg *s, void *arg)
{
	struct win_arg *w = arg;

	set_range(w->bm, w->start, w->n, s->paddr >> w->shift, pfn_up(s->paddr + s->memsz, w->shift), true);
}

/* Pages past a segment's file data hold no data: out of the 2nd bitmap. The
 * page holding the last file byte keeps it (makedumpfile 1.7.6, commit f2c5f76;
 * earlier ones drop that page). */
static void nodata_range(const struct vmcore_seg *s, void *arg)
{
	struct win_arg *w = arg;
	uint64_t a = pfn_up(s->paddr + s->filesz, w->shift);
	uint64_t b = pfn_up(s->paddr + s->memsz, w->shift);

	set_range(w->bm, w->start, w->n, a, b, false);
}

/* Pages whose first byte the file holds: the ones whose struct page is looked at. */
static void data_range(const struct vmcore_seg *s, void *arg)
{
	struct win_arg *w = arg;
	uint64_t a = pfn_up(s->paddr, w->shift);
	uint64_t b = pfn_up(s->paddr + s->filesz, w->shift);

	set_range(w->bm, w->start, w->n, a, b, true);
}

static bool in_segs(const struct vmcore *vc, uint64_t pfn)
{
	uint64_t pa = pfn << vc->page_shift;
	const struct vmcore_seg *s = vmcore_seg_of(vc, pa);

	if (s && pa - s->paddr < s->filesz) {
		return true;
	}
	return vc->have_text && pa >= vc->text.paddr && pa - vc->text.paddr < vc->text.filesz;
}

static int num_bit(const struct vmcoreinfo *vi, const char *name)
{
	int64_t v;

	return vmci_number(vi, name, &v) && v >= 0 && v < 64 ? (int)v : -1;
}

static struct opt_num num_opt(const struct vmcoreinfo *vi, const char *name)
{
	struct opt_num o = { 0 };

	o.has = vmci_number(vi, name, &o.v);
	return o;
}

/* OFFSET(name) if present and a field of WIDTH bytes there fits in LIMIT. */
static bool field(const struct vmcoreinfo *vi, const char *name, uint64_t width, uint64_t limit, uint64_t *off)
{
	return vmci_offset(vi, name, off) && *off + width <= limit;
}

/* Say once why some pages are kept that the level would drop. */
static void keep_note(unsigned *level, unsigned bits, const char *what)
{
	if (*level & bits) {
		log_warn("page filter: %s; keeping those pages (the dump is larger, not wrong)", what);
		*level &= ~bits;
	}
}

static void read_layout(struct filter_impl *x, const struct vmcoreinfo *vi, unsigned *level)
{
	uint64_t ps = x->psize, off;

	x->has_refcount = field(vi, "page._refcount", 4, ps, &x->off_refcount);
	x->has_mapcount = field(vi, "page._mapcount", 4, ps, &x->off_mapcount);
	x->has_private = field(vi, "page.private", 8, ps, &x->off_private);
	x->has_chead = field(vi, "page.compound_head", 8, ps, &x->off_chead);
	x->pg_lru = num_bit(vi, "PG_lru");
	x->pg_private = num_bit(vi, "PG_private");
	x->pg_swapcache = num_bit(vi, "PG_swapcache");
	x->pg_swapbacked = num_bit(vi, "PG_swapbacked");
	x->pg_slab = num_bit(vi, "PG_slab");
	x->pg_hwpoison = num_bit(vi, "PG_hwpoison");
	x->pg_hugetlb = num_bit(vi, "PG_hugetlb");
	x->head_mask = num_opt(vi, "PG_head_mask");
	x->buddy = num_opt(vi, "PAGE_BUDDY_MAPCOUNT_VALUE");
	x->offline = num_opt(vi, "PAGE_OFFLINE_MAPCOUNT_VALUE");
	x->slab_mc = num_opt(vi, "PAGE_SLAB_MAPCOUNT_VALUE");
	x->hugetlb_mc = num_opt(vi, "PAGE_HUGETLB_MAPCOUNT_VALUE");
	x->unaccepted = num_opt(vi, "PAGE_UNACCEPTED_MAPCOUNT_VALUE");
	x->hugetlb_dtor = num_opt(vi, "HUGETLB_PAGE_DTOR");
	x->has_free_orders = vmci_length(vi, "zone.free_area", &x->free_orders) && x->free_orders > 0 &&
			     x->free_orders < 64;
	/* compound order and destructor live in the first tail page: as
	 * folio fields from Linux 6.3, as page fields (u8 since 4.16) before */
	if (vmci_offset(vi, "folio._folio_order", &off) && off >= ps && off < 2 * ps) {
		x->order_off = off - ps;
		x->has_order = true;
	} else {
		x->has_order = field(vi, "page.compound_order", 1, ps, &x->order_off);
	}
	if (vmci_offset(vi, "folio._folio_dtor", &off) && off >= ps && off < 2 * ps) {
		x->dtor_off = off - ps;
		x->has_dtor = true;
	} else {
		x->has_dtor = field(vi, "page.compound_dtor", 1, ps, &x->dtor_off);
	}
	if (!x->head_mask.has) {
		log_debug("page filter: no NUMBER(PG_head_mask): compound pages decided page by page");
	}
	if (x->pg_lru < 0 || x->pg_private < 0 || x->pg_swapcache < 0) {
		keep_note(level, DL_CACHE | DL_CACHE_PRIVATE,
			  "VMCOREINFO lacks NUMBER(PG_lru/PG_private/PG_swapcache): page cache cannot be told");
	}
	if (x->pg_slab < 0 && !(x->slab_mc.has && x->has_mapcount)) {
		keep_note(level, DL_USER, "VMCOREINFO lacks NUMBER(PG_slab): user pages cannot be told from slab");
	}
	if (!x->buddy.has || !x->has_mapcount || !x->has_private) {
		keep_note(level, DL_FREE,
			  "VMCOREINFO lacks PAGE_BUDDY_MAPCOUNT_VALUE or OFFSET(page._mapcount/private): "
			  "free pages cannot be told");
	}
}

static uint64_t ld64(const uint8_t *pg, uint64_t off)
{
	return ld_le64(pg + off);
}

static bool is_slab(const struct filter_impl *x, uint64_t flags, uint32_t mapcount)
{
	if (x->slab_mc.has && x->has_mapcount && (int32_t)mapcount == (int32_t)x->slab_mc.v) {
		return true;
	}
	return x->pg_slab >= 0 && (flags >> x->pg_slab & 1);
}

static bool flag(uint64_t flags, int bit)
{
	return bit >= 0 && (flags >> bit & 1);
}

/* makedumpfile's decision for the page at pfn; NEXT is its following
 * struct page when that can hold compound data, else NULL. *nr: pages
 * the decision covers. */
static enum cat classify(const struct filter_impl *x, unsigned level, uint64_t pfn, const uint8_t *pg,
			 const uint8_t *next, uint64_t *nr)
{
	uint64_t flags = ld64(pg, x->off_flags), mapping = ld64(pg, x->off_mapping);
	uint32_t mapcount = x->has_mapcount ? ld_le32(pg + x->off_mapcount) : 0;
	uint64_t private = x->has_private ? ld64(pg, x->off_private) : 0;
	unsigned order = 0;
	uint64_t dtor = 0;
	bool hugetlb_marked = false, slab, anon, cache;

	*nr = 1;
	if (next && x->head_mask.has && (flags & (uint64_t)x->head_mask.v)) {
		uint64_t flags1 = ld64(next, x->off_flags);

		if (x->hugetlb_mc.has) { /* Linux 6.9+: hugetlb is a page type */
			order = flags1 & 0xff;
			hugetlb_marked = (int32_t)mapcount == (int32_t)x->hugetlb_mc.v;
		} else if (x->pg_hugetlb >= 0) { /* Linux 6.6+ */
			order = flags1 & 0xff;
			hugetlb_marked = flag(flags1, x->pg_hugetlb);
		} else {
			order = x->has_order ? next[x->order_off] : 0;
			dtor = x->has_dtor ? next[x->dtor_off] : 0;
		}
		if (order >= 64 || (pfn & ((1ull << order) - 1))) {
			order = 0;
		}
	}
	if (x->has_chead && (ld64(pg, x->off_chead) & 1)) {
		return C_TAIL;
	}
	slab = is_slab(x, flags, mapcount);
	if ((level & DL_FREE) && !slab && (int32_t)mapcount == (int32_t)x->buddy.v) {
		if ((x->has_free_orders && private >= x->free_orders) || private >= 64) {
			return C_KEEP; /* impossible order: makedumpfile warns and keeps it too */
		}
		*nr = 1ull << private;
		return C_FREE;
	}
	if ((level & DL_FREE) && x->unaccepted.has && x->has_free_orders &&
	    (int32_t)mapcount == (int32_t)x->unaccepted.v) {
		*nr = 1ull << (x->free_orders - 1);
		return C_FREE;
	}
	*nr = 1ull << order;
	cache = flag(flags, x->pg_lru) ||
		((x->pg_swapbacked < 0 || flag(flags, x->pg_swapbacked)) && flag(flags, x->pg_swapcache));
	anon = (mapping & 1) && !slab;
	if ((level & DL_CACHE) && cache && !flag(flags, x->pg_private) && !anon) {
		return C_CACHE;
	}
	if ((level & DL_CACHE_PRIVATE) && cache && !anon) {
		return flag(flags, x->pg_private) ? C_CACHE_PRI : C_CACHE;
	}
	if ((level & DL_USER) &&
	    (anon || hugetlb_marked || (x->hugetlb_dtor.has && dtor == (uint64_t)x->hugetlb_dtor.v))) {
		return C_USER;
	}
	if (flag(flags, x->pg_hwpoison)) {
		return C_HWPOISON;
	}
	if (x->offline.has && x->has_mapcount && !slab && (int32_t)mapcount == (int32_t)x->offline.v) {
		return C_OFFLINE;
	}
	*nr = 1;
	return C_KEEP;
}

/* Fields a real struct page of category CAT must have; garbage fails this. */
static bool plausible(const struct filter_impl *x, enum cat cat, const uint8_t *pg)
{
	uint64_t mapping = ld64(pg, x->off_mapping);
	uint32_t ref = x->has_refcount ? ld_le32(pg + x->off_refcount) : 0;

	if (mapping && !memmap_is_kaddr(&x->mm, mapping & ~3ull)) {
		return false;
	}
	if ((int32_t)ref < 0) {
		return false;
	}
	/* the buddy allocator frees only pages with no mapping and no references */
	return cat != C_FREE || (mapping == 0 && ref == 0);
}

/* A page inside a range its head drops must look like part of it. */
static bool tail_plausible(const struct filter_impl *x, const struct skip *s, const uint8_t *pg)
{
	if (s->free_block) {
		return ld64(pg, x->off_mapping) == 0 && (!x->has_refcount || ld_le32(pg + x->off_refcount) == 0);
	}
	if (s->head_va && x->has_chead) {
		return ld64(pg, x->off_chead) == (s->head_va | 1);
	}
	return true;
}

static void count_cat(struct filter_stats *st, enum cat c)
{
	switch (c) {
	case C_FREE: st->free++; break;
	case C_CACHE: st->cache++; break;
	case C_CACHE_PRI: st->cache_private++; break;
	case C_USER: st->user++; break;
	case C_HWPOISON: st->hwpoison++; break;
	case C_OFFLINE: st->offline++; break;
	default: break;
	}
}

static void start_skip(struct filter_impl *x, struct skip *s, uint64_t pfn, uint64_t nr, enum cat c)
{
	s->end = pfn + nr;
	s->cat = c;
	s->free_block = c == C_FREE;
	s->head_va = 0;
	if (!s->free_block && memmap_vaddr(&x->mm, pfn, &s->head_va)) {
		s->head_va = 0;
	}
}

/* A block starting before the window may cover its first pages: look at
 * the heads it could start at (blocks are aligned to their size). */
static void lookback(struct filter *f, uint64_t start, struct skip *s)
{
	struct filter_impl *x = f->impl;
	uint64_t prev = UINT64_MAX;

	for (int k = LOOKBACK_MAX_ORDER; k >= 1; k--) {
		uint64_t h = start & ~((1ull << k) - 1), nr;
		const uint8_t *next;
		enum cat c;

		if (h == start || h == prev) {
			continue;
		}
		prev = h;
		if (!in_segs(f->vc, h) || memmap_read(&x->mm, h, 2, x->look, x->look_ok) < 0 || !x->look_ok[0]) {
			continue;
		}
		next = x->look_ok[1] && h % CACHE_RUN != CACHE_RUN - 1 ? x->look + x->psize : NULL;
		c = classify(x, x->level, h, x->look, next, &nr);
		if (c == C_KEEP || c == C_TAIL || !plausible(x, c, x->look)) {
			continue;
		}
		if (h + nr > start) {
			start_skip(x, s, h, nr, c);
			return;
		}
	}
}

static void warn_unreadable(uint64_t pfn, int err)
{
	log_warn("page filter: struct page of pfn 0x%llx (and maybe others) cannot be read (%s); "
		 "keeping those pages", (unsigned long long)pfn,
		 err == -ENOENT ? "no mem_map for its section" : "mem_map not in the vmcore");
}

static void warn_suspect(uint64_t pfn, int err)
{
	(void)err;
	log_warn("page filter: struct page of pfn 0x%llx (and maybe others) reads as garbage; "
		 "keeping those pages", (unsigned long long)pfn);
}

/* Each kind of warning is said once, naming the first pfn it met. A copy
 * holds its first for filter_gather, which says the copies' in window
 * order: the words do not depend on which thread got there first. */
static void say(const struct filter_impl *x, struct warning *w, uint64_t pfn, int err, void (*warn)(uint64_t, int))
{
	if (w->said || w->due) {
		return;
	}
	w->pfn = pfn;
	w->err = err;
	if (x->is_copy) {
		w->due = true;
		return;
	}
	w->said = true;
	warn(pfn, err);
}

static void say_unreadable(struct filter *f, uint64_t pfn, int err)
{
	say(f->impl, &f->impl->unreadable, pfn, err, warn_unreadable);
}

static void say_suspect(struct filter *f, uint64_t pfn)
{
	say(f->impl, &f->impl->suspect, pfn, 0, warn_suspect);
}

/* Decide pfns [a, b), one section, all in the window at START. */
static void decide_chunk(struct filter *f, uint64_t start, uint64_t a, uint64_t b, uint8_t *dump, bool count,
			 struct skip *s)
{
	struct filter_impl *x = f->impl;
	uint64_t n = b - a, nread = n;
	const uint8_t *base;
	int64_t got;
	struct win_arg w = { .start = a, .n = n, .bm = x->inseg, .shift = f->vc->page_shift };

	memset(x->inseg, 0, (size_t)((n + 7) / 8));
	for_each_seg(f->vc, data_range, &w);
	if (!bits_count(x->inseg, n)) {
		return; /* no page here has data (a hole in RAM): nothing to decide */
	}
	if (b < memmap_section_end(&x->mm, a)) {
		nread++; /* the next struct page: compound data of a head at b - 1 */
	}
	if (memmap_map(&x->mm, a, nread, &base) == 0) {
		memset(x->ok, 1, (size_t)nread);
		got = (int64_t)nread;
	} else {
		base = x->buf;
		got = memmap_read(&x->mm, a, nread, x->buf, x->ok);
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pfn = a + i, bit = pfn - start, nr;
		const uint8_t *pg = base + i * x->psize, *next;
		enum cat c;

		if (pfn < s->end) {
			if (!bit_get(dump, bit)) {
				continue;
			}
			if (!x->ok[i]) {
				if (count) {
					say_unreadable(f, pfn, (int)got);
				}
				continue;
			}
			if (!tail_plausible(x, s, pg)) {
				if (count) {
					say_suspect(f, pfn);
				}
				continue;
			}
			bit_clear(dump, bit);
			if (count) {
				count_cat(&f->st, s->cat);
			}
			continue;
		}
		if (!bit_get(x->inseg, i)) {
			continue;
		}
		if (!x->ok[i]) {
			if (count && bit_get(dump, bit)) {
				say_unreadable(f, pfn, (int)got);
			}
			continue;
		}
		next = i + 1 < nread && x->ok[i + 1] && pfn % CACHE_RUN != CACHE_RUN - 1 ? pg + x->psize : NULL;
		c = classify(x, x->level, pfn, pg, next, &nr);
		if (c == C_KEEP || c == C_TAIL) {
			continue;
		}
		if (!plausible(x, c, pg)) {
			if (count) {
				say_suspect(f, pfn);
			}
			continue;
		}
		if (bit_get(dump, bit)) {
			bit_clear(dump, bit);
			if (count) {
				count_cat(&f->st, c);
			}
		}
		if (nr > 1) {
			start_skip(x, s, pfn, nr, c);
		}
	}
	vmcore_unmap_phys(x->mm.vc);
}

/* X's buffers for reads of up to CHUNK struct pages (rounded down to
 * whole CACHE_RUNs, at least one); 0 or -ENOMEM (none left allocated). */
static int impl_buffers(struct filter_impl *x, uint64_t chunk)
{
	x->chunk = chunk / CACHE_RUN * CACHE_RUN;
	if (x->chunk < CACHE_RUN) {
		x->chunk = CACHE_RUN;
	}
	x->buf = malloc((size_t)((x->chunk + 1) * x->psize));
	x->ok = malloc((size_t)x->chunk + 1);
	x->inseg = malloc((size_t)x->chunk / 8);
	if (!x->buf || !x->ok || !x->inseg) {
		free(x->buf);
		free(x->ok);
		free(x->inseg);
		return -ENOMEM;
	}
	return 0;
}

int filter_init(struct filter *f, struct vmcore *vc, unsigned level, size_t budget)
{
	struct filter_impl *x;
	const char *why = NULL;
	unsigned eff = level & (DL_CACHE | DL_CACHE_PRIVATE | DL_USER | DL_FREE);
	size_t bytes;
	int r;

	memset(f, 0, sizeof(*f));
	if (level > DL_MAX || !vc) {
		return -EINVAL;
	}
	f->vc = vc;
	f->level = level;
	f->budget = budget;
	if (!vc->vi.len) {
		if (eff) {
			log_warn("page filter: the vmcore has no VMCOREINFO; keeping every page (dump level %u not applied)",
				 level);
		}
		return 0;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		return -ENOMEM;
	}
	if (!vmci_size(&vc->vi, "page", &x->psize) || x->psize < 16 || x->psize > sizeof(x->look) / 2 ||
	    !field(&vc->vi, "page.flags", 8, x->psize, &x->off_flags) ||
	    !field(&vc->vi, "page.mapping", 8, x->psize, &x->off_mapping)) {
		why = "VMCOREINFO lacks SIZE(page), OFFSET(page.flags) or OFFSET(page.mapping)";
		goto keep_all;
	}
	read_layout(x, &vc->vi, &eff);
	x->level = eff;
	/* makedumpfile reads struct pages only for these (hwpoison/offline ride along) */
	if (!(eff & (DL_CACHE | DL_CACHE_PRIVATE | DL_USER | DL_FREE)) && x->pg_hwpoison < 0) {
		free(x);
		return 0;
	}
	r = memmap_init(&x->mm, vc, &why);
	if (r) {
		goto keep_all;
	}
	/* a quarter of the budget: the writer needs the rest for pages and compression */
	bytes = budget ? budget / 4 : BUF_DEFAULT;
	bytes = bytes < BUF_MIN ? BUF_MIN : bytes > BUF_MAX ? BUF_MAX : bytes;
	if (impl_buffers(x, bytes / (x->psize + 1) - 1)) {
		free(x);
		return -ENOMEM;
	}
	log_debug("page filter: level %u (effective %u), %s mem_section, %llu pfns per section, struct page %llu "
		  "bytes, %llu pfns per read",
		  level, eff, x->mm.extreme ? "EXTREME" : "classic", 1ull << x->mm.sec_shift,
		  (unsigned long long)x->psize, (unsigned long long)x->chunk);
	f->impl = x;
	return 0;
keep_all:
	if (eff) {
		log_warn("page filter: %s; keeping every %spage (dump level %u applied as %u)", why,
			 level & DL_ZERO ? "non-zero " : "", level, level & DL_ZERO);
	} else if (x->pg_hwpoison >= 0) {
		log_warn("page filter: %s; hardware-poisoned and offline pages cannot be left out", why);
	}
	free(x);
	return 0;
}

int filter_window(struct filter *f, uint64_t start, uint64_t n, uint8_t *ram, uint8_t *dump, bool count)
{
	struct filter_impl *x = f->impl;
	struct win_arg w = { .start = start, .n = n, .bm = ram, .shift = f->vc->page_shift };
	struct skip s = { 0 };

	if ((start | n) & 7) {
		return -EINVAL;
	}
	for_each_seg(f->vc, ram_range, &w);
	memcpy(dump, ram, (size_t)(n / 8));
	w.bm = dump;
	for_each_seg(f->vc, nodata_range, &w);
	if (count) {
		f->st.total += bits_count(ram, n);
	}
	if (x) {
		if (start) {
			lookback(f, start, &s);
		}
		for (uint64_t a = start; a < start + n;) {
			uint64_t b = (a / x->chunk + 1) * x->chunk;
			uint64_t sec_end = memmap_section_end(&x->mm, a);

			if (b > sec_end) {
				b = sec_end;
			}
			if (b > start + n) {
				b = start + n;
			}
			decide_chunk(f, start, a, b, dump, count, &s);
			a = b;
		}
	}
	if (count) {
		f->st.kept += bits_count(dump, n);
	}
	return 0;
}

int filter_clone(const struct filter *f, struct filter *c, struct vmcore *view, unsigned share)
{
	struct filter_impl *x;

	*c = *f;
	c->vc = view;
	memset(&c->st, 0, sizeof(c->st));
	if (!f->impl) {
		return 0;
	}
	x = malloc(sizeof(*x));
	if (!x) {
		return -ENOMEM;
	}
	*x = *f->impl;
	x->is_copy = true;
	x->unreadable.due = x->suspect.due = false;
	x->mm.vc = view;
	x->mm.cur_valid = false;
	if (impl_buffers(x, f->impl->chunk / (share ? share : 1))) {
		free(x);
		return -ENOMEM;
	}
	c->impl = x;
	return 0;
}

void filter_merge(struct filter *f, struct filter *c)
{
	struct filter_stats *a = &f->st;
	const struct filter_stats *b = &c->st;

	a->total += b->total;
	a->zero += b->zero;
	a->cache += b->cache;
	a->cache_private += b->cache_private;
	a->user += b->user;
	a->free += b->free;
	a->hwpoison += b->hwpoison;
	a->offline += b->offline;
	a->kept += b->kept;
	filter_gather(f, c);
	filter_close(c);
}

/* F's warning W says copy C's held one if F has not said its kind yet. */
static void gather_one(struct warning *w, struct warning *c, void (*warn)(uint64_t, int))
{
	if (c->due && !w->said) {
		w->said = true;
		warn(c->pfn, c->err);
	}
	c->due = false;
	c->said = w->said;
}

void filter_gather(struct filter *f, struct filter *c)
{
	struct filter_impl *x = f->impl, *y = c->impl;

	if (x && y) {
		gather_one(&x->unreadable, &y->unreadable, warn_unreadable);
		gather_one(&x->suspect, &y->suspect, warn_suspect);
	}
}

void filter_close(struct filter *f)
{
	if (f->impl) {
		free(f->impl->buf);
		free(f->impl->ok);
		free(f->impl->inseg);
		free(f->impl);
	}
	f->impl = NULL;
}

size_t filter_report(const struct filter *f, uint64_t max_mapnr, char *buf, size_t size)
{
	const struct filter_stats *st = &f->st;
	uint64_t excluded = st->zero + st->cache + st->cache_private + st->user + st->free + st->hwpoison + st->offline;
	uint64_t remaining = st->total > excluded ? st->total - excluded : 0;
	int k;

	k = snprintf(buf, size,
		     "Original pages  : 0x%016llx\n"
		     "  Excluded pages   : 0x%016llx\n"
		     "    Pages filled with zero  : 0x%016llx\n"
		     "    Non-private cache pages : 0x%016llx\n"
		     "    Private cache pages     : 0x%016llx\n"
		     "    User process data pages : 0x%016llx\n"
		     "    Free pages              : 0x%016llx\n"
		     "    Hwpoison pages          : 0x%016llx\n"
		     "    Offline pages           : 0x%016llx\n"
		     "  Remaining pages  : 0x%016llx\n"
		     "  (The number of pages is reduced to %llu%%.)\n"
		     "Memory Hole     : 0x%016llx\n"
		     "--------------------------------------------------\n"
		     "Total pages     : 0x%016llx\n",
		     (unsigned long long)st->total, (unsigned long long)excluded, (unsigned long long)st->zero,
		     (unsigned long long)st->cache, (unsigned long long)st->cache_private,
		     (unsigned long long)st->user, (unsigned long long)st->free, (unsigned long long)st->hwpoison,
		     (unsigned long long)st->offline, (unsigned long long)remaining,
		     (unsigned long long)(st->total ? remaining * 100 / st->total : 0),
		     (unsigned long long)(max_mapnr > st->total ? max_mapnr - st->total : 0),
		     (unsigned long long)max_mapnr);
	return k < 0 ? 0 : (size_t)k;
}
