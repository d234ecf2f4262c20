/* Sockets for the DHCPv4 client. */
#include <errno.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "initramfs/dhcpsock.h"
#include "lib/clock.h"
#include "lib/log.h"

struct sock_ctx {
	int pfd; /* AF_PACKET, ETH_P_IP frames of the interface */
	int ufd; /* UDP port 68 on the interface */
};

static int64_t sock_now(void *ctx)
{
	return mono_ms();
}

static int sock_send(void *ctx, const uint8_t *msg, size_t len)
{
	struct sock_ctx *s = ctx;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(DHCP_SERVER_PORT),
				  .sin_addr.s_addr = htonl(INADDR_BROADCAST) };
	ssize_t n;

	do {
		n = sendto(s->ufd, msg, len, 0, (struct sockaddr *)&to, sizeof(to));
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		return -errno;
	}
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* One frame, or 0 when none came in time, or ours going out (a packet
 * socket sees both directions). */
static ssize_t sock_recv(void *ctx, uint8_t *buf, size_t size, int timeout_ms)
{
	struct sock_ctx *s = ctx;
	struct pollfd p = { .fd = s->pfd, .events = POLLIN };
	struct sockaddr_ll from;
	socklen_t fl = sizeof(from);
	ssize_t n;
	int r = poll(&p, 1, timeout_ms);

	if (r <= 0) {
		return r < 0 && errno != EINTR ? -errno : 0;
	}
	n = recvfrom(s->pfd, buf, size, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	if (n < 0) {
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	}
	return from.sll_pkttype == PACKET_OUTGOING ? 0 : n;
}

static int open_packet(int ifindex)
{
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = ifindex };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_IP));

	if (fd < 0) {
		return -errno;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int open_udp(const char *ifname)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(DHCP_CLIENT_PORT) };
	int one = 1, err;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		return -errno;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname) + 1) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* A transaction id nobody else on the segment is likely to use. Early in
 * the capture kernel the pool may not be ready: the clock and the MAC then. */
static uint32_t pick_xid(const uint8_t mac[NIC_MAC_LEN])
{
	uint32_t x;
	struct timespec ts;

	if (getrandom(&x, sizeof(x), GRND_NONBLOCK) == sizeof(x)) {
		return x;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	x = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec << 20;
	for (int i = 0; i < NIC_MAC_LEN; i++) {
		x = x * 31 + mac[i];
	}
	return x;
}

int dhcpsock_run(const char *ifname, int ifindex, const uint8_t mac[NIC_MAC_LEN], int timeout_ms,
		 struct dhcp_lease *lease)
{
	struct sock_ctx s = { .pfd = open_packet(ifindex), .ufd = -1 };
	struct dhcp_io io = { .ctx = &s, .now_ms = sock_now, .send = sock_send, .recv = sock_recv };
	struct dhcp_params p = { .ifname = ifname, .xid = pick_xid(mac), .timeout_ms = timeout_ms };
	int err;

	memcpy(p.mac, mac, NIC_MAC_LEN);
	if (s.pfd < 0) {
		log_err("dhcp: cannot open a packet socket on %s: %s", ifname, strerror(-s.pfd));
		return s.pfd;
	}
	s.ufd = open_udp(ifname);
	if (s.ufd < 0) {
		err = s.ufd;
		log_err("dhcp: cannot bind UDP port %d on %s: %s", DHCP_CLIENT_PORT, ifname, strerror(-err));
		goto close_packet;
	}
	err = dhcp_run(&p, &io, lease);
	close(s.ufd);
close_packet:
	close(s.pfd);
	return err;
}
