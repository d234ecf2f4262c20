/* Test hook, not for users: the collector writing through the SFTP sink.
 *   kdumpcap sftp-test-write [collector options] VMCORE DIR -- CMD [ARGS...]
 * starts CMD (OpenSSH's sftp-server, or `dbclient ... -s HOST sftp`) with
 * its stdin/stdout on pipes, creates DIR on the server (an existing one is
 * fine), writes DIR/vmcore-incomplete and renames it to DIR/vmcore, as a
 * network target will. KDC_SFTP_TIMEOUT_MS bounds every wait (default 30 s);
 * on any failure the client is killed by pid. When CMD gave no SFTP (no
 * VERSION in time, or it closed after taking INIT), the SSH target's
 * fallback runs: CMD without its -s
 * and with its last word (the subsystem) replaced by the remote command,
 * writing vmcore.flat into DIR's parent/DIR (or DIR-1, ...: a new one). */
#include <errno.h>
#include <libgen.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/cmds.h"
#include "capture/collector.h"
#include "lib/log.h"
#include "lib/meminfo.h"
#include "transport/sftp.h"
#include "transport/sshflat.h"

#define DEFAULT_TIMEOUT_MS 30000
#define MAX_ARGS 64
#define MAX_SUFFIX 999

/* CMD (NULL-terminated) without "-s", its last word replaced by the remote command. */
static pid_t spawn_cmd(void *ctx, const char *cmd, int *rfd, int *wfd)
{
	char **argv = ctx, *out[MAX_ARGS + 1];
	unsigned n = 0;

	for (unsigned i = 0; argv[i] && n < MAX_ARGS; i++) {
		if (strcmp(argv[i], "-s")) {
			out[n++] = argv[i];
		}
	}
	if (n < 2) {
		return -EINVAL;
	}
	out[n - 1] = (char *)cmd;
	out[n] = NULL;
	return sftp_spawn(out, NULL, rfd, wfd);
}

static int fallback(char **argv, const struct collect_opts *o, const char *vmcore, const char *dir, int timeout_ms)
{
	char b[SFTP_PATH_MAX], nm[SFTP_PATH_MAX], out[SFTP_PATH_MAX], tmp[64];
	struct collect_source cs = { o, vmcore };
	struct sshflat_source src = collect_source(&cs);
	struct sshflat f = { .spawn = spawn_cmd, .ctx = argv, .peer = argv[0], .dmesg_tmp = tmp,
			     .handshake_ms = timeout_ms, .timeout_ms = timeout_ms, .max_suffix = MAX_SUFFIX };
	int r;

	snprintf(tmp, sizeof(tmp), "/tmp/kdc-sftptest-dmesg.%d", (int)getpid());
	snprintf(b, sizeof(b), "%s", dir);
	snprintf(nm, sizeof(nm), "%s", dir);
	r = sshflat_save(&f, &src, dirname(b), basename(nm), out, sizeof(out));
	if (!r) {
		printf("sftp-test-write: %s/%s written (no SFTP)\n", out, SSHFLAT_FLAT);
	}
	return r;
}

static int write_dump(struct sftp *c, const struct collect_opts *o, const char *vmcore, const char *dir)
{
	char tmp[SFTP_PATH_MAX], final[SFTP_PATH_MAX];
	struct sink *s;
	int r = sftp_mkdir(c, dir, 0700);

	if (r && r != -EEXIST) {
		log_err("sftp %s: cannot create %s: %s (server: \"%s\")", c->peer, dir, strerror(-r), c->msg);
		return r;
	}
	snprintf(tmp, sizeof(tmp), "%s/vmcore-incomplete", dir);
	snprintf(final, sizeof(final), "%s/vmcore", dir);
	r = sftp_sink_open(c, tmp, &s);
	if (r) {
		log_err("sftp %s: cannot create %s: %s (server: \"%s\")", c->peer, tmp, strerror(-r), c->msg);
		return r;
	}
	r = collect_dump(o, vmcore, s);
	if (r) {
		return r;
	}
	r = sftp_rename(c, tmp, final);
	if (r) {
		log_err("sftp %s: cannot rename %s to %s: %s (server: \"%s\")", c->peer, tmp, final, strerror(-r),
			c->msg);
	}
	return r;
}

int sftptest_main(int argc, char **argv)
{
	const char *in, *dir, *env = getenv("KDC_SFTP_TIMEOUT_MS");
	int timeout_ms = env ? atoi(env) : DEFAULT_TIMEOUT_MS;
	struct collect_opts o;
	enum collect_mode mode;
	struct sftp *c;
	int dd, rfd = -1, wfd = -1, r;
	pid_t pid;

	for (dd = 1; dd < argc && strcmp(argv[dd], "--"); dd++) {
	}
	if (dd + 1 >= argc || collector_parse(dd, argv, &o, &mode, &in, &dir) || !dir || mode != COLLECT_DUMP) {
		fprintf(stderr, "usage: kdumpcap sftp-test-write [-c|-l|-z] [-d N] VMCORE DIR -- CMD [ARGS...]\n");
		return 2;
	}
	o.mem_budget = meminfo_budget();
	o.threads = o.threads ? o.threads : 1;
	c = calloc(1, sizeof(*c));
	if (!c) {
		return 1;
	}
	pid = sftp_spawn(argv + dd + 1, NULL, &rfd, &wfd);
	if (pid < 0) {
		log_err("cannot start %s: %s", argv[dd + 1], strerror(-pid));
		free(c);
		return 1;
	}
	r = sftp_start(c, rfd, wfd, argv[dd + 1], timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS);
	if (!r) {
		r = write_dump(c, &o, in, dir);
	}
	close(wfd);
	close(rfd);
	sftp_reap(pid, c->timeout_ms, r != 0);
	if (r && !c->version && (r == -ETIMEDOUT || c->opened)) {
		r = fallback(argv + dd + 1, &o, in, dir, c->timeout_ms);
		free(c);
		return r ? 1 : 0;
	}
	if (!r) {
		printf("sftp-test-write: %s/vmcore written (%llu bytes sent)\n", dir,
		       (unsigned long long)c->sink.bytes);
	}
	free(c);
	return r ? 1 : 0;
}
