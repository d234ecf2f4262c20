#include <errno.h>
#include <lzo/lzo1x.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <zlib.h>
#include <zstd.h>

#include "capture/collector.h"
#include "capture/compress.h"

static pthread_once_t lzo_once = PTHREAD_ONCE_INIT;
static int lzo_ok;

static void lzo_setup(void)
{
	lzo_ok = lzo_init() == LZO_E_OK;
}

void compress_versions(char *buf, size_t cap)
{
	snprintf(buf, cap, "zlib %s, zstd %s, lzo %s", zlibVersion(), ZSTD_versionString(),
		 lzo_version_string());
}

size_t compress_bound(int method, size_t page_size)
{
	switch (method) {
	case COMPRESS_LZO:
		/* LZO1X's documented worst case for incompressible input */
		return page_size + page_size / 16 + 64 + 3;
	case COMPRESS_ZLIB:
		return compressBound((uLong)page_size);
	case COMPRESS_ZSTD:
		return ZSTD_compressBound(page_size);
	default:
		return page_size;
	}
}

/* Frames of one page each, decoded with ZSTD_decompress into a page
 * buffer by crash, libkdumpfile and compress_unpack: none of them needs
 * the content size, a checksum or a dictionary id, and a window of one
 * page keeps the tables small and their reset per page cheap. */
#define ZSTD_PAGE_WINDOW_LOG_MIN 10 /* zstd's smallest window, 1 KiB */
#define ZSTD_PAGE_WINDOW_LOG_MAX 16 /* the largest page, 64 KiB */

static int zstd_setup(struct compressor *c, int level, size_t page_size)
{
	ZSTD_CCtx *z = ZSTD_createCCtx();
	int window_log = ZSTD_PAGE_WINDOW_LOG_MIN;

	while (window_log < ZSTD_PAGE_WINDOW_LOG_MAX && (1ul << window_log) < page_size) {
		window_log++;
	}

	if (!z) {
		return -ENOMEM;
	}
	c->zstd = z;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_contentSizeFlag, 0)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 0)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_dictIDFlag, 0)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_windowLog, window_log))) {
		return -EINVAL;
	}
	return 0;
}

int compress_init(struct compressor *c, int method, int level, size_t page_size)
{
	c->method = method;
	c->zstd = NULL;
	c->zs = NULL;
	c->lzo = NULL;
	if (method == COMPRESS_LZO) {
		pthread_once(&lzo_once, lzo_setup);
		if (!lzo_ok) {
			return -ENOSYS; /* the library was built for another ABI */
		}
		c->lzo = malloc(LZO1X_1_12_MEM_COMPRESS);
		if (!c->lzo) {
			return -ENOMEM;
		}
	}
	if (method == COMPRESS_ZLIB) {
		z_stream *zs = calloc(1, sizeof(*zs));
		/* Z_BEST_SPEED: the capture kernel's time is the scarce resource */
		if (!zs || deflateInit(zs, Z_BEST_SPEED) != Z_OK) {
			free(zs);
			return -ENOMEM;
		}
		c->zs = zs;
	}
	if (method == COMPRESS_ZSTD) {
		return zstd_setup(c, level, page_size);
	}
	return 0;
}

void compress_fini(struct compressor *c)
{
	if (c->zstd) {
		ZSTD_freeCCtx(c->zstd);
	}
	c->zstd = NULL;
	if (c->zs) {
		deflateEnd(c->zs);
		free(c->zs);
	}
	c->zs = NULL;
	free(c->lzo);
	c->lzo = NULL;
}

/* A page whose bytes are spread so evenly over all 256 values that no
 * entropy coder can shrink it (random or already compressed data) is stored
 * raw without asking the compressor, which spends a third of its time per
 * page on such pages before giving up. Only repeats of whole strings inside
 * the page could still shrink it; zstd finds few of those on such a page.
 * The test looks at a sample, not the whole page: first a glance at the
 * first bytes, so that other pages pay little, then 16 chunks spread over
 * the page. On the kept pages of the QEMU vmcores (225,000 and 554,000 at
 * -d 1) it missed 2 and 4 of the pages a count over the whole page called
 * noise, in 0.4 of the time, and wrongly called 5 and 4 pages noise that
 * zstd would have shrunk, by about 3 KB in all. */
#define NOISE_GLANCE 256        /* random bytes hold about 162 values */
#define NOISE_GLANCE_VALUES 140
#define NOISE_CHUNKS 16
#define NOISE_CHUNK 64          /* so 1 KiB is counted */
#define NOISE_MIN_VALUES 232    /* random 1 KiB holds about 251 */
#define NOISE_MAX_COUNT 28      /* expected 4 of each value, rarely over 13 */

/* Values among the first NOISE_GLANCE bytes: one byte per value marked
 * (stores that do not wait on each other), then counted eight at a time:
 * the words' sum holds in each byte lane how many of its 32 bytes were
 * marked (at most 32, no carry); pairs of lanes are added into 16-bit
 * lanes (at most 64), and the multiply adds those (at most 256). */
