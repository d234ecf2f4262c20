/* Superblock probing (ext2/3/4, xfs) of the input as a block device,
 * matching LABEL=/UUID= specs against what was found, the raw-target
 * signature check and GPT entry lookup. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "initramfs/blkid.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blkid_info bi;
	char path[64], spec[64], uuid[37];
	const char *what = NULL;
	int fd, st;

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
	st = blkid_raw_state(fd, &what);
	if (st == BLKID_RAW_IN_USE && !what) {
		__builtin_trap(); /* a refusal always names the signature */
	}
	for (unsigned n = 0; n < 4; n++) {
		if (blkid_gpt_partuuid(fd, n, uuid) == 0 && strlen(uuid) != 36) {
			__builtin_trap();
		}
	}
	close(fd);
	return 0;
}
