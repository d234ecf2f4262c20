/* Helpers shared by the fuzz targets. See fuzz.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/log.h"
#include "lib/rd.h"
#include "tests/fuzz/fuzz.h"

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
	size_t tlen = strlen(text), notesz = 12 + 12 + ((tlen + 3) & ~(size_t)3);
	size_t memoff = (176 + notesz + 4095) & ~(size_t)4095, total = memoff + memlen;
	uint8_t *img = calloc(1, total), *ph;
	int fd;

	if (!img) {
		return -ENOMEM;
	}
	memcpy(img, "\177ELF\2\1\1", 7);
	img[16] = 4;  /* ET_CORE */
	img[18] = 62; /* EM_X86_64 */
	st_le32(img + 20, 1);
	st_le64(img + 32, 64); /* e_phoff */
	img[52] = 64;
	img[54] = 56;
	img[56] = 2;
	ph = img + 64; /* PT_NOTE */
	st_le32(ph, 4);
	st_le64(ph + 8, 176);
	st_le64(ph + 32, notesz);
	st_le64(ph + 40, notesz);
	ph += 56; /* PT_LOAD */
	st_le32(ph, 1);
	st_le64(ph + 8, memoff);
	st_le64(ph + 16, vaddr);
	st_le64(ph + 24, paddr);
	st_le64(ph + 32, memlen);
	st_le64(ph + 40, memlen);
	st_le32(img + 176, 11);
	st_le32(img + 180, (uint32_t)tlen);
	memcpy(img + 188, "VMCOREINFO", 11);
	memcpy(img + 200, text, tlen);
	memcpy(img + memoff, mem, memlen);
	fd = fuzz_memfile(img, total, path, size);
	free(img);
	return fd;
}
