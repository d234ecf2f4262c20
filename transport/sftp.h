/* An SFTP version 3 client (draft-ietf-secsh-filexfer-02) over two fds: the
 * stdout and stdin of an SSH client started with `-s sftp`, or of OpenSSH's
 * sftp-server in tests. Only what a dump needs: directories, an exclusive
 * new file written with pipelined positioned WRITEs, fsync@openssh.com when
 * offered, CLOSE, a RENAME that never replaces.
 *
 * Every wait for the server (a reply, room in the pipe) is bounded by the
 * caller's timeout_ms, counted from the start of that wait: on expiry the
 * call returns -ETIMEDOUT and the session is dead (the caller kills the
 * client by pid). Every reply goes through the bounds-checked reader; one
 * longer than SFTP_REPLY_MAX is a protocol error (-EPROTO). No allocation
 * after sftp_start: the context holds fixed buffers.
 *
 * Calls return 0 or -errno. A STATUS refusal maps to an errno (NO_SUCH_FILE
 * -> ENOENT, PERMISSION_DENIED -> EACCES, FAILURE -> EIO, ...) and its text
 * is kept in ->msg for the caller's log line. OpenSSH answers FAILURE for
 * EEXIST; MKDIR, OPEN and RENAME then look at the target and return -EEXIST
 * when it exists. */
#ifndef KDC_SFTP_H
#define KDC_SFTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/rd.h"
#include "transport/sink.h"

#define SFTP_VERSION 3
#define SFTP_REPLY_MAX (64u * 1024)  /* longest reply accepted, length field included */
#define SFTP_REQ_MAX (9u * 1024)     /* longest request built (two paths) */
#define SFTP_PATH_MAX 4096
#define SFTP_HANDLE_MAX 256          /* the draft's limit on a handle string */
#define SFTP_WINDOW 64               /* WRITEs in flight */
#define SFTP_CHUNK (32u * 1024)      /* data bytes per WRITE (any server takes 32 KiB) */
#define SFTP_MSG_MAX 128
/* Once the client took INIT from its stdin (dropbear's dbclient reads it
 * only when the session channel is open, after the login), VERSION must
 * come within this: a server without an SFTP subsystem never answers
 * (dbclient asks for the subsystem without wanting a reply) or closes. */
#define SFTP_OPEN_MS 10000

/* Packet types (filexfer-02 section 3). */
enum sftp_type {
	SSH_FXP_INIT = 1, SSH_FXP_VERSION = 2, SSH_FXP_OPEN = 3, SSH_FXP_CLOSE = 4,
	SSH_FXP_WRITE = 6, SSH_FXP_LSTAT = 7, SSH_FXP_MKDIR = 14, SSH_FXP_REALPATH = 16,
	SSH_FXP_STAT = 17, SSH_FXP_RENAME = 18, SSH_FXP_STATUS = 101, SSH_FXP_HANDLE = 102,
	SSH_FXP_NAME = 104, SSH_FXP_ATTRS = 105, SSH_FXP_EXTENDED = 200,
};

/* OPEN pflags. */
#define SSH_FXF_WRITE 0x02
#define SSH_FXF_CREAT 0x08
#define SSH_FXF_EXCL 0x20

/* ATTRS valid-attribute flags and the fields they announce. */
#define SSH_FILEXFER_ATTR_SIZE 0x1
#define SSH_FILEXFER_ATTR_UIDGID 0x2
#define SSH_FILEXFER_ATTR_PERMISSIONS 0x4
#define SSH_FILEXFER_ATTR_ACMODTIME 0x8
#define SSH_FILEXFER_ATTR_EXTENDED 0x80000000u

/* STATUS codes of version 3. */
enum sftp_status {
	SSH_FX_OK = 0, SSH_FX_EOF = 1, SSH_FX_NO_SUCH_FILE = 2, SSH_FX_PERMISSION_DENIED = 3,
	SSH_FX_FAILURE = 4, SSH_FX_BAD_MESSAGE = 5, SSH_FX_NO_CONNECTION = 6,
	SSH_FX_CONNECTION_LOST = 7, SSH_FX_OP_UNSUPPORTED = 8,
};

struct sftp_attrs {
	uint32_t flags;   /* SSH_FILEXFER_ATTR_* present */
	uint64_t size;
	uint32_t uid, gid;
	uint32_t perm;    /* st_mode bits, file type included */
	uint32_t atime, mtime;
};

