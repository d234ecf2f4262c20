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
