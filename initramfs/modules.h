/* Kernel modules: the dependency graph from modules.dep / modules.softdep /
 * modules.alias (or, where depmod never ran, from each module's .modinfo),
 * shared by mkinitrd (what to put in the image) and PID 1 (what to load, in
 * which order, with finit_module). The index is modules.c, the walk over it
 * modwalk.c. */
#ifndef KDC_MODULES_H
#define KDC_MODULES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How deep dependencies may nest (longest chain of "needs", soft ones
 * included) before the walk stops with an error; real kernels stay below 20. */
#define MODDB_DEPTH_MAX 256

struct mod {
	char *name;    /* normalized: '-' -> '_' */
	char *path;    /* relative to the modules dir; NULL when built in */
	char *deps;    /* blank-separated module names */
	char *pre;     /* softdep pre: names or aliases */
	char *post;
	char *aliases; /* blank-separated */
	unsigned char state;
};

struct moddb {
	char dir[PATH_MAX];
	struct mod *m;
	size_t n, cap;
	uint32_t *slot; /* name hash table: module index + 1, 0 when free */
	size_t nslot;   /* a power of two, at least twice cap */
};

/* Called once per module by moddb_walk, after what it needs; REQUIRED when
 * its failure fails the name asked for. 0 or -errno (after a message). */
typedef int (*moddb_fn)(struct moddb *db, size_t i, bool required, void *arg);

/* Read the index of DIR (/lib/modules/KVER). 0 or -errno, after a message. */
int moddb_open(struct moddb *db, const char *dir);
void moddb_close(struct moddb *db);
/* Index of the module called NAME, or -1. */
int moddb_find(const struct moddb *db, const char *name);
/* One of M's aliases (shell patterns, as in modules.alias) matches NAME. */
bool moddb_provides(const struct mod *m, const char *name);
/* Visit NAME (a module name or alias: one provider suffices) and everything
 * it needs, each module once, without recursion: its soft "pre:" and hard
 * dependencies first, then FN on it, then its soft "post:" dependencies.
 * Built-in modules need nothing and are not given to FN. A module whose hard
 * dependency fails (FN failed, missing, a cycle, nesting beyond
 * MODDB_DEPTH_MAX) fails too, with an error; a failed soft dependency or
 * alias provider is left out with a warning. 0 when NAME is usable,
 * -ENOENT when nothing is called NAME, else -errno. Messages say why. */
int moddb_walk(struct moddb *db, const char *name, bool optional, moddb_fn fn, void *arg);
/* moddb_walk marking NAME and what it needs as wanted (their files exist).
 * Unless OPTIONAL, a NAME that nothing provides is logged as an error. */
int moddb_want(struct moddb *db, const char *name, bool optional);
bool moddb_wanted(const struct moddb *db, size_t i);
/* modules.dep and modules.softdep text for the wanted set, into BUF. Returns
 * the length, or -ENOSPC. */
ssize_t moddb_write_dep(const struct moddb *db, char *buf, size_t cap);
ssize_t moddb_write_softdep(const struct moddb *db, char *buf, size_t cap);
/* finit_module(2), or a test's stand-in. */
typedef int (*modules_finit_fn)(int fd, const char *params, int flags);
/* Load every module of DIR's modules.dep in dependency order (softdeps
 * honoured) with FINIT; a compressed file is passed with
 * MODULE_INIT_COMPRESSED_FILE. Returns the number that failed to load. */
int modules_load(const char *dir, modules_finit_fn finit);
/* modules_load() with the real finit_module. */
int modules_load_all(const char *dir);

#endif
