/* The newest dump directory and its state (see lastdump.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initramfs/lastdump.h"

/* Files a capture or savecore leaves in its directory (initramfs/target.c). */
static const char *const dump_files[] = { "vmcore", "vmcore-incomplete", "vmcore-dmesg.txt" };

static bool has(int dfd, const char *name)
{
	struct stat st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

/* The state of the dump directory NAME in BASE, or NONE when it is not one. */
static enum lastdump_state state_of(int bfd, const char *name)
{
	int dfd = openat(bfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	bool any = false;
	enum lastdump_state s = LASTDUMP_NONE;

	if (dfd < 0) {
		return LASTDUMP_NONE;
	}
	for (size_t i = 0; i < sizeof(dump_files) / sizeof(dump_files[0]); i++) {
		any = any || has(dfd, dump_files[i]);
	}
	if (has(dfd, "vmcore")) {
		s = LASTDUMP_COMPLETE;
	} else if (has(dfd, "vmcore-incomplete")) {
		s = LASTDUMP_INCOMPLETE;
	} else if (any) {
		s = LASTDUMP_EMPTY;
	}
	close(dfd);
	return s;
}

int lastdump_find(const char *base, struct lastdump *ld)
{
	DIR *d = opendir(base);
	struct dirent *e;

	ld->state = LASTDUMP_NONE;
	ld->dir[0] = ld->name[0] = '\0';
	ld->when = 0;
	if (!d) {
		return -errno;
	}
	while ((e = readdir(d))) {
		struct stat st;
		enum lastdump_state s;

		if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode)) {
			continue;
		}
		s = state_of(dirfd(d), e->d_name);
		/* newest by mtime; names break ties (<date>-1 after <date>) */
		if (s == LASTDUMP_NONE || st.st_mtime < ld->when ||
		    (st.st_mtime == ld->when && strcmp(e->d_name, ld->name) < 0)) {
			continue;
		}
		ld->state = s;
		ld->when = st.st_mtime;
		snprintf(ld->name, sizeof(ld->name), "%s", e->d_name);
		snprintf(ld->dir, sizeof(ld->dir), "%s/%s", base, e->d_name);
	}
	closedir(d);
	return 0;
}

const char *lastdump_describe(enum lastdump_state s)
{
	switch (s) {
	case LASTDUMP_COMPLETE:
		return "complete (vmcore)";
	case LASTDUMP_INCOMPLETE:
		return "FAILED: cut short, only vmcore-incomplete was saved (crash may still read part of it)";
	case LASTDUMP_EMPTY:
		return "FAILED: no vmcore was saved (see vmcore-dmesg.txt and the console log)";
	default:
		return "no dump";
	}
}
