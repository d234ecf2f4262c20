/* DHCPv4 client protocol (RFC 2131, options RFC 2132), without sockets:
 * the reply parser and the DISCOVER -> OFFER -> REQUEST -> ACK state
 * machine take their clock and I/O from the caller, so a scripted server
 * can drive them in a unit test. initramfs/dhcpsock.c runs it on a NIC.
 * Addresses are host-order uint32_t (10.0.2.15 is 0x0a00020f). */
#ifndef KDC_DHCP_H
#define KDC_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "initramfs/nic.h"

#define DHCP_FRAME_MAX 1536 /* receive buffer: one Ethernet frame */
#define DHCP_MSG_MAX 576    /* what we send; RFC 2131 section 2: every client and server takes 576 */
#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68

enum dhcp_type { /* option 53 */
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
};

/* A server's reply, as parsed. */
struct dhcp_reply {
	uint8_t type;      /* DHCP_OFFER, DHCP_ACK or DHCP_NAK */
	uint32_t xid;
	uint32_t yiaddr;   /* the address offered or acknowledged */
	uint32_t server;   /* option 54, 0 when absent */
	uint32_t mask;     /* option 1 */
	uint32_t router;   /* first of option 3 */
	uint32_t lease_s;  /* option 51 */
	bool has_mask, has_router, has_lease;
};

/* What the client ends with. */
struct dhcp_lease {
	uint32_t addr;
	unsigned prefix;   /* from the subnet mask (classful when the server sent none) */
	uint32_t router;   /* 0 when none */
	uint32_t server;
	uint32_t lease_s;  /* 0 when not given */
};

/* Parse F (LEN bytes: an Ethernet frame as an AF_PACKET SOCK_RAW socket
 * gives it) as a DHCP reply to transaction XID of the client MAC. 0 with
 * *OUT filled; -ENOMSG when the frame is not that (other traffic, another
 * client or transaction, a fragment); -EBADMSG when it is malformed. */
int dhcp_parse_frame(const uint8_t *f, size_t len, const uint8_t mac[NIC_MAC_LEN], uint32_t xid,
		     struct dhcp_reply *out);
/* The same for a UDP payload (the BOOTP message alone). */
int dhcp_parse_bootp(const uint8_t *p, size_t len, const uint8_t mac[NIC_MAC_LEN], uint32_t xid,
		     struct dhcp_reply *out);

/* The client's environment. recv and send errors are -errno. */
struct dhcp_io {
	void *ctx;
	int64_t (*now_ms)(void *ctx); /* a monotonic clock */
	/* Broadcast one DHCP message (the UDP payload) to the server port. */
	int (*send)(void *ctx, const uint8_t *msg, size_t len);
	/* Wait up to TIMEOUT_MS for one received frame: its length, or 0
	 * when nothing (or nothing worth parsing) came. */
	ssize_t (*recv)(void *ctx, uint8_t *buf, size_t size, int timeout_ms);
};

struct dhcp_params {
	const char *ifname;            /* for messages */
	uint8_t mac[NIC_MAC_LEN];
	uint32_t xid;                  /* first transaction id: random */
	int timeout_ms;                /* the whole exchange, retransmissions included */
};

/* Retransmission: 1, 2, 4, 8, 8, ... s (RFC 2131 4.1 suggests 4 s doubling
 * to 64 s, for a client that has all day; a capture kernel does not). A
 * REQUEST unanswered this many times starts over with a DISCOVER. */
#define DHCP_RTX_FIRST_MS 1000
#define DHCP_RTX_MAX_MS 8000
#define DHCP_REQUEST_TRIES 4

/* DISCOVER -> OFFER -> REQUEST -> ACK; a NAK starts over. 0 with *LEASE,
 * -ETIMEDOUT when no lease came within p->timeout_ms, or a recv error. */
int dhcp_run(const struct dhcp_params *p, const struct dhcp_io *io, struct dhcp_lease *lease);

#endif
