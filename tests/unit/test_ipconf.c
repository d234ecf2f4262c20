/* dracut ip= parsing (kdumpcap.ip=), the MAC helpers and the sysfs lookup. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initramfs/ipconf.h"
#include "initramfs/nic.h"
#include "tests/unit/t.h"

static bool is_addr(const uint8_t *a, int family, const char *text)
{
	uint8_t want[16];

	return inet_pton(family, text, want) == 1 && !memcmp(a, want, family == AF_INET ? 4 : 16);
}

TEST(test_ipconf_static_v4)
{
	struct ipconf c;
	const char *why;

	CHECK(ipconf_parse(&c, "192.168.1.20:192.168.1.1:192.168.1.254:255.255.255.0:crashy:eth0:none", &why) == 0);
	CHECK(c.method == IPCONF_STATIC && c.family == AF_INET && c.prefix == 24);
	CHECK(c.has_addr && is_addr(c.addr, AF_INET, "192.168.1.20"));
	CHECK(c.has_peer && is_addr(c.peer, AF_INET, "192.168.1.1"));
	CHECK(c.has_gw && is_addr(c.gw, AF_INET, "192.168.1.254"));
	CHECK(!strcmp(c.hostname, "crashy") && !strcmp(c.ifname, "eth0"));
	CHECK(c.mtu == 0 && !c.has_mac);
	/* no peer, no gateway, no hostname, no interface, a prefix length, off */
	CHECK(ipconf_parse(&c, "10.0.0.5:::20:::off", &why) == 0);
	CHECK(c.method == IPCONF_STATIC && c.prefix == 20 && !c.has_peer && !c.has_gw && !c.ifname[0]);
	/* MTU and MAC after the method */
	CHECK(ipconf_parse(&c, "10.0.0.5::10.0.0.1:255.255.0.0::ens3:none:9000:52:54:00:AB:cd:ef", &why) == 0);
	CHECK(c.prefix == 16 && c.mtu == 9000 && c.has_mac && !memcmp(c.mac, "\x52\x54\x00\xab\xcd\xef", 6));
	CHECK(ipconf_parse(&c, "10.0.0.5::10.0.0.1:255.255.0.0::ens3:none::52:54:00:ab:cd:ef", &why) == 0);
	CHECK(c.mtu == 0 && c.has_mac);
	/* DNS servers where the MTU would be: accepted, not used */
	CHECK(ipconf_parse(&c, "10.0.0.5::10.0.0.1:16::ens3:none:10.0.0.53:10.0.0.54", &why) == 0);
	CHECK(c.mtu == 0 && !c.has_mac);
}

TEST(test_ipconf_static_v6)
{
	struct ipconf c;
	const char *why;

	CHECK(ipconf_parse(&c, "[2001:db8::5]::[fe80::1]:64:host:eth1:none", &why) == 0);
	CHECK(c.family == AF_INET6 && c.prefix == 64 && is_addr(c.addr, AF_INET6, "2001:db8::5"));
	CHECK(c.has_gw && is_addr(c.gw, AF_INET6, "fe80::1") && !c.has_peer);
	CHECK(ipconf_parse(&c, "[2001:db8::5]:[2001:db8::9]::128:::none", &why) == 0);
	CHECK(c.prefix == 128 && c.has_peer && !c.has_gw);
}

TEST(test_ipconf_dhcp_forms)
{
	struct ipconf c;
	const char *why;

	CHECK(ipconf_parse(&c, "dhcp", &why) == 0 && c.method == IPCONF_DHCP && !c.ifname[0]);
	CHECK(ipconf_parse(&c, "on", &why) == 0 && c.method == IPCONF_DHCP);
	CHECK(ipconf_parse(&c, "any", &why) == 0 && c.method == IPCONF_DHCP);
	CHECK(ipconf_parse(&c, "dhcp6", &why) == 0 && c.method == IPCONF_DHCP6);
	CHECK(ipconf_parse(&c, "auto6", &why) == 0 && c.method == IPCONF_AUTO6);
	CHECK(ipconf_parse(&c, "eth0:dhcp", &why) == 0 && c.method == IPCONF_DHCP && !strcmp(c.ifname, "eth0"));
	CHECK(ipconf_parse(&c, "enp1s0:auto6:1400", &why) == 0 && c.method == IPCONF_AUTO6 && c.mtu == 1400);
	CHECK(ipconf_parse(&c, "eth0:dhcp::52:54:00:12:34:56", &why) == 0 && c.has_mac && c.mac[5] == 0x56);
	CHECK(ipconf_parse(&c, ":::::eth2:dhcp", &why) == 0 && c.method == IPCONF_DHCP && !strcmp(c.ifname, "eth2"));
	CHECK(ipconf_parse(&c, "10.0.0.7::::::dhcp", &why) == 0 && c.method == IPCONF_DHCP && c.has_addr);
	CHECK(!strcmp(ipconf_method_name(IPCONF_DHCP6), "dhcp6"));
}

