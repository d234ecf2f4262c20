/* rtnetlink and the DHCP client on real sockets, in a private network
 * namespace (a forked child: unshare(CLONE_NEWNET | CLONE_NEWNS), as root)
 * with a veth pair: kdc0 is the client, a scripted server answers on kdc1.
 * Nothing leaves the namespace. Results are read back through interfaces
 * other than rtnetlink: ioctl(SIOCGIFADDR), /proc/net/route, if_inet6,
 * ipv6_route, and the namespace's own sysfs. Skipped (with a message) when
 * namespaces cannot be made. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "initramfs/dhcpsock.h"
#include "initramfs/hostnet.h"
#include "initramfs/netlink.h"
#include "initramfs/netup.h"
#include "initramfs/nic.h"
#include "lib/io.h"
#include "lib/log.h"
#include "tests/unit/dhcpsrv.h"
#include "tests/unit/t.h"

#define CLIENT "kdc0"
#define SERVER "kdc1"
#define LEASE_ADDR 0xc0000232 /* 192.0.2.50 */
#define SERVER_ADDR 0xc0000201 /* 192.0.2.1 */
#define IF_OPER_LOWERLAYERDOWN 3 /* RFC 2863; <linux/if.h> has it but clashes with <net/if.h> */

static const uint8_t mac0[6] = { 0x02, 0x6b, 0x64, 0x63, 0x00, 0x01 };
static const uint8_t mac1[6] = { 0x02, 0x6b, 0x64, 0x63, 0x00, 0x02 };

/* Nested attribute building for the veth request (test-only). */
struct msg {
	union {
		struct nlmsghdr h;
		uint8_t b[512];
	} u;
};

static struct rtattr *attr(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)(m->u.b + NLMSG_ALIGN(m->u.h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (data) {
		memcpy(RTA_DATA(a), data, len);
	}
	m->u.h.nlmsg_len = NLMSG_ALIGN(m->u.h.nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

static void nest_end(struct msg *m, struct rtattr *a)
{
	a->rta_len = (unsigned short)(m->u.b + m->u.h.nlmsg_len - (uint8_t *)a);
}

/* ip link add kdc0 address MAC0 type veth peer name kdc1 address MAC1 */
static int make_veth(struct netlink *nl)
{
	struct msg m = { 0 };
	struct ifinfomsg peer = { .ifi_family = AF_UNSPEC };
	struct rtattr *info, *data, *p;
	struct netlink_reply rep;
	uint8_t buf[4096];
	ssize_t n;

	m.u.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	m.u.h.nlmsg_type = RTM_NEWLINK;
	m.u.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	m.u.h.nlmsg_seq = 4242;
	attr(&m, IFLA_IFNAME, CLIENT, sizeof(CLIENT));
	attr(&m, IFLA_ADDRESS, mac0, 6);
	info = attr(&m, IFLA_LINKINFO, NULL, 0);
	attr(&m, IFLA_INFO_KIND, "veth", 4);
	data = attr(&m, IFLA_INFO_DATA, NULL, 0);
	p = attr(&m, VETH_INFO_PEER, &peer, sizeof(peer));
	attr(&m, IFLA_IFNAME, SERVER, sizeof(SERVER));
	attr(&m, IFLA_ADDRESS, mac1, 6);
	nest_end(&m, p);
	nest_end(&m, data);
	nest_end(&m, info);
	if (send(nl->fd, m.u.b, m.u.h.nlmsg_len, 0) < 0) {
		return -errno;
	}
	n = recv(nl->fd, buf, sizeof(buf), 0);
	if (n < 0) {
		return -errno;
	}
	if (netlink_parse(buf, (size_t)n, 4242, &rep) < 0 || !rep.done) {
		return -EBADMSG;
	}
	return rep.err;
}

/* The scripted server on kdc1: the first DISCOVER is lost, then unicast
 * OFFER and ACK, as QEMU's slirp and many relays send them. */
static void dhcp_server(int ifindex)
{
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = ifindex };
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP)), seen = 0;
	uint8_t in[2048], out[SRV_FRAME_MAX];

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		_exit(2);
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct srv_request q;
		ssize_t n;

		if (poll(&p, 1, 20000) <= 0) {
			_exit(3);
		}
		n = recv(fd, in, sizeof(in), 0);
		if (n < 14 + 20 + 8 || in[14 + 9] != 17 || in[14 + 20 + 3] != 67 ||
		    srv_parse_request(in + 42, (size_t)n - 42, &q) < 0 || seen++ == 0) {
			continue;
		}
		struct srv_reply r = { .type = q.type == DHCP_DISCOVER ? DHCP_OFFER : DHCP_ACK, .xid = q.xid,
				       .mac = q.chaddr, .yiaddr = LEASE_ADDR, .server = SERVER_ADDR,
				       .mask = 0xffffff00, .router = SERVER_ADDR, .lease_s = 600, .unicast = true };
		size_t len = srv_frame(out, &r);
		struct sockaddr_ll to = sa;

		to.sll_halen = 6;
		memcpy(to.sll_addr, q.chaddr, 6);
		if (sendto(fd, out, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len) {
			_exit(4);
		}
		if (r.type == DHCP_ACK) {
			_exit(0);
		}
	}
}

