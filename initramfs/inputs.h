/* What a capture image was built from, and whether it still matches: mkinitrd
 * writes IMAGE.inputs, one line per input file ("KIND SIZE MTIME PATH": the
 * kdump.conf, the kernel, kdumpcap itself, each module, dbclient, the SSH key,
 * the hooks); kdumpcap start/image/status read it back. An image is stale when
 * it or its record is missing, when an input is gone, changed (size or mtime
 * other than recorded: package managers keep the packaged mtime, so "newer"
 * alone would miss an upgrade) or is newer than the image, or when it was built
 * from other files than the ones wanted now (another kdump.conf, kernel or
 * binary). */
#ifndef KDC_INPUTS_H
#define KDC_INPUTS_H

#include <stdbool.h>
#include <stddef.h>

#define INPUTS_SUFFIX ".inputs"
#define INPUTS_MAX (1u << 20) /* bytes of a record; an image holds at most a few thousand files */

struct inputs {
	char *text; /* the record being built, NUL-terminated */
	size_t len, cap;
	int err;    /* the first error of inputs_add, or 0 */
};

/* Append PATH (stat'ed now) as an input of KIND ("config", "kernel", "binary",
 * "module", "dbclient", "sshkey", "kdump_pre", "kdump_post"). Errors are kept
 * in IN->err. */
void inputs_add(struct inputs *in, const char *kind, const char *path);
void inputs_free(struct inputs *in);

/* An input the caller wants the image to have been built from. */
struct inputs_want {
	const char *kind;
	const char *path;
};

/* Is IMAGE stale? RECORD is the text of IMAGE.inputs (NULL when missing).
 * Returns true with the reason in WHY ("/etc/kdump.conf (config) changed since
 * the image was built"), false when it is up to date. */
bool inputs_stale(const char *image, const char *record, const struct inputs_want *want, size_t nwant, char *why,
		  size_t n);
/* inputs_stale() with IMAGE.inputs read from disk. */
bool inputs_stale_file(const char *image, const struct inputs_want *want, size_t nwant, char *why, size_t n);

#endif
