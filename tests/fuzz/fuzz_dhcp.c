/* DHCP replies from the network. The first byte picks what the rest is:
 *   0: an Ethernet frame for dhcp_parse_frame
 *   1: a BOOTP message for dhcp_parse_bootp
 *   2: what a server sends the client state machine, as frames each
 *      preceded by a 16-bit big-endian length, over a fake clock
 * The client is FUZZ_MAC with first transaction id FUZZ_XID (the seeds
 * carry both; tests/fuzz/make-seeds-net.py). */
#include <string.h>

#include "initramfs/dhcp.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_XID 0x12345678
#define FUZZ_TIMEOUT_MS 60000
#define FUZZ_STEP_MS 3 /* between two frames */

static const uint8_t mac[NIC_MAC_LEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct script {
	const uint8_t *p;
	size_t left;
	int64_t now;
	unsigned sent;
};

static int64_t s_now(void *ctx)
{
	return ((struct script *)ctx)->now;
}

static int s_send(void *ctx, const uint8_t *msg, size_t len)
{
	struct script *s = ctx;

	if (len < 240 || len > DHCP_MSG_MAX || msg[0] != 1) { /* a BOOTREQUEST of bounded size */
		__builtin_trap();
	}
	s->sent++;
	return 0;
}

static ssize_t s_recv(void *ctx, uint8_t *buf, size_t size, int timeout_ms)
{
	struct script *s = ctx;
	size_t n;

	if (timeout_ms <= 0 || timeout_ms > DHCP_RTX_MAX_MS) {
		__builtin_trap();
	}
	if (s->left < 2) {
		s->now += timeout_ms;
		return 0;
	}
	n = (size_t)(s->p[0] << 8 | s->p[1]);
	s->p += 2;
	s->left -= 2;
	n = n < s->left ? n : s->left;
	n = n < size ? n : size;
	memcpy(buf, s->p, n);
	s->p += n;
	s->left -= n;
	s->now += FUZZ_STEP_MS < timeout_ms ? FUZZ_STEP_MS : timeout_ms;
	return (ssize_t)n;
}

static void run(const uint8_t *data, size_t size)
{
	struct script s = { .p = data, .left = size };
	struct dhcp_io io = { .ctx = &s, .now_ms = s_now, .send = s_send, .recv = s_recv };
	struct dhcp_params p = { .ifname = "fuzz0", .xid = FUZZ_XID, .timeout_ms = FUZZ_TIMEOUT_MS };
	struct dhcp_lease l;

	memcpy(p.mac, mac, sizeof(mac));
	if (dhcp_run(&p, &io, &l) == 0 && (!l.addr || l.prefix > 32 || !l.server)) {
		__builtin_trap();
	}
	if (s.now > FUZZ_TIMEOUT_MS + DHCP_RTX_MAX_MS) { /* the deadline holds */
		__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_reply m;

	fuzz_quiet();
	if (size < 1) {
		return 0;
	}
	switch (data[0]) {
	case 0:
		if (dhcp_parse_frame(data + 1, size - 1, mac, FUZZ_XID, &m) == 0 && m.type != DHCP_OFFER &&
		    m.type != DHCP_ACK && m.type != DHCP_NAK) {
			__builtin_trap();
		}
		break;
	case 1:
		(void)dhcp_parse_bootp(data + 1, size - 1, mac, FUZZ_XID, &m);
		break;
	default:
		run(data + 1, size - 1);
		break;
	}
	return 0;
}