static bool file_has(const char *path, const char *needle)
{
	static char text[16384];

	return io_read_text(path, text, sizeof(text)) > 0 && strstr(text, needle);
}

static uint32_t ifaddr(const char *ifname, unsigned long req)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint32_t a = 0;

	strcpy(ifr.ifr_name, ifname);
	if (fd >= 0 && ioctl(fd, req, &ifr) == 0) {
		a = ntohl(((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr);
	}
	if (fd >= 0) {
		close(fd);
	}
	return a;
}

static int mtu(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), m = -1;

	strcpy(ifr.ifr_name, ifname);
	if (fd >= 0 && ioctl(fd, SIOCGIFMTU, &ifr) == 0) {
		m = ifr.ifr_mtu;
	}
	if (fd >= 0) {
		close(fd);
	}
	return m;
}

/* In the new namespaces: the NIC by MAC, link up and carrier, a lease, the
 * address and routes. */
static void in_netns(const char *sysfs)
{
	struct netlink nl;
	struct netlink_link l;
	struct dhcp_lease lease;
	char name[IF_NAMESIZE];
	int idx0 = 0, idx1 = 0;
	pid_t srv;
	uint8_t a6[16], gw6[16];
	uint32_t a4, gw4;

	CHECK(netlink_open(&nl) == 0);
	CHECK(make_veth(&nl) == 0);
	CHECK(nic_find_by_mac(sysfs, mac0, name, sizeof(name), &idx0) == 0 && !strcmp(name, CLIENT));
	CHECK(nic_find_by_mac(sysfs, mac1, name, sizeof(name), &idx1) == 0 && !strcmp(name, SERVER));
	CHECK(netlink_link_up(&nl, 99999) == -ENODEV);
	CHECK(netlink_link_up(&nl, idx0) == 0);
	CHECK(netlink_link_get(&nl, idx0, &l) == 0 && (l.flags & IFF_UP) && !(l.flags & IFF_LOWER_UP));
	CHECK(!strcmp(l.ifname, CLIENT) && l.operstate == IF_OPER_LOWERLAYERDOWN);
	CHECK(netlink_wait_carrier(&nl, idx0, 300) == -ETIMEDOUT); /* the peer is down */
	CHECK(netlink_link_up(&nl, idx1) == 0);
	CHECK(netlink_wait_carrier(&nl, idx0, 5000) == 0);
	CHECK(netlink_link_get(&nl, idx0, &l) == 0 && (l.flags & IFF_LOWER_UP));

	srv = fork();
	if (srv == 0) {
		dhcp_server(idx1);
	}
	CHECK(dhcpsock_run(CLIENT, idx0, mac0, 15000, &lease) == 0);
	CHECK(lease.addr == LEASE_ADDR && lease.prefix == 24 && lease.router == SERVER_ADDR && lease.lease_s == 600);
	if (srv > 0) {
		int st = -1;
		kill(srv, SIGKILL); /* it has exited after the ACK; this only bounds a stuck one */
		waitpid(srv, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}

	a4 = htonl(lease.addr);
	gw4 = htonl(lease.router);
	CHECK(netlink_addr_add(&nl, idx0, AF_INET, &a4, lease.prefix) == 0);
	CHECK(netlink_addr_add(&nl, idx0, AF_INET, &a4, lease.prefix) == 0); /* again: replaced, not an error */
	CHECK(netlink_route_add_default(&nl, idx0, AF_INET, &gw4) == 0);
	CHECK(ifaddr(CLIENT, SIOCGIFADDR) == LEASE_ADDR);
	CHECK(ifaddr(CLIENT, SIOCGIFNETMASK) == 0xffffff00);
	CHECK(ifaddr(CLIENT, SIOCGIFBRDADDR) == 0xc00002ff);
	CHECK(file_has("/proc/net/route", CLIENT "\t00000000\t010200C0\t0003")); /* default via 192.0.2.1, UG */

	inet_pton(AF_INET6, "2001:db8::50", a6);
	inet_pton(AF_INET6, "2001:db8::1", gw6);
	CHECK(netlink_addr_add(&nl, idx0, AF_INET6, a6, 64) == 0);
	CHECK(netlink_route_add_default(&nl, idx0, AF_INET6, gw6) == 0);
	CHECK(file_has("/proc/net/if_inet6", "20010db8000000000000000000000050"));
	CHECK(file_has("/proc/net/ipv6_route", "00000000000000000000000000000000 00 "
					       "00000000000000000000000000000000 00 20010db8000000000000000000000001"));

	CHECK(netlink_addr_add(&nl, idx0, AF_INET, &a4, 33) == -EINVAL);
	CHECK(netlink_route_add_default(&nl, 99999, AF_INET, &gw4) < 0); /* ENETUNREACH on 6.1 */
	netlink_close(&nl);
}

/* FN in a forked child with its own network and mount namespaces, the
 * namespace's sysfs mounted for it. Skipped when unshare is refused. */
static void in_new_netns(const char *test, void (*fn)(const char *sysfs))
{
	char dir[] = "/tmp/kdc-netns-XXXXXX", net[64];
	int st = -1;
	pid_t pid;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
			printf("  %s: skipped: unshare: %s (needs root)\n", test, strerror(errno));
			fflush(stdout);
			_exit(0);
		}
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || mount("sysfs", dir, "sysfs", 0, NULL) < 0) {
			printf("  cannot mount the namespace's sysfs on %s: %s\n", dir, strerror(errno));
			_exit(1);
		}
		log_set_level(LOG_ERR - 1); /* the failure cases' messages are expected */
		snprintf(net, sizeof(net), "%s/class/net", dir);
		fn(net);
		fflush(stdout);
		_exit(t_failed ? 1 : 0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	rmdir(dir);
}

