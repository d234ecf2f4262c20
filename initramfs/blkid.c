/* Block device lookup by superblock. Layouts: ext2/3/4 superblock at byte
 * 1024 (magic 0xEF53 at +56, uuid at +104, volume name at +120, feature
 * words at +92/+96); xfs superblock at byte 0 (magic "XFSB", uuid at +32,
 * fname[12] at +108). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initramfs/blkid.h"
#include "lib/io.h"
#include "lib/rd.h"

#define EXT_COMPAT_HAS_JOURNAL 0x4
#define EXT_INCOMPAT_EXT4_ONLY 0x2c0 /* extents | 64bit | flex_bg */

static void fmt_uuid(const uint8_t *u, char *out)
{
	static const char hex[] = "0123456789abcdef";
	int o = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10) {
			out[o++] = '-';
		}
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 15];
	}
	out[o] = '\0';
}

static void fmt_label(const uint8_t *l, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n && l[i]; i++) {
		out[i] = (char)l[i];
	}
	out[i] = '\0';
}

int blkid_probe_fd(int fd, struct blkid_info *bi)
{
	uint8_t sb[1024];

	memset(bi, 0, sizeof(*bi));
	if (io_pread(fd, sb, 512, 0) == 512 && !memcmp(sb, "XFSB", 4)) {
		strcpy(bi->type, "xfs");
		fmt_uuid(sb + 32, bi->uuid);
		fmt_label(sb + 108, 12, bi->label);
		return 0;
	}
	if (io_pread(fd, sb, sizeof(sb), 1024) == sizeof(sb) && sb[56] == 0x53 && sb[57] == 0xef) {
		uint32_t compat = ld_le32(sb + 92), incompat = ld_le32(sb + 96);
		strcpy(bi->type, incompat & EXT_INCOMPAT_EXT4_ONLY ? "ext4"
				 : compat & EXT_COMPAT_HAS_JOURNAL ? "ext3"
								     : "ext2");
		fmt_uuid(sb + 104, bi->uuid);
		fmt_label(sb + 120, 16, bi->label);
		return 0;
	}
	return -ENOENT;
}

bool blkid_match(const struct blkid_info *bi, const char *spec)
{
	if (!strncmp(spec, "UUID=", 5)) {
		return bi->uuid[0] && !strcasecmp(spec + 5, bi->uuid);
	}
	if (!strncmp(spec, "LABEL=", 6)) {
		return bi->label[0] && !strcmp(spec + 6, bi->label);
	}
	return false;
}

int blkid_find(const char *spec, const char *sysfs, const char *dev, char *out, size_t n)
{
	char want[300];
	struct dirent *de;
	struct stat st;
	DIR *d;

	/* udev's links do not exist here; read what they mean */
	if (!strncmp(spec, "/dev/disk/by-uuid/", 18)) {
		snprintf(want, sizeof(want), "UUID=%s", spec + 18);
		spec = want;
	} else if (!strncmp(spec, "/dev/disk/by-label/", 19)) {
		snprintf(want, sizeof(want), "LABEL=%s", spec + 19);
		spec = want;
	}
	if (spec[0] == '/') {
		if (stat(spec, &st) == 0 && S_ISBLK(st.st_mode)) {
			snprintf(out, n, "%s", spec);
			return 0;
		}
		return -ENOENT;
	}
	d = opendir(sysfs);
	if (!d) {
		return -ENOENT;
	}
	while ((de = readdir(d))) {
		struct blkid_info bi;
		char path[300];
		int fd;

		if (de->d_name[0] == '.' || !strncmp(de->d_name, "loop", 4) || !strncmp(de->d_name, "ram", 3)) {
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dev, de->d_name);
		fd = io_open(path, O_RDONLY | O_NONBLOCK, 0);
		if (fd < 0) {
			continue;
		}
		if (blkid_probe_fd(fd, &bi) == 0 && blkid_match(&bi, spec)) {
			io_close(fd);
			closedir(d);
			snprintf(out, n, "%s", path);
			return 0;
		}
		io_close(fd);
	}
	closedir(d);
	return -ENOENT;
}
