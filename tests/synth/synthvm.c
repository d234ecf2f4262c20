/* Synthetic ELF64 vmcores. See synthvm.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rd.h"
#include "tests/synth/synthvm.h"

#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define NOTE_OFF (EHDR_SIZE + 2 * PHDR_SIZE) /* 176 */

static void put_phdr(uint8_t *ph, uint32_t type, uint64_t off, uint64_t vaddr, uint64_t paddr, uint64_t size)
{
	st_le32(ph, type);
	st_le64(ph + 8, off);
	st_le64(ph + 16, vaddr);
	st_le64(ph + 24, paddr);
	st_le64(ph + 32, size);
	st_le64(ph + 40, size);
}

uint8_t *synthvm_image(const char *text, const uint8_t *mem, size_t memlen, uint64_t paddr, uint64_t vaddr,
		       size_t *len)
{
	size_t tlen = strlen(text), notesz = 12 + 12 + ((tlen + 3) & ~(size_t)3);
	size_t memoff = (NOTE_OFF + notesz + 4095) & ~(size_t)4095, total = memoff + memlen;
	uint8_t *img = calloc(1, total);

	if (!img) {
		return NULL;
	}
	memcpy(img, "\177ELF\2\1\1", 7); /* ELFCLASS64, little endian, EV_CURRENT */
	img[16] = 4;                      /* ET_CORE */
	img[18] = 62;                     /* EM_X86_64 */
	st_le32(img + 20, 1);
	st_le64(img + 32, EHDR_SIZE); /* e_phoff */
	img[52] = EHDR_SIZE;
	img[54] = PHDR_SIZE;
	img[56] = 2;
	put_phdr(img + EHDR_SIZE, 4, NOTE_OFF, 0, 0, notesz);                  /* PT_NOTE */
	put_phdr(img + EHDR_SIZE + PHDR_SIZE, 1, memoff, vaddr, paddr, memlen); /* PT_LOAD */
	st_le32(img + NOTE_OFF, 11);
	st_le32(img + NOTE_OFF + 4, (uint32_t)tlen);
	memcpy(img + NOTE_OFF + 12, "VMCOREINFO", 11);
	memcpy(img + NOTE_OFF + 24, text, tlen);
	memcpy(img + memoff, mem, memlen);
	*len = total;
	return img;
}

int synthvm_write(const char *path, const char *text, const uint8_t *mem, size_t memlen, uint64_t paddr,
		  uint64_t vaddr)
{
	size_t len;
	uint8_t *img = synthvm_image(text, mem, memlen, paddr, vaddr, &len);
	FILE *fp;
	int r = 0;

	if (!img) {
		return -ENOMEM;
	}
	fp = fopen(path, "wb");
	if (!fp) {
		r = -errno;
	} else {
		if (fwrite(img, 1, len, fp) != len) {
			r = -EIO;
		}
		if (fclose(fp) != 0 && !r) {
			r = -errno;
		}
	}
	free(img);
	return r;
}
