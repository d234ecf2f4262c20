/* DHCPv4 client protocol. Frame layouts: Ethernet II (RFC 894), IPv4
 * (RFC 791), UDP (RFC 768), BOOTP/DHCP (RFC 2131 figure 1, options RFC
 * 2132). Every received byte is read through lib/rd.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "initramfs/dhcp.h"
#include "lib/log.h"
#include "lib/rd.h"

#define ETH_HDR_LEN 14
#define ETHERTYPE_IPV4 0x0800
#define IP_VERSION 4
#define IP_MIN_HDR 20
#define IP_FRAG_MASK 0x3fff /* MF flag and fragment offset: a fragment is not for us */
#define IPPROTO_UDP_NUM 17
#define UDP_HDR_LEN 8

#define BOOTREQUEST 1
#define BOOTREPLY 2
#define HTYPE_ETHER 1
#define BOOTP_CHADDR_LEN 16
#define BOOTP_SNAME_LEN 64
#define BOOTP_FILE_LEN 128
#define BOOTP_FLAG_BROADCAST 0x8000 /* answer to the broadcast address: we have no address yet */
#define DHCP_MAGIC 0x63825363       /* 99.130.83.99 */

#define OPT_PAD 0
#define OPT_SUBNET_MASK 1
#define OPT_ROUTER 3
#define OPT_REQUESTED_IP 50
#define OPT_LEASE_TIME 51
#define OPT_MSG_TYPE 53
#define OPT_SERVER_ID 54
#define OPT_PARAM_LIST 55
#define OPT_MAX_SIZE 57
#define OPT_CLIENT_ID 61
#define OPT_END 255

/* One option's value (LEN bytes at R) into *OUT. -EBADMSG on a bad length. */
static int parse_option(uint8_t code, struct rd *v, size_t len, struct dhcp_reply *out)
{
	switch (code) {
	case OPT_MSG_TYPE:
		out->type = rd_u8(v);
		return len == 1 ? 0 : -EBADMSG;
	case OPT_SERVER_ID:
		out->server = rd_u32be(v);
		return len == 4 ? 0 : -EBADMSG;
	case OPT_SUBNET_MASK:
		out->mask = rd_u32be(v);
		out->has_mask = true;
		return len == 4 ? 0 : -EBADMSG;
	case OPT_ROUTER: /* a list; the first is the default gateway */
		out->router = rd_u32be(v);
		out->has_router = true;
		return len >= 4 && len % 4 == 0 ? 0 : -EBADMSG;
	case OPT_LEASE_TIME:
		out->lease_s = rd_u32be(v);
		out->has_lease = true;
		return len == 4 ? 0 : -EBADMSG;
	default:
		return 0;
	}
}

/* The options field up to OPT_END (or the end of the message). The
 * overload option (52) is ignored: what we need fits in the options. */
static int parse_options(struct rd *r, struct dhcp_reply *out)
{
	while (rd_has(r, 1)) {
		uint8_t code = rd_u8(r), len;
		const uint8_t *val;
		struct rd v;

		if (code == OPT_END) {
			return 0;
		}
		if (code == OPT_PAD) {
			continue;
		}
		len = rd_u8(r);
		val = rd_bytes(r, len);
		if (!val) {
			return -EBADMSG;
		}
		v = rd_init(val, len);
		if (parse_option(code, &v, len, out) < 0) {
			return -EBADMSG;
		}
	}
	return r->err ? -EBADMSG : 0;
}

int dhcp_parse_bootp(const uint8_t *p, size_t len, const uint8_t mac[NIC_MAC_LEN], uint32_t xid,
		     struct dhcp_reply *out)
{
	struct rd r = rd_init(p, len);
	uint8_t op = rd_u8(&r), htype = rd_u8(&r), hlen = rd_u8(&r);
	const uint8_t *chaddr;

