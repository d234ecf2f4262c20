/* The dead kernel's log as text. Everything read from kernel memory is
 * untrusted: ring geometry is capped, every record is read on its own
 * (nothing is sized by the kernel's numbers beyond the caps below), and
 * every loop is bounded by the ring's size. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/io.h"
#include "lib/log.h"
#include "lib/rd.h"
#include "vmcore/dmesg.h"

#define OUT_SIZE (64u << 10)
#define TEXT_MAX 0xffffu     /* text_len is a u16 in both record formats */
#define STRUCT_MAX 1024u     /* no printk structure comes near this */
#define MAX_COUNT_BITS 30    /* kernel: count_bits = size_bits - 5 */
#define MAX_SIZE_BITS 31     /* kernel: LOG_BUF_LEN_MAX = 1 << 31 */
#define LEGACY_MAX (1u << 31)

/* Lockless ring (kernel/printk/printk_ringbuffer.h, Linux 5.10+): the
 * top two bits of a descriptor's state_var are its state, the rest its id. */
#define DESC_ID_MASK ((1ull << 62) - 1)
#define DESC_COMMITTED 1u
#define DESC_FINALIZED 2u

struct out {
	int fd;
	int err;
	size_t n;
	char buf[OUT_SIZE];
};

struct dmesg {
	struct vmcore *vc;
	struct out *o;
	struct out out;
	uint8_t text[TEXT_MAX + 1];
	uint8_t rec[STRUCT_MAX];
};

static void out_flush(struct out *o)
{
	if (o->n && !o->err) {
		o->err = io_write(o->fd, o->buf, o->n);
	}
	o->n = 0;
}

static void out_reserve(struct out *o, size_t n)
{
	if (o->n + n > OUT_SIZE) {
		out_flush(o);
	}
}

static bool plain_byte(uint8_t c)
{
	/* isprint() || isspace() in the C locale */
	return (c >= 0x20 && c < 0x7f) || (c >= '\t' && c <= '\r');
}

/* One record as makedumpfile 1.7.2 prints it: the timestamp, the text with
 * every embedded newline followed by an indent to the text column, other
 * unprintable bytes as \xNN, then a newline. makedumpfile formats the byte
 * from a (signed) char, so bytes from 0x80 up come out as \xffffffNN. */
static void put_record(struct out *o, uint64_t ts_nsec, const uint8_t *text, size_t len)
{
	char pre[48];
	int ind = snprintf(pre, sizeof(pre), "[%5" PRIu64 ".%06" PRIu64 "] ", ts_nsec / 1000000000u,
			   ts_nsec % 1000000000u / 1000u);

	out_reserve(o, (size_t)ind);
	memcpy(o->buf + o->n, pre, (size_t)ind);
	o->n += (size_t)ind;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = text[i];

		out_reserve(o, 1 + (size_t)ind + 12);
		if (c == '\n') {
			o->buf[o->n++] = '\n';
			memset(o->buf + o->n, ' ', (size_t)ind);
			o->n += (size_t)ind;
		} else if (plain_byte(c)) {
			o->buf[o->n++] = (char)c;
		} else {
			o->n += (size_t)snprintf(o->buf + o->n, 12, c >= 0x80 ? "\\xffffff%02x" : "\\x%02x", c);
		}
	}
	out_reserve(o, 1);
	o->buf[o->n++] = '\n';
}

/* Read kernel memory; an address that maps nowhere means a garbage pointer. */
static int kread(struct dmesg *d, uint64_t va, void *buf, size_t n, const char *what)
{
	int r = vmcore_read_virt(d->vc, va, buf, n);

	if (r == 0) {
		return 0;
	}
	log_err("%s: cannot read the kernel log's %s at 0x%" PRIx64 " (%s): the printk buffer is corrupt or "
		"missing from the vmcore", d->vc->path, what, va, strerror(-r));
	return (r == -ENOENT || r == -EFAULT || r == -ENOTSUP) ? -EINVAL : r;
}

/* The first and last byte of an array in kernel memory are readable. */
static int probe(struct dmesg *d, uint64_t va, uint64_t len, const char *what)
{
	uint8_t b;
	int r = kread(d, va, &b, 1, what);

	return r ? r : kread(d, va + len - 1, &b, 1, what);
}

static bool fits(uint64_t off, uint64_t width, uint64_t size)
{
	return off <= size && width <= size - off;
}

/* ---- lockless ring, Linux 5.10+ ---- */

