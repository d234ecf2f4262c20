/* Saving a dump to a local file system: <dir>/<ip>-<YYYY-MM-DD-HH:MM:SS>/
 * (mode 0700) with vmcore-dmesg.txt written and synced first, then
 * vmcore-incomplete renamed to vmcore once complete; files 0600. */
#ifndef KDC_TARGET_H
#define KDC_TARGET_H

#include <stddef.h>
#include <time.h>

#include "capture/collector.h"

/* "127.0.0.1-2024-05-01-13:45:07" for T (UTC) into OUT. */
void target_dir_name(char *out, size_t n, const char *ip, time_t t);
/* mkdir -p DIR (0755 for missing parents). 0 or -errno. */
int target_mkdirs(const char *dir);

#define TARGET_MAX_SUFFIX 999
/* A new directory BASE/NAME, mode 0700, created here (never an existing one,
 * never through a symlink): BASE/NAME-1, -2, ... when the name is taken (two
 * dumps in one second, a clock without RTC). BASE is made if missing (sync
 * it to make the new entry durable). DIR receives the path. 0 or -errno,
 * after a message. */
int target_new_dir(const char *base, const char *name, char *dir, size_t n);
/* fsync a directory. 0 or -errno. */
int target_sync_dir(const char *dir);
/* Rename TMP to FIN in DIR, never replacing an existing FIN, then sync DIR.
 * 0 or -errno, after a message. */
int target_publish(const char *dir, const char *tmp, const char *fin);
/* The whole save into BASE (mount point + path). DUMPDIR receives the
 * directory used. 0 when the vmcore is complete, -errno otherwise (what was
 * written stays: vmcore-incomplete, flagged INCOMPLETE). */
int target_save(const char *base, const struct collect_opts *o, const char *vmcore, char *dumpdir, size_t n);

#endif
