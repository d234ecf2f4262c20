/* The newc ("070701") cpio archive the kernel unpacks as initramfs, written
 * reproducibly: entries sorted by name, mtime 0, uid/gid 0, inode numbers
 * in order, so the same inputs give the same bytes. */
#ifndef KDC_CPIO_H
#define KDC_CPIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cpio_entry {
	const char *name;   /* without a leading '/' */
	mode_t mode;        /* type and permissions */
	const void *data;   /* file contents or symlink target */
	size_t len;
	unsigned rmajor, rminor; /* device nodes */
};

struct cpio_buf {
	uint8_t *p;
	size_t len, cap;
};

#define CPIO_MAX (512u << 20)

/* Sort E[0..n) by name and write the archive (with trailer) into OUT
 * (allocated here, free(out->p)). 0, -ENOMEM, -EFBIG past CPIO_MAX, or
 * -EINVAL on a duplicate or empty name. */
int cpio_write(struct cpio_entry *e, size_t n, struct cpio_buf *out);

#endif
