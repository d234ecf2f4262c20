/* See kimage.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "initramfs/kimage.h"
#include "lib/rd.h"
#include "lib/unpack.h"

#define GZIP_MAGIC "\x1f\x8b"
#define GZIP_MAGIC_LEN 2
/* the EFI zboot header (drivers/firmware/efi/libstub/zboot-header.S) */
#define ZBOOT_MZ "MZ"
#define ZBOOT_MZ_LEN 2
#define ZBOOT_TYPE_OFF 4
#define ZBOOT_TYPE "zimg"
#define ZBOOT_TYPE_LEN 4
#define ZBOOT_PAYLOAD_OFF 8  /* u32: the payload's offset in the file */
#define ZBOOT_PAYLOAD_SIZE 12 /* u32: its size */
#define ZBOOT_COMP_OFF 24    /* NUL-terminated compression name */
#define ZBOOT_COMP_MAX 32
#define ZBOOT_HDR_LEN (ZBOOT_COMP_OFF + ZBOOT_COMP_MAX)

/* IN unpacked by FN into *OUT: 0, or -EINVAL (corrupt or cut short),
 * -EFBIG, -ENOMEM. */
static int unpack(int (*fn)(const void *, size_t, struct unpack_buf *), const uint8_t *in, size_t len, size_t max,
		  uint8_t **out, size_t *outlen)
{
	struct unpack_buf b = { NULL, 0, 0, max };
	int r = fn(in, len, &b);

	if (r) {
		free(b.p);
		return r == -EBADMSG ? -EINVAL : r;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
}

static int zboot(const uint8_t *in, size_t len, size_t max, uint8_t **out, size_t *outlen, const char **what)
{
	uint32_t off = ld_le32(in + ZBOOT_PAYLOAD_OFF), size = ld_le32(in + ZBOOT_PAYLOAD_SIZE);
	const char *comp = (const char *)in + ZBOOT_COMP_OFF;

	if (!memchr(comp, 0, ZBOOT_COMP_MAX) || off < ZBOOT_HDR_LEN || off > len || size > len - off || !size) {
		*what = "EFI zboot";
		return -EINVAL;
	}
	if (!strcmp(comp, "gzip")) {
		*what = "EFI zboot, gzip";
		return unpack(unpack_gzip, in + off, size, max, out, outlen);
	}
	if (!strcmp(comp, "zstd") || !strcmp(comp, "zstd22")) {
		*what = "EFI zboot, zstd";
		return unpack(unpack_zstd, in + off, size, max, out, outlen);
	}
	*what = comp; /* lzma, xz, lzo, lz4, bzip2: not unpacked here */
	return -ENOTSUP;
}

int kimage_unpack(const uint8_t *in, size_t len, size_t max, uint8_t **out, size_t *outlen, const char **what)
{
	*out = NULL;
	*outlen = 0;
	*what = NULL;
	if (len > GZIP_MAGIC_LEN && !memcmp(in, GZIP_MAGIC, GZIP_MAGIC_LEN)) {
		*what = "gzip";
		return unpack(unpack_gzip, in, len, max, out, outlen);
	}
	if (len >= ZBOOT_HDR_LEN && !memcmp(in, ZBOOT_MZ, ZBOOT_MZ_LEN) &&
	    !memcmp(in + ZBOOT_TYPE_OFF, ZBOOT_TYPE, ZBOOT_TYPE_LEN)) {
		return zboot(in, len, max, out, outlen, what);
	}
	return 0;
}
