#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "capture/compress.h"
#include "capture/kdump.h"
#include "lib/bits.h"
#include "lib/clock.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/meminfo.h"
#include "lib/progress.h"
#include "lib/rd.h"

/* A window covers 2^18 pfns (1 GiB): its bitmaps are whole blocks, and it is
 * a multiple of every buddy block and of a 1 GiB hugetlb page. */
#define WIN_PFNS (1u << 18)
#define DESC_BUF 4096           /* descriptors buffered before a write */
#define DATA_BUF (1u << 20)     /* page data buffered before a write; a unit's data at
				 * least half this size is written as it is */
#define MAX_THREADS 16
/* Pass 2 cuts a window into units of up to UNIT_PAGES_MAX kept pages
 * (however many pfns they span: at -d 31 most pfns are not kept, and
 * units of a fixed pfn span would hold from 0 to all of them) that the
 * threads read, check for zeros and compress into their own buffers, and
 * the main thread writes in pfn order: the file does not depend on the
 * thread count (the unit size, from the memory budget, places the copies
 * of filled pages). Units in flight: UNITS_PER_THREAD each. */
#define UNIT_PAGES_MAX 256u
#define UNIT_PAGES_MIN 8u
#define UNITS_PER_THREAD 2u
/* Tests set this to a byte count (0 included) to replace the writer's
 * share of the memory budget for keeping the 2nd bitmap between the
 * passes: KDUMPCAP_BITMAP_BUDGET=0 forces the re-classify-and-verify path. */
#define BITMAP_BUDGET_ENV "KDUMPCAP_BITMAP_BUDGET"
/* The most bytes of compressed 2nd bitmaps kept between the passes: flat
 * in the machine's size (a 1 TiB machine's whole bitmap, 32 MiB, would
 * triple the collector's peak memory). Windows past it classify again. */
#define BITMAP_KEEP_MAX ((size_t)512 << 10)
#define BITMAP_ZSTD_LEVEL 1

/* Pages whose bytes equal a page written before share its data (the zero
 * page's trick at -d 1 applied to every page): the writer remembers the
 * last page stored for each of DEDUP_SLOTS hash values, and a page with
 * the same hash and the same bytes (compared, never trusted to the hash)
 * gets that page's descriptor. Decided in pfn order by the writing thread,
 * so the file does not depend on the thread count. */
#define DEDUP_SLOTS (1u << 14)
/* Sharing is off unless this is 1, or "collide" (for tests: every page
 * gets the same hash, so only the comparison of the bytes tells equal pages
 * from different ones). Off by default: as built, compacting the units and
 * comparing pages costs up to a quarter of the CPU time at -d 1, more than
 * the space it saves is worth in the capture kernel. */
#define DEDUP_ENV "KDUMPCAP_DEDUP"

enum page_kind { PAGE_DATA, PAGE_ZERO, PAGE_BAD, PAGE_SHARED, PAGE_FILL };

/* Pages whose bytes all hold one value (zero pages too at levels that do
 * not exclude them) are not compressed one by one: the writer stores one
 * copy per value, the first time it meets the value in pfn order, and
 * every such page points at it, as zero pages point at the zero page. On
 * the 1.5 GB QEMU vmcore 7% of the pages kept at -d 31 are such pages (most
 * of them hold 0xcc); zstd took 3 us for each, a quarter of its time for a
 * page of kernel data, and made 18 bytes of it. */
struct fill_copy {
	uint64_t off;  /* its data, and size (0: not stored yet) */
	uint32_t size;
	bool packed;
};

/* A stored page that later equal pages may point to. */
struct dedup_slot {
	uint64_t hash;
	uint64_t pfn;
	uint64_t off; /* its data, and size (0: empty slot) */
	uint32_t size;
	bool packed;
};

/* What pass 1 decided for one window, to check pass 2's decision against,
 * and the decision itself while the kept windows fit the budget. */
struct win_print {
	uint64_t pages; /* bits set in the window's 2nd bitmap */
	uint64_t hash;  /* FNV-1a of its bytes */
	uint8_t *z;     /* the bitmap as a zstd frame, or NULL: classify again */
	size_t zlen;
};

struct unit_page {
	uint64_t pfn;
	uint64_t hash;  /* of the page's bytes (PAGE_DATA) */
	uint64_t off;   /* PAGE_SHARED: the equal page's data */
	uint32_t size;  /* bytes in the unit's data */
	uint8_t kind;   /* enum page_kind */
	uint8_t fill;   /* PAGE_FILL: the byte every byte of the page holds */
	bool packed;    /* compressed (else stored raw) */
};

/* One unit of pass 2: the kept pages of pfns [a, b) of the current
 * window (at most unit_pages), ready to be written. */
struct unit {
	uint64_t a, b;           /* in the window */
	bool done;
	unsigned npages;
	struct unit_page *pages; /* unit_pages */
	uint8_t *data;           /* unit_pages * bound */
	size_t len;
	int bad_err;             /* first unreadable page: its error and pfn */
	uint64_t bad_pfn;
	unsigned comp_errs;      /* pages stored raw because compression failed */
};

struct writer;

struct worker {
	struct writer *w;
	struct compressor comp;
	struct vmcore_win win;   /* its own mmap window over the vmcore */
	uint8_t *pagebuf;
	pthread_t tid;
	bool started;
};

