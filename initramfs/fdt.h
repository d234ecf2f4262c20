/* A small flattened device tree (DTB) reader and editor: what `kdumpcap load`
 * needs to give the arm64 capture kernel its /chosen node (bootargs, initrd,
 * linux,elfcorehdr, linux,usable-memory-range) on top of the running kernel's
 * /sys/firmware/fdt. Formats: Devicetree Specification, chapter 5. */
#ifndef KDC_FDT_H
#define KDC_FDT_H

#include <stddef.h>
#include <stdint.h>

#define FDT_MAGIC       0xd00dfeedU
#define FDT_HEADER_LEN  40
#define FDT_MAX_SIZE    (2u << 20) /* arm64 booting.rst: a DTB is at most 2 MiB */
#define FDT_MAX_EDITS   16

/* Check the header and the block bounds of the DTB in buf[0..len). 0 or -EINVAL. */
int fdt_check(const void *buf, size_t len);

/* The value of property NAME of the node at PATH ("/" or "/chosen": the root
 * or one of its children). 0 with val and vlen set, -ENOENT, or -EINVAL. */
int fdt_get(const void *buf, size_t len, const char *path, const char *name, const void **val, size_t *vlen);

/* One change to /chosen: set NAME to val[0..vlen), or delete it (del). With
 * only_if_present the property is set only when the input has it. */
struct fdt_edit {
	const char *name;
	const void *val;
	size_t vlen;
	int del, only_if_present;
};

/* A new DTB: IN with the edits applied to /chosen (created when missing).
 * *out is malloc'ed; 0, -EINVAL (bad input), -E2BIG (> FDT_MAX_SIZE) or -ENOMEM. */
int fdt_edit_chosen(const void *in, size_t len, const struct fdt_edit *e, size_t n, void **out, size_t *outlen);

/* BUF (at most 4 cells) as one big-endian cell string of CELLS 32-bit cells;
 * -ERANGE when v does not fit in them. */
int fdt_put_cells(uint8_t *buf, unsigned cells, uint64_t v);

#endif
