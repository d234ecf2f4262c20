/* Page compression: one context per worker thread, caller-owned buffers. */
#ifndef KDC_COMPRESS_H
#define KDC_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

/* zstd's level when --zstd-level is not given. On 4 KiB pages level 2 is
 * level 1 with matches from 4 bytes: on the 1.5 GB QEMU vmcore's kept pages
 * (tight loop, medians of 4) it was as fast or faster than 1 (-d 31: 338
 * vs 362 ms, -d 1 sample: 205 vs 216 ms) and smaller (-0.7% at -d 31);
 * -1 halves the time but grows the dump by 11%; 3 cost +15% in a whole -d 31 run. */
#define ZSTD_LEVEL_DEFAULT 2
#define ZSTD_LEVEL_MIN (-50)
#define ZSTD_LEVEL_MAX 19

struct compressor {
	int method; /* COMPRESS_NONE / _ZLIB / _LZO / _ZSTD (capture/collector.h) */
	void *zstd; /* ZSTD_CCtx */
	void *zs;   /* z_stream, reset per page: deflateInit per page costs more than the page */
	void *lzo;  /* LZO1X_1_MEM_COMPRESS bytes of work memory */
};

/* Worst-case output size for one page. */
size_t compress_bound(int method, size_t page_size);
/* LEVEL is zstd's (ignored by the others). zstd's frames are made for
 * single pages read back whole: no content size, checksum or dictionary id
 * in their header, a window no larger than a page. */
int compress_init(struct compressor *c, int method, int level, size_t page_size);
void compress_fini(struct compressor *c);
/* Compress one page into out (cap bytes, >= compress_bound). Returns the
 * compressed size, or 0 when compression does not shrink the page (store it
 * raw), or -errno. */
ssize_t compress_page(struct compressor *c, const void *in, size_t n, void *out, size_t cap);
/* Inverse, for tests and savecore checks: 0 or -errno, *outn = bytes. */
int compress_unpack(int method, const void *in, size_t n, void *out, size_t cap, size_t *outn);

#endif
