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

#include "initramfs/modfile.h"
#include "initramfs/modules.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/rd.h"

#define MOD_MAX 20000
#define INDEX_MAX (64u << 20)  /* modules.* file size cap */
#define MODINFO_MAX (1u << 20)
#define ALIASES_MAX (16u << 10)

enum { ST_NEW, ST_BUSY, ST_DONE, ST_FAILED }; /* mod.state during and after a walk */

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
	free(db->slot);
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

/* ---- the walk: depth-first over an explicit stack of frames ---- */

enum { PH_PRE, PH_DEPS, PH_SELF, PH_POST, PH_END }; /* a frame's lists, in order */

#define ROOT SIZE_MAX   /* frame.mod of the frame holding the name asked for */
#define WORD_NEW SIZE_MAX   /* frame.k: the current word is not looked up yet */
#define WORD_NAME (SIZE_MAX - 1) /* frame.k: it is a module name, given out */
#define DEFER_MAX 64

struct frame {
	size_t mod;        /* index, or ROOT */
	size_t off;        /* the current word of the current list */
	size_t k;          /* alias word: next module to try; or WORD_* */
	unsigned char phase;
	bool required;     /* its failure fails the root */
	bool failed;       /* a hard dependency failed */
	bool word_ok;      /* alias word: a provider is usable */
	bool word_any;     /* alias word: something provides it */
};

struct walk {
	struct moddb *db;
	const char *root;
	moddb_fn fn;
	void *arg;
	int err; /* the first error of this walk */
	struct frame st[MODDB_DEPTH_MAX];
	size_t depth;
	size_t deferred[DEFER_MAX]; /* soft dependencies that come after, not before */
	size_t ndeferred;
};

static const char *who(const struct walk *w, const struct frame *f)
{
	return f->mod == ROOT ? w->root : w->db->m[f->mod].name;
}

static const char *frame_list(const struct walk *w, const struct frame *f)
{
	const struct mod *m = f->mod == ROOT ? NULL : &w->db->m[f->mod];

	if (!m) {
		return f->phase == PH_DEPS ? w->root : NULL;
	}
	return f->phase == PH_PRE ? m->pre : f->phase == PH_DEPS ? m->deps : f->phase == PH_POST ? m->post : NULL;
}

/* A hard dependency of F failed: F fails (an error when it is required). */
static void fail_hard(struct walk *w, struct frame *f, int err)
{
	f->failed = true;
	w->err = w->err ? w->err : err;
}

/* The word at F's cursor, into WORD; false at the end of the list. */
static bool cur_word(const struct walk *w, struct frame *f, char *word, size_t cap)
{
	const char *l = frame_list(w, f);
	size_t n;

	if (!l) {
		return false;
	}
	f->off += strspn(l + f->off, " ");
	n = strcspn(l + f->off, " ");
	snprintf(word, cap, "%.*s", (int)(n < cap - 1 ? n : cap - 1), l + f->off);
	return n > 0;
}

/* The end of an alias word: one usable provider suffices. */
static void end_alias(struct walk *w, struct frame *f, const char *word)
{
	bool hard = f->phase == PH_DEPS, loud = hard && f->required;

	if (!f->word_any && f->mod == ROOT) {
		if (f->required) {
			log_err("kernel module %s not found in %s", word, w->db->dir);
		}
		fail_hard(w, f, -ENOENT);
	} else if (!f->word_any && hard) {
		log_msg(loud ? LOG_ERR : LOG_WARN, "module %s needs %s, which is neither a module nor an alias in %s "
			"(run depmod?)", who(w, f), word, w->db->dir);
		fail_hard(w, f, -ENOENT);
	} else if (!f->word_any) {
		log_debug("soft dependency %s of %s: no such module", word, who(w, f));
	} else if (!f->word_ok && hard) {
		log_msg(loud ? LOG_ERR : LOG_WARN, "%s%sno module that provides %s is usable",
			f->mod == ROOT ? "" : who(w, f), f->mod == ROOT ? "" : ": ", word);
		fail_hard(w, f, -ENOENT);
	} else if (!f->word_ok) {
		log_warn("soft dependency %s of %s: no module that provides it is usable; left out", word,
			 who(w, f));
	}
}

/* The next module F's lists name, or -1 when they are done. */
static long next_child(struct walk *w, struct frame *f)
{
	char word[128];
	int i;

	while (cur_word(w, f, word, sizeof(word))) {
		if (f->k == WORD_NEW) {
			i = moddb_find(w->db, word);
			f->k = i >= 0 ? WORD_NAME : 0;
			f->word_ok = f->word_any = false;
			if (i >= 0) {
				return i;
			}
		}
		for (; f->k < w->db->n; f->k++) {
			if (has_alias(&w->db->m[f->k], word)) {
				f->word_any = true;
				return (long)f->k++;
			}
		}
		if (f->k != WORD_NAME) {
			end_alias(w, f, word);
		}
		f->off += strcspn(frame_list(w, f) + f->off, " ");
		f->k = WORD_NEW;
	}
	return -1;
}