struct writer {
	struct vmcore *vc;
	struct filter *f;
	const struct collect_opts *o;
	struct sink *s;
	struct kdump_result *res;
	/* layout */
	uint64_t max_mapnr;
	uint32_t sub_blocks;
	uint32_t bitmap_blocks;
	uint64_t off_bm1, off_bm2, off_desc, off_data;
	uint64_t ndump;
	/* buffers */
	uint8_t *bm_ram, *bm_dump;
	/* pass 1's decision per window: pass 2 walks the kept bitmaps (one
	 * classification per page) while they fit keep_budget; past that it
	 * classifies again and checks each window against its fingerprint */
	struct win_print *prints;
	size_t keep_budget, kept;
	uint64_t nkept;
	ZSTD_CCtx *bm_cctx;
	ZSTD_DCtx *bm_dctx;
	uint8_t *bm_z; /* ZSTD_compressBound of a window's bitmap */
	uint8_t *desc;
	unsigned ndesc;
	uint64_t desc_index; /* index of desc[0] */
	uint8_t *data;
	size_t data_len;
	uint64_t data_off;   /* file offset of data[0] */
	uint64_t zero_off;   /* where the shared zero page lies */
	struct fill_copy fills[256]; /* PAGE_FILL's copies, by byte value */
	uint8_t *fill_z;     /* bound bytes: a fill copy being compressed */
	struct dedup_slot *dedup; /* DEDUP_SLOTS, or NULL: no sharing */
	uint64_t hash_mask;       /* ~0, or 0 for DEDUP_ENV=collide */
	uint8_t *cmp_a, *cmp_b;   /* two pages, to compare equal hashes */
	size_t bound;
	/* pass 2's units, a ring of nunits; all below under mu */
	struct unit *units;
	unsigned nunits;
	unsigned unit_pages;
	uint64_t win_start, win_n; /* the window being written */
	const uint8_t *win_bm;     /* its 2nd bitmap */
	uint64_t scan;             /* the first pfn of the window not claimed */
	uint64_t next_claim, next_emit;
	struct worker workers[MAX_THREADS];
	unsigned nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_unit;
	bool quit;
	uint32_t bs;  /* the block and page size: the dead kernel's page size */
	uint8_t *hdr; /* the header's block */
};

/* ---- header ---- */

static void fill_utsname(struct writer *w, uint8_t *uts)
{
	struct vmcore *vc = w->vc;
	uint64_t sym, off = 4;
	char rel[KDUMP_UTS_LEN];

	if (vmci_symbol(&vc->vi, "init_uts_ns", &sym)) {
		(void)vmci_offset(&vc->vi, "uts_namespace.name", &off);
		if (vmcore_read_virt(vc, sym + off, uts, KDUMP_UTS_FIELDS * KDUMP_UTS_LEN) == 0 && !memcmp(uts, "Linux", 6)) {
			return;
		}
		log_warn("%s: cannot read the kernel's utsname; the header carries OSRELEASE only", vc->path);
	}
	memset(uts, 0, KDUMP_UTS_FIELDS * KDUMP_UTS_LEN);
	memcpy(uts, "Linux", 5);
	if (vmci_str(&vc->vi, "OSRELEASE", rel, sizeof(rel))) {
		memcpy(uts + KDUMP_UTS_RELEASE * KDUMP_UTS_LEN, rel, strlen(rel));
	}
	memcpy(uts + KDUMP_UTS_MACHINE * KDUMP_UTS_LEN, vc->arch->machine, strlen(vc->arch->machine));
}

static void build_header(struct writer *w)
{
	uint8_t *h = w->hdr;
	uint64_t crashtime;
	struct timeval tv;

	memset(h, 0, w->bs);
	memcpy(h, KDUMP_SIGNATURE, KDUMP_SIG_LEN);
	st_le32(h + KDUMP_OFF_VERSION, KDUMP_HDR_VERSION);
	fill_utsname(w, h + KDUMP_OFF_UTSNAME);
	gettimeofday(&tv, NULL);
	if (vmci_u64(&w->vc->vi, "CRASHTIME", 10, &crashtime) && crashtime) {
		tv.tv_sec = (time_t)crashtime;
		tv.tv_usec = 0;
	}
	st_le64(h + KDUMP_OFF_TV_SEC, (uint64_t)tv.tv_sec);
	st_le64(h + KDUMP_OFF_TV_USEC, (uint64_t)tv.tv_usec);
	/* a file says INCOMPLETE until its pages are durable; a stream written
	 * once says what it will be, its end record and trailer prove it (a
	 * stream cut short has neither: crash refuses it, -R flags the output) */
	st_le32(h + KDUMP_OFF_STATUS, (uint32_t)w->o->compress | (w->s->once ? 0 : KDUMP_DH_INCOMPLETE));
	st_le32(h + KDUMP_OFF_BLOCK_SIZE, w->bs);
	st_le32(h + KDUMP_OFF_SUB_HDR_SIZE, w->sub_blocks);
	st_le32(h + KDUMP_OFF_BITMAP_BLOCKS, w->bitmap_blocks);
	st_le32(h + KDUMP_OFF_MAX_MAPNR, w->max_mapnr > UINT32_MAX ? UINT32_MAX : (uint32_t)w->max_mapnr);
	st_le32(h + KDUMP_OFF_NR_CPUS, w->vc->nr_cpus);
}

static int write_headers(struct writer *w)
{
	struct vmcore *vc = w->vc;
	size_t sub_len = (size_t)w->sub_blocks * w->bs;
	uint8_t *sub = calloc(1, sub_len);
	uint64_t off_note = w->bs + KDUMP_SUBHDR_SIZE;
	int r;

	if (!sub) {
		return -ENOMEM;
	}
	st_le64(sub + KDUMP_SUB_OFF_PHYS_BASE, vc->phys_base);
	st_le32(sub + KDUMP_SUB_OFF_DUMP_LEVEL, w->o->level);
	if (vc->vi.len) {
		st_le64(sub + KDUMP_SUB_OFF_VMCOREINFO, off_note + vc->vmcoreinfo_off);
		st_le64(sub + KDUMP_SUB_OFF_VMCOREINFO_LEN, vc->vi.len);
	}
	st_le64(sub + KDUMP_SUB_OFF_NOTE, off_note);
	st_le64(sub + KDUMP_SUB_OFF_NOTE_LEN, vc->notes_len);
	st_le64(sub + KDUMP_SUB_OFF_MAX_MAPNR_64, w->max_mapnr);
	memcpy(sub + KDUMP_SUBHDR_SIZE, vc->notes, vc->notes_len);
	r = w->s->pwrite(w->s, w->hdr, w->bs, 0);
	if (!r) {
		r = w->s->pwrite(w->s, sub, sub_len, w->bs);
	}
	free(sub);
	return r;
}

