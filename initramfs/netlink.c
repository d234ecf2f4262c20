/* rtnetlink requests (rtnetlink(7)): one request in flight, each with
 * NLM_F_ACK and its own sequence number, answered within NETLINK_REPLY_MS.
 * Netlink is host-endian: headers are copied out of the bounds-checked
 * reader into the kernel's structs. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "initramfs/netlink.h"
#include "lib/clock.h"
#include "lib/rd.h"

#define REQ_MAX 256     /* our largest request: header, ifaddrmsg and three attributes */
#define IPV4_LEN 4
#define IPV6_LEN 16
#define ERRNO_MAX 4095  /* the kernel's MAX_ERRNO */
#ifndef IFF_LOWER_UP    /* musl's <net/if.h> has it, glibc's (the fuzz builds) only <linux/if.h> */
#define IFF_LOWER_UP 0x10000
#endif

struct req {
	union {
		struct nlmsghdr h;
		uint8_t b[REQ_MAX];
	} u;
};

int netlink_open(struct netlink *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	nl->seq = (uint32_t)time(NULL);
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0) {
		return -errno;
	}
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;
		close(nl->fd);
		nl->fd = -1;
		return err;
	}
	return 0;
}

void netlink_close(struct netlink *nl)
{
	if (nl->fd >= 0) {
		close(nl->fd);
	}
	nl->fd = -1;
}

/* A request of TYPE and FLAGS with a zeroed fixed part of HDRLEN bytes. */
static void *req_init(struct req *q, uint16_t type, uint16_t flags, size_t hdrlen)
{
	memset(q, 0, sizeof(*q));
	q->u.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(hdrlen);
	q->u.h.nlmsg_type = type;
	q->u.h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	return NLMSG_DATA(&q->u.h);
}

static int req_attr(struct req *q, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(q->u.h.nlmsg_len);
	struct rtattr a = { .rta_len = (unsigned short)RTA_LENGTH(len), .rta_type = type };

	if (off + RTA_SPACE(len) > sizeof(q->u.b)) {
		return -EMSGSIZE;
	}
	memcpy(q->u.b + off, &a, sizeof(a));
	memcpy(q->u.b + off + RTA_LENGTH(0), data, len);
	q->u.h.nlmsg_len = (uint32_t)(off + RTA_LENGTH(len));
	return 0;
}

/* To the next multiple of A, or the end: the last item needs no padding. */
static void skip_pad(struct rd *r, size_t a)
{
	size_t pad = (a - r->off % a) % a;

	rd_skip(r, pad <= r->len - r->off ? pad : r->len - r->off);
}

static int parse_link(struct rd *r, struct netlink_link *l)
{
	const void *p = rd_bytes(r, sizeof(struct ifinfomsg));
	struct ifinfomsg ifi;

	if (!p) {
		return -EBADMSG;
	}
	memcpy(&ifi, p, sizeof(ifi));
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi.ifi_index;
	l->flags = ifi.ifi_flags;
	while (rd_has(r, sizeof(struct rtattr))) {
		struct rtattr a;
		const uint8_t *v;
		size_t n;

		memcpy(&a, rd_bytes(r, sizeof(a)), sizeof(a));
		if (a.rta_len < sizeof(a)) {
			return -EBADMSG;
		}
		n = a.rta_len - sizeof(a);
		v = rd_bytes(r, n);
		if (!v) {
			return -EBADMSG;
		}
		if (a.rta_type == IFLA_OPERSTATE && n >= 1) {
			l->operstate = v[0];
		} else if (a.rta_type == IFLA_IFNAME) {
			size_t k = strnlen((const char *)v, n < sizeof(l->ifname) ? n : sizeof(l->ifname) - 1);
			memcpy(l->ifname, v, k);
			l->ifname[k] = '\0';
		}
		skip_pad(r, RTA_ALIGNTO);
	}
	return 0;
}

/* One message addressed to SEQ: its body in B. */
static int parse_msg(const struct nlmsghdr *h, struct rd *b, struct netlink_reply *out)
{
	const void *p;
	int e;

	switch (h->nlmsg_type) {
	case NLMSG_ERROR: /* an int error, then the request it answers */
		p = rd_bytes(b, sizeof(e));
		if (!p) {
			return -EBADMSG;
		}
		memcpy(&e, p, sizeof(e));
		if (e > 0 || e < -ERRNO_MAX) {
			return -EBADMSG;
		}
		out->err = e;
		out->done = true;
		return 0;
	case RTM_NEWLINK:
		out->has_link = parse_link(b, &out->link) == 0;
		out->done = true;
		return out->has_link ? 0 : -EBADMSG;
	case NLMSG_DONE:
		out->done = true;
		return 0;
	default:
		return 0;
	}
}

int netlink_parse(const void *buf, size_t len, uint32_t seq, struct netlink_reply *out)
{
	struct rd r = rd_init(buf, len);

	memset(out, 0, sizeof(*out));
	while (rd_has(&r, sizeof(struct nlmsghdr))) {
		size_t start = r.off, body;
		struct nlmsghdr h;
		struct rd b;

		memcpy(&h, rd_bytes(&r, sizeof(h)), sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - start) {
			return -EBADMSG;
		}
		body = h.nlmsg_len - sizeof(h);
		b = rd_init(rd_bytes(&r, body), body);
		if (h.nlmsg_seq == seq && parse_msg(&h, &b, out) < 0) {
			return -EBADMSG;
		}
		if (out->done) {
			return 0;
		}
		skip_pad(&r, NLMSG_ALIGNTO);
	}
	return 0;
}

