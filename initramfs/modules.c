/* The module index: modules.dep / .softdep / .alias / .builtin (or each
 * module's .modinfo) read into a table found by name, and written back for
 * the image. The walk over it is in modwalk.c. See modules.h. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "initramfs/modfile.h"
#include "initramfs/modules.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/rd.h"

#define MOD_MAX 20000
#define INDEX_MAX (64u << 20)  /* modules.* file size cap */
#define MODINFO_MAX (1u << 20)
#define ALIASES_MAX (16u << 10)

static void normalize(char *s)
{
	for (; *s; s++) {
		if (*s == '-') {
			*s = '_';
		}
	}
}

/* "kernel/fs/ext4/ext4.ko" -> "ext4" */
static void name_of_path(const char *path, char *out, size_t n)
{
	const char *b = strrchr(path, '/');
	size_t len;

	b = b ? b + 1 : path;
	len = strcspn(b, ".");
	snprintf(out, n, "%.*s", (int)len, b);
	normalize(out);
}

/* FNV-1a of a normalized name */
static uint32_t hash_name(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h = (h ^ (uint8_t)*s) * 16777619u;
	}
	return h;
}

/* The slot that holds NAME, or the free one where it would go. */
static uint32_t *slot_of(const struct moddb *db, const char *name)
{
	size_t mask = db->nslot - 1, k = hash_name(name) & mask;

	while (db->slot[k] && strcmp(db->m[db->slot[k] - 1].name, name)) {
		k = (k + 1) & mask;
	}
	return &db->slot[k];
}

/* Index module I by name; the first of two with one name keeps it. */
static void index_name(struct moddb *db, size_t i)
{
	uint32_t *s = slot_of(db, db->m[i].name);

	if (!*s) {
		*s = (uint32_t)i + 1;
	}
}

static int grow(struct moddb *db)
{
	size_t cap = db->cap ? db->cap * 2 : 256, nslot = 512;
	struct mod *nm;
	uint32_t *ns;

	if (db->cap >= MOD_MAX) {
		return -E2BIG;
	}
	cap = cap < MOD_MAX ? cap : MOD_MAX;
	nm = realloc(db->m, cap * sizeof(*nm));
	if (!nm) {
		return -ENOMEM;
	}
	db->m = nm;
	while (nslot < cap * 2) {
		nslot *= 2; /* a power of two: probes wrap with a mask */
	}
	ns = calloc(nslot, sizeof(*ns));
	if (!ns) {
		return -ENOMEM;
	}
	free(db->slot);
	db->slot = ns;
	db->nslot = nslot;
	db->cap = cap;
	for (size_t i = 0; i < db->n; i++) {
		index_name(db, i);
	}
	return 0;
}

static struct mod *add(struct moddb *db, const char *name, const char *path)
{
	struct mod *m;

	if (db->n == db->cap && grow(db)) {
		return NULL;
	}
	m = &db->m[db->n];
	memset(m, 0, sizeof(*m));
	m->name = strdup(name);
	m->path = path ? strdup(path) : NULL;
	if (!m->name || (path && !m->path)) {
		free(m->name);
		free(m->path);
		return NULL;
	}
	normalize(m->name);
	index_name(db, db->n);
	db->n++;
	return m;
}

int moddb_find(const struct moddb *db, const char *name)
{
	char n[128];

	if (!db->nslot) {
		return -1;
	}
	snprintf(n, sizeof(n), "%s", name);
	normalize(n);
	return (int)*slot_of(db, n) - 1;
}

/* Append WORD to the blank-separated list *LIST (capped). */
static int append(char **list, const char *word, size_t wlen)
{
	size_t old = *list ? strlen(*list) : 0;
	char *n;

	if (old + wlen + 2 > ALIASES_MAX) {
		return -E2BIG;
	}
	n = realloc(*list, old + wlen + 2);
	if (!n) {
		return -ENOMEM;
	}
	if (old) {
		n[old++] = ' ';
	}
	memcpy(n + old, word, wlen);
	n[old + wlen] = '\0';
	*list = n;
	return 0;
}

