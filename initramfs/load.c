/* kdumpcap load / unload / estimate: load the capture kernel for the crash
 * path with kexec_file_load(2) (no kexec-tools), unload it, or say how much
 * crashkernel= memory it needs.
 *
 *   kdumpcap load [--kernel K] [--initrd IMAGE|none] [--append ARGS]
 *                 [--cmdline FULL] [--nr-cpus N] [--config FILE] [--dry-run] [-v]
 *   kdumpcap unload
 *   kdumpcap estimate [--kernel K] [--initrd IMAGE] [--nr-cpus N] [--config FILE]
 *
 * The capture kernel gets as many CPUs as the reservation affords
 * (initramfs/estimate.c), unless --nr-cpus or an nr_cpus= in --append or in
 * kdump.conf's kdump_commandline_append says otherwise.
 *
 * The kernel checks the image (and its signature under lockdown/secure boot),
 * places it in the crashkernel= reservation and keeps it until the next panic.
 * Where the kernel has no kexec_file_load (ENOSYS: Debian's arm64 kernel),
 * load and unload fall back to kexec_load(2) (initramfs/load_legacy.h). */
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
#include "initramfs/conf.h"
#include "initramfs/estimate.h"
#include "initramfs/load.h"
#include "initramfs/load_legacy.h"
#include "lib/io.h"
#include "lib/log.h"

/* include/uapi/linux/kexec.h; musl ships no linux headers. */
#define KEXEC_FILE_UNLOAD       0x1UL
#define KEXEC_FILE_ON_CRASH     0x2UL
#define KEXEC_FILE_NO_INITRAMFS 0x4UL
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
	"nr_cpus", "maxcpus",	    /* replaced by the capture kernel's own nr_cpus= */
	"reset_devices", "irqpoll", /* added below, once */
};

/* What every capture kernel gets: devices may be in any state after the crash
 * (reset_devices, irqpoll); nr_cpus= between them. */
static const char kdump_reset[] = "reset_devices", kdump_irq[] = "irqpoll";

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

