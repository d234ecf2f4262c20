/* NFS target: `nfs server:/export` (+ `path`), NFSv4.2 then 4.1, mounted
 * with raw mount(2) at /mnt. A soft mount does not bound a live server whose
 * NFS daemon is stuck (NFSv4 waits for the transport to break), so the mount
 * and the whole save run in a child that PID 1's worker kills when the bytes
 * it wrote (/proc/PID/io wchar) and the bytes the interfaces sent stop
 * advancing for net_timeout seconds (kdump.conf). The
 * files are written as on a local target (target_save). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "initramfs/hostnet.h"
#include "initramfs/modules.h"
#include "initramfs/rootpath.h"
#include "initramfs/target.h"
#include "lib/io.h"
#include "lib/log.h"

#define MNT "/mnt"
#define NFS_OPTS "softerr,timeo=50,retrans=2,nosharecache,noac,lookupcache=none"
#define NFS_POLL_MS 250
#define NFS_REAP_S 5            /* after SIGKILL */
#define NFS_MIN_TX (64 << 10)  /* sent bytes that count as progress (not TCP probes) */
#define NETDEV_TX_BYTES 8       /* /proc/net/dev: 8 receive counters, then the bytes sent */

/* The client's modules in load order (deps also come from modules.dep). */
static const char *const nfs_modules[] = { "netfs", "fscache", "sunrpc", "grace", "lockd", "nfs",
					   "dns_resolver", "nfsv4" };
/* NIC drivers when the image is built for a NIC this machine does not show. */
static const char *const fallback_nic[] = { "virtio_pci", "virtio_net", "e1000", "e1000e" };

/* Split "server:/export" into SERVER and EXPORT. */
static int split(const char *dev, char *server, size_t sn, const char **export)
{
	const char *colon = strchr(dev, ':');

	if (!colon || (size_t)(colon - dev) >= sn) {
		return -EINVAL;
	}
	memcpy(server, dev, (size_t)(colon - dev));
	server[colon - dev] = '\0';
	*export = colon + 1;
	return 0;
}

static int append_text(char *extra, size_t n, const char *text)
{
	size_t l = strlen(extra);

	return snprintf(extra + l, n - l, "%s", text) < (int)(n - l) ? 0 : -ENOSPC;
}

static int append_line(char *extra, size_t n, const char *key, const char *val)
{
	size_t l = strlen(extra);

	return snprintf(extra + l, n - l, "%s %s\n", key, val) < (int)(n - l) ? 0 : -ENOSPC;
}

/* The network the capture kernel will use: what kdump.conf says, else the
 * interface that routes to ADDR here (generated dump_ip / dump_mac lines);
 * the NIC's driver chain when this machine runs KVER, else common drivers. */
int target_net_image(struct target_image *im, const char *addr)
{
	const struct kdump_conf *c = im->conf;
	struct hostnet h = { .ifindex = 0 };
	struct in_addr dst;
	struct utsname u;
	char lines[256];
	int r, found = 0;

	inet_pton(AF_INET, addr, &dst);
	r = hostnet_lookup("/sys/class/net", "/proc/net/route", dst.s_addr, &h);
	uname(&u);
	if (r == 0 && !strcmp(u.release, im->kver)) {
		found = hostnet_drivers(im->db, "/sys/class/net", h.ifname);
	}
	if (!found) {
		log_info("including the common NIC drivers (virtio_net, e1000, e1000e)");
		for (size_t i = 0; i < sizeof(fallback_nic) / sizeof(fallback_nic[0]); i++) {
			(void)moddb_want(im->db, fallback_nic[i], true);
		}
	}
	if (c->ip[0] && c->mac[0]) {
		return 0;
	}
	if (r) {
		if (c->ip[0]) {
			return 0; /* the interface is named in dump_ip, or netup says what is missing */
		}
		log_err("%s:%d: no route to server %s here (%s): add 'dump_ip' (dracut ip= syntax, e.g. "
			"'dump_ip eth0:dhcp') and 'dump_mac' to say how the capture kernel reaches it",
			im->ho->cfg, c->target_line, addr, strerror(-r));
		return r;
	}
	r = hostnet_conf_lines(&h, lines, sizeof(lines));
	if (r == 0 && c->ip[0]) {
		return append_text(im->extra, im->n, strstr(lines, "dump_mac "));
	}
	log_info("server %s is reached through %s here: the capture kernel will use %s (%s)", addr, h.ifname,
		 h.dynamic ? "DHCP" : "its static address", h.dynamic ? "its address has a lifetime" : "permanent");
	return r ? r : append_text(im->extra, im->n, lines);
}

