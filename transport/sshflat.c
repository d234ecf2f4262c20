/* The flattened dump into a remote shell command; see sshflat.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/rd.h"
#include "transport/flat.h"
#include "transport/sftp.h"
#include "transport/sshflat.h"

#define SESSION_LINE_MAX 512          /* a line from the remote command */
#define COPY_CHUNK (64u << 10)
#define REAP_MS 5000           /* for the client to exit after its stdin closed */
#define MARK_DIR "kdumpcap-dir "
#define MARK_READY "kdumpcap-ready"
#define MARK_SAVED "kdumpcap-saved"
#define ID_AND_TIME (FLAT_ID_SIZE + 8)
#define TAIL_CHECKED (FLAT_REC_SIZE + FLAT_TRL_OFF_END) /* end record, tag, id, time */
#define TAIL_HEX_MAX (2 * TAIL_CHECKED + 1)

/* The id and the crash time lie together in the header and in the trailer:
 * the remote check compares the file's last bytes with its first. */
_Static_assert(FLAT_OFF_ID_TIME == FLAT_OFF_ID + FLAT_ID_SIZE && FLAT_TRL_OFF_TIME == FLAT_TRL_OFF_ID + FLAT_ID_SIZE &&
		       FLAT_TRL_OFF_END == FLAT_TRL_OFF_TIME + 8 && FLAT_TRL_OFF_ID == FLAT_TAG_SIZE,
	       "flat.h layout");

/* $1 base, $2 name, $3 the log's size (-1: none), $4 the last suffix. */
static const char script_dir[] =
	"umask 022; mkdir -p \"$1\" && cd \"$1\" || exit 1; umask 077; d=$2; k=0; "
	"until mkdir \"$d\" 2>/dev/null; do [ -e \"$d\" ] && [ $k -lt $4 ] || exit 1; k=$((k+1)); d=$2-$k; done; "
	"echo \"" MARK_DIR "$PWD/$d\"; f=$d/vmcore-dmesg-incomplete.txt; "
	"cat > \"$f\" && [ $(wc -c < \"$f\") -eq $3 ] && sync && ln \"$f\" \"$d/vmcore-dmesg.txt\" && rm \"$f\" && "
	"echo " MARK_SAVED;

/* $1 the directory, $2 the hex of the end record and the trailer's tag;
 * %d: the id's offset and size with the time, the trailer's size, the
 * bytes compared. */
static const char script_flat[] =
	"umask 077; cd \"$1\" || exit 1; set -C; f=" SSHFLAT_FLAT_TMP "; : > \"$f\" || exit 1; echo " MARK_READY "; "
	"cat >> \"$f\"; h=$(od -An -tx1 -j%d -N%d \"$f\" | tr -d \" \\n\"); "
	"t=$(tail -c %d \"$f\" | od -An -tx1 -N%d | tr -d \" \\n\"); "
	"[ ${#h} -eq %d ] && [ \"$t\" = \"$2$h\" ] && sync && ln \"$f\" " SSHFLAT_FLAT " && rm \"$f\" && echo " MARK_SAVED;

struct session {
	pid_t pid;
	int rfd, wfd;
	size_t len;
	char buf[SESSION_LINE_MAX];
};

static bool quotable(const char *s)
{
	return !strchr(s, '\'') && !strchr(s, '\n');
}

/* exec sh -c 'SCRIPT' kdumpcap 'ARG'... into OUT (the login shell may be any). */
static int build_cmd(char *out, size_t n, const char *script, const char *const *args, unsigned nargs)
{
	size_t len = (size_t)snprintf(out, n, "exec sh -c '%s' kdumpcap", script);

	for (unsigned i = 0; i < nargs && len < n; i++) {
		len += (size_t)snprintf(out + len, n - len, " '%s'", args[i]);
	}
	return len < n ? 0 : -ENAMETOOLONG;
}

static int session_start(const struct sshflat *f, struct session *s, const char *cmd)
{
	memset(s, 0, sizeof(*s));
	s->rfd = s->wfd = -1;
	s->pid = f->spawn(f->ctx, cmd, &s->rfd, &s->wfd);
	if (s->pid < 0) {
		log_err("cannot start the SSH client: %s", strerror((int)-s->pid));
		return (int)s->pid;
	}
	return 0;
}

static void session_end(struct session *s, bool failed)
{
	if (s->wfd >= 0) {
		close(s->wfd);
	}
	close(s->rfd);
	sftp_reap(s->pid, REAP_MS, failed);
}

