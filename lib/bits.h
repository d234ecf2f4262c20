/* Bitmaps over pfns as the kdump format lays them out: bit i is bit
 * (i % 8) of byte i / 8. Shared by the page filter and the dump writer. */
#ifndef KDC_BITS_H
#define KDC_BITS_H

#include <stdbool.h>
#include <stdint.h>

static inline bool bit_get(const uint8_t *bm, uint64_t i)
{
	return bm[i >> 3] & (1u << (i & 7));
}

static inline void bit_set(uint8_t *bm, uint64_t i)
{
	bm[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static inline void bit_clear(uint8_t *bm, uint64_t i)
{
	bm[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

/* Bits set among the first N. */
uint64_t bits_count(const uint8_t *bm, uint64_t n);
/* Just after the K-th set bit (K >= 1) at or after bit A, or N when fewer
 * than K are set in [A, N): whole bytes at once. */
uint64_t bits_after_nth(const uint8_t *bm, uint64_t a, uint64_t n, uint64_t k);
/* Set (ON) or clear bits [A, B): whole bytes at once. */
void bits_fill(uint8_t *bm, uint64_t a, uint64_t b, bool on);

#endif
