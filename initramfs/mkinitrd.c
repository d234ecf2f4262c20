/* kdumpcap mkinitrd: the capture initramfs. A compressed newc cpio with
 * this static binary as /init, kdump.conf, and the modules the configured
 * target needs (its block driver chain and file system, with dependencies
 * and soft dependencies), plus modules.dep/modules.softdep for PID 1.
 * Reproducible: sorted entries, zero mtimes and owners, fixed compression
 * settings. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "capture/cmds.h"
#include "capture/collector.h"
#include "initramfs/blkid.h"
#include "initramfs/conf.h"
#include "initramfs/cpio.h"
#include "initramfs/defaulttarget.h"
#include "initramfs/hosttarget.h"
#include "initramfs/inputs.h"
#include "initramfs/modfile.h"
#include "initramfs/modules.h"
#include "initramfs/sshkey.h"
#include "initramfs/target.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/rd.h"

#define MAX_ENTRIES 4096
#define FILE_MAX (256u << 20)
#define DEP_MAX (1u << 20)
#define ZSTD_LEVEL 9
#define CONF_EXTRA 1024
/* make install puts dbclient in LIBEXECDIR (Makefile) */
#ifndef KDC_LIBEXECDIR
#define KDC_LIBEXECDIR "/usr/lib/kdumpcap"
#endif
#define DBCLIENT_DEFAULT KDC_LIBEXECDIR "/dbclient"

struct image {
	struct cpio_entry e[MAX_ENTRIES];
	size_t n;
	bool full;
};

static void add(struct image *im, const char *name, mode_t mode, const void *data, size_t len)
{
	if (im->n == MAX_ENTRIES) {
		im->full = true;
		return;
	}
	for (size_t i = 0; i < im->n; i++) {
		if (!strcmp(im->e[i].name, name)) {
			return; /* directories named twice */
		}
	}
	im->e[im->n++] = (struct cpio_entry){ strdup(name), mode, data, len, 0, 0 };
}

static void add_dirs(struct image *im, const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		add(im, p, S_IFDIR | 0755, NULL, 0);
		*s = '/';
	}
}

static void *slurp(const char *path, size_t *len, mode_t *mode)
{
	void *buf;
	int r = io_read_file(path, FILE_MAX, &buf, len, mode);

	if (r == -EINVAL || r == -EFBIG) {
		log_err("%s is not a regular file of at most 256 MiB", path);
	} else if (r) {
		log_err("cannot read %s: %s", path, strerror(-r));
	}
	return r ? NULL : buf;
}

static int add_file(struct image *im, const char *src, const char *name, mode_t mode)
{
	mode_t m;
	size_t len;
	void *d = slurp(src, &len, &m);

	if (!d) {
		return -ENOENT;
	}
	add_dirs(im, name);
	add(im, name, S_IFREG | (mode ? mode : m), d, len);
	return 0;
}

/* Module M's file as lib/modules/KVER/..., decompressed where we can (see
 * modfile.c) and then stored as plain .ko: M's path becomes that name, which
 * is what the image's modules.dep gives PID 1. */
static int add_module(struct image *im, struct inputs *in, const char *moddir, const char *kver, struct mod *m)
{
	char src[PATH_MAX], name[PATH_MAX];
	size_t len, plen;
	void *d, *plain;
	int r;

	if (snprintf(src, sizeof(src), "%s/%s", moddir, m->path) >= (int)sizeof(src)) {
		log_err("module path %s/%s is too long", moddir, m->path);
		return -ENAMETOOLONG;
	}
	d = slurp(src, &len, NULL);
	if (!d) {
		return -ENOENT;
	}
	inputs_add(in, "module", src);
	if (modfile_comp(m->path) != MODFILE_PLAIN) {
		r = modfile_decompress(src, d, len, &plain, &plen);
		if (r == 0) {
			free(d);
			d = plain;
			len = plen;
			m->path[modfile_stem_len(m->path)] = '\0';
		} else if (r == -EOPNOTSUPP) {
			log_warn("%s stays xz-compressed: `xz` cannot be run here to decompress it, so the capture kernel "
				 "must (Linux 5.17+ with CONFIG_MODULE_DECOMPRESS and xz); install xz and rebuild", src);
		} else {
			free(d);
			return r;
		}
	}
	if (snprintf(name, sizeof(name), "lib/modules/%s/%s", kver, m->path) >= (int)sizeof(name)) {
		log_err("module path lib/modules/%s/%s is too long", kver, m->path);
		free(d);
		return -ENAMETOOLONG;
	}
	add_dirs(im, name);
	add(im, name, S_IFREG | 0644, d, len);
	log_info("module %s", m->name);
	return 0;
}