	memset(out, 0, sizeof(*out));
	rd_skip(&r, 1); /* hops */
	out->xid = rd_u32be(&r);
	rd_skip(&r, 2 + 2 + 4); /* secs, flags, ciaddr */
	out->yiaddr = rd_u32be(&r);
	rd_skip(&r, 4 + 4); /* siaddr, giaddr */
	chaddr = rd_bytes(&r, BOOTP_CHADDR_LEN);
	rd_skip(&r, BOOTP_SNAME_LEN + BOOTP_FILE_LEN);
	if (r.err) {
		return -EBADMSG;
	}
	if (op != BOOTREPLY || htype != HTYPE_ETHER || hlen != NIC_MAC_LEN || out->xid != xid ||
	    memcmp(chaddr, mac, NIC_MAC_LEN)) {
		return -ENOMSG;
	}
	if (rd_u32be(&r) != DHCP_MAGIC || parse_options(&r, out) < 0) {
		return -EBADMSG;
	}
	if (out->type != DHCP_OFFER && out->type != DHCP_ACK && out->type != DHCP_NAK) {
		return out->type ? -ENOMSG : -EBADMSG; /* no type: plain BOOTP */
	}
	return 0;
}

/* The one's-complement sum of RFC 1071 over N bytes at P. */
static uint16_t inet_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2) {
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	}
	if (n & 1) {
		sum += (uint32_t)p[n - 1] << 8;
	}
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)~sum;
}

/* The UDP payload of the IPv4 packet at R (the rest of the frame) into
 * *PAYLOAD / *PLEN. The UDP checksum is not checked: a packet socket sees
 * frames before checksum offload has filled it in. */
static int parse_ipv4_udp(struct rd *r, const uint8_t **payload, size_t *plen)
{
	const uint8_t *ip = r->p + r->off;
	uint8_t vihl = rd_u8(r), proto;
	size_t ihl = (size_t)(vihl & 0xf) * 4, total, ulen;
	uint16_t frag, sport, dport;

	rd_skip(r, 1); /* tos */
	total = rd_u16be(r);
	rd_skip(r, 2); /* id */
	frag = rd_u16be(r);
	rd_skip(r, 1); /* ttl */
	proto = rd_u8(r);
	if (r->err || vihl >> 4 != IP_VERSION || ihl < IP_MIN_HDR || total < ihl || total > r->len - (r->off - 10) ||
	    !rd_has(r, ihl - 10)) {
		return -EBADMSG;
	}
	if (proto != IPPROTO_UDP_NUM || (frag & IP_FRAG_MASK)) {
		return -ENOMSG;
	}
	if (inet_csum(ip, ihl) != 0) {
		return -EBADMSG;
	}
	rd_skip(r, ihl - 10);
	sport = rd_u16be(r);
	dport = rd_u16be(r);
	ulen = rd_u16be(r);
	rd_skip(r, 2); /* checksum */
	if (r->err || ulen < UDP_HDR_LEN || ulen > total - ihl) {
		return -EBADMSG;
	}
	if (dport != DHCP_CLIENT_PORT || sport != DHCP_SERVER_PORT) {
		return -ENOMSG;
	}
	*plen = ulen - UDP_HDR_LEN;
	*payload = rd_bytes(r, *plen);
	return *payload ? 0 : -EBADMSG;
}

int dhcp_parse_frame(const uint8_t *f, size_t len, const uint8_t mac[NIC_MAC_LEN], uint32_t xid,
		     struct dhcp_reply *out)
{
	struct rd r = rd_init(f, len);
	const uint8_t *payload;
	size_t plen;
	int err;

	memset(out, 0, sizeof(*out));
	rd_skip(&r, 2 * NIC_MAC_LEN); /* destination, source */
	if (rd_u16be(&r) != ETHERTYPE_IPV4) {
		return r.err ? -EBADMSG : -ENOMSG;
	}
	err = parse_ipv4_udp(&r, &payload, &plen);
	if (err < 0) {
		return err;
	}
	return dhcp_parse_bootp(payload, plen, mac, xid, out);
}

/* The client's state (RFC 2131 figure 5, without renewal: a capture
 * kernel lives far shorter than any lease). */
enum dhcp_state { SELECTING, REQUESTING };

struct dhcp_client {
	const struct dhcp_params *p;
	const struct dhcp_io *io;
	enum dhcp_state state;
	uint32_t xid;
	uint32_t offered, server; /* REQUESTING: what we asked for, from whom */
	int64_t start_ms, next_tx_ms;
	int rtx_ms, tries;
};

static void fmt_ip(uint32_t a, char out[INET_ADDRSTRLEN])
{
	uint32_t be = htonl(a);

	inet_ntop(AF_INET, &be, out, INET_ADDRSTRLEN);
}

