/* flat_rearrange (kdumpcap -R) of the input as a flattened stream into a
 * new file. Records are bounded; the output is sparse and removed again. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "transport/flat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/kdc-fuzz-flat-XXXXXX", out[64];
	char path[64];
	int fd;

	if (!out[0]) {
		fuzz_quiet();
		if (!mkdtemp(dir)) {
			abort();
		}
		snprintf(out, sizeof(out), "%s/out", dir);
	}
	fd = fuzz_memfile(data, size, path, sizeof(path));
	if (fd < 0) {
		return 0;
	}
	lseek(fd, 0, SEEK_SET);
	(void)flat_rearrange_file(fd, "fuzz", out);
	unlink(out);
	close(fd);
	return 0;
}