TEST(test_ipconf_bad)
{
	static const char *const bad[] = {
		"",
		"none",                                            /* static needs an address */
		"dhcpx",
		"eth0:none",
		":dhcp",                                           /* no interface */
		"eth0:dhcp:12",                                    /* MTU below 68 */
		"eth0:dhcp:70000",
		"eth0:dhcp:1500:52:54:00:12:34",                   /* short MAC */
		"eth0:dhcp:1500:52:54:00:12:34:567",
		"10.0.0.5::10.0.0.1:255.255.0.0::eth0",            /* no method */
		"10.0.0.5::10.0.0.1:255.255.0.0::eth0:static",     /* unknown method */
		"10.0.0.5::10.0.0.1:255.0.255.0::eth0:none",       /* mask with holes */
		"10.0.0.5::10.0.0.1:33::eth0:none",
		"10.0.0.5::10.0.0.1:::eth0:none",                  /* static without a netmask */
		":::24::eth0:none",                                /* static without an address */
		"10.0.0.256::::::dhcp",
		"10.0.0.5::[fe80::1]:24::eth0:none",               /* families differ */
		"[2001:db8::5::64::eth0:none",                     /* unclosed bracket */
		"[2001:db8::5]:::129::eth0:none",
		"2001:db8::5:::64::eth0:none",                     /* IPv6 without brackets */
		"10.0.0.5:::24::averyveryverylongname:none",       /* interface name > 15 */
		"10.0.0.5:::24::../x:none",
		"[::1]:dhcp",                                      /* an address where the interface goes */
		"eth 0:dhcp",
		"10.0.0.5:::24:h:eth0:none:1500:xx",
		"10.0.0.5:::24:h:eth0:none:10.0.0.53:bogus",
		"eth0:dhcp:10.0.0.53:10.0.0.54:extra",
		"10.0.0.5:::24:" /* hostname over 64 bytes */
		"hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh:eth0:none",
		"10.0.0.5:::24:" /* a field past any sane length */
		"hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh:eth0:none",
	};
	struct ipconf c;
	const char *why;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = ipconf_parse(&c, bad[i], &why);

		if (r != -EINVAL) {
			printf("  accepted: ip=%s\n", bad[i]);
		}
		CHECK(r == -EINVAL && why && why[0]);
	}
}

TEST(test_nic_mac)
{
	uint8_t mac[NIC_MAC_LEN];
	char s[NIC_MAC_STRLEN];

	CHECK(nic_mac_parse("52:54:00:AB:cd:0f\n", mac) == 0);
	nic_mac_format(mac, s);
	CHECK(!strcmp(s, "52:54:00:ab:cd:0f"));
	CHECK(nic_mac_parse("52:54:00:ab:cd", mac) == -EINVAL);
	CHECK(nic_mac_parse("52:54:00:ab:cd:0f:", mac) == -EINVAL);
	CHECK(nic_mac_parse("52-54-00-ab-cd-0f", mac) == -EINVAL);
	CHECK(nic_mac_parse("5:54:00:ab:cd:0f0", mac) == -EINVAL);
	CHECK(nic_mac_parse("", mac) == -EINVAL);
}

static void put(const char *dir, const char *name, const char *file, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%s/%s", dir, name, file);
	f = fopen(p, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

TEST(test_nic_find_by_mac)
{
	char dir[] = "/tmp/kdc-sysnet-XXXXXX", name[16], cmd[64];
	uint8_t mac[NIC_MAC_LEN];
	int idx = 0;

	CHECK(mkdtemp(dir) != NULL);
	put(dir, "lo", "address", "00:00:00:00:00:00\n");
	put(dir, "lo", "ifindex", "1\n");
	put(dir, "eth0", "address", "52:54:00:12:34:56\n");
	put(dir, "eth0", "ifindex", "2\n");
	put(dir, "ens4", "address", "52:54:00:12:34:57\n");
	put(dir, "ens4", "ifindex", "7\n");
	put(dir, "broken", "address", "52:54:00:12:34:58\n");
	put(dir, "broken", "ifindex", "x\n");
	nic_mac_parse("52:54:00:12:34:57", mac);
	CHECK(nic_find_by_mac(dir, mac, name, sizeof(name), &idx) == 0);
	CHECK(!strcmp(name, "ens4") && idx == 7);
	nic_mac_parse("52:54:00:12:34:58", mac);
	CHECK(nic_find_by_mac(dir, mac, name, sizeof(name), &idx) == -ENODEV);
	nic_mac_parse("52:54:00:12:34:59", mac);
	CHECK(nic_find_by_mac(dir, mac, name, sizeof(name), &idx) == -ENODEV);
	CHECK(nic_find_by_mac("/nonexistent/kdc", mac, name, sizeof(name), &idx) == -ENOENT);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}
