/* Block device lookup by superblock. Layouts: ext2/3/4 superblock at byte
 * 1024 (magic 0xEF53 at +56, uuid at +104, volume name at +120, feature
 * words at +92/+96); xfs superblock at byte 0 (magic "XFSB", uuid at +32,
 * fname[12] at +108). GPT (UEFI spec 2.x, 5.3): header at LBA 1 ("EFI PART",
 * table LBA at +72, entry count at +80, entry size at +84); each entry holds
 * the type GUID at +0 and the partition's unique GUID at +16, both with
 * their first three fields little-endian. */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
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
#include "transport/sink.h"

#define EXT_COMPAT_HAS_JOURNAL 0x4
#define EXT_INCOMPAT_EXT4_ONLY 0x2c0 /* extents | 64bit | flex_bg */

#define GPT_SIG "EFI PART"
#define GPT_HEADER_SIZE 92
#define GPT_ENTRY_PREFIX 32 /* type and unique GUIDs */
#define GPT_TABLE_LBA 72
#define GPT_NENTRIES 80
#define GPT_ENTRY_SIZE 84
#define GPT_ENTRY_MIN 128
#define GPT_ENTRY_MAX 4096
#define GPT_NENTRIES_MAX 4096
#define GPT_ENTRY_UNIQUE 16
#define MBR_SIG_OFF 510
#define MBR_TABLE 446
#define MBR_ENTRY 16
#define MBR_ENTRY_TYPE 4

/* Signatures of what a raw dump must not overwrite: offset of the magic
 * from the start of the device. Offsets are the formats' own (superblock
 * position + magic position in it). */
static const struct {
	const char *name;
	uint64_t off;
	const char *magic;
	size_t len;
} signatures[] = {
	{ "ext2/3/4", 1024 + 56, "\x53\xef", 2 },
	{ "xfs", 0, "XFSB", 4 },
	{ "btrfs", 65536 + 64, "_BHRfS_M", 8 },
	{ "swap", 4096 - 10, "SWAPSPACE2", 10 },   /* the last bytes of the first page */
	{ "swap", 16384 - 10, "SWAPSPACE2", 10 },  /* 16 KiB pages */
	{ "swap", 65536 - 10, "SWAPSPACE2", 10 },  /* 64 KiB pages */
	{ "LUKS", 0, "LUKS\xba\xbe", 6 },
	{ "LVM2 PV", 512 + 24, "LVM2 001", 8 },    /* label in sector 1 (the default) */
	{ "LVM2 PV", 24, "LVM2 001", 8 },          /* or sector 0 */
	{ "FAT32", 82, "FAT32   ", 8 },
	{ "FAT12/16", 54, "FAT1", 4 },
	{ "iso9660", 32768 + 1, "CD001", 5 },     /* primary volume descriptor */
	{ "GPT partition table", 512, GPT_SIG, 8 },
	{ "GPT partition table", 4096, GPT_SIG, 8 }, /* 4 KiB sectors */
};

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

static bool at(int fd, uint64_t off, const char *magic, size_t len)
{
	char b[16];

	return len <= sizeof(b) && io_pread(fd, b, len, off) == (ssize_t)len && !memcmp(b, magic, len);
}

/* An MBR: the boot signature and at least one partition entry in use with
 * a valid boot flag. */
static bool has_mbr(int fd)
{
	uint8_t b[512];

	if (io_pread(fd, b, sizeof(b), 0) != sizeof(b) || b[MBR_SIG_OFF] != 0x55 || b[MBR_SIG_OFF + 1] != 0xaa) {
		return false;
	}
	for (int i = 0; i < 4; i++) {
		const uint8_t *e = b + MBR_TABLE + i * MBR_ENTRY;
		if (e[MBR_ENTRY_TYPE] && (e[0] == 0 || e[0] == 0x80)) {
			return true;
		}
	}
	return false;
}

