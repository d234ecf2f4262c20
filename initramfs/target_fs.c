/* Local file system target (ext4, ext3, ext2, xfs): mounted at /mnt, the
 * dump saved under 'path' by target_save(). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initramfs/modules.h"
#include "initramfs/rootpath.h"
#include "initramfs/target.h"
#include "lib/io.h"
#include "lib/log.h"

#define MNT "/mnt"

static int fs_image(struct target_image *im)
{
	int r = hosttarget_check(im->conf, im->ho, im->extra, im->n);

	r = r ? r : hosttarget_block_modules(im->db, im->conf, im->kver);
	if (r == 0 && moddb_want(im->db, im->conf->fstype, false)) {
		r = -ENOENT;
	}
	return r;
}

static int fs_ready(struct target_ctx *t)
{
	const struct kdump_conf *c = t->conf;
	int r;

	if (c->path_bad) {
		log_err("%s: the 'path' line was refused (see above): saving to %s on the target instead", t->cfg,
			c->path);
	}
	r = target_wait_device(t, c->resolved_target[0] ? c->resolved_target : c->dev);
	if (r) {
		return r;
	}
	(void)mkdir(MNT, 0755);
	r = io_mount(t->dev, MNT, c->fstype, 0, NULL);
	if (r == -ENODEV && strcmp(c->fstype, "xfs")) {
		r = io_mount(t->dev, MNT, "ext4", 0, NULL); /* ext4 serves ext2/ext3 too */
	}
	if (r) {
		log_err("cannot mount %s (%s) on %s: %s", t->dev, c->fstype, MNT, strerror(-r));
		return r;
	}
	t->mounted = true;
	return 0;
}

/* The dump directory: 'path' (as mkinitrd resolved it) inside the target
 * at MNT; never a place outside it, which would be the initramfs (RAM). */
static int dump_base(const struct target_ctx *t, char *base, size_t n)
{
	const char *p = t->conf->resolved_path[0] ? t->conf->resolved_path : t->conf->path;
	char res[PATH_MAX];
	int r = rootpath_resolve(MNT, p, res, sizeof(res));

	if (r) {
		log_err("path %s on dump target %s cannot be used: %s; not saving outside the target (fix 'path' "
			"and rebuild the image)", p, t->dev, rootpath_strerror(r));
		return r;
	}
	if (snprintf(base, n, "%s%s", MNT, strcmp(res, "/") ? res : "") >= (int)n) {
		return -ENAMETOOLONG;
	}
	return 0;
}

static int fs_save(struct target_ctx *t, const struct collect_opts *o)
{
	char base[PATH_MAX], dumpdir[PATH_MAX];
	int r = dump_base(t, base, sizeof(base));

	return r ? r : target_save(base, o, t->vmcore, t->ip, dumpdir, sizeof(dumpdir));
}

static void fs_release(struct target_ctx *t)
{
	if (!t->mounted) {
		return;
	}
	sync();
	if (umount(MNT) < 0) {
		log_warn("cannot unmount %s: %s", MNT, strerror(errno));
	}
	t->mounted = false;
}

const struct target_ops target_fs = {
	.name = "fs",
	.image = fs_image,
	.ready = fs_ready,
	.save = fs_save,
	.release = fs_release,
};
