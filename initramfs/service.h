/* What kdumpcap.service does, in C so that it can be tested: the paths of one
 * kernel's capture image and its inputs, whether the image is stale, and the
 * rebuild. Used by kdumpcap start, image, postcrash and status. */
#ifndef KDC_SERVICE_H
#define KDC_SERVICE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "initramfs/conf.h"

/* Memory the package's /etc/default/grub.d/kdumpcap.cfg reserves. */
#define SERVICE_CRASHKERNEL "crashkernel=384M-:160M"

struct service {
	/* options (NULL: the default below, under ROOT) */
	const char *root;     /* "" or a fake machine: boot/, lib/modules/, etc/, sys/, proc/, dev/ */
	const char *kver;     /* uname -r */
	const char *kernel;   /* ROOT/boot/vmlinuz-KVER */
	const char *config;   /* ROOT/etc/kdump.conf */
	const char *image;    /* ROOT/boot/kdumpcap-KVER.img */
	const char *moddir;   /* ROOT/lib/modules/KVER */
	const char *dbclient; /* mkinitrd's default */
	const char *pstore;   /* ROOT/sys/fs/pstore */
	const char *dev;      /* a raw target's device, for savecore (found from kdump.conf) */
	bool force, remove, dry_run;
	/* storage for the defaults */
	char b_kver[65], b_kernel[PATH_MAX], b_config[PATH_MAX], b_image[PATH_MAX], b_moddir[PATH_MAX],
		b_pstore[PATH_MAX], b_self[PATH_MAX];
	struct kdump_conf conf; /* CONFIG as parsed */
};

/* Parse the options shared by start, image, postcrash and status (ARGV[0] is
 * the subcommand) and fill in the defaults. 0, or -EINVAL after a usage message. */
int service_setup(struct service *s, int argc, char **argv);
/* Is S->image stale? The reason into WHY. */
bool service_stale(struct service *s, char *why, size_t n);

#endif
