/* dracut `ip=` parsing. Fields are separated by ':', except inside the
 * brackets of an IPv6 address and in the trailing MAC address (which is
 * the rest of the string). DNS servers in the MTU/MAC places are accepted
 * and ignored: the dump targets are numeric addresses. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "initramfs/ipconf.h"

#define FIELD_MAX 80     /* longer than any address, name or method */
#define STATIC_FIELDS 7  /* client:peer:gw:netmask:host:interface:method */
#define MTU_MIN 68       /* RFC 791's minimum */
#define MTU_MAX 65535

static const struct {
	const char *name;
	enum ipconf_method method;
} methods[] = {
	{ "none", IPCONF_STATIC }, { "off", IPCONF_STATIC }, { "dhcp", IPCONF_DHCP },   { "on", IPCONF_DHCP },
	{ "any", IPCONF_DHCP },    { "dhcp6", IPCONF_DHCP6 }, { "auto6", IPCONF_AUTO6 },
};

const char *ipconf_method_name(enum ipconf_method m)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (methods[i].method == m) {
			return methods[i].name;
		}
	}
	return "?";
}

static bool method_lookup(const char *s, enum ipconf_method *m)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (!strcmp(s, methods[i].name)) {
			*m = methods[i].method;
			return true;
		}
	}
	return false;
}

/* The next field of *P into OUT: up to an unbracketed ':' (consumed).
 * 1 when a ':' followed (more fields), 0 at the end, -EINVAL. */
static int next_field(const char **p, char out[FIELD_MAX])
{
	const char *s = *p;
	size_t n = 0;
	bool bracket = false;

	for (; *s && (bracket || *s != ':'); s++) {
		if (*s == '[' || *s == ']') {
			bracket = *s == '[';
		}
		if (n + 1 >= FIELD_MAX) {
			return -EINVAL;
		}
		out[n++] = *s;
	}
	out[n] = '\0';
	*p = *s ? s + 1 : s;
	return bracket ? -EINVAL : *s == ':';
}

/* "[v6]" or dotted IPv4 into A; its family, or 0 when it is neither. */
static int parse_addr(const char *s, uint8_t a[IPCONF_ADDR_MAX])
{
	char tmp[FIELD_MAX];
	size_t n = strlen(s);

	if (s[0] == '[' && n >= 2 && s[n - 1] == ']') {
		memcpy(tmp, s + 1, n - 2);
		tmp[n - 2] = '\0';
		return inet_pton(AF_INET6, tmp, a) == 1 ? AF_INET6 : 0;
	}
	return inet_pton(AF_INET, s, a) == 1 ? AF_INET : 0;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9') {
		return false;
	}
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !*end && !errno && *v <= max;
}

/* A prefix length, or for IPv4 a contiguous dotted netmask. */
static int parse_netmask(struct ipconf *c, const char *s)
{
	unsigned long v;
	uint8_t m[IPCONF_ADDR_MAX];

	if (parse_uint(s, c->family == AF_INET6 ? 128 : 32, &v)) {
		c->prefix = (unsigned)v;
		return 0;
	}
	if (c->family == AF_INET && parse_addr(s, m) == AF_INET) {
		uint32_t mask = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];

		if (mask & (~mask >> 1)) { /* a one after a zero: not contiguous */
			return -EINVAL;
		}
		c->prefix = (unsigned)__builtin_popcount(mask);
		return 0;
	}
	return -EINVAL;
}

/* An optional address field into A; the families must agree. */
static int addr_field(struct ipconf *c, const char *s, uint8_t *a, bool *has)
{
	int fam;

	if (!*s) {
		return 0;
	}
	fam = parse_addr(s, a);
	if (!fam || (c->family && c->family != fam)) {
		return -EINVAL;
	}
	c->family = fam;
	*has = true;
	return 0;
}

/* What the kernel's dev_valid_name() takes (no '/', ':' or white space),
 * and no brackets: "[::1]:dhcp" is a mistake, not an interface. */
static int set_ifname(struct ipconf *c, const char *s)
{
	if (strlen(s) >= sizeof(c->ifname) || strpbrk(s, "/:[] \t\n") || !strcmp(s, ".") || !strcmp(s, "..")) {
		return -EINVAL;
	}
	strcpy(c->ifname, s);
	return 0;
}

