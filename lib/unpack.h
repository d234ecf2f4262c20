/* gzip and zstd streams decompressed in memory, into a buffer that grows
 * to a cap: compressed modules (initramfs/modfile.c) and compressed arm64
 * kernels (initramfs/kimage.c). */
#ifndef KDC_UNPACK_H
#define KDC_UNPACK_H

#include <stddef.h>
#include <stdint.h>

/* The output: P[0..LEN) written, CAP allocated, never past MAX. Start it as
 * { NULL, 0, 0, max }; P is malloc'd (the caller frees it, on error too). */
struct unpack_buf {
	uint8_t *p;
	size_t len, cap, max;
};

/* Room for more output in B: 0, -EFBIG when B is at its cap, -ENOMEM. */
int unpack_room(struct unpack_buf *b);
/* IN[0..INLEN), one gzip stream, appended to B: 0, -EBADMSG when corrupt
 * or cut short, or unpack_room's errors. */
int unpack_gzip(const void *in, size_t inlen, struct unpack_buf *b);
/* The same for zstd frames. */
int unpack_zstd(const void *in, size_t inlen, struct unpack_buf *b);

#endif