static int nfs_image(struct target_image *im)
{
	char server[CONF_STR], addr[INET_ADDRSTRLEN];
	const char *export = "";
	int r = split(im->conf->dev, server, sizeof(server), &export);

	r = r ? r : target_resolve("NFS", server, addr, sizeof(addr));
	r = r ? r : append_line(im->extra, im->n, "resolved_server", addr);
	for (size_t i = 0; i < sizeof(nfs_modules) / sizeof(nfs_modules[0]) && !r; i++) {
		r = moddb_want(im->db, nfs_modules[i], false);
	}
	return r ? r : target_net_image(im, addr);
}

static int nfs_ready(struct target_ctx *t)
{
	const char *srv = t->conf->resolved_server[0] ? t->conf->resolved_server : NULL;
	char server[CONF_STR];
	const char *export = "";
	struct in_addr a;

	if (split(t->conf->dev, server, sizeof(server), &export)) {
		return -EINVAL;
	}
	if (!srv && inet_pton(AF_INET, server, &a) == 1) {
		srv = server;
	}
	if (!srv) {
		log_err("NFS server %s has no address in the image (no DNS here): rebuild it with mkinitrd", server);
		return -EINVAL;
	}
	snprintf(t->dev, sizeof(t->dev), "%s", srv);
	return 0;
}

/* In the child: mount 4.2, then 4.1. */
static int nfs_mount(const struct target_ctx *t)
{
	static const char *const vers[] = { "4.2", "4.1" };
	char server[CONF_STR], src[PATH_MAX], opts[512];
	const char *export = "";
	int r = -EINVAL;

	if (split(t->conf->dev, server, sizeof(server), &export) ||
	    snprintf(src, sizeof(src), "%s:%s", t->dev, export) >= (int)sizeof(src)) {
		return -EINVAL;
	}
	(void)mkdir(MNT, 0755);
	for (size_t i = 0; i < sizeof(vers) / sizeof(vers[0]); i++) {
		if (snprintf(opts, sizeof(opts), "vers=%s,addr=%s,clientaddr=%s," NFS_OPTS, vers[i], t->dev, t->ip) >=
		    (int)sizeof(opts)) {
			return -ENAMETOOLONG;
		}
		log_info("mounting %s (%s) on %s, NFS %s", t->conf->dev, src, MNT, vers[i]);
		r = io_mount(src, MNT, "nfs4", 0, opts);
		if (r != -EPROTONOSUPPORT && r != -EINVAL) {
			break;
		}
	}
	if (r) {
		log_err("cannot mount NFS %s from server %s: %s; is the server up, exporting %s read-write to %s "
			"over NFSv4.1/4.2?", t->conf->dev, t->dev, strerror(-r), export, t->ip);
	}
	return r;
}

static int nfs_child(struct target_ctx *t, const struct collect_opts *o)
{
	const char *p = t->conf->path;
	char res[PATH_MAX], base[PATH_MAX], dumpdir[PATH_MAX];
	int r = nfs_mount(t);

	r = r ? r : rootpath_resolve(MNT, p, res, sizeof(res));
	if (r == 0 && snprintf(base, sizeof(base), "%s%s", MNT, strcmp(res, "/") ? res : "") >= (int)sizeof(base)) {
		r = -ENAMETOOLONG;
	}
	r = r ? r : target_save(base, o, t->vmcore, t->ip, dumpdir, sizeof(dumpdir));
	if (r == 0 && umount(MNT) < 0) {
		r = -errno;
		log_err("cannot unmount the NFS export %s: %s", t->conf->dev, strerror(-r));
	}
	return r;
}

