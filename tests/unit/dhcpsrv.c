/* Scripted DHCP server frames: written byte by byte from RFC 791/768/2131,
 * independently of initramfs/dhcp.c's parser. */
#include <string.h>

#include "tests/unit/dhcpsrv.h"

static const uint8_t srv_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

static size_t be16(uint8_t *b, unsigned v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
	return 2;
}

static size_t be32(uint8_t *b, uint32_t v)
{
	be16(b, v >> 16);
	be16(b + 2, v & 0xffff);
	return 4;
}

static size_t opt32(uint8_t *b, uint8_t code, uint32_t v)
{
	b[0] = code;
	b[1] = 4;
	return 2 + be32(b + 2, v);
}

static size_t bootp(uint8_t *b, const struct srv_reply *r)
{
	size_t o = 0;

	memset(b, 0, 240);
	b[0] = 2; /* BOOTREPLY */
	b[1] = 1;
	b[2] = 6;
	be32(b + 4, r->xid);
	be32(b + 16, r->yiaddr);
	be32(b + 20, r->server);
	memcpy(b + 28, r->mac, 6);
	be32(b + 236, 0x63825363);
	o = 240;
	b[o++] = 53;
	b[o++] = 1;
	b[o++] = r->type;
	o += opt32(b + o, 54, r->server);
	if (r->type != DHCP_NAK) {
		if (!r->no_mask) {
			o += opt32(b + o, 1, r->mask);
		}
		o += opt32(b + o, 3, r->router);
		o += opt32(b + o, 51, r->lease_s);
	}
	b[o++] = 255;
	return o;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i += 2) {
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	}
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

size_t srv_frame(uint8_t *f, const struct srv_reply *r)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	size_t blen = bootp(udp + 8, r);

	memset(f, 0, 14 + 20 + 8);
	if (r->unicast) {
		memcpy(f, r->mac, 6);
	} else {
		memset(f, 0xff, 6);
	}
	memcpy(f + 6, srv_mac, 6);
	be16(f + 12, 0x0800);
	ip[0] = 0x45;
	be16(ip + 2, (unsigned)(20 + 8 + blen));
	ip[8] = 64;
	ip[9] = 17;
	be32(ip + 12, r->server);
	be32(ip + 16, r->unicast ? r->yiaddr : 0xffffffffu);
	be16(ip + 10, csum(ip, 20));
	be16(udp, 67);
	be16(udp + 2, 68);
	be16(udp + 4, (unsigned)(8 + blen));
	return 14 + 20 + 8 + blen;
}

static uint32_t ld32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int srv_parse_request(const uint8_t *p, size_t len, struct srv_request *q)
{
	size_t o = 240;

	memset(q, 0, sizeof(*q));
	if (len < 241 || p[0] != 1 || ld32(p + 236) != 0x63825363) {
		return -1;
	}
	q->xid = ld32(p + 4);
	q->flags = (uint16_t)(p[10] << 8 | p[11]);
	memcpy(q->chaddr, p + 28, 6);
	while (o + 2 <= len && p[o] != 255) {
		uint8_t code = p[o], n = p[o + 1];

		if (code == 0) {
			o++;
			continue;
		}
		if (o + 2 + n > len) {
			return -1;
		}
		if (code == 53 && n == 1) {
			q->type = p[o + 2];
		} else if (code == 50 && n == 4) {
			q->requested = ld32(p + o + 2);
		} else if (code == 54 && n == 4) {
			q->server = ld32(p + o + 2);
		}
		o += 2 + n;
	}
	return q->type ? 0 : -1;
}