/* ---- buffered output ---- */

static int flush_data(struct writer *w)
{
	int r = 0;

	if (w->data_len) {
		r = w->s->pwrite(w->s, w->data, w->data_len, w->data_off);
		w->data_off += w->data_len;
		w->data_len = 0;
	}
	return r;
}

/* Descriptors only reach the file after the data they point to, so a dump
 * cut short never has a descriptor pointing past what was written. */
static int flush_desc(struct writer *w)
{
	int r;

	if (!w->ndesc) {
		return 0;
	}
	r = flush_data(w);
	if (!r) {
		r = w->s->pwrite(w->s, w->desc, (size_t)w->ndesc * KDUMP_DESC_SIZE,
				 w->off_desc + w->desc_index * KDUMP_DESC_SIZE);
	}
	w->desc_index += w->ndesc;
	w->ndesc = 0;
	return r;
}

static int add_desc(struct writer *w, uint64_t off, uint32_t size, uint32_t flags)
{
	uint8_t *d = w->desc + (size_t)w->ndesc * KDUMP_DESC_SIZE;

	st_le64(d + KDUMP_DESC_OFF_OFFSET, off);
	st_le32(d + KDUMP_DESC_OFF_SIZE, size);
	st_le32(d + KDUMP_DESC_OFF_FLAGS, flags);
	st_le64(d + KDUMP_DESC_OFF_PAGE_FLAGS, 0);
	if (++w->ndesc == DESC_BUF) {
		return flush_desc(w);
	}
	return 0;
}

static int add_data(struct writer *w, const void *p, size_t n, uint64_t *at)
{
	int r;

	if (w->data_len + n > DATA_BUF) {
		r = flush_data(w);
		if (r) {
			return r;
		}
	}
	*at = w->data_off + w->data_len;
	memcpy(w->data + w->data_len, p, n);
	w->data_len += n;
	return 0;
}

/* ---- pass 2's units: read, zero check and compress in the threads ---- */

#define BYTE_REPEAT 0x0101010101010101ull

/* The byte every byte of the page holds, or -1: the zero test and the
 * fill test in one look at each word. N is a page size
 * (VMCORE_PAGE_SIZES), so a multiple of eight words. */
static int page_fill(const uint8_t *p, size_t n)
{
	const uint64_t *q = (const uint64_t *)(const void *)p;
	const uint64_t v = q[0];

	if (v != (v & 0xff) * BYTE_REPEAT) {
		return -1;
	}
	for (size_t i = 0; i < n / 8; i += 8) {
		if ((q[i] ^ v) | (q[i + 1] ^ v) | (q[i + 2] ^ v) | (q[i + 3] ^ v) | (q[i + 4] ^ v) |
		    (q[i + 5] ^ v) | (q[i + 6] ^ v) | (q[i + 7] ^ v)) {
			return -1;
		}
	}
	return (int)(v & 0xff);
}

#define HASH_MUL 0x9e3779b97f4a7c15ull
/* Words of a page sampled for its hash: one in each 256 bytes, at varying
 * places. Hashing every word cost up to a quarter of the CPU time of
 * -l -d 1; the writer adds the compressed size, and equal hashes are only
 * a hint anyway: the pages are compared. */
#define HASH_SAMPLES 16u

static uint64_t page_hash(const uint8_t *p, size_t n)
{
	const uint64_t *q = (const uint64_t *)(const void *)p;
	const size_t stride = n / 8 / HASH_SAMPLES;
	uint64_t h = 1;

	for (size_t i = 0; i < HASH_SAMPLES; i++) {
		h = (h ^ q[i * stride + (i * 7 % stride)]) * HASH_MUL;
		h ^= h >> 29;
	}
	return h;
}

/* Page P compressed with C into OUT (w->bound bytes): its size, 0 to store
 * it raw (no compression, or it does not shrink), or -errno. */
static ssize_t pack_page(const struct writer *w, struct compressor *c, const uint8_t *p, uint8_t *out)
{
	return w->o->compress == COMPRESS_NONE ? 0 : compress_page(c, p, w->bs, out, w->bound);
}

/* One kept page into U: compressed straight from the vmcore's mapping
 * (copied only when stored raw). */
static void unit_add(struct worker *wk, struct unit *u, uint64_t pfn)
{
	struct writer *w = wk->w;
	struct unit_page *pg = &u->pages[u->npages++];
	uint8_t *out = u->data + u->len;
	ssize_t cs;
	int err;
	const uint8_t *p = vmcore_page_in(w->vc, &wk->win, wk->pagebuf, pfn, &err);
	int fill;

	pg->pfn = pfn;
	pg->size = 0;
	pg->packed = false;
	if (!p) {
		pg->kind = PAGE_BAD;
		if (!u->bad_err) {
			u->bad_err = err ? err : -EIO;
			u->bad_pfn = pfn;
		}
		return;
	}
	fill = page_fill(p, w->bs);
	if (fill >= 0) {
		pg->kind = fill == 0 && (w->o->level & DL_ZERO) ? PAGE_ZERO : PAGE_FILL;
		pg->fill = (uint8_t)fill;
		return;
	}
	pg->kind = PAGE_DATA;
	pg->hash = w->dedup ? page_hash(p, w->bs) : 0;
	cs = pack_page(w, &wk->comp, p, out);
	if (cs < 0) {
		u->comp_errs++;
	}
	if (cs > 0) {
		pg->size = (uint32_t)cs;
		pg->packed = true;
	} else {
		memcpy(out, p, w->bs);
		pg->size = w->bs;
	}
	u->len += pg->size;
}

