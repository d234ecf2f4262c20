/* kimage_unpack: a gzip'ed vmlinuz and EFI zboot images (gzip and zstd
 * payloads) give back the Image byte for byte; corrupt, truncated and
 * unknown ones are refused, anything else is passed through. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "initramfs/kimage.h"
#include "lib/rd.h"
#include "tests/unit/t.h"
#include "tests/unit/tzip.h"

#define IMG_LEN (300u << 10)
#define ZB_OFF 0x200 /* where the synthetic zboot image puts its payload */

/* An Image-like buffer: its header's magic, then text that compresses. */
static uint8_t *image(void)
{
	uint8_t *p = malloc(IMG_LEN);

	for (size_t i = 0; i < IMG_LEN; i++) {
		p[i] = (uint8_t)("arm64 Image body "[i % 17] + (i >> 12));
	}
	memcpy(p + 56, "ARM\x64", 4);
	return p;
}

/* A zboot image: its header naming COMP, the payload at ZB_OFF. */
static size_t zboot_wrap(uint8_t *f, const char *comp, size_t payload)
{
	memset(f, 0, ZB_OFF);
	memcpy(f, "MZ", 2);
	memcpy(f + 4, "zimg", 4);
	st_le32(f + 8, ZB_OFF);
	st_le32(f + 12, (uint32_t)payload);
	strcpy((char *)f + 24, comp);
	return ZB_OFF + payload + 4; /* the decompressed size follows, as in the kernel's */
}

static bool unpacks_to(const uint8_t *f, size_t len, const uint8_t *img, const char *want)
{
	uint8_t *out;
	size_t n;
	const char *what;
	bool ok = kimage_unpack(f, len, 64u << 20, &out, &n, &what) == 0 && out && n == IMG_LEN &&
		  !memcmp(out, img, IMG_LEN) && !strcmp(what, want);

	free(out);
	return ok;
}

TEST(test_kimage_unpack)
{
	uint8_t *img = image(), *f = malloc(2 * IMG_LEN), *out;
	size_t gz, zs, n;
	const char *what;

	/* an Image, or anything else, passes through */
	CHECK(kimage_unpack(img, IMG_LEN, 64u << 20, &out, &n, &what) == 0 && !out);
	/* gzip'ed vmlinuz */
	gz = t_gzip(img, IMG_LEN, f, 2 * IMG_LEN);
	CHECK(gz > 0 && gz < IMG_LEN / 4 && unpacks_to(f, gz, img, "gzip"));
	CHECK(kimage_unpack(f, gz / 2, 64u << 20, &out, &n, &what) == -EINVAL); /* truncated */
	CHECK(kimage_unpack(f, gz, IMG_LEN / 2, &out, &n, &what) == -EFBIG);   /* past the cap */
	/* EFI zboot, gzip and zstd */
	gz = t_gzip(img, IMG_LEN, f + ZB_OFF, IMG_LEN);
	CHECK(unpacks_to(f, zboot_wrap(f, "gzip", gz), img, "EFI zboot, gzip"));
	zs = ZSTD_compress(f + ZB_OFF, IMG_LEN, img, IMG_LEN, 3);
	CHECK(!ZSTD_isError(zs) && unpacks_to(f, zboot_wrap(f, "zstd22", zs), img, "EFI zboot, zstd"));
	CHECK(kimage_unpack(f, ZB_OFF + zs / 2, 64u << 20, &out, &n, &what) == -EINVAL); /* payload past the end */
	st_le32(f + 12, (uint32_t)(zs - 9));
	CHECK(kimage_unpack(f, ZB_OFF + zs, 64u << 20, &out, &n, &what) == -EINVAL); /* frame cut short */
	zboot_wrap(f, "lzma", zs);
	CHECK(kimage_unpack(f, ZB_OFF + zs, 64u << 20, &out, &n, &what) == -ENOTSUP && !strcmp(what, "lzma"));
	f[ZB_OFF + 7] ^= 0xff; /* corrupt zstd payload */
	zboot_wrap(f, "zstd", zs);
	CHECK(kimage_unpack(f, ZB_OFF + zs, 64u << 20, &out, &n, &what) == -EINVAL);
	st_le32(f + 8, 8); /* payload inside the header */
	CHECK(kimage_unpack(f, ZB_OFF + zs, 64u << 20, &out, &n, &what) == -EINVAL);
	free(img);
	free(f);
}
