/* The makedumpfile-compatible collector: option table, then open the
 * vmcore, set up the filter and the sink, write, report. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/cmds.h"
#include "capture/collector.h"
#include "capture/compress.h"
#include "capture/kdump.h"
#include "filter/filter.h"
#include "lib/clock.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/meminfo.h"
#include "vmcore/dmesg.h"
#include "vmcore/vmcoreinfo.h"

#define VERSION "0.1"

/* makedumpfile's --message-level bits */
#define ML_PROGRESS 1
#define ML_COMMON 2
#define ML_ERROR 4
#define ML_DEBUG 8
#define ML_REPORT 16
#define ML_DEFAULT (ML_PROGRESS | ML_COMMON | ML_ERROR)

enum {
	OPT_MSGLEVEL = 256, OPT_DMESG, OPT_STATS, OPT_THREADS, OPT_ZSTD_LEVEL, OPT_CYCLIC, OPT_NONCYCLIC, OPT_NONMMAP,
	OPT_HELP, OPT_UNSUPPORTED,
};

static const struct option longopts[] = {
	{ "message-level", required_argument, NULL, OPT_MSGLEVEL },
	{ "dump-dmesg", no_argument, NULL, OPT_DMESG },
	{ "show-stats", no_argument, NULL, OPT_STATS },
	{ "num-threads", required_argument, NULL, OPT_THREADS },
	{ "zstd-level", required_argument, NULL, OPT_ZSTD_LEVEL },
	{ "cyclic-buffer", required_argument, NULL, OPT_CYCLIC },
	{ "non-cyclic", no_argument, NULL, OPT_NONCYCLIC },
	{ "non-mmap", no_argument, NULL, OPT_NONMMAP },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "split", no_argument, NULL, OPT_UNSUPPORTED },
	{ "reassemble", no_argument, NULL, OPT_UNSUPPORTED },
	{ "eppic", required_argument, NULL, OPT_UNSUPPORTED },
	{ "mem-usage", no_argument, NULL, OPT_UNSUPPORTED },
	{ "partial-dmesg", no_argument, NULL, OPT_UNSUPPORTED },
	{ "config", required_argument, NULL, OPT_UNSUPPORTED },
	{ "work-dir", required_argument, NULL, OPT_UNSUPPORTED },
	{ "splitblock-size", required_argument, NULL, OPT_UNSUPPORTED },
	{ "dry-run", no_argument, NULL, OPT_UNSUPPORTED },
	{ 0, 0, 0, 0 },
};

