/* Synthetic x86_64 vmcores for the unit tests and the fuzz targets: an
 * ELF64 core around one block of RAM and a VMCOREINFO text. What the RAM
 * holds comes from tests/synth/synthmm.h (page tables, mem_section, struct
 * pages) and tests/synth/synthlog.h (printk buffers).
 * The fuzz targets XOR their inputs over these images: keep the bytes they
 * produce unchanged, or the committed corpora (tests/fuzz/corpus) lose
 * their meaning. */
#ifndef KDC_SYNTHVM_H
#define KDC_SYNTHVM_H

#include <stddef.h>
#include <stdint.h>

/* The image of an ELF64 x86_64 core file: the ELF header, a PT_NOTE and a
 * PT_LOAD program header, one VMCOREINFO note holding TEXT at offset 176,
 * then the MEMLEN bytes of MEM (physical PADDR, virtual VADDR) from the
 * next 4 KiB boundary. Returns the malloc'd image, its length in *LEN, or
 * NULL when out of memory. */
uint8_t *synthvm_image(const char *text, const uint8_t *mem, size_t memlen, uint64_t paddr, uint64_t vaddr,
		       size_t *len);

/* The same image written to PATH (created or truncated). Written with
 * stdio, not lib/io.h: faults injected with io_fault_setup() are meant for
 * the code under test. Returns 0 or -errno. */
int synthvm_write(const char *path, const char *text, const uint8_t *mem, size_t memlen, uint64_t paddr,
		  uint64_t vaddr);

/* One PT_LOAD of a multi-segment core: LEN bytes of MEM at physical PADDR. */
struct synthvm_seg {
	const uint8_t *mem;
	size_t len;
	uint64_t paddr, vaddr;
};

/* The same layout with NSEG PT_LOADs, each segment's bytes from the next
 * 4 KiB boundary after the previous one (synthvm_image is this with one
 * segment, the file ending with its bytes). */
uint8_t *synthvm_image_segs(const char *text, const struct synthvm_seg *seg, unsigned nseg, size_t *len);
int synthvm_write_segs(const char *path, const char *text, const struct synthvm_seg *seg, unsigned nseg);

#endif
