/* kdumpcap propagate [--config FILE] [--key PATH] [--accept-new] [user@]host[:port]
 * (first kernel, run by the admin): make the SSH target usable by the
 * capture kernel, which can never answer a question:
 *   1. the key: created (ed25519, no passphrase, by ssh-keygen) when
 *      missing; an existing one (e.g. Fedora's kdump_id_rsa) is checked to be
 *      convertible and unencrypted;
 *   2. the server's host keys (every type, ssh-keyscan) checked against the
 *      admin's known_hosts: a different key refuses; keys not known yet
 *      are added to ~/.ssh/known_hosts only with --accept-new;
 *   3. the public key appended to the server's ~/.ssh/authorized_keys
 *      unless there already, through the admin's own ssh (which may ask for
 *      a password: this is the first kernel);
 *   4. a login with that key alone, as the capture kernel will make it: no
 *      question asked (batch mode), bounded (VERIFY_S), a no-op command.
 * Also `kdumpcap sshkey-convert KEY OUT`: KEY in dropbear's format. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/cmds.h"
#include "initramfs/sshkey.h"
#include "lib/io.h"
#include "lib/log.h"

#define SSH_PORT 22
#define ARG_MAX_LEN 512
#define KEY_RSA "kdump_id_rsa"
#define KEY_ED25519 "kdump_id_ed25519"
#define EXIT_CMD_MISSING 127
#define EXIT_SSH_FAILED 255     /* ssh's own failure; else the remote command's status */
#define VERIFY_S 20             /* the whole test login (SIGALRM kills ssh after it) */
#define VERIFY_CONNECT_S "10"   /* ssh's ConnectTimeout: connect, banner, key exchange */

struct target {
	char user_host[2 * ARG_MAX_LEN]; /* user@host or host, as ssh takes it */
	char host[ARG_MAX_LEN];
	unsigned port;
};

static const char *home(void)
{
	const char *h = getenv("HOME");
	return h && *h ? h : "/root";
}

/* Run ARGV with IN (may be NULL) on its stdin and its stdout into OUT (may
 * be NULL: inherited; when given, its stderr chatter is dropped too: the
 * caller says what failed), killed by SIGALRM after LIMIT_S seconds (0: no
 * limit); its exit status (128 + the signal), or -errno when it cannot run. */