enum {
	K_PRB, K_RB_SIZE, K_RB_DESC, K_RB_TEXT, K_DR_COUNT_BITS, K_DR_DESCS, K_DR_INFOS, K_DR_HEAD, K_DR_TAIL,
	K_DESC_SIZE, K_DESC_STATE, K_DESC_LPOS, K_LPOS_BEGIN, K_LPOS_NEXT, K_DATA_SIZE_BITS, K_DATA_DATA,
	K_INFO_SIZE, K_INFO_TS, K_INFO_TEXT_LEN, K_COUNTER, K_PRB_NR
};

static const char *const prb_keys[K_PRB_NR] = {
	[K_PRB] = "SYMBOL(prb)",
	[K_RB_SIZE] = "SIZE(printk_ringbuffer)",
	[K_RB_DESC] = "OFFSET(printk_ringbuffer.desc_ring)",
	[K_RB_TEXT] = "OFFSET(printk_ringbuffer.text_data_ring)",
	[K_DR_COUNT_BITS] = "OFFSET(prb_desc_ring.count_bits)",
	[K_DR_DESCS] = "OFFSET(prb_desc_ring.descs)",
	[K_DR_INFOS] = "OFFSET(prb_desc_ring.infos)",
	[K_DR_HEAD] = "OFFSET(prb_desc_ring.head_id)",
	[K_DR_TAIL] = "OFFSET(prb_desc_ring.tail_id)",
	[K_DESC_SIZE] = "SIZE(prb_desc)",
	[K_DESC_STATE] = "OFFSET(prb_desc.state_var)",
	[K_DESC_LPOS] = "OFFSET(prb_desc.text_blk_lpos)",
	[K_LPOS_BEGIN] = "OFFSET(prb_data_blk_lpos.begin)",
	[K_LPOS_NEXT] = "OFFSET(prb_data_blk_lpos.next)",
	[K_DATA_SIZE_BITS] = "OFFSET(prb_data_ring.size_bits)",
	[K_DATA_DATA] = "OFFSET(prb_data_ring.data)",
	[K_INFO_SIZE] = "SIZE(printk_info)",
	[K_INFO_TS] = "OFFSET(printk_info.ts_nsec)",
	[K_INFO_TEXT_LEN] = "OFFSET(printk_info.text_len)",
	[K_COUNTER] = "OFFSET(atomic_long_t.counter)",
};

struct prb {
	uint64_t k[K_PRB_NR];
	uint64_t count; /* descriptors */
	uint64_t descs, infos;
	uint64_t size;  /* text data ring bytes */
	uint64_t data;
	uint64_t head, tail;
};

/* Field positions within their structures must lie inside them. */
static bool prb_layout_ok(const uint64_t *k)
{
	uint64_t rb = k[K_RB_SIZE], dr = k[K_RB_DESC], tr = k[K_RB_TEXT];

	return rb && rb <= STRUCT_MAX && k[K_DESC_SIZE] <= STRUCT_MAX && k[K_INFO_SIZE] <= STRUCT_MAX &&
	       k[K_DESC_SIZE] && k[K_INFO_SIZE] && dr < rb && tr < rb && fits(dr + k[K_DR_COUNT_BITS], 4, rb) &&
	       fits(dr + k[K_DR_DESCS], 8, rb) && fits(dr + k[K_DR_INFOS], 8, rb) &&
	       k[K_COUNTER] < STRUCT_MAX && fits(dr + k[K_DR_HEAD] + k[K_COUNTER], 8, rb) &&
	       fits(dr + k[K_DR_TAIL] + k[K_COUNTER], 8, rb) && fits(tr + k[K_DATA_SIZE_BITS], 4, rb) &&
	       fits(tr + k[K_DATA_DATA], 8, rb) && k[K_DESC_STATE] < STRUCT_MAX &&
	       fits(k[K_DESC_STATE] + k[K_COUNTER], 8, k[K_DESC_SIZE]) && k[K_DESC_LPOS] < STRUCT_MAX &&
	       k[K_LPOS_BEGIN] < STRUCT_MAX && k[K_LPOS_NEXT] < STRUCT_MAX &&
	       fits(k[K_DESC_LPOS] + k[K_LPOS_BEGIN], 8, k[K_DESC_SIZE]) &&
	       fits(k[K_DESC_LPOS] + k[K_LPOS_NEXT], 8, k[K_DESC_SIZE]) && fits(k[K_INFO_TS], 8, k[K_INFO_SIZE]) &&
	       fits(k[K_INFO_TEXT_LEN], 2, k[K_INFO_SIZE]);
}

