/* The compressed-kernel unpacker `kdumpcap load` runs on arm64 over the
 * kernel file it is given: any input is passed through, unpacked within the
 * cap, or refused; never more output than the cap. */
#include <errno.h>
#include <stdlib.h>

#include "initramfs/kimage.h"
#include "tests/fuzz/fuzz.h"

#define CAP (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out;
	size_t n;
	const char *what;
	int r;

	fuzz_quiet();
	r = kimage_unpack(data, size, CAP, &out, &n, &what);
	if ((r == 0 && out && (n > CAP || !what)) || (r && out) ||
	    (r && r != -EINVAL && r != -ENOTSUP && r != -EFBIG && r != -ENOMEM)) {
		__builtin_trap();
	}
	free(out);
	return 0;
}
