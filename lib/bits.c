#include <string.h>

#include "lib/bits.h"

uint64_t bits_count(const uint8_t *bm, uint64_t n)
{
	uint64_t c = 0, i = 0;

	for (; i + 64 <= n; i += 64) {
		uint64_t v;

		memcpy(&v, bm + i / 8, sizeof(v));
		c += (uint64_t)__builtin_popcountll(v);
	}
	for (; i < n; i++) {
		c += bit_get(bm, i);
	}
	return c;
}

uint64_t bits_after_nth(const uint8_t *bm, uint64_t a, uint64_t n, uint64_t k)
{
	uint64_t i = a;

	while (i < n) {
		/* set bits in the byte from I; K (step one bit) when I does not start a whole byte */
		uint64_t c = (i & 7) == 0 && i + 8 <= n ? (uint64_t)__builtin_popcount(bm[i >> 3]) : k;

		if (c < k) {
			k -= c; /* a whole byte, short of the K-th */
			i += 8;
		} else if (bit_get(bm, i++) && --k == 0) {
			break;
		}
	}
	return i;
}

static void bit_put(uint8_t *bm, uint64_t i, bool on)
{
	if (on) {
		bit_set(bm, i);
	} else {
		bit_clear(bm, i);
	}
}

void bits_fill(uint8_t *bm, uint64_t a, uint64_t b, bool on)
{
	while (a < b && (a & 7)) {
		bit_put(bm, a++, on);
	}
	if (a < b && b - a >= 8) {
		memset(bm + a / 8, on ? 0xff : 0, (size_t)((b - a) / 8));
		a += (b - a) & ~7ull;
	}
	while (a < b) {
		bit_put(bm, a++, on);
	}
}