static int prb_setup(struct dmesg *d, struct prb *p)
{
	const char *path = d->vc->path;
	uint64_t *k = p->k, kaddr, dr, tr, cbits, sbits;
	int r;

	for (int i = 0; i < K_PRB_NR; i++) {
		if (!vmci_u64(&d->vc->vi, prb_keys[i], i == K_PRB ? 16 : 10, &k[i])) {
			log_err("%s: VMCOREINFO has SYMBOL(prb) but no %s: cannot read the kernel log", path,
				prb_keys[i]);
			return -EINVAL;
		}
	}
	if (!prb_layout_ok(k)) {
		log_err("%s: VMCOREINFO describes impossible printk_ringbuffer structures: corrupt VMCOREINFO", path);
		return -EINVAL;
	}
	r = kread(d, k[K_PRB], d->rec, 8, "ring pointer (prb)");
	if (!r) {
		kaddr = ld_le64(d->rec);
		r = kread(d, kaddr, d->rec, k[K_RB_SIZE], "printk_ringbuffer");
	}
	if (r) {
		return r;
	}
	dr = k[K_RB_DESC];
	tr = k[K_RB_TEXT];
	cbits = ld_le32(d->rec + dr + k[K_DR_COUNT_BITS]);
	sbits = ld_le32(d->rec + tr + k[K_DATA_SIZE_BITS]);
	if (cbits > MAX_COUNT_BITS || sbits < 4 || sbits > MAX_SIZE_BITS) {
		log_err("%s: printk ring with 2^%" PRIu64 " descriptors and 2^%" PRIu64 " text bytes: corrupt "
			"kernel log", path, cbits, sbits);
		return -EINVAL;
	}
	p->count = 1ull << cbits;
	p->size = 1ull << sbits;
	p->descs = ld_le64(d->rec + dr + k[K_DR_DESCS]);
	p->infos = ld_le64(d->rec + dr + k[K_DR_INFOS]);
	p->data = ld_le64(d->rec + tr + k[K_DATA_DATA]);
	p->head = ld_le64(d->rec + dr + k[K_DR_HEAD] + k[K_COUNTER]) & DESC_ID_MASK;
	p->tail = ld_le64(d->rec + dr + k[K_DR_TAIL] + k[K_COUNTER]) & DESC_ID_MASK;
	if (p->descs + p->count * k[K_DESC_SIZE] < p->descs || p->infos + p->count * k[K_INFO_SIZE] < p->infos ||
	    p->data + p->size < p->data) {
		log_err("%s: printk ring arrays wrap the address space: corrupt kernel log", path);
		return -EINVAL;
	}
	/* the arrays' ends must be readable, or every record would fail */
	r = probe(d, p->descs, p->count * k[K_DESC_SIZE], "descriptor array");
	if (!r) {
		r = probe(d, p->infos, p->count * k[K_INFO_SIZE], "record info array");
	}
	if (!r) {
		r = probe(d, p->data, p->size, "text ring");
	}
	return r;
}

static int prb_record(struct dmesg *d, const struct prb *p, uint64_t id)
{
	const uint64_t *k = p->k;
	uint64_t slot = id & (p->count - 1), sv, begin, next, len, ts;
	unsigned state;
	int r;

	r = kread(d, p->descs + slot * k[K_DESC_SIZE], d->rec, k[K_DESC_SIZE], "descriptor");
	if (r) {
		return r;
	}
	sv = ld_le64(d->rec + k[K_DESC_STATE] + k[K_COUNTER]);
	state = (unsigned)(sv >> 62);
	if ((sv & DESC_ID_MASK) != id || (state != DESC_COMMITTED && state != DESC_FINALIZED)) {
		return 0; /* being written, reusable, or overwritten: not part of the log */
	}
	begin = ld_le64(d->rec + k[K_DESC_LPOS] + k[K_LPOS_BEGIN]) & (p->size - 1);
	next = ld_le64(d->rec + k[K_DESC_LPOS] + k[K_LPOS_NEXT]) & (p->size - 1);
	if (begin == next) {
		return 0; /* data-less record */
	}
	r = kread(d, p->infos + slot * k[K_INFO_SIZE], d->rec, k[K_INFO_SIZE], "record info");
	if (r) {
		return r;
	}
	len = d->rec[k[K_INFO_TEXT_LEN]] | (uint64_t)d->rec[k[K_INFO_TEXT_LEN] + 1] << 8;
	ts = ld_le64(d->rec + k[K_INFO_TS]);
	/* A block that did not fit before the ring's end was written at its
	 * start; each block starts with its descriptor id. */
	if (begin > next) {
		begin = 0;
	}
	begin += 8;
	if (next - begin < len) {
		len = next - begin; /* truncated record (unsigned, as makedumpfile) */
	}
	if (begin >= p->size) {
		len = 0;
	} else if (len > p->size - begin) {
		len = p->size - begin; /* garbage positions: stay inside the ring */
	}
	if (len) {
		r = kread(d, p->data + begin, d->text, (size_t)len, "record text");
		if (r) {
			return r;
		}
	}
	put_record(d->o, ts, d->text, (size_t)len);
	return d->o->err;
}

