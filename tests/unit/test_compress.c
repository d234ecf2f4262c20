#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <zstd.h>

#include "capture/collector.h"
#include "capture/compress.h"
#include "tests/unit/t.h"

#define PG 4096
/* zstd frame header descriptor bits: content size (7-6), single segment
 * (5), checksum (2), dictionary id (1-0) */
#define ZSTD_FHD_UNWANTED 0xe7

static const int methods[] = { COMPRESS_ZLIB, COMPRESS_LZO, COMPRESS_ZSTD };

/* Pages of different kinds: zeros, kernel-ish text, a repeating struct,
 * and xorshift noise that no method can shrink. */
static void fill(uint8_t *p, int kind)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < PG; i++) {
		switch (kind) {
		case 0:
			p[i] = 0;
			break;
		case 1:
			p[i] = (uint8_t)"the quick kernel oopsed at 0xffffffff81000000\n"[i % 46];
			break;
		case 2:
			p[i] = (uint8_t)(i % 64 < 8 ? i / 64 : (i % 64 == 9 ? 0xff : 0));
			break;
		default:
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p[i] = (uint8_t)x;
			break;
		}
	}
}

TEST(test_compress_round_trip)
{
	static uint8_t in[PG], back[PG];

	for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
		struct compressor c;
		size_t bound = compress_bound(methods[m], PG);
		uint8_t *out = malloc(bound);

		CHECK(bound > PG);
		CHECK(out && compress_init(&c, methods[m], ZSTD_LEVEL_DEFAULT, 4096) == 0);
		for (int kind = 0; out && kind < 4; kind++) {
			ssize_t n;
			size_t got = 0;

			fill(in, kind);
			n = compress_page(&c, in, PG, out, bound);
			if (kind < 3) {
				/* compressible: smaller than a page, and decodes back exactly */
				CHECK(n > 0 && n < PG);
				memset(back, 0xa5, sizeof(back));
				CHECK(compress_unpack(methods[m], out, (size_t)n, back, PG, &got) == 0);
				CHECK(got == PG && !memcmp(in, back, PG));
				/* a cut stream is refused, not read past its end */
				CHECK(compress_unpack(methods[m], out, (size_t)n / 2, back, PG, &got) < 0);
			} else {
				CHECK(n == 0); /* noise: store the page raw */
			}
		}
		compress_fini(&c);
		compress_fini(&c); /* twice is harmless */
		free(out);
	}
}

/* zstd: one frame per page with no content size, checksum or dictionary
 * id in its header (readers decode into a page buffer), and the level is
 * the one asked for: negative ones too. */
TEST(test_compress_zstd_frame_and_levels)
{
	static uint8_t in[PG], back[PG];
	static const int levels[] = { ZSTD_LEVEL_MIN, -5, 1, 9, ZSTD_LEVEL_MAX };
	size_t bound = compress_bound(COMPRESS_ZSTD, PG);
	uint8_t *out = malloc(bound);
	ssize_t sizes[sizeof(levels) / sizeof(levels[0])];

	CHECK(out != NULL);
	for (size_t i = 0; i < PG; i++) { /* words of a small alphabet: the levels differ on it */
		uint32_t x = (uint32_t)(i * 2654435761u) >> 13;
		in[i] = (i % 8 == 7) ? ' ' : (uint8_t)"etaoinsh"[x % 5 + (x >> 7) % 3];
	}
	for (size_t l = 0; out && l < sizeof(levels) / sizeof(levels[0]); l++) {
		struct compressor c;
		size_t got = 0;

		CHECK(compress_init(&c, COMPRESS_ZSTD, levels[l], 4096) == 0);
		sizes[l] = compress_page(&c, in, PG, out, bound);
		CHECK(sizes[l] > 0);
		/* frame header descriptor: no content size, single segment, checksum, dict id */
		CHECK((out[4] & ZSTD_FHD_UNWANTED) == 0);
		CHECK(ZSTD_getFrameContentSize(out, (size_t)sizes[l]) == ZSTD_CONTENTSIZE_UNKNOWN);
		CHECK(compress_unpack(COMPRESS_ZSTD, out, (size_t)sizes[l], back, PG, &got) == 0);
		CHECK(got == PG && !memcmp(in, back, PG));
		compress_fini(&c);
	}
	/* the fastest level gives the largest frame, the slowest the smallest */
	CHECK(sizes[0] > sizes[2] && sizes[2] >= sizes[4]);
	free(out);
}

/* Noise is stored raw without compressing, but a page that is noise in
 * part only (random bytes, then zeros) still shrinks. */
TEST(test_compress_partial_noise_still_packed)
{
	static uint8_t in[PG];
	uint8_t *out = malloc(2 * PG); /* above every method's bound */
	struct compressor c;

	fill(in, 3);
	memset(in + PG / 2, 0, PG / 2);
	for (size_t m = 0; out && m < sizeof(methods) / sizeof(methods[0]); m++) {
		CHECK(compress_init(&c, methods[m], ZSTD_LEVEL_DEFAULT, 4096) == 0);
		CHECK(compress_page(&c, in, PG, out, compress_bound(methods[m], PG)) > 0);
		compress_fini(&c);
	}
	free(out);
}

/* The noise test samples the page: 256 random bytes (passing its glance),
 * then a layout repeating every 256 bytes, 64 random and 192 zeros, is not
 * taken for a page of noise, though a sample at one place in each 256 would
 * see only random bytes. */
TEST(test_compress_sampled_noise_not_fooled)
{
	static uint8_t in[PG];
	uint8_t *out = malloc(2 * PG);
	struct compressor c;

	fill(in, 3);
	for (size_t i = 0; i < PG; i++) {
		if (i >= 256 && i % 256 >= 64) {
			in[i] = 0;
		}
	}
	CHECK(out != NULL);
	CHECK(out && compress_init(&c, COMPRESS_ZSTD, ZSTD_LEVEL_DEFAULT, 4096) == 0);
	CHECK(out && compress_page(&c, in, PG, out, compress_bound(COMPRESS_ZSTD, PG)) > 0);
	if (out) {
		compress_fini(&c);
	}
	free(out);
}

TEST(test_compress_garbage_and_unknown)
{
	static uint8_t junk[64], back[PG];
	size_t got;

	memset(junk, 0xff, sizeof(junk));
	for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
		CHECK(compress_unpack(methods[m], junk, sizeof(junk), back, PG, &got) < 0);
	}
	CHECK(compress_unpack(0x4, junk, sizeof(junk), back, PG, &got) < 0); /* snappy: not built in */
	CHECK(compress_bound(COMPRESS_NONE, PG) == PG);
}
