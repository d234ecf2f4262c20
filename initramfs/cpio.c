/* newc cpio writer; see cpio.h. Header: "070701" then 13 eight-digit hex
 * fields (ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
 * rdevmajor, rdevminor, namesize incl. NUL, check), the name, padding to 4,
 * the data, padding to 4. Ends with an entry named "TRAILER!!!". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "initramfs/cpio.h"

static int grow(struct cpio_buf *b, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (b->len + more <= b->cap) {
		return 0;
	}
	if (b->len + more > CPIO_MAX) {
		return -EFBIG;
	}
	cap = b->cap ? b->cap : 1 << 16;
	while (cap < b->len + more) {
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p) {
		return -ENOMEM;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

static int put(struct cpio_buf *b, const void *p, size_t n)
{
	int r = grow(b, n + 3);

	if (r) {
		return r;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	while (b->len & 3) {
		b->p[b->len++] = 0;
	}
	return 0;
}

static int entry(struct cpio_buf *b, unsigned ino, const struct cpio_entry *e)
{
	char hdr[6 + 13 * 8 + 1];
	size_t nlen = strlen(e->name) + 1;
	size_t dlen = S_ISREG(e->mode) || S_ISLNK(e->mode) ? e->len : 0;
	int r;

	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino,
		 (unsigned)e->mode, 0u, 0u, S_ISDIR(e->mode) ? 2u : 1u, 0u, (unsigned)dlen, 0u, 0u, e->rmajor,
		 e->rminor, (unsigned)nlen, 0u);
	/* the name follows the 110-byte header; pad the pair together */
	r = grow(b, 110 + nlen + 3);
	if (r) {
		return r;
	}
	memcpy(b->p + b->len, hdr, 110);
	b->len += 110;
	r = put(b, e->name, nlen);
	if (r == 0 && dlen) {
		r = put(b, e->data, dlen);
	}
	return r;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct cpio_entry *)a)->name, ((const struct cpio_entry *)b)->name);
}

int cpio_write(struct cpio_entry *e, size_t n, struct cpio_buf *out)
{
	static const struct cpio_entry trailer = { "TRAILER!!!", 0, NULL, 0, 0, 0 };
	int r = 0;

	memset(out, 0, sizeof(*out));
	qsort(e, n, sizeof(*e), by_name);
	for (size_t i = 0; i < n && !r; i++) {
		if (!e[i].name[0] || e[i].name[0] == '/' || (i && !strcmp(e[i].name, e[i - 1].name)) ||
		    (size_t)(uint32_t)e[i].len != e[i].len) {
			r = -EINVAL;
			break;
		}
		r = entry(out, (unsigned)i + 1, &e[i]);
	}
	if (!r) {
		r = entry(out, 0, &trailer);
	}
	if (r) {
		free(out->p);
		memset(out, 0, sizeof(*out));
	}
	return r;
}