TEST(test_netns_netlink_dhcp)
{
	in_new_netns("test_netns_netlink_dhcp", in_netns);
}

/* The veth pair with the server side up, and the server answering DHCP. */
static pid_t veth_with_server(void)
{
	struct netlink nl;
	int idx1 = 0;
	pid_t srv = -1;

	CHECK(netlink_open(&nl) == 0);
	CHECK(make_veth(&nl) == 0);
	idx1 = (int)if_nametoindex(SERVER);
	CHECK(idx1 > 0 && netlink_link_up(&nl, idx1) == 0);
	netlink_close(&nl);
	srv = fork();
	if (srv == 0) {
		dhcp_server(idx1);
	}
	return srv;
}

static void stop(pid_t srv)
{
	if (srv > 0) {
		kill(srv, SIGKILL);
		waitpid(srv, NULL, 0);
	}
}

static void netup_dhcp(const char *sysfs)
{
	struct netup_cfg cfg = { .has_mac = true, .carrier_ms = 5000, .dhcp_ms = 15000 };
	struct netup_result r;
	pid_t srv = veth_with_server();

	cfg.ip.method = IPCONF_DHCP;
	memcpy(cfg.mac, mac0, 6);
	CHECK(netup_run(sysfs, &cfg, &r) == 0);
	CHECK(!strcmp(r.ifname, CLIENT) && r.family == AF_INET && r.prefix == 24);
	CHECK(!strcmp(r.addr_text, "192.0.2.50"));
	CHECK(ifaddr(CLIENT, SIOCGIFADDR) == LEASE_ADDR);
	CHECK(file_has("/proc/net/route", CLIENT "\t00000000\t010200C0\t0003"));
	stop(srv);
	cfg.mac[5] ^= 0xff; /* no such NIC */
	CHECK(netup_run(sysfs, &cfg, &r) == -ENODEV);
}

