#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "initramfs/modfile.h"
#include "lib/log.h"
#include "tests/unit/t.h"
#include "tests/unit/tzip.h"

#define PLAIN_LEN (1u << 20) /* several of modfile.c's output chunks */

static unsigned char *plain_module(void)
{
	unsigned char *p = malloc(PLAIN_LEN);
	uint32_t x = 1;

	for (size_t i = 0; p && i < PLAIN_LEN; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = i % 4096 < 2048 ? (unsigned char)(x >> 24) : (unsigned char)(i / 4096); /* half noise */
	}
	return p;
}

/* Decompressing Z (a module file named NAME) gives back P, or fails with WANT. */
static bool gives(const char *name, const void *z, size_t zlen, const unsigned char *p, int want)
{
	void *out = NULL;
	size_t olen = 0;
	int r = modfile_decompress(name, z, zlen, &out, &olen);
	bool ok = r == want && (r || (olen == PLAIN_LEN && !memcmp(out, p, PLAIN_LEN)));

	free(out);
	return ok;
}

TEST(test_modfile_names_and_flags)
{
	CHECK(modfile_comp("kernel/fs/ext4/ext4.ko.zst") == MODFILE_ZSTD);
	CHECK(modfile_comp("a.ko.xz") == MODFILE_XZ && modfile_comp("a.ko.gz") == MODFILE_GZIP);
	CHECK(modfile_comp("a.ko") == MODFILE_PLAIN && modfile_comp(".xz") == MODFILE_PLAIN);
	CHECK(modfile_stem_len("kernel/a.ko.zst") == strlen("kernel/a.ko"));
	CHECK(modfile_stem_len("kernel/a.ko") == strlen("kernel/a.ko"));
	CHECK(modfile_init_flags("a.ko.xz") == MODULE_INIT_COMPRESSED_FILE && MODULE_INIT_COMPRESSED_FILE == 4);
	CHECK(modfile_init_flags("a.ko") == 0);
}

/* zstd (also two frames back to back) and gzip in-process; damage and a cut
 * are errors, never a short module. */
TEST(test_modfile_decompress)
{
	unsigned char *p = plain_module();
	size_t cap = ZSTD_compressBound(PLAIN_LEN) + 64, n, half;
	unsigned char *z = malloc(cap);

	CHECK(p && z);
	if (!p || !z) {
		return;
	}
	n = ZSTD_compress(z, cap, p, PLAIN_LEN, 3);
	CHECK(!ZSTD_isError(n) && gives("m.ko.zst", z, n, p, 0));
	log_set_level(0);
	CHECK(gives("m.ko.zst", z, n / 2, p, -EBADMSG));
	z[n / 2] ^= 0xff;
	CHECK(gives("m.ko.zst", z, n, p, -EBADMSG));
	half = ZSTD_compress(z, cap, p, PLAIN_LEN / 2, 3);
	n = half + ZSTD_compress(z + half, cap - half, p + PLAIN_LEN / 2, PLAIN_LEN / 2, 3);
	log_set_level(LOG_INFO);
	CHECK(gives("m.ko.zst", z, n, p, 0));
	n = t_gzip(p, PLAIN_LEN, z, cap);
	CHECK(n > 0 && gives("m.ko.gz", z, n, p, 0));
	log_set_level(0);
	CHECK(gives("m.ko.gz", z, n - 10, p, -EBADMSG));
	log_set_level(LOG_INFO);
	free(z);
	free(p);
}
