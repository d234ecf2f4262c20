/* Synthetic ELF64 vmcores. See synthvm.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rd.h"
#include "tests/synth/synthvm.h"

#define EHDR_SIZE 64
#define PHDR_SIZE 56

static void put_phdr(uint8_t *ph, uint32_t type, uint64_t off, uint64_t vaddr, uint64_t paddr, uint64_t size)
{
	st_le32(ph, type);
	st_le64(ph + 8, off);
	st_le64(ph + 16, vaddr);
	st_le64(ph + 24, paddr);
	st_le64(ph + 32, size);
	st_le64(ph + 40, size);
}

uint8_t *synthvm_image_segs(const char *text, const struct synthvm_seg *seg, unsigned nseg, size_t *len)
{
	size_t tlen = strlen(text), notesz = 12 + 12 + ((tlen + 3) & ~(size_t)3);
	size_t note_off = EHDR_SIZE + (1 + (size_t)nseg) * PHDR_SIZE, total, off;
	uint8_t *img;

	total = off = (note_off + notesz + 4095) & ~(size_t)4095;
	for (unsigned i = 0; i < nseg; i++) {
		total += (seg[i].len + 4095) & ~(size_t)4095;
	}
	img = calloc(1, total);
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
	img[56] = (uint8_t)(1 + nseg);
	put_phdr(img + EHDR_SIZE, 4, note_off, 0, 0, notesz); /* PT_NOTE */
	for (unsigned i = 0; i < nseg; i++) {
		put_phdr(img + EHDR_SIZE + (1 + i) * PHDR_SIZE, 1, off, seg[i].vaddr, seg[i].paddr, seg[i].len);
		memcpy(img + off, seg[i].mem, seg[i].len);
		off += (seg[i].len + 4095) & ~(size_t)4095;
	}
	st_le32(img + note_off, 11);
	st_le32(img + note_off + 4, (uint32_t)tlen);
	memcpy(img + note_off + 12, "VMCOREINFO", 11);
	memcpy(img + note_off + 24, text, tlen);
	*len = total;
	return img;
}

uint8_t *synthvm_image(const char *text, const uint8_t *mem, size_t memlen, uint64_t paddr, uint64_t vaddr,
		       size_t *len)
{
	struct synthvm_seg seg = { mem, memlen, paddr, vaddr };
	uint8_t *img = synthvm_image_segs(text, &seg, 1, len);

	if (img) {
		*len -= ((memlen + 4095) & ~(size_t)4095) - memlen; /* the file ends with the memory */
	}
	return img;
}

/* Write IMG (LEN bytes, freed here) to PATH. */
static int write_image(const char *path, uint8_t *img, size_t len)
{
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

int synthvm_write_segs(const char *path, const char *text, const struct synthvm_seg *seg, unsigned nseg)
{
	size_t len = 0;
	uint8_t *img = synthvm_image_segs(text, seg, nseg, &len);

	return write_image(path, img, len);
}

int synthvm_write(const char *path, const char *text, const uint8_t *mem, size_t memlen, uint64_t paddr,
		  uint64_t vaddr)
{
	size_t len = 0;
	uint8_t *img = synthvm_image(text, mem, memlen, paddr, vaddr, &len);

	return write_image(path, img, len);
}
