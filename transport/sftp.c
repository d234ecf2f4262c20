/* SFTP v3 client; see sftp.h. Wire format (filexfer-02): uint32 length (of
 * what follows), byte type, uint32 request id (not in INIT/VERSION), then the
 * fields; integers big-endian, strings uint32 length + bytes. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/io.h"
#include "lib/log.h"
#include "transport/sftp.h"

#define SFTP_EXIT_NOEXEC 127
#define SFTP_REAP_POLL_MS 10
#define SFTP_POLL_MS 100 /* wait_version: how often it looks whether the client took INIT */

#define FSYNC_EXT "fsync@openssh.com"
#define FSYNC_EXT_VERSION "1"
#define HDR_LEN 4       /* the length field */
#define MIN_PACKET 5    /* type + uint32 (an id, or VERSION's version) */
#define FILE_MODE 0600
#define WAIT_VERSION UINT32_MAX /* dispatch(): waiting for VERSION, which has no id */

/* ---- building requests ---- */

struct pk {
	uint8_t *p;
	size_t len, cap;
	bool err;
};

static void put(struct pk *k, const void *v, size_t n)
{
	if (k->err || n > k->cap - k->len) {
		k->err = true;
		return;
	}
	memcpy(k->p + k->len, v, n);
	k->len += n;
}

static void put_u8(struct pk *k, uint8_t v)
{
	put(k, &v, 1);
}

static void put_u32(struct pk *k, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	put(k, b, sizeof(b));
}

static void put_u64(struct pk *k, uint64_t v)
{
	uint8_t b[8];
	st_be64(b, v);
	put(k, b, sizeof(b));
}

static void put_str(struct pk *k, const void *s, size_t n)
{
	put_u32(k, (uint32_t)n);
	put(k, s, n);
}

static void put_path(struct pk *k, const char *path)
{
	size_t n = strlen(path);

	if (n >= SFTP_PATH_MAX) {
		k->err = true;
		return;
	}
	put_str(k, path, n);
}

static uint32_t new_id(struct sftp *c)
{
	if (++c->next_id == 0 || c->next_id == WAIT_VERSION) {
		c->next_id = 1;
	}
	return c->next_id;
}

/* A request of TYPE into c->tx with its id; *id receives it. */
static struct pk pk_start(struct sftp *c, uint8_t type, uint32_t *id)
{
	struct pk k = { .p = c->tx, .cap = sizeof(c->tx) };

	put_u32(&k, 0); /* length, set by pk_end */
	put_u8(&k, type);
	*id = new_id(c);
	put_u32(&k, *id);
	return k;
}

/* Set the length field; EXTRA is data sent after the built part. */
static int pk_end(struct pk *k, size_t extra)
{
	if (k->err) {
		return -ENAMETOOLONG;
	}
	k->len -= HDR_LEN;
	put_u32(&(struct pk){ .p = k->p, .cap = HDR_LEN }, (uint32_t)(k->len + extra));
	k->len += HDR_LEN;
	return 0;
}

/* ---- parsing replies (untrusted: every read through rd) ---- */

static const uint8_t *rd_str(struct rd *b, uint32_t *n)
{
	*n = rd_u32be(b);
	return rd_bytes(b, *n);
}

int sftp_errno(uint32_t code)
{
	/* 0..8 are version 3's; 9..15 come from later drafts (filexfer-13)
	 * and are mapped in case a server sends them anyway */
	static const int map[] = {
		[SSH_FX_OK] = 0, [SSH_FX_EOF] = EIO, [SSH_FX_NO_SUCH_FILE] = ENOENT,
		[SSH_FX_PERMISSION_DENIED] = EACCES, [SSH_FX_FAILURE] = EIO, [SSH_FX_BAD_MESSAGE] = EBADMSG,
		[SSH_FX_NO_CONNECTION] = ENOTCONN, [SSH_FX_CONNECTION_LOST] = ECONNRESET,
		[SSH_FX_OP_UNSUPPORTED] = EOPNOTSUPP, [9] = EBADF, [10] = ENOENT, [11] = EEXIST,
		[12] = EROFS, [13] = ENOMEDIUM, [14] = ENOSPC, [15] = EDQUOT,
	};

	return code < sizeof(map) / sizeof(map[0]) ? -map[code] : -EIO;
}

