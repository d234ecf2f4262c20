/* Page compression: one context per worker thread, caller-owned buffers. */
#ifndef KDC_COMPRESS_H
#define KDC_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

/* zstd's level when --zstd-level is not given: makedumpfile's. On the QEMU
 * vmcores' kept pages level 2 made dumps 0.6% smaller than 1 at -d 31 but
 * cost 2-4% more CPU in a tight loop and 4-9% in whole 1-thread runs;
 * level 1's dumps are already a little smaller than makedumpfile -z's (no
 * content size in the frames, random pages stored raw). -1 took about a
 * third less CPU than 2 but made -d 31 dumps up to 11% larger than 2's;
 * 3 cost +15% in a whole -d 31 run. */
#define ZSTD_LEVEL_DEFAULT 1
#define ZSTD_LEVEL_MIN (-50)
#define ZSTD_LEVEL_MAX 19

struct compressor {
	int method; /* COMPRESS_NONE / _ZLIB / _LZO / _ZSTD (capture/collector.h) */
	void *zstd; /* ZSTD_CCtx */
	void *zs;   /* z_stream, reset per page: deflateInit per page costs more than the page */
	void *lzo;  /* LZO1X_1_MEM_COMPRESS bytes of work memory */
};

/* The libraries linked, as "zlib V, zstd V, lzo V", into BUF */
void compress_versions(char *buf, size_t cap);
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
