#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "initramfs/modfile.h"
#include "initramfs/modules.h"
#include "initramfs/target.h"
#include "lib/log.h"
#include "tests/unit/t.h"
#include "tests/unit/tfs.h"

/* A file for every module that DIR/DEP names. */
static void put_modules(const char *dir, const char *dep)
{
	char p[256], line[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, dep);
	f = fopen(p, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (colon) {
			*colon = '\0';
			t_put(dir, line, "\177ELF");
		}
	}
	if (f) {
		fclose(f);
	}
}

TEST(test_modules_resolve_with_softdeps)
{
	char dir[] = "/tmp/kdc-mod-XXXXXX";
	char buf[2048];
	struct moddb db;
	ssize_t n;

	CHECK(mkdtemp(dir) != NULL);
	t_put(dir, "modules.dep",
	    "kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko kernel/lib/crc16.ko\n"
	    "kernel/fs/jbd2/jbd2.ko:\n"
	    "kernel/fs/mbcache.ko:\n"
	    "kernel/lib/crc16.ko:\n"
	    "kernel/crypto/crc32c_generic.ko:\n"
	    "kernel/arch/x86/crypto/crc32c-intel.ko:\n"
	    "kernel/fs/xfs/xfs.ko: kernel/lib/libcrc32c.ko\n"
	    "kernel/lib/libcrc32c.ko:\n");
	t_put(dir, "modules.softdep", "# comment\nsoftdep ext4 pre: crypto-crc32c\nsoftdep jbd2 pre: crc32c\n");
	t_put(dir, "modules.alias", "alias crypto-crc32c crc32c_generic\nalias crypto-crc32c crc32c_intel\n"
				  "alias crc32c crc32c_generic\nalias fs-ext3 ext4\nalias ext3 ext4\n");
	t_put(dir, "modules.builtin", "kernel/drivers/block/virtio_blk.ko\n");
	put_modules(dir, "modules.dep");
	CHECK(moddb_open(&db, dir) == 0);
	CHECK(moddb_find(&db, "crc32c-intel") >= 0); /* '-' and '_' are one */
	CHECK(moddb_want(&db, "ext3", false) == 0);  /* by alias */
	CHECK(moddb_want(&db, "virtio_blk", false) == 0); /* built in: nothing to add */
	log_set_level(0);
	CHECK(moddb_want(&db, "nvme", false) < 0);
	log_set_level(LOG_INFO);
	CHECK(moddb_wanted(&db, (size_t)moddb_find(&db, "ext4")));
	CHECK(moddb_wanted(&db, (size_t)moddb_find(&db, "crc16")));
	CHECK(moddb_wanted(&db, (size_t)moddb_find(&db, "crc32c_generic")));
	CHECK(moddb_wanted(&db, (size_t)moddb_find(&db, "crc32c_intel")));
	CHECK(!moddb_wanted(&db, (size_t)moddb_find(&db, "xfs")));
	CHECK(!moddb_wanted(&db, (size_t)moddb_find(&db, "virtio_blk")));
	n = moddb_write_dep(&db, buf, sizeof(buf));
	CHECK(n > 0 && strstr(buf, "kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko "
				   "kernel/lib/crc16.ko\n"));
	CHECK(!strstr(buf, "xfs"));
	n = moddb_write_softdep(&db, buf, sizeof(buf));
	/* aliases resolved to the modules in the image */
	CHECK(n > 0 && strstr(buf, "softdep ext4 pre: crc32c_generic crc32c_intel post:\n"));
	CHECK(strstr(buf, "softdep jbd2 pre: crc32c_generic post:\n"));
	CHECK(moddb_write_dep(&db, buf, 10) == -ENOSPC);
	moddb_close(&db);
	t_rm_rf(dir);
}

TEST(test_target_dir_name)
{
	char b[64];

	target_dir_name(b, sizeof(b), "127.0.0.1", (time_t)1700000000);
	CHECK(!strcmp(b, "127.0.0.1-2023-11-14-22:13:20"));
}

/* A soft dependency or alias provider whose file is missing is left out with
 * a warning; one provider of an alias suffices; a missing hard one fails. */
