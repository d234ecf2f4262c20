/* kdumpcap load / unload: load the capture kernel for the crash path with
 * kexec_file_load(2) (no kexec-tools), or unload it.
 *
 *   kdumpcap load [--kernel K] [--initrd IMAGE|none] [--append ARGS]
 *                 [--cmdline FULL] [--dry-run] [-v]
 *   kdumpcap unload
 *
 * The kernel checks the image (and its signature under lockdown/secure boot),
 * places it in the crashkernel= reservation and keeps it until the next panic. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "capture/cmds.h"
#include "initramfs/load.h"
#include "lib/io.h"
#include "lib/log.h"

/* include/uapi/linux/kexec.h; musl ships no linux headers. */
#define KEXEC_FILE_UNLOAD       0x1UL
#define KEXEC_FILE_ON_CRASH     0x2UL
#define KEXEC_FILE_NO_INITRAMFS 0x4UL
#ifndef SYS_kexec_file_load
#define SYS_kexec_file_load 320 /* x86_64 */
#endif
#ifndef EKEYREJECTED
#define EKEYREJECTED 129
#endif
#ifndef ENOKEY
#define ENOKEY 126
#endif

/* Words of the running kernel's command line that must not reach the capture
 * kernel, by parameter name (the part before '='). */
static const char *const drop_keys[] = {
	"BOOT_IMAGE", "initrd",	    /* boot loader leftovers: the image is ours */
	"crashkernel",		    /* reserve inside the reservation: fails, wastes memory */
	"init", "rdinit",	    /* the capture initramfs has its own /init */
	"resume", "resume_offset",  /* never resume a hibernation image while dumping */
	"mem", "memmap",	    /* the memory map is passed by kexec, not by these */
	"hugepages", "hugepagesz", "default_hugepagesz", "hugetlb_cma", "cma",
	"kernelcore", "movablecore", /* boot-time reservations the small capture kernel cannot afford */
	"log_buf_len", "swiotlb",   /* same: big buffers allocated at boot */
	"nr_cpus", "maxcpus",	    /* replaced by nr_cpus=1 */
	"reset_devices", "irqpoll", /* added below, once */
};

/* What every capture kernel gets: devices may be in any state after the crash
 * (reset_devices, irqpoll) and one CPU keeps per-CPU memory small. */
static const char kdump_words[] = "reset_devices nr_cpus=1 irqpoll";

static bool dropped(const char *w, size_t len)
{
	size_t klen = 0;

	while (klen < len && w[klen] != '=') {
		klen++;
	}
	for (size_t i = 0; i < sizeof(drop_keys) / sizeof(drop_keys[0]); i++) {
		if (strlen(drop_keys[i]) == klen && !strncmp(drop_keys[i], w, klen)) {
			return true;
		}
	}
	return false;
}

/* Length of the word at s: up to the next blank outside double quotes, as the
 * kernel's next_arg() splits (lib/cmdline.c). */