/* Why the capture kernel could not run this kdump_pre/kdump_post file, or
 * NULL. The image has no shell and no shared libraries: only a static ELF
 * executable can run there. */
static const char *hook_problem(const void *data, size_t len, mode_t mode)
{
	struct rd r = rd_init(data, len);
	const uint8_t *id = rd_bytes(&r, EI_NIDENT);
	uint64_t phoff;
	unsigned phentsize, phnum;
	bool is64;

	if (!(mode & S_IXUSR)) {
		return "is not executable (chmod +x)";
	}
	if (len >= 2 && !memcmp(data, "#!", 2)) {
		return "is a script, and the capture image has no shell: use a static binary";
	}
	if (!id || memcmp(id, ELFMAG, SELFMAG) || (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64) ||
	    id[EI_DATA] != ELFDATA2LSB) {
		return "is not a little-endian ELF executable";
	}
	is64 = id[EI_CLASS] == ELFCLASS64;
	rd_seek(&r, is64 ? offsetof(Elf64_Ehdr, e_phoff) : offsetof(Elf32_Ehdr, e_phoff));
	phoff = is64 ? rd_u64(&r) : rd_u32(&r);
	/* e_phentsize, then e_phnum */
	rd_seek(&r, is64 ? offsetof(Elf64_Ehdr, e_phentsize) : offsetof(Elf32_Ehdr, e_phentsize));
	phentsize = rd_u16(&r);
	phnum = rd_u16(&r);
	if (r.err || phentsize < 4 || phnum > 1024) {
		return "has a damaged ELF header";
	}
	for (unsigned i = 0; i < phnum; i++) {
		rd_seek(&r, phoff > len ? len + 1 : phoff + (uint64_t)i * phentsize);
		if (rd_u32(&r) == PT_INTERP) { /* p_type comes first in both classes */
			return "is dynamically linked, and the capture image has no shared libraries: link it "
			       "statically";
		}
		if (r.err) {
			return "has a damaged ELF header";
		}
	}
	return NULL;
}

/* kdump_pre / kdump_post PATH (of this machine) as NAME in the image. */
static int add_hook(struct image *im, const char *what, const char *path, const char *name)
{
	const char *why;
	size_t len;
	mode_t m;
	void *d = slurp(path, &len, &m);

	if (!d) {
		log_err("%s %s is named in kdump.conf but cannot be read here: the capture could not run it",
			what, path);
		return -ENOENT;
	}
	why = hook_problem(d, len, m);
	if (why) {
		log_err("%s %s %s", what, path, why);
		free(d);
		return -ENOEXEC;
	}
	add_dirs(im, name + 1);
	add(im, name + 1, S_IFREG | 0755, d, len);
	log_info("%s %s as %s", what, path, name);
	return 0;
}

static void target_add(struct target_image *ti, const char *name, unsigned mode, void *data, size_t len)
{
	add_dirs(ti->img, name);
	add(ti->img, name, (mode_t)mode, data, len);
}

/* What the target needs in the image (its own checks, files and modules),
 * then the extra_modules. */