/* U's pfns with a bit in the 2nd bitmap. */
static void unit_fill(struct worker *wk, struct unit *u)
{
	struct writer *w = wk->w;
	const uint8_t *bm = w->win_bm;

	u->npages = 0;
	u->len = 0;
	u->bad_err = 0;
	u->comp_errs = 0;
	for (uint64_t i = u->a; i < u->b; i++) {
		if (!bit_get(bm, i)) {
			if ((i & 7) == 7 || !bm[i >> 3]) {
				i |= 7; /* skip the rest of an empty byte */
			}
			continue;
		}
		unit_add(wk, u, w->win_start + i);
	}
}

/* Under mu: pfns are left to claim and the ring has room for a unit. */
static bool claimable(const struct writer *w)
{
	return w->scan < w->win_n && w->next_claim < w->next_emit + w->nunits;
}

/* Under mu, returns under mu: claim the next unit and fill it. */
static void claim_and_fill(struct worker *wk)
{
	struct writer *w = wk->w;
	uint64_t k = w->next_claim++;
	struct unit *u = &w->units[k % w->nunits];

	u->a = w->scan; /* to just after its unit_pages-th kept pfn, or the window's end */
	u->b = bits_after_nth(w->win_bm, u->a, w->win_n, w->unit_pages);
	w->scan = u->b;
	u->done = false;
	pthread_mutex_unlock(&w->mu);
	unit_fill(wk, u);
	pthread_mutex_lock(&w->mu);
	u->done = true;
	pthread_cond_broadcast(&w->cv_unit);
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct writer *w = wk->w;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->quit && !claimable(w)) {
			pthread_cond_wait(&w->cv_work, &w->mu);
		}
		if (w->quit) {
			break;
		}
		claim_and_fill(wk);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}
/* ---- passes ---- */

/* Windows of the pfn space. */
static uint64_t win_count(const struct writer *w)
{
	return (w->max_mapnr + WIN_PFNS - 1) / WIN_PFNS;
}

/* pfns in the window starting at START: WIN_PFNS but for the last one */
static uint64_t win_len(const struct writer *w, uint64_t start)
{
	return w->max_mapnr - start < WIN_PFNS ? w->max_mapnr - start : WIN_PFNS;
}

/* Filter F's decision for the window at START into RAM and DUMP. */
static int decide(const struct writer *w, struct filter *f, uint64_t start, uint8_t *ram, uint8_t *dump, bool count)
{
	uint64_t nbits = (win_len(w, start) + 7) & ~7ull;

	memset(ram, 0, WIN_PFNS / 8);
	memset(dump, 0, WIN_PFNS / 8);
	return filter_window(f, start, nbits, ram, dump, count);
}

static int window(struct writer *w, uint64_t start, bool count)
{
	return decide(w, w->f, start, w->bm_ram, w->bm_dump, count);
}

static uint64_t fnv1a(const uint8_t *b, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h = (h ^ b[i]) * 0x100000001b3ull;
	}
	return h;
}

static struct win_print win_print_of(const uint8_t *bm, size_t bytes)
{
	struct win_print p = { bits_count(bm, (uint64_t)bytes * 8), fnv1a(bm, bytes), NULL, 0 };

	return p;
}

/* Keep window P's bitmap BM compressed if it fits what is left of the
 * budget; without it pass 2 classifies that window again. */
static void keep_window(struct writer *w, struct win_print *p, const uint8_t *bm, size_t bytes)
{
	size_t zlen;

	if (w->kept >= w->keep_budget || !w->bm_cctx) {
		return;
	}
	zlen = ZSTD_compressCCtx(w->bm_cctx, w->bm_z, ZSTD_compressBound(WIN_PFNS / 8), bm, bytes,
				 BITMAP_ZSTD_LEVEL);
	if (ZSTD_isError(zlen) || zlen > w->keep_budget - w->kept || !(p->z = malloc(zlen))) {
		return;
	}
	memcpy(p->z, w->bm_z, zlen);
	p->zlen = zlen;
	w->kept += zlen;
	w->nkept++;
}

/* Window P's kept bitmap into BM (BYTES long), checked against its
 * fingerprint; false when it was not kept or does not match. */
static bool unkeep_window(struct writer *w, const struct win_print *p, uint8_t *bm, size_t bytes)
{
	size_t n;
	struct win_print now;

	if (!p->z) {
		return false;
	}
	n = ZSTD_decompressDCtx(w->bm_dctx, bm, WIN_PFNS / 8, p->z, p->zlen);
	if (ZSTD_isError(n) || n != bytes) {
		return false;
	}
	now = win_print_of(bm, bytes);
	return now.pages == p->pages && now.hash == p->hash;
}

/* Pass 1's result for the window at START: its fingerprint, its kept
 * copy and both bitmaps in the file. Windows come here in order. */
static int record_window(struct writer *w, uint64_t start, const uint8_t *ram, const uint8_t *dump)
{
	size_t bytes = (size_t)((win_len(w, start) + 7) / 8);
	struct win_print *p = &w->prints[start / WIN_PFNS];
	int r;

	*p = win_print_of(dump, bytes);
	w->ndump += p->pages;
	keep_window(w, p, dump, bytes);
	r = w->s->pwrite(w->s, ram, bytes, w->off_bm1 + start / 8);
	return r ? r : w->s->pwrite(w->s, dump, bytes, w->off_bm2 + start / 8);
}

/* A helper of pass 1: it decides one window at a time on its own reader
 * and filter copy, while this thread decides another. */
struct decider {
	struct writer *w;
	struct vmcore view;
	struct filter f;
	uint8_t *ram, *dump;
	uint64_t start;
	int r;
	pthread_t tid;
	bool started;
};

static void *decider_main(void *arg)
{
	struct decider *d = arg;

	d->r = decide(d->w, &d->f, d->start, d->ram, d->dump, true);
	return NULL;
}

