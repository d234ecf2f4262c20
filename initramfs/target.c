/* Local file system target; see target.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initramfs/blkid.h"
#include "initramfs/target.h"
#include "lib/clock.h"
#include "lib/io.h"
#include "lib/log.h"

void target_dir_name(char *out, size_t n, const char *ip, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, n, "%s-%04d-%02d-%02d-%02d:%02d:%02d", ip, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int target_mkdirs(const char *dir)
{
	char p[PATH_MAX];
	size_t len = strlen(dir);

	if (len >= sizeof(p)) {
		return -ENAMETOOLONG;
	}
	memcpy(p, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (p[i] == '/' || p[i] == '\0') {
			char c = p[i];
			p[i] = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST) {
				return -errno;
			}
			p[i] = c;
		}
	}
	return 0;
}

int target_sync_dir(const char *dir)
{
	int fd = io_open(dir, O_RDONLY | O_DIRECTORY, 0);
	int r, c;

	if (fd < 0) {
		return fd;
	}
	r = io_fsync(fd);
	c = io_close(fd);
	return r ? r : c;
}

int target_new_dir(const char *base, const char *name, char *dir, size_t n)
{
	int r = target_mkdirs(base);

	if (r) {
		log_err("cannot create %s: %s", base, strerror(-r));
		return r;
	}
	for (unsigned k = 0; k <= TARGET_MAX_SUFFIX; k++) {
		int len = k ? snprintf(dir, n, "%s/%s-%u", base, name, k) : snprintf(dir, n, "%s/%s", base, name);

		if (len < 0 || (size_t)len >= n) {
			return -ENAMETOOLONG;
		}
		/* mkdir never follows a symlink nor takes an existing directory */
		if (mkdir(dir, 0700) == 0) {
			(void)chmod(dir, 0700); /* whatever the umask */
			return 0;
		}
		if (errno != EEXIST) {
			r = -errno;
			log_err("cannot create %s: %s", dir, strerror(-r));
			return r;
		}
	}
	log_err("%s/%s and its suffixes -1 to -%u all exist: move old dumps away", base, name, TARGET_MAX_SUFFIX);
	return -EEXIST;
}

int target_publish(const char *dir, const char *tmp, const char *fin)
{
	int r = io_rename_noreplace(tmp, fin);

	if (r) {
		log_err("cannot rename %s to %s: %s", tmp, fin, r == -EEXIST ? "it already exists" : strerror(-r));
		return r;
	}
	r = target_sync_dir(dir);
	if (r) {
		log_err("cannot sync %s: %s", dir, strerror(-r));
	}
	return r;
}

static int save_dmesg(const char *dir, const char *vmcore)
{
	char tmp[PATH_MAX], fin[PATH_MAX];
	int fd, r, c;

	snprintf(tmp, sizeof(tmp), "%s/vmcore-dmesg-incomplete.txt", dir);
	snprintf(fin, sizeof(fin), "%s/vmcore-dmesg.txt", dir);
	fd = io_open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		log_err("cannot create %s: %s", tmp, strerror(-fd));
		return fd;
	}
	r = collect_dmesg(vmcore, fd);
	if (r == 0) {
		r = io_fsync(fd);
	}
	c = io_close(fd);
	r = r ? r : c;
	if (r == 0) {
		r = target_publish(dir, tmp, fin);
	}
	if (r) {
		log_err("saving the kernel log to %s failed: %s; continuing with the vmcore", dir, strerror(-r));
		return r;
	}
	log_info("saved %s", fin);
	return 0;
}

int target_save(const char *base, const struct collect_opts *o, const char *vmcore, const char *ip, char *dumpdir,
		size_t n)
{
	char name[64], tmp[PATH_MAX], fin[PATH_MAX];
	struct sink s;
	int r;

	target_dir_name(name, sizeof(name), ip, time(NULL));
	r = target_new_dir(base, name, dumpdir, n);
	if (r) {
		return r;
	}
	(void)target_sync_dir(base);
	(void)save_dmesg(dumpdir, vmcore);
	snprintf(tmp, sizeof(tmp), "%s/vmcore-incomplete", dumpdir);
	snprintf(fin, sizeof(fin), "%s/vmcore", dumpdir);
	r = sink_file_open(&s, tmp);
	if (r) {
		return r;
	}
	log_info("saving the vmcore to %s", tmp);
	r = collect_dump(o, vmcore, &s);
	if (r) {
		log_err("the dump in %s is incomplete (%s): kept as vmcore-incomplete", dumpdir, strerror(-r));
		(void)target_sync_dir(dumpdir);
		return r;
	}
	r = target_publish(dumpdir, tmp, fin);
	if (r) {
		return r;
	}
	log_info("saved %s", fin);
	return 0;
}

int target_resolve(const char *what, const char *server, char *out, size_t n)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai = NULL;
	struct in_addr a;
	int e;

	if (inet_pton(AF_INET, server, &a) == 1) {
		return snprintf(out, n, "%s", server) < (int)n ? 0 : -ENAMETOOLONG;
	}
	e = getaddrinfo(server, NULL, &hints, &ai);
	if (e || !ai) {
		log_err("cannot resolve %s server %s: %s; name it by its IPv4 address", what, server, gai_strerror(e));
		return -ENOENT;
	}
	inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, out, (socklen_t)n);
	freeaddrinfo(ai);
	log_info("%s server %s is %s now; the capture kernel will use %s (no DNS there: rebuild the image if "
		 "it changes)", what, server, out, out);
	return 0;
}

const struct target_ops *target_ops_of(enum conf_target t)
{
	switch (t) {
	case TGT_RAW:
		return &target_raw;
	case TGT_FS:
		return &target_fs;
	case TGT_NFS:
		return &target_nfs;
	case TGT_SSH:
		return &target_ssh;
	case TGT_NONE:
		break;
	}
	return NULL;
}

double target_now(void)
{
	return (double)mono_ns() / NS_PER_SEC;
}

void target_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

int target_wait_device(struct target_ctx *t, const char *spec)
{
	double end = target_now() + t->wait;
	bool told = false;

	for (;;) {
		if (blkid_find(spec, "/sys/class/block", "/dev", t->dev, sizeof(t->dev)) == 0) {
			if (strcmp(spec, t->conf->dev)) {
				log_info("dump target %s is %s (%s on the machine that built the image)", spec, t->dev,
					 t->conf->dev);
			} else {
				log_info("dump target %s is %s", spec, t->dev);
			}
			return 0;
		}
		if (target_now() > end) {
			log_err("dump target %s did not appear within %u s (kdumpcap.wait=): is the disk attached "
				"and its driver in the image (extra_modules)?", spec, t->wait);
			return -ENODEV;
		}
		if (!told) {
			log_info("waiting up to %u s for %s", t->wait, spec);
			told = true;
		}
		target_sleep_ms(200);
	}
}