/* A whole line starting with MARK in the buffer: 1 (its rest into ARG), else 0. */
static int take_line(struct session *s, const char *mark, char *arg, size_t n)
{
	char *nl;

	while ((nl = memchr(s->buf, '\n', s->len))) {
		size_t l = (size_t)(nl - s->buf), m = strlen(mark);
		bool hit = l >= m && !memcmp(s->buf, mark, m);

		if (hit && arg) {
			snprintf(arg, n, "%.*s", (int)(l - m), s->buf + m);
		}
		memmove(s->buf, nl + 1, s->len - l - 1);
		s->len -= l + 1;
		if (hit) {
			return 1;
		}
	}
	if (s->len == sizeof(s->buf)) {
		s->len = 0; /* a longer line is none of ours */
	}
	return 0;
}

/* Wait (TIMEOUT_MS) for the line MARK; 0, -ETIMEDOUT, or -ECONNRESET
 * when the command ended without it. */
static int session_line(int timeout_ms, struct session *s, const char *mark, char *arg, size_t n)
{
	int64_t deadline = mono_ms() + timeout_ms;

	while (!take_line(s, mark, arg, n)) {
		struct pollfd pf = { .fd = s->rfd, .events = POLLIN };
		int left = (int)(deadline - mono_ms());
		ssize_t k;

		if (left <= 0) {
			return -ETIMEDOUT;
		}
		if (poll(&pf, 1, left) <= 0) {
			continue;
		}
		k = io_read_some(s->rfd, s->buf + s->len, sizeof(s->buf) - s->len);
		if (k == 0) {
			return -ECONNRESET;
		}
		if (k < 0 && k != -EAGAIN) {
			return (int)k;
		}
		s->len += k > 0 ? (size_t)k : 0;
	}
	return 0;
}

/* Why session_line failed with R after waiting MS, for a message
 * (OTHER when the command ended or broke). */
static const char *why_no_line(int r, int ms, const char *other, char *buf, size_t n)
{
	if (r != -ETIMEDOUT) {
		return other ? other : strerror(-r);
	}
	snprintf(buf, n, "no answer within %.1f s", ms / 1000.0);
	return buf;
}