static int decider_setup(struct writer *w, struct decider *d)
{
	*d = (struct decider){ .w = w };
	d->ram = malloc(WIN_PFNS / 8);
	d->dump = malloc(WIN_PFNS / 8);
	if (d->ram && d->dump && !vmcore_view(w->vc, &d->view)) {
		if (!filter_clone(w->f, &d->f, &d->view, w->nthreads)) {
			return 0;
		}
		vmcore_view_close(&d->view);
	}
	free(d->ram);
	free(d->dump);
	return -ENOMEM;
}

/* Helpers for all but this thread (each page thread of pass 2 helps), as
 * many as can be set up and have a window to decide. */
static unsigned deciders_setup(struct writer *w, struct decider *d)
{
	unsigned n = 0;

	while (n + 1 < w->nthreads && (n + 1) * WIN_PFNS < w->max_mapnr && !decider_setup(w, &d[n])) {
		n++;
	}
	log_debug("pass 1: %u thread(s)", n + 1);
	return n;
}

static void deciders_teardown(struct writer *w, struct decider *d, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		filter_merge(w->f, &d[i].f);
		vmcore_view_close(&d[i].view);
		free(d[i].ram);
		free(d[i].dump);
	}
}

/* Pass 1 over the windows from START on: this thread decides the first,
 * the N helpers the next N (inline when a thread cannot be had); then
 * all are recorded in order. */
static int decide_batch(struct writer *w, struct decider *d, unsigned n, uint64_t start)
{
	int r;

	for (unsigned i = 0; i < n; i++) {
		d[i].start = start + (i + 1) * WIN_PFNS;
		d[i].started = d[i].start < w->max_mapnr && !pthread_create(&d[i].tid, NULL, decider_main, &d[i]);
	}
	r = window(w, start, true);
	for (unsigned i = 0; i < n; i++) {
		if (d[i].started) {
			pthread_join(d[i].tid, NULL);
		} else if (d[i].start < w->max_mapnr) {
			decider_main(&d[i]);
		}
	}
	if (!r) {
		r = record_window(w, start, w->bm_ram, w->bm_dump);
	}
	for (unsigned i = 0; i < n && d[i].start < w->max_mapnr; i++) {
		filter_gather(w->f, &d[i].f);
		if (!r) {
			r = d[i].r ? d[i].r : record_window(w, d[i].start, d[i].ram, d[i].dump);
		}
	}
	return r;
}

static int pass_bitmaps(struct writer *w)
{
	struct decider d[MAX_THREADS];
	unsigned n = deciders_setup(w, d);
	int r = 0;

	for (uint64_t start = 0; start < w->max_mapnr && !r; start += (n + 1) * WIN_PFNS) {
		r = decide_batch(w, d, n, start);
	}
	deciders_teardown(w, d, n);
	return r;
}

/* Everything decided before this point reaches the sink. */
static int flush_all(struct writer *w)
{
	int r = flush_desc(w);

	if (!r) {
		r = flush_data(w);
	}
	return r;
}

/* The 2nd bitmap of the window at START as pass 1 wrote it, in *BM: the
 * kept copy, or else the filter's new decision when it matches pass 1's
 * fingerprint. On a mismatch (a read of the mem_map that failed in only
 * one pass) the descriptors would shift to other pfns: the pages before
 * the window are flushed, and the dump stops there, incomplete. */
static int window_again(struct writer *w, uint64_t start, const uint8_t **bm)
{
	size_t bytes = (size_t)((win_len(w, start) + 7) / 8);
	struct win_print was = w->prints[start / WIN_PFNS], now;
	int r;

	*bm = w->bm_dump;
	if (unkeep_window(w, &was, w->bm_dump, bytes)) {
		return 0;
	}
	r = window(w, start, false);
	if (r) {
		return r;
	}
	now = win_print_of(w->bm_dump, bytes);
	if (now.pages != was.pages || now.hash != was.hash) {
		r = flush_all(w);
		log_err("%s: pfns 0x%llx-0x%llx: the page filter kept %llu pages in the 1st pass and %llu in the 2nd "
			"(a read of the mem_map failed in one of them?); the dump stops before them and is "
			"flagged incomplete",
			w->vc->path, (unsigned long long)start, (unsigned long long)(start + win_len(w, start) - 1),
			(unsigned long long)was.pages, (unsigned long long)now.pages);
		w->res->reported = true;
		return r ? r : -EIO;
	}
	return 0;
}

/* Pass 2 may never write more descriptors than pass 1 made room for. */
static int too_many(struct writer *w, uint64_t seen)
{
	int r = flush_all(w);

	log_err("%s: the 2nd pass found more pages to dump than the %llu the 1st counted (internal error); "
		"the dump stops after %llu pages and is flagged incomplete",
		w->vc->path, (unsigned long long)w->ndump, (unsigned long long)seen);
	w->res->reported = true;
	return r ? r : -EIO;
}

/* The unit's data, then its descriptors (a descriptor never reaches the
 * file before its data): a large unit is written as it is, a small one
 * gathered with the next ones. */
static int emit_data(struct writer *w, const struct unit *u, uint64_t *at)
{
	int r;

	if (u->len < DATA_BUF / 2) {
		return u->len ? add_data(w, u->data, u->len, at) : 0;
	}
	r = flush_data(w);
	if (!r) {
		r = w->s->pwrite(w->s, u->data, u->len, w->data_off);
	}
	*at = w->data_off;
	w->data_off += u->len;
	return r;
}

static void say_unreadable(struct writer *w, const struct unit *u)
{
	if (u->bad_err && w->res->unreadable == 0) {
		log_err("%s: cannot read pfn 0x%llx: %s; its page is left out and the dump flagged incomplete",
			w->vc->path, (unsigned long long)u->bad_pfn,
			u->bad_err == -EIO ? "file is truncated or unreadable" : strerror(-u->bad_err));
	}
	if (u->comp_errs) {
		log_err("compression failed for %u pages; they are stored raw", u->comp_errs);
	}
}

/* Page PFN's bytes into BUF with pread (the threads' mappings stay where
 * they are); only a page wholly in the file's data is read. */
