/* SSH target: `ssh user@host[:port]` (+ `sshkey`, `path`). The image holds
 * dropbear's static dbclient, the key in dropbear's format and the server's
 * host keys, pinned when the image was built (never asked: dbclient's
 * stdin is the SFTP stream). PID 1's writer child starts
 * `dbclient -s ... sftp` in its own process group and speaks SFTP v3 over
 * its stdio (transport/sftp.c): <path>/<address>-<date>/ made on the
 * server, vmcore-dmesg.txt first, then vmcore-incomplete written with
 * positioned pipelined WRITEs, fsync@openssh.com, CLOSE, RENAME to vmcore.
 * Every request has a deadline; the child runs under the progress watchdog
 * (target_watch), which kills the group. Success is what the server
 * confirmed, never dbclient's exit status. A server that gives no SFTP
 * session gets the flattened stream as vmcore.flat instead (sshflat.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "initramfs/sshkey.h"
#include "initramfs/target.h"
#include "lib/io.h"
#include "lib/log.h"
#include "transport/sftp.h"
#include "transport/sshflat.h"

#define SSH_PORT 22
#define SSH_DBCLIENT "bin/dbclient"              /* in the image */
#define SSH_HOME "etc/kdumpcap/ssh"              /* dbclient's HOME in the image */
#define SSH_KEY SSH_HOME "/id_dropbear"
#define SSH_KNOWN SSH_HOME "/.ssh/known_hosts"
#define SSH_PASSWD "root:x:0:0:root:/" SSH_HOME ":/bin/false\n" /* dbclient names the local user */
/* Each request waits net_timeout (kdump.conf); the login up to SFTP's
 * VERSION, and again the fallback's first line, half of it: both within the
 * writer's stall bound (target_watch, also net_timeout), so that a server
 * without SFTP gets its flattened stream before the watchdog ends the writer.
 * Without SFTP, OpenSSH never answers dbclient's subsystem request (it asks
 * for no reply) nor opens the channel's window, which looks like a mute server. */
#define SSH_MS_PER_S 1000
#define SSH_HANDSHAKE_PART 2                     /* the login gets 1/this of net_timeout */
#define SSH_REAP_MS 5000                         /* for the client to exit after its stdin closed */
#define SSH_COPY_CHUNK (64u << 10)
#define SSH_DMESG_TMP "/tmp/vmcore-dmesg.txt"
#define SSH_BASE "/var/crash"                    /* without 'path' */

static int ssh_timeout_ms(const struct target_ctx *t)
{
	return t->conf->net_timeout_s * SSH_MS_PER_S;
}

static int ssh_handshake_ms(const struct target_ctx *t)
{
	return ssh_timeout_ms(t) / SSH_HANDSHAKE_PART;
}

struct ssh_target {
	char user[CONF_STR], host[CONF_STR];
	unsigned port;
};

/* user@host[:port] */
static int ssh_split(const char *dev, struct ssh_target *s)
{
	const char *at = strchr(dev, '@'), *colon;
	char *end;

	if (!at || (size_t)(at - dev) >= sizeof(s->user)) {
		return -EINVAL;
	}
	memcpy(s->user, dev, (size_t)(at - dev));
	s->user[at - dev] = '\0';
	snprintf(s->host, sizeof(s->host), "%s", at + 1);
	s->port = SSH_PORT;
	colon = strchr(s->host, ':');
	if (colon) {
		unsigned long p = strtoul(colon + 1, &end, 10);
		if (*end || !colon[1] || p == 0 || p > 65535) {
			return -EINVAL;
		}
		s->port = (unsigned)p;
		s->host[colon - s->host] = '\0';
	}
	return s->host[0] ? 0 : -EINVAL;
}

