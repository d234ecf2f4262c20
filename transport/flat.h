/* The flattened format (FORMAT.md), and the capture id kdumpcap adds to it.
 * The one definition of its layout: transport/flat.c writes and reads it,
 * initramfs/savecore.c checks it, tests/tools/flatstream.py mirrors it.
 *
 *   first block (FLAT_HDR_SIZE): "makedumpfile" NUL-padded to 16, type and
 *     version (int64 BE, 1 and 1); the rest is unused by makedumpfile -R and
 *     crash, which check only those three fields. kdumpcap puts its id there:
 *     tag "kdumpcap-id" NUL-padded to 16, 16 random bytes, the crash time.
 *   records: {offset int64 BE, size int64 BE} + size bytes, any order.
 *   end record: offset = size = -1. makedumpfile -R and crash stop reading
 *     there (a raw device holds whatever follows), so kdumpcap writes its
 *     trailer right after it, in the same write: tag "kdumpcap-end", the same
 *     id and crash time, and the end record's offset in the stream.
 * A stream is one capture, start to end, when its trailer follows its end
 * record and carries the header's id: a capture that dies leaves no trailer,
 * and an older stream's trailer carries another id. */
#ifndef KDC_FLAT_H
#define KDC_FLAT_H

#include <stdbool.h>
#include <stdint.h>

#define FLAT_HDR_SIZE 4096
#define FLAT_SIG "makedumpfile"
#define FLAT_SIG_SIZE 16
#define FLAT_OFF_TYPE 16
#define FLAT_OFF_VERSION 24
#define FLAT_TYPE 1
#define FLAT_VERSION 1
#define FLAT_REC_SIZE 16  /* offset, size */
#define FLAT_END UINT64_MAX /* offset and size of the end record */

/* the capture id in the first block */
#define FLAT_ID_TAG "kdumpcap-id"
#define FLAT_TAG_SIZE 16
#define FLAT_OFF_ID_TAG 32
#define FLAT_OFF_ID 48      /* FLAT_ID_SIZE random bytes */
#define FLAT_ID_SIZE 16
#define FLAT_OFF_ID_TIME 64 /* crash time, int64 BE seconds since the epoch, 0 unknown */

/* the trailer, right after the end record */
#define FLAT_TRL_TAG "kdumpcap-end"
#define FLAT_TRL_OFF_TAG 0
#define FLAT_TRL_OFF_ID 16
#define FLAT_TRL_OFF_TIME 32
#define FLAT_TRL_OFF_END 40 /* stream offset of the end record, int64 BE */
#define FLAT_TRL_SIZE 48

struct flat_id {
	uint8_t id[FLAT_ID_SIZE];
	uint64_t time;
};

/* A fresh id: random bytes (getrandom; the clocks if it has nothing yet). */
void flat_id_new(struct flat_id *id, uint64_t crash_time);
/* A first block that starts a flattened stream (signature and type). */
bool flat_is_header(const uint8_t *hdr, size_t n);
/* May a capture write over FD? A block device, or a regular file standing for
 * one: empty, its first block zero, or holding a flattened stream (never a
 * dump file or anything else). 0, or -errno after a message. */
int flat_target_check(int fd, const char *name);
/* Zero a raw device's first block and sync: before a capture writes over it,
 * so no older stream there can be taken for this capture's, and after
 * savecore saved the dump. 0 or -errno. */
int flat_invalidate(int fd);

/* Which side stopped a rearrangement. */
enum flat_side {
	FLAT_OK,      /* complete: end record, and the matching trailer when the header has an id */
	FLAT_STREAM,  /* the stream is incomplete or corrupt (its bytes, not an I/O error) */
	FLAT_INPUT,   /* reading the stream failed */
	FLAT_OUTPUT,  /* writing the file failed */
};

struct flat_result {
	enum flat_side side;
	int err;           /* -errno of the failure, 0 when complete */
	bool has_id;       /* the header carries a capture id */
	struct flat_id id;
	uint64_t records;  /* records copied into the output */
	bool flagged;      /* the output's kdump header was flagged INCOMPLETE here */
};

/* Rearrange the stream read from IN_FD (at its start) into OUT_FD, opened for
 * reading and writing; does not sync or close it. 0 when complete; -errno
 * otherwise, with RES naming the side, after flagging the output's header
 * INCOMPLETE (whatever the stream's last header record said). NEED_ID: a
 * stream without a capture id (makedumpfile's, an older kdumpcap's) cannot
 * be told from a mix of two captures, so it counts as incomplete. */
int flat_rearrange(int in_fd, const char *in_name, int out_fd, const char *out_name, bool need_id,
		   struct flat_result *res);
/* kdumpcap -R: the same into a new file OUT_PATH (never an existing one), synced. */
int flat_rearrange_file(int in_fd, const char *in_name, const char *out_path);

#endif