static void usage(FILE *to)
{
	fprintf(to, "usage: kdumpcap [-c|-l|-z] [-d LEVEL] [-F] [--message-level N] [--show-stats]\n"
		    "                [--num-threads N] [--zstd-level N] VMCORE [DUMPFILE]\n"
		    "       kdumpcap -R DUMPFILE < FLATTENED-STREAM\n"
		    "       kdumpcap --dump-dmesg VMCORE LOGFILE\n"
		    "       kdumpcap savecore|mkinitrd|load|unload|status ...\n"
		    "  -c  zlib   -l  lzo   -z  zstd   (none: uncompressed)\n"
		    "  --zstd-level N  zstd's level for -z, from %d (fastest) to %d (default %d)\n"
		    "  -d  dump level 0-31: 1 zero, 2 cache, 4 cache+private, 8 user, 16 free pages\n"
		    "  -F  write the flattened format to stdout, or over DUMPFILE when it is an existing\n"
		    "      raw device (or a file standing for one), as the capture kernel does\n",
		ZSTD_LEVEL_MIN, ZSTD_LEVEL_MAX, ZSTD_LEVEL_DEFAULT);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max || s[0] == '-') {
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_int(const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

int collector_parse(int argc, char **argv, struct collect_opts *o, enum collect_mode *mode, const char **in,
		    const char **out)
{
	unsigned long v;
	int c, npos;

	memset(o, 0, sizeof(*o));
	o->msg_level = ML_DEFAULT;
	o->zstd_level = ZSTD_LEVEL_DEFAULT;
	*mode = COLLECT_DUMP;
	*in = *out = NULL;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":cd:ElpzFRx:i:b:DfhvXN", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->compress = COMPRESS_ZLIB;
			break;
		case 'z':
			o->compress = COMPRESS_ZSTD;
			break;
		case 'l':
			o->compress = COMPRESS_LZO;
			break;
		case 'p':
			log_err("-p (snappy) is not supported by kdumpcap; use -l (lzo), -c (zlib) or -z (zstd)");
			return -EINVAL;
		case 'd':
			if (parse_uint(optarg, DL_MAX, &v)) {
				log_err("invalid dump level '%s' for -d: give a number from 0 to 31", optarg);
				return -EINVAL;
			}
			o->level = (unsigned)v;
			break;
		case 'E':
			log_err("-E (ELF output) is not supported; kdumpcap writes the kdump-compressed format");
			return -EINVAL;
		case 'F':
			o->flat = true;
			break;
		case 'R':
			*mode = COLLECT_REARRANGE;
			break;
		case 'x':
		case 'i':
			log_info("-%c %s ignored: kdumpcap takes the kernel layout from the vmcore's VMCOREINFO", c,
				 optarg);
			break;
		case 'b':
		case 'X':
		case 'N':
			break; /* cache sizing hints of makedumpfile: nothing to tune here */
		case 'D':
			o->msg_level |= ML_DEBUG;
			break;
		case 'f':
			log_err("-f (overwrite) is not supported: remove the existing dump file first");
			return -EINVAL;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			return 1;
		case 'v':
			printf("kdumpcap %s\n", VERSION);
			return 1;
		case OPT_MSGLEVEL:
			if (parse_uint(optarg, 31, &v)) {
				log_err("invalid --message-level '%s': give a number from 0 to 31", optarg);
				return -EINVAL;
			}
			o->msg_level = (int)v;
			break;
		case OPT_DMESG:
			*mode = COLLECT_DMESG;
			break;
		case OPT_STATS:
			o->show_stats = true;
			break;
		case OPT_THREADS:
			if (parse_uint(optarg, 64, &v)) {
				log_err("invalid --num-threads '%s': give a number from 0 to 64", optarg);
				return -EINVAL;
			}
			o->threads = (unsigned)v;
			break;
		case OPT_ZSTD_LEVEL:
			if (parse_int(optarg, ZSTD_LEVEL_MIN, ZSTD_LEVEL_MAX, &o->zstd_level)) {
				log_err("invalid --zstd-level '%s': give a number from %d to %d", optarg, ZSTD_LEVEL_MIN,
					ZSTD_LEVEL_MAX);
				return -EINVAL;
			}
			break;
		case OPT_CYCLIC:
		case OPT_NONCYCLIC:
		case OPT_NONMMAP:
			break; /* memory is always bounded (windows); mmap falls back by itself */
		case OPT_UNSUPPORTED:
			log_err("option %s is not supported by kdumpcap", argv[optind - 1]);
			return -EINVAL;
		case ':':
			log_err("option %s needs an argument", argv[optind - 1]);
			return -EINVAL;
		default:
			log_err("unknown option %s (see kdumpcap --help)", argv[optind - 1]);
			return -EINVAL;
		}
	}
	npos = argc - optind;
	if (*mode == COLLECT_REARRANGE) {
		if (npos != 1) {
			log_err("-R takes exactly one DUMPFILE and reads the stream from stdin");
			return -EINVAL;
		}
		*out = argv[optind];
		return 0;
	}
	if (npos < 1 || npos > 2) {
		log_err("give VMCORE and DUMPFILE (see kdumpcap --help)");
		return -EINVAL;
	}
	*in = argv[optind];
	*out = npos == 2 ? argv[optind + 1] : NULL;
	if (*mode == COLLECT_DMESG && !*out) {
		log_err("--dump-dmesg needs VMCORE and LOGFILE");
		return -EINVAL;
	}
	if (*mode == COLLECT_DUMP && !o->flat && !*out) {
		log_err("give a DUMPFILE, or -F to write the flattened format to stdout");
		return -EINVAL;
	}
	return 0;
}