static int want_image(struct moddb *db, const struct kdump_conf *c, const struct hosttarget_opts *ho,
		      const char *kver, char *extra, size_t n, const char *dbclient, struct image *im)
{
	struct target_image ti = { c, ho, db, kver, extra, n, dbclient, im, target_add };
	int r = target_ops_of(c->target)->image(&ti);

	if (r) {
		return r;
	}
	for (int i = 0; i < c->nmodules; i++) {
		if (moddb_want(db, c->modules[i], false)) {
			r = -ENOENT;
		}
	}
	return r;
}

/* kdump.conf as the image holds it: the file, then what mkinitrd found out
 * (resolved_target, resolved_path) for PID 1, which has no udev and sees the
 * target at /mnt. */
static int add_conf(struct image *im, const char *cfg, const char *extra)
{
	static const char head[] = "\n# added by kdumpcap mkinitrd: what the names above meant when the image was built\n";
	size_t len, xl = strlen(extra);
	char *d = slurp(cfg, &len, NULL), *all;

	if (!d || !xl) {
		if (d) {
			add(im, "etc/kdump.conf", S_IFREG | 0644, d, len);
		}
		return d ? 0 : -ENOENT;
	}
	if (len + sizeof(head) - 1 + xl > CONF_MAX_FILE) {
		log_err("%s with the %zu bytes mkinitrd adds is over %u bytes, which the capture would cut: shorten "
			"it", cfg, sizeof(head) - 1 + xl, CONF_MAX_FILE);
		free(d);
		return -EFBIG;
	}
	all = malloc(len + sizeof(head) + xl);
	if (!all) {
		free(d);
		return -ENOMEM;
	}
	memcpy(all, d, len);
	memcpy(all + len, head, sizeof(head) - 1);
	memcpy(all + len + sizeof(head) - 1, extra, xl);
	free(d);
	add(im, "etc/kdump.conf", S_IFREG | 0644, all, len + sizeof(head) - 1 + xl);
	return 0;
}

static int compress_image(const struct cpio_buf *in, bool gzip, void **out, size_t *olen)
{
	if (!gzip) {
		size_t cap = ZSTD_compressBound(in->len), n;
		void *b = malloc(cap);
		if (!b) {
			return -ENOMEM;
		}
		n = ZSTD_compress(b, cap, in->p, in->len, ZSTD_LEVEL);
		if (ZSTD_isError(n)) {
			log_err("zstd compression failed: %s", ZSTD_getErrorName(n));
			free(b);
			return -EIO;
		}
		*out = b;
		*olen = n;
		return 0;
	}
	z_stream z;
	uLong cap;
	void *b;

	memset(&z, 0, sizeof(z));
	/* 15 + 16: gzip wrapper with a zero mtime, as the kernel's RD_GZIP wants */
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
		return -ENOMEM;
	}
	cap = deflateBound(&z, in->len);
	b = malloc(cap);
	if (!b) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = in->p;
	z.avail_in = (uInt)in->len;
	z.next_out = b;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(b);
		return -EIO;
	}
	*olen = z.total_out;
	deflateEnd(&z);
	*out = b;
	return 0;
}

static int write_image(const char *path, const void *p, size_t len)
{
	char tmp[PATH_MAX];
	int fd, r, c;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		return -ENAMETOOLONG;
	}
	(void)unlink(tmp);
	fd = io_open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		log_err("cannot create %s: %s", tmp, strerror(-fd));
		return fd;
	}
	r = io_write(fd, p, len);
	if (r == 0) {
		r = io_fsync(fd);
	}
	c = io_close(fd);
	r = r ? r : c;
	if (r == 0) {
		r = io_rename(tmp, path);
	}
	if (r) {
		log_err("cannot write %s: %s", path, strerror(-r));
		(void)unlink(tmp);
	}
	return r;
}