static bool read_page(struct writer *w, uint64_t pfn, uint8_t *buf)
{
	uint64_t pa = pfn * w->bs;
	const struct vmcore_seg *s = vmcore_seg_of(w->vc, pa);

	return s && pa - s->paddr + w->bs <= s->filesz &&
	       io_pread(w->vc->fd, buf, w->bs, s->offset + (pa - s->paddr)) == (ssize_t)w->bs;
}

/* Whether the pages at pfns A and B hold the same bytes. */
static bool pages_equal(struct writer *w, uint64_t a, uint64_t b)
{
	return read_page(w, a, w->cmp_a) && read_page(w, b, w->cmp_b) && !memcmp(w->cmp_a, w->cmp_b, w->bs);
}

/* U's data pages equal to pages stored before become PAGE_SHARED, their
 * data dropped from U; the others are remembered, at the offsets they get
 * from AT on (the data's place in the file, emit_data). */
static void share_pages(struct writer *w, struct unit *u, uint64_t at)
{
	size_t keep = 0, src = 0;

	if (!w->dedup) {
		return;
	}
	for (unsigned i = 0; i < u->npages; i++) {
		struct unit_page *pg = &u->pages[i];
		uint32_t size = pg->size;
		uint64_t hash;
		struct dedup_slot *d;

		if (pg->kind != PAGE_DATA) {
			continue;
		}
		hash = (pg->hash ^ size * HASH_MUL) & w->hash_mask;
		d = &w->dedup[hash & (DEDUP_SLOTS - 1)];
		if (d->size && d->hash == hash && pages_equal(w, d->pfn, pg->pfn)) {
			pg->kind = PAGE_SHARED;
			pg->off = d->off;
			pg->size = d->size;
			pg->packed = d->packed;
		} else {
			if (keep != src) {
				memmove(u->data + keep, u->data + src, size);
			}
			*d = (struct dedup_slot){ hash, pg->pfn, at + keep, size, pg->packed };
			keep += size;
		}
		src += size;
	}
	u->len = keep;
}

/* The copy of the page filled with BYTE, stored the first time (after the
 * data of the unit being emitted: a descriptor still never precedes its
 * data), compressed on this thread with the 1st worker's context (this
 * thread is that worker). */
static int store_fill(struct writer *w, uint8_t byte, struct fill_copy *c)
{
	struct worker *wk = &w->workers[0];
	ssize_t cs;

	memset(wk->pagebuf, byte, w->bs);
	cs = pack_page(w, &wk->comp, wk->pagebuf, w->fill_z);
	c->packed = cs > 0;
	c->size = cs > 0 ? (uint32_t)cs : w->bs;
	return add_data(w, cs > 0 ? w->fill_z : wk->pagebuf, c->size, &c->off);
}

static int add_fill(struct writer *w, uint8_t byte)
{
	struct fill_copy *c = &w->fills[byte];
	int r = c->size ? 0 : store_fill(w, byte, c);

	return r ? r : add_desc(w, c->off, c->size, c->packed ? (uint32_t)w->o->compress : 0);
}

static int emit_unit(struct writer *w, struct unit *u, uint64_t *seen)
{
	unsigned n = u->npages;
	uint64_t at = w->data_off + w->data_len; /* where emit_data puts the unit's data */
	int r;

	if (*seen + n > w->ndump) {
		return too_many(w, *seen);
	}
	say_unreadable(w, u);
	share_pages(w, u, at);
	r = emit_data(w, u, &at);
	for (unsigned i = 0; i < n && !r; i++) {
		const struct unit_page *pg = &u->pages[i];

		switch (pg->kind) {
		case PAGE_ZERO:
			r = add_desc(w, w->zero_off, w->bs, 0);
			w->res->zero++;
			break;
		case PAGE_BAD:
			r = add_desc(w, 0, 0, 0);
			w->res->unreadable++;
			break;
		case PAGE_SHARED:
			r = add_desc(w, pg->off, pg->size, pg->packed ? (uint32_t)w->o->compress : 0);
			w->res->shared++;
			break;
		case PAGE_FILL:
			r = add_fill(w, pg->fill);
			w->res->fill++;
			break;
		default:
			r = add_desc(w, at, pg->size, pg->packed ? (uint32_t)w->o->compress : 0);
			at += pg->size;
			w->res->data_pages++;
			break;
		}
	}
	*seen += n;
	return r;
}

/* Pass 2 over one window: the threads fill units, this one writes them in
 * order (and fills units itself while the next one is not ready). After an
 * error no more units are claimed; those in flight are waited for. */
