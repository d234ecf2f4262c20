#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "initramfs/cpio.h"
#include "tests/unit/t.h"

static unsigned hex8(const uint8_t *p)
{
	char s[9];

	memcpy(s, p, 8);
	s[8] = '\0';
	return (unsigned)strtoul(s, NULL, 16);
}

TEST(test_cpio_newc_layout)
{
	struct cpio_entry e[] = {
		{ "init", S_IFREG | 0755, "ELF!!", 5, 0, 0 },
		{ "dev/console", S_IFCHR | 0600, NULL, 0, 5, 1 },
		{ "dev", S_IFDIR | 0755, NULL, 0, 0, 0 },
	};
	const char *order[] = { "dev", "dev/console", "init", "TRAILER!!!" };
	struct cpio_buf b, b2;
	size_t off = 0;
	int k = 0;

	CHECK(cpio_write(e, 3, &b) == 0);
	CHECK(b.len % 4 == 0);
	while (off + 110 <= b.len && k < 4) {
		const uint8_t *h = b.p + off;
		unsigned nsize = hex8(h + 94), fsize = hex8(h + 54);
		CHECK(!memcmp(h, "070701", 6));
		CHECK(hex8(h + 46) == 0); /* mtime */
		CHECK(hex8(h + 22) == 0 && hex8(h + 30) == 0); /* uid, gid */
		CHECK(!strcmp((const char *)h + 110, order[k]));
		if (k == 1) {
			CHECK(hex8(h + 78) == 5 && hex8(h + 86) == 1);
			CHECK(hex8(h + 14) == (S_IFCHR | 0600));
		}
		if (k == 2) {
			CHECK(fsize == 5);
			CHECK(!memcmp(h + ((110 + nsize + 3) & ~3u), "ELF!!", 5));
			CHECK(hex8(h + 6) == 3);
		}
		off += (110 + nsize + 3) & ~3u;
		off += (fsize + 3) & ~3u;
		k++;
	}
	CHECK(k == 4 && off == b.len);
	/* same entries, any order: same bytes */
	struct cpio_entry f[] = { e[2], e[0], e[1] };
	CHECK(cpio_write(f, 3, &b2) == 0);
	CHECK(b2.len == b.len && !memcmp(b.p, b2.p, b.len));
	free(b.p);
	free(b2.p);
}

TEST(test_cpio_rejects_bad_names)
{
	struct cpio_entry dup[] = { { "a", S_IFDIR | 0755, NULL, 0, 0, 0 }, { "a", S_IFDIR | 0755, NULL, 0, 0, 0 } };
	struct cpio_entry abs[] = { { "/init", S_IFREG | 0755, "x", 1, 0, 0 } };
	struct cpio_buf b;

	CHECK(cpio_write(dup, 2, &b) == -EINVAL && b.p == NULL);
	CHECK(cpio_write(abs, 1, &b) == -EINVAL);
}
