/* Raw block device target: the flattened dump written over the device,
 * restored after reboot by 'kdumpcap savecore'. */
#include <errno.h>
#include <string.h>

#include "initramfs/blkid.h"
#include "initramfs/target.h"
#include "lib/log.h"

static int raw_image(struct target_image *im)
{
	int r = hosttarget_check(im->conf, im->ho, im->extra, im->n);

	return r ? r : hosttarget_block_modules(im->db, im->conf, im->kver);
}

/* A raw target must hold nothing a dump would destroy (mkinitrd checked the
 * build machine's view; this is the capture kernel's). */
static int raw_free(const struct target_ctx *t)
{
	const char *what = NULL;
	int st = blkid_raw_state_of(t->dev, &what);

	if (st < 0) {
		log_err("cannot read raw target %s: %s", t->dev, strerror(-st));
		return st;
	}
	if (st != BLKID_RAW_IN_USE) {
		return 0;
	}
	if (t->conf->raw_force) {
		log_warn("raw target %s is in use (%s signature found): overwriting it ('raw_force yes')", t->dev,
			 what);
		return 0;
	}
	log_err("raw target %s is in use (%s signature found): not overwriting it (is it the right disk? "
		"'raw_force yes' in kdump.conf overwrites it)", t->dev, what);
	return -EEXIST;
}

static int raw_ready(struct target_ctx *t)
{
	const struct kdump_conf *c = t->conf;
	int r = target_wait_device(t, c->resolved_target[0] ? c->resolved_target : c->dev);

	return r ? r : raw_free(t);
}

static int raw_save(struct target_ctx *t, const struct collect_opts *o)
{
	int r;

	log_info("saving the vmcore to %s (flattened; 'kdumpcap savecore' restores it after reboot)", t->dev);
	r = collect_to_raw(o, t->vmcore, t->dev);
	if (r == 0) {
		log_info("saved the vmcore to %s", t->dev);
	}
	return r;
}

static void raw_release(struct target_ctx *t)
{
	(void)t;
}

const struct target_ops target_raw = {
	.name = "raw",
	.image = raw_image,
	.ready = raw_ready,
	.save = raw_save,
	.release = raw_release,
};