TEST(test_modules_missing_soft_ones_are_left_out)
{
	char dir[] = "/tmp/kdc-mod-XXXXXX", buf[2048], p[256];
	struct moddb db;

	CHECK(mkdtemp(dir) != NULL);
	t_put(dir, "modules.dep",
	    "kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko\n"
	    "kernel/fs/jbd2/jbd2.ko:\n"
	    "kernel/crypto/crc32c_generic.ko:\n"
	    "kernel/arch/x86/crypto/crc32c-intel.ko:\n"
	    "kernel/lib/libcrc32c.ko:\n"
	    "kernel/fs/xfs/xfs.ko: kernel/lib/libcrc32c.ko\n"
	    "kernel/drivers/nvme.ko:\n");
	t_put(dir, "modules.softdep", "softdep ext4 pre: crypto-crc32c libcrc32c post: nvme nosuch\n");
	t_put(dir, "modules.alias", "alias crypto-crc32c crc32c_generic\nalias crypto-crc32c crc32c_intel\n"
				  "alias fs-nope crc32c_intel\n");
	put_modules(dir, "modules.dep");
	snprintf(p, sizeof(p), "%s/kernel/arch/x86/crypto/crc32c-intel.ko", dir);
	CHECK(unlink(p) == 0);
	snprintf(p, sizeof(p), "%s/kernel/lib/libcrc32c.ko", dir);
	CHECK(unlink(p) == 0);
	snprintf(p, sizeof(p), "%s/kernel/drivers/nvme.ko", dir);
	CHECK(unlink(p) == 0);
	CHECK(moddb_open(&db, dir) == 0);
	log_set_level(0);
	CHECK(moddb_want(&db, "ext4", false) == 0); /* the old code failed here */
	CHECK(moddb_want(&db, "xfs", false) < 0);   /* a hard dependency is missing */
	CHECK(moddb_want(&db, "fs-nope", false) < 0); /* the one provider is missing */
	CHECK(moddb_want(&db, "crypto-crc32c", false) == 0); /* one provider suffices */
	log_set_level(LOG_INFO);
	CHECK(moddb_wanted(&db, (size_t)moddb_find(&db, "ext4")));
	CHECK(moddb_wanted(&db, (size_t)moddb_find(&db, "jbd2")));
	CHECK(moddb_wanted(&db, (size_t)moddb_find(&db, "crc32c_generic")));
	CHECK(!moddb_wanted(&db, (size_t)moddb_find(&db, "crc32c_intel")));
	CHECK(!moddb_wanted(&db, (size_t)moddb_find(&db, "libcrc32c")));
	CHECK(!moddb_wanted(&db, (size_t)moddb_find(&db, "xfs")));
	CHECK(!moddb_wanted(&db, (size_t)moddb_find(&db, "nvme")));
	CHECK(moddb_write_dep(&db, buf, sizeof(buf)) > 0);
	CHECK(!strstr(buf, "crc32c-intel") && !strstr(buf, "libcrc32c") && !strstr(buf, "xfs"));
	CHECK(moddb_write_softdep(&db, buf, sizeof(buf)) > 0);
	CHECK(!strcmp(buf, "softdep ext4 pre: crc32c_generic post:\n"));
	moddb_close(&db);
	t_rm_rf(dir);
}

/* The order a walk visits modules in: order[i] is module i's turn. */
struct visits {
	int *turn;
	int n;
	int dups;
};

static int record(struct moddb *db, size_t i, bool required, void *arg)
{
	struct visits *v = arg;

	v->dups += v->turn[i] >= 0;
	v->turn[i] = v->n++;
	return 0;
}

static struct visits visits_new(size_t n)
{
	struct visits v = { malloc(n * sizeof(int)), 0, 0 };

	for (size_t i = 0; v.turn && i < n; i++) {
		v.turn[i] = -1;
	}
	return v;
}

/* Every visited module's dependencies came before it. */
static bool deps_first(const struct moddb *db, const struct visits *v)
{
	char w[128];

	for (size_t i = 0; i < db->n; i++) {
		if (v->turn[i] < 0) {
			continue;
		}
		for (const char *s = db->m[i].deps; s && *s;) {
			size_t n = strcspn(s, " ");
			int d;
			snprintf(w, sizeof(w), "%.*s", (int)n, s);
			d = moddb_find(db, w);
			if (d < 0 || v->turn[d] < 0 || v->turn[d] >= v->turn[i]) {
				printf("  %s (turn %d) needs %s (turn %d)\n", db->m[i].name, v->turn[i], w,
				       d < 0 ? -2 : v->turn[d]);
				return false;
			}
			s += n + (s[n] == ' ');
		}
	}
	return true;
}

