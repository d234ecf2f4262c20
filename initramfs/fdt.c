/* Flattened device tree reader and /chosen editor (see fdt.h). The editor
 * rebuilds the blob token by token: the memory reservations and every node
 * are copied, NOPs dropped, /chosen's edited properties replaced. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "initramfs/fdt.h"

enum { TOK_BEGIN = 1, TOK_END = 2, TOK_PROP = 3, TOK_NOP = 4, TOK_DONE = 9 };
#define FDT_VERSION      17
#define FDT_LAST_COMPAT  16
#define RSV_ENTRY_LEN    16
#define MAX_DEPTH        64

struct fdt {
	const uint8_t *b;
	size_t len, st_off, st_len, str_off, str_len, rsv_off;
};

struct tok {
	int type;
	const char *name; /* node or property name */
	const uint8_t *val;
	size_t vlen;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static bool within(size_t off, size_t n, size_t len)
{
	return off <= len && n <= len - off;
}

static int open_fdt(const void *buf, size_t len, struct fdt *f)
{
	const uint8_t *b = buf;

	if (len < FDT_HEADER_LEN || be32(b) != FDT_MAGIC || be32(b + 4) > len || be32(b + 4) < FDT_HEADER_LEN ||
	    be32(b + 24) > FDT_VERSION || be32(b + 20) < FDT_LAST_COMPAT) {
		return -EINVAL;
	}
	f->b = b;
	f->len = be32(b + 4);
	f->st_off = be32(b + 8);
	f->str_off = be32(b + 12);
	f->rsv_off = be32(b + 16);
	f->str_len = be32(b + 32);
	f->st_len = be32(b + 36);
	if (!within(f->st_off, f->st_len, f->len) || !within(f->str_off, f->str_len, f->len) ||
	    !within(f->rsv_off, RSV_ENTRY_LEN, f->len) || f->st_off % 4 || f->rsv_off % 8) {
		return -EINVAL;
	}
	return 0;
}

/* The token at *off of the structure block; *off moves past it. */
static int next_tok(const struct fdt *f, size_t *off, struct tok *t)
{
	const uint8_t *st = f->b + f->st_off;
	size_t o = *off, n;

	if (!within(o, 4, f->st_len)) {
		return -EINVAL;
	}
	t->type = (int)be32(st + o);
	o += 4;
	switch (t->type) {
	case TOK_BEGIN:
		t->name = (const char *)st + o;
		n = strnlen(t->name, f->st_len - o);
		if (n == f->st_len - o) {
			return -EINVAL;
		}
		o += (n + 4) & ~(size_t)3;
		break;
	case TOK_PROP: {
		uint32_t nameoff;

		if (!within(o, 8, f->st_len)) {
			return -EINVAL;
		}
		t->vlen = be32(st + o);
		nameoff = be32(st + o + 4);
		o += 8;
		if (!within(o, t->vlen, f->st_len) || nameoff >= f->str_len ||
		    !memchr(f->b + f->str_off + nameoff, '\0', f->str_len - nameoff)) {
			return -EINVAL;
		}
		t->name = (const char *)f->b + f->str_off + nameoff;
		t->val = st + o;
		o += (t->vlen + 3) & ~(size_t)3;
		break;
	}
	case TOK_END:
	case TOK_NOP:
	case TOK_DONE:
		break;
	default:
		return -EINVAL;
	}
	*off = o;
	return t->type;
}

/* Does the node just begun at depth (1 = root) match PATH's component? */
static bool node_is(const char *name, const char *want)
{
	size_t n = strlen(want);

	return !strncmp(name, want, n) && (name[n] == '\0' || name[n] == '@');
}

int fdt_check(const void *buf, size_t len)
{
	struct fdt f;
	struct tok t;
	size_t off = 0;
	int depth = 0, roots = 0, r;

	if (open_fdt(buf, len, &f) < 0) {
		return -EINVAL;
	}
	while ((r = next_tok(&f, &off, &t)) > 0 && r != TOK_DONE) {
		roots += r == TOK_BEGIN && depth == 0;
		depth += r == TOK_BEGIN ? 1 : r == TOK_END ? -1 : 0;
		if (depth < 0 || depth > MAX_DEPTH || (r == TOK_PROP && depth == 0)) {
			return -EINVAL;
		}
	}
	return r == TOK_DONE && depth == 0 && roots == 1 ? 0 : -EINVAL; /* exactly one root node */
}

