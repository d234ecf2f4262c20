/* Find a block device by path, LABEL= or UUID= without udev or blkid: scan
 * /sys/class/block and read the ext2/3/4 and xfs superblocks ourselves. */
#ifndef KDC_BLKID_H
#define KDC_BLKID_H

#include <stdbool.h>
#include <stddef.h>

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
 * its /dev path into OUT. 0, or -ENOENT. */
int blkid_find(const char *spec, const char *sysfs, const char *dev, char *out, size_t n);

#endif