/* [:[<mtu>][:<macaddr>]] after the method; DNS servers there are ignored. */
static int parse_tail(struct ipconf *c, const char *p, const char **why)
{
	char f[FIELD_MAX];
	uint8_t dns[IPCONF_ADDR_MAX];
	unsigned long mtu;

	if (!*p) {
		return 0;
	}
	if (next_field(&p, f) < 0) {
		*why = "the MTU field is too long";
		return -EINVAL;
	}
	if (parse_uint(f, MTU_MAX, &mtu) && mtu >= MTU_MIN) {
		c->mtu = (unsigned)mtu;
	} else if (*f && parse_addr(f, dns)) { /* <dns1>[:<dns2>] */
		if (next_field(&p, f) < 0 || (*f && !parse_addr(f, dns)) || *p) {
			*why = "the second DNS server is not an address";
			return -EINVAL;
		}
		return 0;
	} else if (*f) {
		*why = "the MTU is not a number from 68 to 65535";
		return -EINVAL;
	}
	if (!*p) {
		return 0;
	}
	if (nic_mac_parse(p, c->mac) < 0) {
		*why = "the MAC address is not of the form 52:54:00:12:34:56";
		return -EINVAL;
	}
	c->has_mac = true;
	return 0;
}

/* <client-IP>:[<peer>]:<gateway-IP>:<netmask>:<hostname>:<interface>:<method> */
static int parse_static(struct ipconf *c, const char *p, const char **why)
{
	char f[STATIC_FIELDS][FIELD_MAX];
	int more = 1;

	for (int i = 0; i < STATIC_FIELDS; i++) {
		if (!more) {
			*why = "too few fields (client-IP:peer:gateway:netmask:hostname:interface:method)";
			return -EINVAL;
		}
		more = next_field(&p, f[i]);
		if (more < 0) {
			*why = "a field is too long or has an unclosed '['";
			return -EINVAL;
		}
	}
	if (!method_lookup(f[6], &c->method)) {
		*why = "unknown method (none, off, dhcp, on, any, dhcp6, auto6)";
		return -EINVAL;
	}
	if (addr_field(c, f[0], c->addr, &c->has_addr) < 0 || addr_field(c, f[1], c->peer, &c->has_peer) < 0 ||
	    addr_field(c, f[2], c->gw, &c->has_gw) < 0) {
		*why = "an address is not IPv4 nor [IPv6], or the families differ";
		return -EINVAL;
	}
	if (c->method == IPCONF_STATIC && (!c->has_addr || !*f[3])) {
		*why = "a static address (none/off) needs the client IP and a netmask";
		return -EINVAL;
	}
	if (*f[3] && (!c->family || parse_netmask(c, f[3]) < 0)) {
		*why = "the netmask is not a contiguous mask nor a prefix length";
		return -EINVAL;
	}
	if (strlen(f[4]) >= sizeof(c->hostname)) {
		*why = "the hostname is longer than 64 bytes";
		return -EINVAL;
	}
	strcpy(c->hostname, f[4]);
	if (set_ifname(c, f[5]) < 0) {
		*why = "the interface name is longer than 15 bytes or has a '/', ':' or a space";
		return -EINVAL;
	}
	return parse_tail(c, p, why);
}

int ipconf_parse(struct ipconf *c, const char *s, const char **why)
{
	char f0[FIELD_MAX], f1[FIELD_MAX];
	const char *p = s;

	memset(c, 0, sizeof(*c));
	*why = "";
	if (method_lookup(s, &c->method)) { /* ip=dhcp */
		if (c->method == IPCONF_STATIC) {
			*why = "none/off needs an address (client-IP:peer:gateway:netmask:hostname:interface:none)";
			return -EINVAL;
		}
		return 0;
	}
	if (next_field(&p, f0) == 1 && next_field(&p, f1) >= 0 && method_lookup(f1, &c->method)) {
		if (c->method == IPCONF_STATIC || !*f0 || set_ifname(c, f0) < 0) { /* ip=<interface>:dhcp */
			*why = "expected <interface>:{dhcp|on|any|dhcp6|auto6} with a valid interface name";
			return -EINVAL;
		}
		return parse_tail(c, p, why);
	}
	memset(c, 0, sizeof(*c));
	return parse_static(c, s, why);
}
