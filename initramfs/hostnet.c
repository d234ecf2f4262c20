/* The build machine's network toward a network target; see hostnet.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "initramfs/hostnet.h"
#include "initramfs/hosttarget.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/rd.h"

#define ROUTES_MAX (256u << 10)
#define ROUTE_FIELDS 8        /* Iface Destination Gateway Flags RefCnt Use Metric Mask */
#define RTF_UP_FLAG 0x1
#define DUMP_BUF 32768
#define DUMP_MS 2000
#define LIFE_FOREVER 0xffffffffu

int hostnet_route(const char *text, uint32_t dst, char ifname[16], uint32_t *gw)
{
	const char *line = strchr(text, '\n'); /* after the header */
	int best = -1;
	unsigned best_metric = 0;

	while (line && *++line) {
		char name[16];
		unsigned d, g, flags, refcnt, use, metric, mask;
		int plen;

		if (sscanf(line, "%15s %x %x %x %u %u %u %x", name, &d, &g, &flags, &refcnt, &use, &metric, &mask) ==
			    ROUTE_FIELDS &&
		    (flags & RTF_UP_FLAG) && (dst & mask) == d) { /* both as the kernel stores them */
			plen = __builtin_popcount(mask);
			if (plen > best || (plen == best && metric < best_metric)) {
				best = plen;
				best_metric = metric;
				snprintf(ifname, 16, "%s", name);
				*gw = g;
			}
		}
		line = strchr(line, '\n');
	}
	return best < 0 ? -ENETUNREACH : 0;
}

/* One RTM_NEWADDR: the first IPv4 address of IFINDEX into the outputs. */
static bool parse_addr(struct rd *r, int ifindex, uint32_t *addr, unsigned *prefix, bool *dynamic)
{
	const void *p = rd_bytes(r, sizeof(struct ifaddrmsg));
	struct ifaddrmsg ifa;
	bool got = false;

	if (!p) {
		return false;
	}
	memcpy(&ifa, p, sizeof(ifa));
	if (ifa.ifa_family != AF_INET || (int)ifa.ifa_index != ifindex) {
		return false;
	}
	*prefix = ifa.ifa_prefixlen;
	*dynamic = false;
	while (rd_has(r, sizeof(struct rtattr))) {
		struct rtattr a;
		const uint8_t *v;
		size_t n;

		memcpy(&a, rd_bytes(r, sizeof(a)), sizeof(a));
		n = a.rta_len >= sizeof(a) ? a.rta_len - sizeof(a) : 0;
		v = a.rta_len >= sizeof(a) ? rd_bytes(r, n) : NULL;
		if (!v) {
			return false;
		}
		if (a.rta_type == IFA_LOCAL && n == sizeof(*addr)) {
			memcpy(addr, v, n);
			got = true;
		} else if (a.rta_type == IFA_CACHEINFO && n >= sizeof(struct ifa_cacheinfo)) {
			struct ifa_cacheinfo ci;
			memcpy(&ci, v, sizeof(ci));
			*dynamic = ci.ifa_valid != LIFE_FOREVER;
		}
		rd_align(r, RTA_ALIGNTO);
	}
	return got;
}

/* Walk one datagram of the dump: 1 when NLMSG_DONE came, 0 for more, -errno. */
static int parse_dump(const uint8_t *buf, size_t len, int ifindex, uint32_t *addr, unsigned *prefix,
		      bool *dynamic, bool *found)
{
	struct rd r = rd_init(buf, len);

	while (rd_has(&r, sizeof(struct nlmsghdr))) {
		struct nlmsghdr h;
		struct rd b;
		size_t start = r.off;

		memcpy(&h, rd_bytes(&r, sizeof(h)), sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - start) {
			return -EBADMSG;
		}
		b = rd_init(buf + start + sizeof(h), h.nlmsg_len - sizeof(h));
		if (h.nlmsg_type == NLMSG_DONE) {
			return 1;
		}
		if (h.nlmsg_type == NLMSG_ERROR) {
			return -EIO;
		}
		if (h.nlmsg_type == RTM_NEWADDR && !*found) {
			*found = parse_addr(&b, ifindex, addr, prefix, dynamic);
		}
		rd_seek(&r, start + NLMSG_ALIGN(h.nlmsg_len) <= len ? start + NLMSG_ALIGN(h.nlmsg_len) : len);
	}
	return 0;
}

int hostnet_addr(int ifindex, uint32_t *addr, unsigned *prefix, bool *dynamic)
{
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg a;
	} req = { { sizeof(req), RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 1, 0 }, { .ifa_family = AF_INET } };
	static uint8_t buf[DUMP_BUF];
	bool found = false;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), r = 0;

	if (fd < 0) {
		return -errno;
	}
	if (send(fd, &req, sizeof(req), 0) != (ssize_t)sizeof(req)) {
		r = -errno;
	}
	while (r == 0) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n = poll(&p, 1, DUMP_MS) == 1 ? recv(fd, buf, sizeof(buf), 0) : -1;

		r = n > 0 ? parse_dump(buf, (size_t)n, ifindex, addr, prefix, dynamic, &found) : -ETIMEDOUT;
	}
	close(fd);
	return r < 0 ? r : found ? 0 : -EADDRNOTAVAIL;
}

int hostnet_lookup(const char *sysfs, const char *routes, uint32_t dst, struct hostnet *h)
{
	char *text = malloc(ROUTES_MAX), p[PATH_MAX], v[64];
	ssize_t n = text ? io_read_text(routes, text, ROUTES_MAX) : -ENOMEM;
	int r = n < 0 ? (int)n : hostnet_route(text, dst, h->ifname, &h->gw);

	free(text);
	if (r) {
		return r;
	}
	snprintf(p, sizeof(p), "%s/%s/ifindex", sysfs, h->ifname);
	h->ifindex = io_read_text(p, v, sizeof(v)) > 0 ? atoi(v) : 0;
	snprintf(p, sizeof(p), "%s/%s/address", sysfs, h->ifname);
	if (h->ifindex <= 0 || io_read_text(p, v, sizeof(v)) < 0 || nic_mac_parse(v, h->mac) < 0) {
		return -ENODEV;
	}
	return hostnet_addr(h->ifindex, &h->addr, &h->prefix, &h->dynamic);
}

int hostnet_conf_lines(const struct hostnet *h, char *out, size_t n)
{
	char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN] = "", mac[NIC_MAC_STRLEN];
	int len;

	inet_ntop(AF_INET, &h->addr, a, sizeof(a));
	if (h->gw) {
		inet_ntop(AF_INET, &h->gw, g, sizeof(g));
	}
	nic_mac_format(h->mac, mac);
	len = h->dynamic ? snprintf(out, n, "dump_ip dhcp\ndump_mac %s\n", mac)
			 : snprintf(out, n, "dump_ip %s::%s:%u:::none\ndump_mac %s\n", a, g, h->prefix, mac);
	return len < 0 || (size_t)len >= n ? -ENOSPC : 0;
}

int hostnet_drivers(struct moddb *db, const char *sysfs, const char *ifname)
{
	char p[PATH_MAX], real[PATH_MAX], what[64];

	if (snprintf(p, sizeof(p), "%s/%s/device", sysfs, ifname) >= (int)sizeof(p) || !realpath(p, real)) {
		return 0;
	}
	snprintf(what, sizeof(what), "interface %s", ifname);
	return hosttarget_sysfs_drivers(db, real, what);
}