/* The files this image is made from, other than the modules (add_module). */
static void record_inputs(struct inputs *in, const char *cfg, const char *bin, const char *kernel,
			  const char *dbclient, const struct kdump_conf *c)
{
	char real[PATH_MAX], key[PATH_MAX];

	inputs_add(in, "config", cfg);
	inputs_add(in, "binary", realpath(bin, real) ? real : bin);
	if (kernel) {
		inputs_add(in, "kernel", kernel);
	}
	if (c->target == TGT_SSH) {
		inputs_add(in, "dbclient", dbclient);
		if (c->sshkey[0]) {
			snprintf(key, sizeof(key), "%s", c->sshkey);
		} else {
			sshkey_default(key, sizeof(key));
		}
		inputs_add(in, "sshkey", key);
	}
	if (c->pre[0]) {
		inputs_add(in, "kdump_pre", c->pre);
	}
	if (c->post[0]) {
		inputs_add(in, "kdump_post", c->post);
	}
}

/* IMAGE.inputs, after the image: what kdumpcap start compares to decide whether to rebuild. */
static int write_inputs(const char *image, const struct inputs *in)
{
	char path[PATH_MAX];

	if (in->err) {
		log_err("cannot record the inputs of %s: %s", image, strerror(-in->err));
		return in->err;
	}
	if (snprintf(path, sizeof(path), "%s%s", image, INPUTS_SUFFIX) >= (int)sizeof(path)) {
		return -ENAMETOOLONG;
	}
	return write_image(path, in->text ? in->text : "", in->len);
}

static void usage(void)
{
	fprintf(stderr, "usage: kdumpcap mkinitrd -o IMAGE [--kver VERSION] [--config kdump.conf]\n"
			"                [--moddir DIR] [--compress zstd|gzip] [--binary PATH]\n"
			"                [--allow-missing-target] [--sysroot DIR] [--dbclient PATH]\n"
			"                [--kernel PATH]\n"
			"  --allow-missing-target  the target is visible only to the capture kernel\n"
			"  --sysroot DIR           look for the target under DIR/dev, DIR/sys/class/block and\n"
			"                          DIR/proc/self/mountinfo (files stand in for devices there)\n"
			"  --dbclient PATH         the static dropbear client for an ssh target (default\n"
			"                          " DBCLIENT_DEFAULT "; `make dbclient` builds one\n"
			"                          into build/deps/bin/dbclient)\n"
			"  --kernel PATH           the kernel the image is for, recorded with the other inputs\n"
			"                          in IMAGE" INPUTS_SUFFIX " (kdumpcap start rebuilds when one changes)\n");
}

/* What the command line asks for. */
struct mk_args {
	const char *out, *kver, *cfg, *moddir, *bin, *dbclient, *kernel;
	struct hosttarget_opts ho;
	bool gzip;
	char mdir[PATH_MAX];
	struct utsname u;
};

/* 0, or the exit status 2 after a usage error. */
static int parse_args(int argc, char **argv, struct mk_args *a)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' }, { "kver", required_argument, NULL, 'k' },
		{ "config", required_argument, NULL, 'c' }, { "moddir", required_argument, NULL, 'm' },
		{ "compress", required_argument, NULL, 'z' }, { "binary", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },           { "allow-missing-target", no_argument, NULL, 'A' },
		{ "sysroot", required_argument, NULL, 'S' },  { "dbclient", required_argument, NULL, 'D' },
		{ "kernel", required_argument, NULL, 'K' },   { NULL, 0, NULL, 0 },
	};
	int c;

	a->cfg = "/etc/kdump.conf";
	a->bin = "/proc/self/exe";
	a->dbclient = DBCLIENT_DEFAULT;
	a->ho.sysroot = "";
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:k:c:m:z:b:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o': a->out = optarg; break;
		case 'k': a->kver = optarg; break;
		case 'c': a->cfg = optarg; break;
		case 'm': a->moddir = optarg; break;
		case 'b': a->bin = optarg; break;
		case 'A': a->ho.allow_missing = true; break;
		case 'S': a->ho.sysroot = optarg; break;
		case 'D': a->dbclient = optarg; break;
		case 'K': a->kernel = optarg; break;
		case 'z':
			if (strcmp(optarg, "zstd") && strcmp(optarg, "gzip")) {
				log_err("--compress %s: use zstd or gzip", optarg);
				return 2;
			}
			a->gzip = !strcmp(optarg, "gzip");
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!a->out || optind != argc) {
		usage();
		return 2;
	}
	uname(&a->u);
	a->kver = a->kver ? a->kver : a->u.release;
	if (!a->moddir) {
		snprintf(a->mdir, sizeof(a->mdir), "/lib/modules/%s", a->kver);
		a->moddir = a->mdir;
	}
	a->ho.cfg = a->cfg;
	return 0;
}

