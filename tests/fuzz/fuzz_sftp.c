/* The SFTP client's reply handling: the input is everything "the server"
 * answers, one reply per request, to a whole session (start, REALPATH,
 * MKDIR, STAT, OPEN, pipelined WRITEs, fsync, CLOSE, RENAME), then EOF, so
 * no wait reaches its deadline. The parsers also see the raw input. Seeds
 * (make-seeds.py) answer that exact request sequence. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "transport/sftp.h"

#define WRITE_LEN 40000 /* two WRITEs */
#define HDR_LEN 4096

static void session(struct sftp *c)
{
	static uint8_t data[WRITE_LEN];
	char path[SFTP_PATH_MAX];
	struct sftp_attrs a;
	struct sink *s;

	(void)sftp_realpath(c, ".", path, sizeof(path));
	(void)sftp_mkdir(c, "d", 0700);
	(void)sftp_stat(c, "d", true, &a);
	if (sftp_sink_open(c, "d/f", &s) == 0) {
		if (s->pwrite(s, data, sizeof(data), HDR_LEN) == 0) {
			(void)s->pwrite(s, data, HDR_LEN, 0);
		}
		if (s->finish(s)) {
			s->abort(s);
		}
	}
	(void)sftp_rename(c, "d/f", "d/g");
}

static void parsers(const uint8_t *data, size_t size)
{
	struct sftp_reply r;
	struct sftp_attrs a;
	struct rd b;
	char msg[SFTP_MSG_MAX];
	uint32_t v;
	bool fs;

	if (sftp_parse_reply(data, size, &r) == 0) {
		b = r.body;
		(void)sftp_parse_status(&b, msg, sizeof(msg));
		b = r.body;
		(void)sftp_parse_attrs(&b, &a);
	}
	b = rd_init(data, size);
	(void)sftp_parse_version(&b, &v, &fs);
}

/* The fake server: after each request read, the next reply of the input
 * (by its own length field; the rest as it is when that is bogus), then
 * EOF once the input is used up. So a reply never arrives before its
 * request, as with a real server. */
struct fake {
	int fd;
	const uint8_t *p;
	size_t n;
};

static bool read_full(int fd, uint8_t *b, size_t n)
{
	while (n) {
		ssize_t k = read(fd, b, n);

		if (k <= 0) {
			return false;
		}
		b += k;
		n -= (size_t)k;
	}
	return true;
}

static void *server(void *arg)
{
	static uint8_t sink_buf[SFTP_CHUNK + SFTP_REQ_MAX];
	struct fake *f = arg;
	uint8_t hdr[4];

	while (read_full(f->fd, hdr, sizeof(hdr))) {
		uint32_t len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
		size_t k;

		if (len > sizeof(sink_buf) || !read_full(f->fd, sink_buf, len)) {
			break;
		}
		if (!f->n) {
			shutdown(f->fd, SHUT_WR);
			continue;
		}
		k = f->n < 4 ? f->n : 4 + ((size_t)f->p[0] << 24 | (size_t)f->p[1] << 16 | (size_t)f->p[2] << 8 | f->p[3]);
		k = k > f->n ? f->n : k;
		if (write(f->fd, f->p, k) != (ssize_t)k) {
			break;
		}
		f->p += k;
		f->n -= k;
		if (!f->n) {
			shutdown(f->fd, SHUT_WR); /* a reply cut short ends with EOF, not a wait */
		}
	}
	shutdown(f->fd, SHUT_WR);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sftp *c;
	struct fake f = { .p = data, .n = size };
	pthread_t t;
	int sv[2];

	if (!c) {
		fuzz_quiet();
		c = malloc(sizeof(*c));
		if (!c) {
			abort();
		}
	}
	parsers(data, size);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		return 0;
	}
	f.fd = sv[1];
	if (pthread_create(&t, NULL, server, &f) == 0) {
		if (sftp_start(c, sv[0], sv[0], "fuzz", 200) == 0) {
			session(c);
		}
		shutdown(sv[0], SHUT_RDWR);
		pthread_join(t, NULL);
	}
	close(sv[0]);
	close(sv[1]);
	return 0;
}
