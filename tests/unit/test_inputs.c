#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "initramfs/inputs.h"
#include "initramfs/lastdump.h"
#include "tests/unit/t.h"

static void put(const char *dir, const char *name, const char *text, time_t mtime)
{
	char p[512];
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	utimensat(AT_FDCWD, p, ts, 0);
}

static void rmtree(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
}

/* An image built at t=2000 from conf (t=1000) and a module (t=1000). */
TEST(test_inputs_stale_reasons)
{
	char d[] = "/tmp/kdc-inputs-XXXXXX", conf[256], mod[256], img[256], why[600];
	struct inputs in = { 0 };
	struct inputs_want want[1];

	CHECK(mkdtemp(d) != NULL);
	snprintf(conf, sizeof(conf), "%s/kdump.conf", d);
	snprintf(mod, sizeof(mod), "%s/m.ko", d);
	snprintf(img, sizeof(img), "%s/x.img", d);
	put(d, "kdump.conf", "ext4 UUID=x\n", 1000);
	put(d, "m.ko", "module", 1000);
	inputs_add(&in, "config", conf);
	inputs_add(&in, "module", mod);
	CHECK(in.err == 0 && in.text);
	want[0] = (struct inputs_want){ "config", conf };
	CHECK(inputs_stale(img, in.text, want, 1, why, sizeof(why)) && strstr(why, "does not exist"));
	put(d, "x.img", "image", 2000);
	CHECK(!inputs_stale(img, in.text, want, 1, why, sizeof(why)));
	CHECK(inputs_stale(img, NULL, want, 1, why, sizeof(why)) && strstr(why, "no record"));
	/* same size, other mtime (a package's older mtime too) */
	put(d, "m.ko", "module", 900);
	CHECK(inputs_stale(img, in.text, want, 1, why, sizeof(why)) && strstr(why, "m.ko (module) changed"));
	put(d, "m.ko", "module", 1000);
	/* recorded as it is, but newer than the image */
	put(d, "x.img", "image", 500);
	CHECK(inputs_stale(img, in.text, want, 1, why, sizeof(why)) && strstr(why, "newer than the image"));
	put(d, "x.img", "image", 2000);
	want[0] = (struct inputs_want){ "kernel", conf }; /* the right path under another kind */
	CHECK(inputs_stale(img, in.text, want, 1, why, sizeof(why)) && strstr(why, "was not built from"));
	want[0] = (struct inputs_want){ "config", conf };
	CHECK(inputs_stale(img, "config 1 2 relative\n", NULL, 0, why, sizeof(why)) && strstr(why, "damaged"));
	unlink(mod);
	CHECK(inputs_stale(img, in.text, want, 1, why, sizeof(why)) && strstr(why, "m.ko (module) is gone"));
	inputs_add(&in, "module", mod); /* a missing input is an error, kept */
	CHECK(in.err == -ENOENT);
	inputs_free(&in);
	rmtree(d);
}

TEST(test_lastdump_newest)
{
	char d[] = "/tmp/kdc-lastdump-XXXXXX", p[300];
	struct lastdump ld;
	static const struct {
		const char *dir, *file;
		time_t t;
	} dumps[] = {
		{ "a-2026-01-01", "vmcore", 1000 },
		{ "b-2026-01-02", "vmcore-incomplete", 3000 },
		{ "pstore-2026-01-03", "dmesg-ramoops-0", 4000 }, /* not a dump */
		{ "c-2026-01-01", "vmcore-dmesg.txt", 2000 },
	};

	CHECK(mkdtemp(d) != NULL);
	CHECK(lastdump_find(d, &ld) == 0 && ld.state == LASTDUMP_NONE);
	for (size_t i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		struct timespec ts[2] = { { dumps[i].t, 0 }, { dumps[i].t, 0 } };
		snprintf(p, sizeof(p), "%s/%s", d, dumps[i].dir);
		mkdir(p, 0700);
		put(p, dumps[i].file, "x", dumps[i].t);
		utimensat(AT_FDCWD, p, ts, 0);
	}
	CHECK(lastdump_find(d, &ld) == 0 && ld.state == LASTDUMP_INCOMPLETE && !strcmp(ld.name, "b-2026-01-02"));
	snprintf(p, sizeof(p), "%s/b-2026-01-02", d);
	rmtree(p);
	CHECK(lastdump_find(d, &ld) == 0 && ld.state == LASTDUMP_EMPTY && !strcmp(ld.name, "c-2026-01-01"));
	CHECK(lastdump_find("/nonexistent/kdc", &ld) == -ENOENT);
	rmtree(d);
}
