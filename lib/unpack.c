/* See unpack.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "lib/unpack.h"

#define CHUNK (256u << 10) /* the least the buffer grows by; it grows by half its size when larger */
#define GZIP_WINDOW_BITS (15 + 16) /* the largest window, and the gzip wrapper */

int unpack_room(struct unpack_buf *b)
{
	size_t add = b->cap / 2 > CHUNK ? b->cap / 2 : CHUNK;
	uint8_t *n;

	if (b->cap - b->len >= CHUNK / 2) {
		return 0;
	}
	if (b->cap >= b->max) {
		return -EFBIG;
	}
	if (add > b->max - b->cap) {
		add = b->max - b->cap;
	}
	n = realloc(b->p, b->cap + add);
	if (!n) {
		return -ENOMEM;
	}
	b->p = n;
	b->cap += add;
	return 0;
}

/* Room for at least one byte, which is all a last step at the cap needs. */
static int room_any(struct unpack_buf *b)
{
	int r = unpack_room(b);

	return r == -EFBIG && b->cap > b->len ? 0 : r;
}

int unpack_gzip(const void *in, size_t inlen, struct unpack_buf *b)
{
	z_stream z;
	int zr = Z_OK, r = 0;

	memset(&z, 0, sizeof(z));
	if (inlen > UINT32_MAX || inflateInit2(&z, GZIP_WINDOW_BITS) != Z_OK) {
		return -EINVAL;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)inlen;
	while (zr == Z_OK && !(r = room_any(b))) {
		z.next_out = b->p + b->len;
		z.avail_out = (uInt)(b->cap - b->len);
		zr = inflate(&z, Z_NO_FLUSH);
		b->len = b->cap - z.avail_out;
	}
	inflateEnd(&z);
	return r ? r : zr == Z_STREAM_END ? 0 : -EBADMSG;
}

int unpack_zstd(const void *in, size_t inlen, struct unpack_buf *b)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer ib = { in, inlen, 0 };
	size_t left = 1; /* 0 at the end of a frame; more frames may follow */
	int r = d ? 0 : -ENOMEM;

	while (!r && (left || ib.pos < ib.size) && !(r = room_any(b))) {
		ZSTD_outBuffer ob = { b->p, b->cap, b->len };
		left = ZSTD_decompressStream(d, &ob, &ib);
		b->len = ob.pos;
		if (ZSTD_isError(left) || (left && ib.pos == ib.size && ob.pos < ob.size)) {
			r = -EBADMSG; /* corrupt, or cut short */
		}
	}
	ZSTD_freeDCtx(d);
	return r;
}
