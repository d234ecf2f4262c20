/* Helpers shared by the fuzz targets. See fuzz.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/log.h"
#include "tests/fuzz/fuzz.h"
#include "tests/synth/synthvm.h"

void fuzz_quiet(void)
{
	log_set_level(0);
}

int fuzz_memfile(const void *p, size_t n, char *path, size_t size)
{
	int fd = memfd_create("kdc-fuzz", MFD_CLOEXEC), r;

	if (fd < 0) {
		return -errno;
	}
	r = io_write(fd, p, n);
	if (r) {
		close(fd);
		return r;
	}
	snprintf(path, size, "/proc/self/fd/%d", fd);
	return fd;
}

int fuzz_vmcore(const char *text, const uint8_t *mem, size_t memlen, uint64_t paddr, uint64_t vaddr, char *path,
		size_t size)
{
	size_t len;
	uint8_t *img = synthvm_image(text, mem, memlen, paddr, vaddr, &len);
	int fd;

	if (!img) {
		return -ENOMEM;
	}
	fd = fuzz_memfile(img, len, path, size);
	free(img);
	return fd;
}