/* Child I of F is done (or failed, or on the stack: a soft cycle, ignored). */
static void settle(struct walk *w, struct frame *f, size_t i)
{
	const struct mod *c = &w->db->m[i];
	bool ok = c->state != ST_FAILED;

	if (f->k != WORD_NAME) {
		f->word_ok |= ok; /* a failed provider said why; another may do */
	} else if (!ok && f->phase == PH_DEPS) {
		if (f->mod != ROOT) {
			log_msg(f->required ? LOG_ERR : LOG_WARN, "module %s needs %s, which failed: leaving %s out",
				who(w, f), c->name, who(w, f));
		}
		fail_hard(w, f, -ENOENT);
	} else if (!ok) {
		log_warn("soft dependency %s of %s failed: going on without it", c->name, who(w, f));
	}
}

/* F's current child is wanted softly (a soft list, or one of several
 * providers of an alias). */
static bool soft_edge(const struct frame *f)
{
	return f->phase != PH_DEPS || f->k != WORD_NAME;
}

/* Frame S wants its child (frame S+1) softly, and that child needs S's module
 * through modules on the stack: undo the frames above S (none of them was
 * visited yet) and walk the child after S's module instead. */
static void defer(struct walk *w, size_t s)
{
	size_t x = w->st[s + 1].mod;

	log_warn("soft dependency %s of %s needs %s itself: it comes after %s, not before", w->db->m[x].name,
		 who(w, &w->st[s]), who(w, &w->st[s]), who(w, &w->st[s]));
	while (w->depth > s + 1) {
		w->db->m[w->st[--w->depth].mod].state = ST_NEW;
	}
	w->st[s].word_ok = true;
	if (w->ndeferred < DEFER_MAX) {
		w->deferred[w->ndeferred++] = x;
	} else {
		log_warn("more than %d soft dependencies in cycles: %s left out", DEFER_MAX, w->db->m[x].name);
	}
}

/* Child I of the top frame is on the stack already: a cycle. A soft last
 * step is ignored (I is being handled); else the lowest soft step of the
 * cycle is deferred; with none, no module of the cycle can load. */
static void cycle(struct walk *w, size_t i)
{
	struct frame *f = &w->st[w->depth - 1];
	char path[512];
	size_t at = 0, k = w->depth, s;

	if (soft_edge(f)) {
		log_debug("soft dependency %s of %s: already being handled", w->db->m[i].name, who(w, f));
		return;
	}
	while (k > 1 && w->st[k - 1].mod != i) {
		k--;
	}
	for (s = k - 1; s + 1 < w->depth && !soft_edge(&w->st[s]); s++) {
	}
	if (s + 1 < w->depth) {
		defer(w, s);
		return;
	}
	for (; k <= w->depth && at < sizeof(path); k++) {
		at += (size_t)snprintf(path + at, sizeof(path) - at, "%s -> ", who(w, &w->st[k - 1]));
	}
	log_err("dependency cycle in %s: %s%s; none of these modules can load (run depmod?)", w->db->dir, path,
		w->db->m[i].name);
	fail_hard(w, f, -ELOOP);
}

static void push(struct walk *w, size_t i)
{
	struct frame *f = &w->st[w->depth - 1];

	if (w->depth == MODDB_DEPTH_MAX) {
		log_err("module dependencies nest deeper than %d levels at %s -> %s: a broken modules.dep? (run "
			"depmod)", MODDB_DEPTH_MAX, who(w, f), w->db->m[i].name);
		w->err = w->err ? w->err : -E2BIG;
		w->db->m[i].state = ST_FAILED;
		settle(w, f, i);
		return;
	}
	w->db->m[i].state = ST_BUSY;
	w->st[w->depth++] = (struct frame){ .mod = i, .k = WORD_NEW, .phase = PH_PRE,
					    .required = f->required && !soft_edge(f) };
}

/* All of F's pre: and hard dependencies are settled: F itself. */
static void visit(struct walk *w, struct frame *f)
{
	struct mod *m = &w->db->m[f->mod];
	int r = 0;

	if (!f->failed && m->path) {
		r = w->fn(w->db, f->mod, f->required, w->arg);
		w->err = w->err ? w->err : r;
	}
	m->state = f->failed || r ? ST_FAILED : ST_DONE;
	f->phase = m->state == ST_DONE ? PH_POST : PH_END;
}

