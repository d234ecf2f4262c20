/* See tzip.h. */
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "tests/unit/tzip.h"

#define GZIP_WINDOW_BITS (15 + 16) /* the largest window, and the gzip wrapper */
#define GZIP_LEVEL 6
#define GZIP_MEM_LEVEL 8

size_t t_gzip(const void *in, size_t len, void *out, size_t cap)
{
	z_stream z;
	size_t n;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, GZIP_WINDOW_BITS, GZIP_MEM_LEVEL, Z_DEFAULT_STRATEGY) != Z_OK) {
		return 0;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	n = deflate(&z, Z_FINISH) == Z_STREAM_END ? z.total_out : 0;
	deflateEnd(&z);
	return n;
}
