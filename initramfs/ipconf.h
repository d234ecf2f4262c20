/* dracut's `ip=` syntax, as given in `kdumpcap.ip=` on the capture command
 * line to override what mkinitrd recorded (dracut.cmdline(7)):
 *   ip={dhcp|on|any|dhcp6|auto6}
 *   ip=<interface>:{dhcp|on|any|dhcp6|auto6}[:[<mtu>][:<macaddr>]]
 *   ip=<client-IP>:[<peer>]:<gateway-IP>:<netmask>:<hostname>:<interface>:
 *      {none|off|dhcp|on|any|dhcp6|auto6}[:[<mtu>][:<macaddr>]]
 * IPv6 addresses are written in brackets ([2001:db8::1]); the netmask is a
 * dotted quad or a prefix length. */
#ifndef KDC_IPCONF_H
#define KDC_IPCONF_H

#include <stdbool.h>
#include <stdint.h>

#include "initramfs/nic.h"

#define IPCONF_IFNAME_MAX 16 /* IF_NAMESIZE */
#define IPCONF_HOST_MAX 65   /* HOST_NAME_MAX and its NUL */
#define IPCONF_ADDR_MAX 16   /* an IPv6 address */

enum ipconf_method {
	IPCONF_STATIC, /* none, off: the address given */
	IPCONF_DHCP,   /* dhcp, on, any */
	IPCONF_DHCP6,
	IPCONF_AUTO6,  /* SLAAC: the kernel does it once the link is up */
};

struct ipconf {
	enum ipconf_method method;
	int family;                      /* AF_INET or AF_INET6 of the static addresses; 0 without */
	uint8_t addr[IPCONF_ADDR_MAX];   /* client address (network byte order) */
	uint8_t peer[IPCONF_ADDR_MAX];   /* the server, when given */
	uint8_t gw[IPCONF_ADDR_MAX];     /* default gateway, when given */
	unsigned prefix;                 /* from the netmask */
	bool has_addr, has_peer, has_gw;
	char ifname[IPCONF_IFNAME_MAX];  /* "" when not named */
	char hostname[IPCONF_HOST_MAX];
	unsigned mtu;                    /* 0 when not given */
	bool has_mac;
	uint8_t mac[NIC_MAC_LEN];
};

/* Parse S (the value after `ip=`) into *C. 0, or -EINVAL with the reason in
 * WHY (a static string naming the bad field). */
int ipconf_parse(struct ipconf *c, const char *s, const char **why);
const char *ipconf_method_name(enum ipconf_method m);

#endif