/* Printable ASCII of the server's text, for a log line. */
static void copy_text(char *out, size_t n, const uint8_t *p, uint32_t len)
{
	size_t o = 0;

	for (uint32_t i = 0; i < len && o + 1 < n; i++) {
		out[o++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	}
	out[o] = '\0';
}

int sftp_parse_status(struct rd *b, char *msg, size_t n)
{
	uint32_t code = rd_u32be(b), len;
	const uint8_t *text;

	if (b->err) {
		return -EPROTO;
	}
	/* the message and language tag are optional in old servers */
	text = rd_has(b, 4) ? rd_str(b, &len) : NULL;
	if (!text) {
		len = 0;
	}
	copy_text(msg, n, text, len);
	return sftp_errno(code);
}

int sftp_parse_attrs(struct rd *b, struct sftp_attrs *a)
{
	memset(a, 0, sizeof(*a));
	a->flags = rd_u32be(b);
	if (a->flags & SSH_FILEXFER_ATTR_SIZE) {
		a->size = rd_u64be(b);
	}
	if (a->flags & SSH_FILEXFER_ATTR_UIDGID) {
		a->uid = rd_u32be(b);
		a->gid = rd_u32be(b);
	}
	if (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) {
		a->perm = rd_u32be(b);
	}
	if (a->flags & SSH_FILEXFER_ATTR_ACMODTIME) {
		a->atime = rd_u32be(b);
		a->mtime = rd_u32be(b);
	}
	if (a->flags & SSH_FILEXFER_ATTR_EXTENDED) {
		uint32_t count = rd_u32be(b), len;

		/* each pair takes at least 8 bytes: a bad count runs out of input */
		for (uint32_t i = 0; i < count && !b->err; i++) {
			(void)rd_str(b, &len);
			(void)rd_str(b, &len);
		}
	}
	return b->err ? -EPROTO : 0;
}

int sftp_parse_version(struct rd *b, uint32_t *version, bool *has_fsync)
{
	*has_fsync = false;
	*version = rd_u32be(b);
	while (!b->err && rd_has(b, 1)) {
		uint32_t nlen, dlen;
		const uint8_t *name = rd_str(b, &nlen), *data = rd_str(b, &dlen);

		if (b->err) {
			break;
		}
		if (nlen == strlen(FSYNC_EXT) && !memcmp(name, FSYNC_EXT, nlen) &&
		    dlen == strlen(FSYNC_EXT_VERSION) && !memcmp(data, FSYNC_EXT_VERSION, dlen)) {
			*has_fsync = true;
		}
	}
	return b->err ? -EPROTO : 0;
}

int sftp_parse_reply(const uint8_t *p, size_t n, struct sftp_reply *r)
{
	struct rd b = rd_init(p, n);
	uint32_t len = rd_u32be(&b);

	if (b.err || len < MIN_PACKET || len > SFTP_REPLY_MAX - HDR_LEN || len != n - HDR_LEN) {
		return -EPROTO;
	}
	r->type = rd_u8(&b);
	r->id = rd_u32be(&b); /* VERSION: the version */
	r->body = rd_init(p + b.off, n - b.off);
	return b.err ? -EPROTO : 0;
}

/* ---- the stream ---- */

/* The session is over: log why once; every later call returns ERR. */
static int die(struct sftp *c, int err, const char *why)
{
	if (!c->dead) {
		c->dead = err;
		log_err("sftp %s: %s (%s); the transfer is abandoned: check the server and the SSH client",
			c->peer, why, io_errname(err));
	}
	return c->dead;
}

/* Wait until RFD is readable or (WANT_OUT) WFD is writable, until DEADLINE.
 * Returns the poll entries' revents as bit 0 (in) and bit 1 (out). */
static int wait_io(struct sftp *c, bool want_out, int64_t deadline)
{
	struct pollfd pf[2] = { { .fd = c->rfd, .events = POLLIN }, { .fd = c->wfd, .events = POLLOUT } };
	int left = (int)(deadline - mono_ms()), k;

	if (left <= 0) {
		char why[96];

		snprintf(why, sizeof(why), "no answer from the server within %.1f s", c->timeout_ms / 1000.0);
		return die(c, -ETIMEDOUT, why);
	}
	k = poll(pf, want_out ? 2 : 1, left);
	if (k < 0) {
		return errno == EINTR ? 0 : die(c, -errno, "poll failed");
	}
	return (pf[0].revents ? 1 : 0) | (want_out && pf[1].revents ? 2 : 0);
}

/* Read what the server sent, without blocking. */
static int rx_fill(struct sftp *c)
{
	ssize_t k;

	if (c->rlen == sizeof(c->rbuf)) {
		return 0; /* holds a whole packet (rx_front bounds them): dispatch it first */
	}
	k = io_read_some(c->rfd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
	if (k == -EAGAIN) {
		return 0;
	}
	if (k < 0) {
		return die(c, (int)k, "cannot read from the server");
	}
	if (k == 0) {
		return die(c, -ECONNRESET, "the server closed the connection (the SSH client or sftp-server exited)");
	}
	c->rlen += (size_t)k;
	return 0;
}

/* The packet at the front of rbuf: 1 with *r and *plen, 0 while incomplete. */
static int rx_front(struct sftp *c, struct sftp_reply *r, size_t *plen)
{
	uint32_t len;
	struct rd b = rd_init(c->rbuf, c->rlen);

	len = rd_u32be(&b);
	if (b.err) {
		return 0;
	}
	if (len < MIN_PACKET || len > SFTP_REPLY_MAX - HDR_LEN) {
		return die(c, -EPROTO, "a reply of impossible length: not an SFTP server, or a corrupt stream");
	}
	if (c->rlen < HDR_LEN + (size_t)len) {
		return 0;
	}
	*plen = HDR_LEN + len;
	if (sftp_parse_reply(c->rbuf, *plen, r)) {
		return die(c, -EPROTO, "a malformed reply");
	}
	return 1;
}

static void rx_consume(struct sftp *c, size_t plen)
{
	memmove(c->rbuf, c->rbuf + plen, c->rlen - plen);
	c->rlen -= plen;
}

static struct sftp_slot *slot_of(struct sftp *c, uint32_t id)
{
	for (unsigned i = 0; i < SFTP_WINDOW; i++) {
		if (c->slots[i].busy && c->slots[i].id == id) {
			return &c->slots[i];
		}
	}
	return NULL;
}

/* The STATUS of a pipelined WRITE: the first failure fails the file. */
static int write_done(struct sftp *c, struct sftp_slot *sl, struct sftp_reply *r)
{
	char msg[SFTP_MSG_MAX];
	int e;

	sl->busy = false;
	c->inflight--;
	if (r->type != SSH_FXP_STATUS) {
		return die(c, -EPROTO, "a WRITE was answered by something other than STATUS");
	}
	e = sftp_parse_status(&r->body, msg, sizeof(msg));
	if (e == -EPROTO) {
		return die(c, -EPROTO, "a malformed STATUS reply to a WRITE");
	}
	if (e && !c->werr) {
		c->werr = e;
		c->werr_off = sl->off;
		memcpy(c->msg, msg, sizeof(msg));
		log_err("sftp %s: %s: the write at offset %llu failed: the server says \"%s\" (%s)", c->peer,
			c->path, (unsigned long long)sl->off, msg, io_errname(e));
	}
	return 0;
}

/* Handle the WRITE replies at the front of rbuf. Returns 1 when the front
 * packet answers WAIT_ID (left there; WAIT_VERSION: is VERSION), 0 when
 * more input is needed. */
static int dispatch(struct sftp *c, uint32_t wait_id)
{
	struct sftp_reply r;
	struct sftp_slot *sl;
	size_t plen;
	int k;

	while ((k = rx_front(c, &r, &plen)) == 1) {
		if (wait_id == WAIT_VERSION ? r.type == SSH_FXP_VERSION
					    : wait_id && r.id == wait_id && r.type != SSH_FXP_VERSION) {
			return 1;
		}
		sl = slot_of(c, r.id);
		if (wait_id == WAIT_VERSION) {
			return die(c, -EPROTO, "the first reply is not VERSION: is the remote end an SFTP server?");
		}
		if (!sl || r.type == SSH_FXP_VERSION) {
			return die(c, -EPROTO, "a reply to a request that was never sent");
		}
		k = write_done(c, sl, &r);
		rx_consume(c, plen);
		if (k) {
			return k;
		}
	}
	return k;
}

/* One wait for the server, then whatever it sent is read and dispatched
 * (a reply to WAIT_ID stays at the front of rbuf). */
static int pump(struct sftp *c, bool want_out, uint32_t wait_id, int64_t deadline)
{
	int k = wait_io(c, want_out, deadline);

	if (k < 0) {
		return k;
	}
	if (k & 1) {
		k = rx_fill(c);
		if (k == 0) {
			k = dispatch(c, wait_id);
		}
	}
	return k < 0 ? k : 0;
}

/* Send A then B whole; replies that arrive meanwhile are handled, so the
 * server never blocks on its output while we block on our input. */
static int send2(struct sftp *c, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int64_t deadline = mono_ms() + c->timeout_ms;

	while (an + bn) {
		const uint8_t **p = an ? &a : &b;
		size_t *n = an ? &an : &bn;
		ssize_t k = io_write_some(c->wfd, *p, *n);

		if (k > 0) {
			*p += k;
			*n -= (size_t)k;
			deadline = mono_ms() + c->timeout_ms;
			continue;
		}
		if (k != -EAGAIN) {
			return die(c, k ? (int)k : -EIO, "cannot send to the server (the SSH client or sftp-server exited?)");
		}
		k = pump(c, true, 0, deadline);
		if (k < 0) {
			return (int)k;
		}
	}
	return 0;
}

/* Send the request in c->tx and wait for the reply to ID, left at the front
 * of rbuf (*plen bytes): the caller parses it, then calls rx_consume. */
static int request(struct sftp *c, struct pk *k, uint32_t id, struct sftp_reply *r, size_t *plen)
{
	int64_t deadline;
	int e;

	if (c->dead) {
		return c->dead;
	}
	e = pk_end(k, 0);
	if (!e) {
		e = send2(c, k->p, k->len, NULL, 0);
	}
	if (e) {
		return e;
	}
	deadline = mono_ms() + c->timeout_ms;
	while ((e = dispatch(c, id)) == 0) {
		e = pump(c, false, id, deadline);
		if (e < 0) {
			return e;
		}
	}
	if (e < 0) {
		return e;
	}
	return rx_front(c, r, plen) == 1 ? 0 : -EPROTO;
}

/* A request answered by STATUS: 0 or the mapped -errno (text in c->msg). */
static int request_status(struct sftp *c, struct pk *k, uint32_t id)
{
	struct sftp_reply r;
	size_t plen;
	int e = request(c, k, id, &r, &plen);

	if (e) {
		return e;
	}
	if (r.type != SSH_FXP_STATUS) {
		return die(c, -EPROTO, "an unexpected reply type where STATUS belongs");
	}
	c->msg[0] = '\0';
	e = sftp_parse_status(&r.body, c->msg, sizeof(c->msg));
	rx_consume(c, plen);
	return e == -EPROTO ? die(c, e, "a malformed STATUS reply") : e;
}

/* A request answered by a reply of type WANT, or by STATUS when it failed:
 * 0 with the reply at the front of rbuf (*plen bytes: the caller parses it,
 * then calls rx_consume), or -errno (a STATUS error's text in c->msg).
 * WHAT names the request in messages. */
static int request_data(struct sftp *c, struct pk *k, uint32_t id, uint8_t want, const char *what,
			struct sftp_reply *r, size_t *plen)
{
	char why[96];
	int e = request(c, k, id, r, plen);

	if (e) {
		return e;
	}
	if (r->type == SSH_FXP_STATUS) {
		e = sftp_parse_status(&r->body, c->msg, sizeof(c->msg));
		rx_consume(c, *plen);
		if (e) {
			return e;
		}
		snprintf(why, sizeof(why), "%s answered OK without its data", what);
		return die(c, -EPROTO, why);
	}
	if (r->type != want) {
		snprintf(why, sizeof(why), "%s answered by an unexpected reply type %u", what, r->type);
		return die(c, -EPROTO, why);
	}
	return 0;
}

/* ---- operations ---- */

/* The client read all we sent it. Only a pipe tells (FIONREAD on its write
 * end counts what is still in it); other fds count as taken. */
static bool init_taken(struct sftp *c)
{
	struct stat st;
	int left = 0;

	if (fstat(c->wfd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		return true;
	}
	return ioctl(c->wfd, FIONREAD, &left) == 0 && left == 0;
}

/* Until VERSION is at the front of rbuf: TIMEOUT_MS in all, SFTP_OPEN_MS
 * from when the client took INIT (looked at every SFTP_POLL_MS). */
static int wait_version(struct sftp *c)
{
	int64_t deadline = mono_ms() + c->timeout_ms, now, until;
	char why[128];
	int e;

	while ((e = dispatch(c, WAIT_VERSION)) == 0) {
		now = mono_ms();
		if (!c->opened && init_taken(c)) {
			c->opened = true;
			deadline = now + SFTP_OPEN_MS < deadline ? now + SFTP_OPEN_MS : deadline;
		}
		if (now >= deadline && c->opened) {
			snprintf(why, sizeof(why), "the SSH session is open but no SFTP VERSION came within %.1f s",
				 (c->timeout_ms < SFTP_OPEN_MS ? c->timeout_ms : SFTP_OPEN_MS) / 1000.0);
			return die(c, -ETIMEDOUT, why);
		}
		until = c->opened || now + SFTP_POLL_MS > deadline ? deadline : now + SFTP_POLL_MS;
		if (until < deadline && until <= mono_ms()) {
			continue; /* a slice gone by: never the "no answer" of wait_io */
		}
		e = pump(c, false, WAIT_VERSION, until);
		if (e < 0) {
			return e;
		}
	}
	return e < 0 ? e : 0;
}

int sftp_start(struct sftp *c, int rfd, int wfd, const char *peer, int timeout_ms)
{
	struct sftp_reply r;
	struct pk k;
	size_t plen;
	int e;

	memset(c, 0, sizeof(*c));
	c->peer = peer;
	c->rfd = rfd;
	c->wfd = wfd;
	c->timeout_ms = timeout_ms;
	/* a dead client must be an EPIPE here, not the end of the process */
	signal(SIGPIPE, SIG_IGN);
	if (fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(wfd, F_SETFL, fcntl(wfd, F_GETFL) | O_NONBLOCK) < 0) {
		return die(c, -errno, "cannot make the client's pipes non-blocking");
	}
	k = (struct pk){ .p = c->tx, .cap = sizeof(c->tx) };
	put_u32(&k, 0);
	put_u8(&k, SSH_FXP_INIT);
	put_u32(&k, SFTP_VERSION);
	e = pk_end(&k, 0);
	if (!e) {
		e = send2(c, k.p, k.len, NULL, 0);
	}
	if (!e) {
		e = wait_version(c);
	}
	c->opened = c->opened || init_taken(c);
	if (e < 0 || (e = rx_front(c, &r, &plen)) != 1) {
		return e < 0 ? e : -EPROTO;
	}
	if (r.type != SSH_FXP_VERSION) {
		return die(c, -EPROTO, "the first reply is not VERSION: is the subsystem sftp?");
	}
	r.body = rd_init(c->rbuf + HDR_LEN + 1, plen - HDR_LEN - 1);
	if (sftp_parse_version(&r.body, &c->version, &c->has_fsync)) {
		return die(c, -EPROTO, "a malformed VERSION reply");
	}
	rx_consume(c, plen);
	if (c->version != SFTP_VERSION) {
		return die(c, -EPROTONOSUPPORT, "the server does not speak SFTP version 3");
	}
	log_debug("sftp %s: version %u%s", peer, c->version, c->has_fsync ? ", fsync@openssh.com" : "");
	return 0;
}

int sftp_realpath(struct sftp *c, const char *path, char *out, size_t n)
{
	struct sftp_reply r;
	uint32_t id, len;
	const uint8_t *name;
	size_t plen;
	struct pk k = pk_start(c, SSH_FXP_REALPATH, &id);
	int e;

	put_path(&k, path);
	e = request_data(c, &k, id, SSH_FXP_NAME, "REALPATH", &r, &plen);
	if (e) {
		return e;
	}
	if (rd_u32be(&r.body) != 1) {
		return die(c, -EPROTO, "REALPATH not answered by one NAME");
	}
	name = rd_str(&r.body, &len);
	if (r.body.err || memchr(name, 0, len)) {
		return die(c, -EPROTO, "a malformed NAME reply");
	}
	e = len < n ? 0 : -ENAMETOOLONG;
	if (!e) {
		memcpy(out, name, len);
		out[len] = '\0';
	}
	rx_consume(c, plen);
	return e;
}

int sftp_stat(struct sftp *c, const char *path, bool follow, struct sftp_attrs *a)
{
	struct sftp_reply r;
	uint32_t id;
	size_t plen;
	struct pk k = pk_start(c, follow ? SSH_FXP_STAT : SSH_FXP_LSTAT, &id);
	int e;

	put_path(&k, path);
	e = request_data(c, &k, id, SSH_FXP_ATTRS, "STAT", &r, &plen);
	if (e) {
		return e;
	}
	if (sftp_parse_attrs(&r.body, a)) {
		return die(c, -EPROTO, "a malformed ATTRS reply");
	}
	rx_consume(c, plen);
	return 0;
}

/* OpenSSH answers FAILURE for EEXIST (it maps few errnos): a FAILURE where
 * PATH exists afterwards is EEXIST. */
static int eexist_check(struct sftp *c, int e, const char *path)
{
	struct sftp_attrs a;
	char msg[SFTP_MSG_MAX];

	if (e != -EIO) {
		return e;
	}
	memcpy(msg, c->msg, sizeof(msg));
	if (sftp_stat(c, path, false, &a) == 0) {
		e = -EEXIST;
	}
	memcpy(c->msg, msg, sizeof(msg));
	return c->dead ? c->dead : e;
}

int sftp_mkdir(struct sftp *c, const char *path, uint32_t mode)
{
	uint32_t id;
	struct pk k = pk_start(c, SSH_FXP_MKDIR, &id);

	put_path(&k, path);
	put_u32(&k, SSH_FILEXFER_ATTR_PERMISSIONS);
	put_u32(&k, mode);
	return eexist_check(c, request_status(c, &k, id), path);
}

int sftp_rename(struct sftp *c, const char *from, const char *to)
{
	uint32_t id;
	struct pk k = pk_start(c, SSH_FXP_RENAME, &id);

	put_path(&k, from);
	put_path(&k, to);
	return eexist_check(c, request_status(c, &k, id), to);
}

/* ---- the file being written: a sink ---- */

static struct sftp *of_sink(struct sink *s)
{
	return (struct sftp *)((char *)s - offsetof(struct sftp, sink));
}

/* Wait for replies until at most MAX WRITEs are in flight. */
static int drain_to(struct sftp *c, unsigned max)
{
	int64_t deadline = mono_ms() + c->timeout_ms;
	int e;

	while (c->inflight > max) {
		e = dispatch(c, 0);
		if (!e && c->inflight > max) {
			e = pump(c, false, 0, deadline);
		}
		if (e < 0) {
			return e;
		}
	}
	return 0;
}

/* Whether a WRITE in flight covers part of [off, off + n): the server need
 * not apply two WRITEs in the order sent, so an overlapping one waits for
 * the earlier to be answered. */
static bool overlaps(struct sftp *c, uint64_t off, size_t n)
{
	for (unsigned i = 0; i < SFTP_WINDOW; i++) {
		const struct sftp_slot *sl = &c->slots[i];

		if (sl->busy && sl->off < off + n && off < sl->off + sl->len) {
			return true;
		}
	}
	return false;
}

static int send_write(struct sftp *c, const uint8_t *p, size_t n, uint64_t off)
{
	struct sftp_slot *sl = NULL;
	uint32_t id;
	struct pk k;
	/* offset 0 is the dump header, whose rewrite at the end clears
	 * INCOMPLETE: it goes out only once every earlier WRITE succeeded */
	int e = drain_to(c, off == 0 || overlaps(c, off, n) ? 0 : SFTP_WINDOW - 1);

	if (e || c->werr) {
		return e ? e : c->werr;
	}
	for (unsigned i = 0; i < SFTP_WINDOW && !sl; i++) {
		sl = c->slots[i].busy ? NULL : &c->slots[i];
	}
	k = pk_start(c, SSH_FXP_WRITE, &id);
	put_str(&k, c->handle, c->handle_len);
	put_u64(&k, off);
	put_u32(&k, (uint32_t)n);
	e = pk_end(&k, n);
	if (!e) {
		*sl = (struct sftp_slot){ .id = id, .busy = true, .off = off, .len = (uint32_t)n };
		c->inflight++;
		e = send2(c, k.p, k.len, p, n);
	}
	return e;
}

static int sink_pwrite(struct sink *s, const void *buf, size_t n, uint64_t off)
{
	struct sftp *c = of_sink(s);
	const uint8_t *p = buf;
	size_t done = 0;

	while (done < n && !c->dead && !c->werr) {
		size_t len = n - done < SFTP_CHUNK ? n - done : SFTP_CHUNK;
		int e = send_write(c, p + done, len, off + done);

		if (e) {
			return e;
		}
		done += len;
	}
	if (c->dead || c->werr) {
		return c->dead ? c->dead : c->werr;
	}
	s->bytes += n;
	return 0;
}

static int close_handle(struct sftp *c)
{
	uint32_t id;
	struct pk k = pk_start(c, SSH_FXP_CLOSE, &id);

	put_str(&k, c->handle, c->handle_len);
	c->open = false;
	return request_status(c, &k, id);
}

static int fsync_handle(struct sftp *c)
{
	uint32_t id;
	struct pk k = pk_start(c, SSH_FXP_EXTENDED, &id);

	put_str(&k, FSYNC_EXT, strlen(FSYNC_EXT));
	put_str(&k, c->handle, c->handle_len);
	return request_status(c, &k, id);
}

/* Every WRITE answered, fsync (when offered) and CLOSE confirmed. */
static int sink_finish(struct sink *s)
{
	struct sftp *c = of_sink(s);
	int e = drain_to(c, 0), f = 0;

	if (!e && c->werr) {
		e = c->werr;
	}
	if (!c->dead && c->has_fsync) {
		f = fsync_handle(c);
		if (f && !c->dead) {
			log_err("sftp %s: %s: fsync failed: the server says \"%s\" (%s)", c->peer, c->path, c->msg,
				io_errname(f));
		}
	}
	if (!c->dead) {
		int k = close_handle(c);

		if (k && !c->dead) {
			log_err("sftp %s: %s: close failed: the server says \"%s\" (%s)", c->peer, c->path, c->msg,
				io_errname(k));
		}
		f = f ? f : k;
	}
	/* the first cause: a failed WRITE, then a dead session, then fsync/close */
	return e ? e : c->dead ? c->dead : f;
}

/* After a failure: close what can be closed; the data written stays. */
static void sink_abort(struct sink *s)
{
	struct sftp *c = of_sink(s);

	if (!c->dead && c->open && drain_to(c, 0) == 0) {
		(void)close_handle(c);
	}
}

int sftp_sink_open(struct sftp *c, const char *path, struct sink **s)
{
	struct sftp_reply r;
	uint32_t id, len;
	const uint8_t *h;
	size_t plen;
	struct pk k = pk_start(c, SSH_FXP_OPEN, &id);
	int e;

	put_path(&k, path);
	put_u32(&k, SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_EXCL);
	put_u32(&k, SSH_FILEXFER_ATTR_PERMISSIONS);
	put_u32(&k, FILE_MODE);
	e = request_data(c, &k, id, SSH_FXP_HANDLE, "OPEN", &r, &plen);
	if (e) {
		return eexist_check(c, e, path);
	}
	h = rd_str(&r.body, &len);
	if (r.body.err || len > SFTP_HANDLE_MAX) {
		return die(c, -EPROTO, "OPEN not answered by a valid HANDLE");
	}
	memcpy(c->handle, h, len);
	c->handle_len = len;
	rx_consume(c, plen);
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->open = true;
	c->werr = 0;
	memset(&c->sink, 0, sizeof(c->sink));
	c->sink.name = c->path;
	c->sink.fd = -1;
	c->sink.pwrite = sink_pwrite;
	c->sink.finish = sink_finish;
	c->sink.abort = sink_abort;
	*s = &c->sink;
	return 0;
}

pid_t sftp_spawn(char *const argv[], char *const envp[], int *rfd, int *wfd)
{
	int in[2], out[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0) {
		return -errno;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -errno;
	}
	pid = fork();
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		if (envp) {
			execve(argv[0], argv, envp);
		} else {
			execvp(argv[0], argv);
		}
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(SFTP_EXIT_NOEXEC);
	}
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		return -errno;
	}
	*rfd = out[0];
	*wfd = in[1];
	return pid;
}

void sftp_reap(pid_t pid, int timeout_ms, bool kill_now)
{
	struct timespec ts = { 0, SFTP_REAP_POLL_MS * 1000000L };

	for (int t = 0; !kill_now && t < timeout_ms; t += SFTP_REAP_POLL_MS) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			return;
		}
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