/* "pre: a b post: c" -> m->pre, m->post */
static void parse_softdep(struct mod *m, const char *s)
{
	char **dst = NULL;

	while (*s) {
		size_t n;
		s += strspn(s, " \t");
		n = strcspn(s, " \t");
		if (!n) {
			break;
		}
		if (n == 4 && !strncmp(s, "pre:", 4)) {
			dst = &m->pre;
		} else if (n == 5 && !strncmp(s, "post:", 5)) {
			dst = &m->post;
		} else if (dst) {
			(void)append(dst, s, n);
		}
		s += n;
	}
}

static char *slurp(const char *dir, const char *file, size_t *len)
{
	char path[PATH_MAX];
	void *buf;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path) ||
	    io_read_file(path, INDEX_MAX, &buf, len, NULL)) {
		return NULL;
	}
	return buf;
}

/* Iterate over the lines of TEXT, in place. */
static char *next_line(char **cur)
{
	char *l = *cur, *e;

	if (!l || !*l) {
		return NULL;
	}
	e = strchr(l, '\n');
	if (e) {
		*e = '\0';
		*cur = e + 1;
	} else {
		*cur = l + strlen(l);
	}
	return l;
}

static int read_depmod(struct moddb *db, char *dep)
{
	char *cur = dep, *l, *text;
	size_t len;

	while ((l = next_line(&cur))) {
		char name[128], dpath[256], dname[128];
		char *colon = strchr(l, ':'), *s;
		struct mod *m;

		if (!colon) {
			continue;
		}
		*colon = '\0';
		name_of_path(l, name, sizeof(name));
		m = add(db, name, l);
		if (!m) {
			log_err("%s/modules.dep: more than %d modules, or out of memory", db->dir, MOD_MAX);
			return -ENOMEM;
		}
		for (s = colon + 1; *s;) {
			size_t n;
			s += strspn(s, " \t");
			n = strcspn(s, " \t");
			if (!n) {
				break;
			}
			snprintf(dpath, sizeof(dpath), "%.*s", (int)n, s);
			name_of_path(dpath, dname, sizeof(dname));
			if (append(&m->deps, dname, strlen(dname))) {
				log_err("%s/modules.dep: the dependencies of %s are over %u bytes", db->dir, name,
					ALIASES_MAX);
				return -E2BIG;
			}
			s += n;
		}
	}
	text = slurp(db->dir, "modules.softdep", &len);
	for (cur = text; text && (l = next_line(&cur));) {
		char name[128];
		const char *p;
		size_t n;
		int i;
		/* "softdep NAME pre: ... post: ..."; the rules start right after
		 * NAME (not at a fixed offset: blanks vary, "softdepX" is no rule) */
		if (strncmp(l, "softdep", 7) || (l[7] != ' ' && l[7] != '\t')) {
			continue;
		}
		p = l + 7 + strspn(l + 7, " \t");
		n = strcspn(p, " \t");
		if (!n || n >= sizeof(name)) {
			continue;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		i = moddb_find(db, name);
		if (i >= 0) {
			parse_softdep(&db->m[i], p + n);
		}
	}
	free(text);
	text = slurp(db->dir, "modules.alias", &len);
	for (cur = text; text && (l = next_line(&cur));) {
		char alias[256], name[128];
		int i;
		if (sscanf(l, "alias %255s %127s", alias, name) != 2) {
			continue;
		}
		i = moddb_find(db, name);
		if (i >= 0) {
			(void)append(&db->m[i].aliases, alias, strlen(alias));
		}
	}
	free(text);
	return 0;
}

/* The .modinfo section of an ELF64 module, NUL-separated key=value. */
/* A module file's bytes: through its descriptor, or decompressed in memory. */
struct modsrc {
	int fd;
	const uint8_t *mem;
	size_t len;
};

static bool src_read(const struct modsrc *s, void *buf, size_t n, uint64_t off)
{
	if (!s->mem) {
		return io_pread(s->fd, buf, n, off) == (ssize_t)n;
	}
	if (off > s->len || n > s->len - off) {
		return false;
	}
	memcpy(buf, s->mem + off, n);
	return true;
}

/* The .modinfo section of an ELF64 module, NUL-separated key=value. */
static char *read_modinfo(const struct modsrc *src, size_t *len)
{
	uint8_t eh[64], sh[64];
	uint64_t shoff, stroff = 0;
	unsigned shnum, shentsize, shstrndx;
	char *buf;

	if (!src_read(src, eh, sizeof(eh), 0) || memcmp(eh, "\177ELF\2\1", 6)) {
		return NULL;
	}
	shoff = ld_le64(eh + 40);
	shentsize = eh[58] | eh[59] << 8;
	shnum = eh[60] | eh[61] << 8;
	shstrndx = eh[62] | eh[63] << 8;
	if (shentsize != 64 || shstrndx >= shnum) {
		return NULL;
	}
	if (!src_read(src, sh, sizeof(sh), shoff + (uint64_t)shstrndx * 64)) {
		return NULL;
	}
	stroff = ld_le64(sh + 24);
	for (unsigned i = 0; i < shnum; i++) {
		char nm[16];
		uint64_t off, size;
		if (!src_read(src, sh, sizeof(sh), shoff + (uint64_t)i * 64)) {
			return NULL;
		}
		if (!src_read(src, nm, sizeof(nm), stroff + ld_le32(sh)) || memcmp(nm, ".modinfo", 9)) {
			continue;
		}
		off = ld_le64(sh + 24);
		size = ld_le64(sh + 32);
		if (size > MODINFO_MAX) {
			return NULL;
		}
		buf = malloc(size + 1);
		if (!buf || !src_read(src, buf, size, off)) {
			free(buf);
			return NULL;
		}
		buf[size] = '\0';
		*len = size;
		return buf;
	}
	return NULL;
}

/* The .modinfo of module file PATH (REL in DIR), compressed or not. */
static char *modinfo_of(const char *dir, const char *rel, const char *path, size_t *len)
{
	struct modsrc src = { -1, NULL, 0 };
	void *raw, *plain = NULL;
	size_t rawlen;
	char *mi;

	if (modfile_comp(path) == MODFILE_PLAIN) {
		src.fd = io_open(path, O_RDONLY, 0);
		if (src.fd < 0) {
			return NULL;
		}
		mi = read_modinfo(&src, len);
		io_close(src.fd);
		return mi;
	}
	raw = slurp(dir, rel, &rawlen);
	if (!raw || modfile_decompress(path, raw, rawlen, &plain, &src.len)) {
		log_warn("%s: cannot read its .modinfo, so its dependencies are unknown (run depmod)", path);
		free(raw);
		return NULL;
	}
	free(raw);
	src.mem = plain;
	mi = read_modinfo(&src, len);
	free(plain);
	return mi;
}

static void scan_module(struct moddb *db, const char *listed)
{
	char rel[PATH_MAX], path[PATH_MAX], name[128];
	struct mod *m;
	size_t len, i;
	char *mi;

	/* modules.order names "x.ko" also where the file is "x.ko.zst" */
	if (modfile_locate(db->dir, listed, rel, sizeof(rel))) {
		snprintf(rel, sizeof(rel), "%s", listed);
	}
	if (snprintf(path, sizeof(path), "%s/%s", db->dir, rel) >= (int)sizeof(path)) {
		return;
	}
	name_of_path(rel, name, sizeof(name));
	m = add(db, name, rel);
	if (!m) {
		return;
	}
	mi = modinfo_of(db->dir, rel, path, &len);
	for (i = 0; mi && i < len; i += strlen(mi + i) + 1) {
		const char *kv = mi + i;
		if (!strncmp(kv, "depends=", 8)) {
			for (const char *s = kv + 8; *s;) {
				size_t n = strcspn(s, ",");
				char d[128];
				snprintf(d, sizeof(d), "%.*s", (int)(n < 127 ? n : 127), s);
				normalize(d);
				if (n) {
					(void)append(&m->deps, d, strlen(d));
				}
				s += n + (s[n] == ',');
			}
		} else if (!strncmp(kv, "softdep=", 8)) {
			parse_softdep(m, kv + 8);
		} else if (!strncmp(kv, "alias=", 6)) {
			(void)append(&m->aliases, kv + 6, strlen(kv + 6));
		}
	}
	free(mi);
}

int moddb_open(struct moddb *db, const char *dir)
{
	char *text, *cur, *l;
	size_t len;
	int r = 0;

	memset(db, 0, sizeof(*db));
	snprintf(db->dir, sizeof(db->dir), "%s", dir);
	text = slurp(dir, "modules.dep", &len);
	if (text) {
		r = read_depmod(db, text);
		free(text);
	} else {
		text = slurp(dir, "modules.order", &len);
		if (!text) {
			log_err("%s has neither modules.dep nor modules.order: is this a kernel modules directory? "
				"(run depmod, or pass the right --kver)", dir);
			return -ENOENT;
		}
		log_info("%s has no modules.dep (depmod never ran): reading each module's .modinfo", dir);
		for (cur = text; (l = next_line(&cur));) {
			if (*l) {
				scan_module(db, l);
			}
		}
		free(text);
	}
	text = slurp(dir, "modules.builtin", &len);
	for (cur = text; text && (l = next_line(&cur));) {
		char name[128];
		name_of_path(l, name, sizeof(name));
		if (*l && moddb_find(db, name) < 0) {
			(void)add(db, name, NULL);
		}
	}
	free(text);
	return r;
}

void moddb_close(struct moddb *db)
{
	for (size_t i = 0; i < db->n; i++) {
		free(db->m[i].name);
		free(db->m[i].path);
		free(db->m[i].deps);
		free(db->m[i].pre);
		free(db->m[i].post);
		free(db->m[i].aliases);
	}
	free(db->m);
	free(db->slot);
	memset(db, 0, sizeof(*db));
}

bool moddb_provides(const struct mod *m, const char *name)
{
	const char *s = m->aliases;
	char a[256];

	while (s && *s) {
		size_t n = strcspn(s, " ");
		snprintf(a, sizeof(a), "%.*s", (int)(n < 255 ? n : 255), s);
		if (!fnmatch(a, name, 0)) {
			return true;
		}
		s += n + (s[n] == ' ');
	}
	return false;
}

struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->len + n + 1 > o->cap) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n + 1);
	o->len += n;
}