static void netup_static(const char *sysfs)
{
	struct netup_cfg cfg = { .carrier_ms = 300, .dhcp_ms = 15000 };
	struct netup_result r;
	const char *why;
	struct netlink nl;

	CHECK(ipconf_parse(&cfg.ip, "192.0.2.60::192.0.2.1:255.255.255.0::" CLIENT ":none", &why) == 0);
	CHECK(netlink_open(&nl) == 0);
	CHECK(make_veth(&nl) == 0);
	CHECK(netup_run(sysfs, &cfg, &r) == -ETIMEDOUT); /* the peer is down: no carrier */
	CHECK(netlink_link_up(&nl, (int)if_nametoindex(SERVER)) == 0);
	netlink_close(&nl);
	CHECK(netup_run(sysfs, &cfg, &r) == 0);
	CHECK(!strcmp(r.ifname, CLIENT) && !strcmp(r.addr_text, "192.0.2.60") && r.prefix == 24);
	CHECK(ifaddr(CLIENT, SIOCGIFADDR) == 0xc000023c);
	CHECK(file_has("/proc/net/route", CLIENT "\t00000000\t010200C0\t0003"));
	CHECK(ipconf_parse(&cfg.ip, "[2001:db8::60]::[2001:db8::1]:64::" CLIENT ":none:1400", &why) == 0);
	CHECK(netup_run(sysfs, &cfg, &r) == 0 && !strcmp(r.addr_text, "2001:db8::60"));
	CHECK(file_has("/proc/net/if_inet6", "20010db8000000000000000000000060"));
	CHECK(mtu(CLIENT) == 1400);
	CHECK(ipconf_parse(&cfg.ip, CLIENT ":auto6:70000", &why) == -EINVAL);
	cfg.ip.method = IPCONF_AUTO6; /* a bad MTU that got past the parser: the kernel refuses it */
	cfg.ip.mtu = 70000;
	CHECK(netup_run(sysfs, &cfg, &r) == -EINVAL);
	CHECK(mtu(CLIENT) == 1400);
	CHECK(ipconf_parse(&cfg.ip, "nosuch0:dhcp", &why) == 0);
	CHECK(netup_run(sysfs, &cfg, &r) == -ENODEV);
	CHECK(ipconf_parse(&cfg.ip, CLIENT ":dhcp6", &why) == 0);
	CHECK(netup_run(sysfs, &cfg, &r) == -EOPNOTSUPP);
}

TEST(test_netns_netup)
{
	in_new_netns("test_netns_netup", netup_dhcp);
	in_new_netns("test_netns_netup", netup_static);
}

