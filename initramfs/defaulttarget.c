/* The default dump target: the file system holding 'path' (see defaulttarget.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "initramfs/blkid.h"
#include "initramfs/defaulttarget.h"
#include "initramfs/mountinfo.h"
#include "lib/io.h"
#include "lib/log.h"

/* File systems a capture image can mount (the fs targets of conf.c). */
static const char *const fs_types[] = { "ext4", "ext3", "ext2", "xfs" };

struct holder {
	const char *path;
	size_t best;        /* length of the longest mount point that holds path */
	char mp[PATH_MAX], fstype[16], src[PATH_MAX], devno[32], root[PATH_MAX];
};

/* Does the mount point MP hold PATH (at a component boundary)? Its length. */
static size_t holds(const char *mp, const char *path)
{
	size_t l = strlen(mp);

	if (!strcmp(mp, "/")) {
		return 1;
	}
	return !strncmp(mp, path, l) && (path[l] == '/' || path[l] == '\0') ? l : 0;
}

static int pick(const struct mountinfo_entry *m, void *ctx)
{
	struct holder *h = ctx;
	size_t l = holds(m->mp, h->path);

	if (l >= h->best && l > 0) { /* later mounts cover earlier ones */
		h->best = l;
		snprintf(h->mp, sizeof(h->mp), "%s", m->mp);
		snprintf(h->fstype, sizeof(h->fstype), "%s", m->fstype);
		snprintf(h->src, sizeof(h->src), "%s", m->src);
		snprintf(h->devno, sizeof(h->devno), "%s", m->devno);
		snprintf(h->root, sizeof(h->root), "%s", m->root);
	}
	return 0;
}

static bool mountable(const char *fstype)
{
	for (size_t i = 0; i < sizeof(fs_types) / sizeof(fs_types[0]); i++) {
		if (!strcmp(fstype, fs_types[i])) {
			return true;
		}
	}
	return false;
}

/* The file system's UUID, from its source device, else /dev/block/MAJ:MIN
 * (what udev links; the source may read /dev/root). 0 or -ENOENT. */
static int uuid_of(const char *sysroot, const struct holder *h, struct blkid_info *bi)
{
	char p[2][PATH_MAX];
	int r = -ENOENT;

	snprintf(p[0], sizeof(p[0]), "%s%s", sysroot, h->src);
	snprintf(p[1], sizeof(p[1]), "%s/dev/block/%s", sysroot, h->devno);
	for (int i = 0; i < 2 && r; i++) {
		int fd = io_open(p[i], O_RDONLY | O_CLOEXEC, 0);
		if (fd >= 0) {
			r = blkid_probe_fd(fd, bi) == 0 && bi->uuid[0] ? 0 : -ENOENT;
			io_close(fd);
		}
	}
	return r;
}

int defaulttarget_find(struct kdump_conf *c, const struct hosttarget_opts *o, char *extra, size_t n)
{
	static struct holder h;
	struct blkid_info bi;
	char lines[PATH_MAX + 128];
	size_t used = strlen(extra);
	int len;

	memset(&h, 0, sizeof(h));
	h.path = c->path;
	if (mountinfo_each(o->sysroot, pick, &h) < 0 || !h.best) {
		log_err("%s names no dump target and the file system holding %s cannot be found here: add a target "
			"line (ext4 UUID=..., see kdump.conf(5))", o->cfg, c->path);
		return -ENOENT;
	}
	if (!mountable(h.fstype) || strcmp(h.root, "/") || uuid_of(o->sysroot, &h, &bi)) {
		log_err("%s names no dump target and %s is on %s %s (mounted at %s), which the capture kernel cannot "
			"mount: add a target line for an ext4, xfs or raw device (see kdump.conf(5))",
			o->cfg, c->path, h.fstype, h.src, h.mp);
		return -EINVAL;
	}
	len = snprintf(lines, sizeof(lines), "%s UUID=%s\npath %s\n", h.fstype, bi.uuid,
		       c->path[h.best] ? c->path + (h.best > 1 ? h.best : 0) : "/");
	if (len >= (int)sizeof(lines) || used + (size_t)len >= n) {
		return -ENAMETOOLONG;
	}
	log_info("%s names no dump target: saving to %s on %s (%s UUID=%s, mounted at %s), the file system that "
		 "holds it", o->cfg, c->path, h.src, h.fstype, bi.uuid, h.mp);
	if (conf_parse(c, lines, (size_t)len, "(the default target)")) {
		return -EINVAL;
	}
	memcpy(extra + used, lines, (size_t)len + 1);
	return 0;
}