int fdt_get(const void *buf, size_t len, const char *path, const char *name, const void **val, size_t *vlen)
{
	const char *child = path[0] == '/' && path[1] ? path + 1 : NULL;
	struct fdt f;
	struct tok t;
	size_t off = 0;
	int depth = 0, r, want = child ? 2 : 1, in = 0; /* in: depth of the matched node */

	if (fdt_check(buf, len) < 0 || open_fdt(buf, len, &f) < 0 || path[0] != '/' || (child && strchr(child, '/'))) {
		return -EINVAL;
	}
	while ((r = next_tok(&f, &off, &t)) > 0 && r != TOK_DONE) {
		if (r == TOK_BEGIN) {
			depth++;
			if (depth == want && (depth == 1 || node_is(t.name, child))) {
				in = depth;
			}
		} else if (r == TOK_END) {
			if (in == depth) {
				in = 0;
			}
			depth--;
		} else if (r == TOK_PROP && in && depth == in && !strcmp(t.name, name)) {
			*val = t.val;
			*vlen = t.vlen;
			return 0;
		}
	}
	return -ENOENT;
}

int fdt_put_cells(uint8_t *buf, unsigned cells, uint64_t v)
{
	if (cells < 1 || cells > 4 || (cells == 1 && v >> 32)) {
		return -ERANGE;
	}
	for (unsigned i = 0; i < cells; i++) {
		unsigned shift = 32 * (cells - 1 - i);

		put_be32(buf + 4 * i, shift < 64 ? (uint32_t)(v >> shift) : 0);
	}
	return 0;
}

/* A growing output block. */
struct obuf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void ob_put(struct obuf *o, const void *d, size_t n)
{
	if (o->err || n == 0) {
		return;
	}
	if (o->len + n > FDT_MAX_SIZE) {
		o->err = -E2BIG;
		return;
	}
	if (o->len + n > o->cap) {
		size_t cap = (o->len + n) * 2;
		uint8_t *p = realloc(o->p, cap);

		if (!p) {
			o->err = -ENOMEM;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, d, n);
	o->len += n;
}

static void ob_u32(struct obuf *o, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	ob_put(o, b, 4);
}

static void ob_align(struct obuf *o, size_t a)
{
	static const uint8_t zero[8];

	ob_put(o, zero, (a - o->len % a) % a);
}

/* Offset of NAME in the new strings block, added when new. */
static uint32_t str_off(struct obuf *s, const char *name)
{
	size_t n = strlen(name) + 1;

	for (size_t o = 0; o + n <= s->len; o += strlen((char *)s->p + o) + 1) {
		if (!memcmp(s->p + o, name, n)) {
			return (uint32_t)o;
		}
	}
	ob_put(s, name, n);
	return (uint32_t)(s->len - n);
}

static void emit_prop(struct obuf *st, struct obuf *strs, const char *name, const void *val, size_t vlen)
{
	ob_u32(st, TOK_PROP);
	ob_u32(st, (uint32_t)vlen);
	ob_u32(st, str_off(strs, name));
	ob_put(st, val, vlen);
	ob_align(st, 4);
}

static void emit_node_name(struct obuf *st, const char *name)
{
	ob_u32(st, TOK_BEGIN);
	ob_put(st, name, strlen(name) + 1);
	ob_align(st, 4);
}

static const struct fdt_edit *edit_for(const struct fdt_edit *e, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(e[i].name, name)) {
			return &e[i];
		}
	}
	return NULL;
}

/* The edits' new properties; present[i]: the input's /chosen had e[i]. */
static void emit_edits(struct obuf *st, struct obuf *strs, const struct fdt_edit *e, size_t n, const bool *present)
{
	for (size_t i = 0; i < n; i++) {
		if (!e[i].del && (!e[i].only_if_present || present[i])) {
			emit_prop(st, strs, e[i].name, e[i].val, e[i].vlen);
		}
	}
}

struct walk {
	struct obuf st, strs;
	bool present[FDT_MAX_EDITS];
	int depth, chosen_depth;
	bool seen_chosen, emitted; /* emitted: /chosen's new properties are out */
};