/* DISCOVER or REQUEST into B (DHCP_MSG_MAX bytes); its length. */
static size_t build(const struct dhcp_client *c, uint8_t type, int64_t now, uint8_t *b)
{
	static const uint8_t params[] = { OPT_SUBNET_MASK, OPT_ROUTER, OPT_LEASE_TIME, OPT_SERVER_ID };
	int64_t secs = (now - c->start_ms) / 1000;
	size_t o = 0;

	memset(b, 0, DHCP_MSG_MAX);
	b[o++] = BOOTREQUEST;
	b[o++] = HTYPE_ETHER;
	b[o++] = NIC_MAC_LEN;
	o++; /* hops */
	st_be32(b + o, c->xid);
	o += 4;
	b[o++] = (uint8_t)((secs > 0xffff ? 0xffff : secs) >> 8);
	b[o++] = (uint8_t)(secs > 0xffff ? 0xffff : secs);
	b[o++] = BOOTP_FLAG_BROADCAST >> 8;
	o += 1 + 4 * 4; /* flags' low byte, ciaddr, yiaddr, siaddr, giaddr */
	memcpy(b + o, c->p->mac, NIC_MAC_LEN);
	o += BOOTP_CHADDR_LEN + BOOTP_SNAME_LEN + BOOTP_FILE_LEN;
	st_be32(b + o, DHCP_MAGIC);
	o += 4;
	b[o++] = OPT_MSG_TYPE;
	b[o++] = 1;
	b[o++] = type;
	b[o++] = OPT_CLIENT_ID;
	b[o++] = 1 + NIC_MAC_LEN;
	b[o++] = HTYPE_ETHER;
	memcpy(b + o, c->p->mac, NIC_MAC_LEN);
	o += NIC_MAC_LEN;
	b[o++] = OPT_MAX_SIZE;
	b[o++] = 2;
	b[o++] = DHCP_MSG_MAX >> 8;
	b[o++] = DHCP_MSG_MAX & 0xff;
	b[o++] = OPT_PARAM_LIST;
	b[o++] = sizeof(params);
	memcpy(b + o, params, sizeof(params));
	o += sizeof(params);
	if (type == DHCP_REQUEST) {
		b[o++] = OPT_REQUESTED_IP;
		b[o++] = 4;
		st_be32(b + o, c->offered);
		o += 4;
		b[o++] = OPT_SERVER_ID;
		b[o++] = 4;
		st_be32(b + o, c->server);
		o += 4;
	}
	b[o++] = OPT_END;
	return o < DHCP_MSG_MAX ? DHCP_MSG_MAX : o; /* padded, as some old servers want */
}

/* Send the message of the current state and schedule its retransmission. */
static void transmit(struct dhcp_client *c, int64_t now)
{
	uint8_t msg[DHCP_MSG_MAX];
	uint8_t type = c->state == SELECTING ? DHCP_DISCOVER : DHCP_REQUEST;
	size_t n = build(c, type, now, msg);
	int err = c->io->send(c->io->ctx, msg, n);

	if (err < 0) { /* ENETDOWN, ENOBUFS: the next retransmission tries again */
		log_warn("dhcp: cannot send a %s on %s: %s; retrying in %d ms", type == DHCP_DISCOVER ? "DISCOVER" : "REQUEST",
			 c->p->ifname, strerror(-err), c->rtx_ms);
	} else {
		log_debug("dhcp: %s on %s (xid %08x, try %d)", type == DHCP_DISCOVER ? "DISCOVER" : "REQUEST", c->p->ifname,
			  c->xid, c->tries + 1);
	}
	c->tries++;
	c->next_tx_ms = now + c->rtx_ms;
	c->rtx_ms = c->rtx_ms * 2 > DHCP_RTX_MAX_MS ? DHCP_RTX_MAX_MS : c->rtx_ms * 2;
}

static void enter(struct dhcp_client *c, enum dhcp_state s, int64_t now)
{
	c->state = s;
	c->tries = 0;
	c->rtx_ms = DHCP_RTX_FIRST_MS;
	transmit(c, now);
}

/* Back to DISCOVER in a fresh transaction: late replies to the old one are ignored. */
static void restart(struct dhcp_client *c, int64_t now)
{
	c->xid = c->xid * 1103515245u + 12345u;
	enter(c, SELECTING, now);
}