static int run_limited(char *const argv[], const char *in, struct sbuf *out, unsigned limit_s)
{
	int ip[2] = { -1, -1 }, op[2] = { -1, -1 }, st;
	char buf[4096];
	ssize_t n;
	pid_t pid;

	if (in && pipe2(ip, O_CLOEXEC) < 0) {
		return -errno;
	}
	if (out && pipe2(op, O_CLOEXEC) < 0) {
		st = -errno;
		close(ip[0]);
		close(ip[1]);
		return st;
	}
	pid = fork();
	if (pid == 0) {
		if (in) {
			dup2(ip[0], 0);
		}
		if (out) {
			int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
			dup2(op[1], 1);
			dup2(null, 2);
		}
		alarm(limit_s); /* kept across exec */
		execvp(argv[0], argv);
		_exit(EXIT_CMD_MISSING);
	}
	if (in) {
		close(ip[0]);
		if (pid > 0) {
			io_write(ip[1], in, strlen(in));
		}
		close(ip[1]);
	}
	if (out) {
		close(op[1]);
		while (pid > 0 && (n = io_read(op[0], buf, sizeof(buf))) > 0) {
			sbuf_put(out, buf, (size_t)n);
		}
		close(op[0]);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0) {
		return -errno;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run(char *const argv[], const char *in, struct sbuf *out)
{
	return run_limited(argv, in, out, 0);
}

/* [user@]host[:port], host also "[v6addr]" (with or without :port) or a
 * bare IPv6 address (no port). */
static int parse_target(const char *arg, struct target *t)
{
	const char *at = strrchr(arg, '@'), *h = at ? at + 1 : arg;
	const char *close = *h == '[' ? strchr(h, ']') : NULL;
	const char *colon = close ? (close[1] ? close + 1 : NULL) : strchr(h, ':');
	int user_len = (int)(h - arg);
	char *end;

	t->port = SSH_PORT;
	if (strlen(arg) >= ARG_MAX_LEN || !*h || *arg == '-' || (*h == '[' && !close)) {
		return -EINVAL;
	}
	if (!close && colon && strchr(colon + 1, ':')) {
		colon = NULL; /* a bare IPv6 address */
	}
	snprintf(t->host, sizeof(t->host), "%.*s", (int)(close ? close - h - 1 : colon ? colon - h : (long)strlen(h)),
		 h + (close != NULL));
	snprintf(t->user_host, sizeof(t->user_host), "%.*s%s", user_len, arg, t->host);
	if (colon) {
		unsigned long p = strtoul(colon + 1, &end, 10);
		if (*colon != ':' || *end || p == 0 || p > 65535) {
			return -EINVAL;
		}
		t->port = (unsigned)p;
	}
	return t->host[0] ? 0 : -EINVAL;
}

/* KEY exists (made now if missing), is usable by the capture kernel, and
 * has KEY.pub; *pub gets the public key line. 0 or -errno, logged. */
static int ensure_key(const char *key, struct sbuf *pub)
{
	char pubpath[ARG_MAX_LEN + 8];
	char *keygen[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kdump", "-f", (char *)key, NULL };
	struct sbuf text = { 0 }, db = { 0 };
	const char *why = "";
	int r;

	if (access(key, F_OK) < 0) {
		log_info("creating %s (ed25519, no passphrase) with ssh-keygen", key);
		r = run(keygen, NULL, NULL);
		if (r != 0) {
			log_err("cannot create the SSH key %s: %s; or name an existing key with --key", key,
				r == EXIT_CMD_MISSING ? "ssh-keygen is not installed (openssh-client)" : "ssh-keygen failed");
			return -ENOENT;
		}
	}
	r = sbuf_read_file(&text, key);
	if (r == 0) {
		r = sshkey_to_dropbear((const char *)text.p, text.len, &db, &why);
	}
	sbuf_free(&text);
	sbuf_free(&db);
	if (r == -EACCES) {
		log_err("sshkey %s is protected by a passphrase: the capture kernel cannot ask for it; "
			"make an unencrypted key for kdump, e.g. kdumpcap propagate --key NEWPATH", key);
		return r;
	}
	if (r < 0) {
		log_err("cannot use the SSH key %s: %s; use an ed25519, ecdsa or rsa key made by ssh-keygen",
			key, r == -ENOENT ? strerror(ENOENT) : why);
		return r;
	}
	snprintf(pubpath, sizeof(pubpath), "%s.pub", key);
	r = sbuf_read_file(pub, pubpath);
	if (r < 0 || pub->len == 0) {
		log_err("cannot read %s: %s; make it with: ssh-keygen -y -f %s > %s", pubpath,
			strerror(r < 0 ? -r : ENODATA), key, pubpath);
		return r < 0 ? r : -ENODATA;
	}
	return 0;
}

/* The first two fields of the first line of s, "ALGO BASE64", into buf. */
static void algo_key(const char *s, char *buf, size_t size)
{
	int a = (int)strcspn(s, " \t\n");
	int b = (int)strcspn(s + a + 1, " \t\n");

	snprintf(buf, size, "%.*s", s[a] == ' ' ? a + 1 + b : a, s);
}

static bool has(const struct sbuf *b, const char *s)
{
	return b->p && memmem(b->p, b->len, s, strlen(s));
}

/* Sort each scanned key: known (nothing to do), unknown (added to ADD as
 * a known_hosts line) or different from the known key of its type. */
static int compare_keys(const struct target *t, const struct sbuf *scan, const struct sbuf *known, struct sbuf *add)
{
	char name[ARG_MAX_LEN + 8], key[16384], probe[16400];
	const char *s = (const char *)scan->p;

	known_hosts_name(name, sizeof(name), t->host, t->port);
	for (; s && *s; s += strcspn(s, "\n") + (s[strcspn(s, "\n")] == '\n')) {
		size_t name_len = strcspn(s, " \n");
		if (*s == '#' || s[name_len] != ' ') {
			continue;
		}
		algo_key(s + name_len + 1, key, sizeof(key));
		snprintf(probe, sizeof(probe), " %s\n", key);
		if (has(known, probe)) {
			continue;
		}
		snprintf(probe, sizeof(probe), " %.*s ", (int)strcspn(key, " "), key);
		if (has(known, probe)) {
			log_err("the host key of %s (%.*s) differs from the one in known_hosts: refusing; "
				"if the server's key really changed, remove the old entry (ssh-keygen -R '%s') "
				"and run propagate again", name, (int)strcspn(key, " "), key, name);
			return -EPERM;
		}
		sbuf_puts(add, name);
		sbuf_puts(add, " ");
		sbuf_puts(add, key);
		sbuf_puts(add, "\n");
	}
	return add->err ? -ENOMEM : 0;
}

static int append_known_hosts(const char *file, const struct sbuf *add)
{
	int fd = io_open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	int r, c;

	if (fd < 0) {
		return fd;
	}
	r = io_write(fd, add->p, add->len);
	c = io_close(fd);
	return r ? r : c;
}

/* Each line of b as its own message (a long RSA key would not fit in one). */
static void log_lines(int level, const struct sbuf *b)
{
	const char *s = (const char *)b->p;

	while (s && *s) {
		int n = (int)strcspn(s, "\n");
		log_msg(level, "  %.*s", n, s);
		s += n + (s[n] == '\n');
	}
}

/* Step 2: the server's keys, checked against (and with --accept-new added
 * to) the admin's known_hosts. */
static int host_keys(const struct target *t, bool accept_new)
{
	char user_kh[ARG_MAX_LEN], port[16];
	const char *files[] = { user_kh, KNOWN_HOSTS_SYSTEM };
	char *keyscan[] = { "ssh-keyscan", "-p", port, (char *)t->host, NULL };
	struct sbuf scan = { 0 }, known = { 0 }, add = { 0 };
	int r;

	known_hosts_user_file(user_kh, sizeof(user_kh));
	snprintf(port, sizeof(port), "%u", t->port);
	r = run(keyscan, NULL, &scan);
	if (r != 0 || !scan.p || !strchr((const char *)scan.p, ' ')) {
		log_err("cannot fetch the host keys of %s port %u with ssh-keyscan%s; check that the server is up "
			"and reachable", t->host, t->port, r == EXIT_CMD_MISSING ? " (not installed)" : "");
		r = -EHOSTUNREACH;
		goto out;
	}
	r = known_hosts_collect(files, 2, t->host, t->port, &known);
	if (r >= 0) {
		r = compare_keys(t, &scan, &known, &add);
	}
	if (r == 0 && add.len > 0 && !accept_new) {
		log_err("%s has host keys not in %s or %s; verify them (ssh-keygen -lf) and run again with "
			"--accept-new to add them:", t->host, user_kh, KNOWN_HOSTS_SYSTEM);
		log_lines(LOG_ERR, &add);
		r = -EPERM;
	} else if (r == 0 && add.len > 0) {
		r = append_known_hosts(user_kh, &add);
		if (r < 0) {
			log_err("cannot add the host keys of %s to %s: %s", t->host, user_kh, strerror(-r));
		} else {
			log_info("added %s's host keys to %s:", t->host, user_kh);
			log_lines(LOG_INFO, &add);
		}
	}
out:
	sbuf_free(&scan);
	sbuf_free(&known);
	sbuf_free(&add);
	return r;
}

/* Step 3: the public key into the server's authorized_keys, once. */
static int install_key(const struct target *t, const struct sbuf *pub)
{
	char key[16384], cmd[16600], port[16], user_kh[ARG_MAX_LEN], khopt[ARG_MAX_LEN + 32];
	char *ssh[] = { "ssh", "-p", port, "-o", "StrictHostKeyChecking=yes", "-o", khopt, (char *)t->user_host,
			cmd, NULL };
	int r;

	algo_key((const char *)pub->p, key, sizeof(key));
	snprintf(port, sizeof(port), "%u", t->port);
	known_hosts_user_file(user_kh, sizeof(user_kh));
	snprintf(khopt, sizeof(khopt), "UserKnownHostsFile=%s", user_kh);
	snprintf(cmd, sizeof(cmd), "grep -qF '%s' ~/.ssh/authorized_keys 2>/dev/null && echo present || "
		 "{ umask 077 && mkdir -p ~/.ssh && cat >> ~/.ssh/authorized_keys && echo installed; }", key);
	r = run(ssh, (const char *)pub->p, NULL);
	if (r != 0) {
		log_err("cannot install the key on %s: ssh exited with %d; check that you can log in with "
			"ssh -p %u %s", t->user_host, r, t->port, t->user_host);
		return -EIO;
	}
	return 0;
}

/* Step 4: log in with KEY alone (not the admin's other keys, agent or
 * ssh_config), pinned host keys, never a question, bounded: what the
 * capture kernel will do. */
static int verify_login(const struct target *t, const char *key)
{
	char port[16], user_kh[ARG_MAX_LEN], khopt[ARG_MAX_LEN + 32], why[48] = "";
	char *ssh[] = { "ssh", "-F", "/dev/null", "-i", (char *)key, "-p", port, "-o", "IdentitiesOnly=yes",
			"-o", "IdentityAgent=none", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
			"-o", khopt, "-o", "ConnectTimeout=" VERIFY_CONNECT_S, "-o", "ServerAliveInterval=5",
			"-o", "ServerAliveCountMax=2", (char *)t->user_host, "true", NULL };
	int r;

	snprintf(port, sizeof(port), "%u", t->port);
	known_hosts_user_file(user_kh, sizeof(user_kh));
	snprintf(khopt, sizeof(khopt), "UserKnownHostsFile=%s", user_kh);
	r = run_limited(ssh, NULL, NULL, VERIFY_S);
	if (r == EXIT_SSH_FAILED || r == 128 + SIGALRM || r < 0) {
		if (r == 128 + SIGALRM) {
			snprintf(why, sizeof(why), " (no answer within %d s)", VERIFY_S);
		}
		log_err("the key %s does not log in to %s port %u%s; the capture kernel could not either: see ssh's "
			"message above, and try: ssh -i %s -p %u %s", key, t->user_host, t->port, why, key, t->port,
			t->user_host);
		return -EACCES;
	}
	log_info("checked: the key %s logs in to %s port %u without a question", key, t->user_host, t->port);
	return 0;
}

/* The `ssh` and `sshkey` values of kdump.conf FILE (only these two; the
 * full parser lives in conf.c). 0 or -errno. */
static int read_config(const char *file, char *ssh, char *key, size_t size)
{
	struct sbuf text = { 0 };
	int r = sbuf_read_file(&text, file);
	char *line, *save = NULL;

	if (r < 0) {
		log_err("cannot read %s: %s", file, strerror(-r));
		return r;
	}
	for (line = strtok_r((char *)text.p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char word[16], val[ARG_MAX_LEN];
		if (sscanf(line, " %15s %511s", word, val) != 2) {
			continue;
		}
		if (!strcmp(word, "ssh") && !*ssh) {
			snprintf(ssh, size, "%s", val);
		} else if (!strcmp(word, "sshkey") && !*key) {
			snprintf(key, size, "%s", val);
		}
	}
	sbuf_free(&text);
	return 0;
}

/* ~/.ssh, for the key and known_hosts: root may never have used ssh. */
static void ssh_dir(void)
{
	char dir[ARG_MAX_LEN];

	snprintf(dir, sizeof(dir), "%s/.ssh", home());
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		log_warn("cannot create %s: %s", dir, strerror(errno));
	}
}

void sshkey_default(char *key, size_t size)
{
	snprintf(key, size, "%s/.ssh/%s", home(), KEY_RSA);
	if (access(key, F_OK) < 0) {
		snprintf(key, size, "%s/.ssh/%s", home(), KEY_ED25519);
	}
}

static int usage(void)
{
	log_err("usage: kdumpcap propagate [--config FILE] [--key PATH] [--accept-new] [user@]host[:port]");
	return 2;
}

int propagate_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "accept-new", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	char ssh[ARG_MAX_LEN] = "", key[ARG_MAX_LEN] = "", *config = NULL;
	struct sbuf pub = { 0 };
	struct target t;
	bool accept_new = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'c') {
			config = optarg;
		} else if (c == 'k') {
			snprintf(key, sizeof(key), "%s", optarg);
		} else if (c == 'a') {
			accept_new = true;
		} else {
			return usage();
		}
	}
	if (optind < argc) {
		snprintf(ssh, sizeof(ssh), "%s", argv[optind]);
	}
	if (optind + 1 < argc || (config && read_config(config, ssh, key, sizeof(key)) < 0)) {
		return usage();
	}
	if (!*key) {
		sshkey_default(key, sizeof(key));
	}
	ssh_dir();
	if (parse_target(ssh, &t) < 0) {
		log_err("no valid SSH target ('%s'): give [user@]host[:port] or an `ssh` line in --config", ssh);
		return usage();
	}
	r = ensure_key(key, &pub);
	if (r == 0) {
		r = host_keys(&t, accept_new);
	}
	if (r == 0) {
		r = install_key(&t, &pub);
	}
	if (r == 0) {
		r = verify_login(&t, key);
	}
	if (r == 0) {
		log_info("%s is ready for kdump over SSH with the key %s", t.user_host, key);
	}
	sbuf_free(&pub);
	return r == 0 ? 0 : 1;
}

