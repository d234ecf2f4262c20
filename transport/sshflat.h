/* A dump to an SSH server that has no SFTP subsystem: the flattened stream
 * (transport/flat.h) into a remote POSIX shell command, as vmcore.flat.
 * Two sessions of the same client, each running `exec sh -c '...'`:
 *   1. makes <base>/<name> (or <name>-1, -2, ...: target_new_dir's rule),
 *      mode 0700, prints "kdumpcap-dir <path>", takes the kernel log into
 *      vmcore-dmesg-incomplete.txt and, when its size is the one announced,
 *      syncs and renames it to vmcore-dmesg.txt;
 *   2. creates vmcore-incomplete.flat (never an existing one), prints
 *      "kdumpcap-ready", takes the stream until its stdin closes, and only
 *      when the file ends with the end record and the trailer carrying the
 *      id of its own header (a stream cut short never does) syncs, links it
 *      as vmcore.flat (never replacing one) and removes the temporary name.
 * Each ends by printing "kdumpcap-saved": success is that line, never the
 * client's exit status. Every wait for a line has the caller's deadline;
 * the client is killed by pid on any failure. The log and the stream come
 * from the caller (struct sshflat_source: the collector, in capture/ above
 * this folder). */
#ifndef KDC_SSHFLAT_H
#define KDC_SSHFLAT_H

#include <stddef.h>
#include <sys/types.h>

#define SSHFLAT_CMD_MAX 4096 /* the remote command line, paths included */
#define SSHFLAT_FLAT "vmcore.flat"
#define SSHFLAT_FLAT_TMP "vmcore-incomplete.flat"

/* What goes to the server, produced by the caller. */
struct sshflat_source {
	/* The kernel log as text into FD: 0 or -errno. */
	int (*dmesg)(void *ctx, int fd);
	/* The flattened stream on FD, which it closes either way; LABEL names
	 * the destination in messages. 0 when the whole stream was written. */
	int (*stream)(void *ctx, int fd, const char *label);
	void *ctx;
};

struct sshflat {
	/* Start the SSH client running CMD on the server, its stdout on *RFD
	 * and stdin on *WFD; the pid or -errno. */
	pid_t (*spawn)(void *ctx, const char *cmd, int *rfd, int *wfd);
	void *ctx;
	const char *peer;       /* "root@10.0.2.100": for messages */
	const char *dmesg_tmp;  /* a local scratch file for the kernel log */
	int handshake_ms;       /* the first line of each session (the login included) */
	int timeout_ms;         /* each later wait for the server's line */
	unsigned max_suffix;    /* <name>-1 ... -max_suffix */
};

/* The kernel log and the flattened dump from SRC into a new directory
 * BASE/NAME on the server; DIR receives its path. 0 when vmcore.flat is
 * confirmed; -errno after a message otherwise (a partial stream stays as
 * vmcore-incomplete.flat). BASE and NAME must not hold a single quote. */
int sshflat_save(const struct sshflat *f, const struct sshflat_source *src, const char *base, const char *name,
		 char *dir, size_t n);

#endif
