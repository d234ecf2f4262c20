/* The DHCPv4 client (initramfs/dhcp.c) on a real interface: receive on an
 * AF_PACKET socket (the OFFER may be unicast to the address we do not have
 * yet, which a UDP socket never sees), send on a UDP socket bound to port
 * 68 and the interface, with SO_BROADCAST. */
#ifndef KDC_DHCPSOCK_H
#define KDC_DHCPSOCK_H

#include "initramfs/dhcp.h"

/* A lease for IFNAME (index IFINDEX, address MAC) within TIMEOUT_MS. 0,
 * -ETIMEDOUT, or -errno when a socket cannot be set up. The link must be
 * up (netlink_link_up) and should have carrier. */
int dhcpsock_run(const char *ifname, int ifindex, const uint8_t mac[NIC_MAC_LEN], int timeout_ms,
		 struct dhcp_lease *lease);

#endif