/* The core_collector line, checked as PID 1 will check it: followed by
 * the two paths. */
static int collector_usable(const struct kdump_conf *conf, const char *cfg)
{
	char *cargv[CONF_MAX_ARGS + 3];
	struct collect_opts o;
	enum collect_mode mode;
	const char *pin, *pout;

	for (int i = 0; i < conf->argc; i++) {
		cargv[i] = conf->argv[i];
	}
	cargv[conf->argc] = "/proc/vmcore";
	cargv[conf->argc + 1] = "vmcore";
	cargv[conf->argc + 2] = NULL;
	if (collector_parse(conf->argc + 2, cargv, &o, &mode, &pin, &pout) || mode != COLLECT_DUMP) {
		log_err("%s:%d: the capture could not use these core_collector options (it would fall back to "
			"'kdumpcap -d 31 -z'): fix them", cfg, conf->collector_line);
		return -EINVAL;
	}
	return 0;
}

/* kdump.conf, whole and honoured, with a target (the default one found
 * into EXTRA when it names none) and a usable collector line. */
static int load_conf(struct mk_args *a, struct kdump_conf *conf, char *extra, size_t n)
{
	int r;

	conf_defaults(conf);
	r = conf_load(conf, a->cfg);
	if (r == -EFBIG) {
		log_err("%s is over %u bytes: the capture would read only its start; shorten it", a->cfg,
			CONF_MAX_FILE);
		return r;
	}
	if (r) {
		log_err("cannot build an image without %s (pass --config)", a->cfg);
		return r;
	}
	if (conf->problems) {
		log_err("%s: %d line(s) above cannot be honoured: fix them; the image would not do what the file says",
			a->cfg, conf->problems);
		return -EINVAL;
	}
	if (conf->target == TGT_NONE && defaulttarget_find(conf, &a->ho, extra, n)) {
		return -ENOENT;
	}
	if (!target_ops_of(conf->target)) {
		log_err("%s names no dump target (raw, ext4, ext3, ext2, xfs, nfs or ssh): the capture would have nowhere "
			"to save; add one", a->cfg);
		return -EINVAL;
	}
	return collector_usable(conf, a->cfg);
}

/* The directories every image has, and its console. */
static void add_skeleton(struct image *im, const char *kver)
{
	static const char *const dirs[] = { "dev", "proc", "sys", "tmp", "mnt", "etc", "lib", "lib/modules" };
	char name[PATH_MAX];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		add(im, dirs[i], S_IFDIR | 0755, NULL, 0);
	}
	add(im, "dev/console", S_IFCHR | 0600, NULL, 0);
	im->e[im->n - 1].rmajor = 5;
	im->e[im->n - 1].rminor = 1;
	snprintf(name, sizeof(name), "lib/modules/%s", kver);
	add(im, name, S_IFDIR | 0755, NULL, 0);
}

/* The wanted modules of DB, and the modules.dep and modules.softdep
 * PID 1 loads them by; closes DB. The lists stay allocated: the image
 * points at them until it is written. */