/* The kernel log into the scratch file; its size, or -1 after a message. */
static off_t dmesg_local(const struct sshflat *f, const struct sshflat_source *src, int *fd)
{
	int r;

	*fd = io_open(f->dmesg_tmp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	r = *fd < 0 ? *fd : src->dmesg(src->ctx, *fd);
	if (r) {
		log_err("cannot collect the kernel log into %s: %s; the vmcore goes on", f->dmesg_tmp, strerror(-r));
		return -1;
	}
	return lseek(*fd, 0, SEEK_END);
}

static int send_file(int fd, int out)
{
	char *buf = malloc(COPY_CHUNK);
	uint64_t off = 0;
	ssize_t k = buf ? 0 : -ENOMEM;
	int r = 0;

	while (buf && r == 0 && (k = io_pread(fd, buf, COPY_CHUNK, off)) > 0) {
		r = io_write(out, buf, (size_t)k);
		off += (uint64_t)k;
	}
	free(buf);
	return r ? r : (int)(k < 0 ? k : 0);
}

/* Session 1: the directory (into DIR) and the kernel log in it. Only a
 * missing directory is an error. */
static int send_dmesg(const struct sshflat *f, const struct sshflat_source *src, const char *base, const char *name,
		      char *dir, size_t n)
{
	char cmd[SSHFLAT_CMD_MAX], size[32], max[16], why[48];
	const char *args[] = { base, name, size, max };
	struct session s = { .pid = -1 };
	bool saved = false;
	int fd, r;
	off_t len = dmesg_local(f, src, &fd);

	snprintf(size, sizeof(size), "%lld", (long long)len);
	snprintf(max, sizeof(max), "%u", f->max_suffix);
	r = build_cmd(cmd, sizeof(cmd), script_dir, args, 4);
	r = r ? r : session_start(f, &s, cmd);
	if (r == 0 && (r = session_line(f->handshake_ms, &s, MARK_DIR, dir, n)) != 0) {
		log_err("SSH server %s: no dump directory under %s (%s): see the messages above", f->peer, base,
			why_no_line(r, f->handshake_ms, NULL, why, sizeof(why)));
	}
	if (r == 0 && len >= 0 && send_file(fd, s.wfd) == 0) {
		close(s.wfd);
		s.wfd = -1;
		saved = session_line(f->timeout_ms, &s, MARK_SAVED, NULL, 0) == 0;
	}
	if (r == 0) {
		if (saved) {
			log_info("saved %s/vmcore-dmesg.txt on %s", dir, f->peer);
		} else {
			log_err("SSH server %s: the kernel log was not confirmed: no %s/vmcore-dmesg.txt", f->peer, dir);
		}
	}
	if (s.pid > 0) {
		session_end(&s, !saved);
	}
	if (fd >= 0) {
		io_close(fd);
		unlink(f->dmesg_tmp);
	}
	return r;
}

/* What the stream's last TAIL_CHECKED bytes begin with, in hex: the end
 * record and the trailer's tag (the id and time follow, as in the header). */
static void tail_hex(char *hex)
{
	uint8_t b[FLAT_REC_SIZE + FLAT_TAG_SIZE] = { 0 };

	st_be64(b, FLAT_END);
	st_be64(b + 8, FLAT_END);
	memcpy(b + FLAT_REC_SIZE, FLAT_TRL_TAG, sizeof(FLAT_TRL_TAG));
	for (size_t i = 0; i < sizeof(b); i++) {
		sprintf(hex + 2 * i, "%02x", b[i]);
	}
}

static int flat_cmd(char *cmd, size_t n, const char *dir)
{
	char script[sizeof(script_flat) + 64], hex[TAIL_HEX_MAX];
	const char *args[] = { dir, hex };

	tail_hex(hex);
	snprintf(script, sizeof(script), script_flat, FLAT_OFF_ID, ID_AND_TIME, FLAT_REC_SIZE + FLAT_TRL_SIZE,
		 TAIL_CHECKED, 2 * ID_AND_TIME);
	return build_cmd(cmd, n, script, args, 2);
}

/* Session 2: the stream, confirmed. */
static int send_flat(const struct sshflat *f, const struct sshflat_source *src, const char *dir)
{
	char cmd[SSHFLAT_CMD_MAX], label[SSHFLAT_CMD_MAX], why[48];
	struct session s;
	int r = flat_cmd(cmd, sizeof(cmd), dir);

	snprintf(label, sizeof(label), "%s:%s/%s", f->peer, dir, SSHFLAT_FLAT_TMP);
	r = r ? r : session_start(f, &s, cmd);
	if (r) {
		return r;
	}
	r = session_line(f->handshake_ms, &s, MARK_READY, NULL, 0);
	if (r) {
		log_err("SSH server %s: cannot create %s (%s)", f->peer, label,
			why_no_line(r, f->handshake_ms, "the command failed: see the messages above", why, sizeof(why)));
	} else {
		log_info("saving the vmcore to %s (flattened: the server has no SFTP)", label);
		r = src->stream(src->ctx, s.wfd, label);
		s.wfd = -1;
	}
	if (r == 0 && (r = session_line(f->timeout_ms, &s, MARK_SAVED, NULL, 0)) != 0) {
		log_err("SSH server %s: %s/%s was not confirmed (%s)", f->peer, dir, SSHFLAT_FLAT,
			why_no_line(r, f->timeout_ms, "the command ended without saying it was saved", why,
				    sizeof(why)));
	}
	session_end(&s, r != 0);
	return r;
}

int sshflat_save(const struct sshflat *f, const struct sshflat_source *src, const char *base, const char *name,
		 char *dir, size_t n)
{
	int r;

	snprintf(dir, n, "%s/%s", base, name); /* for messages until the server names it */
	if (!quotable(base) || !quotable(name)) {
		log_err("the dump path %s/%s holds a quote or a newline: not sent to a shell; change 'path'", base, name);
		return -EINVAL;
	}
	signal(SIGPIPE, SIG_IGN); /* a dead client is an EPIPE */
	r = send_dmesg(f, src, base, name, dir, n);
	if (r == 0 && !quotable(dir)) {
		r = -EINVAL;
	}
	r = r ? r : send_flat(f, src, dir);
	if (r) {
		log_err("the dump in %s on %s is incomplete (%s): kept as %s", dir, f->peer, strerror(-r),
			SSHFLAT_FLAT_TMP);
		return r;
	}
	log_info("saved %s/%s on %s", dir, SSHFLAT_FLAT, f->peer);
	return 0;
}
