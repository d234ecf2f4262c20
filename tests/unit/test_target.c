/* The capture side's local target never replaces a dump: the directories of
 * the next seconds already exist (two crashes in one second, a clock without
 * RTC repeating a date, a symlink planted there) and the save goes to a new
 * one beside them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/collector.h"
#include "initramfs/target.h"
#include "lib/io.h"
#include "lib/log.h"
#include "tests/synth/synthvm.h"
#include "tests/unit/t.h"

#define NEXT_SECONDS 4 /* the save takes less than this */
#define OLD "an older dump\n"

static int put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		return -1;
	}
	fputs(text, f);
	return fclose(f);
}

static bool holds(const char *path, const char *text)
{
	char buf[64] = { 0 };
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		return false;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	return n == strlen(text) && !memcmp(buf, text, n);
}

TEST(test_target_save_never_replaces)
{
	static uint8_t mem[16 * 4096];
	char root[] = "/tmp/kdc-unit-target-XXXXXX";
	char core[PATH_MAX], base[PATH_MAX], d[PATH_MAX + 64], f[PATH_MAX + 80], dumpdir[PATH_MAX], name[64];
	struct collect_opts o = { .threads = 1, .mem_budget = 16 << 20 };
	int old = log_get_level();
	time_t t = time(NULL);
	int r;

	CHECK(mkdtemp(root) != NULL);
	snprintf(core, sizeof(core), "%s/core", root);
	snprintf(base, sizeof(base), "%s/crash", root);
	CHECK(synthvm_write(core, "OSRELEASE=6.1.0-unit\nPAGESIZE=4096\n", mem, sizeof(mem), 0,
			    0xffff888000000000ull) == 0);
	CHECK(mkdir(base, 0755) == 0);
	snprintf(d, sizeof(d), "%s/elsewhere", root);
	CHECK(mkdir(d, 0755) == 0);
	for (int k = 0; k < NEXT_SECONDS; k++) {
		target_dir_name(name, sizeof(name), "127.0.0.1", t + k);
		snprintf(d, sizeof(d), "%s/%s", base, name);
		if (k == 1) {
			CHECK(symlink("../elsewhere", d) == 0); /* never followed */
			continue;
		}
		CHECK(mkdir(d, 0700) == 0);
		snprintf(f, sizeof(f), "%s/vmcore", d);
		CHECK(put(f, OLD) == 0);
	}
	log_set_level(0);
	r = target_save(base, &o, core, "127.0.0.1", dumpdir, sizeof(dumpdir));
	log_set_level(old);
	CHECK(r == 0);
	CHECK(strlen(dumpdir) > 2 && !strcmp(dumpdir + strlen(dumpdir) - 2, "-1"));
	snprintf(f, sizeof(f), "%s/vmcore", dumpdir);
	CHECK(access(f, R_OK) == 0);
	for (int k = 0; k < NEXT_SECONDS; k++) {
		target_dir_name(name, sizeof(name), "127.0.0.1", t + k);
		snprintf(f, sizeof(f), "%s/%s/vmcore", base, name);
		CHECK(k == 1 ? access(f, F_OK) < 0 : holds(f, OLD));
	}
	snprintf(d, sizeof(d), "rm -rf %s", root);
	CHECK(system(d) == 0);
}

TEST(test_target_new_dir_and_publish)
{
	char root[] = "/tmp/kdc-unit-newdir-XXXXXX";
	char d1[PATH_MAX], d2[PATH_MAX], a[PATH_MAX + 8], b[PATH_MAX + 8];
	int old = log_get_level();

	CHECK(mkdtemp(root) != NULL);
	log_set_level(0);
	CHECK(target_new_dir(root, "x", d1, sizeof(d1)) == 0);
	CHECK(target_new_dir(root, "x", d2, sizeof(d2)) == 0);
	CHECK(strcmp(d1, d2) && !strcmp(d2 + strlen(d2) - 4, "/x-1"));
	snprintf(a, sizeof(a), "%s/a", d1);
	snprintf(b, sizeof(b), "%s/b", d1);
	CHECK(put(a, "new\n") == 0 && put(b, OLD) == 0);
	CHECK(target_publish(d1, a, b) == -EEXIST);
	CHECK(holds(b, OLD) && holds(a, "new\n"));
	CHECK(unlink(b) == 0 && target_publish(d1, a, b) == 0 && holds(b, "new\n") && access(a, F_OK) < 0);
	log_set_level(old);
	snprintf(a, sizeof(a), "rm -rf %s", root);
	CHECK(system(a) == 0);
}
