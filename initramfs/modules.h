/* Kernel modules: the dependency graph from modules.dep / modules.softdep /
 * modules.alias (or, where depmod never ran, from each module's .modinfo),
 * shared by mkinitrd (what to put in the image) and PID 1 (what to load, in
 * which order, with finit_module). */
#ifndef KDC_MODULES_H
#define KDC_MODULES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

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
};

/* Read the index of DIR (/lib/modules/KVER). 0 or -errno, after a message. */
int moddb_open(struct moddb *db, const char *dir);
void moddb_close(struct moddb *db);
/* Index of the module called NAME, or -1. */
int moddb_find(const struct moddb *db, const char *name);
/* Mark NAME (a module name or alias) and everything it needs as wanted.
 * Built-in modules need nothing. -ENOENT when a required one is missing. */
int moddb_want(struct moddb *db, const char *name, bool optional);
bool moddb_wanted(const struct moddb *db, size_t i);
/* modules.dep and modules.softdep text for the wanted set, into BUF. Returns
 * the length, or -ENOSPC. */
ssize_t moddb_write_dep(const struct moddb *db, char *buf, size_t cap);
ssize_t moddb_write_softdep(const struct moddb *db, char *buf, size_t cap);
/* Load every module of DIR's modules.dep in dependency order (softdeps
 * honoured). Returns the number that failed to load. */
int modules_load_all(const char *dir);

#endif