static int prb_dump(struct dmesg *d)
{
	struct prb p;
	uint64_t id, n;
	int r = prb_setup(d, &p);

	if (r) {
		return r;
	}
	log_debug("printk ring: %" PRIu64 " descriptors, %" PRIu64 " text bytes, ids %" PRIu64 "..%" PRIu64,
		  p.count, p.size, p.tail, p.head);
	n = ((p.head - p.tail) & DESC_ID_MASK) + 1;
	if (n > p.count) {
		/* a sane ring never spans more ids than it has descriptors */
		log_warn("%s: printk ring tail id %" PRIu64 " lies more than %" PRIu64 " records behind head id %" PRIu64
			 "; printing only the last %" PRIu64, d->vc->path, p.tail, p.count, p.head, p.count);
		n = p.count;
	}
	id = (p.head - (n - 1)) & DESC_ID_MASK;
	for (uint64_t i = 0; i < n; i++, id = (id + 1) & DESC_ID_MASK) {
		r = prb_record(d, &p, id);
		if (r) {
			return r;
		}
	}
	return 0;
}

/* ---- variable-length records in log_buf, Linux 3.5 - 5.9 ---- */

enum { L_BUF, L_BUF_LEN, L_FIRST, L_NEXT, L_SIZE, L_LEN, L_TEXT_LEN, L_TS, L_NR };

/* KIND(NAME) with NAME a symbol, or the record struct's name plus a member */
static const struct {
	const char *kind, *name;
} log_keys[L_NR] = {
	[L_BUF] = { "SYMBOL", "log_buf" },
	[L_BUF_LEN] = { "SYMBOL", "log_buf_len" },
	[L_FIRST] = { "SYMBOL", "log_first_idx" },
	[L_NEXT] = { "SYMBOL", "log_next_idx" },
	[L_SIZE] = { "SIZE", "" },
	[L_LEN] = { "OFFSET", ".len" },
	[L_TEXT_LEN] = { "OFFSET", ".text_len" },
	[L_TS] = { "OFFSET", ".ts_nsec" },
};

static int legacy_keys(struct dmesg *d, uint64_t *k)
{
	/* struct log was renamed struct printk_log in Linux 3.11 */
	const char *sname = vmci_u64(&d->vc->vi, "SIZE(printk_log)", 10, &k[L_SIZE]) ? "printk_log" : "log";

	for (int i = 0; i < L_NR; i++) {
		char key[64];

		snprintf(key, sizeof(key), "%s(%s%s)", log_keys[i].kind, i < L_SIZE ? "" : sname, log_keys[i].name);
		if (!vmci_u64(&d->vc->vi, key, i < L_SIZE ? 16 : 10, &k[i])) {
			log_err("%s: VMCOREINFO has SYMBOL(log_buf) but no %s: cannot read the kernel log",
				d->vc->path, key);
			return -EINVAL;
		}
	}
	if (k[L_SIZE] == 0 || k[L_SIZE] > STRUCT_MAX || !fits(k[L_LEN], 2, k[L_SIZE]) ||
	    !fits(k[L_TEXT_LEN], 2, k[L_SIZE]) || !fits(k[L_TS], 8, k[L_SIZE])) {
		log_err("%s: VMCOREINFO describes an impossible struct printk_log: corrupt VMCOREINFO", d->vc->path);
		return -EINVAL;
	}
	return 0;
}

static int read_u32(struct dmesg *d, uint64_t va, uint32_t *v, const char *what)
{
	uint8_t b[4];
	int r = kread(d, va, b, 4, what);

	*v = ld_le32(b);
	return r;
}

