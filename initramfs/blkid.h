/* Find a block device by path, LABEL=, UUID=, PARTUUID=, WWID= or SERIAL=
 * without udev or blkid: scan /sys/class/block, read the ext2/3/4 and xfs
 * superblocks and GPT partition tables ourselves; tell whether a device
 * holds something a raw dump would destroy. */
#ifndef KDC_BLKID_H
#define KDC_BLKID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct blkid_info {
	char type[8];   /* ext2, ext3, ext4, xfs */
	char uuid[37];  /* lower-case 8-4-4-4-12 */
	char label[17];
};

/* Identify the file system on FD. 0, or -ENOENT when none we know. */
int blkid_probe_fd(int fd, struct blkid_info *bi);
/* Does SPEC (LABEL=x, UUID=x, /dev/...) name this file system? */
bool blkid_match(const struct blkid_info *bi, const char *spec);
/* One look for SPEC under SYSFS (/sys/class/block) with nodes in DEV (/dev):
 * its node path into OUT. A /dev/NAME spec is looked up as DEV/NAME; when DEV
 * is not "/dev" (tests, images for another machine), regular files stand in
 * for block devices. 0, or -ENOENT. */
int blkid_find(const char *spec, const char *sysfs, const char *dev, char *out, size_t n);

/* What a raw dump target holds now. */
enum blkid_raw {
	BLKID_RAW_FREE,     /* no signature we know (all zeros, say) */
	BLKID_RAW_OLD_DUMP, /* a previous dump: the flattened stream's marker at 0 */
	BLKID_RAW_IN_USE,   /* a file system, swap, LUKS, LVM or a partition table */
};
/* The state of FD as a raw target; for BLKID_RAW_IN_USE the signature's name
 * ("ext2/3/4", "GPT partition table", ...) in *WHAT. -errno when unreadable. */
int blkid_raw_state(int fd, const char **what);
/* The same for the device (or stand-in file) at PATH. */
int blkid_raw_state_of(const char *path, const char **what);
/* The unique GUID of partition PARTNO (1-based) in the GPT of the disk FD,
 * lower-case 8-4-4-4-12. 0, -ENOENT (no GPT, entry unused or past the table),
 * -EINVAL (a GPT header whose table does not fit its own limits). */
int blkid_gpt_partuuid(int fd, unsigned partno, char uuid[37]);
/* What names block device NAME (an entry of SYSFS) across renumbering, as a
 * spec blkid_find understands: PARTUUID=... for a GPT partition, WWID=... or
 * SERIAL=... for a disk. 0, or -ENOENT when it has none of them. */
int blkid_stable_id(const char *name, const char *sysfs, const char *dev, char *out, size_t n);
/* Is SPEC one of the names that survive renumbering (LABEL=, UUID=, PARTUUID=,
 * WWID=, SERIAL=)? */
bool blkid_spec_stable(const char *spec);

#endif