static int ssh_add_file(struct target_image *im, const char *src, const char *name, unsigned mode)
{
	struct sbuf b = { 0 };
	int r = sbuf_read_file(&b, src);

	if (r) {
		log_err("cannot read %s: %s", src, strerror(-r));
		return r;
	}
	im->add(im, name, S_IFREG | mode, b.p, b.len);
	return 0;
}

/* The server's keys from the admin's known_hosts, as dbclient's lines for
 * ADDR (what dbclient is given, and so what it matches). */
static int ssh_known_hosts(struct target_image *im, const struct ssh_target *s, const char *addr)
{
	char user[CONF_STR + 32];
	const char *files[] = { user, KNOWN_HOSTS_SYSTEM };
	struct sbuf b = { 0 }, out = { 0 };
	int n;

	known_hosts_user_file(user, sizeof(user));
	n = known_hosts_collect(files, 2, s->host, s->port, &b);
	if (n == 0) {
		log_err("%s:%d: no host key of %s port %u in %s or %s: the capture kernel cannot check the server "
			"(it never asks); run 'kdumpcap propagate %s' first", im->ho->cfg, im->conf->target_line,
			s->host, s->port, user, KNOWN_HOSTS_SYSTEM, im->conf->dev);
		return -ENOENT;
	}
	if (n < 0) {
		sbuf_free(&b);
		return n;
	}
	for (char *line = (char *)b.p; line && *line;) {
		char *sp = strchr(line, ' '), *nl = strchr(line, '\n');
		if (sp && (!nl || sp < nl)) {
			sbuf_puts(&out, addr);
			sbuf_put(&out, sp, nl ? (size_t)(nl + 1 - sp) : strlen(sp));
		}
		line = nl ? nl + 1 : NULL;
	}
	sbuf_free(&b);
	if (out.err) {
		sbuf_free(&out);
		return -ENOMEM;
	}
	log_info("pinned %d host key(s) of %s for %s", n, s->host, addr);
	im->add(im, SSH_KNOWN, S_IFREG | 0644, out.p, out.len);
	return 0;
}

static int ssh_key(struct target_image *im)
{
	char key[CONF_STR + 64];
	struct sbuf text = { 0 }, db = { 0 };
	const char *why = NULL;
	int r;

	if (im->conf->sshkey[0]) {
		snprintf(key, sizeof(key), "%s", im->conf->sshkey);
	} else {
		sshkey_default(key, sizeof(key));
	}
	r = sbuf_read_file(&text, key);
	if (r) {
		log_err("cannot read the SSH key %s: %s; name it with 'sshkey' or create it with kdumpcap propagate",
			key, strerror(-r));
		return r;
	}
	r = sshkey_to_dropbear((const char *)text.p, text.len, &db, &why);
	sbuf_free(&text);
	if (r || db.err) {
		log_err("cannot use the SSH key %s: %s", key,
			r == -EACCES ? "it is protected by a passphrase, which the capture kernel cannot ask for"
				     : why ? why : strerror(r ? -r : ENOMEM));
		sbuf_free(&db);
		return r ? r : -ENOMEM;
	}
	log_info("SSH key %s (converted for dbclient)", key);
	im->add(im, SSH_KEY, S_IFREG | 0600, db.p, db.len);
	return 0;
}

static int ssh_image(struct target_image *im)
{
	struct ssh_target s;
	char addr[INET_ADDRSTRLEN], line[CONF_STR + 32];
	size_t l = strlen(im->extra);
	int r = ssh_split(im->conf->dev, &s);

	r = r ? r : target_resolve("SSH", s.host, addr, sizeof(addr));
	if (r == 0 && access(im->dbclient, X_OK) < 0) {
		log_err("the SSH client %s is missing (%s): build it with `make dbclient` and pass "
			"--dbclient build/deps/bin/dbclient", im->dbclient, strerror(errno));
		r = -ENOENT;
	}
	r = r ? r : ssh_known_hosts(im, &s, addr);
	r = r ? r : ssh_key(im);
	r = r ? r : ssh_add_file(im, im->dbclient, SSH_DBCLIENT, 0755);
	if (r == 0) {
		char *pw = strdup(SSH_PASSWD);
		if (!pw) {
			return -ENOMEM;
		}
		im->add(im, "etc/passwd", S_IFREG | 0644, pw, strlen(pw));
	}
	if (r == 0) {
		snprintf(line, sizeof(line), "resolved_server %s\n", addr);
		r = snprintf(im->extra + l, im->n - l, "%s", line) < (int)(im->n - l) ? 0 : -ENOSPC;
	}
	return r ? r : target_net_image(im, addr);
}