ssize_t load_cmdline(const char *cur, const char *extra, unsigned nr_cpus, char *out, size_t size)
{
	struct out o = { out, size, 0, false };
	char cpus[32];

	if (!size) {
		return -E2BIG;
	}
	out[0] = '\0';
	put_words(&o, cur, true);
	put_words(&o, kdump_reset, false);
	if (nr_cpus) {
		snprintf(cpus, sizeof(cpus), "nr_cpus=%u", nr_cpus);
		put_words(&o, cpus, false);
	}
	put_words(&o, kdump_irq, false);
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

static void explain(int err, const char *kernel, const char *initrd)
{
	struct est_inputs in;
	long long sz;

	switch (err) {
	case EADDRNOTAVAIL:
	case ENOMEM:
		est_probe_machine(&in, "");
		sz = in.crash_size;
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
		log_err("%s is not a kernel image this kernel can kexec (x86_64: a bzImage with a 64-bit "
			"entry point; arm64: an uncompressed Image)",
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
	const char *kernel, *initrd, *append, *cmdline, *nr_cpus, *config, *sysroot;
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
	{ "--nr-cpus", OPT_STR, offsetof(struct load_opts, nr_cpus) },
	{ "--config", OPT_STR, offsetof(struct load_opts, config) },
	{ "--sysroot", OPT_STR, offsetof(struct load_opts, sysroot) },
	{ "--dry-run", OPT_FLAG, offsetof(struct load_opts, dry_run) },
	{ "-v", OPT_FLAG, offsetof(struct load_opts, verbose) },
};

static void load_usage(void)
{
	fprintf(stderr, "usage: kdumpcap load [--kernel K] [--initrd IMAGE|none] [--append ARGS]\n"
			"                     [--cmdline FULL] [--nr-cpus N] [--config FILE] [--dry-run] [-v]\n"
			"  defaults: K=/boot/vmlinuz-$(uname -r), IMAGE=/boot/kdumpcap-$(uname -r).img,\n"
			"  command line = /proc/cmdline without crashkernel= etc. + reset_devices nr_cpus=N irqpoll\n"
			"  + kdump.conf's kdump_commandline_append + ARGS; N = the CPUs the crashkernel=\n"
			"  reservation affords (see kdumpcap estimate), unless --nr-cpus or an nr_cpus= in\n"
			"  ARGS or kdump_commandline_append sets it; where the kernel has no kexec_file_load\n"
			"  (arm64 without KEXEC_FILE) load and unload use kexec_load; -v prints the segments\n"
			"       kdumpcap unload\n"
			"       kdumpcap estimate [--kernel K] [--initrd IMAGE] [--nr-cpus N] [--config FILE]\n"
			"  the crashkernel= this machine and this image need, part by part\n");
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
			log_err("%s: unknown option '%s'", argv[0], argv[i]);
			load_usage();
			return -EINVAL;
		}
		if (load_optab[j].kind == OPT_FLAG) {
			*(bool *)((char *)o + load_optab[j].off) = true;
			continue;
		}
		if (i + 1 >= argc) {
			log_err("%s: option %s needs a value", argv[0], argv[i]);
			load_usage();
			return -EINVAL;
		}
		*(const char **)((char *)o + load_optab[j].off) = argv[++i];
	}
	return 0;
}

int load_nr_cpus_in(const char *words)
{
	static const char key[] = "nr_cpus=";
	int best = 0;

	while (words && *words) {
		size_t n;

		while (is_blank(*words)) {
			words++;
		}
		n = word_len(words);
		if (n > strlen(key) && !strncmp(words, key, strlen(key))) {
			char *end;
			long v = strtol(words + strlen(key), &end, 10);

			if (end != words + n || v < 1 || v > LOAD_MAX_NR_CPUS) {
				return -EINVAL;
			}
			best = best && best < v ? best : (int)v; /* the kernel keeps the smallest */
		} else if (n == strlen(key) && !strncmp(words, key, n)) {
			return -EINVAL;
		}
		words += n;
	}
	return best;
}

/* Everything load and estimate work from: the paths, kdump.conf's words, the machine, the images. */
struct load_ctx {
	char kpath[256], ipath[256];
	char extra[LOAD_CMDLINE_MAX]; /* kdump_commandline_append, then --append */
	struct est_inputs in;
	unsigned nr_cpus;             /* for nr_cpus=; 0: the user's own nr_cpus= is in extra */
	const char *why;              /* how nr_cpus was chosen */
};

static int read_conf_append(const struct load_opts *o, char *out, size_t size)
{
	const char *path = o->config ? o->config : "/etc/kdump.conf";
	static struct kdump_conf conf;

	out[0] = '\0';
	if (!o->config && access(path, F_OK) < 0) {
		return 0; /* no kdump.conf: nothing to add */
	}
	conf_defaults(&conf);
	if (conf_load(&conf, path) < 0) {
		log_err("cannot read %s", path);
		return -ENOENT;
	}
	snprintf(out, size, "%s", conf.cmdline_append);
	return 0;
}

static int parse_nr_cpus(const char *s, unsigned *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < 1 || v > LOAD_MAX_NR_CPUS) {
		log_err("--nr-cpus %s: give a CPU count from 1 to %d", s, LOAD_MAX_NR_CPUS);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

/* The CPU count: --nr-cpus, else an nr_cpus= of the user's words, else what the reservation affords. */
static int choose_cpus(const struct load_opts *o, struct load_ctx *c)
{
	int given = load_nr_cpus_in(c->extra);

	if (given < 0) {
		log_err("an nr_cpus= in kdump_commandline_append or --append is not a CPU count from 1 to %d: '%s'",
			LOAD_MAX_NR_CPUS, c->extra);
		return given;
	}
	if (o->nr_cpus) {
		if (given) {
			log_err("--nr-cpus %s and nr_cpus=%d (kdump_commandline_append or --append): give one of them",
				o->nr_cpus, given);
			return -EINVAL;
		}
		c->why = "--nr-cpus";
		return parse_nr_cpus(o->nr_cpus, &c->nr_cpus);
	}
	if (given) {
		c->nr_cpus = 0;
		c->why = "nr_cpus= of kdump_commandline_append or --append";
		return 0;
	}
	c->nr_cpus = est_pick_cpus(&c->in);
	c->why = c->in.crash_size < 0 ? "reservation size unknown" : "what the crashkernel= reservation affords";
	return 0;
}

static int load_setup(struct load_opts *o, struct load_ctx *c)
{
	struct utsname u;
	size_t n;
	int r;

	if (uname(&u) < 0) {
		log_err("uname failed: %s", strerror(errno));
		return -errno;
	}
	if (!o->kernel) {
		snprintf(c->kpath, sizeof(c->kpath), "/boot/vmlinuz-%s", u.release);
		o->kernel = c->kpath;
	}
	if (!o->initrd) {
		snprintf(c->ipath, sizeof(c->ipath), "/boot/kdumpcap-%s.img", u.release);
		o->initrd = c->ipath;
	} else if (!strcmp(o->initrd, "none")) {
		o->initrd = NULL;
	}
	r = read_conf_append(o, c->extra, sizeof(c->extra));
	n = strlen(c->extra);
	if (!r && o->append && snprintf(c->extra + n, sizeof(c->extra) - n, "%s%s", n ? " " : "", o->append) >=
				       (int)(sizeof(c->extra) - n)) {
		log_err("--append and kdump_commandline_append together exceed %d bytes", LOAD_CMDLINE_MAX - 1);
		r = -E2BIG;
	}
	est_probe_machine(&c->in, o->sysroot ? o->sysroot : "");
	/* sizes the CPU choice needs; load itself reports an unreadable file below */
	(void)est_probe_kernel(&c->in, o->kernel);
	if (o->initrd) {
		(void)est_probe_initrd(&c->in, o->initrd);
	}
	return r ? r : choose_cpus(o, c);
}

static int build_cmdline(const struct load_opts *o, const struct load_ctx *c, char *cmdline, size_t size)
{
	char cur[LOAD_CMDLINE_MAX * 2];
	ssize_t len;
	int err;

	if (o->cmdline) {
		len = verbatim_cmdline(o->cmdline, c->extra, cmdline, size);
	} else {
		err = read_small("/proc/cmdline", cur, sizeof(cur));
		if (err < 0) {
			log_err("load: cannot read /proc/cmdline: %s; give the command line with --cmdline",
				strerror(-err));
			return err;
		}
		len = load_cmdline(cur, c->extra, c->nr_cpus, cmdline, size);
	}
	if (len < 0) {
		log_err("load: the capture kernel's command line would exceed %d bytes; "
			"shorten it with --cmdline",
			LOAD_CMDLINE_MAX - 1);
	}
	return (int)len;
}

static int do_load(const struct load_opts *o, const char *cmdline, size_t len)
{
	unsigned long flags = KEXEC_FILE_ON_CRASH;
	int kfd, ifd = -1, rc = 1;

	kfd = io_open(o->kernel, O_RDONLY | O_CLOEXEC, 0);
	if (kfd < 0) {
		log_err("load: cannot open capture kernel %s: %s; give it with --kernel", o->kernel,
			strerror(-kfd));
		return 1;
	}
	if (o->initrd) {
		ifd = io_open(o->initrd, O_RDONLY | O_CLOEXEC, 0);
		if (ifd < 0) {
			log_err("load: cannot open capture initrd %s: %s; build it with 'kdumpcap mkinitrd' "
				"or give one with --initrd",
				o->initrd, strerror(-ifd));
			goto out;
		}
	} else {
		flags |= KEXEC_FILE_NO_INITRAMFS;
	}
	if (kexec_file_load(kfd, ifd, (unsigned long)len + 1, cmdline, flags) < 0) {
		if (errno != ENOSYS || !LOAD_HAVE_LEGACY) {
			explain(errno, o->kernel, o->initrd);
			goto out;
		}
		log_debug("load: no kexec_file_load in this kernel: kexec_load");
		if (load_legacy(o->kernel, o->initrd, cmdline) < 0) {
			goto out;
		}
	}
	if (!crash_loaded()) {
		log_warn("kexec_file_load succeeded but /sys/kernel/kexec_crash_loaded is not 1");
	}
	log_info("capture kernel %s loaded (initrd %s), command line: %s", o->kernel,
		 o->initrd ? o->initrd : "none", cmdline);
	rc = 0;
out:
	if (ifd >= 0) {
		io_close(ifd);
	}
	io_close(kfd);
	return rc;
}

/* -h/--help, or options that do not parse: the exit status in *RC. */
static bool early_exit(int argc, char **argv, struct load_opts *o, int *rc)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		load_usage();
		*rc = 0;
		return true;
	}
	if (parse_opts(argc, argv, o) < 0) {
		*rc = 2;
		return true;
	}
	if (o->verbose) {
		log_set_level(LOG_DEBUG);
	}
	return false;
}

