/* SHA-256 (FIPS 180-4). Freestanding: no libc, so that the arm64 purgatory
 * (purgatory/) checks the loaded segments with the same code kdumpcap load
 * uses to compute their digest. */
#ifndef KDC_SHA256_H
#define KDC_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_BLOCK_LEN  64

struct sha256 {
	uint32_t h[8];
	uint64_t total;                  /* bytes hashed so far */
	uint8_t block[SHA256_BLOCK_LEN]; /* a partial block */
	size_t fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST_LEN]);

#endif
