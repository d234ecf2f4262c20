/* Moving pstore records next to the dumps (see pstore.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "initramfs/pstore.h"
#include "initramfs/target.h"
#include "lib/io.h"
#include "lib/log.h"

/* Copy SRC to DST (new, 0600), synced. 0 or -errno. */
static int copy_record(const char *src, const char *dst)
{
	char *buf = malloc(PSTORE_RECORD_MAX);
	ssize_t len;
	int in, out, r, c;

	if (!buf) {
		return -ENOMEM;
	}
	in = io_open(src, O_RDONLY | O_CLOEXEC, 0);
	len = in < 0 ? in : io_read(in, buf, PSTORE_RECORD_MAX);
	if (in >= 0) {
		io_close(in);
	}
	if (len < 0) {
		free(buf);
		return (int)len;
	}
	out = io_open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		free(buf);
		return out;
	}
	r = io_write(out, buf, (size_t)len);
	r = r ? r : io_fsync(out);
	c = io_close(out);
	free(buf);
	return r ? r : c;
}

/* The regular files of SRC (pstore has no subdirectories). */
static bool is_record(DIR *d, const struct dirent *e)
{
	struct stat st;

	return e->d_name[0] != '.' && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode);
}

/* Copy each record of SRC into DIR, then remove it from SRC. Count moved or -errno. */
static int move_all(DIR *d, const char *src, const char *dir)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct dirent *e;
	int moved = 0, r = 0;

	rewinddir(d);
	while ((e = readdir(d))) {
		int k;

		if (!is_record(d, e)) {
			continue;
		}
		snprintf(from, sizeof(from), "%s/%s", src, e->d_name);
		snprintf(to, sizeof(to), "%s/%s", dir, e->d_name);
		k = copy_record(from, to);
		if (k == 0) {
			k = target_sync_dir(dir);
		}
		if (k) {
			log_err("cannot copy pstore record %s to %s: %s; it stays in %s", from, to, strerror(-k), src);
			r = k;
			continue;
		}
		if (unlink(from) < 0) {
			log_warn("copied %s, but cannot remove it from pstore: %s", from, strerror(errno));
		}
		moved++;
	}
	return moved ? moved : r;
}

int pstore_move(const char *src, const char *base, char *dir, size_t n)
{
	DIR *d = opendir(src);
	struct dirent *e;
	char name[64];
	int any = 0, r;

	if (!d) {
		return errno == ENOENT ? 0 : -errno;
	}
	while ((e = readdir(d)) && !any) {
		any = is_record(d, e);
	}
	if (!any) {
		closedir(d);
		return 0;
	}
	target_dir_name(name, sizeof(name), "pstore", time(NULL));
	r = target_new_dir(base, name, dir, n);
	if (r == 0) {
		r = move_all(d, src, dir);
	}
	closedir(d);
	if (r > 0) {
		log_info("moved %d pstore record(s) from %s to %s", r, src, dir);
	}
	return r;
}
