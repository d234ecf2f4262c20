/* mkinitrd's look at the network toward a network target: the interface
 * that routes to it on the build machine (from /proc/net/route), its MAC,
 * its driver chain, and its IPv4 address: static, or DHCP when the address
 * has a finite lifetime (as DHCP clients set it; read over rtnetlink). */
#ifndef KDC_HOSTNET_H
#define KDC_HOSTNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "initramfs/nic.h"

struct moddb;

struct hostnet {
	char ifname[16];
	int ifindex;
	uint32_t gw;            /* network byte order; 0: on-link */
	uint32_t addr;          /* network byte order */
	unsigned prefix;
	bool dynamic;           /* finite lifetime: set by a DHCP client */
	uint8_t mac[NIC_MAC_LEN];
};

/* The route to DST (network byte order) in TEXT (/proc/net/route's format):
 * longest prefix, then lowest metric. 0 or -ENETUNREACH. */
int hostnet_route(const char *text, uint32_t dst, char ifname[16], uint32_t *gw);
/* The first IPv4 address on IFINDEX: address, prefix, finite lifetime. */
int hostnet_addr(int ifindex, uint32_t *addr, unsigned *prefix, bool *dynamic);
/* All of it for DST under SYSFS (/sys/class/net) and ROUTES (/proc/net/route). 0 or -errno. */
int hostnet_lookup(const char *sysfs, const char *routes, uint32_t dst, struct hostnet *h);
/* The dump_ip / dump_mac lines for H into OUT. */
int hostnet_conf_lines(const struct hostnet *h, char *out, size_t n);
/* Want the driver chain of H's device (sysfs device/driver/module upward). Count found. */
int hostnet_drivers(struct moddb *db, const char *sysfs, const char *ifname);

#endif