static void copy_tok(struct walk *w, const struct tok *t, const struct fdt_edit *e, size_t n)
{
	const struct fdt_edit *ed;

	switch (t->type) {
	case TOK_BEGIN:
		/* properties come before subnodes: /chosen's go out at its first child */
		if (w->chosen_depth && w->depth == w->chosen_depth && !w->emitted) {
			emit_edits(&w->st, &w->strs, e, n, w->present);
			w->emitted = true;
		}
		w->depth++;
		emit_node_name(&w->st, t->name);
		if (w->depth == 2 && node_is(t->name, "chosen") && !w->seen_chosen) {
			w->chosen_depth = w->depth;
			w->seen_chosen = true;
		}
		break;
	case TOK_END:
		if (w->depth == w->chosen_depth) {
			if (!w->emitted) {
				emit_edits(&w->st, &w->strs, e, n, w->present);
				w->emitted = true;
			}
			w->chosen_depth = 0;
		} else if (w->depth == 1 && !w->seen_chosen) {
			emit_node_name(&w->st, "chosen");
			emit_edits(&w->st, &w->strs, e, n, w->present);
			ob_u32(&w->st, TOK_END);
		}
		w->depth--;
		ob_u32(&w->st, TOK_END);
		break;
	case TOK_PROP:
		ed = w->depth == w->chosen_depth ? edit_for(e, n, t->name) : NULL;
		if (ed) {
			w->present[ed - e] = true;
		} else {
			emit_prop(&w->st, &w->strs, t->name, t->val, t->vlen);
		}
		break;
	default: /* NOPs are dropped */
		break;
	}
}

static int assemble(const struct fdt *f, struct walk *w, void **out, size_t *outlen)
{
	struct obuf o = { 0 };
	size_t rsv = f->rsv_off, st_at, str_at;
	uint8_t hdr[FDT_HEADER_LEN] = { 0 };

	ob_put(&o, hdr, sizeof(hdr));
	ob_align(&o, 8);
	do { /* the reservations up to and including the all-zero entry */
		if (!within(rsv, RSV_ENTRY_LEN, f->len)) {
			free(o.p);
			return -EINVAL;
		}
		ob_put(&o, f->b + rsv, RSV_ENTRY_LEN);
		rsv += RSV_ENTRY_LEN;
	} while (memcmp(f->b + rsv - RSV_ENTRY_LEN, (const uint8_t[RSV_ENTRY_LEN]){ 0 }, RSV_ENTRY_LEN));
	size_t rsv_at = sizeof(hdr) + (8 - sizeof(hdr) % 8) % 8;
	st_at = o.len;
	ob_put(&o, w->st.p, w->st.len);
	str_at = o.len;
	ob_put(&o, w->strs.p, w->strs.len);
	if (o.err) {
		free(o.p);
		return o.err;
	}
	put_be32(o.p, FDT_MAGIC);
	put_be32(o.p + 4, (uint32_t)o.len);
	put_be32(o.p + 8, (uint32_t)st_at);
	put_be32(o.p + 12, (uint32_t)str_at);
	put_be32(o.p + 16, (uint32_t)rsv_at);
	put_be32(o.p + 20, FDT_VERSION);
	put_be32(o.p + 24, FDT_LAST_COMPAT);
	memcpy(o.p + 28, f->b + 28, 4); /* boot_cpuid_phys */
	put_be32(o.p + 32, (uint32_t)w->strs.len);
	put_be32(o.p + 36, (uint32_t)w->st.len);
	*out = o.p;
	*outlen = o.len;
	return 0;
}

int fdt_edit_chosen(const void *in, size_t len, const struct fdt_edit *e, size_t n, void **out, size_t *outlen)
{
	struct fdt f;
	struct tok t;
	struct walk w = { 0 };
	size_t off = 0;
	int r;

	if (n > FDT_MAX_EDITS || fdt_check(in, len) < 0 || open_fdt(in, len, &f) < 0) {
		return -EINVAL;
	}
	while ((r = next_tok(&f, &off, &t)) > 0 && r != TOK_DONE) {
		copy_tok(&w, &t, e, n);
	}
	ob_u32(&w.st, TOK_DONE);
	r = w.st.err ? w.st.err : w.strs.err ? w.strs.err : assemble(&f, &w, out, outlen);
	free(w.st.p);
	free(w.strs.p);
	return r;
}
