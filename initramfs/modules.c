/* Module dependency graph and loader. See modules.h. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "initramfs/modules.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/rd.h"

#define MOD_MAX 20000
#define INDEX_MAX (64u << 20)  /* modules.* file size cap */
#define MODINFO_MAX (1u << 20)
#define ALIASES_MAX (16u << 10)

enum { ST_NEW, ST_WANT, ST_BUSY, ST_DONE, ST_FAILED };

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

static struct mod *add(struct moddb *db, const char *name, const char *path)
{
	struct mod *m;

	if (db->n == db->cap) {
		size_t cap = db->cap ? db->cap * 2 : 256;
		struct mod *nm;
		if (cap > MOD_MAX) {
			return NULL;
		}
		nm = realloc(db->m, cap * sizeof(*nm));
		if (!nm) {
			return NULL;
		}
		db->m = nm;
		db->cap = cap;
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
	db->n++;
	return m;
}

int moddb_find(const struct moddb *db, const char *name)
{
	char n[128];

	snprintf(n, sizeof(n), "%s", name);
	normalize(n);
	for (size_t i = 0; i < db->n; i++) {
		if (!strcmp(db->m[i].name, n)) {
			return (int)i;
		}
	}
	return -1;
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
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = io_open(path, O_RDONLY, 0);
	if (fd < 0) {
		return NULL;
	}
	if (fstat(fd, &st) < 0 || st.st_size > INDEX_MAX) {
		io_close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	n = buf ? io_read(fd, buf, (size_t)st.st_size) : -ENOMEM;
	io_close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = (size_t)n;
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
		char name[128], dname[128];
		char *colon = strchr(l, ':'), *s;
		struct mod *m;

		if (!colon) {
			continue;
		}
		*colon = '\0';
		name_of_path(l, name, sizeof(name));
		m = add(db, name, l);
		if (!m) {
			return -ENOMEM;
		}
		for (s = colon + 1; *s;) {
			size_t n;
			s += strspn(s, " \t");
			n = strcspn(s, " \t");
			if (!n) {
				break;
			}
			snprintf(dname, sizeof(dname), "%.*s", (int)n, s);
			name_of_path(dname, dname, sizeof(dname));
			(void)append(&m->deps, dname, strlen(dname));
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
static char *read_modinfo(int fd, size_t *len)
{
	uint8_t eh[64], sh[64];
	uint64_t shoff, stroff = 0;
	unsigned shnum, shentsize, shstrndx;
	char *buf;

	if (io_pread(fd, eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh, "\177ELF\2\1", 6)) {
		return NULL;
	}
	shoff = ld_le64(eh + 40);
	shentsize = eh[58] | eh[59] << 8;
	shnum = eh[60] | eh[61] << 8;
	shstrndx = eh[62] | eh[63] << 8;
	if (shentsize != 64 || shstrndx >= shnum) {
		return NULL;
	}
	if (io_pread(fd, sh, sizeof(sh), shoff + (uint64_t)shstrndx * 64) != sizeof(sh)) {
		return NULL;
	}
	stroff = ld_le64(sh + 24);
	for (unsigned i = 0; i < shnum; i++) {
		char nm[16];
		uint64_t off, size;
		if (io_pread(fd, sh, sizeof(sh), shoff + (uint64_t)i * 64) != sizeof(sh)) {
			return NULL;
		}
		if (io_pread(fd, nm, sizeof(nm), stroff + ld_le32(sh)) != sizeof(nm) || memcmp(nm, ".modinfo", 9)) {
			continue;
		}
		off = ld_le64(sh + 24);
		size = ld_le64(sh + 32);
		if (size > MODINFO_MAX) {
			return NULL;
		}
		buf = malloc(size + 1);
		if (!buf || io_pread(fd, buf, size, off) != (ssize_t)size) {
			free(buf);
			return NULL;
		}
		buf[size] = '\0';
		*len = size;
		return buf;
	}
	return NULL;
}

static void scan_module(struct moddb *db, const char *rel)
{
	char path[PATH_MAX], name[128];
	struct mod *m;
	size_t len, i;
	char *mi;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", db->dir, rel) >= (int)sizeof(path)) {
		return;
	}
	name_of_path(rel, name, sizeof(name));
	m = add(db, name, rel);
	if (!m) {
		return;
	}
	fd = io_open(path, O_RDONLY, 0);
	if (fd < 0) {
		return;
	}
	mi = read_modinfo(fd, &len);
	io_close(fd);
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
	memset(db, 0, sizeof(*db));
}

static bool has_alias(const struct mod *m, const char *name)
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

/* Call FN for every module NAME means: itself, else every alias match. */
static int for_each_match(struct moddb *db, const char *name, int (*fn)(struct moddb *, size_t, void *), void *arg)
{
	int i = moddb_find(db, name), found = 0, r = 0;

	if (i >= 0) {
		return fn(db, (size_t)i, arg);
	}
	for (size_t k = 0; k < db->n; k++) {
		if (has_alias(&db->m[k], name)) {
			int e = fn(db, k, arg);
			found++;
			r = r ? r : e;
		}
	}
	return found ? r : -ENOENT;
}

/* Apply FN to every word of the space-separated LIST (module names or
 * aliases). A word that matches nothing is an error unless OPTIONAL, and
 * with SAY it is also logged. */
static int each_in_list(struct moddb *db, const char *list, bool optional,
			int (*fn)(struct moddb *, size_t, void *), bool say)
{
	char w[128];
	int r = 0;

	while (list && *list) {
		size_t n = strcspn(list, " ");
		snprintf(w, sizeof(w), "%.*s", (int)(n < 127 ? n : 127), list);
		if (n) {
			int e = for_each_match(db, w, fn, NULL);
			if (e && !optional) {
				if (say) {
					log_err("module %s is needed but not in %s", w, db->dir);
				}
				r = e;
			}
		}
		list += n + (list[n] == ' ');
	}
	return r;
}

static int want_one(struct moddb *db, size_t i, void *arg);

static int want_list(struct moddb *db, const char *list, bool optional)
{
	return each_in_list(db, list, optional, want_one, true);
}

static int want_one(struct moddb *db, size_t i, void *arg)
{
	struct mod *m = &db->m[i];
	int r;

	if (m->state != ST_NEW) {
		return 0;
	}
	m->state = ST_WANT;
	r = want_list(db, m->deps, false);
	(void)want_list(db, m->pre, true);
	(void)want_list(db, m->post, true);
	return r;
}

int moddb_want(struct moddb *db, const char *name, bool optional)
{
	int r = for_each_match(db, name, want_one, NULL);

	if (r == -ENOENT && !optional) {
		log_err("kernel module %s not found in %s", name, db->dir);
	}
	return r;
}

bool moddb_wanted(const struct moddb *db, size_t i)
{
	return db->m[i].state == ST_WANT && db->m[i].path;
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
		snprintf(w, sizeof(w), "%.*s", (int)(n < 127 ? n : 127), list);
		for (size_t k = 0; n && k < db->n; k++) {
			const struct mod *m = &db->m[k];
			bool match = !strcmp(m->name, w) || (moddb_find(db, w) < 0 && has_alias(m, w));
			if (match && moddb_wanted(db, k)) {
				put(o, " ");
				put(o, paths ? m->path : m->name);
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

/* ---- loading (PID 1) ---- */

static int load_one(struct moddb *db, size_t i, void *arg);

static int load_list(struct moddb *db, const char *list, bool optional)
{
	return each_in_list(db, list, optional, load_one, false);
}

static int load_one(struct moddb *db, size_t i, void *arg)
{
	struct mod *m = &db->m[i];
	char path[PATH_MAX];
	int fd, r;

	if (m->state == ST_DONE) {
		return 0;
	}
	if (m->state == ST_FAILED || m->state == ST_BUSY) {
		return m->state == ST_BUSY ? 0 : -ENOENT;
	}
	if (!m->path) {
		m->state = ST_DONE; /* built in */
		return 0;
	}
	m->state = ST_BUSY;
	(void)load_list(db, m->pre, true);
	r = load_list(db, m->deps, false);
	if (r) {
		log_err("not loading %s: a module it depends on failed", m->name);
		m->state = ST_FAILED;
		return r;
	}
	if (snprintf(path, sizeof(path), "%s/%s", db->dir, m->path) >= (int)sizeof(path)) {
		m->state = ST_FAILED;
		return -ENAMETOOLONG;
	}
	fd = io_open(path, O_RDONLY, 0);
	if (fd < 0) {
		log_err("cannot open module %s: %s", path, strerror(-fd));
		m->state = ST_FAILED;
		return fd;
	}
	r = syscall(SYS_finit_module, fd, "", 0) < 0 ? -errno : 0;
	io_close(fd);
	if (r && r != -EEXIST) {
		log_err("loading module %s failed: %s", m->name, strerror(-r));
		m->state = ST_FAILED;
		return r;
	}
	log_debug("loaded module %s", m->name);
	m->state = ST_DONE;
	(void)load_list(db, m->post, true);
	return 0;
}

int modules_load_all(const char *dir)
{
	struct moddb db;
	int failed = 0;

	if (moddb_open(&db, dir)) {
		return 1;
	}
	for (size_t i = 0; i < db.n; i++) {
		if (db.m[i].path && load_one(&db, i, NULL)) {
			failed++;
		}
	}
	moddb_close(&db);
	return failed;
}
