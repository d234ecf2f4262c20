/* kdumpcap as PID 1 of the capture kernel.
 *
 * PID 1 only supervises: it mounts the API file systems, reads kdump.conf,
 * forks one worker that does the capture, and waits on a signalfd (child
 * exits) and a timerfd (the watchdog). Whatever happens - the worker
 * succeeds, fails, crashes or stalls - PID 1 ends with the configured
 * action: sync(); reboot(); for (;;) pause(). It never exits.
 *
 * Kernel command line knobs: kdumpcap.wait=SEC (target device wait, default
 * 30), kdumpcap.watchdog=SEC (whole capture, default 3600),
 * kdumpcap.hook_timeout=SEC (each kdump_pre/kdump_post run, default 300),
 * kdumpcap.ip=... (network targets: dracut's ip= syntax, overrides
 * kdump.conf's dump_ip), kdumpcap.debug. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/cmds.h"
#include "capture/collector.h"
#include "initramfs/blkid.h"
#include "initramfs/conf.h"
#include "initramfs/ipconf.h"
#include "initramfs/modules.h"
#include "initramfs/netup.h"
#include "initramfs/rootpath.h"
#include "initramfs/target.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/meminfo.h"

#define CONF_PATH "/etc/kdump.conf"
#define VMCORE "/proc/vmcore"
#define SYNC_TIMEOUT 20

struct knobs {
	char ip[256]; /* kdumpcap.ip=: overrides dump_ip */
	unsigned wait;
	unsigned watchdog;
	unsigned hook_timeout;
};

static struct kdump_conf conf;
static struct knobs knobs = { "", 30, 3600, 300 };

static void mount_api(void)
{
	static const struct {
		const char *src, *dir, *type;
		unsigned long flags;
		const char *data;
	} m[] = {
		{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
		{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
		{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755" },
		{ "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=16m" },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		int r;
		(void)mkdir(m[i].dir, 0755);
		r = io_mount(m[i].src, m[i].dir, m[i].type, m[i].flags, m[i].data);
		if (r && r != -EBUSY) {
			log_err("cannot mount %s on %s: %s", m[i].type, m[i].dir, strerror(-r));
		}
	}
}

static bool console_shows_info(void)
{
	char buf[32];

	if (io_read_text("/proc/sys/kernel/printk", buf, sizeof(buf)) <= 0) {
		return false;
	}
	return atoi(buf) > 6;
}

static void console_setup(void)
{
	int fd;

	/* no /dev/console in the archive: take it from devtmpfs */
	if (fcntl(2, F_GETFD) < 0) {
		fd = open("/dev/console", O_RDWR | O_NOCTTY);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2) {
				close(fd);
			}
		}
	}
	/* the kernel drops /dev/kmsg writes past 10 in 5 s by default: a fast
	 * failure would lose its last lines (the failure action's) */
	fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)io_write(fd, "on\n", 3);
		close(fd);
	}
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		log_set_kmsg(fd);
		/* the kernel echoes kmsg to the console: write there directly only
		 * when it would hide our info lines (quiet, loglevel<7) */
		if (console_shows_info()) {
			log_set_level(LOG_ERR - 1);
		}
	}
}

static void read_cmdline(void)
{
	char buf[4096];

	if (io_read_text("/proc/cmdline", buf, sizeof(buf)) <= 0) {
		return;
	}
	for (char *t = strtok(buf, " \n"); t; t = strtok(NULL, " \n")) {
		unsigned v;
		if (!strncmp(t, "kdumpcap.ip=", strlen("kdumpcap.ip="))) {
			snprintf(knobs.ip, sizeof(knobs.ip), "%s", t + strlen("kdumpcap.ip="));
		} else if (sscanf(t, "kdumpcap.wait=%u", &v) == 1) {
			knobs.wait = v;
		} else if (sscanf(t, "kdumpcap.watchdog=%u", &v) == 1) {
			knobs.watchdog = v ? v : 1;
		} else if (sscanf(t, "kdumpcap.hook_timeout=%u", &v) == 1) {
			knobs.hook_timeout = v ? v : 1;
		} else if (!strcmp(t, "kdumpcap.debug")) {
			log_set_kmsg(-1);
			log_set_level(LOG_DEBUG);
		}
	}
}