static int write_window(struct writer *w, uint64_t start, const uint8_t *bm, uint64_t *seen, struct progress *pg)
{
	int r = 0;

	pthread_mutex_lock(&w->mu);
	w->win_start = start;
	w->win_n = win_len(w, start);
	w->win_bm = bm;
	w->scan = 0;
	w->next_claim = 0;
	w->next_emit = 0;
	pthread_cond_broadcast(&w->cv_work);
	while (w->next_emit < w->next_claim || claimable(w)) {
		struct unit *u = &w->units[w->next_emit % w->nunits];

		if (w->next_emit < w->next_claim && u->done) {
			uint64_t before = *seen;

			pthread_mutex_unlock(&w->mu);
			if (!r) {
				r = emit_unit(w, u, seen);
				if ((before ^ *seen) >> 12) {
					progress_update(pg, *seen);
				}
			}
			pthread_mutex_lock(&w->mu);
			w->next_emit++;
			if (r) {
				w->scan = w->win_n; /* no more claims */
			}
			pthread_cond_broadcast(&w->cv_work);
		} else if (claimable(w)) {
			claim_and_fill(&w->workers[0]);
		} else {
			pthread_cond_wait(&w->cv_unit, &w->mu);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return r;
}

static int pass_pages(struct writer *w)
{
	struct progress pg;
	uint64_t seen = 0;
	int r = 0;

	progress_start(&pg, "Copying data", w->ndump, w->o->progress);
	for (uint64_t start = 0; start < w->max_mapnr && !r; start += WIN_PFNS) {
		const uint8_t *bm;

		r = window_again(w, start, &bm);
		if (!r) {
			r = write_window(w, start, bm, &seen, &pg);
		}
	}
	if (!r) {
		r = flush_all(w);
	}
	if (!r && seen != w->ndump) {
		log_err("%s: the 2nd pass wrote %llu pages, the 1st counted %llu (internal error); the dump is flagged "
			"incomplete", w->vc->path, (unsigned long long)seen, (unsigned long long)w->ndump);
		w->res->reported = true;
		r = -EIO;
	}
	progress_end(&pg, seen);
	return r;
}

/* Bytes the writer may spend on keeping the 2nd bitmap between the passes:
 * half the memory budget (the filter takes a quarter for its struct
 * pages, the page buffers fit in the rest) but at most BITMAP_KEEP_MAX, or
 * BITMAP_BUDGET_ENV. The cap keeps peak memory flat in the machine's size:
 * a larger machine's 2nd pass classifies again, window by window, and is
 * checked against the 1st pass's fingerprints. */
static size_t bitmap_budget(const struct collect_opts *o)
{
	const char *env = getenv(BITMAP_BUDGET_ENV);
	size_t budget = o->mem_budget ? o->mem_budget : meminfo_budget();
	char *end;

	if (env && *env) {
		unsigned long long v = strtoull(env, &end, 0);

		if (!*end) {
			return (size_t)v;
		}
		log_warn("%s=%s is not a byte count; ignored", BITMAP_BUDGET_ENV, env);
	}
	return budget / 2 < BITMAP_KEEP_MAX ? budget / 2 : BITMAP_KEEP_MAX;
}

/* One fingerprint per window, and what keeping their bitmaps needs (when
 * that cannot be had, every window classifies again). */
static int keep_setup(struct writer *w)
{
	uint64_t nwin = win_count(w);

	w->prints = calloc(nwin ? nwin : 1, sizeof(*w->prints));
	if (!w->prints) {
		return -ENOMEM;
	}
	w->keep_budget = bitmap_budget(w->o);
	if (w->keep_budget) {
		w->bm_cctx = ZSTD_createCCtx();
		w->bm_dctx = ZSTD_createDCtx();
		w->bm_z = malloc(ZSTD_compressBound(WIN_PFNS / 8));
	}
	if (!w->bm_cctx || !w->bm_dctx || !w->bm_z) {
		ZSTD_freeCCtx(w->bm_cctx);
		w->bm_cctx = NULL;
	}
	return 0;
}

/* How much of pass 1's decision pass 2 reuses (--message-level debug). */
static void keep_report(const struct writer *w)
{
	uint64_t nwin = win_count(w);

	log_debug("2nd bitmap: %llu of %llu windows kept (%zu bytes compressed, budget %zu); the others are "
		  "classified again and checked against the 1st pass",
		  (unsigned long long)w->nkept, (unsigned long long)nwin, w->kept, w->keep_budget);
}

/* The table of stored pages, when DEDUP_ENV asks for sharing. */
static int dedup_setup(struct writer *w)
{
	const char *env = getenv(DEDUP_ENV);

	if (!env || (strcmp(env, "1") && strcmp(env, "collide"))) {
		return 0;
	}
	w->hash_mask = !strcmp(env, "collide") ? 0 : ~0ull;
	w->dedup = calloc(DEDUP_SLOTS, sizeof(*w->dedup));
	w->cmp_a = malloc(2 * w->bs);
	w->cmp_b = w->cmp_a + w->bs;
	return w->dedup && w->cmp_a ? 0 : -ENOMEM;
}

/* Units in flight and their size: two per thread, each up to
 * UNIT_PAGES_MAX kept pages, within a quarter of the memory budget. */
static int units_setup(struct writer *w, unsigned nt)
{
	size_t budget = w->o->mem_budget ? w->o->mem_budget : meminfo_budget();
	size_t per_page = w->bound + sizeof(struct unit_page);
	size_t fit;

	w->nunits = nt * UNITS_PER_THREAD;
	fit = budget / 4 / w->nunits / per_page & ~(size_t)7;
	w->unit_pages = fit > UNIT_PAGES_MAX ? UNIT_PAGES_MAX : fit < UNIT_PAGES_MIN ? UNIT_PAGES_MIN : (unsigned)fit;
	w->units = calloc(w->nunits, sizeof(*w->units));
	if (!w->units) {
		return -ENOMEM;
	}
	for (unsigned i = 0; i < w->nunits; i++) {
		w->units[i].pages = malloc(w->unit_pages * sizeof(struct unit_page));
		w->units[i].data = malloc(w->unit_pages * w->bound);
		if (!w->units[i].pages || !w->units[i].data) {
			return -ENOMEM;
		}
	}
	log_debug("pass 2: %u threads, %u units of up to %u pages", nt, w->nunits, w->unit_pages);
	return 0;
}

static int worker_setup(struct writer *w, unsigned i)
{
	struct worker *wk = &w->workers[i];
	int r;

	wk->w = w;
	wk->pagebuf = malloc(w->bs);
	if (!wk->pagebuf) {
		return -ENOMEM;
	}
	r = compress_init(&wk->comp, w->o->compress, w->o->zstd_level, w->bs);
	if (r || i == 0) {
		return r;
	}
	if (pthread_create(&wk->tid, NULL, worker_main, wk)) {
		return -EAGAIN;
	}
	wk->started = true;
	return 0;
}

static void worker_teardown(struct worker *wk)
{
	compress_fini(&wk->comp);
	vmcore_win_drop(&wk->win);
	free(wk->pagebuf);
	wk->pagebuf = NULL;
}

static int writer_setup(struct writer *w)
{
	unsigned nt = w->o->threads ? w->o->threads : 1;
	int r;

	if (nt > MAX_THREADS) {
		nt = MAX_THREADS;
	}
	w->bound = compress_bound(w->o->compress, w->bs);
	w->bm_ram = malloc(WIN_PFNS / 8);
	w->bm_dump = malloc(WIN_PFNS / 8);
	w->desc = malloc((size_t)DESC_BUF * KDUMP_DESC_SIZE);
	w->data = malloc(DATA_BUF);
	w->hdr = calloc(1, w->bs);
	w->fill_z = malloc(w->bound);
	if (!w->hdr || !w->fill_z || !w->bm_ram || !w->bm_dump || !w->desc || !w->data || keep_setup(w) ||
	    dedup_setup(w) || units_setup(w, nt)) {
		return -ENOMEM;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv_work, NULL);
	pthread_cond_init(&w->cv_unit, NULL);
	for (unsigned i = 0; i < nt; i++) {
		w->nthreads = i + 1;
		r = worker_setup(w, i);
		if (r == -EAGAIN) {
			log_warn("cannot start page thread %u; continuing with %u", i, i);
			worker_teardown(&w->workers[i]);
			w->nthreads = i;
			break;
		}
		if (r) {
			return r;
		}
	}
	return 0;
}

static void writer_teardown(struct writer *w)
{
	if (w->nthreads) {
		pthread_mutex_lock(&w->mu);
		w->quit = true;
		pthread_cond_broadcast(&w->cv_work);
		pthread_mutex_unlock(&w->mu);
		for (unsigned i = 0; i < w->nthreads; i++) {
			if (w->workers[i].started) {
				pthread_join(w->workers[i].tid, NULL);
			}
			worker_teardown(&w->workers[i]);
		}
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv_work);
		pthread_cond_destroy(&w->cv_unit);
	}
	for (unsigned i = 0; w->units && i < w->nunits; i++) {
		free(w->units[i].pages);
		free(w->units[i].data);
	}
	free(w->units);
	free(w->bm_ram);
	free(w->bm_dump);
	for (uint64_t i = 0; w->prints && i < win_count(w); i++) {
		free(w->prints[i].z);
	}
	free(w->prints);
	ZSTD_freeCCtx(w->bm_cctx);
	ZSTD_freeDCtx(w->bm_dctx);
	free(w->bm_z);
	free(w->desc);
	free(w->data);
	free(w->fill_z);
	free(w->dedup);
	free(w->cmp_a);
	free(w->hdr);
}

int kdump_write(struct vmcore *vc, struct filter *f, const struct collect_opts *o, struct sink *s,
		struct kdump_result *res)
{
	struct writer *w = calloc(1, sizeof(*w));
	uint64_t bm_bytes, t;
	int r;

	memset(res, 0, sizeof(*res));
	if (!w) {
		return -ENOMEM;
	}
	w->vc = vc;
	w->f = f;
	w->o = o;
	w->s = s;
	w->res = res;
	w->max_mapnr = vc->max_pfn;
	w->bs = vc->page_size;
	w->sub_blocks = (uint32_t)((KDUMP_SUBHDR_SIZE + vc->notes_len + w->bs - 1) / w->bs);
	bm_bytes = ((w->max_mapnr + 7) / 8 + w->bs - 1) / w->bs * w->bs;
	w->bitmap_blocks = (uint32_t)(2 * bm_bytes / w->bs);
	w->off_bm1 = (uint64_t)(1 + w->sub_blocks) * w->bs;
	w->off_bm2 = w->off_bm1 + bm_bytes;
	w->off_desc = w->off_bm1 + 2 * bm_bytes;

	r = writer_setup(w);
	if (r) {
		log_err("cannot set up the dump writer: %s", strerror(-r));
		goto out;
	}
	build_header(w);
	t = mono_ns();
	r = write_headers(w);
	if (!r) {
		r = pass_bitmaps(w);
	}
	res->filter_ns = mono_ns() - t;
	if (r) {
		goto out;
	}
	keep_report(w);
	ZSTD_freeCCtx(w->bm_cctx); /* pass 2 only decompresses */
	w->bm_cctx = NULL;
	free(w->bm_z);
	w->bm_z = NULL;
	res->dumped = w->ndump;
	w->off_data = w->off_desc + w->ndump * KDUMP_DESC_SIZE;
	w->data_off = w->off_data;
	if (o->level & DL_ZERO) {
		uint8_t *zero = calloc(1, w->bs);

		w->zero_off = w->off_data;
		r = zero ? add_data(w, zero, w->bs, &w->zero_off) : -ENOMEM;
		free(zero);
		if (r) {
			goto out;
		}
	}
	t = mono_ns();
	r = pass_pages(w);
	res->pages_ns = mono_ns() - t;
	if (r) {
		goto out;
	}
	log_debug("%llu pages share the data of an equal page written before them, %llu a copy of a page "
		  "filled with one byte value", (unsigned long long)res->shared, (unsigned long long)res->fill);
	/* the data area ends the file; the sink's count includes header rewrites */
	res->bytes = w->data_off;
	if (res->unreadable) {
		log_err("%llu pages could not be read from %s; the dump is flagged incomplete",
			(unsigned long long)res->unreadable, vc->path);
		r = -EIO;
		goto out;
	}
	/* everything is written: once it is durable, clear INCOMPLETE (a header
	 * saying complete must never reach the disk before the pages) */
	r = s->sync ? s->sync(s) : 0;
	if (r) {
		log_err("%s: the dump could not be made durable (fsync: %s); its header keeps the INCOMPLETE flag",
			s->name, strerror(-r));
		res->reported = true;
		goto out;
	}
	st_le32(w->hdr + KDUMP_OFF_STATUS, (uint32_t)o->compress);
	r = s->once ? 0 : s->pwrite(s, w->hdr, w->bs, 0);
	if (!r) {
		res->complete = true;
	}
out:
	if (!res->bytes) {
		res->bytes = s->bytes;
	}
	writer_teardown(w);
	free(w);
	return r;
}
