/* kdumpcap start / image: what kdumpcap.service and the kernel hooks run.
 *   kdumpcap start [options]   rebuild the image if stale, then load it
 *   kdumpcap image [options] [--remove]   rebuild if stale (or remove), no load
 * Options: --kver V --kernel K --config F --image P --moddir D --dbclient P
 *          --force --dry-run (start: print the command line, load nothing)
 *          --root DIR (a fake machine, for tests)
 * Exit status 1 after a message that says what to fix. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "capture/cmds.h"
#include "initramfs/estimate.h"
#include "initramfs/inputs.h"
#include "initramfs/pstore.h"
#include "initramfs/service.h"
#include "lib/io.h"
#include "lib/log.h"

#define MKINITRD_ARGS 20

static void usage(const char *cmd)
{
	fprintf(stderr,
		"usage: kdumpcap %s [--kver V] [--kernel K] [--config FILE] [--image IMAGE] [--moddir DIR]\n"
		"                [--dbclient PATH] [--force] [--remove] [--dry-run] [--root DIR]\n"
		"  defaults: V=$(uname -r), K=/boot/vmlinuz-V, FILE=/etc/kdump.conf,\n"
		"            IMAGE=/boot/kdumpcap-V.img, DIR=/lib/modules/V\n",
		cmd);
}

/* OPT, else ROOT A B C into BUF. */
static const char *dflt(const char *opt, char *buf, size_t n, const char *root, const char *a, const char *b,
			const char *c)
{
	if (opt) {
		return opt;
	}
	snprintf(buf, n, "%s%s%s%s", root, a, b, c);
	return buf;
}

int service_setup(struct service *s, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "root", required_argument, NULL, 'r' },     { "kver", required_argument, NULL, 'k' },
		{ "kernel", required_argument, NULL, 'K' },   { "config", required_argument, NULL, 'c' },
		{ "image", required_argument, NULL, 'o' },    { "moddir", required_argument, NULL, 'm' },
		{ "dbclient", required_argument, NULL, 'D' }, { "pstore", required_argument, NULL, 'p' },
		{ "dev", required_argument, NULL, 'd' },      { "force", no_argument, NULL, 'f' },
		{ "remove", no_argument, NULL, 'R' },         { "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char **str[] = { ['r'] = &s->root,   ['k'] = &s->kver,   ['K'] = &s->kernel, ['c'] = &s->config,
			       ['o'] = &s->image,  ['m'] = &s->moddir, ['D'] = &s->dbclient, ['p'] = &s->pstore,
			       ['d'] = &s->dev };
	struct utsname u;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'f' || c == 'R' || c == 'n') {
			*(c == 'f' ? &s->force : c == 'R' ? &s->remove : &s->dry_run) = true;
		} else if (c > 0 && c < (int)(sizeof(str) / sizeof(str[0])) && str[c]) {
			*str[c] = optarg;
		} else {
			usage(argv[0]);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		usage(argv[0]);
		return -EINVAL;
	}
	s->root = s->root ? s->root : "";
	if (!s->kver) {
		uname(&u);
		snprintf(s->b_kver, sizeof(s->b_kver), "%s", u.release);
		s->kver = s->b_kver;
	}
	s->kernel = dflt(s->kernel, s->b_kernel, sizeof(s->b_kernel), s->root, "/boot/vmlinuz-", s->kver, "");
	s->config = dflt(s->config, s->b_config, sizeof(s->b_config), s->root, "/etc/kdump.conf", "", "");
	s->image = dflt(s->image, s->b_image, sizeof(s->b_image), s->root, "/boot/kdumpcap-", s->kver, ".img");
	s->moddir = dflt(s->moddir, s->b_moddir, sizeof(s->b_moddir), s->root, "/lib/modules/", s->kver, "");
	s->pstore = dflt(s->pstore, s->b_pstore, sizeof(s->b_pstore), s->root, PSTORE_DIR, "", "");
	conf_defaults(&s->conf);
	(void)conf_load(&s->conf, s->config); /* mkinitrd says what is wrong with it */
	return 0;
}