/* One reply, as the parser sees it. */
struct sftp_reply {
	uint8_t type;
	uint32_t id;
	struct rd body;   /* what follows the id */
};

struct sftp_slot {
	uint32_t id;
	bool busy;
	uint64_t off;     /* the range written: overlap checks, messages */
	uint32_t len;
};

struct sftp {
	struct sink sink;          /* first: the dump writer's view (sftp_sink_open) */
	const char *peer;          /* "sftp-server", "root@10.0.2.100": for messages */
	int rfd, wfd;              /* server -> us, us -> server; made non-blocking */
	int timeout_ms;
	int dead;                  /* 0, or the -errno that ended the session */
	uint32_t version;
	bool opened;               /* sftp_start: the client took INIT (its SSH session was open) */
	bool has_fsync;            /* fsync@openssh.com offered */
	uint32_t next_id;
	struct sftp_slot slots[SFTP_WINDOW];
	unsigned inflight;
	int werr;                  /* first failed WRITE of the open file */
	uint64_t werr_off;
	char path[SFTP_PATH_MAX];  /* the open file */
	uint8_t handle[SFTP_HANDLE_MAX];
	uint32_t handle_len;
	bool open;
	char msg[SFTP_MSG_MAX];    /* the server's text of the last refusal */
	uint8_t tx[SFTP_REQ_MAX];
	size_t rlen;               /* bytes in rbuf */
	uint8_t rbuf[SFTP_REPLY_MAX];
};

/* INIT/VERSION over RFD/WFD, VERSION within TIMEOUT_MS, and within
 * SFTP_OPEN_MS once the client took INIT from a pipe (->opened: on a
 * failure then, the SSH login worked and the server has no SFTP, or it
 * closed the channel). PEER names the server in messages. Makes both
 * fds non-blocking and ignores SIGPIPE (a dead client must be an EPIPE, not
 * the end of PID 1): a program spawned later should reset SIGPIPE to default. */
int sftp_start(struct sftp *c, int rfd, int wfd, const char *peer, int timeout_ms);
/* The server's absolute form of PATH into OUT. */
int sftp_realpath(struct sftp *c, const char *path, char *out, size_t n);
/* -EEXIST when PATH exists (as anything). */
int sftp_mkdir(struct sftp *c, const char *path, uint32_t mode);
int sftp_stat(struct sftp *c, const char *path, bool follow, struct sftp_attrs *a);
/* Plain SSH_FXP_RENAME: refused (-EEXIST) when TO exists, never replaces. */
int sftp_rename(struct sftp *c, const char *from, const char *to);
/* Create PATH (CREAT|EXCL|WRITE, mode 0600) and return the sink writing it:
 * pwrite queues WRITEs (an error of an earlier one surfaces on a later call),
 * finish waits for every reply, fsyncs when offered, closes; all checked. */
int sftp_sink_open(struct sftp *c, const char *path, struct sink **s);

/* Start ARGV[0] (with ENVP, or the current environment when NULL: then
 * looked up in PATH) with its stdin from *WFD and stdout to *RFD (both
 * close-on-exec), SIGPIPE back to default; the pid or -errno. */
pid_t sftp_spawn(char *const argv[], char *const envp[], int *rfd, int *wfd);
/* Give the client PID TIMEOUT_MS to exit (after its stdin closed), then
 * SIGKILL it (at once when KILL_NOW); reaped either way. */
void sftp_reap(pid_t pid, int timeout_ms, bool kill_now);

/* Reply parsing, for the fuzzer and the tests: split one packet (its
 * length field included) into type, id and body; 0 or -EPROTO. */
int sftp_parse_reply(const uint8_t *p, size_t n, struct sftp_reply *r);
/* A STATUS body: the mapped -errno (0 for OK) and the text into MSG. */
int sftp_parse_status(struct rd *b, char *msg, size_t n);
/* An ATTRS structure; 0 or -EPROTO. */
int sftp_parse_attrs(struct rd *b, struct sftp_attrs *a);
/* A VERSION packet's body: version and whether fsync@openssh.com is there. */
int sftp_parse_version(struct rd *b, uint32_t *version, bool *has_fsync);
/* STATUS code -> -errno. */
int sftp_errno(uint32_t code);

#endif