static int ssh_ready(struct target_ctx *t)
{
	struct ssh_target s;
	struct in_addr a;
	const char *srv = t->conf->resolved_server[0] ? t->conf->resolved_server : NULL;

	if (ssh_split(t->conf->dev, &s)) {
		return -EINVAL;
	}
	if (!srv && inet_pton(AF_INET, s.host, &a) == 1) {
		srv = s.host;
	}
	if (!srv) {
		log_err("SSH server %s has no address in the image (no DNS here): rebuild it with mkinitrd", s.host);
		return -EINVAL;
	}
	snprintf(t->dev, sizeof(t->dev), "%s", srv);
	return 0;
}

/* dbclient to the server running CMD, or (NULL) its sftp subsystem; its
 * stdin/stdout on pipes. The pid or -errno. */
static pid_t ssh_spawn(const struct target_ctx *t, const struct ssh_target *s, const char *cmd, int *rfd, int *wfd)
{
	char port[16], dest[CONF_STR + PATH_MAX + 2];
	char *sftp[] = { "/" SSH_DBCLIENT, "-i", "/" SSH_KEY, "-p", port, "-s", dest, "sftp", NULL };
	char *exec[] = { "/" SSH_DBCLIENT, "-i", "/" SSH_KEY, "-p", port, dest, (char *)cmd, NULL };
	char *envp[] = { "HOME=/" SSH_HOME, "PATH=/bin", NULL };

	snprintf(port, sizeof(port), "%u", s->port);
	snprintf(dest, sizeof(dest), "%s@%s", s->user, t->dev);
	return sftp_spawn(cmd ? exec : sftp, envp, rfd, wfd);
}

struct ssh_run {
	const struct target_ctx *t;
	const struct ssh_target *s;
};

static pid_t ssh_spawn_cmd(void *ctx, const char *cmd, int *rfd, int *wfd)
{
	const struct ssh_run *run = ctx;

	return ssh_spawn(run->t, run->s, cmd, rfd, wfd);
}

/* The server logged us in but has no SFTP: the flattened stream into a
 * remote shell command, as vmcore.flat (transport/sshflat.h). */
static int ssh_flat(const struct target_ctx *t, const struct ssh_target *s, const struct collect_opts *o,
		    const char *peer)
{
	struct ssh_run run = { t, s };
	struct collect_source cs = { o, t->vmcore };
	struct sshflat_source src = collect_source(&cs);
	struct sshflat f = { .spawn = ssh_spawn_cmd, .ctx = &run, .peer = peer, .dmesg_tmp = SSH_DMESG_TMP,
			     .handshake_ms = ssh_handshake_ms(t), .timeout_ms = ssh_timeout_ms(t),
			     .max_suffix = TARGET_MAX_SUFFIX };
	char name[64], dir[SFTP_PATH_MAX];

	log_warn("SSH server %s gave no SFTP session (no sftp subsystem, or no answer at all): trying the "
		 "flattened stream into a remote shell as %s (makedumpfile -R or kdumpcap -R makes it a vmcore)",
		 peer, SSHFLAT_FLAT);
	target_dir_name(name, sizeof(name), t->ip, time(NULL));
	return sshflat_save(&f, &src, t->conf->path[0] ? t->conf->path : SSH_BASE, name, dir, sizeof(dir));
}

