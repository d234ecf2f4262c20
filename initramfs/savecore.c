/* kdumpcap savecore: on the next normal boot, move a dump that the capture
 * kernel streamed to a raw device (flattened format, its first block the
 * marker) into <path>/<date>/vmcore, then clear the marker so the same dump
 * is not saved twice.
 *   kdumpcap savecore [--config FILE] [--dev DEVICE] [--path DIR]
 * DEVICE may be a regular file standing for the device.
 *
 * Never lie: `vmcore` only for a stream that is one capture start to end
 * (its trailer carries its header's id, transport/flat.h); anything else is
 * `vmcore-incomplete`, flagged INCOMPLETE, exit 1. Never lose: the marker is
 * cleared only once the saved file is durable; when writing the file fails,
 * or reading the device does, the marker stays for the next run. Never
 * replace: a new directory each time (<date>-1, -2, ... if taken), files
 * created exclusively, renamed without replacing.
 * Exit status 0 when there was nothing to do or the dump was saved. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/cmds.h"
#include "initramfs/blkid.h"
#include "initramfs/conf.h"
#include "initramfs/target.h"
#include "lib/io.h"
#include "lib/log.h"
#include "transport/flat.h"

struct save {
	const char *dev;
	int fd;                    /* the device, read-write */
	uint8_t mark[FLAT_HDR_SIZE]; /* its first block as found */
	const char *base;          /* --path */
	char dir[PATH_MAX - 32], tmp[PATH_MAX], fin[PATH_MAX];
	bool made_dir, made_tmp;   /* dir and tmp were created here */
	bool published;            /* fin exists, made here */
};

/* Clear the marker: the dump is saved, or saved as far as the stream goes. */
static int clear_marker(struct save *sv)
{
	int r = flat_invalidate(sv->fd);

	if (r) {
		/* put the marker back as found: saving again is better than a
		 * device that may or may not say it holds a dump */
		(void)io_pwrite(sv->fd, sv->mark, sizeof(sv->mark), 0);
		(void)io_fsync(sv->fd);
		log_err("cannot clear the dump marker on %s: %s; the dump there will be saved again by the next "
			"'kdumpcap savecore' (into a new directory)", sv->dev, strerror(-r));
	}
	return r;
}

/* Remove what was made here (the dump stays on the device). */
static void discard(const struct save *sv)
{
	if (sv->published) {
		(void)unlink(sv->fin);
	}
	if (sv->made_tmp) {
		(void)unlink(sv->tmp);
	}
	if (sv->made_dir) {
		(void)rmdir(sv->dir);
	}
}

/* Writing the file failed: remove what was made here, keep the marker. */
static int give_back(struct save *sv, int err)
{
	discard(sv);
	log_err("saving to %s failed: %s; nothing is kept there and the dump stays on %s (marker kept): free "
		"space or fix %s, then run 'kdumpcap savecore' again", sv->dir, strerror(-err), sv->dev, sv->base);
	return 1;
}

static int make_dir(struct save *sv)
{
	char date[64];
	int r;

	target_dir_name(date, sizeof(date), "", time(NULL));
	r = target_new_dir(sv->base, date + 1, sv->dir, sizeof(sv->dir));
	if (r) {
		return r;
	}
	sv->made_dir = true;
	r = target_sync_dir(sv->base);
	if (r == 0 && (snprintf(sv->tmp, sizeof(sv->tmp), "%s/vmcore-incomplete", sv->dir) >= (int)sizeof(sv->tmp) ||
		       snprintf(sv->fin, sizeof(sv->fin), "%s/vmcore", sv->dir) >= (int)sizeof(sv->fin))) {
		r = -ENAMETOOLONG;
	}
	return r;
}

static int sync_close(int fd)
{
	int r = io_fsync(fd);
	int c = io_close(fd);

	return r ? r : c;
}

