/* Superblock probing (ext2/3/4, xfs) of the input as a block device, and
 * matching LABEL=/UUID= specs against what was found. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "initramfs/blkid.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blkid_info bi;
	char path[64], spec[64];
	int fd;

	fuzz_quiet();
	fd = fuzz_memfile(data, size, path, sizeof(path));
	if (fd < 0) {
		return 0;
	}
	if (blkid_probe_fd(fd, &bi) == 0) {
		if (!memchr(bi.type, 0, sizeof(bi.type)) || !memchr(bi.uuid, 0, sizeof(bi.uuid)) ||
		    !memchr(bi.label, 0, sizeof(bi.label))) {
			__builtin_trap();
		}
		snprintf(spec, sizeof(spec), "UUID=%s", bi.uuid);
		if (!blkid_match(&bi, spec)) {
			__builtin_trap(); /* a file system always matches its own UUID */
		}
		snprintf(spec, sizeof(spec), "LABEL=%s", bi.label);
		(void)blkid_match(&bi, spec);
		(void)blkid_match(&bi, "LABEL=");
		(void)blkid_match(&bi, "/dev/sda1");
	}
	close(fd);
	return 0;
}