#define MANY 12000

/* Thousands of modules (a real kernel has about 6000), written in a shuffled
 * order, each needing a few others: the walk visits each once, dependencies
 * first, and writing modules.dep back takes no quadratic time (the old code
 * took minutes here). */
TEST(test_modules_many_linear)
{
	char dir[] = "/tmp/kdc-mod-XXXXXX", p[256];
	struct moddb db;
	struct visits v;
	uint32_t x = 12345;
	char *buf = malloc(8u << 20);
	FILE *f;

	CHECK(mkdtemp(dir) != NULL && buf);
	snprintf(p, sizeof(p), "%s/modules.dep", dir);
	f = fopen(p, "w");
	for (int k = 0; f && k < MANY; k++) {
		int i = (int)(((uint32_t)k * 7919u) % MANY); /* a permutation: MANY and 7919 are coprime */
		fprintf(f, "kernel/m/mod-%d.ko:", i);
		for (int d = 0; d < 4 && i > 0; d++) {
			x = x * 1103515245u + 12345u;
			fprintf(f, " kernel/m/mod-%u.ko", (x >> 8) % (uint32_t)i); /* only lower numbers: no cycle */
		}
		fputc('\n', f);
	}
	CHECK(f && fclose(f) == 0);
	/* mod_9000 needs mod_5 (through lower numbers): it can only come after */
	t_put(dir, "modules.softdep", "softdep mod_5 pre: mod_9000 post: mod_11999\n");
	CHECK(moddb_open(&db, dir) == 0);
	CHECK(db.n == MANY);
	v = visits_new(db.n);
	log_set_level(LOG_ERR);
	for (int i = MANY - 1; i >= 0; i--) {
		char name[32];
		snprintf(name, sizeof(name), "mod-%d", i);
		CHECK(moddb_walk(&db, name, false, record, &v) == 0);
	}
	log_set_level(LOG_INFO);
	CHECK(v.dups == 0);
	CHECK(deps_first(&db, &v));
	CHECK(v.n == MANY);
	CHECK(v.turn[moddb_find(&db, "mod_9000")] > v.turn[moddb_find(&db, "mod_5")]);
	CHECK(moddb_write_dep(&db, buf, 8u << 20) > 0);
	CHECK(moddb_write_softdep(&db, buf, 8u << 20) > 0 &&
	      !strcmp(buf, "softdep mod_5 pre: mod_9000 post: mod_11999\n"));
	free(v.turn);
	moddb_close(&db);
	free(buf);
	t_rm_rf(dir);
}

/* modules.dep with a chain c0 <- c1 <- ... <- c(N-1), one direct dependency each. */
static void chain(const char *dir, int n, bool loop)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/modules.dep", dir);
	f = fopen(p, "w");
	for (int i = 0; f && i < n; i++) {
		fprintf(f, "c%d.ko:", i);
		if (i > 0 || loop) {
			fprintf(f, " c%d.ko", i > 0 ? i - 1 : n - 1);
		}
		fputc('\n', f);
	}
	fprintf(f, "free.ko:\nsofta.ko:\nsoftb.ko:\n");
	fclose(f);
	t_put(dir, "modules.softdep", "softdep softa pre: softb\nsoftdep softb pre: softa\n");
}