/* The mask as a prefix length; false when it is not contiguous. A server
 * that sends none gets the classful default (RFC 2131 leaves it to us). */
static bool lease_prefix(const struct dhcp_reply *m, unsigned *prefix)
{
	uint32_t mask = m->mask, a = m->yiaddr;

	if (!m->has_mask) {
		mask = a >> 31 == 0 ? 0xff000000u : a >> 30 == 2 ? 0xffff0000u : 0xffffff00u;
	}
	if (mask & (~mask >> 1)) {
		return false;
	}
	*prefix = (unsigned)__builtin_popcount(mask);
	return true;
}

/* A reply in the current state: 1 when bound (LEASE filled), else 0. */
static int handle(struct dhcp_client *c, const struct dhcp_reply *m, int64_t now, struct dhcp_lease *lease)
{
	char a[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN];

	fmt_ip(m->yiaddr, a);
	fmt_ip(m->server, s);
	if (c->state == SELECTING && m->type == DHCP_OFFER && m->yiaddr && m->server) {
		log_info("dhcp: %s: offer of %s from %s", c->p->ifname, a, s);
		c->offered = m->yiaddr;
		c->server = m->server;
		enter(c, REQUESTING, now);
		return 0;
	}
	if (c->state != REQUESTING || m->server != c->server) {
		return 0;
	}
	if (m->type == DHCP_NAK) {
		log_warn("dhcp: %s: %s refused %s (NAK); starting over", c->p->ifname, s, a);
		restart(c, now);
		return 0;
	}
	if (m->type != DHCP_ACK || !m->yiaddr || !lease_prefix(m, &lease->prefix)) {
		return 0;
	}
	lease->addr = m->yiaddr;
	lease->router = m->has_router ? m->router : 0;
	lease->server = m->server;
	lease->lease_s = m->has_lease ? m->lease_s : 0;
	log_info("dhcp: %s: %s/%u from %s, lease %u s", c->p->ifname, a, lease->prefix, s, lease->lease_s);
	return 1;
}

/* One wait for a frame until the next retransmission or the deadline. */
static int step(struct dhcp_client *c, int64_t now, int64_t deadline, struct dhcp_lease *lease)
{
	uint8_t frame[DHCP_FRAME_MAX];
	struct dhcp_reply m;
	int64_t until = c->next_tx_ms < deadline ? c->next_tx_ms : deadline;
	ssize_t n;

	if (now >= c->next_tx_ms) {
		if (c->state == REQUESTING && c->tries >= DHCP_REQUEST_TRIES) {
			log_warn("dhcp: %s: no answer to %d REQUESTs; starting over", c->p->ifname, c->tries);
			restart(c, now);
		} else {
			transmit(c, now);
		}
		return 0;
	}
	n = c->io->recv(c->io->ctx, frame, sizeof(frame), (int)(until - now));
	if (n <= 0) {
		return (int)n;
	}
	if (dhcp_parse_frame(frame, (size_t)n, c->p->mac, c->xid, &m) < 0) {
		return 0;
	}
	return handle(c, &m, now, lease);
}

int dhcp_run(const struct dhcp_params *p, const struct dhcp_io *io, struct dhcp_lease *lease)
{
	struct dhcp_client c = { .p = p, .io = io, .xid = p->xid };
	int64_t now = io->now_ms(io->ctx), deadline = now + p->timeout_ms;
	int r;

	c.start_ms = now;
	log_info("dhcp: asking for an address on %s (up to %d s)", p->ifname, p->timeout_ms / 1000);
	enter(&c, SELECTING, now);
	for (;;) {
		now = io->now_ms(io->ctx);
		if (now >= deadline) {
			log_err("dhcp: no lease on %s within %d s (%d %s sent); check the cable, the switch port and the DHCP server",
				p->ifname, p->timeout_ms / 1000, c.tries, c.state == SELECTING ? "DISCOVERs" : "REQUESTs");
			return -ETIMEDOUT;
		}
		r = step(&c, now, deadline, lease);
		if (r < 0) {
			log_err("dhcp: cannot receive on %s: %s", p->ifname, strerror(-r));
			return r;
		}
		if (r > 0) {
			return 0;
		}
	}
}
