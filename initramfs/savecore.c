/* kdumpcap savecore: on the next normal boot, move a dump that the capture
 * kernel streamed to a raw device (flattened format, "makedumpfile" header
 * at offset 0 as the marker) into <path>/<date>/vmcore, then clear the
 * marker so the same dump is not saved twice.
 *   kdumpcap savecore [--config FILE] [--dev DEVICE] [--path DIR]
 * Exit status 0 when there was nothing to do or the dump was saved. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/cmds.h"
#include "initramfs/blkid.h"
#include "initramfs/conf.h"
#include "initramfs/target.h"
#include "lib/io.h"
#include "lib/log.h"
#include "transport/sink.h"

#define MARK_SIZE 4096
#define FLAT_SIG "makedumpfile"

static int clear_marker(int fd, const char *dev)
{
	static const char zero[MARK_SIZE];
	int r = io_pwrite(fd, zero, sizeof(zero), 0);

	if (r == 0) {
		r = io_fsync(fd);
	}
	if (r) {
		log_err("cannot clear the dump marker on %s: %s; the dump would be saved again on the next "
			"boot", dev, strerror(-r));
	}
	return r;
}

int savecore_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dev", required_argument, NULL, 'd' },
		{ "path", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfg = "/etc/kdump.conf", *devarg = NULL, *patharg = NULL;
	char dev[PATH_MAX], date[64], dir[PATH_MAX - 64], tmp[PATH_MAX], fin[PATH_MAX], mark[MARK_SIZE];
	static struct kdump_conf conf;
	int c, fd, r;
	ssize_t n;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:d:p:", lo, NULL)) != -1) {
		switch (c) {
		case 'c': cfg = optarg; break;
		case 'd': devarg = optarg; break;
		case 'p': patharg = optarg; break;
		default:
			fprintf(stderr, "usage: kdumpcap savecore [--config FILE] [--dev DEVICE] [--path DIR]\n");
			return 2;
		}
	}
	conf_defaults(&conf);
	if (!devarg || !patharg) {
		(void)conf_load(&conf, cfg);
	}
	if (!devarg && conf.target != TGT_RAW) {
		log_info("%s names no raw target: nothing to save", cfg);
		return 0;
	}
	if (devarg) {
		snprintf(dev, sizeof(dev), "%s", devarg);
	} else if (blkid_find(conf.dev, "/sys/class/block", "/dev", dev, sizeof(dev))) {
		log_err("raw target %s (%s line %d) not found", conf.dev, cfg, conf.target_line);
		return 1;
	}
	fd = io_open(dev, O_RDWR, 0);
	if (fd < 0) {
		log_err("cannot open %s: %s", dev, strerror(-fd));
		return 1;
	}
	n = io_pread(fd, mark, sizeof(mark), 0);
	if (n != sizeof(mark) || memcmp(mark, FLAT_SIG, sizeof(FLAT_SIG))) {
		log_info("no dump on %s", dev);
		io_close(fd);
		return 0;
	}
	target_dir_name(date, sizeof(date), "", time(NULL));
	if (snprintf(dir, sizeof(dir), "%s/%s", patharg ? patharg : conf.path, date + 1) >= (int)sizeof(dir)) {
		io_close(fd);
		return 1;
	}
	r = target_mkdirs(dir);
	if (r == 0 && chmod(dir, 0700) < 0) {
		r = -errno;
	}
	if (r) {
		log_err("cannot create %s: %s", dir, strerror(-r));
		io_close(fd);
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s/vmcore-incomplete", dir);
	snprintf(fin, sizeof(fin), "%s/vmcore", dir);
	log_info("saving the dump on %s to %s", dev, fin);
	r = flat_rearrange(fd, dev, tmp);
	if (r == 0) {
		r = io_rename(tmp, fin);
	}
	if (r == -ENOSPC || r == -EDQUOT || r == -EROFS || r == -EACCES || r == -EEXIST) {
		/* our side failed: keep the marker to try again next boot */
		log_err("saving to %s failed: %s; the dump stays on %s", dir, strerror(-r), dev);
		io_close(fd);
		return 1;
	}
	if (r) {
		log_err("the dump on %s is incomplete (%s): kept as %s", dev, strerror(-r), tmp);
	} else {
		log_info("saved %s", fin);
	}
	if (clear_marker(fd, dev) && r == 0) {
		r = -EIO;
	}
	io_close(fd);
	return r ? 1 : 0;
}