/* Deep chains and cycles end in clear errors, not in a stack overflow. */
TEST(test_modules_deep_chain_and_cycle)
{
	char dir[] = "/tmp/kdc-mod-XXXXXX", name[32];
	struct moddb db;
	struct visits v;
	bool order = true;

	CHECK(mkdtemp(dir) != NULL);
	chain(dir, MODDB_DEPTH_MAX - 1, false); /* the root's frame takes one level */
	CHECK(moddb_open(&db, dir) == 0);
	v = visits_new(db.n);
	snprintf(name, sizeof(name), "c%d", MODDB_DEPTH_MAX - 2);
	CHECK(moddb_walk(&db, name, false, record, &v) == 0);
	for (int i = 0; i < MODDB_DEPTH_MAX - 1; i++) {
		order &= v.turn[i] == i;
	}
	CHECK(order && v.n == MODDB_DEPTH_MAX - 1);
	free(v.turn);
	moddb_close(&db);

	chain(dir, 100000, false);
	log_set_level(0);
	CHECK(moddb_open(&db, dir) < 0); /* more than the index holds: refused */
	log_set_level(LOG_INFO);
	moddb_close(&db);
	chain(dir, 15000, false);
	CHECK(moddb_open(&db, dir) == 0);
	v = visits_new(db.n);
	log_set_level(0);
	CHECK(moddb_walk(&db, "c14999", false, record, &v) == -E2BIG);
	log_set_level(LOG_INFO);
	CHECK(v.turn[moddb_find(&db, "c14999")] < 0);
	free(v.turn);
	moddb_close(&db);

	chain(dir, 50, true);
	CHECK(moddb_open(&db, dir) == 0);
	v = visits_new(db.n);
	log_set_level(0);
	CHECK(moddb_walk(&db, "c10", false, record, &v) == -ELOOP);
	CHECK(moddb_walk(&db, "c20", false, record, &v) < 0);
	log_set_level(LOG_INFO);
	CHECK(v.n == 0);
	CHECK(moddb_walk(&db, "free", false, record, &v) == 0);
	CHECK(moddb_walk(&db, "softa", false, record, &v) == 0); /* a cycle of softdeps is no error */
	CHECK(v.n == 3 && v.turn[moddb_find(&db, "softb")] < v.turn[moddb_find(&db, "softa")]);
	free(v.turn);
	moddb_close(&db);

	/* c0 wants c40 first, but c40 needs c0: c40 comes after, nothing fails */
	chain(dir, 50, false);
	t_put(dir, "modules.softdep", "softdep c0 pre: c40 free\n");
	CHECK(moddb_open(&db, dir) == 0);
	v = visits_new(db.n);
	log_set_level(0);
	CHECK(moddb_walk(&db, "c0", false, record, &v) == 0);
	log_set_level(LOG_INFO);
	CHECK(v.n == 42 && deps_first(&db, &v));
	CHECK(v.turn[moddb_find(&db, "free")] < v.turn[moddb_find(&db, "c0")]);
	free(v.turn);
	moddb_close(&db);
	t_rm_rf(dir);
}

/* What PID 1 handed to finit_module, in order. */
static char loaded[8][64];
static int loaded_flags[8], nloaded;

static int fake_finit(int fd, const char *params, int flags)
{
	char link[64], target[256];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0 || nloaded == 8) {
		return -EIO;
	}
	target[n] = '\0';
	snprintf(loaded[nloaded], sizeof(loaded[0]), "%s", strrchr(target, '/') + 1);
	loaded_flags[nloaded++] = flags;
	return strstr(target, "bad") ? -ENOEXEC : 0;
}

/* PID 1 loads dependencies first and asks the kernel to decompress what is
 * still compressed (the old code passed flags 0: EINVAL/ENOEXEC on .ko.xz). */
TEST(test_modules_load_order_and_flags)
{
	char dir[] = "/tmp/kdc-mod-XXXXXX";

	CHECK(mkdtemp(dir) != NULL);
	t_put(dir, "modules.dep",
	    "kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko.xz kernel/lib/crc16.ko.zst\n"
	    "kernel/fs/jbd2/jbd2.ko.xz:\n"
	    "kernel/lib/crc16.ko.zst: kernel/lib/crc-base.ko.gz\n"
	    "kernel/lib/crc-base.ko.gz:\n"
	    "kernel/fs/bad.ko:\n"
	    "kernel/fs/needsbad.ko: kernel/fs/bad.ko\n");
	t_put(dir, "modules.softdep", "softdep ext4 pre: bad\n");
	put_modules(dir, "modules.dep");
	nloaded = 0;
	log_set_level(0);
	CHECK(modules_load(dir, fake_finit) == 2); /* bad, and what needs it */
	log_set_level(LOG_INFO);
	CHECK(nloaded == 5);
	CHECK(!strcmp(loaded[0], "bad.ko") && loaded_flags[0] == 0); /* ext4's softdep pre:, which fails */
	CHECK(!strcmp(loaded[1], "jbd2.ko.xz") && loaded_flags[1] == MODULE_INIT_COMPRESSED_FILE);
	CHECK(!strcmp(loaded[2], "crc-base.ko.gz") && loaded_flags[2] == MODULE_INIT_COMPRESSED_FILE);
	CHECK(!strcmp(loaded[3], "crc16.ko.zst") && loaded_flags[3] == MODULE_INIT_COMPRESSED_FILE);
	CHECK(!strcmp(loaded[4], "ext4.ko") && loaded_flags[4] == 0);
	t_rm_rf(dir);
}