/* mkdir -p BASE on the server. */
static int ssh_mkdirs(struct sftp *c, const char *base)
{
	char p[SFTP_PATH_MAX];
	size_t len = strlen(base);

	if (len >= sizeof(p)) {
		return -ENAMETOOLONG;
	}
	memcpy(p, base, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (p[i] == '/' || p[i] == '\0') {
			char ch = p[i];
			int r;
			p[i] = '\0';
			r = sftp_mkdir(c, p, 0755);
			p[i] = ch;
			if (r && r != -EEXIST) {
				log_err("SSH server %s: cannot create %s: %s (server: \"%s\")", c->peer, base,
					strerror(-r), c->msg);
				return r;
			}
		}
	}
	return 0;
}

/* BASE/NAME, or NAME-1, -2, ... (target_new_dir's rule) on the server. */
static int ssh_new_dir(struct sftp *c, const char *base, const char *name, char *dir, size_t n)
{
	int r = ssh_mkdirs(c, base);

	for (unsigned k = 0; r == 0 && k <= TARGET_MAX_SUFFIX; k++) {
		int len = k ? snprintf(dir, n, "%s/%s-%u", base, name, k) : snprintf(dir, n, "%s/%s", base, name);

		if (len < 0 || (size_t)len >= n) {
			return -ENAMETOOLONG;
		}
		r = sftp_mkdir(c, dir, 0700);
		if (r == 0) {
			return 0;
		}
		if (r != -EEXIST) {
			log_err("SSH server %s: cannot create %s: %s (server: \"%s\")", c->peer, dir, strerror(-r),
				c->msg);
			return r;
		}
		r = 0;
	}
	return r ? r : -EEXIST;
}

/* TMP to FIN on the server, never replacing FIN. */
static int ssh_rename(struct sftp *c, const char *tmp, const char *fin)
{
	int r = sftp_rename(c, tmp, fin);

	if (r) {
		log_err("SSH server %s: cannot rename %s to %s: %s (server: \"%s\")", c->peer, tmp, fin, strerror(-r),
			c->msg);
	}
	return r;
}

/* The kernel log, collected into the image's tmpfs, then sent. */
static int ssh_dmesg(struct sftp *c, const char *vmcore, const char *dir)
{
	char tmp[SFTP_PATH_MAX + 32], fin[SFTP_PATH_MAX + 32], *buf = malloc(SSH_COPY_CHUNK);
	struct sink *s = NULL;
	uint64_t off = 0;
	ssize_t n = 0;
	int fd = io_open(SSH_DMESG_TMP, O_RDWR | O_CREAT | O_TRUNC, 0600), r = fd < 0 ? fd : 0;

	snprintf(tmp, sizeof(tmp), "%s/vmcore-dmesg-incomplete.txt", dir);
	snprintf(fin, sizeof(fin), "%s/vmcore-dmesg.txt", dir);
	r = r ? r : (buf ? 0 : -ENOMEM);
	r = r ? r : collect_dmesg(vmcore, fd);
	r = r ? r : sftp_sink_open(c, tmp, &s);
	while (r == 0 && (n = io_pread(fd, buf, SSH_COPY_CHUNK, (off_t)off)) > 0) {
		r = s->pwrite(s, buf, (size_t)n, off);
		off += (uint64_t)n;
	}
	r = r ? r : (n < 0 ? (int)n : 0);
	if (s) {
		int f = r ? (s->abort(s), 0) : s->finish(s);
		r = r ? r : f;
	}
	r = r ? r : ssh_rename(c, tmp, fin);
	if (fd >= 0) {
		io_close(fd);
		unlink(SSH_DMESG_TMP);
	}
	free(buf);
	if (r) {
		log_err("saving the kernel log to %s on %s failed: %s (server: \"%s\"); continuing with the vmcore",
			dir, c->peer, strerror(-r), c->msg);
		return r;
	}
	log_info("saved %s on %s", fin, c->peer);
	return 0;
}