/* Run a kdump_pre/kdump_post binary in its own process group, with a time
 * limit (kdumpcap.hook_timeout=); its exit status, or -ETIMEDOUT once it and
 * everything it started are killed and reaped, or -errno. */
static int run_helper(const char *what, const char *path, const char *image, const char *arg)
{
	double end = target_now() + knobs.hook_timeout;
	int status;
	pid_t pid;

	if (access(image, X_OK) < 0) {
		log_warn("%s %s is not in the image as %s (or not executable): skipped; rebuild the image with "
			 "mkinitrd", what, path, image);
		return 0;
	}
	log_info("running %s %s", what, path);
	pid = fork();
	if (pid < 0) {
		log_err("cannot start %s %s: %s", what, path, strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		char *argv[] = { (char *)path, (char *)arg, NULL };
		setpgid(0, 0);
		execv(image, argv);
		_exit(127);
	}
	(void)setpgid(pid, pid); /* no race with a kill before the child's own */
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			break;
		}
		if (w < 0 && errno != EINTR) {
			return -errno;
		}
		if (target_now() > end) {
			log_err("%s %s still runs after %u s (kdumpcap.hook_timeout=): killed", what, path,
				knobs.hook_timeout);
			kill(-pid, SIGKILL); /* its children too; PID 1 reaps those */
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
			}
			return -ETIMEDOUT;
		}
		target_sleep_ms(100);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		log_err("%s %s failed (%s %d)", what, path, WIFEXITED(status) ? "exit status" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	return 0;
}

static void load_modules(void)
{
	struct utsname u;
	char dir[PATH_MAX];
	struct stat st;
	int failed;

	uname(&u);
	snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
	if (stat(dir, &st) < 0) {
		log_info("no modules for %s in the image; using built-in drivers only", u.release);
		return;
	}
	failed = modules_load_all(dir);
	if (failed) {
		log_warn("%d module(s) failed to load; the target may still work", failed);
	}
}

/* The core_collector options, checked by the collector's own parser (given
 * the two paths it expects after them). */
static int parse_collector(struct collect_opts *o)
{
	char *argv[CONF_MAX_ARGS + 3];
	enum collect_mode mode;
	const char *in, *out;
	int argc = 0;

	for (int i = 0; i < conf.argc; i++) {
		argv[argc++] = conf.argv[i];
	}
	argv[argc++] = VMCORE;
	argv[argc++] = "vmcore";
	argv[argc] = NULL;
	return collector_parse(argc, argv, o, &mode, &in, &out) == 0 && mode == COLLECT_DUMP ? 0 : -EINVAL;
}

static int collector_opts(struct collect_opts *o)
{
	if (parse_collector(o) == 0) {
		return 0;
	}
	log_err("%s:%d: the core_collector options cannot be used; using the default 'kdumpcap -d 31 -z'",
		CONF_PATH, conf.collector_line);
	conf_default_collector(&conf);
	return parse_collector(o);
}

static bool nic_present(const struct netup_cfg *nc)
{
	const uint8_t *mac = nc->ip.has_mac ? nc->ip.mac : nc->has_mac ? nc->mac : NULL;
	char ifname[IPCONF_IFNAME_MAX], p[PATH_MAX];
	int ifindex;

	if (mac) {
		return nic_find_by_mac("/sys/class/net", mac, ifname, sizeof(ifname), &ifindex) == 0;
	}
	snprintf(p, sizeof(p), "/sys/class/net/%s", nc->ip.ifname);
	return access(p, F_OK) == 0;
}

/* The network a network target needs: kdumpcap.ip=, else dump_ip (written
 * by hand or by mkinitrd), on the NIC of dump_mac when the line names none.
 * The NIC's driver may still be probing: wait for it up to kdumpcap.wait. */