/* Bytes the process has written so far (its write(2)s, NFS included). */
static long long wchar_of(pid_t pid)
{
	char p[64], buf[512];
	long long v = -1;
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/%d/io", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		char *w = strstr(buf, "wchar:");
		v = w ? strtoll(w + 6, NULL, 10) : -1;
	}
	return v;
}

/* Bytes sent by every interface (/proc/net/dev): a final fsync or close
 * makes progress here while the writer's own count stands still. */
static long long tx_bytes(void)
{
	static char buf[8192];
	long long sum = 0;
	ssize_t n = io_read_text("/proc/net/dev", buf, sizeof(buf));
	char *line = n > 0 ? strchr(buf, '\n') : NULL;

	for (line = line ? strchr(line + 1, '\n') : NULL; line && line[1]; line = strchr(line + 1, '\n')) {
		char *colon = strchr(line, ':');
		unsigned long long v[NETDEV_TX_BYTES + 1];
		int k = 0;

		if (!colon) {
			break;
		}
		for (char *p = colon + 1; k <= NETDEV_TX_BYTES; k++) {
			v[k] = strtoull(p, &p, 10);
		}
		sum += (long long)v[NETDEV_TX_BYTES];
	}
	return sum;
}

/* A killed writer may sit in an uninterruptible NFS wait: give it
 * NFS_REAP_S, then leave it to PID 1 (which reaps orphans). */
static void reap(pid_t pid, const char *what)
{
	double end = target_now() + NFS_REAP_S;

	while (target_now() < end) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			log_info("the %s writer is stopped", what);
			return;
		}
		target_sleep_ms(NFS_POLL_MS);
	}
	log_warn("the %s writer (pid %d) is still blocked in the kernel %d s after SIGKILL; going on without it",
		 what, (int)pid, NFS_REAP_S);
}

/* Wait for the child while its written bytes advance; kill it when they
 * stall (mount included: its bound is the same). Lo counts too, which
 * the capture kernel does not use. */
int target_watch(struct target_ctx *t, pid_t pid, const char *what)
{
	long long last_w = -1, last_tx = tx_bytes();
	double seen = target_now();
	int status;

	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		long long now_w, now_tx;

		if (w == pid) {
			return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
		}
		now_w = wchar_of(pid);
		now_tx = tx_bytes();
		if (now_w != last_w || now_tx - last_tx >= NFS_MIN_TX) {
			last_w = now_w;
			last_tx = now_tx;
			seen = target_now();
		} else if (target_now() - seen > t->conf->net_timeout_s) {
			log_err("%s server %s (%s) took no data for %d s (net_timeout): the server or the network is "
				"stuck; stopping the dump (what was written stays as vmcore-incomplete)", what, t->dev,
				t->conf->dev, t->conf->net_timeout_s);
			kill(-pid, SIGKILL); /* its process group, when it made one (an SSH client) */
			kill(pid, SIGKILL);
			reap(pid, what);
			return -ETIMEDOUT;
		}
		target_sleep_ms(NFS_POLL_MS);
	}
}

static int nfs_save(struct target_ctx *t, const struct collect_opts *o)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_err("cannot start the NFS writer: %s", strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		_exit(nfs_child(t, o) ? 1 : 0);
	}
	t->mounted = true; /* maybe: the child may have died holding it */
	return target_watch(t, pid, "NFS");
}

static void nfs_release(struct target_ctx *t)
{
	if (t->mounted) {
		(void)umount2(MNT, MNT_DETACH); /* never waits on a dead server */
		t->mounted = false;
	}
}

const struct target_ops target_nfs = {
	.name = "nfs",
	.network = true,
	.image = nfs_image,
	.ready = nfs_ready,
	.save = nfs_save,
	.release = nfs_release,
};