/* One datagram from the kernel within the time left until DEADLINE. */
static ssize_t recv_reply(struct netlink *nl, uint8_t *buf, size_t size, int64_t deadline)
{
	struct pollfd pfd = { .fd = nl->fd, .events = POLLIN };
	struct sockaddr_nl from;
	socklen_t fl = sizeof(from);
	int64_t left = deadline - mono_ms();
	ssize_t n;

	if (left <= 0) {
		return -ETIMEDOUT;
	}
	n = poll(&pfd, 1, (int)left);
	if (n <= 0) {
		return n < 0 && errno != EINTR ? -errno : 0;
	}
	n = recvfrom(nl->fd, buf, size, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &fl);
	if (n < 0) {
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	}
	if (from.nl_pid != 0) { /* not the kernel */
		return 0;
	}
	return (size_t)n > size ? -EMSGSIZE : n;
}

/* Send Q and wait for its answer into *OUT. The answer's error, or -errno. */
static int request(struct netlink *nl, struct req *q, struct netlink_reply *out)
{
	static uint8_t buf[NETLINK_BUF]; /* one request at a time (PID 1 is single-threaded here) */
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int64_t deadline = mono_ms() + NETLINK_REPLY_MS;
	ssize_t n;

	q->u.h.nlmsg_seq = ++nl->seq;
	if (sendto(nl->fd, q->u.b, q->u.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		return -errno;
	}
	for (;;) {
		n = recv_reply(nl, buf, sizeof(buf), deadline);
		if (n < 0) {
			return (int)n;
		}
		if (n > 0 && netlink_parse(buf, (size_t)n, nl->seq, out) < 0) {
			return -EBADMSG;
		}
		if (n > 0 && out->done) {
			return out->err;
		}
	}
}

int netlink_link_up(struct netlink *nl, int ifindex)
{
	struct req q;
	struct netlink_reply rep;
	struct ifinfomsg *ifi = req_init(&q, RTM_NEWLINK, NLM_F_ACK, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return request(nl, &q, &rep);
}

int netlink_link_mtu(struct netlink *nl, int ifindex, unsigned mtu)
{
	struct req q;
	struct netlink_reply rep;
	struct ifinfomsg *ifi = req_init(&q, RTM_NEWLINK, NLM_F_ACK, sizeof(*ifi));
	uint32_t v = mtu;
	int err;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	err = req_attr(&q, IFLA_MTU, &v, sizeof(v));
	return err ? err : request(nl, &q, &rep);
}

int netlink_link_get(struct netlink *nl, int ifindex, struct netlink_link *link)
{
	struct req q;
	struct netlink_reply rep;
	struct ifinfomsg *ifi = req_init(&q, RTM_GETLINK, 0, sizeof(*ifi));
	int err;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	err = request(nl, &q, &rep);
	if (err < 0) {
		return err;
	}
	if (!rep.has_link || rep.link.ifindex != ifindex) {
		return -EBADMSG;
	}
	*link = rep.link;
	return 0;
}

int netlink_wait_carrier(struct netlink *nl, int ifindex, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	struct timespec poll_ts = { 0, NETLINK_POLL_MS * 1000000L };
	struct netlink_link l;

	for (;;) {
		int err = netlink_link_get(nl, ifindex, &l);

		if (err < 0) {
			return err;
		}
		if (l.flags & IFF_LOWER_UP) {
			return 0;
		}
		if (mono_ms() >= deadline) {
			return -ETIMEDOUT;
		}
		nanosleep(&poll_ts, NULL);
	}
}

static int addr_len(int family)
{
	return family == AF_INET ? IPV4_LEN : family == AF_INET6 ? IPV6_LEN : -EAFNOSUPPORT;
}

int netlink_addr_add(struct netlink *nl, int ifindex, int family, const void *addr, unsigned prefix)
{
	struct req q;
	struct netlink_reply rep;
	struct ifaddrmsg *ifa = req_init(&q, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, sizeof(*ifa));
	int alen = addr_len(family), err;

	if (alen < 0 || prefix > (unsigned)alen * 8) {
		return -EINVAL;
	}
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = (uint8_t)prefix;
	ifa->ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	err = req_attr(&q, IFA_LOCAL, addr, (size_t)alen);
	if (!err) {
		err = req_attr(&q, IFA_ADDRESS, addr, (size_t)alen);
	}
	if (!err && family == AF_INET && prefix < 31) { /* the subnet's broadcast address, as `ip addr add ... brd +` */
		uint8_t brd[IPV4_LEN];
		memcpy(brd, addr, IPV4_LEN);
		for (unsigned bit = prefix; bit < 32; bit++) {
			brd[bit / 8] |= (uint8_t)(0x80 >> bit % 8);
		}
		err = req_attr(&q, IFA_BROADCAST, brd, IPV4_LEN);
	}
	return err ? err : request(nl, &q, &rep);
}

int netlink_route_add_default(struct netlink *nl, int ifindex, int family, const void *gw)
{
	struct req q;
	struct netlink_reply rep;
	struct rtmsg *rt = req_init(&q, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, sizeof(*rt));
	uint32_t oif = (uint32_t)ifindex;
	int alen = addr_len(family), err;

	if (alen < 0) {
		return -EINVAL;
	}
	rt->rtm_family = (uint8_t)family;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	err = req_attr(&q, RTA_GATEWAY, gw, (size_t)alen);
	if (!err) {
		err = req_attr(&q, RTA_OIF, &oif, sizeof(oif));
	}
	return err ? err : request(nl, &q, &rep);
}
