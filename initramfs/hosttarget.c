/* The dump target as the build machine sees it; see hosttarget.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "initramfs/blkid.h"
#include "initramfs/hosttarget.h"
#include "initramfs/modules.h"
#include "initramfs/mountinfo.h"
#include "initramfs/rootpath.h"
#include "lib/io.h"
#include "lib/log.h"

#define MAX_HOPS 8

/* Block drivers for a target this machine cannot see (image built elsewhere). */
static const char *const fallback_block[] = { "virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod",
					      "ahci",       "ata_piix",   "nvme" };

struct where {
	char sysfs[PATH_MAX];
	char dev[PATH_MAX];
	char node[PATH_MAX]; /* the device (or its stand-in) */
	char name[NAME_MAX + 1]; /* its name under sysfs */
};

/* The kernel name of NODE: follow its links while they stay under DEV
 * (udev's by-id/by-path links), then the last component. */
static void kernel_name(const struct where *w, char *out, size_t n)
{
	char p[PATH_MAX], t[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s", w->node);
	for (int i = 0; i < MAX_HOPS && lstat(p, &st) == 0 && S_ISLNK(st.st_mode); i++) {
		ssize_t k = readlink(p, t, sizeof(t) - 1);
		char *slash = strrchr(p, '/');
		if (k <= 0 || !slash) {
			break;
		}
		t[k] = '\0';
		if (t[0] == '/') {
			if (strncmp(t, w->dev, strlen(w->dev))) {
				break; /* a stand-in pointing elsewhere */
			}
			snprintf(p, sizeof(p), "%s", t);
		} else if (snprintf(slash + 1, sizeof(p) - (size_t)(slash + 1 - p), "%s", t) >=
			   (int)(sizeof(p) - (size_t)(slash + 1 - p))) {
			break;
		}
	}
	if (snprintf(out, n, "%s", strrchr(p, '/') ? strrchr(p, '/') + 1 : p) >= (int)n) {
		out[0] = '\0';
	}
}

static int missing(const struct kdump_conf *c, const struct hosttarget_opts *o)
{
	if (!o->allow_missing) {
		log_err("%s:%d: dump target %s is not on this machine: the capture would not find it. Fix the name, "
			"or pass --allow-missing-target if only the capture kernel sees this disk", o->cfg,
			c->target_line, c->dev);
		return -ENODEV;
	}
	if (!strncmp(c->dev, "/dev/disk/", 10) && strncmp(c->dev, "/dev/disk/by-uuid/", 18) &&
	    strncmp(c->dev, "/dev/disk/by-label/", 19) && strncmp(c->dev, "/dev/disk/by-partuuid/", 22)) {
		log_err("%s:%d: %s is a udev link, and the capture kernel has no udev: it can only be used when "
			"this machine sees the disk. Name it by PARTUUID=, WWID=, SERIAL= or /dev/NAME", o->cfg,
			c->target_line, c->dev);
		return -ENODEV;
	}
	log_info("dump target %s is not on this machine; building the image anyway (--allow-missing-target): "
		 "the capture kernel will look for it", c->dev);
	return 0;
}

/* A raw target must hold nothing a dump would destroy. */
static int check_raw(const struct kdump_conf *c, const struct hosttarget_opts *o, const struct where *w)
{
	const char *what = NULL;
	int st = blkid_raw_state_of(w->node, &what);

	if (st < 0) {
		log_err("cannot read raw target %s (%s): %s; run as root, or check the device", c->dev, w->node,
			strerror(-st));
		return st;
	}
	if (st == BLKID_RAW_OLD_DUMP) {
		log_warn("raw target %s holds a dump not yet saved ('kdumpcap savecore --dev %s'): the next crash "
			 "overwrites it", c->dev, w->node);
	}
	if (st != BLKID_RAW_IN_USE) {
		return 0;
	}
	if (c->raw_force) {
		log_warn("raw target %s is in use (%s signature found): the dump will overwrite it ('raw_force yes')",
			 c->dev, what);
		return 0;
	}
	log_err("%s:%d: raw target %s (%s) is in use (%s signature found): a dump would destroy it. Name another "
		"device, or add 'raw_force yes' to kdump.conf to overwrite it", o->cfg, c->target_line, c->dev,
		w->node, what);
	return -EEXIST;
}

static int append(char *extra, size_t n, const char *key, const char *val)
{
	size_t used = strlen(extra);

	if (snprintf(extra + used, n - used, "%s %s\n", key, val) >= (int)(n - used)) {
		extra[used] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

/* A udev link under DEV/disk/by-id that names the same device, into OUT. */
static bool by_id_link(const struct where *w, char *out, size_t n)
{
	struct where l = *w;
	char dir[PATH_MAX], name[NAME_MAX + 1];
	struct dirent *de;
	DIR *d;

	if (snprintf(dir, sizeof(dir), "%s/disk/by-id", w->dev) >= (int)sizeof(dir) || !(d = opendir(dir))) {
		return false;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    snprintf(l.node, sizeof(l.node), "%s/%s", dir, de->d_name) >= (int)sizeof(l.node)) {
			continue;
		}
		kernel_name(&l, name, sizeof(name));
		if (!strcmp(name, w->name)) {
			snprintf(out, n, "/dev/disk/by-id/%s", de->d_name);
			closedir(d);
			return true;
		}
	}
	closedir(d);
	return false;
}

/* What the capture kernel can find the device by: the file system's UUID,
 * or the partition's PARTUUID, the disk's WWID or serial. */
static void stable_id(const struct kdump_conf *c, const struct where *w, char *id, size_t n)
{
	struct blkid_info bi;
	int fd;

	id[0] = '\0';
	if (c->target == TGT_FS) {
		fd = io_open(w->node, O_RDONLY | O_NONBLOCK, 0);
		if (fd >= 0 && blkid_probe_fd(fd, &bi) == 0 && bi.uuid[0]) {
			snprintf(id, n, "UUID=%s", bi.uuid);
		}
		if (fd >= 0) {
			io_close(fd);
		}
		return;
	}
	if (blkid_stable_id(w->name, w->sysfs, w->dev, id, n) < 0) {
		id[0] = '\0';
	}
}

/* Names that may change (/dev/sdb) are taken with a warning; udev links,
 * which the capture kernel cannot read, become a resolved_target. */
static int stable_name(const struct kdump_conf *c, const struct hosttarget_opts *o, const struct where *w,
		       char *extra, size_t n)
{
	char id[CONF_STR], link[PATH_MAX];

	if (blkid_spec_stable(c->dev)) {
		return 0;
	}
	stable_id(c, w, id, sizeof(id));
	if (!strncmp(c->dev, "/dev/disk/", 10)) {
		if (!id[0]) {
			log_err("%s:%d: %s is a udev link, and the capture kernel has no udev; %s has no %s to find "
				"it by instead: name it /dev/%s", o->cfg, c->target_line, c->dev, w->name,
				c->target == TGT_FS ? "file system UUID" : "GPT PARTUUID, WWID or serial", w->name);
			return -ENODEV;
		}
		log_info("dump target %s is %s here; the capture kernel will find it by %s", c->dev, w->name, id);
		return append(extra, n, "resolved_target", id);
	}
	if (c->target == TGT_RAW && by_id_link(w, link, sizeof(link)) && strlen(link) < sizeof(id)) {
		memcpy(id, link, strlen(link) + 1);
	}
	if (id[0]) {
		log_warn("%s:%d: %s is a kernel name, which changes when disks are found in another order: the "
			 "dump could go to another disk. Name it %s instead", o->cfg, c->target_line, c->dev, id);
	} else {
		log_warn("%s:%d: %s is a kernel name, which changes when disks are found in another order; %s has "
			 "no stable name (no PARTUUID, WWID or serial) to use instead", o->cfg, c->target_line, c->dev,
			 w->name);
	}
	return 0;
}

/* Is the mount source SRC (maj:min DEVNO) the device at NODE? */
static bool same_device(const struct hosttarget_opts *o, const char *node, const char *devno, const char *src)
{
	char a[PATH_MAX], b[PATH_MAX], p[PATH_MAX];
	struct stat st;

	if (stat(node, &st) < 0) {
		return false;
	}
	if (S_ISBLK(st.st_mode)) {
		snprintf(p, sizeof(p), "%u:%u", major(st.st_rdev), minor(st.st_rdev));
		return !strcmp(p, devno);
	}
	/* a stand-in file: by name */
	return snprintf(p, sizeof(p), "%s%s", o->sysroot, src) < (int)sizeof(p) && realpath(p, a) &&
	       realpath(node, b) && !strcmp(a, b);
}

struct mount_of {
	const struct hosttarget_opts *o;
	const char *node;
	char *mp;
	size_t n;
};

static int is_mount_of(const struct mountinfo_entry *m, void *ctx)
{
	struct mount_of *w = ctx;

	if (strcmp(m->root, "/") || !same_device(w->o, w->node, m->devno, m->src)) {
		return 0; /* a bind mount of a subdirectory shows only part of it */
	}
	return snprintf(w->mp, w->n, "%s%s", w->o->sysroot, m->mp) < (int)w->n ? 1 : -ENAMETOOLONG;
}

/* Where the whole file system on NODE is mounted here, into MP (with the
 * sysroot). 0, or -ENOENT. */
static int find_mount(const struct hosttarget_opts *o, const char *node, char *mp, size_t n)
{
	struct mount_of w = { o, node, mp, n };
	int r = mountinfo_each(o->sysroot, is_mount_of, &w);

	return r == 1 ? 0 : r < 0 ? r : -ENOENT;
}

/* 'path' resolved inside the mounted target: what PID 1 will use. */
static int check_path(const struct kdump_conf *c, const struct hosttarget_opts *o, const struct where *w,
		      char *extra, size_t n)
{
	char mp[PATH_MAX], res[PATH_MAX];
	int r;

	if (find_mount(o, w->node, mp, sizeof(mp))) {
		log_info("dump target %s is not mounted here: path %s will be checked by the capture kernel", c->dev,
			 c->path);
		return 0;
	}
	r = rootpath_resolve(mp, c->path, res, sizeof(res));
	if (r) {
		log_err("%s: path %s on dump target %s (mounted at %s) cannot be used: %s. Use a directory inside "
			"the target", o->cfg, c->path, c->dev, mp, rootpath_strerror(r));
		return r;
	}
	if (strcmp(res, c->path)) {
		log_info("path %s is %s on the dump target (symbolic links resolved inside it)", c->path, res);
	}
	return append(extra, n, "resolved_path", res);
}

int hosttarget_check(const struct kdump_conf *c, const struct hosttarget_opts *o, char *extra, size_t n)
{
	struct where w;
	int r;

	if (snprintf(w.sysfs, sizeof(w.sysfs), "%s/sys/class/block", o->sysroot) >= (int)sizeof(w.sysfs) ||
	    snprintf(w.dev, sizeof(w.dev), "%s/dev", o->sysroot) >= (int)sizeof(w.dev)) {
		return -ENAMETOOLONG;
	}
	if (blkid_find(c->dev, w.sysfs, w.dev, w.node, sizeof(w.node))) {
		return missing(c, o);
	}
	kernel_name(&w, w.name, sizeof(w.name));
	log_info("dump target %s is %s on this machine", c->dev, w.node);
	r = c->target == TGT_RAW ? check_raw(c, o, &w) : 0;
	r = r ? r : stable_name(c, o, &w, extra, n);
	return r ? r : c->target == TGT_FS ? check_path(c, o, &w, extra, n) : 0;
}

int hosttarget_dump_dir(const struct kdump_conf *c, const char *sysroot, char *out, size_t n)
{
	struct hosttarget_opts o = { .sysroot = sysroot };
	char mp[PATH_MAX], res[PATH_MAX];
	struct where w;
	int r;

	if (c->target == TGT_NFS || c->target == TGT_SSH) {
		return -EREMOTE;
	}
	if (c->target != TGT_FS) {
		/* raw: savecore restores into path on this machine */
		return snprintf(out, n, "%s%s", sysroot, c->path) < (int)n ? 0 : -ENAMETOOLONG;
	}
	snprintf(w.sysfs, sizeof(w.sysfs), "%s/sys/class/block", sysroot);
	snprintf(w.dev, sizeof(w.dev), "%s/dev", sysroot);
	if (blkid_find(c->dev, w.sysfs, w.dev, w.node, sizeof(w.node))) {
		return -ENODEV;
	}
	r = find_mount(&o, w.node, mp, sizeof(mp));
	r = r ? r : rootpath_resolve(mp, c->path, res, sizeof(res));
	if (r) {
		return r;
	}
	return snprintf(out, n, "%s%s", mp, res) < (int)n ? 0 : -ENAMETOOLONG;
}

int hosttarget_sysfs_drivers(struct moddb *db, const char *devdir, const char *what)
{
	char p[PATH_MAX], real[PATH_MAX], link[PATH_MAX];
	int found = 0;

	if (strlen(devdir) >= sizeof(real)) {
		return 0;
	}
	strcpy(real, devdir);
	while (strlen(real) > strlen("/sys/devices")) {
		ssize_t n;
		n = snprintf(p, sizeof(p), "%s/driver/module", real) < (int)sizeof(p)
			    ? readlink(p, link, sizeof(link) - 1)
			    : -1;
		if (n > 0) {
			link[n] = '\0';
			if (moddb_want(db, strrchr(link, '/') + 1, true) == 0) {
				log_info("%s needs module %s", what, strrchr(link, '/') + 1);
				found++;
			}
		}
		*strrchr(real, '/') = '\0';
	}
	return found;
}

/* The driver chain of a block device this machine sees. Returns how many
 * modules were found. */
static int host_drivers(struct moddb *db, const char *devpath)
{
	char p[PATH_MAX], real[PATH_MAX], what[PATH_MAX + 8];
	const char *name = strrchr(devpath, '/');
	struct stat st;

	if (snprintf(p, sizeof(p), "/sys/class/block/%s", name ? name + 1 : devpath) >= (int)sizeof(p) ||
	    !realpath(p, real) || strlen(real) > sizeof(real) - 32) {
		return 0;
	}
	if (snprintf(p, sizeof(p), "%s/partition", real) < (int)sizeof(p) && stat(p, &st) == 0) {
		*strrchr(real, '/') = '\0';
	}
	snprintf(what, sizeof(what), "target %s", devpath);
	return hosttarget_sysfs_drivers(db, real, what);
}

/* Every common block driver that exists for the image's kernel. */
static void common_block(struct moddb *db)
{
	for (size_t i = 0; i < sizeof(fallback_block) / sizeof(fallback_block[0]); i++) {
		(void)moddb_want(db, fallback_block[i], true);
	}
}

int hosttarget_block_modules(struct moddb *db, const struct kdump_conf *c, const char *kver)
{
	char dev[PATH_MAX];
	struct utsname u;
	int found;

	uname(&u);
	if (blkid_find(c->dev, "/sys/class/block", "/dev", dev, sizeof(dev))) {
		log_info("%s is not visible here: including the common block drivers (virtio, SCSI, AHCI, NVMe) "
			 "that exist for %s", c->dev, kver);
		common_block(db);
		return 0;
	}
	found = host_drivers(db, dev);
	if (strcmp(u.release, kver)) {
		/* what is built into the running kernel has no module link in sysfs */
		log_info("%s is %s; the image is for kernel %s, not the running %s: including %s's modules of the "
			 "driver chain seen here (%d) and its common block drivers (virtio, SCSI, AHCI, NVMe)",
			 c->dev, dev, kver, u.release, kver, found);
		common_block(db);
	} else if (found > 0) {
		log_info("including the driver chain of %s as seen on this machine", dev);
	} else {
		log_info("%s is %s, reached by no loadable module here: including the common block drivers (virtio, "
			 "SCSI, AHCI, NVMe) that exist for %s", c->dev, dev, kver);
		common_block(db);
	}
	return 0;
}
