/* Module index parsing: the input, split at NUL bytes, is modules.dep,
 * modules.softdep, modules.alias, modules.builtin, the names to want, and
 * a module file m.ko. A modules.dep part starting with '!' is instead
 * modules.order (no modules.dep: each module's .modinfo is read). Then the
 * graph is resolved and written back as mkinitrd does. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "initramfs/modules.h"
#include "lib/io.h"
#include "tests/fuzz/fuzz.h"

static char dir[] = "/tmp/kdc-fuzz-mod-XXXXXX";
static char out[1 << 16];

static void put_file(const char *name, const uint8_t *p, size_t n)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	if (!p) {
		return;
	}
	fd = io_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		abort();
	}
	(void)io_write(fd, p, n);
	io_close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *files[] = { "modules.dep", "modules.softdep", "modules.alias", "modules.builtin" };
	static bool ready;
	const uint8_t *part[6] = { 0 };
	size_t len[6] = { 0 }, at = 0;
	struct moddb db;
	char w[128];

	if (!ready) {
		fuzz_quiet();
		if (!mkdtemp(dir)) {
			abort();
		}
		ready = true;
	}
	for (int i = 0; i < 6; i++) {
		const uint8_t *e;

		part[i] = data + at;
		if (i == 5) {
			len[i] = size - at;
			break;
		}
		e = memchr(data + at, 0, size - at);
		len[i] = e ? (size_t)(e - (data + at)) : size - at;
		at += len[i] + (e != NULL);
	}
	if (len[0] && part[0][0] == '!') {
		put_file("modules.dep", NULL, 0);
		put_file("modules.order", part[0] + 1, len[0] - 1);
	} else {
		put_file("modules.order", NULL, 0);
		put_file(files[0], part[0], len[0]);
	}
	for (int i = 1; i < 4; i++) {
		put_file(files[i], part[i], len[i]);
	}
	put_file("m.ko", part[5], len[5]);
	if (moddb_open(&db, dir) == 0) {
		const uint8_t *p = part[4], *end = part[4] + len[4];

		for (int k = 0; p < end && k < 8; k++) {
			size_t n = 0;

			while (p + n < end && p[n] != ' ' && p[n] != '\n') {
				n++;
			}
			if (n && n < sizeof(w)) {
				memcpy(w, p, n);
				w[n] = 0;
				(void)moddb_want(&db, w, k & 1);
			}
			p += n + 1;
		}
		if (db.n) {
			(void)moddb_want(&db, db.m[0].name, true);
		}
		for (size_t i = 0; i < db.n; i++) {
			(void)moddb_wanted(&db, i);
		}
		(void)moddb_write_dep(&db, out, sizeof(out));
		(void)moddb_write_softdep(&db, out, 100);
	}
	moddb_close(&db);
	return 0;
}
