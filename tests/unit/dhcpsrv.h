/* A scripted DHCP server's frames for the client tests (test_dhcp.c over a
 * fake clock, test_netns.c over a veth pair). */
#ifndef KDC_TEST_DHCPSRV_H
#define KDC_TEST_DHCPSRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "initramfs/dhcp.h"

#define SRV_FRAME_MAX 700

struct srv_reply {
	uint8_t type;            /* DHCP_OFFER, DHCP_ACK, DHCP_NAK */
	uint32_t xid;
	const uint8_t *mac;      /* the client's */
	uint32_t yiaddr, server, mask, router, lease_s;
	bool unicast;            /* to the client's MAC and yiaddr, else broadcast */
	bool no_mask;            /* leave out option 1 */
};

/* An Ethernet/IPv4/UDP frame holding R into F (SRV_FRAME_MAX); its length. */
size_t srv_frame(uint8_t *f, const struct srv_reply *r);

/* What a client sent (a BOOTP message: the UDP payload). */
struct srv_request {
	uint8_t type;          /* option 53 */
	uint32_t xid;
	uint16_t flags;
	uint32_t requested;    /* option 50, 0 when absent */
	uint32_t server;       /* option 54, 0 when absent */
	uint8_t chaddr[6];
};
/* Parse a client's message (trusted test input: fixed offsets). 0 or -1. */
int srv_parse_request(const uint8_t *p, size_t len, struct srv_request *q);

#endif