int sshkey_convert_main(int argc, char **argv)
{
	if (argc != 3) {
		log_err("usage: kdumpcap sshkey-convert OPENSSH-KEY DROPBEAR-OUT");
		return 2;
	}
	return sshkey_convert_file(argv[1], argv[2]) == 0 ? 0 : 1;
}

/* kdumpcap known-hosts HOST[:PORT] [FILE...]: the lines dbclient would get
 * from FILEs, or (none given) from the admin's files as the image will. */
int known_hosts_main(int argc, char **argv)
{
	struct sbuf out = { 0 };
	struct target t;
	int n;

	if (argc < 2 || parse_target(argv[1], &t) < 0) {
		log_err("usage: kdumpcap known-hosts HOST[:PORT] [KNOWN_HOSTS...]");
		return 2;
	}
	if (argc == 2) {
		return known_hosts_write(t.host, t.port, "/dev/stdout") == 0 ? 0 : 1;
	}
	n = known_hosts_collect((const char *const *)argv + 2, (size_t)argc - 2, t.host, t.port, &out);
	if (n > 0) {
		io_write(1, out.p, out.len);
	} else if (n == 0) {
		log_err("no host key of %s in the given files", argv[1]);
	}
	sbuf_free(&out);
	return n > 0 ? 0 : 1;
}