int load_main(int argc, char **argv)
{
	struct load_opts o = { 0 };
	static struct load_ctx c;
	char cmdline[LOAD_CMDLINE_MAX];
	int len, rc;

	if (early_exit(argc, argv, &o, &rc)) {
		return rc;
	}
	if (load_setup(&o, &c) < 0) {
		return 1;
	}
	len = build_cmdline(&o, &c, cmdline, sizeof(cmdline));
	if (len < 0) {
		return 1;
	}
	if (c.nr_cpus) {
		log_info("capture kernel: %u CPU(s) (%s; %u online, crashkernel %lld MiB, estimate for %u: %llu MiB)",
			 c.nr_cpus, c.why, c.in.online, (long long)(c.in.crash_size < 0 ? -1 : c.in.crash_size >> 20), c.nr_cpus,
			 (unsigned long long)(est_need(&c.in, c.nr_cpus, NULL) >> 20));
	}
	log_debug("kernel %s, initrd %s, command line: %s", o.kernel, o.initrd ? o.initrd : "(none)", cmdline);
	if (o.dry_run) {
		printf("%s\n", cmdline);
		return 0;
	}
	return do_load(&o, cmdline, (size_t)len);
}

static void print_part(const char *name, uint64_t bytes, const char *how)
{
	printf("  %-16s %7.1f MiB  %s\n", name, (double)bytes / EST_MIB, how);
}