static bool glance_noise(const uint8_t *p)
{
	uint64_t seen[256 / 8] = { 0 };
	uint8_t *mark = (uint8_t *)seen;
	uint64_t lanes = 0;

	for (size_t i = 0; i < NOISE_GLANCE; i++) {
		mark[p[i]] = 1;
	}
	for (size_t i = 0; i < 256 / 8; i++) {
		lanes += seen[i];
	}
	lanes = (lanes & 0x00ff00ff00ff00ffull) + ((lanes >> 8) & 0x00ff00ff00ff00ffull);
	return (lanes * 0x0001000100010001ull) >> 48 >= NOISE_GLANCE_VALUES;
}

/* The sample's count, for a page that passed the glance. */
static bool count_noise(const uint8_t *p, size_t n)
{
	uint16_t cnt[4][256] = { { 0 } };
	size_t stride = n / NOISE_CHUNKS;
	unsigned values = 0;

	for (size_t k = 0; k < NOISE_CHUNKS; k++) {
		/* the chunk's place in its stride turns through four phases, so
		 * that a layout repeating with the stride is seen whole */
		const uint8_t *q = p + k * stride + (k % 4) * (stride - NOISE_CHUNK) / 3;

		for (size_t i = 0; i < NOISE_CHUNK; i += 4) {
			cnt[0][q[i]]++;
			cnt[1][q[i + 1]]++;
			cnt[2][q[i + 2]]++;
			cnt[3][q[i + 3]]++;
		}
	}
	for (unsigned v = 0; v < 256; v++) {
		unsigned k = (unsigned)cnt[0][v] + cnt[1][v] + cnt[2][v] + cnt[3][v];

		if (k > NOISE_MAX_COUNT) {
			return false;
		}
		values += k != 0;
	}
	return values >= NOISE_MIN_VALUES;
}

static bool looks_like_noise(const uint8_t *p, size_t n)
{
	return n % (NOISE_CHUNKS * NOISE_CHUNK) == 0 && n >= NOISE_GLANCE && glance_noise(p) &&
	       count_noise(p, n);
}

ssize_t compress_page(struct compressor *c, const void *in, size_t n, void *out, size_t cap)
{
	size_t sz;

	if (c->method != COMPRESS_LZO && looks_like_noise(in, n)) {
		return 0;
	}

	switch (c->method) {
	case COMPRESS_ZLIB: {
		z_stream *zs = c->zs;
		if (deflateReset(zs) != Z_OK) {
			return -EIO;
		}
		zs->next_in = (Bytef *)(uintptr_t)in;
		zs->avail_in = (uInt)n;
		zs->next_out = out;
		zs->avail_out = (uInt)cap;
		if (deflate(zs, Z_FINISH) != Z_STREAM_END) {
			return -EIO;
		}
		sz = zs->total_out;
		break;
	}
	case COMPRESS_ZSTD:
		sz = ZSTD_compress2(c->zstd, out, cap, in, n);
		if (ZSTD_isError(sz)) {
			return -EIO;
		}
		break;
	case COMPRESS_LZO: {
		/* LZO1X-1 with a 2^12-entry dictionary: the same LZO1X stream
		 * (lzo1x_decompress_safe reads it, as crash does), a table a
		 * page's positions fill, and a quarter of lzo1x_1's to clear per
		 * call: on kept pages of QEMU vmcores 10-25% less CPU than
		 * lzo1x_1 (2^14) for 0.2% more bytes */
		lzo_uint len = (lzo_uint)cap;
		if (lzo1x_1_12_compress(in, (lzo_uint)n, out, &len, c->lzo) != LZO_E_OK) {
			return -EIO;
		}
		sz = len;
		break;
	}
	default:
		return 0;
	}
	return sz < n ? (ssize_t)sz : 0;
}

int compress_unpack(int method, const void *in, size_t n, void *out, size_t cap, size_t *outn)
{
	switch (method) {
	case COMPRESS_ZLIB: {
		uLongf len = (uLongf)cap;
		if (uncompress(out, &len, in, (uLong)n) != Z_OK) {
			return -EINVAL;
		}
		*outn = len;
		return 0;
	}
	case COMPRESS_ZSTD: {
		size_t r = ZSTD_decompress(out, cap, in, n);
		if (ZSTD_isError(r)) {
			return -EINVAL;
		}
		*outn = r;
		return 0;
	}
	case COMPRESS_LZO: {
		lzo_uint len = (lzo_uint)cap;
		pthread_once(&lzo_once, lzo_setup);
		if (!lzo_ok || lzo1x_decompress_safe(in, (lzo_uint)n, out, &len, NULL) != LZO_E_OK) {
			return -EINVAL;
		}
		*outn = len;
		return 0;
	}
	default:
		return -EINVAL;
	}
}