void collector_default_threads(struct collect_opts *o)
{
	long n;

	if (o->threads) {
		return;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	o->threads = n > 1 ? (unsigned)(n > COLLECT_MAX_AUTO_THREADS ? COLLECT_MAX_AUTO_THREADS : n) : 1;
}

static void report(const struct filter *f, const struct kdump_result *res, uint64_t max_pfn)
{
	char buf[1024];

	filter_report(f, max_pfn, buf, sizeof(buf));
	fprintf(stderr, "\n%s\nWrite bytes     : %llu\n\n", buf, (unsigned long long)res->bytes);
}

/* A vmcore without VMCOREINFO names no kernel: nothing can read its dump. */
static int vmcore_open_checked(struct vmcore *vc, const char *path)
{
	int r = vmcore_open(vc, path);

	if (!r && !vc->vi.len) {
		log_err("%s: no VMCOREINFO note: the dead kernel is unknown, so no reader could use the dump; "
			"is this a kdump vmcore?", path);
		vmcore_close(vc);
		r = -EINVAL;
	}
	return r;
}

/* Dump an open vmcore to S; finishes or aborts S. */
static int dump_vmcore(const struct collect_opts *o, struct vmcore *vc, struct sink *s)
{
	struct filter f;
	struct kdump_result res;
	int r;

	r = filter_init(&f, vc, o->level, o->mem_budget);
	if (r) {
		log_err("cannot set up the page filter: %s", strerror(-r));
		s->abort(s);
		return r;
	}
	r = kdump_write(vc, &f, o, s, &res);
	f.st.zero = res.zero;
	if (r) {
		if (!res.reported && (r != -EIO || !res.unreadable)) {
			log_err("writing %s failed: %s%s", s->name, strerror(-r),
				r == -ENOSPC ? " (no space left: what was written is kept, flagged incomplete)" : "");
		}
		s->abort(s);
	} else {
		r = s->finish(s);
		if (r) {
			log_err("%s: the dump could not be made durable: %s", s->name, strerror(-r));
		}
	}
	if (o->show_stats || (o->msg_level & ML_REPORT)) {
		report(&f, &res, vc->max_pfn);
	}
	if (!r && (o->msg_level & ML_COMMON)) {
		log_info("the dumpfile is saved to %s (%llu of %llu pages, %llu bytes; page filter %.2f s, pages %.2f s)",
			 s->name, (unsigned long long)res.dumped, (unsigned long long)f.st.total,
			 (unsigned long long)res.bytes, (double)res.filter_ns / NS_PER_SEC,
			 (double)res.pages_ns / NS_PER_SEC);
	}
	filter_close(&f);
	return r;
}

/* The flattened sink on FD for the open vmcore: a fresh id, with its crash time. */
static int flat_sink_open(struct sink *s, int fd, const char *name, const struct vmcore *vc)
{
	struct flat_id id;
	uint64_t crashtime = 0;

	(void)vmci_u64(&vc->vi, "CRASHTIME", 10, &crashtime);
	flat_id_new(&id, crashtime);
	return sink_flat_open(s, fd, name, &id);
}

int collect_to_raw(const struct collect_opts *o, const char *vmcore, const char *dev)
{
	int fd, r;

	fd = io_open(dev, O_RDWR, 0);
	if (fd < 0) {
		log_err("cannot open raw target %s: %s%s", dev, strerror(-fd),
			fd == -ENOENT ? " (-F with a DUMPFILE writes over an existing device or file)" : "");
		return fd;
	}
	r = flat_target_check(fd, dev);
	if (r) {
		io_close(fd);
		return r;
	}
	/* first, before anything else can fail: an older stream on the device
	 * must not pass for this capture's */
	r = flat_invalidate(fd);
	if (r) {
		log_err("cannot clear the old dump's first block on %s: %s; not writing over it", dev, strerror(-r));
		io_close(fd);
		return r;
	}
	return collect_to_stream(o, vmcore, fd, dev);
}

int collect_to_stream(const struct collect_opts *o, const char *vmcore, int fd, const char *name)
{
	struct vmcore vc;
	struct sink s;
	int r = vmcore_open_checked(&vc, vmcore);

	if (r) {
		io_close(fd);
		return r;
	}
	r = flat_sink_open(&s, fd, name, &vc);
	if (r) {
		io_close(fd);
	} else {
		r = dump_vmcore(o, &vc, &s); /* finishes or aborts S, which closes FD */
	}
	vmcore_close(&vc);
	return r;
}

int collect_dump(const struct collect_opts *o, const char *path, struct sink *s)
{
	struct vmcore vc;
	int r = vmcore_open_checked(&vc, path);

	if (r) {
		s->abort(s);
		return r;
	}
	r = dump_vmcore(o, &vc, s);
	vmcore_close(&vc);
	return r;
}

int collect_dmesg(const char *vmcore, int fd)
{
	struct vmcore vc;
	int r = vmcore_open(&vc, vmcore);

	if (r) {
		return r;
	}
	r = dmesg_write(&vc, fd);
	vmcore_close(&vc);
	return r;
}

static int source_dmesg(void *ctx, int fd)
{
	const struct collect_source *cs = ctx;

	return collect_dmesg(cs->vmcore, fd);
}

static int source_stream(void *ctx, int fd, const char *label)
{
	const struct collect_source *cs = ctx;

	return collect_to_stream(cs->o, cs->vmcore, fd, label);
}

struct sshflat_source collect_source(const struct collect_source *cs)
{
	return (struct sshflat_source){ .dmesg = source_dmesg, .stream = source_stream, .ctx = (void *)cs };
}

/* LOGFILE is created only once the vmcore is accepted, and removed again
 * when no byte of the log could be written to it: a refused vmcore leaves
 * nothing behind (a log cut short by a read error keeps what was read). */
static int dmesg_to_file(const char *vmcore, const char *out)
{
	struct vmcore vc;
	struct stat st;
	int fd, r, c;

	r = vmcore_open(&vc, vmcore);
	if (r) {
		return r;
	}
	fd = io_open(out, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		log_err("cannot create %s: %s", out, fd == -EEXIST ? "it already exists" : strerror(-fd));
		vmcore_close(&vc);
		return fd;
	}
	r = dmesg_write(&vc, fd);
	vmcore_close(&vc);
	if (!r) {
		r = io_fsync(fd);
	}
	if (r && fstat(fd, &st) == 0 && st.st_size == 0) {
		unlink(out);
	}
	c = io_close(fd);
	return r ? r : c;
}

int collector_main(int argc, char **argv)
{
	struct collect_opts o;
	enum collect_mode mode;
	const char *in, *out;
	struct sink s;
	struct vmcore vc;
	int r;

	r = io_fault_setup(getenv("KDUMPCAP_FAULT"));
	if (r) {
		log_err("bad KDUMPCAP_FAULT spec '%s'", getenv("KDUMPCAP_FAULT"));
		return 1;
	}
	r = collector_parse(argc, argv, &o, &mode, &in, &out);
	if (r) {
		return r > 0 ? 0 : 1;
	}
	if (o.msg_level & ML_DEBUG) {
		log_set_level(LOG_DEBUG);
	} else if (!(o.msg_level & ML_COMMON)) {
		log_set_level(LOG_WARN);
	}
	o.progress = (o.msg_level & ML_PROGRESS) != 0;
	o.mem_budget = meminfo_budget();
	collector_default_threads(&o);
	switch (mode) {
	case COLLECT_REARRANGE:
		r = flat_rearrange_file(0, "stdin", out);
		break;
	case COLLECT_DMESG:
		r = dmesg_to_file(in, out);
		break;
	case COLLECT_DUMP:
		if (o.flat && out) {
			r = collect_to_raw(&o, in, out);
			break;
		}
		/* the vmcore is checked before any output is created */
		r = vmcore_open_checked(&vc, in);
		if (r) {
			break;
		}
		if (o.flat) {
			r = flat_sink_open(&s, 1, "stdout", &vc);
		} else {
			r = sink_file_open(&s, out);
		}
		if (!r) {
			r = dump_vmcore(&o, &vc, &s);
		}
		vmcore_close(&vc);
		break;
	}
	return r ? 1 : 0;
}
