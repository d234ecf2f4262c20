/* The SFTP client against OpenSSH's real sftp-server (package
 * openssh-sftp-server) on pipes, run as nobody when we are root so that
 * permissions apply, and against scripted replies on a socketpair. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/log.h"
#include "tests/unit/t.h"
#include "transport/sftp.h"

#define SERVER "/usr/lib/openssh/sftp-server"
#define NOBODY 65534
#define TIMEOUT_MS 5000
#define BIG (5u * 1024 * 1024 + 12345)   /* not a multiple of anything */
#define BLOCK 68000u                     /* a pwrite spans several WRITEs */
#define STRIDE 37                        /* out-of-order block sequence */

struct server {
	char dir[64];
	pid_t pid;
	int rfd, wfd;
	struct sftp *c;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* sftp-server -d DIR on pipes, as nobody when root; sftp_start done. */
static int server_start(struct server *s, int timeout_ms)
{
	int in[2], out[2];

	strcpy(s->dir, "/tmp/kdc-sftp-unit-XXXXXX");
	if (access(SERVER, X_OK) || !mkdtemp(s->dir) || pipe(in) || pipe(out)) {
		printf("  cannot run %s (install openssh-sftp-server: tests/setup-host.sh)\n", SERVER);
		return -1;
	}
	if (getuid() == 0 && chown(s->dir, NOBODY, NOBODY)) {
		return -1;
	}
	s->pid = fork();
	if (s->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		if (getuid() == 0 && (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))) {
			_exit(126);
		}
		execl(SERVER, SERVER, "-d", s->dir, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	s->rfd = out[0];
	s->wfd = in[1];
	s->c = calloc(1, sizeof(*s->c));
	return s->c ? sftp_start(s->c, s->rfd, s->wfd, "sftp-server", timeout_ms) : -1;
}

static void server_stop(struct server *s)
{
	char cmd[192];

	close(s->wfd);
	close(s->rfd);
	kill(s->pid, SIGKILL);
	kill(s->pid, SIGCONT);
	waitpid(s->pid, NULL, 0);
	free(s->c);
	snprintf(cmd, sizeof(cmd), "chmod -R u+w %s; rm -rf %s", s->dir, s->dir);
	(void)system(cmd);
}

static uint8_t *pattern(size_t n)
{
	uint8_t *p = malloc(n);
	uint32_t x = 0x12345678;

	for (size_t i = 0; p && i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	return p;
}

/* Blocks of BIG in the order 0, 37, 74, ... (mod their count). */
static int write_shuffled(struct sink *k, const uint8_t *p)
{
	unsigned nblk = (BIG + BLOCK - 1) / BLOCK;
	int r = 0;

	for (unsigned i = 0; i < nblk && !r; i++) {
		unsigned b = (unsigned)((uint64_t)i * STRIDE % nblk);
		size_t off = (size_t)b * BLOCK, n = BIG - off < BLOCK ? BIG - off : BLOCK;

		r = k->pwrite(k, p + off, n, off);
	}
	return r;
}

static bool file_equals(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[128];
	uint8_t *q = malloc(n + 1);
	int fd;
	ssize_t got;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = io_open(path, O_RDONLY, 0);
	got = fd >= 0 && q ? io_read(fd, q, n + 1) : -1;
	if (fd >= 0) {
		io_close(fd);
	}
	got = got == (ssize_t)n && !memcmp(p, q, n);
	free(q);
	return got;
}

TEST(sftp_server_pipelined_write)
{
	struct server s;
	struct sink *k;
	char real[SFTP_PATH_MAX], want[SFTP_PATH_MAX];
	uint8_t *p = pattern(BIG);

	log_set_level(LOG_ERR - 1);
	if (server_start(&s, TIMEOUT_MS)) {
		CHECK(!"sftp-server started");
		return;
	}
	CHECK(s.c->version == 3 && s.c->has_fsync);
	CHECK(sftp_realpath(s.c, ".", real, sizeof(real)) == 0);
	CHECK(realpath(s.dir, want) && !strcmp(real, want));
	CHECK(sftp_mkdir(s.c, "d", 0700) == 0);
	CHECK(sftp_mkdir(s.c, "d", 0700) == -EEXIST);
	CHECK(sftp_sink_open(s.c, "d/f", &k) == 0);
	CHECK(write_shuffled(k, p) == 0);
	/* the header rewritten last, as the dump writer does */
	memset(p, 0xa5, 4096);
	CHECK(k->pwrite(k, p, 4096, 0) == 0);
	CHECK(k->bytes == BIG + 4096);
	CHECK(k->finish(k) == 0);
	CHECK(file_equals(s.dir, "d/f", p, BIG));
	CHECK(sftp_sink_open(s.c, "d/f", &k) == -EEXIST);
	CHECK(sftp_rename(s.c, "d/f", "d/g") == 0);
	CHECK(sftp_sink_open(s.c, "d/h", &k) == 0 && k->pwrite(k, "h", 1, 0) == 0 && k->finish(k) == 0);
	/* plain RENAME never replaces */
	CHECK(sftp_rename(s.c, "d/g", "d/h") == -EEXIST);
	CHECK(file_equals(s.dir, "d/g", p, BIG) && file_equals(s.dir, "d/h", (const uint8_t *)"h", 1));
	CHECK(sftp_sink_open(s.c, "nodir/f", &k) == -ENOENT);
	server_stop(&s);
	free(p);
	log_set_level(LOG_INFO);
}

TEST(sftp_server_read_only_dir)
{
	struct server s;
	struct sink *k;
	char ro[96];

	log_set_level(LOG_ERR - 1);
	if (server_start(&s, TIMEOUT_MS)) {
		CHECK(!"sftp-server started");
		return;
	}
	snprintf(ro, sizeof(ro), "%s/ro", s.dir);
	CHECK(mkdir(ro, 0555) == 0 && (getuid() || chown(ro, NOBODY, NOBODY) == 0));
	CHECK(sftp_mkdir(s.c, "ro/x", 0700) == -EACCES);
	CHECK(sftp_sink_open(s.c, "ro/f", &k) == -EACCES);
	CHECK(strstr(s.c->msg, "ermission") != NULL);
	server_stop(&s);
	log_set_level(LOG_INFO);
}

/* Write until the call fails; how long that took. */
static int64_t write_until_error(struct sink *k, const uint8_t *p, int *err)
{
	int64_t t0 = now_ms();

	*err = 0;
	for (uint64_t off = 0; !*err && now_ms() - t0 < 30000; off += BIG) {
		*err = k->pwrite(k, p, BIG, off);
	}
	return now_ms() - t0;
}

TEST(sftp_server_stopped_times_out)
{
	struct server s;
	struct sink *k;
	uint8_t *p = pattern(BIG);
	int err = 0;
	int64_t took;

	log_set_level(LOG_ERR - 1);
	if (server_start(&s, 700) || sftp_sink_open(s.c, "f", &k)) {
		CHECK(!"sftp-server started");
		return;
	}
	CHECK(k->pwrite(k, p, BIG, 0) == 0);
	kill(s.pid, SIGSTOP);
	took = write_until_error(k, p, &err);
	CHECK(err == -ETIMEDOUT);
	CHECK(took >= 700 && took < 3000);
	CHECK(k->finish(k) == -ETIMEDOUT);
	server_stop(&s);
	free(p);
	log_set_level(LOG_INFO);
}

TEST(sftp_server_exits_mid_transfer)
{
	struct server s;
	struct sink *k;
	uint8_t *p = pattern(BIG);
	int err = 0;
	int64_t took;

	log_set_level(LOG_ERR - 1);
	if (server_start(&s, TIMEOUT_MS) || sftp_sink_open(s.c, "f", &k)) {
		CHECK(!"sftp-server started");
		return;
	}
	CHECK(k->pwrite(k, p, BIG, 0) == 0);
	kill(s.pid, SIGKILL);
	took = write_until_error(k, p, &err);
	CHECK(err == -ECONNRESET || err == -EPIPE);
	CHECK(took < 2000);
	CHECK(k->finish(k) == err);
	server_stop(&s);
	free(p);
	log_set_level(LOG_INFO);
}

/* ---- scripted replies on a socketpair ---- */

static size_t pkt(uint8_t *b, uint8_t type, uint32_t id, const void *body, uint32_t n)
{
	uint32_t len = 5 + n;
	uint8_t h[9] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type,
			 (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id };

	memcpy(b, h, sizeof(h));
	memcpy(b + sizeof(h), body, n);
	return sizeof(h) + n;
}

/* A client whose server "said" SCRIPT (VERSION 3 first). */
static struct sftp *scripted(int sv[2], const uint8_t *script, size_t n, int timeout_ms)
{
	uint8_t b[64];
	struct sftp *c = calloc(1, sizeof(*c));
	size_t v = pkt(b, SSH_FXP_VERSION, 3, "", 0);

	if (!c || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || write(sv[1], b, v) != (ssize_t)v ||
	    write(sv[1], script, n) != (ssize_t)n || sftp_start(c, sv[0], sv[0], "script", timeout_ms)) {
		free(c);
		return NULL;
	}
	return c;
}

static void scripted_end(struct sftp *c, int sv[2])
{
	close(sv[0]);
	close(sv[1]);
	free(c);
}

TEST(sftp_scripted_failed_write_fails_file)
{
	static const uint8_t handle[] = { 0, 0, 0, 1, 'H' };
	static const uint8_t failure[] = { 0, 0, 0, 4, 0, 0, 0, 6, 'N', 'o', ' ', 's', 'p', 'c', 0, 0, 0, 0 };
	uint8_t script[128], data[100] = { 0 };
	size_t n = pkt(script, SSH_FXP_HANDLE, 1, handle, sizeof(handle));
	struct sink *k;
	struct sftp *c;
	int sv[2];

	log_set_level(LOG_ERR - 1);
	n += pkt(script + n, SSH_FXP_STATUS, 2, failure, sizeof(failure)); /* the first WRITE */
	c = scripted(sv, script, n, 500);
	CHECK(c && sftp_sink_open(c, "f", &k) == 0);
	if (c) {
		CHECK(k->pwrite(k, data, sizeof(data), 4096) == 0);  /* queued; fails later */
		CHECK(k->finish(k) == -EIO); /* not the CLOSE's timeout that follows */
		CHECK(!strcmp(c->msg, "No spc") && c->werr_off == 4096);
		scripted_end(c, sv);
	}
	log_set_level(LOG_INFO);
}

/* The WRITE packets the client sent, from the server's end of the socket. */
static int count_writes(int fd)
{
	static uint8_t b[256 * 1024];
	ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	int writes = 0;

	for (ssize_t off = 0; n > 0 && off + 5 <= n;) {
		uint32_t len = (uint32_t)b[off] << 24 | (uint32_t)b[off + 1] << 16 | (uint32_t)b[off + 2] << 8 | b[off + 3];

		writes += b[off + 4] == SSH_FXP_WRITE;
		off += 4 + (ssize_t)len;
	}
	return writes;
}

TEST(sftp_scripted_header_not_sent_after_failed_write)
{
	static const uint8_t handle[] = { 0, 0, 0, 1, 'H' };
	static const uint8_t failure[] = { 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t script[128], hdr[4096] = { 0 };
	size_t n = pkt(script, SSH_FXP_HANDLE, 1, handle, sizeof(handle));
	struct sink *k;
	struct sftp *c;
	int sv[2];

	log_set_level(LOG_ERR - 1);
	n += pkt(script + n, SSH_FXP_STATUS, 2, failure, sizeof(failure));
	c = scripted(sv, script, n, 300);
	CHECK(c && sftp_sink_open(c, "f", &k) == 0);
	if (c) {
		CHECK(k->pwrite(k, hdr, 100, 8192) == 0);
		/* the rewrite of offset 0 (clearing INCOMPLETE) waits for every
		 * earlier WRITE and is never sent after one failed */
		CHECK(k->pwrite(k, hdr, sizeof(hdr), 0) == -EIO);
		CHECK(count_writes(sv[1]) == 1);
		scripted_end(c, sv);
	}
	log_set_level(LOG_INFO);
}

TEST(sftp_scripted_protocol_errors)
{
	uint8_t script[64];
	char out[64];
	struct sftp *c;
	int sv[2];
	int64_t t0;

	log_set_level(LOG_ERR - 1);
	/* a reply longer than SFTP_REPLY_MAX */
	memcpy(script, "\x00\x10\x00\x00\x68", 5);
	c = scripted(sv, script, 5, 500);
	CHECK(c && sftp_realpath(c, ".", out, sizeof(out)) == -EPROTO);
	CHECK(c && sftp_mkdir(c, "x", 0700) == -EPROTO); /* the session stays dead */
	if (c) {
		scripted_end(c, sv);
	}
	/* a reply to an id never sent */
	c = scripted(sv, script, pkt(script, SSH_FXP_STATUS, 77, "\0\0\0\0", 4), 500);
	CHECK(c && sftp_mkdir(c, "x", 0700) == -EPROTO);
	if (c) {
		scripted_end(c, sv);
	}
	/* no answer at all */
	c = scripted(sv, script, 0, 300);
	t0 = now_ms();
	CHECK(c && sftp_mkdir(c, "x", 0700) == -ETIMEDOUT);
	CHECK(now_ms() - t0 >= 300 && now_ms() - t0 < 1500);
	if (c) {
		scripted_end(c, sv);
	}
	log_set_level(LOG_INFO);
}

TEST(sftp_parsers)
{
	static const uint8_t version[] = { 0, 0, 0, 3, 0, 0, 0, 17, 'f', 's', 'y', 'n', 'c', '@', 'o', 'p', 'e', 'n',
					   's', 's', 'h', '.', 'c', 'o', 'm', 0, 0, 0, 1, '1' };
	static const uint8_t attrs[] = { 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x41, 0xed };
	static const uint8_t bad_ext[] = { 0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
	struct sftp_attrs a;
	struct sftp_reply r;
	struct rd b;
	uint32_t v;
	bool fs;
	char msg[8];

	b = rd_init(version, sizeof(version));
	CHECK(sftp_parse_version(&b, &v, &fs) == 0 && v == 3 && fs);
	b = rd_init(version, sizeof(version) - 1);
	CHECK(sftp_parse_version(&b, &v, &fs) == -EPROTO);
	b = rd_init(attrs, sizeof(attrs));
	CHECK(sftp_parse_attrs(&b, &a) == 0 && a.size == 256 && a.perm == 040755);
	b = rd_init(bad_ext, sizeof(bad_ext));
	CHECK(sftp_parse_attrs(&b, &a) == -EPROTO);
	b = rd_init("\0\0\0\3\0\0\0\x12too long a message", 26);
	CHECK(sftp_parse_status(&b, msg, sizeof(msg)) == -EACCES && strlen(msg) == 7);
	b = rd_init("\0\0\0\2", 4);
	CHECK(sftp_parse_status(&b, msg, sizeof(msg)) == -ENOENT && !msg[0]);
	CHECK(sftp_errno(SSH_FX_FAILURE) == -EIO && sftp_errno(SSH_FX_OK) == 0 && sftp_errno(99) == -EIO);
	CHECK(sftp_parse_reply((const uint8_t *)"\0\0\0\5\x65\0\0\0\1", 9, &r) == 0 && r.type == 101 && r.id == 1);
	CHECK(sftp_parse_reply((const uint8_t *)"\0\0\0\4\x65\0\0\0", 8, &r) == -EPROTO);
	CHECK(sftp_parse_reply((const uint8_t *)"\0\0\0\6\x65\0\0\0\1", 9, &r) == -EPROTO);
}