/* The legacy ring as the dead kernel left it. */
struct legacy_ring {
	uint64_t buf;                  /* log_buf */
	uint32_t blen, first, next;    /* log_buf_len, log_first_idx, log_next_idx */
	uint32_t hdr;                  /* sizeof(struct printk_log) */
	bool wrapped;                  /* the walk has passed the buffer's end */
};

static int legacy_ring(struct dmesg *d, const uint64_t *k, struct legacy_ring *g)
{
	int r = kread(d, k[L_BUF], d->rec, 8, "buffer pointer (log_buf)");

	if (!r) {
		r = read_u32(d, k[L_BUF_LEN], &g->blen, "length (log_buf_len)");
	}
	if (!r) {
		r = read_u32(d, k[L_FIRST], &g->first, "first index (log_first_idx)");
	}
	if (!r) {
		r = read_u32(d, k[L_NEXT], &g->next, "next index (log_next_idx)");
	}
	if (r) {
		return r;
	}
	g->buf = ld_le64(d->rec);
	g->hdr = (uint32_t)k[L_SIZE];
	g->wrapped = false;
	if (g->blen < g->hdr || g->blen > LEGACY_MAX || g->first >= g->blen || g->next >= g->blen) {
		log_err("%s: kernel log buffer of %" PRIu32 " bytes with indexes %" PRIu32 "..%" PRIu32
			": corrupt kernel log", d->vc->path, g->blen, g->first, g->next);
		return -EINVAL;
	}
	return 0;
}

/* The header of the record at *AT into d->rec, its length into *LEN. A
 * length of 0 marks the end of the buffer: the record is then the one at
 * index 0. The records from first to next wrap at most once; without
 * this check a loop of records in a buffer that claims to be large is
 * walked blen / hdr times (minutes, and as much output). */
static int legacy_header(struct dmesg *d, const uint64_t *k, struct legacy_ring *g, uint32_t *at, uint32_t *len)
{
	int r = kread(d, g->buf + *at, d->rec, g->hdr, "record header");

	if (r) {
		return r;
	}
	*len = ld_le16(d->rec + k[L_LEN]);
	if (*len) {
		return 0;
	}
	if (g->wrapped) {
		log_err("%s: kernel log records wrap around twice before log_next_idx %" PRIu32 ": corrupt kernel log",
			d->vc->path, g->next);
		return -EINVAL;
	}
	g->wrapped = true;
	*at = 0;
	r = kread(d, g->buf, d->rec, g->hdr, "record header");
	*len = ld_le16(d->rec + k[L_LEN]);
	return r;
}

/* The record at AT, of LEN bytes with its header in d->rec, to the output. */
static int legacy_record(struct dmesg *d, const uint64_t *k, const struct legacy_ring *g, uint32_t at, uint32_t len)
{
	uint32_t tlen = ld_le16(d->rec + k[L_TEXT_LEN]);
	int r;

	if (len < g->hdr || len > g->blen - at || tlen > g->blen - at - g->hdr) {
		log_err("%s: kernel log record at index %" PRIu32 " has length %" PRIu32 " (text %" PRIu32
			"): corrupt kernel log", d->vc->path, at, len, tlen);
		return -EINVAL;
	}
	if (tlen) {
		r = kread(d, g->buf + at + g->hdr, d->text, tlen, "record text");
		if (r) {
			return r;
		}
	}
	put_record(d->o, ld_le64(d->rec + k[L_TS]), d->text, tlen);
	return d->o->err;
}

