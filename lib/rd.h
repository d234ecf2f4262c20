/* Bounds-checked reader over untrusted bytes (vmcore headers, notes, kernel
 * memory, network replies). A read past the end sets ->err and yields zeros,
 * so a parser checks once at the end instead of after every field. */
#ifndef KDC_RD_H
#define KDC_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool err;
};

static inline struct rd rd_init(const void *p, size_t len)
{
	struct rd r = { .p = p, .len = len, .off = 0, .err = false };
	return r;
}

static inline bool rd_has(const struct rd *r, size_t n)
{
	return !r->err && r->off <= r->len && n <= r->len - r->off;
}

const void *rd_bytes(struct rd *r, size_t n);
uint8_t rd_u8(struct rd *r);
uint16_t rd_u16(struct rd *r);
uint32_t rd_u32(struct rd *r);
uint64_t rd_u64(struct rd *r);
/* big-endian (network order: SFTP, DHCP, netlink attributes in network order) */
uint16_t rd_u16be(struct rd *r);
uint32_t rd_u32be(struct rd *r);
uint64_t rd_u64be(struct rd *r);
void rd_skip(struct rd *r, size_t n);
void rd_seek(struct rd *r, size_t off);
void rd_align(struct rd *r, size_t a);

/* Little-endian loads/stores at a pointer the caller has bounds-checked. */
static inline uint16_t ld_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t ld_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t ld_le64(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)ld_le32(b) | (uint64_t)ld_le32(b + 4) << 32;
}

static inline uint64_t ld_be64(const void *p)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) {
		v = v << 8 | b[i];
	}
	return v;
}

static inline void st_le32(void *p, uint32_t v)
{
	uint8_t *b = p;
	for (int i = 0; i < 4; i++) {
		b[i] = (uint8_t)(v >> (8 * i));
	}
}

static inline void st_le64(void *p, uint64_t v)
{
	uint8_t *b = p;
	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)(v >> (8 * i));
	}
}

static inline void st_be32(void *p, uint32_t v)
{
	uint8_t *b = p;
	for (int i = 0; i < 4; i++) {
		b[i] = (uint8_t)(v >> (24 - 8 * i));
	}
}

static inline void st_be64(void *p, uint64_t v)
{
	uint8_t *b = p;
	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	}
}

#endif
