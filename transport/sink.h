/* Where the dump's bytes go. The writer only does positioned writes, so the
 * same writer serves a file (pwrite), a flattened stream on a pipe, raw
 * device or SSH channel (offset-tagged records), and later SFTP (positioned
 * writes on the remote file). */
#ifndef KDC_SINK_H
#define KDC_SINK_H

#include <stddef.h>
#include <stdint.h>

struct sink {
	const char *name;        /* for messages */
	int fd;
	uint64_t bytes;          /* payload bytes accepted so far */
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
/* The flattened format on a stream fd (stdout, a pipe, a raw device). */
int sink_flat_open(struct sink *s, int fd, const char *name);

/* kdumpcap -R: rearrange a flattened stream from IN_FD into a new file. */
int flat_rearrange(int in_fd, const char *in_name, const char *out_path);

#endif