/* One walk from NAME. 0 when it is usable, else -errno. */
static int run(struct walk *w, const char *name, bool required)
{
	struct moddb *db = w->db;

	w->root = name;
	w->err = 0;
	w->depth = 1;
	w->st[0] = (struct frame){ .mod = ROOT, .k = WORD_NEW, .phase = PH_DEPS, .required = required };
	while (w->depth) {
		struct frame *f = &w->st[w->depth - 1];
		long i;
		if (f->phase == PH_SELF) {
			visit(w, f);
			continue;
		}
		i = f->phase == PH_END ? -1 : next_child(w, f);
		if (i < 0 && (f->phase == PH_END || f->mod == ROOT)) {
			w->depth--;
			if (w->depth) {
				settle(w, &w->st[w->depth - 1], f->mod);
			}
		} else if (i < 0) {
			f->phase++;
			f->off = 0;
		} else if (db->m[i].state == ST_NEW) {
			push(w, (size_t)i);
		} else if (db->m[i].state == ST_BUSY) {
			cycle(w, (size_t)i);
		} else {
			settle(w, f, (size_t)i);
		}
	}
	return !w->st[0].failed ? 0 : w->err ? w->err : -ENOENT;
}

int moddb_walk(struct moddb *db, const char *name, bool optional, moddb_fn fn, void *arg)
{
	struct walk *w = calloc(1, sizeof(*w));
	int r;

	if (!w) {
		return -ENOMEM;
	}
	w->db = db;
	w->fn = fn;
	w->arg = arg;
	r = run(w, name, !optional);
	for (size_t k = 0; k < w->ndeferred; k++) {
		(void)run(w, db->m[w->deferred[k]].name, false);
	}
	free(w);
	return r;
}

/* The file of module I exists: it can go in the image. */
static int want_fn(struct moddb *db, size_t i, bool required, void *arg)
{
	const char *why;
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/%s", db->dir, db->m[i].path) >= (int)sizeof(path)) {
		log_err("module %s: path %s/%s is too long", db->m[i].name, db->dir, db->m[i].path);
		return -ENAMETOOLONG;
	}
	if (stat(path, &st) < 0) {
		why = strerror(errno);
	} else if (!S_ISREG(st.st_mode)) {
		why = "not a regular file";
	} else {
		return 0;
	}
	log_msg(required ? LOG_ERR : LOG_WARN, "module %s: %s is in modules.dep but cannot be read (%s): "
		"reinstall this kernel's modules, or run depmod%s", db->m[i].name, path, why,
		required ? "" : "; left out");
	return -ENOENT;
}

int moddb_want(struct moddb *db, const char *name, bool optional)
{
	return moddb_walk(db, name, optional, want_fn, NULL);
}

bool moddb_wanted(const struct moddb *db, size_t i)
{
	return db->m[i].state == ST_DONE && db->m[i].path;
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
			if ((i >= 0 || has_alias(m, w)) && moddb_wanted(db, k)) {
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

/* ---- loading (PID 1) ---- */

static int load_fn(struct moddb *db, size_t i, bool required, void *arg)
{
	modules_finit_fn finit = *(modules_finit_fn *)arg;
	const struct mod *m = &db->m[i];
	int level = required ? LOG_ERR : LOG_WARN, flags = modfile_init_flags(m->path), fd, r;
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", db->dir, m->path) >= (int)sizeof(path)) {
		log_msg(level, "module %s: path too long", m->name);
		return -ENAMETOOLONG;
	}
	fd = io_open(path, O_RDONLY, 0);
	if (fd < 0) {
		log_msg(level, "cannot open module %s: %s", path, strerror(-fd));
		return fd;
	}
	r = finit(fd, "", flags);
	io_close(fd);
	if (r == -EEXIST) {
		r = 0; /* loaded already */
	}
	if (r && flags && (r == -EINVAL || r == -EOPNOTSUPP)) {
		log_msg(level, "loading module %s failed: %s is compressed and this kernel cannot decompress it "
			"(MODULE_INIT_COMPRESSED_FILE needs Linux 5.17+ with CONFIG_MODULE_DECOMPRESS): rebuild "
			"the image where mkinitrd can decompress it (install xz)", m->name, path);
	} else if (r) {
		log_msg(level, "loading module %s failed: %s", m->name, strerror(-r));
	} else {
		log_debug("loaded module %s", m->name);
	}
	return r;
}

static int sys_finit(int fd, const char *params, int flags)
{
	return syscall(SYS_finit_module, fd, params, flags) < 0 ? -errno : 0;
}

int modules_load(const char *dir, modules_finit_fn finit)
{
	struct moddb db;
	int failed = 0;

	if (moddb_open(&db, dir)) {
		return 1;
	}
	for (size_t i = 0; i < db.n; i++) {
		if (db.m[i].path) {
			(void)moddb_walk(&db, db.m[i].name, false, load_fn, &finit);
		}
	}
	for (size_t i = 0; i < db.n; i++) {
		failed += db.m[i].path && db.m[i].state == ST_FAILED;
	}
	moddb_close(&db);
	return failed;
}

int modules_load_all(const char *dir)
{
	return modules_load(dir, sys_finit);
}