static int legacy_dump(struct dmesg *d)
{
	uint64_t k[L_NR];
	struct legacy_ring g;
	uint32_t idx;
	int r = legacy_keys(d, k);

	r = r ? r : legacy_ring(d, k, &g);
	if (r) {
		return r;
	}
	/* every record takes at least a header, so this many steps cover the buffer */
	idx = g.first;
	for (uint32_t steps = 0; idx != g.next; steps++) {
		uint32_t at = idx, len;

		if (steps > g.blen / g.hdr + 1) {
			log_err("%s: kernel log records never reach log_next_idx %" PRIu32 ": corrupt kernel log",
				d->vc->path, g.next);
			return -EINVAL;
		}
		if (at > g.blen - g.hdr) {
			log_err("%s: kernel log record at index %" PRIu32 " runs past the buffer: corrupt kernel log",
				d->vc->path, at);
			return -EINVAL;
		}
		r = legacy_header(d, k, &g, &at, &len);
		r = r ? r : legacy_record(d, k, &g, at, len);
		if (r) {
			return r;
		}
		idx = at + len;
		if ((g.wrapped || g.first < g.next) && idx > g.next) {
			log_err("%s: kernel log record at index %" PRIu32 " steps over log_next_idx %" PRIu32
				": corrupt kernel log", d->vc->path, at, g.next);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- plain character ring, before Linux 3.5 ---- */

/* log_end became "unsigned" (from unsigned long) in Linux 2.6.25. */
static bool log_end_is_long(struct dmesg *d)
{
	char rel[64];
	unsigned a = 0, b = 0, c = 0;

	if (!vmci_str(&d->vc->vi, "OSRELEASE", rel, sizeof(rel)) || sscanf(rel, "%u.%u.%u", &a, &b, &c) < 2) {
		return false;
	}
	return a < 2 || (a == 2 && (b < 6 || (b == 6 && c < 25)));
}

static int raw_dump(struct dmesg *d)
{
	uint64_t sym_buf, sym_len, sym_end, buf, end, start, done = 0, total;
	uint32_t blen;
	int r;

	if (!vmci_symbol(&d->vc->vi, "log_buf", &sym_buf) || !vmci_symbol(&d->vc->vi, "log_buf_len", &sym_len) ||
	    !vmci_symbol(&d->vc->vi, "log_end", &sym_end)) {
		log_err("%s: VMCOREINFO lacks SYMBOL(log_buf_len): cannot read the kernel log", d->vc->path);
		return -EINVAL;
	}
	r = kread(d, sym_buf, d->rec, 8, "buffer pointer (log_buf)");
	if (!r) {
		r = read_u32(d, sym_len, &blen, "length (log_buf_len)");
	}
	if (!r) {
		r = kread(d, sym_end, d->rec + 8, 8, "end index (log_end)");
	}
	if (r) {
		return r;
	}
	buf = ld_le64(d->rec);
	end = log_end_is_long(d) ? ld_le64(d->rec + 8) : ld_le32(d->rec + 8);
	if (blen == 0 || blen > LEGACY_MAX || (blen & (blen - 1))) {
		log_err("%s: kernel log buffer of %" PRIu32 " bytes: corrupt kernel log", d->vc->path, blen);
		return -EINVAL;
	}
	/* oldest byte first: the buffer has wrapped once log_end passed its length */
	total = end < blen ? end : blen;
	start = end < blen ? 0 : end & (blen - 1);
	while (done < total) {
		uint64_t pos = (start + done) & (blen - 1);
		size_t chunk = (size_t)(blen - pos < total - done ? blen - pos : total - done);

		if (chunk > sizeof(d->text)) {
			chunk = sizeof(d->text);
		}
		r = kread(d, buf + pos, d->text, chunk, "text");
		if (r) {
			return r;
		}
		out_reserve(d->o, chunk);
		memcpy(d->o->buf + d->o->n, d->text, chunk);
		d->o->n += chunk;
		done += chunk;
	}
	return d->o->err;
}

int dmesg_write(struct vmcore *vc, int fd)
{
	struct dmesg *d;
	uint64_t v;
	int r;

	if (!vc->vi.len) {
		log_err("%s: no VMCOREINFO note: cannot find the kernel log", vc->path);
		return -ENOENT;
	}
	d = malloc(sizeof(*d));
	if (!d) {
		log_err("cannot allocate %zu bytes for reading the kernel log", sizeof(*d));
		return -ENOMEM;
	}
	d->vc = vc;
	d->o = &d->out;
	d->o->fd = fd;
	d->o->err = 0;
	d->o->n = 0;
	if (vmci_symbol(&vc->vi, "prb", &v)) {
		r = prb_dump(d);
	} else if (vmci_symbol(&vc->vi, "log_buf", &v)) {
		r = vmci_symbol(&vc->vi, "log_end", &v) ? raw_dump(d) : legacy_dump(d);
	} else {
		log_err("%s: VMCOREINFO names no printk buffer (neither SYMBOL(prb) nor SYMBOL(log_buf)): cannot find "
			"the kernel log", vc->path);
		r = -ENOENT;
	}
	out_flush(d->o);
	if (!r && d->o->err) {
		r = d->o->err;
	}
	if (r && r == d->o->err) {
		log_err("cannot write the kernel log: %s (is the target full or gone?)", strerror(-r));
	}
	free(d);
	return r;
}