int blkid_raw_state(int fd, const char **what)
{
	char first[512];
	ssize_t n = io_pread(fd, first, sizeof(first), 0);

	if (n < 0) {
		return (int)n;
	}
	/* our own dump first: its bytes may match anything below by chance */
	if ((size_t)n >= strlen(FLAT_SIG) && !memcmp(first, FLAT_SIG, strlen(FLAT_SIG))) {
		return BLKID_RAW_OLD_DUMP;
	}
	for (size_t i = 0; i < sizeof(signatures) / sizeof(signatures[0]); i++) {
		if (at(fd, signatures[i].off, signatures[i].magic, signatures[i].len)) {
			*what = signatures[i].name;
			return BLKID_RAW_IN_USE;
		}
	}
	if (has_mbr(fd)) {
		*what = "MBR partition table";
		return BLKID_RAW_IN_USE;
	}
	return BLKID_RAW_FREE;
}

int blkid_raw_state_of(const char *path, const char **what)
{
	int fd = io_open(path, O_RDONLY | O_NONBLOCK, 0);
	int st;

	if (fd < 0) {
		return fd;
	}
	st = blkid_raw_state(fd, what);
	io_close(fd);
	return st;
}

static void fmt_guid(const uint8_t *g, char *out)
{
	static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	uint8_t be[16];

	for (int i = 0; i < 16; i++) {
		be[i] = g[order[i]];
	}
	fmt_uuid(be, out);
}

int blkid_gpt_partuuid(int fd, unsigned partno, char uuid[37])
{
	static const uint8_t unused[16];
	static const unsigned sector[] = { 512, 4096 };
	uint8_t h[GPT_HEADER_SIZE], e[GPT_ENTRY_PREFIX];

	for (size_t s = 0; s < sizeof(sector) / sizeof(sector[0]); s++) {
		uint64_t lba, off;
		uint32_t count, size;

		if (io_pread(fd, h, sizeof(h), sector[s]) != sizeof(h) || memcmp(h, GPT_SIG, 8)) {
			continue;
		}
		lba = ld_le64(h + GPT_TABLE_LBA);
		count = ld_le32(h + GPT_NENTRIES);
		size = ld_le32(h + GPT_ENTRY_SIZE);
		if (count > GPT_NENTRIES_MAX || size < GPT_ENTRY_MIN || size > GPT_ENTRY_MAX || size % 8 ||
		    lba < 2 || lba > UINT64_MAX / 4096 / 2) {
			return -EINVAL;
		}
		if (partno < 1 || partno > count) {
			return -ENOENT;
		}
		off = lba * sector[s] + (uint64_t)(partno - 1) * size;
		if (io_pread(fd, e, sizeof(e), off) != sizeof(e) || !memcmp(e, unused, 16)) {
			return -ENOENT;
		}
		fmt_guid(e + GPT_ENTRY_UNIQUE, uuid);
		return 0;
	}
	return -ENOENT;
}

/* The first line of a small sysfs file as one word: leading and trailing
 * blanks dropped, inner runs of them (ATA's t10 WWIDs pad with spaces) made
 * one '_', as udev's by-id names do; "" when absent. */
static void read_attr(const char *dir, const char *name, char *out, size_t n)
{
	char p[PATH_MAX];
	size_t o = 0;

	if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p) || io_read_text(p, out, n) <= 0) {
		out[0] = '\0';
		return;
	}
	out[strcspn(out, "\n")] = '\0';
	for (size_t i = strspn(out, " \t"); out[i]; i++) {
		if (!isspace((unsigned char)out[i])) {
			out[o++] = out[i];
		} else if (out[i + 1] && !isspace((unsigned char)out[i + 1]) && o) {
			out[o++] = '_';
		}
	}
	out[o] = '\0';
}

/* PARTUUID of partition NAME: its number from sysfs, the GPT of its disk. */
static int partuuid_of(const char *name, const char *sysfs, const char *dev, char uuid[37])
{
	char p[PATH_MAX], real[PATH_MAX], num[16], *slash;
	int fd, r;

	if (snprintf(p, sizeof(p), "%s/%s", sysfs, name) >= (int)sizeof(p) || !realpath(p, real)) {
		return -ENOENT;
	}
	read_attr(real, "partition", num, sizeof(num));
	slash = strrchr(real, '/');
	if (!num[0] || !slash || slash == real) {
		return -ENOENT;
	}
	*slash = '\0'; /* the disk's directory holds its partitions' */
	slash = strrchr(real, '/');
	if (!slash || snprintf(p, sizeof(p), "%s/%s", dev, slash + 1) >= (int)sizeof(p)) {
		return -ENOENT;
	}
	fd = io_open(p, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0) {
		return fd;
	}
	r = blkid_gpt_partuuid(fd, (unsigned)atoi(num), uuid);
	io_close(fd);
	return r;
}

