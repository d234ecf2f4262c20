/* rtnetlink without external tools: link up, wait for carrier, add an
 * address and a default route (the capture kernel has no `ip`, and Debian's
 * kernel no `ip=` autoconfiguration). Actions return 0 or -errno; every
 * reply is parsed through lib/rd.h. */
#ifndef KDC_NETLINK_H
#define KDC_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETLINK_BUF 16384 /* one recv: a link's RTM_NEWLINK with stats is ~1.5 KB */
#define NETLINK_REPLY_MS 2000 /* the kernel answers at once; this only bounds a wedged one */
#define NETLINK_POLL_MS 100   /* carrier polling interval */

struct netlink {
	int fd;
	uint32_t seq;
};

/* What a reply said about one link (RTM_NEWLINK). */
struct netlink_link {
	int ifindex;
	unsigned flags;    /* IFF_UP, IFF_LOWER_UP, ... */
	uint8_t operstate; /* IF_OPER_*; IF_OPER_UNKNOWN (0) when absent */
	char ifname[16];
};

/* The outcome of parsing one received datagram for request SEQ. */
struct netlink_reply {
	bool done;                /* a message answered SEQ (ack, error or the link) */
	int err;                  /* 0, or the -errno of the NLMSG_ERROR */
	bool has_link;
	struct netlink_link link;
};

int netlink_open(struct netlink *nl);
void netlink_close(struct netlink *nl);

/* Parse BUF (LEN bytes, one recv) for the answer to SEQ into *OUT; other
 * messages (notifications, older sequence numbers) are skipped. 0, or
 * -EBADMSG when the datagram is malformed. */
int netlink_parse(const void *buf, size_t len, uint32_t seq, struct netlink_reply *out);

/* IFF_UP on IFINDEX. */
int netlink_link_up(struct netlink *nl, int ifindex);
/* The link's MTU (kdumpcap.ip=...:<mtu>). */
int netlink_link_mtu(struct netlink *nl, int ifindex, unsigned mtu);
/* The link's flags and operstate. */
int netlink_link_get(struct netlink *nl, int ifindex, struct netlink_link *link);
/* Carrier: IFF_LOWER_UP; -ETIMEDOUT after TIMEOUT_MS without. */
int netlink_wait_carrier(struct netlink *nl, int ifindex, int timeout_ms);
/* ADDR/PREFIX (FAMILY AF_INET or AF_INET6, network byte order) on IFINDEX.
 * An IPv6 address skips duplicate address detection (it would delay the
 * dump by a second and a half for an address the admin chose). */
int netlink_addr_add(struct netlink *nl, int ifindex, int family, const void *addr, unsigned prefix);
/* The default route via GW out of IFINDEX. */
int netlink_route_add_default(struct netlink *nl, int ifindex, int family, const void *gw);

#endif
