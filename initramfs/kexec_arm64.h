/* The pieces of an arm64 crash kexec_load(2) that need no running arm64
 * kernel (unit-tested on any host): /proc/iomem's ranges, the Image header,
 * the ELF core header, the segments' placement in the crashkernel=
 * reservation, the capture kernel's device tree and the purgatory's
 * parameters. initramfs/load_arm64.c puts them together. Types and constants
 * are prefixed ka_/KA_ (kexec arm64) for short lines. */
#ifndef KDC_KEXEC_ARM64_H
#define KDC_KEXEC_ARM64_H

#include <stddef.h>
#include <stdint.h>

#include "initramfs/purgatory_params.h"

#define KA_MAX_RANGES  64
#define KA_MAX_NOTES   512
#define KA_PAGE        4096ULL
#define KA_IMAGE_ALIGN (2ULL << 20) /* booting.rst: the Image at a 2 MiB boundary + text_offset */

struct ka_range {
	uint64_t start, end; /* inclusive end, as /proc/iomem */
};

struct ka_ranges {
	struct ka_range r[KA_MAX_RANGES];
	unsigned n;
};

/* Top-level "System RAM" ranges and the "Crash kernel" ranges (nested under
 * System RAM) of /proc/iomem's text. 0, -EINVAL (a line that does not parse)
 * or -E2BIG (more than KA_MAX_RANGES). */
int kexec_arm64_parse_iomem(const char *text, struct ka_ranges *ram, struct ka_ranges *crash);

/* RAM minus the ranges of CUT, in order. 0 or -E2BIG. */
int kexec_arm64_subtract(const struct ka_ranges *ram, const struct ka_ranges *cut, struct ka_ranges *out);

/* text_offset and image_size of an arm64 Image (arm64 booting.rst's header).
 * -ENOEXEC when buf is not a little-endian arm64 Image with 4 KiB pages. */
int kexec_arm64_image_header(const void *buf, size_t len, uint64_t *text_offset, uint64_t *image_size);

struct ka_note {
	uint64_t paddr, size;
};

/* Where the running kernel's image (_text to _end) is mapped: /proc/kcore's
 * text segment. size 0: unknown. */
struct ka_text {
	uint64_t vaddr, paddr, size;
};

/* The ELF64 core header the capture kernel's /proc/vmcore is built from: one
 * PT_NOTE per note (per-CPU crash notes, then VMCOREINFO), a PT_LOAD for the
 * kernel image's mapping when TEXT->size (drgn reads swapper_pg_dir through
 * it, as on kexec-tools' cores), one PT_LOAD per RAM range with p_offset =
 * p_paddr = the physical address and p_vaddr = physical + linear_off (the
 * linear map). *buf malloc'ed. 0, -EINVAL, -ENOMEM. */
int kexec_arm64_elfcorehdr(const struct ka_note *notes, unsigned nn, const struct ka_text *text,
			   const struct ka_ranges *ram, uint64_t linear_off, void **buf, size_t *len);

/* Where each segment goes in the reservation. */
enum { KA_SEG_KERNEL, KA_SEG_INITRD, KA_SEG_DTB, KA_SEG_ELFHDR, KA_SEG_PURGATORY, KA_NR_SEGS };

struct ka_seg {
	const void *buf;
	size_t bufsz;
	uint64_t mem, memsz; /* page-aligned, inside the reservation */
};

/* Place the segments whose bufsz are set (kernel: its file, memsz = the
 * header's image_size) in [crash->start, crash->end]: the Image at the first
 * 2 MiB boundary + text_offset, the others after it, each beginning and
 * ending on a PAGE boundary (the running kernel's page size: kexec_load
 * refuses segments that do not), the device tree not crossing a 2 MiB
 * boundary. An initrd of size 0 is left out. -ENOSPC when they do not fit. */
int kexec_arm64_place(struct ka_seg seg[KA_NR_SEGS], const struct ka_range *crash, uint64_t text_offset,
		      uint64_t image_size, uint64_t page);

/* The capture kernel's device tree: FDT (the running kernel's) with /chosen's
 * bootargs, linux,initrd-start/end (or none), linux,elfcorehdr,
 * linux,usable-memory-range set in the root's #address-cells/#size-cells,
 * kaslr-seed replaced by SEED when present, rng-seed removed. */
struct ka_dtb_args {
	const char *cmdline;
	uint64_t initrd_start, initrd_end; /* end exclusive; both 0: no initrd */
	uint64_t elfhdr, elfhdr_len;
	const struct ka_ranges *usable;
	uint64_t seed;
};
int kexec_arm64_build_dtb(const void *fdt, size_t len, const struct ka_dtb_args *a, void **out, size_t *outlen);

/* Fill the purgatory image's parameter block (found by PURG_MAGIC): the
 * kernel entry, the device tree, and the digest of the segments other than
 * the purgatory itself. -EINVAL when the image has no parameter block. */
int kexec_arm64_purgatory_fill(void *img, size_t len, const struct ka_seg seg[KA_NR_SEGS]);

#endif