/* Wanted modules named by LIST, resolving aliases, as paths or names. */
static void put_resolved(const struct moddb *db, struct out *o, const char *list, bool paths)
{
	char w[128];

	while (list && *list) {
		size_t n = strcspn(list, " ");
		int i;
		snprintf(w, sizeof(w), "%.*s", (int)(n < 127 ? n : 127), list);
		i = n ? moddb_find(db, w) : -1;
		for (size_t k = i >= 0 ? (size_t)i : 0; n && k < db->n; k++) {
			const struct mod *m = &db->m[k];
			if ((i >= 0 || moddb_provides(m, w)) && moddb_wanted(db, k)) {
				put(o, " ");
				put(o, paths ? m->path : m->name);
			}
			if (i >= 0) {
				break;
			}
		}
		list += n + (list[n] == ' ');
	}
}

ssize_t moddb_write_dep(const struct moddb *db, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0, false };

	for (size_t i = 0; i < db->n; i++) {
		if (moddb_wanted(db, i)) {
			put(&o, db->m[i].path);
			put(&o, ":");
			put_resolved(db, &o, db->m[i].deps, true);
			put(&o, "\n");
		}
	}
	return o.full ? -ENOSPC : (ssize_t)o.len;
}

ssize_t moddb_write_softdep(const struct moddb *db, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0, false };

	for (size_t i = 0; i < db->n; i++) {
		const struct mod *m = &db->m[i];
		if (moddb_wanted(db, i) && (m->pre || m->post)) {
			put(&o, "softdep ");
			put(&o, m->name);
			put(&o, " pre:");
			put_resolved(db, &o, m->pre, false);
			put(&o, " post:");
			put_resolved(db, &o, m->post, false);
			put(&o, "\n");
		}
	}
	return o.full ? -ENOSPC : (ssize_t)o.len;
}
