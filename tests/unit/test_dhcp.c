/* The DHCPv4 client's state machine against a scripted server over a fake
 * clock: no sockets, no root. */
#include <errno.h>
#include <string.h>

#include "initramfs/dhcp.h"
#include "lib/log.h"
#include "tests/unit/dhcpsrv.h"
#include "tests/unit/t.h"

#define MAX_SENT 32
#define MAX_QUEUED 16
#define SRV_DELAY_MS 5
#define YIADDR 0x0a00020f /* 10.0.2.15 */
#define SERVER 0x0a000202 /* 10.0.2.2 */
#define OTHER 0x0a000203

static const uint8_t cmac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct fake;
/* The server's script: what to queue in answer to request number N. */
typedef void (*script_fn)(struct fake *f, int n, const struct srv_request *q);

struct fake {
	int64_t now;
	script_fn script;
	int nsent;
	struct srv_request sent[MAX_SENT];
	int64_t sent_at[MAX_SENT];
	int nq;
	struct {
		uint8_t f[SRV_FRAME_MAX];
		size_t len;
		int64_t at;
	} q[MAX_QUEUED];
	bool unicast;
};

static int64_t f_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static int f_send(void *ctx, const uint8_t *msg, size_t len)
{
	struct fake *f = ctx;
	struct srv_request q;

	CHECK(len >= 300 && len <= DHCP_MSG_MAX);
	CHECK(srv_parse_request(msg, len, &q) == 0);
	CHECK(!memcmp(q.chaddr, cmac, 6));
	CHECK(q.flags == 0x8000); /* broadcast: we have no address yet */
	if (f->nsent < MAX_SENT) {
		f->sent[f->nsent] = q;
		f->sent_at[f->nsent] = f->now;
		f->script(f, f->nsent, &q);
		f->nsent++;
	}
	return 0;
}

static ssize_t f_recv(void *ctx, uint8_t *buf, size_t size, int timeout_ms)
{
	struct fake *f = ctx;
	ssize_t n;

	CHECK(timeout_ms > 0 && timeout_ms <= DHCP_RTX_MAX_MS);
	if (!f->nq || f->q[0].at > f->now + timeout_ms) {
		f->now += timeout_ms;
		return 0;
	}
	if (f->q[0].at > f->now) {
		f->now = f->q[0].at;
	}
	n = (ssize_t)f->q[0].len;
	memcpy(buf, f->q[0].f, f->q[0].len < size ? f->q[0].len : size);
	f->nq--;
	memmove(f->q, f->q + 1, (size_t)f->nq * sizeof(f->q[0]));
	return n;
}

static void queue_raw(struct fake *f, const uint8_t *frame, size_t len)
{
	if (f->nq < MAX_QUEUED) {
		memcpy(f->q[f->nq].f, frame, len);
		f->q[f->nq].len = len;
		f->q[f->nq].at = f->now + SRV_DELAY_MS;
		f->nq++;
	}
}

static void queue(struct fake *f, uint8_t type, uint32_t xid, uint32_t yiaddr, uint32_t server)
{
	struct srv_reply r = { .type = type, .xid = xid, .mac = cmac, .yiaddr = yiaddr, .server = server,
			       .mask = 0xffffff00, .router = SERVER, .lease_s = 86400, .unicast = f->unicast };
	uint8_t frame[SRV_FRAME_MAX];

	queue_raw(f, frame, srv_frame(frame, &r));
}

/* A working server: OFFER to a DISCOVER, ACK to a REQUEST for what it offered. */
static void answer(struct fake *f, const struct srv_request *q)
{
	if (q->type == DHCP_DISCOVER) {
		queue(f, DHCP_OFFER, q->xid, YIADDR, SERVER);
	} else if (q->type == DHCP_REQUEST && q->requested == YIADDR && q->server == SERVER) {
		queue(f, DHCP_ACK, q->xid, YIADDR, SERVER);
	}
}

static void s_good(struct fake *f, int n, const struct srv_request *q)
{
	answer(f, q);
}

