/* Path resolution inside a target's tree; see rootpath.h. Walks one
 * component at a time with lstat/readlink (no chroot, no openat2: the build
 * machine may be old and PID 1 runs on whatever kernel crashed). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initramfs/rootpath.h"

#define MAX_LINKS 40 /* as the kernel's path walk */

/* Drop the last component of CUR ("" is the root). */
static int up(char *cur)
{
	char *s = strrchr(cur, '/');

	if (!s) {
		return -EXDEV;
	}
	*s = '\0';
	return 0;
}

/* Replace the walk's remaining components REST by TARGET + "/" + REST. */
static int splice(char *rest, size_t n, const char *target)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s/%s", target, rest) >= (int)sizeof(tmp) || strlen(tmp) >= n) {
		return -ENAMETOOLONG;
	}
	strcpy(rest, tmp);
	return 0;
}

/* One component COMP after CUR: follow it if it is a link. */
static int step(const char *root, char *cur, const char *comp, char *rest, size_t rn, bool *missing, int *links)
{
	char full[PATH_MAX], target[PATH_MAX];
	struct stat st;
	size_t len = strlen(cur);
	ssize_t t;

	if (len + 1 + strlen(comp) >= PATH_MAX ||
	    snprintf(full, sizeof(full), "%s%s/%s", root, cur, comp) >= (int)sizeof(full)) {
		return -ENAMETOOLONG;
	}
	if (!*missing && lstat(full, &st) < 0) {
		if (errno != ENOENT) {
			return -errno;
		}
		*missing = true;
	}
	if (*missing || !S_ISLNK(st.st_mode)) {
		if (!*missing && !S_ISDIR(st.st_mode)) { /* the dump directory too */
			return -ENOTDIR;
		}
		cur[len] = '/';
		strcpy(cur + len + 1, comp);
		return 0;
	}
	if (++*links > MAX_LINKS) {
		return -ELOOP;
	}
	t = readlink(full, target, sizeof(target) - 1);
	if (t <= 0) {
		return t < 0 ? -errno : -ENOENT;
	}
	target[t] = '\0';
	if (target[0] == '/') {
		cur[0] = '\0'; /* absolute: from the target's root */
	}
	return splice(rest, rn, target);
}

int rootpath_resolve(const char *root, const char *path, char *out, size_t n)
{
	char cur[PATH_MAX] = "", rest[PATH_MAX], comp[NAME_MAX + 1];
	bool missing = false;
	int links = 0, r = 0;

	if (path[0] != '/') {
		return -EINVAL;
	}
	if (snprintf(rest, sizeof(rest), "%s", path) >= (int)sizeof(rest)) {
		return -ENAMETOOLONG;
	}
	while (rest[0] && r == 0) {
		size_t k = strspn(rest, "/"), l = strcspn(rest + k, "/");

		if (l > NAME_MAX) {
			return -ENAMETOOLONG;
		}
		memcpy(comp, rest + k, l);
		comp[l] = '\0';
		memmove(rest, rest + k + l, strlen(rest + k + l) + 1);
		if (!l || !strcmp(comp, ".")) {
			continue;
		}
		r = !strcmp(comp, "..") ? up(cur) : step(root, cur, comp, rest, sizeof(rest), &missing, &links);
	}
	if (r) {
		return r;
	}
	return snprintf(out, n, "%s", cur[0] ? cur : "/") < (int)n ? 0 : -ENAMETOOLONG;
}

const char *rootpath_strerror(int err)
{
	switch (err) {
	case -EXDEV: return "it leaves the target file system (a '..' or a symbolic link pointing outside it)";
	case -ELOOP: return "too many symbolic links (a loop?)";
	case -ENOTDIR: return "a component is not a directory";
	case -EINVAL: return "it is not an absolute path";
	default: return strerror(-err);
	}
}