static int net_up(struct target_ctx *t)
{
	const char *spec = knobs.ip[0] ? knobs.ip : conf.ip, *why = NULL;
	struct netup_cfg nc = { .carrier_ms = NETUP_CARRIER_MS, .dhcp_ms = NETUP_DHCP_MS };
	struct netup_result res;
	double end = target_now() + t->wait;
	int r;

	if (!spec[0]) {
		log_err("the %s target needs the network but the image has no dump_ip and the command line no "
			"kdumpcap.ip=: add 'dump_ip dhcp' (or a static address) to %s and rebuild", t->conf->dev,
			CONF_PATH);
		return -EINVAL;
	}
	if (ipconf_parse(&nc.ip, spec, &why)) {
		log_err("%s '%s' cannot be used: %s", knobs.ip[0] ? "kdumpcap.ip=" : "dump_ip", spec, why);
		return -EINVAL;
	}
	nc.has_mac = conf.mac[0] && nic_mac_parse(conf.mac, nc.mac) == 0;
	log_info("network: bringing up %s (%s)", nc.ip.ifname[0] ? nc.ip.ifname : conf.mac, spec);
	while (!nic_present(&nc) && target_now() < end) {
		target_sleep_ms(200); /* the NIC's driver may still be probing */
	}
	r = netup_run("/sys/class/net", &nc, &res);
	if (r == 0 && res.addr_text[0]) {
		snprintf(t->ip, sizeof(t->ip), "%s", res.addr_text);
	}
	return r;
}

/* The worker: everything that may fail or stall. Exit status 0 = dumped. */
static int capture(void)
{
	const struct target_ops *ops = target_ops_of(conf.target);
	struct target_ctx t = { .conf = &conf, .cfg = CONF_PATH, .vmcore = VMCORE, .wait = knobs.wait,
				.ip = "127.0.0.1" };
	struct collect_opts o;
	int r;

	load_modules();
	if (conf.pre[0]) {
		/* a failing kdump_pre vetoes the dump (as on Fedora); a hung one
		 * must not cost the dump */
		r = run_helper("kdump_pre", conf.pre, CONF_PRE_IMAGE, NULL);
		if (r == -ETIMEDOUT) {
			log_warn("kdump_pre was stopped; dumping anyway");
		} else if (r) {
			log_err("kdump_pre failed: not dumping");
			return 1;
		}
	}
	if (access(VMCORE, R_OK) < 0) {
		log_err("%s is missing: this is not a capture kernel (booted without a crash?)", VMCORE);
		return 1;
	}
	if (!ops) {
		log_err("%s names no dump target (raw, ext4, ext3, ext2, xfs, nfs or ssh): nothing to save to", CONF_PATH);
		return 1;
	}
	r = collector_opts(&o);
	collector_default_threads(&o); /* --num-threads not given: every CPU this kernel has */
	log_info("collector: %u thread(s)", o.threads);
	r = r || !ops->network ? r : net_up(&t);
	r = r ? r : ops->ready(&t);
	r = r ? r : ops->save(&t, &o);
	ops->release(&t);
	if (conf.post[0]) {
		(void)run_helper("kdump_post", conf.post, CONF_POST_IMAGE, r ? "1" : "0");
	}
	return r ? 1 : 0;
}

/* sync() may hang on a dead disk: do it in a child, give it SYNC_TIMEOUT. */
static void bounded_sync(void)
{
	pid_t pid = fork();
	double end = target_now() + SYNC_TIMEOUT;

	if (pid == 0) {
		sync();
		_exit(0);
	}
	if (pid < 0) {
		sync();
		return;
	}
	while (target_now() < end) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			return;
		}
		target_sleep_ms(50);
	}
	log_warn("sync did not finish within %d s; going on", SYNC_TIMEOUT);
}

/* When /init started, in CLOCK_MONOTONIC seconds (since the capture kernel booted). */
static double init_start;