static int run(struct fake *f, script_fn s, int timeout_ms, struct dhcp_lease *l)
{
	struct dhcp_io io = { .ctx = f, .now_ms = f_now, .send = f_send, .recv = f_recv };
	struct dhcp_params p = { .ifname = "eth0", .xid = 0x12345678, .timeout_ms = timeout_ms };
	int saved = log_get_level(), r;

	memcpy(p.mac, cmac, 6);
	f->now = 1000000; /* an arbitrary monotonic origin */
	f->script = s;
	memset(l, 0, sizeof(*l));
	log_set_level(LOG_ERR - 1); /* the failure cases' messages are expected */
	r = dhcp_run(&p, &io, l);
	log_set_level(saved);
	return r;
}

static void check_lease(const struct dhcp_lease *l)
{
	CHECK(l->addr == YIADDR);
	CHECK(l->prefix == 24);
	CHECK(l->router == SERVER);
	CHECK(l->server == SERVER);
	CHECK(l->lease_s == 86400);
}

TEST(test_dhcp_broadcast_offer)
{
	struct fake f = { 0 };
	struct dhcp_lease l;

	CHECK(run(&f, s_good, 30000, &l) == 0);
	check_lease(&l);
	CHECK(f.nsent == 2);
	CHECK(f.sent[0].type == DHCP_DISCOVER && f.sent[1].type == DHCP_REQUEST);
	CHECK(f.sent[0].xid == 0x12345678 && f.sent[1].xid == 0x12345678);
	CHECK(f.sent[1].requested == YIADDR && f.sent[1].server == SERVER);
	CHECK(f.now - 1000000 == 2 * SRV_DELAY_MS);
}

TEST(test_dhcp_unicast_offer)
{
	struct fake f = { .unicast = true };
	struct dhcp_lease l;

	CHECK(run(&f, s_good, 30000, &l) == 0);
	check_lease(&l);
	CHECK(f.nsent == 2);
}

static void s_lose_first(struct fake *f, int n, const struct srv_request *q)
{
	if (n > 0) {
		answer(f, q);
	}
}

TEST(test_dhcp_lost_discover)
{
	struct fake f = { 0 };
	struct dhcp_lease l;

	CHECK(run(&f, s_lose_first, 30000, &l) == 0);
	check_lease(&l);
	CHECK(f.nsent == 3);
	CHECK(f.sent[1].type == DHCP_DISCOVER && f.sent[1].xid == f.sent[0].xid);
	CHECK(f.sent_at[1] - f.sent_at[0] == DHCP_RTX_FIRST_MS);
}

static void s_nak_first(struct fake *f, int n, const struct srv_request *q)
{
	if (n == 1) {
		queue(f, DHCP_NAK, q->xid, 0, SERVER);
		return;
	}
	answer(f, q);
}

TEST(test_dhcp_nak_restarts)
{
	struct fake f = { 0 };
	struct dhcp_lease l;

	CHECK(run(&f, s_nak_first, 30000, &l) == 0);
	check_lease(&l);
	CHECK(f.nsent == 4);
	CHECK(f.sent[0].type == DHCP_DISCOVER && f.sent[1].type == DHCP_REQUEST);
	CHECK(f.sent[2].type == DHCP_DISCOVER && f.sent[3].type == DHCP_REQUEST);
	CHECK(f.sent[2].xid != f.sent[0].xid); /* a new transaction */
	CHECK(f.sent_at[2] - f.sent_at[1] == SRV_DELAY_MS); /* at once, not after a timeout */
}

/* Replies to other transactions and other clients, and a NAK from a server
 * we did not ask, before the real ones. */
static void s_strangers(struct fake *f, int n, const struct srv_request *q)
{
	struct srv_reply other = { .type = DHCP_OFFER, .xid = q->xid, .mac = (const uint8_t *)"\x52\x54\x00\x99\x99\x99",
				   .yiaddr = 0x0a000263, .server = SERVER, .mask = 0xffffff00 };
	uint8_t frame[SRV_FRAME_MAX];

	queue(f, q->type == DHCP_DISCOVER ? DHCP_OFFER : DHCP_ACK, q->xid + 1, 0x0a000263, SERVER);
	queue_raw(f, frame, srv_frame(frame, &other));
	if (q->type == DHCP_REQUEST) {
		queue(f, DHCP_NAK, q->xid, 0, OTHER);
		queue(f, DHCP_ACK, q->xid, 0x0a000263, OTHER);
		queue(f, DHCP_OFFER, q->xid, 0x0a000263, SERVER); /* an OFFER while requesting */
	}
	answer(f, q);
}