static size_t word_len(const char *s)
{
	bool quoted = false;
	size_t n = 0;

	while (s[n] && (quoted || (s[n] != ' ' && s[n] != '\t' && s[n] != '\n'))) {
		if (s[n] == '"') {
			quoted = !quoted;
		}
		n++;
	}
	return n;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

struct out {
	char *buf;
	size_t size, len;
	bool full;
};

static void put_word(struct out *o, const char *w, size_t n)
{
	size_t need = n + (o->len ? 1 : 0);

	if (!n || o->full) {
		return;
	}
	if (o->len + need + 1 > o->size) {
		o->full = true;
		return;
	}
	if (o->len) {
		o->buf[o->len++] = ' ';
	}
	memcpy(o->buf + o->len, w, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/* Append the words of s; with filter, drop the ones the capture kernel must not
 * see and stop at "--" (what follows is for the first kernel's init). */
static void put_words(struct out *o, const char *s, bool filter)
{
	while (s && *s) {
		size_t n;

		while (is_blank(*s)) {
			s++;
		}
		n = word_len(s);
		if (!n) {
			break;
		}
		if (filter && n == 2 && !strncmp(s, "--", 2)) {
			break;
		}
		if (!filter || !dropped(s, n)) {
			put_word(o, s, n);
		}
		s += n;
	}
}

ssize_t load_cmdline(const char *cur, const char *extra, char *out, size_t size)
{
	struct out o = { out, size, 0, false };

	if (!size) {
		return -E2BIG;
	}
	out[0] = '\0';
	put_words(&o, cur, true);
	put_words(&o, kdump_words, false);
	put_words(&o, extra, false);
	if (o.full) {
		return -E2BIG;
	}
	return (ssize_t)o.len;
}

/* --cmdline: the user's words as given, then --append's. */
static ssize_t verbatim_cmdline(const char *full, const char *extra, char *out, size_t size)
{
	struct out o = { out, size, 0, false };

	out[0] = '\0';
	put_words(&o, full, false);
	put_words(&o, extra, false);
	return o.full ? -E2BIG : (ssize_t)o.len;
}

static int read_small(const char *path, char *buf, size_t size)
{
	ssize_t n = io_read_text(path, buf, size);

	return n < 0 ? (int)n : 0;
}

/* Bytes in the crashkernel= reservation, -1 if unknown. */
static long long crash_size(void)
{
	char buf[32];

	if (read_small("/sys/kernel/kexec_crash_size", buf, sizeof(buf)) < 0) {
		return -1;
	}
	return strtoll(buf, NULL, 10);
}

static void explain(int err, const char *kernel, const char *initrd)
{
	long long sz;

	switch (err) {
	case EADDRNOTAVAIL:
	case ENOMEM:
		sz = crash_size();
		if (sz == 0) {
			log_err("no crashkernel= memory reserved: boot with crashkernel=256M (or more) "
				"on the kernel command line, then run kdumpcap load again");
		} else {
			log_err("the crashkernel= reservation (%lld MiB) is too small for %s and %s: "
				"boot with a bigger crashkernel= or use a smaller initrd",
				sz < 0 ? -1 : sz >> 20, kernel, initrd ? initrd : "no initrd");
		}
		break;
	case EPERM:
		log_err("kexec_file_load not permitted: run as root (CAP_SYS_BOOT); check "
			"/proc/sys/kernel/kexec_load_disabled and kernel lockdown "
			"(/sys/kernel/security/lockdown)");
		break;
	case ENOEXEC:
		log_err("%s is not a kernel image this kernel can kexec (needs an x86_64 bzImage "
			"with a 64-bit entry point)",
			kernel);
		break;
	case EKEYREJECTED:
	case ENOKEY:
	case EBADMSG:
		log_err("signature check of %s failed (%s): under secure boot or lockdown the capture "
			"kernel must be signed with a key the running kernel trusts",
			kernel, strerror(err));
		break;
	case EBUSY:
		log_err("another kexec operation is in progress; try again");
		break;
	case ENOSYS:
		log_err("this kernel has no kexec_file_load (CONFIG_KEXEC_FILE is off)");
		break;
	case EINVAL:
		log_err("the kernel rejected the arguments (command line too long, or a bad "
			"kernel/initrd file): %s",
			strerror(err));
		break;
	default:
		log_err("kexec_file_load of %s failed: %s (%s)", kernel, strerror(err), io_errname(err));
		break;
	}
}

static long kexec_file_load(int kfd, int ifd, unsigned long len, const char *cmdline, unsigned long flags)
{
	return syscall(SYS_kexec_file_load, kfd, ifd, len, cmdline, flags);
}

static bool crash_loaded(void)
{
	char buf[8];

	return read_small("/sys/kernel/kexec_crash_loaded", buf, sizeof(buf)) == 0 && buf[0] == '1';
}

struct load_opts {
	const char *kernel, *initrd, *append, *cmdline;
	bool dry_run, verbose;
};

enum opt_kind { OPT_STR, OPT_FLAG };

static const struct {
	const char *name;
	enum opt_kind kind;
	size_t off;
} load_optab[] = {
	{ "--kernel", OPT_STR, offsetof(struct load_opts, kernel) },
	{ "--initrd", OPT_STR, offsetof(struct load_opts, initrd) },
	{ "--append", OPT_STR, offsetof(struct load_opts, append) },
	{ "--cmdline", OPT_STR, offsetof(struct load_opts, cmdline) },
	{ "--dry-run", OPT_FLAG, offsetof(struct load_opts, dry_run) },
	{ "-v", OPT_FLAG, offsetof(struct load_opts, verbose) },
};

static void load_usage(void)
{
	fprintf(stderr, "usage: kdumpcap load [--kernel K] [--initrd IMAGE|none] [--append ARGS]\n"
			"                     [--cmdline FULL] [--dry-run] [-v]\n"
			"  defaults: K=/boot/vmlinuz-$(uname -r), IMAGE=/boot/kdumpcap-$(uname -r).img,\n"
			"  command line = /proc/cmdline without crashkernel= etc. + reset_devices nr_cpus=1 irqpoll\n"
			"       kdumpcap unload\n");
}

static int parse_opts(int argc, char **argv, struct load_opts *o)
{
	for (int i = 1; i < argc; i++) {
		size_t j;

		for (j = 0; j < sizeof(load_optab) / sizeof(load_optab[0]); j++) {
			if (!strcmp(argv[i], load_optab[j].name)) {
				break;
			}
		}
		if (j == sizeof(load_optab) / sizeof(load_optab[0])) {
			log_err("load: unknown option '%s'", argv[i]);
			load_usage();
			return -EINVAL;
		}
		if (load_optab[j].kind == OPT_FLAG) {
			*(bool *)((char *)o + load_optab[j].off) = true;
			continue;
		}
		if (i + 1 >= argc) {
			log_err("load: option %s needs a value", argv[i]);
			load_usage();
			return -EINVAL;
		}
		*(const char **)((char *)o + load_optab[j].off) = argv[++i];
	}
	return 0;
}

int load_main(int argc, char **argv)
{
	struct load_opts o = { 0 };
	char kpath[256], ipath[256], cur[LOAD_CMDLINE_MAX * 2], cmdline[LOAD_CMDLINE_MAX];
	struct utsname u;
	unsigned long flags = KEXEC_FILE_ON_CRASH;
	ssize_t len;
	int kfd = -1, ifd = -1, rc = 1, err;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		load_usage();
		return 0;
	}
	if (parse_opts(argc, argv, &o) < 0) {
		return 2;
	}
	if (o.verbose) {
		log_set_level(LOG_DEBUG);
	}
	if (uname(&u) < 0) {
		log_err("load: uname failed: %s", strerror(errno));
		return 1;
	}
	if (!o.kernel) {
		snprintf(kpath, sizeof(kpath), "/boot/vmlinuz-%s", u.release);
		o.kernel = kpath;
	}
	if (!o.initrd) {
		snprintf(ipath, sizeof(ipath), "/boot/kdumpcap-%s.img", u.release);
		o.initrd = ipath;
	} else if (!strcmp(o.initrd, "none")) {
		o.initrd = NULL;
	}

	if (o.cmdline) {
		len = verbatim_cmdline(o.cmdline, o.append, cmdline, sizeof(cmdline));
	} else {
		err = read_small("/proc/cmdline", cur, sizeof(cur));
		if (err < 0) {
			log_err("load: cannot read /proc/cmdline: %s; give the command line with --cmdline",
				strerror(-err));
			return 1;
		}
		len = load_cmdline(cur, o.append, cmdline, sizeof(cmdline));
	}
	if (len < 0) {
		log_err("load: the capture kernel's command line would exceed %d bytes; "
			"shorten it with --cmdline",
			LOAD_CMDLINE_MAX - 1);
		return 1;
	}
	log_debug("kernel %s, initrd %s, command line: %s", o.kernel, o.initrd ? o.initrd : "(none)", cmdline);
	if (o.dry_run) {
		printf("%s\n", cmdline);
		return 0;
	}

	kfd = io_open(o.kernel, O_RDONLY | O_CLOEXEC, 0);
	if (kfd < 0) {
		log_err("load: cannot open capture kernel %s: %s; give it with --kernel", o.kernel,
			strerror(-kfd));
		goto out;
	}
	if (o.initrd) {
		ifd = io_open(o.initrd, O_RDONLY | O_CLOEXEC, 0);
		if (ifd < 0) {
			log_err("load: cannot open capture initrd %s: %s; build it with 'kdumpcap mkinitrd' "
				"or give one with --initrd",
				o.initrd, strerror(-ifd));
			goto out;
		}
	} else {
		flags |= KEXEC_FILE_NO_INITRAMFS;
	}
	if (kexec_file_load(kfd, ifd, (unsigned long)len + 1, cmdline, flags) < 0) {
		explain(errno, o.kernel, o.initrd);
		goto out;
	}
	if (!crash_loaded()) {
		log_warn("kexec_file_load succeeded but /sys/kernel/kexec_crash_loaded is not 1");
	}
	log_info("capture kernel %s loaded (initrd %s), command line: %s", o.kernel,
		 o.initrd ? o.initrd : "none", cmdline);
	rc = 0;
out:
	if (ifd >= 0) {
		io_close(ifd);
	}
	if (kfd >= 0) {
		io_close(kfd);
	}
	return rc;
}

int unload_main(int argc, char **argv)
{
	if (argc > 1) {
		load_usage();
		return strcmp(argv[1], "-h") && strcmp(argv[1], "--help") ? 2 : 0;
	}
	if (kexec_file_load(-1, -1, 0, NULL, KEXEC_FILE_UNLOAD | KEXEC_FILE_ON_CRASH) < 0) {
		int err = errno;

		if (err == EPERM) {
			explain(err, "", NULL);
		} else {
			log_err("unloading the capture kernel failed: %s (%s)", strerror(err), io_errname(err));
		}
		return 1;
	}
	if (crash_loaded()) {
		log_err("unload returned success but /sys/kernel/kexec_crash_loaded is still 1");
		return 1;
	}
	log_info("capture kernel unloaded");
	return 0;
}
