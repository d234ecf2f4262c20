/* Walking the module graph: what the image needs (mkinitrd), what to load
 * and in which order (PID 1). See modules.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
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

enum { ST_NEW, ST_BUSY, ST_DONE, ST_FAILED }; /* mod.state during and after a walk */

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
			if (moddb_provides(&w->db->m[f->k], word)) {
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