bool service_stale(struct service *s, char *why, size_t n)
{
	struct inputs_want want[] = {
		{ "config", s->config },
		{ "kernel", s->kernel },
		{ "binary", realpath("/proc/self/exe", s->b_self) ? s->b_self : "/proc/self/exe" },
	};

	return inputs_stale_file(s->image, want, sizeof(want) / sizeof(want[0]), why, n);
}

static int build(struct service *s)
{
	char *argv[MKINITRD_ARGS];
	int n = 0;

	argv[n++] = "mkinitrd";
	argv[n++] = "-o", argv[n++] = (char *)s->image;
	argv[n++] = "--kver", argv[n++] = (char *)s->kver;
	argv[n++] = "--config", argv[n++] = (char *)s->config;
	argv[n++] = "--moddir", argv[n++] = (char *)s->moddir;
	argv[n++] = "--kernel", argv[n++] = (char *)s->kernel;
	if (s->root[0]) {
		argv[n++] = "--sysroot", argv[n++] = (char *)s->root;
	}
	if (s->dbclient) {
		argv[n++] = "--dbclient", argv[n++] = (char *)s->dbclient;
	}
	argv[n] = NULL;
	return mkinitrd_main(n, argv) ? -EIO : 0;
}

/* Rebuild S->image when stale (or forced). 0, or -errno after a message with the fix. */
static int refresh(struct service *s)
{
	char why[PATH_MAX + 128];
	bool stale = service_stale(s, why, sizeof(why));

	if (!stale && !s->force && !s->conf.force_rebuild) {
		log_info("capture image %s is up to date", s->image);
		return 0;
	}
	if (stale && s->conf.force_no_rebuild && access(s->image, F_OK) == 0) {
		log_warn("capture image %s is stale (%s), but %s says force_no_rebuild: using it", s->image, why,
			 s->config);
		return 0;
	}
	if (access(s->kernel, R_OK) < 0) {
		log_err("cannot build the capture image: kernel %s: %s; install that kernel or give --kernel", s->kernel,
			strerror(errno));
		return -ENOENT;
	}
	log_info("building capture image %s: %s", s->image, stale ? why : "rebuild forced");
	if (build(s)) {
		log_err("the capture image %s cannot be built (see above): fix %s, then run 'systemctl restart "
			"kdumpcap'", s->image, s->config);
		return -EIO;
	}
	return 0;
}

static int remove_image(const struct service *s)
{
	char p[PATH_MAX];
	int r = 0;

	snprintf(p, sizeof(p), "%s%s", s->image, INPUTS_SUFFIX);
	if (unlink(s->image) < 0 && errno != ENOENT) {
		r = -errno;
		log_err("cannot remove %s: %s", s->image, strerror(errno));
	}
	if (unlink(p) < 0 && errno != ENOENT) {
		r = -errno;
		log_err("cannot remove %s: %s", p, strerror(errno));
	}
	if (!r) {
		log_info("removed capture image %s", s->image);
	}
	return r;
}

int image_main(int argc, char **argv)
{
	static struct service s;

	if (service_setup(&s, argc, argv)) {
		return 2;
	}
	return (s.remove ? remove_image(&s) : refresh(&s)) ? 1 : 0;
}

int start_main(int argc, char **argv)
{
	static struct service s;
	char *largv[] = { "load", "--kernel", NULL, "--initrd", NULL, "--config", NULL, "--sysroot", NULL, "--dry-run", NULL };
	int r;

	if (service_setup(&s, argc, argv)) {
		return 2;
	}
	r = refresh(&s);
	if (est_crash_size(s.root) <= 0) {
		log_err("no memory is reserved for the capture kernel (%s/sys/kernel/kexec_crash_size is 0 or unreadable): add "
			SERVICE_CRASHKERNEL " to the kernel command line (the package's /etc/default/grub.d/kdumpcap.cfg "
			"does: run update-grub) and reboot",
			s.root);
		return 1;
	}
	if (r) {
		return 1;
	}
	largv[2] = (char *)s.kernel;
	largv[4] = (char *)s.image;
	largv[6] = (char *)s.config; /* kdump_commandline_append */
	largv[8] = (char *)s.root;   /* the CPUs and the reservation nr_cpus= is chosen from */
	if (!s.dry_run) {
		largv[9] = NULL;
	}
	return load_main(s.dry_run ? 10 : 9, largv);
}