TEST(test_dhcp_strangers_ignored)
{
	struct fake f = { 0 };
	struct dhcp_lease l;

	CHECK(run(&f, s_strangers, 30000, &l) == 0);
	check_lease(&l);
	CHECK(f.nsent == 2);
}

#define F_IP 14
#define F_UDP (F_IP + 20)
#define F_BOOTP (F_UDP + 8)
#define F_OPTS (F_BOOTP + 240)

enum { N_GARBAGE = 11 };

/* Broken copies of a good OFFER, and what the parser must say of each. */
static size_t garbage(int i, const struct srv_request *q, uint8_t *f, int *want)
{
	struct srv_reply r = { .type = DHCP_OFFER, .xid = q->xid, .mac = cmac, .yiaddr = YIADDR, .server = SERVER,
			       .mask = 0xffffff00, .router = SERVER, .lease_s = 60 };
	size_t n = srv_frame(f, &r);

	*want = -EBADMSG;
	switch (i) {
	case 0: /* noise */
		for (size_t k = 0; k < n; k++) {
			f[k] = (uint8_t)(k * 151 + 7);
		}
		*want = -ENOMSG; /* not IPv4 */
		return n;
	case 1:
		return F_BOOTP + 100; /* cut short */
	case 2:
		f[F_IP + 10] ^= 1; /* IP header checksum */
		return n;
	case 3:
		f[F_UDP + 3] = 69; /* another port */
		*want = -ENOMSG;
		return n;
	case 4:
		f[12] = 0x86; /* IPv6 ethertype */
		f[13] = 0xdd;
		*want = -ENOMSG;
		return n;
	case 5:
		f[F_IP + 6] = 0x20; /* more fragments */
		*want = -ENOMSG;
		return n;
	case 6:
		f[F_BOOTP + 236] = 0; /* magic cookie */
		return n;
	case 7:
		f[F_OPTS + 1] = 2; /* message type of length 2 */
		return n;
	case 8:
		f[F_OPTS] = 250; /* no message type: plain BOOTP */
		return n;
	case 9:
		f[F_UDP + 4] = 0x7f; /* UDP length beyond the packet */
		return n;
	default:
		f[n - 1] = 3; /* the END is a router option running off the end */
		return n;
	}
}

static void s_garbage(struct fake *f, int n, const struct srv_request *q)
{
	uint8_t frame[SRV_FRAME_MAX];
	struct dhcp_reply m;
	int want;

	for (int i = 0; q->type == DHCP_DISCOVER && i < N_GARBAGE; i++) {
		size_t len = garbage(i, q, frame, &want);
		int got = dhcp_parse_frame(frame, len, cmac, q->xid, &m);

		if (got != want) {
			printf("  garbage %d: %d, want %d\n", i, got, want);
		}
		CHECK(got == want);
		queue_raw(f, frame, len);
	}
	answer(f, q);
}

TEST(test_dhcp_garbage_ignored)
{
	struct fake f = { 0 };
	struct dhcp_lease l;

	CHECK(run(&f, s_garbage, 30000, &l) == 0);
	check_lease(&l);
	CHECK(f.nsent == 2);
}

static void s_silent(struct fake *f, int n, const struct srv_request *q)
{
}

TEST(test_dhcp_deadline)
{
	static const int64_t at[] = { 0, 1000, 3000, 7000, 15000, 23000, 31000, 39000 };
	struct fake f = { 0 };
	struct dhcp_lease l;

	CHECK(run(&f, s_silent, 40000, &l) == -ETIMEDOUT);
	CHECK(f.now - 1000000 == 40000); /* returns at the deadline, not a retransmission later */
	CHECK(f.nsent == (int)(sizeof(at) / sizeof(at[0])));
	for (int i = 0; i < f.nsent && i < (int)(sizeof(at) / sizeof(at[0])); i++) {
		CHECK(f.sent_at[i] - 1000000 == at[i]); /* 1, 2, 4, 8 s, then capped at 8 */
		CHECK(f.sent[i].type == DHCP_DISCOVER);
	}
}

