/* The rtnetlink reply parser over hand-built datagrams (no sockets). */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "initramfs/netlink.h"
#include "tests/unit/t.h"

struct dgram {
	uint8_t b[1024];
	size_t len;
};

/* Append a message of TYPE for SEQ with BODY; its start. */
static struct nlmsghdr *msg(struct dgram *d, uint16_t type, uint32_t seq, const void *body, size_t n)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(d->b + d->len);

	memset(h, 0, NLMSG_SPACE(n));
	h->nlmsg_len = (uint32_t)NLMSG_LENGTH(n);
	h->nlmsg_type = type;
	h->nlmsg_seq = seq;
	memcpy(NLMSG_DATA(h), body, n);
	d->len += NLMSG_SPACE(n);
	return h;
}

static size_t rta(uint8_t *p, uint16_t type, const void *data, size_t n)
{
	struct rtattr a = { .rta_len = (unsigned short)RTA_LENGTH(n), .rta_type = type };

	memset(p, 0, RTA_SPACE(n));
	memcpy(p, &a, sizeof(a));
	memcpy(p + RTA_LENGTH(0), data, n);
	return RTA_SPACE(n);
}

TEST(test_netlink_parse_acks)
{
	struct dgram d = { .len = 0 };
	struct netlink_reply r;
	int e = -ENODEV, ok = 0;

	msg(&d, NLMSG_ERROR, 6, &e, sizeof(e)); /* an older request's answer */
	msg(&d, NLMSG_ERROR, 7, &ok, sizeof(ok));
	CHECK(netlink_parse(d.b, d.len, 7, &r) == 0 && r.done && r.err == 0);
	CHECK(netlink_parse(d.b, d.len, 6, &r) == 0 && r.done && r.err == -ENODEV);
	CHECK(netlink_parse(d.b, d.len, 8, &r) == 0 && !r.done); /* not answered yet */
	CHECK(netlink_parse(d.b, d.len - 1, 7, &r) == -EBADMSG);     /* the last one cut */
	e = 5; /* a positive error is not one the kernel sends */
	d.len = 0;
	msg(&d, NLMSG_ERROR, 7, &e, sizeof(e));
	CHECK(netlink_parse(d.b, d.len, 7, &r) == -EBADMSG);
	d.len = 0;
	msg(&d, NLMSG_ERROR, 7, &e, 2)->nlmsg_len = 8; /* shorter than its header */
	CHECK(netlink_parse(d.b, d.len, 7, &r) == -EBADMSG);
	CHECK(netlink_parse(d.b, 0, 7, &r) == 0 && !r.done);
}

TEST(test_netlink_parse_link)
{
	struct dgram d = { .len = 0 };
	uint8_t body[256];
	struct ifinfomsg ifi = { .ifi_index = 3, .ifi_flags = 0x11043 };
	struct netlink_reply r;
	size_t n = sizeof(ifi);
	uint8_t oper = 6;

	memcpy(body, &ifi, sizeof(ifi));
	n += rta(body + n, IFLA_IFNAME, "a-very-long-interface-name", 27); /* longer than IF_NAMESIZE */
	n += rta(body + n, IFLA_OPERSTATE, &oper, 1);
	msg(&d, RTM_NEWLINK, 0, body, n); /* a notification: skipped */
	msg(&d, RTM_NEWLINK, 9, body, n);
	CHECK(netlink_parse(d.b, d.len, 9, &r) == 0 && r.done && r.has_link);
	CHECK(r.link.ifindex == 3 && r.link.flags == 0x11043 && r.link.operstate == 6);
	CHECK(!strcmp(r.link.ifname, "a-very-long-int")); /* cut to 15 bytes and terminated */
	body[sizeof(ifi)] = 200; /* the first attribute's length runs past the message */
	d.len = 0;
	msg(&d, RTM_NEWLINK, 9, body, n);
	CHECK(netlink_parse(d.b, d.len, 9, &r) == -EBADMSG);
	d.len = 0;
	msg(&d, RTM_NEWLINK, 9, body, sizeof(ifi) - 1); /* no room for the ifinfomsg */
	CHECK(netlink_parse(d.b, d.len, 9, &r) == -EBADMSG);
}