static __attribute__((noreturn)) void finish(enum conf_action a, const char *why)
{
	static const int cmd[] = { [ACT_REBOOT] = RB_AUTOBOOT, [ACT_HALT] = RB_HALT_SYSTEM,
				   [ACT_POWEROFF] = RB_POWER_OFF };
	double now = target_now();

	/* one line for whoever measures capture time (qemu/e2e-capture.sh) */
	log_info("timing: /init at %.3f s, final action at %.3f s after boot: %.3f s in /init", init_start, now,
		 now - init_start);
	log_info("%s: %s", why, conf_action_name(a));
	bounded_sync();
	reboot(cmd[a]);
	log_err("reboot(%s) failed: %s; halting here", conf_action_name(a), strerror(errno));
	for (;;) {
		pause();
	}
}

/* Wait for the worker, reaping everything else; 0 dumped, 1 failed, -1 stalled. */
static int supervise(pid_t worker, int sfd, int tfd)
{
	for (;;) {
		struct pollfd p[2] = { { sfd, POLLIN, 0 }, { tfd, POLLIN, 0 } };
		struct signalfd_siginfo si;
		int status;
		pid_t w;

		if (poll(p, 2, -1) < 0) {
			continue;
		}
		if (p[1].revents & POLLIN) {
			log_err("the capture made no end within %u s (kdumpcap.watchdog=): stopping it", knobs.watchdog);
			kill(worker, SIGKILL);
			return -1;
		}
		if (!(p[0].revents & POLLIN) || read(sfd, &si, sizeof(si)) != sizeof(si)) {
			continue;
		}
		if (si.ssi_signo != SIGCHLD) {
			log_info("signal %u ignored during the capture", si.ssi_signo);
			continue;
		}
		while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
			if (w == worker) {
				if (WIFSIGNALED(status)) {
					log_err("the capture process died of signal %d", WTERMSIG(status));
				}
				return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
			}
		}
	}
}

int init_main(int argc, char **argv)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	sigset_t all;
	int sfd, tfd, r;
	pid_t worker;

	init_start = target_now();
	if (getpid() != 1) {
		log_err("'kdumpcap init' runs only as PID 1 of the capture kernel (as /init of the kdump image)");
		return 2;
	}
	umask(022);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	mount_api();
	console_setup();
	log_info("capture kernel started; saving the crashed kernel's memory");
	log_info("%ld CPU(s) online, MemTotal %llu KiB, MemFree %llu KiB, MemAvailable %llu KiB",
		 sysconf(_SC_NPROCESSORS_ONLN), (unsigned long long)meminfo_field("MemTotal") >> 10,
		 (unsigned long long)meminfo_field("MemFree") >> 10, (unsigned long long)meminfo_field("MemAvailable") >> 10);
	conf_defaults(&conf);
	(void)conf_load(&conf, CONF_PATH);
	read_cmdline();

	sigemptyset(&all);
	sigaddset(&all, SIGCHLD);
	sigaddset(&all, SIGTERM);
	sigaddset(&all, SIGINT);
	sigaddset(&all, SIGHUP);
	sigaddset(&all, SIGPWR);
	sfd = signalfd(-1, &all, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	its.it_value.tv_sec = knobs.watchdog;
	if (tfd >= 0) {
		timerfd_settime(tfd, 0, &its, NULL);
	}
	worker = fork();
	if (worker == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		_exit(capture());
	}
	if (worker < 0 || sfd < 0 || tfd < 0) {
		/* no supervision possible: do the work here, without a watchdog */
		log_warn("cannot set up the watchdog (%s): capturing without it", strerror(errno));
		r = worker < 0 ? capture() : 1;
		if (worker > 0) {
			while (waitpid(worker, &r, 0) < 0 && errno == EINTR) {
			}
			r = WIFEXITED(r) && WEXITSTATUS(r) == 0 ? 0 : 1;
		}
	} else {
		r = supervise(worker, sfd, tfd);
	}
	log_info("capture %s after %.1f s", r == 0 ? "done" : "failed", target_now() - init_start);
	if (r == 0) {
		finish(conf.final_action, "dump saved; final action");
	}
	finish(conf.failure_action, "dump failed; failure action");
}
