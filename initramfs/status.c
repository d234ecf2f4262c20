/* kdumpcap status: is this machine ready to capture a crash? Memory
 * reserved, capture kernel loaded, and the knobs that turn hangs and oopses
 * into a panic (and so into a dump), each with its fix.
 * kdumpcap.service's view too: the capture image up to date or why not, and
 * the last capture's result as the dump directory shows it.
 * The crashkernel= reservation is compared with what `kdumpcap estimate` says
 * this kernel and its capture image need, with the CPUs `kdumpcap load` gives.
 *   kdumpcap status [--root DIR] [kdumpcap start's options]   (DIR: a fake machine, for tests)
 * Exit status 0 when a crash would be captured, 1 when not. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cmds.h"
#include "initramfs/estimate.h"
#include "initramfs/hosttarget.h"
#include "initramfs/lastdump.h"
#include "initramfs/load.h"
#include "initramfs/service.h"
#include "lib/io.h"
#include "lib/log.h"

static const struct {
	const char *sysctl; /* name as sysctl(8) shows it */
	const char *why;
	long want;          /* the value that panics */
} knobs[] = {
	{ "kernel.panic_on_oops", "an oops kills one task and the system goes on, with no dump", 1 },
	{ "kernel.softlockup_panic", "a soft lockup only warns", 1 },
	{ "kernel.unknown_nmi_panic", "an unknown NMI (e.g. a watchdog or NMI button) does not panic", 1 },
	{ "vm.panic_on_oom", "out of memory kills a task instead of dumping", 1 },
};

/* Read a small number from ROOT/PATH; false if it cannot. */
static bool read_num(const char *root, const char *path, long long *v)
{
	char p[512], buf[64];

	snprintf(p, sizeof(p), "%s%s", root, path);
	if (io_read_text(p, buf, sizeof(buf)) <= 0) {
		return false;
	}
	*v = strtoll(buf, NULL, 0);
	return true;
}

/* The image kdumpcap.service would load: up to date, or why not. */
static void image_line(struct service *s)
{
	char why[PATH_MAX + 128];

	if (service_stale(s, why, sizeof(why))) {
		printf("capture image:  STALE - %s; kdumpcap.service rebuilds it: systemctl restart kdumpcap\n", why);
	} else {
		printf("capture image:  %s up to date\n", s->image);
	}
}

/* The last capture's result, from the newest dump directory. */
static void last_line(const struct service *s)
{
	char base[PATH_MAX];
	struct lastdump ld;
	int r = hosttarget_dump_dir(&s->conf, s->root, base, sizeof(base));

	if (r == -EREMOTE) {
		printf("last capture:   on %s (remote): not checked from here\n", s->conf.dev);
	} else if (r) {
		printf("last capture:   unknown - dump target %s is not mounted here\n", s->conf.dev);
	} else if ((r = lastdump_find(base, &ld)) < 0) {
		printf("last capture:   none (%s: %s)\n", base, strerror(-r));
	} else if (ld.state == LASTDUMP_NONE) {
		printf("last capture:   none in %s\n", base);
	} else {
		printf("last capture:   %s: %s\n", ld.dir, lastdump_describe(ld.state));
	}
}

/* The crashkernel= reservation against `kdumpcap estimate` for S's kernel and
 * image, with the CPUs `kdumpcap load` would give: false when it is missing or
 * too small. */
static bool memory_line(const struct service *s)
{
	struct est_inputs in = { 0 };
	int given = load_nr_cpus_in(s->conf.cmdline_append);
	unsigned n;
	uint64_t need;

	est_probe_machine(&in, s->root);
	if (in.crash_size <= 0) {
		printf("crash memory:   NOT reserved - add " SERVICE_CRASHKERNEL " to the kernel command line "
		       "(the package's /etc/default/grub.d/kdumpcap.cfg does: run update-grub) and reboot\n");
		return false;
	}
	if (est_probe_kernel(&in, s->kernel) || est_probe_initrd(&in, s->image)) {
		printf("crash memory:   %lld MiB reserved; what the capture needs is unknown (%s or %s unreadable): "
		       "see kdumpcap estimate\n", (long long)(in.crash_size >> 20), s->kernel, s->image);
		return true;
	}
	n = given > 0 ? (unsigned)given : est_pick_cpus(&in);
	need = est_need(&in, n, NULL);
	if ((uint64_t)in.crash_size < need) {
		printf("crash memory:   %lld MiB reserved - TOO SMALL: the capture kernel with %s and %u CPU(s) "
		       "needs crashkernel=%lluM (kdumpcap estimate); fix: put crashkernel=%lluM in "
		       "/etc/default/grub.d/kdumpcap.cfg, run update-grub and reboot\n",
		       (long long)(in.crash_size >> 20), s->image, n, (unsigned long long)(need >> 20),
		       (unsigned long long)(need >> 20));
		return false;
	}
	printf("crash memory:   %lld MiB reserved, enough: the capture kernel with %u CPU(s) needs %llu MiB "
	       "(kdumpcap estimate)\n", (long long)(in.crash_size >> 20), n, (unsigned long long)(need >> 20));
	return true;
}

int status_main(int argc, char **argv)
{
	static struct service svc;
	const char *root;
	long long loaded = 0, v;
	char path[256];
	int ready = 1;

	if (service_setup(&svc, argc, argv)) {
		return 2;
	}
	root = svc.root;
	if (!memory_line(&svc)) {
		ready = 0;
	}
	if (!read_num(root, "/sys/kernel/kexec_crash_loaded", &loaded) || loaded != 1) {
		printf("capture kernel: NOT loaded - run: systemctl start kdumpcap (or kdumpcap start); "
		       "see systemctl status kdumpcap\n");
		ready = 0;
	} else {
		printf("capture kernel: loaded\n");
	}
	image_line(&svc);
	last_line(&svc);
	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		char *s;
		snprintf(path, sizeof(path), "/proc/sys/%s", knobs[i].sysctl);
		for (s = path + 10; *s; s++) {
			*s = *s == '.' ? '/' : *s;
		}
		if (!read_num(root, path, &v)) {
			printf("%-25s unknown (cannot read %s)\n", knobs[i].sysctl, path);
		} else if (v >= knobs[i].want) {
			printf("%-25s %lld\n", knobs[i].sysctl, v);
		} else {
			printf("%-25s %lld - %s; fix: sysctl -w %s=%ld (keep it in /etc/sysctl.d/kdump.conf)\n",
			       knobs[i].sysctl, v, knobs[i].why, knobs[i].sysctl, knobs[i].want);
		}
	}
	if (!read_num(root, "/proc/sys/kernel/sysrq", &v)) {
		printf("%-25s unknown\n", "kernel.sysrq");
	} else if (v == 1 || (v & 128)) {
		printf("%-25s %lld (sysrq-c can force a dump)\n", "kernel.sysrq", v);
	} else {
		printf("%-25s %lld - the SysRq key cannot crash a hung machine into a dump; fix: sysctl -w "
		       "kernel.sysrq=1 (keep it in /etc/sysctl.d/kdump.conf)\n", "kernel.sysrq", v);
	}
	printf("%s\n", ready ? "ready: a crash will be captured" : "NOT ready: a crash now would not be captured");
	return ready ? 0 : 1;
}
