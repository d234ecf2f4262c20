/* The capture kernel's network bring-up. DHCPv6 is not done: a static
 * address or SLAAC (auto6) covers IPv6 targets. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initramfs/dhcpsock.h"
#include "initramfs/netlink.h"
#include "initramfs/netup.h"
#include "lib/io.h"
#include "lib/log.h"

/* The interface named in kdumpcap.ip=: its index and MAC into OUT. */
static int find_by_name(const char *sysfs, const char *name, struct netup_result *out)
{
	char path[PATH_MAX], text[32];

	snprintf(out->ifname, sizeof(out->ifname), "%s", name);
	snprintf(path, sizeof(path), "%s/%s/ifindex", sysfs, name);
	out->ifindex = io_read_text(path, text, sizeof(text)) > 0 ? atoi(text) : 0;
	snprintf(path, sizeof(path), "%s/%s/address", sysfs, name);
	if (out->ifindex <= 0 || io_read_text(path, text, sizeof(text)) < 0 || nic_mac_parse(text, out->mac) < 0) {
		log_err("network: no Ethernet interface %s in %s; check kdumpcap.ip= and that the image has the "
			"NIC's driver",
			name, sysfs);
		return -ENODEV;
	}
	return 0;
}

/* The interface by MAC, or by name: its name, index and MAC into OUT. */
static int find(const char *sysfs, const struct netup_cfg *cfg, struct netup_result *out)
{
	const uint8_t *mac = cfg->ip.has_mac ? cfg->ip.mac : cfg->has_mac ? cfg->mac : NULL;
	char mtext[NIC_MAC_STRLEN];
	int err;

	if (!mac && !cfg->ip.ifname[0]) {
		log_err("network: neither a MAC nor an interface name to use; give kdumpcap.ip=<interface>:dhcp");
		return -EINVAL;
	}
	if (!mac) {
		return find_by_name(sysfs, cfg->ip.ifname, out);
	}
	memcpy(out->mac, mac, NIC_MAC_LEN);
	err = nic_find_by_mac(sysfs, mac, out->ifname, sizeof(out->ifname), &out->ifindex);
	if (err < 0) {
		nic_mac_format(mac, mtext);
		log_err("network: no interface with MAC %s in %s (%s); check that the image has the NIC's driver "
			"and that the MAC recorded by mkinitrd is this machine's",
			mtext, sysfs, strerror(-err));
	}
	return err;
}

static int link_up(struct netlink *nl, const struct netup_cfg *cfg, const struct netup_result *out)
{
	int err = cfg->ip.mtu ? netlink_link_mtu(nl, out->ifindex, cfg->ip.mtu) : 0;

	if (err < 0) {
		log_err("network: cannot set the MTU of %s to %u: %s; check kdumpcap.ip=", out->ifname, cfg->ip.mtu,
			strerror(-err));
		return err;
	}
	err = netlink_link_up(nl, out->ifindex);
	if (err < 0) {
		log_err("network: cannot bring %s up: %s", out->ifname, strerror(-err));
		return err;
	}
	err = netlink_wait_carrier(nl, out->ifindex, cfg->carrier_ms);
	if (err < 0) {
		log_err("network: %s has no carrier after %d s (%s); check the cable and the switch port", out->ifname,
			cfg->carrier_ms / 1000, strerror(-err));
	}
	return err;
}

/* The address (and the default route via GW when it is given). */
static int configure(struct netlink *nl, struct netup_result *out, const uint8_t *gw)
{
	char gtext[INET6_ADDRSTRLEN] = "";
	int err;

	inet_ntop(out->family, out->addr, out->addr_text, sizeof(out->addr_text));
	err = netlink_addr_add(nl, out->ifindex, out->family, out->addr, out->prefix);
	if (err < 0) {
		log_err("network: cannot add %s/%u to %s: %s", out->addr_text, out->prefix, out->ifname, strerror(-err));
		return err;
	}
	if (gw) {
		inet_ntop(out->family, gw, gtext, sizeof(gtext));
		err = netlink_route_add_default(nl, out->ifindex, out->family, gw);
		if (err < 0) {
			log_err("network: cannot route via %s on %s: %s; is the gateway inside %s/%u?", gtext, out->ifname,
				strerror(-err), out->addr_text, out->prefix);
			return err;
		}
	}
	log_info("network: %s is %s/%u%s%s", out->ifname, out->addr_text, out->prefix, gw ? ", gateway " : "", gtext);
	return 0;
}

static int by_dhcp(struct netlink *nl, const struct netup_cfg *cfg, struct netup_result *out)
{
	struct dhcp_lease l;
	uint8_t gw[4];
	uint32_t a;
	int err = dhcpsock_run(out->ifname, out->ifindex, out->mac, cfg->dhcp_ms, &l);

	if (err < 0) {
		return err; /* dhcp said why */
	}
	out->family = AF_INET;
	a = htonl(l.addr);
	memcpy(out->addr, &a, sizeof(a));
	out->prefix = l.prefix;
	a = htonl(l.router);
	memcpy(gw, &a, sizeof(a));
	return configure(nl, out, l.router ? gw : NULL);
}

int netup_run(const char *sysfs, const struct netup_cfg *cfg, struct netup_result *out)
{
	struct netlink nl;
	int err;

	memset(out, 0, sizeof(*out));
	err = find(sysfs, cfg, out);
	if (err < 0) {
		return err;
	}
	err = netlink_open(&nl);
	if (err < 0) {
		log_err("network: cannot open rtnetlink: %s", strerror(-err));
		return err;
	}
	err = link_up(&nl, cfg, out);
	if (err < 0) {
		goto close_nl;
	}
	switch (cfg->ip.method) {
	case IPCONF_STATIC:
		out->family = cfg->ip.family;
		memcpy(out->addr, cfg->ip.addr, sizeof(out->addr));
		out->prefix = cfg->ip.prefix;
		err = configure(&nl, out, cfg->ip.has_gw ? cfg->ip.gw : NULL);
		break;
	case IPCONF_DHCP:
		err = by_dhcp(&nl, cfg, out);
		break;
	case IPCONF_AUTO6:
		log_info("network: %s is up; the kernel configures IPv6 from router advertisements", out->ifname);
		break;
	default:
		log_err("network: %s is not supported in the capture kernel; use dhcp, auto6 or a static address",
			ipconf_method_name(cfg->ip.method));
		err = -EOPNOTSUPP;
	}
close_nl:
	netlink_close(&nl);
	return err;
}