/* Offers, then never answers a REQUEST: back to DISCOVER after DHCP_REQUEST_TRIES. */
static void s_offer_only(struct fake *f, int n, const struct srv_request *q)
{
	if (q->type == DHCP_DISCOVER) {
		answer(f, q);
	}
}

TEST(test_dhcp_request_unanswered)
{
	struct fake f = { 0 };
	struct dhcp_lease l;

	CHECK(run(&f, s_offer_only, 20000, &l) == -ETIMEDOUT);
	CHECK(f.nsent > 1 + DHCP_REQUEST_TRIES + 1);
	for (int i = 1; i <= DHCP_REQUEST_TRIES; i++) {
		CHECK(f.sent[i].type == DHCP_REQUEST);
	}
	CHECK(f.sent[1 + DHCP_REQUEST_TRIES].type == DHCP_DISCOVER);
	CHECK(f.sent[1 + DHCP_REQUEST_TRIES].xid != f.sent[0].xid);
}

TEST(test_dhcp_parse_fields)
{
	struct srv_reply r = { .type = DHCP_ACK, .xid = 7, .mac = cmac, .yiaddr = YIADDR, .server = SERVER,
			       .mask = 0xfffffe00, .router = 0x0a000001, .lease_s = 3600 };
	uint8_t frame[SRV_FRAME_MAX];
	struct dhcp_reply m;
	size_t n = srv_frame(frame, &r);

	CHECK(dhcp_parse_frame(frame, n, cmac, 7, &m) == 0);
	CHECK(m.type == DHCP_ACK && m.xid == 7 && m.yiaddr == YIADDR && m.server == SERVER);
	CHECK(m.has_mask && m.mask == 0xfffffe00 && m.has_router && m.router == 0x0a000001);
	CHECK(m.has_lease && m.lease_s == 3600);
	CHECK(dhcp_parse_frame(frame, n, cmac, 8, &m) == -ENOMSG);                   /* another xid */
	CHECK(dhcp_parse_frame(frame, n, (const uint8_t *)"\1\2\3\4\5\6", 7, &m) == -ENOMSG); /* another client */
	CHECK(dhcp_parse_bootp(frame + F_BOOTP, n - F_BOOTP, cmac, 7, &m) == 0);
	CHECK(dhcp_parse_bootp(frame + F_BOOTP, 239, cmac, 7, &m) == -EBADMSG);
	for (size_t k = 0; k < n; k++) { /* every truncation is refused, none read past it */
		CHECK(dhcp_parse_frame(frame, k, cmac, 7, &m) < 0);
	}
}

/* No subnet mask in the ACK: the classful default (10.x: /8); a mask with
 * holes: the ACK is ignored. */
static void s_no_mask(struct fake *f, int n, const struct srv_request *q)
{
	struct srv_reply r = { .type = q->type == DHCP_DISCOVER ? DHCP_OFFER : DHCP_ACK, .xid = q->xid, .mac = cmac,
			       .yiaddr = YIADDR, .server = SERVER, .no_mask = n < 3, .mask = 0xff00ff00 };
	uint8_t frame[SRV_FRAME_MAX];

	queue_raw(f, frame, srv_frame(frame, &r));
}

TEST(test_dhcp_mask)
{
	struct fake f = { 0 };
	struct dhcp_lease l;

	CHECK(run(&f, s_no_mask, 30000, &l) == 0);
	CHECK(l.addr == YIADDR && l.prefix == 8 && l.router == 0 && l.lease_s == 0);
	CHECK(f.nsent == 2);
	memset(&f, 0, sizeof(f));
	f.nsent = 3; /* the script's n: from the start, a mask with holes */
	CHECK(run(&f, s_no_mask, 5000, &l) == -ETIMEDOUT);
}