static int add_modules(struct image *im, struct inputs *in, struct moddb *db, const struct mk_args *a)
{
	char name[PATH_MAX], *dep = malloc(DEP_MAX), *softdep = malloc(DEP_MAX);
	ssize_t dl, sl;
	int r = 0;

	for (size_t i = 0; i < db->n && !r; i++) {
		if (moddb_wanted(db, i)) {
			r = add_module(im, in, a->moddir, a->kver, &db->m[i]);
		}
	}
	dl = dep ? moddb_write_dep(db, dep, DEP_MAX) : -ENOMEM;
	sl = softdep ? moddb_write_softdep(db, softdep, DEP_MAX) : -ENOMEM;
	moddb_close(db);
	if (!r && (dl < 0 || sl < 0)) {
		log_err("the module lists do not fit in %u bytes", DEP_MAX);
		r = -ENOSPC;
	}
	snprintf(name, sizeof(name), "lib/modules/%s/modules.dep", a->kver);
	add(im, name, S_IFREG | 0644, dep, dl > 0 ? (size_t)dl : 0);
	snprintf(name, sizeof(name), "lib/modules/%s/modules.softdep", a->kver);
	add(im, name, S_IFREG | 0644, softdep, sl > 0 ? (size_t)sl : 0);
	return r;
}

/* Every file of the image: /init, the config, the modules, the hooks. */
static int fill_image(struct image *im, struct inputs *in, struct moddb *db, const struct mk_args *a,
		      const struct kdump_conf *conf, const char *extra)
{
	int r;

	add_skeleton(im, a->kver);
	r = add_file(im, a->bin, "init", 0755);
	record_inputs(in, a->cfg, a->bin, a->kernel, a->dbclient, conf);
	r = r ? r : add_conf(im, a->cfg, extra);
	if (r) {
		moddb_close(db);
		return r;
	}
	r = add_modules(im, in, db, a);
	if (!r && conf->pre[0]) {
		r = add_hook(im, "kdump_pre", conf->pre, CONF_PRE_IMAGE);
	}
	if (!r && conf->post[0]) {
		r = add_hook(im, "kdump_post", conf->post, CONF_POST_IMAGE);
	}
	if (!r && im->full) {
		log_err("more than %d files for the image", MAX_ENTRIES);
		r = -E2BIG;
	}
	return r;
}

/* The image as a compressed cpio archive at OUT, then its inputs beside it. */
static int pack_image(struct image *im, const struct mk_args *a, const struct inputs *in)
{
	struct cpio_buf cb;
	size_t zlen, total;
	void *z;
	int r = cpio_write(im->e, im->n, &cb);

	if (r) {
		log_err("cannot build the cpio archive: %s", strerror(-r));
		return r;
	}
	r = compress_image(&cb, a->gzip, &z, &zlen);
	total = cb.len;
	free(cb.p);
	if (r) {
		return r;
	}
	r = write_image(a->out, z, zlen);
	free(z);
	r = r ? r : write_inputs(a->out, in);
	if (!r) {
		log_info("wrote %s: %zu bytes (%zu uncompressed, %s, %zu entries)", a->out, zlen, total,
			 a->gzip ? "gzip" : "zstd", im->n);
	}
	return r;
}

int mkinitrd_main(int argc, char **argv)
{
	static struct inputs in;
	static struct image im;
	static struct kdump_conf conf;
	static char extra[CONF_EXTRA];
	struct mk_args a = { 0 };
	struct moddb db;
	int r = parse_args(argc, argv, &a);
	if (r) {
		return r;
	}
	if (load_conf(&a, &conf, extra, sizeof(extra)) || moddb_open(&db, a.moddir)) {
		return 1;
	}
	if (want_image(&db, &conf, &a.ho, a.kver, extra, sizeof(extra), a.dbclient, &im)) {
		moddb_close(&db);
		return 1;
	}
	r = fill_image(&im, &in, &db, &a, &conf, extra);
	r = r ? r : pack_image(&im, &a, &in);
	inputs_free(&in);
	return r ? 1 : 0;
}
