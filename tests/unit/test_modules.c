#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "initramfs/modules.h"
#include "initramfs/target.h"
#include "lib/log.h"
#include "tests/unit/t.h"

/* DIR/NAME with TEXT, making the directories on the way. */
static void put(const char *dir, const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	for (char *s = strchr(p + strlen(dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		(void)mkdir(p, 0755);
		*s = '/';
	}
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

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
			put(dir, line, "\177ELF");
		}
	}
	if (f) {
		fclose(f);
	}
}

static void rm_rf(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

TEST(test_modules_resolve_with_softdeps)
{
	char dir[] = "/tmp/kdc-mod-XXXXXX";
	char buf[2048];
	struct moddb db;
	ssize_t n;

	CHECK(mkdtemp(dir) != NULL);
	put(dir, "modules.dep",
	    "kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko kernel/lib/crc16.ko\n"
	    "kernel/fs/jbd2/jbd2.ko:\n"
	    "kernel/fs/mbcache.ko:\n"
	    "kernel/lib/crc16.ko:\n"
	    "kernel/crypto/crc32c_generic.ko:\n"
	    "kernel/arch/x86/crypto/crc32c-intel.ko:\n"
	    "kernel/fs/xfs/xfs.ko: kernel/lib/libcrc32c.ko\n"
	    "kernel/lib/libcrc32c.ko:\n");
	put(dir, "modules.softdep", "# comment\nsoftdep ext4 pre: crypto-crc32c\nsoftdep jbd2 pre: crc32c\n");
	put(dir, "modules.alias", "alias crypto-crc32c crc32c_generic\nalias crypto-crc32c crc32c_intel\n"
				  "alias crc32c crc32c_generic\nalias fs-ext3 ext4\nalias ext3 ext4\n");
	put(dir, "modules.builtin", "kernel/drivers/block/virtio_blk.ko\n");
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
	rm_rf(dir);
}

TEST(test_target_dir_name)
{
	char b[64];

	target_dir_name(b, sizeof(b), "127.0.0.1", (time_t)1700000000);
	CHECK(!strcmp(b, "127.0.0.1-2023-11-14-22:13:20"));
}