/* An IPv4 address with a finite lifetime, as a DHCP client sets it. */
static int addr_with_lifetime(struct netlink *nl, int ifindex, uint32_t a, unsigned prefix)
{
	struct msg m = { 0 };
	struct ifaddrmsg *ifa = NLMSG_DATA(&m.u.h);
	struct ifa_cacheinfo ci = { .ifa_prefered = 600, .ifa_valid = 600 };
	struct netlink_reply rep;
	uint8_t buf[4096];
	ssize_t n;

	m.u.h.nlmsg_len = NLMSG_LENGTH(sizeof(*ifa));
	m.u.h.nlmsg_type = RTM_NEWADDR;
	m.u.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	m.u.h.nlmsg_seq = 4343;
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (uint8_t)prefix;
	ifa->ifa_index = (unsigned)ifindex;
	attr(&m, IFA_LOCAL, &a, 4);
	attr(&m, IFA_ADDRESS, &a, 4);
	attr(&m, IFA_CACHEINFO, &ci, sizeof(ci));
	if (send(nl->fd, m.u.b, m.u.h.nlmsg_len, 0) < 0) {
		return -errno;
	}
	n = recv(nl->fd, buf, sizeof(buf), 0);
	if (n < 0 || netlink_parse(buf, (size_t)n, 4343, &rep) < 0 || !rep.done) {
		return -EBADMSG;
	}
	return rep.err;
}

/* mkinitrd's view: the interface routing to the server, static or DHCP. */
static void hostnet_static_dhcp(const char *sysfs)
{
	struct netlink nl;
	struct hostnet h;
	char lines[256];
	uint32_t a = htonl(0xc000023c), srv = htonl(SERVER_ADDR), far = htonl(0xc6336401); /* .60, .1, 198.51.100.1 */
	int idx0;

	CHECK(netlink_open(&nl) == 0);
	CHECK(make_veth(&nl) == 0);
	idx0 = (int)if_nametoindex(CLIENT);
	CHECK(netlink_link_up(&nl, idx0) == 0 && netlink_link_up(&nl, (int)if_nametoindex(SERVER)) == 0);
	CHECK(hostnet_lookup(sysfs, "/proc/net/route", srv, &h) == -ENETUNREACH);
	CHECK(netlink_addr_add(&nl, idx0, AF_INET, &a, 24) == 0);
	memset(&h, 0, sizeof(h));
	CHECK(hostnet_lookup(sysfs, "/proc/net/route", srv, &h) == 0);
	CHECK(!strcmp(h.ifname, CLIENT) && h.ifindex == idx0 && h.addr == a && h.prefix == 24 && !h.dynamic);
	CHECK(h.gw == 0 && !memcmp(h.mac, mac0, 6));
	CHECK(hostnet_conf_lines(&h, lines, sizeof(lines)) == 0);
	CHECK(!strcmp(lines, "dump_ip 192.0.2.60:::24:::none\ndump_mac 02:6b:64:63:00:01\n"));
	CHECK(hostnet_lookup(sysfs, "/proc/net/route", far, &h) == -ENETUNREACH); /* no default route yet */
	CHECK(netlink_route_add_default(&nl, idx0, AF_INET, &srv) == 0);
	CHECK(hostnet_lookup(sysfs, "/proc/net/route", far, &h) == 0 && h.gw == srv);
	CHECK(hostnet_conf_lines(&h, lines, sizeof(lines)) == 0);
	CHECK(!strcmp(lines, "dump_ip 192.0.2.60::192.0.2.1:24:::none\ndump_mac 02:6b:64:63:00:01\n"));
	CHECK(addr_with_lifetime(&nl, idx0, a, 24) == 0);
	CHECK(hostnet_lookup(sysfs, "/proc/net/route", srv, &h) == 0 && h.dynamic && h.addr == a);
	CHECK(hostnet_conf_lines(&h, lines, sizeof(lines)) == 0);
	CHECK(!strcmp(lines, "dump_ip dhcp\ndump_mac 02:6b:64:63:00:01\n"));
	netlink_close(&nl);
}

TEST(test_netns_hostnet)
{
	in_new_netns("test_netns_hostnet", hostnet_static_dhcp);
}
