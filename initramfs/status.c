/* kdumpcap status: is this machine ready to capture a crash? Memory
 * reserved, capture kernel loaded, and the knobs that turn hangs and oopses
 * into a panic (and so into a dump), each with its fix.
 *   kdumpcap status [--root DIR]   (DIR: where proc and sys are, for tests)
 * Exit status 0 when a crash would be captured, 1 when not. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cmds.h"
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

int status_main(int argc, char **argv)
{
	const char *root = "";
	long long size = 0, loaded = 0, v;
	char path[256];
	int ready = 1;

	if (argc == 3 && !strcmp(argv[1], "--root")) {
		root = argv[2];
	} else if (argc != 1) {
		fprintf(stderr, "usage: kdumpcap status\n");
		return 2;
	}
	if (!read_num(root, "/sys/kernel/kexec_crash_size", &size) || size <= 0) {
		printf("crash memory:   NOT reserved - add crashkernel=256M to the kernel command line "
		       "(e.g. GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub) and reboot\n");
		ready = 0;
	} else {
		printf("crash memory:   %lld MiB reserved\n", size >> 20);
	}
	if (!read_num(root, "/sys/kernel/kexec_crash_loaded", &loaded) || loaded != 1) {
		printf("capture kernel: NOT loaded - run: kdumpcap mkinitrd -o /boot/kdump.img && "
		       "kdumpcap load --initrd /boot/kdump.img\n");
		ready = 0;
	} else {
		printf("capture kernel: loaded\n");
	}
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
