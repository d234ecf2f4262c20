/* Bring the capture kernel's network up, from the building blocks: the NIC
 * by MAC (or name), link up, carrier, then a static address or a DHCP
 * lease, and the default route; one console message per step that fails,
 * saying what to check. Not yet called by PID 1 (issue 8). */
#ifndef KDC_NETUP_H
#define KDC_NETUP_H

#include <netinet/in.h>

#include "initramfs/ipconf.h"
#include "initramfs/nic.h"

#define NETUP_CARRIER_MS 10000 /* link negotiation takes up to ~3 s on real NICs */
#define NETUP_DHCP_MS 30000

struct netup_cfg {
	struct ipconf ip;              /* the method and static addresses (mkinitrd, or kdumpcap.ip=) */
	uint8_t mac[NIC_MAC_LEN];      /* the NIC recorded at image build, when ip has none */
	bool has_mac;                  /* else ip.ifname names the interface */
	int carrier_ms, dhcp_ms;
};

struct netup_result {
	char ifname[IPCONF_IFNAME_MAX];
	int ifindex;
	uint8_t mac[NIC_MAC_LEN];
	int family;                    /* 0 for auto6: the kernel's SLAAC picks the address later */
	uint8_t addr[IPCONF_ADDR_MAX];
	unsigned prefix;
	char addr_text[INET6_ADDRSTRLEN]; /* for the dump directory name */
};

/* Up under SYSFS (/sys/class/net). 0, or -errno after a console message. */
int netup_run(const char *sysfs, const struct netup_cfg *cfg, struct netup_result *out);

#endif