/* The disk's own identity: its WWID (SCSI, NVMe) or serial (virtio, NVMe). */
static int disk_id(const char *name, const char *sysfs, const char *key, char *out, size_t n)
{
	static const char *const wwid[] = { "wwid", "device/wwid" }, *const serial[] = { "serial", "device/serial" };
	const char *const *attr = !strcmp(key, "WWID") ? wwid : serial;
	char dir[PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s/%s", sysfs, name) >= (int)sizeof(dir)) {
		return -ENOENT;
	}
	for (int i = 0; i < 2; i++) {
		read_attr(dir, attr[i], out, n);
		if (out[0]) {
			return 0;
		}
	}
	return -ENOENT;
}

int blkid_stable_id(const char *name, const char *sysfs, const char *dev, char *out, size_t n)
{
	static const char *const keys[] = { "WWID", "SERIAL" };
	char v[256];

	if (partuuid_of(name, sysfs, dev, v) == 0) {
		return snprintf(out, n, "PARTUUID=%s", v) < (int)n ? 0 : -ENAMETOOLONG;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (disk_id(name, sysfs, keys[i], v, sizeof(v)) == 0) {
			return snprintf(out, n, "%s=%s", keys[i], v) < (int)n ? 0 : -ENAMETOOLONG;
		}
	}
	return -ENOENT;
}

bool blkid_spec_stable(const char *spec)
{
	static const char *const keys[] = { "LABEL=", "UUID=", "PARTUUID=", "WWID=", "SERIAL=" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!strncmp(spec, keys[i], strlen(keys[i]))) {
			return true;
		}
	}
	return false;
}

/* Does device NAME (in SYSFS, node DEVPATH) answer to SPEC? */
static bool dev_matches(const char *spec, const char *name, const char *sysfs, const char *dev, const char *devpath)
{
	struct blkid_info bi;
	char v[256];
	bool m = false;
	int fd;

	if (!strncmp(spec, "PARTUUID=", 9)) {
		return partuuid_of(name, sysfs, dev, v) == 0 && !strcasecmp(v, spec + 9);
	}
	if (!strncmp(spec, "WWID=", 5) || !strncmp(spec, "SERIAL=", 7)) {
		size_t k = strcspn(spec, "=");
		char key[8];
		snprintf(key, sizeof(key), "%.*s", (int)k, spec);
		return disk_id(name, sysfs, key, v, sizeof(v)) == 0 && !strcmp(v, spec + k + 1);
	}
	fd = io_open(devpath, O_RDONLY | O_NONBLOCK, 0);
	if (fd >= 0) {
		m = blkid_probe_fd(fd, &bi) == 0 && blkid_match(&bi, spec);
		io_close(fd);
	}
	return m;
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
	} else if (!strncmp(spec, "/dev/disk/by-partuuid/", 22)) {
		snprintf(want, sizeof(want), "PARTUUID=%s", spec + 22);
		spec = want;
	}
	if (spec[0] == '/') {
		char node[PATH_MAX];
		bool stand_in = strcmp(dev, "/dev") != 0;

		if (strncmp(spec, "/dev/", 5) ||
		    snprintf(node, sizeof(node), "%s/%s", dev, spec + 5) >= (int)sizeof(node)) {
			return -ENOENT;
		}
		if (stat(node, &st) == 0 && (S_ISBLK(st.st_mode) || (stand_in && S_ISREG(st.st_mode)))) {
			snprintf(out, n, "%s", node);
			return 0;
		}
		return -ENOENT;
	}
	d = opendir(sysfs);
	if (!d) {
		return -ENOENT;
	}
	while ((de = readdir(d))) {
		char path[PATH_MAX];

		if (de->d_name[0] == '.' || !strncmp(de->d_name, "loop", 4) || !strncmp(de->d_name, "ram", 3) ||
		    snprintf(path, sizeof(path), "%s/%s", dev, de->d_name) >= (int)sizeof(path)) {
			continue;
		}
		if (dev_matches(spec, de->d_name, sysfs, dev, path)) {
			closedir(d);
			snprintf(out, n, "%s", path);
			return 0;
		}
	}
	closedir(d);
	return -ENOENT;
}
