/* Test hook, not for users: the collector writing through the SFTP sink.
 *   kdumpcap sftp-test-write [collector options] VMCORE DIR -- CMD [ARGS...]
 * starts CMD (OpenSSH's sftp-server, or `dbclient ... -s HOST sftp`) with
 * its stdin/stdout on pipes, creates DIR on the server (an existing one is
 * fine), writes DIR/vmcore-incomplete and renames it to DIR/vmcore, as a
 * network target will. KDC_SFTP_TIMEOUT_MS bounds every wait (default 30 s);
 * on any failure the client is killed by pid. */
#include <errno.h>
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

#define DEFAULT_TIMEOUT_MS 30000
#define REAP_POLL_MS 10

/* CMD with its stdin from *wfd and stdout to *rfd; the pid or -errno. */
static pid_t spawn(char **cmd, int *rfd, int *wfd)
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
		dup2(in[0], 0);
		dup2(out[1], 1);
		execvp(cmd[0], cmd);
		fprintf(stderr, "cannot run %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
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

/* Give the client TIMEOUT_MS to exit after its stdin closed, then kill it. */
static void reap(pid_t pid, int timeout_ms, bool kill_now)
{
	struct timespec ts = { 0, REAP_POLL_MS * 1000000L };

	for (int t = 0; !kill_now && t < timeout_ms; t += REAP_POLL_MS) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			return;
		}
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
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
	pid = spawn(argv + dd + 1, &rfd, &wfd);
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
	reap(pid, c->timeout_ms, r != 0);
	if (!r) {
		printf("sftp-test-write: %s/vmcore written (%llu bytes sent)\n", dir,
		       (unsigned long long)c->sink.bytes);
	}
	free(c);
	return r ? 1 : 0;
}
