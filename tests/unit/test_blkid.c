#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initramfs/blkid.h"
#include "tests/unit/t.h"

static int tmpdisk(void)
{
	char name[] = "/tmp/kdc-blkid-XXXXXX";
	int fd = mkstemp(name);

	unlink(name);
	if (fd >= 0 && ftruncate(fd, 8192) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

TEST(test_blkid_ext4)
{
	uint8_t sb[1024] = { 0 };
	struct blkid_info bi;
	int fd = tmpdisk();
	static const uint8_t uuid[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
					  0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 };

	CHECK(fd >= 0);
	CHECK(blkid_probe_fd(fd, &bi) < 0); /* zeros: nothing */
	sb[56] = 0x53;
	sb[57] = 0xef;
	sb[92] = 0x4;  /* has_journal */
	sb[96] = 0x40; /* extents */
	memcpy(sb + 104, uuid, 16);
	memcpy(sb + 120, "kdump-target1234", 16); /* full 16 bytes, no NUL */
	CHECK(pwrite(fd, sb, sizeof(sb), 1024) == sizeof(sb));
	CHECK(blkid_probe_fd(fd, &bi) == 0);
	CHECK(!strcmp(bi.type, "ext4"));
	CHECK(!strcmp(bi.uuid, "01234567-89ab-cdef-0011-223344556677"));
	CHECK(!strcmp(bi.label, "kdump-target1234"));
	CHECK(blkid_match(&bi, "UUID=01234567-89AB-CDEF-0011-223344556677"));
	CHECK(!blkid_match(&bi, "UUID=01234567-89ab-cdef-0011-223344556678"));
	CHECK(blkid_match(&bi, "LABEL=kdump-target1234"));
	CHECK(!blkid_match(&bi, "LABEL=kdump"));
	sb[96] = 0;
	CHECK(pwrite(fd, sb, sizeof(sb), 1024) == sizeof(sb));
	CHECK(blkid_probe_fd(fd, &bi) == 0 && !strcmp(bi.type, "ext3"));
	close(fd);
}

TEST(test_blkid_xfs)
{
	uint8_t sb[512] = { 0 };
	struct blkid_info bi;
	int fd = tmpdisk();

	memcpy(sb, "XFSB", 4);
	memset(sb + 32, 0xab, 16);
	memcpy(sb + 108, "dumps", 5);
	CHECK(pwrite(fd, sb, sizeof(sb), 0) == sizeof(sb));
	CHECK(blkid_probe_fd(fd, &bi) == 0 && !strcmp(bi.type, "xfs"));
	CHECK(!strcmp(bi.uuid, "abababab-abab-abab-abab-abababababab"));
	CHECK(blkid_match(&bi, "LABEL=dumps"));
	close(fd);
}

TEST(test_blkid_find_in_fake_sysfs)
{
	char root[] = "/tmp/kdc-sys-XXXXXX";
	char sys[64], dev[64], p[128], out[128];
	uint8_t sb[1024] = { 0 };
	int fd;

	CHECK(mkdtemp(root) != NULL);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(dev, sizeof(dev), "%s/dev", root);
	mkdir(sys, 0755);
	mkdir(dev, 0755);
	snprintf(p, sizeof(p), "%s/vdb", sys);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/vda", sys);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/vdb", dev);
	fd = open(p, O_CREAT | O_RDWR, 0600);
	sb[56] = 0x53;
	sb[57] = 0xef;
	memcpy(sb + 120, "crash", 5);
	CHECK(pwrite(fd, sb, sizeof(sb), 1024) == sizeof(sb));
	close(fd);
	CHECK(blkid_find("LABEL=crash", sys, dev, out, sizeof(out)) == 0 && !strcmp(out, p));
	CHECK(blkid_find("/dev/disk/by-label/crash", sys, dev, out, sizeof(out)) == 0);
	CHECK(blkid_find("LABEL=other", sys, dev, out, sizeof(out)) < 0);
	CHECK(blkid_find("/nonexistent/vdz", sys, dev, out, sizeof(out)) < 0);
	unlink(p);
	snprintf(p, sizeof(p), "rm -rf %s", root);
	CHECK(system(p) == 0);
}

/* A zeroed 128 KiB stand-in device with LEN bytes of MAGIC at OFF. */
static int disk_with(uint64_t off, const void *magic, size_t len)
{
	int fd = tmpdisk();

	if (fd >= 0 && (ftruncate(fd, 128 << 10) < 0 || (len && pwrite(fd, magic, len, (off_t)off) != (ssize_t)len))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int state_of(uint64_t off, const void *magic, size_t len, const char **what)
{
	int fd = disk_with(off, magic, len), st;

	*what = "";
	if (fd < 0) {
		return -1;
	}
	st = blkid_raw_state(fd, what);
	close(fd);
	return st;
}

TEST(test_blkid_raw_signatures)
{
	static const struct {
		uint64_t off;
		const char *magic;
		size_t len;
		const char *name;
	} cases[] = {
		{ 1080, "\x53\xef", 2, "ext2/3/4" },
		{ 0, "XFSB", 4, "xfs" },
		{ 0x10040, "_BHRfS_M", 8, "btrfs" },
		{ 4086, "SWAPSPACE2", 10, "swap" },
		{ 65526, "SWAPSPACE2", 10, "swap" },
		{ 0, "LUKS\xba\xbe", 6, "LUKS" },
		{ 536, "LVM2 001", 8, "LVM2 PV" },
		{ 82, "FAT32   ", 8, "FAT32" },
		{ 54, "FAT16   ", 8, "FAT12/16" },
		{ 0x8001, "CD001", 5, "iso9660" },
		{ 512, "EFI PART", 8, "GPT partition table" },
		{ 4096, "EFI PART", 8, "GPT partition table" },
	};
	uint8_t mbr[512] = { 0 };
	const char *what;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st = state_of(cases[i].off, cases[i].magic, cases[i].len, &what);
		CHECK(st == BLKID_RAW_IN_USE && !strcmp(what, cases[i].name));
		if (st != BLKID_RAW_IN_USE || strcmp(what, cases[i].name)) {
			printf("    signature %s at %llu: state %d, '%s'\n", cases[i].name,
			       (unsigned long long)cases[i].off, st, what);
		}
	}
	/* all zeros: free */
	CHECK(state_of(0, "", 0, &what) == BLKID_RAW_FREE);
	/* one byte off: nothing */
	CHECK(state_of(1081, "\x53\xef", 2, &what) == BLKID_RAW_FREE);
	/* a boot signature alone is not a partition table; one entry in use is */
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	CHECK(state_of(0, mbr, sizeof(mbr), &what) == BLKID_RAW_FREE);
	mbr[446 + 16 + 4] = 0x83; /* second entry: Linux */
	CHECK(state_of(0, mbr, sizeof(mbr), &what) == BLKID_RAW_IN_USE && !strcmp(what, "MBR partition table"));
	mbr[446 + 16] = 0x12; /* not a boot flag: garbage, not a table */
	CHECK(state_of(0, mbr, sizeof(mbr), &what) == BLKID_RAW_FREE);
}

TEST(test_blkid_raw_previous_dump)
{
	const char *what = "";
	int fd = disk_with(0, "makedumpfile", 12);

	/* a previous dump whose data happens to hold the ext magic at 1080 */
	CHECK(fd >= 0 && pwrite(fd, "\x53\xef", 2, 1080) == 2);
	CHECK(blkid_raw_state(fd, &what) == BLKID_RAW_OLD_DUMP);
	close(fd);
}

/* A GPT disk image: 128 entries of 128 bytes at LBA 2; entry PARTNO (1-based)
 * in use with unique GUID bytes 0x10.. (on-disk order). */
static void put_gpt(int fd, unsigned partno, uint32_t entry_size)
{
	uint8_t h[92] = { 0 }, e[128] = { 0 };

	memcpy(h, "EFI PART", 8);
	h[72] = 2;                 /* table at LBA 2 */
	h[80] = 128;               /* entries */
	memcpy(h + 84, &entry_size, 4);
	CHECK(pwrite(fd, h, sizeof(h), 512) == sizeof(h));
	e[0] = 0xaf;               /* a type GUID: in use */
	for (int i = 0; i < 16; i++) {
		e[16 + i] = (uint8_t)(0x10 + i);
	}
	CHECK(pwrite(fd, e, sizeof(e), 1024 + (off_t)(partno - 1) * 128) == sizeof(e));
}

TEST(test_blkid_gpt_partuuid)
{
	char u[37];
	int fd = tmpdisk();

	CHECK(fd >= 0 && ftruncate(fd, 64 << 10) == 0);
	CHECK(blkid_gpt_partuuid(fd, 1, u) == -ENOENT); /* no GPT */
	put_gpt(fd, 2, 128);
	CHECK(blkid_gpt_partuuid(fd, 2, u) == 0);
	/* first three fields little-endian on disk */
	CHECK(!strcmp(u, "13121110-1514-1716-1819-1a1b1c1d1e1f"));
	CHECK(blkid_gpt_partuuid(fd, 1, u) == -ENOENT);   /* unused entry */
	CHECK(blkid_gpt_partuuid(fd, 0, u) == -ENOENT);
	CHECK(blkid_gpt_partuuid(fd, 129, u) == -ENOENT); /* past the table */
	put_gpt(fd, 2, 100);                               /* entry size below the minimum */
	CHECK(blkid_gpt_partuuid(fd, 2, u) == -EINVAL);
	put_gpt(fd, 2, 1u << 30);                          /* absurd entry size */
	CHECK(blkid_gpt_partuuid(fd, 2, u) == -EINVAL);
	close(fd);
}

static void put_text(const char *dir, const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* sysfs as the kernel lays it out: class/block/X links into devices/, a
 * partition's directory inside its disk's. */
TEST(test_blkid_stable_names_in_fake_sysfs)
{
	char root[] = "/tmp/kdc-sys-XXXXXX";
	char sys[96], dev[96], p[1024], out[256];
	int fd;

	CHECK(mkdtemp(root) != NULL);
	snprintf(sys, sizeof(sys), "%s/sys/class/block", root);
	snprintf(dev, sizeof(dev), "%s/dev", root);
	snprintf(p, sizeof(p), "mkdir -p %s %s %s/sys/devices/vdb/vdb2 %s/sys/devices/vdc && "
		 "ln -s ../../devices/vdb %s/vdb && ln -s ../../devices/vdb/vdb2 %s/vdb2 && "
		 "ln -s ../../devices/vdc %s/vdc && touch %s/vdb2 %s/vdc",
		 sys, dev, root, root, sys, sys, sys, dev, dev);
	CHECK(system(p) == 0);
	snprintf(p, sizeof(p), "%s/sys/devices/vdb/vdb2", root);
	put_text(p, "partition", "2\n");
	snprintf(p, sizeof(p), "%s/sys/devices/vdc", root);
	put_text(p, "serial", "QM00003  \n");
	snprintf(p, sizeof(p), "%s/vdb", dev);
	fd = open(p, O_CREAT | O_RDWR, 0600);
	CHECK(fd >= 0 && ftruncate(fd, 64 << 10) == 0);
	put_gpt(fd, 2, 128);
	close(fd);

	CHECK(blkid_find("PARTUUID=13121110-1514-1716-1819-1A1B1C1D1E1F", sys, dev, out, sizeof(out)) == 0);
	snprintf(p, sizeof(p), "%s/vdb2", dev);
	CHECK(!strcmp(out, p));
	CHECK(blkid_find("/dev/disk/by-partuuid/13121110-1514-1716-1819-1a1b1c1d1e1f", sys, dev, out,
			 sizeof(out)) == 0 && !strcmp(out, p));
	CHECK(blkid_find("PARTUUID=13121110-1514-1716-1819-1a1b1c1d1e10", sys, dev, out, sizeof(out)) < 0);
	CHECK(blkid_find("SERIAL=QM00003", sys, dev, out, sizeof(out)) == 0);
	snprintf(p, sizeof(p), "%s/vdc", dev);
	CHECK(!strcmp(out, p));
	CHECK(blkid_find("SERIAL=QM0000", sys, dev, out, sizeof(out)) < 0);
	CHECK(blkid_find("WWID=QM00003", sys, dev, out, sizeof(out)) < 0);
	/* outside /dev, files stand in for devices */
	CHECK(blkid_find("/dev/vdc", sys, dev, out, sizeof(out)) == 0 && !strcmp(out, p));

	CHECK(blkid_stable_id("vdb2", sys, dev, out, sizeof(out)) == 0 &&
	      !strcmp(out, "PARTUUID=13121110-1514-1716-1819-1a1b1c1d1e1f"));
	CHECK(blkid_stable_id("vdc", sys, dev, out, sizeof(out)) == 0 && !strcmp(out, "SERIAL=QM00003"));
	CHECK(blkid_stable_id("vdb", sys, dev, out, sizeof(out)) == -ENOENT);
	/* a t10 WWID padded with blanks: one word, as in udev's names */
	snprintf(p, sizeof(p), "%s/sys/devices/vdc/device", root);
	CHECK(mkdir(p, 0755) == 0);
	put_text(p, "wwid", "t10.ATA     QEMU HARDDISK   QM00003 \n");
	CHECK(blkid_stable_id("vdc", sys, dev, out, sizeof(out)) == 0 &&
	      !strcmp(out, "WWID=t10.ATA_QEMU_HARDDISK_QM00003"));
	CHECK(blkid_find("WWID=t10.ATA_QEMU_HARDDISK_QM00003", sys, dev, out, sizeof(out)) == 0);
	CHECK(blkid_spec_stable("PARTUUID=x") && blkid_spec_stable("WWID=x") && !blkid_spec_stable("/dev/vdb"));
	snprintf(p, sizeof(p), "rm -rf %s", root);
	CHECK(system(p) == 0);
}
