/* Saving a dump to a local file system: <dir>/<ip>-<YYYY-MM-DD-HH:MM:SS>/
 * (mode 0700) with vmcore-dmesg.txt written and synced first, then
 * vmcore-incomplete renamed to vmcore once complete; files 0600. */
#ifndef KDC_TARGET_H
#define KDC_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "capture/collector.h"
#include "initramfs/conf.h"
#include "initramfs/hosttarget.h"

struct moddb;

/* A dump target is one file behind target_ops (target_raw.c, target_fs.c,
 * ...): a new kind is an entry in target.c's table, not an edit of PID 1,
 * mkinitrd or their switches. */

/* mkinitrd's side: the build machine's view of the target. */
struct target_image {
	const struct kdump_conf *conf;
	const struct hosttarget_opts *ho;
	struct moddb *db;       /* modules for the image: moddb_want() what the target needs */
	const char *kver;       /* the capture kernel's release */
	char *extra;            /* generated kdump.conf lines for the image (NUL-terminated) */
	size_t n;               /* size of EXTRA */
	const char *dbclient;   /* mkinitrd --dbclient: the SSH client for ssh targets */
	void *img;              /* for add */
	/* Put DATA (malloc'd, taken) into the image as NAME (no leading /), parents made. */
	void (*add)(struct target_image *im, const char *name, unsigned mode, void *data, size_t len);
};

/* PID 1's side: one capture. */
struct target_ctx {
	const struct kdump_conf *conf;
	const char *cfg;        /* the kdump.conf path, for messages */
	const char *vmcore;
	unsigned wait;          /* kdumpcap.wait=: bound of ready() in seconds */
	char ip[64];            /* the capture kernel's address toward the target ("127.0.0.1" if local) */
	char dev[PATH_MAX];     /* set by ready(): the device or source found */
	bool mounted;           /* set by ready(): something to undo in release() */
};

struct target_ops {
	const char *name;
	bool network;           /* PID 1 brings the network up before ready() */
	/* Check the configuration here and want the modules the capture needs.
	 * 0 or -errno after a message saying what to change. */
	int (*image)(struct target_image *im);
	/* Wait (bounded by T->wait) until the target can take a dump. 0 or -errno after a message. */
	int (*ready)(struct target_ctx *t);
	/* The kernel log first, then the dump, then what marks it complete. 0 or -errno. */
	int (*save)(struct target_ctx *t, const struct collect_opts *o);
	/* Undo ready(): unmount, sync (bounded). Always safe to call. */
	void (*release)(struct target_ctx *t);
};

/* The operations of a configured target; NULL for TGT_NONE. */
const struct target_ops *target_ops_of(enum conf_target t);
/* Wait up to T->wait seconds for the block device SPEC into T->dev. 0 or -ENODEV after a message. */
int target_wait_device(struct target_ctx *t, const char *spec);

/* Monotonic seconds; a sleep that resumes after signals. */
double target_now(void);
void target_sleep_ms(unsigned ms);

extern const struct target_ops target_raw, target_fs, target_nfs, target_ssh;

/* mkinitrd: SERVER's IPv4 address into OUT, resolved now (the capture
 * kernel has no DNS), said so when it was a name. WHAT ("NFS") for
 * messages. 0 or -ENOENT after a message. */
int target_resolve(const char *what, const char *server, char *out, size_t n);
/* mkinitrd: the network toward ADDR (numeric IPv4) for a network target:
 * the NIC's drivers, and dump_ip/dump_mac lines unless kdump.conf has them.
 * 0 or -errno after a message. */
int target_net_image(struct target_image *im, const char *addr);
/* PID 1: wait for the writer child PID while it makes progress (its bytes
 * written, the bytes the interfaces sent); after net_timeout seconds of stall, kill it (and its
 * process group) and return -ETIMEDOUT after a message naming WHAT ("NFS")
 * and the server. 0 when it exited 0, -EIO otherwise. */
int target_watch(struct target_ctx *t, pid_t pid, const char *what);

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
/* The whole save into BASE (mount point + path), in a directory named
 * after IP (the capture kernel's address) and the time. DUMPDIR receives the
 * directory used. 0 when the vmcore is complete, -errno otherwise (what was
 * written stays: vmcore-incomplete, flagged INCOMPLETE). */
int target_save(const char *base, const struct collect_opts *o, const char *vmcore, const char *ip, char *dumpdir,
		size_t n);

#endif
