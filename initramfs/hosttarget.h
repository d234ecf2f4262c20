/* mkinitrd's look at the dump target on the build machine: is it there,
 * is a raw one free to overwrite, does its name survive into a capture
 * kernel without udev, does 'path' stay inside it. */
#ifndef KDC_HOSTTARGET_H
#define KDC_HOSTTARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "initramfs/conf.h"

struct hosttarget_opts {
	const char *cfg;     /* the kdump.conf file, for messages */
	const char *sysroot; /* "" or a tree with dev/, sys/class/block/, proc/self/mountinfo (tests) */
	bool allow_missing;  /* --allow-missing-target: visible only to the capture kernel */
};

/* Check C's target and path here. Appends to EXTRA (NUL-terminated, N
 * bytes) the resolved_target / resolved_path lines for the image's copy of
 * kdump.conf. 0, or -errno after a message that says what to change. */
int hosttarget_check(const struct kdump_conf *c, const struct hosttarget_opts *o, char *extra, size_t n);

/* Where the dumps of C are on this machine (SYSROOT "" or a test tree): the
 * target's mount point plus 'path', or 'path' itself for a raw target (where
 * savecore restores them). 0, -EREMOTE (nfs, ssh), -ENODEV (no such device
 * here), -ENOENT (not mounted), or a rootpath_resolve() error. */
int hosttarget_dump_dir(const struct kdump_conf *c, const char *sysroot, char *out, size_t n);

struct moddb;
/* Want in DB the driver chain of C's block device as this machine sees it
 * (when KVER runs here), else the common block drivers. 0 or -errno. */
int hosttarget_block_modules(struct moddb *db, const struct kdump_conf *c, const char *kver);
/* Want the driver module of the sysfs device DEVDIR (a real path under
 * /sys/devices) and of each parent; WHAT names it in messages. Count found. */
int hosttarget_sysfs_drivers(struct moddb *db, const char *devdir, const char *what);

#endif