/* The stream was read to its end but is not one whole capture. */
static int save_incomplete(struct save *sv, const struct flat_result *res)
{
	int r = target_sync_dir(sv->dir);

	if (r) {
		return give_back(sv, r);
	}
	log_err("the dump on %s is incomplete: saved as %s%s; the marker on %s is cleared (the stream will "
		"not get better)", sv->dev, sv->tmp, res->flagged ? ", flagged INCOMPLETE" : " (no dump header in it)",
		sv->dev);
	(void)clear_marker(sv);
	return 1;
}

static int save_dump(struct save *sv)
{
	struct flat_result res;
	int out, r, c;

	r = make_dir(sv);
	if (r) {
		return give_back(sv, r);
	}
	out = io_open(sv->tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (out < 0) {
		return give_back(sv, out);
	}
	sv->made_tmp = true;
	log_info("saving the dump on %s to %s", sv->dev, sv->dir);
	r = flat_rearrange(sv->fd, sv->dev, out, sv->tmp, true, &res);
	c = sync_close(out);
	if (res.side == FLAT_OUTPUT || c) {
		return give_back(sv, res.side == FLAT_OUTPUT ? r : c);
	}
	if (res.side == FLAT_INPUT) {
		if (res.records) {
			(void)target_sync_dir(sv->dir);
			log_err("reading %s failed: %s; what could be read is in %s%s", sv->dev, strerror(-r), sv->tmp,
				res.flagged ? ", flagged INCOMPLETE" : "");
		} else {
			discard(sv);
			log_err("reading %s failed: %s", sv->dev, strerror(-r));
		}
		log_err("the dump stays on %s (marker kept): run 'kdumpcap savecore' again, or copy the device "
			"first if it keeps failing", sv->dev);
		return 1;
	}
	if (res.side == FLAT_STREAM) {
		return save_incomplete(sv, &res);
	}
	r = target_publish(sv->dir, sv->tmp, sv->fin);
	if (r) {
		sv->published = r != -EEXIST && access(sv->fin, F_OK) == 0;
		return give_back(sv, r);
	}
	sv->published = true;
	log_info("saved %s", sv->fin);
	return clear_marker(sv) ? 1 : 0;
}

static int find_device(const struct kdump_conf *conf, const char *cfg, const char *devarg, char *dev, size_t n)
{
	if (devarg) {
		snprintf(dev, n, "%s", devarg);
		return 0;
	}
	if (blkid_find(conf->dev, "/sys/class/block", "/dev", dev, n)) {
		log_err("raw target %s (%s line %d) not found", conf->dev, cfg, conf->target_line);
		return -ENODEV;
	}
	return 0;
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
	static struct kdump_conf conf;
	static struct save sv;
	char dev[PATH_MAX];
	int c, r;
	ssize_t n;

	if (io_fault_setup(getenv("KDUMPCAP_FAULT"))) {
		log_err("bad KDUMPCAP_FAULT spec '%s'", getenv("KDUMPCAP_FAULT"));
		return 2;
	}
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
	if (find_device(&conf, cfg, devarg, dev, sizeof(dev))) {
		return 1;
	}
	sv.dev = dev;
	sv.base = patharg ? patharg : conf.path;
	sv.fd = io_open(dev, O_RDWR, 0);
	if (sv.fd < 0) {
		log_err("cannot open %s: %s; a dump there stays: run 'kdumpcap savecore' again", dev, strerror(-sv.fd));
		return 1;
	}
	n = io_pread(sv.fd, sv.mark, sizeof(sv.mark), 0);
	if (n < 0) {
		log_err("cannot read %s: %s; a dump there stays: run 'kdumpcap savecore' again", dev,
			strerror((int)-n));
		r = 1;
	} else if (!flat_is_header(sv.mark, (size_t)n)) {
		log_info("no dump on %s", dev);
		r = 0;
	} else {
		r = save_dump(&sv);
	}
	(void)io_close(sv.fd);
	return r;
}