static int ssh_write(struct sftp *c, const struct target_ctx *t, const struct collect_opts *o)
{
	char name[64], dir[SFTP_PATH_MAX], tmp[SFTP_PATH_MAX + 32], fin[SFTP_PATH_MAX + 32];
	const char *base = t->conf->path[0] ? t->conf->path : SSH_BASE;
	struct sink *s;
	int r;

	target_dir_name(name, sizeof(name), t->ip, time(NULL));
	r = ssh_new_dir(c, base, name, dir, sizeof(dir));
	if (r) {
		return r;
	}
	(void)ssh_dmesg(c, t->vmcore, dir);
	snprintf(tmp, sizeof(tmp), "%s/vmcore-incomplete", dir);
	snprintf(fin, sizeof(fin), "%s/vmcore", dir);
	r = sftp_sink_open(c, tmp, &s);
	if (r) {
		log_err("SSH server %s: cannot create %s: %s (server: \"%s\")", c->peer, tmp, strerror(-r), c->msg);
		return r;
	}
	log_info("saving the vmcore to %s:%s", c->peer, tmp);
	r = collect_dump(o, t->vmcore, s);
	if (r) {
		log_err("the dump in %s on %s is incomplete (%s): kept as vmcore-incomplete", dir, c->peer,
			strerror(-r));
		return r;
	}
	r = ssh_rename(c, tmp, fin);
	if (r == 0) {
		log_info("saved %s on %s (%llu bytes)", fin, c->peer, (unsigned long long)c->sink.bytes);
	}
	return r;
}

static int ssh_child(struct target_ctx *t, const struct collect_opts *o)
{
	struct ssh_target s;
	char peer[CONF_STR + PATH_MAX + 2];
	struct sftp *c = calloc(1, sizeof(*c));
	int rfd = -1, wfd = -1, r = c ? ssh_split(t->conf->dev, &s) : -ENOMEM;
	pid_t pid = r ? r : ssh_spawn(t, &s, NULL, &rfd, &wfd);

	if (pid < 0) {
		log_err("cannot start the SSH client /%s: %s", SSH_DBCLIENT, strerror((int)-pid));
		free(c);
		return (int)pid;
	}
	snprintf(peer, sizeof(peer), "%s@%s", s.user, t->dev);
	log_info("connecting to SSH server %s port %u (%s)", peer, s.port, t->conf->dev);
	r = sftp_start(c, rfd, wfd, peer, ssh_handshake_ms(t));
	c->timeout_ms = ssh_timeout_ms(t);
	if (r && r != -ETIMEDOUT && !c->opened) {
		log_err("no SFTP session with SSH server %s port %u: %s; see the SSH client's message above (a host "
			"key that is not the one pinned when the image was built, a key the server does not accept, "
			"or the server is down or never answers)", peer, s.port, strerror(-r));
	}
	r = r ? r : ssh_write(c, t, o);
	close(wfd);
	close(rfd);
	sftp_reap(pid, SSH_REAP_MS, r != 0);
	if (r && !c->version && (r == -ETIMEDOUT || c->opened)) {
		r = ssh_flat(t, &s, o, peer);
	}
	free(c);
	return r;
}

static int ssh_save(struct target_ctx *t, const struct collect_opts *o)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_err("cannot start the SSH writer: %s", strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		setpgid(0, 0); /* the watchdog kills the writer and its client together */
		_exit(ssh_child(t, o) ? 1 : 0);
	}
	setpgid(pid, pid);
	return target_watch(t, pid, "SSH");
}

static void ssh_release(struct target_ctx *t)
{
	(void)t;
}

const struct target_ops target_ssh = {
	.name = "ssh",
	.network = true,
	.image = ssh_image,
	.ready = ssh_ready,
	.save = ssh_save,
	.release = ssh_release,
};
