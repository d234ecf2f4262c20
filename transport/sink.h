/* Where the dump's bytes go. The writer only does positioned writes, so the
 * same writer serves a file (pwrite), a flattened stream on a pipe, raw
 * device or SSH channel (offset-tagged records), and later SFTP (positioned
 * writes on the remote file). */
#ifndef KDC_SINK_H
#define KDC_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "transport/flat.h"

struct sink {
	const char *name;        /* for messages */
	int fd;
	uint64_t bytes;          /* payload bytes accepted so far */
	uint64_t stream_off;     /* flattened: bytes of the stream written so far */
	struct flat_id id;       /* flattened: this capture's id (header and trailer) */
	/* Flattened: write each offset once. crash, reading such a stream
	 * directly, may take either of two records for one offset; the stream's
	 * completeness is its end record and trailer, not a header flag. */
	bool once;
	int (*pwrite)(struct sink *s, const void *buf, size_t n, uint64_t off);
	/* Make what was written so far durable (NULL: the sink cannot); 0 or -errno. */
	int (*sync)(struct sink *s);
	/* Make everything durable and release the sink; 0 or -errno. */
	int (*finish)(struct sink *s);
	/* Release after a failure, keeping whatever was written. */
	void (*abort)(struct sink *s);
};

/* A new regular file (refuses an existing one, as makedumpfile does), mode 0600. */
int sink_file_open(struct sink *s, const char *path);
/* An already open fd written with pwrite (a block device, a file opened by the caller). */
void sink_fd_init(struct sink *s, int fd, const char *name);
/* The flattened format on a stream fd (stdout, a pipe, a raw device at its
 * start), carrying ID in its header and its trailer (see flat.h). */
int sink_flat_open(struct sink *s, int fd, const char *name, const struct flat_id *id);

#endif