int estimate_main(int argc, char **argv)
{
	struct load_opts o = { 0 };
	static struct load_ctx c;
	struct est_parts p;
	char how[512];
	unsigned n, all;
	int rc, r;

	if (early_exit(argc, argv, &o, &rc)) {
		return rc;
	}
	if (load_setup(&o, &c) < 0) {
		return 1;
	}
	r = est_probe_kernel(&c.in, o.kernel);
	if (r) {
		log_err("estimate: cannot read the kernel %s: %s; give it with --kernel", o.kernel,
			r == -ENOEXEC ? "not a bzImage or arm64 Image" : strerror(-r));
		return 1;
	}
	r = o.initrd ? est_probe_initrd(&c.in, o.initrd) : 0;
	if (r) {
		log_err("estimate: cannot read the image %s: %s; build it with 'kdumpcap mkinitrd' or give one with "
			"--initrd", o.initrd, r == -ENODATA ? "the file is empty" : strerror(-r));
		return 1;
	}
	n = c.nr_cpus ? c.nr_cpus : (unsigned)load_nr_cpus_in(c.extra);
	est_need(&c.in, n, &p);
	printf("crashkernel=%lluM\n", (unsigned long long)(p.rounded >> 20));
	printf("for %s with %s and %u CPU(s) (%s), the sum rounded up to %llu MiB:\n", o.kernel,
	       o.initrd ? o.initrd : "no initrd", n, c.why, EST_ROUND >> 20);
	snprintf(how, sizeof(how), "the kernel's init_size (bzImage %.1f MiB): kexec sets it aside",
		 (double)c.in.kernel_file / EST_MIB);
	print_part("kernel", p.kernel, how);
	snprintf(how, sizeof(how), "%.1f MiB loaded + %.1f MiB unpacked%s (both held while the kernel unpacks)",
		 (double)c.in.initrd_file / EST_MIB, (double)c.in.initrd_unpacked / EST_MIB,
		 c.in.initrd_guessed ? " (guessed: unknown format)" : "");
	print_part("capture image", p.image, how);
	print_part("kernel runtime", p.runtime, "slab, page tables, memmap, devices, less init_size's room to decompress (calibrated on Debian 6.1)");
	snprintf(how, sizeof(how), "%u more CPU(s) x %llu MiB: per-CPU kernel memory and one collector thread",
		 n - 1, EST_PER_CPU >> 20);
	print_part("extra CPUs", p.percpu, how);
	print_part("kdumpcap", p.collector, "the collector with one thread at its smallest memory budget");
	print_part("total", p.total, "");
	all = c.in.online < EST_MAX_CPUS ? c.in.online : EST_MAX_CPUS;
	if (all > n) {
		printf("with %u CPUs (every online one, at most %d): crashkernel=%lluM\n", all, EST_MAX_CPUS,
		       (unsigned long long)(est_need(&c.in, all, NULL) >> 20));
	}
	if (c.in.crash_size >= 0) {
		printf("reserved now: %lld MiB (/sys/kernel/kexec_crash_size): %s; kdumpcap load would give %u CPU(s)\n",
		       (long long)(c.in.crash_size >> 20), (uint64_t)c.in.crash_size >= p.rounded ? "enough" : "TOO SMALL",
		       c.nr_cpus ? c.nr_cpus : n);
	}
	return 0;
}

/* 0 when the crash kernel is unloaded; -1 after a message. */
static int do_unload(void)
{
	int err;

	if (kexec_file_load(-1, -1, 0, NULL, KEXEC_FILE_UNLOAD | KEXEC_FILE_ON_CRASH) == 0) {
		return 0;
	}
	err = errno;
	if (err == ENOSYS && LOAD_HAVE_LEGACY) {
		return load_legacy_unload() < 0 ? -1 : 0; /* it says why */
	}
	if (err == EPERM) {
		explain(err, "", NULL);
	} else {
		log_err("unloading the capture kernel failed: %s (%s)", strerror(err), io_errname(err));
	}
	return -1;
}

int unload_main(int argc, char **argv)
{
	if (argc > 1) {
		load_usage();
		return strcmp(argv[1], "-h") && strcmp(argv[1], "--help") ? 2 : 0;
	}
	if (do_unload() < 0) {
		return 1;
	}
	if (crash_loaded()) {
		log_err("unload returned success but /sys/kernel/kexec_crash_loaded is still 1");
		return 1;
	}
	log_info("capture kernel unloaded");
	return 0;
}
