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
