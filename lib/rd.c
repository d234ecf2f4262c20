#include "lib/rd.h"

const void *rd_bytes(struct rd *r, size_t n)
{
	const void *p;

	if (!rd_has(r, n)) {
		r->err = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

uint8_t rd_u8(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 1);
	return p ? p[0] : 0;
}

uint16_t rd_u16(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 2);
	return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}

uint32_t rd_u32(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 4);
	return p ? ld_le32(p) : 0;
}

uint64_t rd_u64(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 8);
	return p ? ld_le64(p) : 0;
}

uint16_t rd_u16be(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 2);
	return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

uint32_t rd_u32be(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 4);
	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

uint64_t rd_u64be(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 8);
	return p ? ld_be64(p) : 0;
}

void rd_skip(struct rd *r, size_t n)
{
	(void)rd_bytes(r, n);
}

void rd_seek(struct rd *r, size_t off)
{
	if (off > r->len) {
		r->err = true;
		return;
	}
	r->off = off;
}

void rd_align(struct rd *r, size_t a)
{
	size_t pad = (a - r->off % a) % a;
	rd_skip(r, pad);
}
