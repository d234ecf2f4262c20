/* The flattened format: writer (a sink) and reader (kdumpcap -R, savecore).
 * Layout and the capture id: transport/flat.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/kdumpfmt.h"
#include "lib/log.h"
#include "lib/rd.h"
#include "transport/flat.h"
#include "transport/sink.h"

#define FLAT_MAX_RECORD (64u << 20)
#define FLAT_COPY_BUF (1u << 20)

void flat_id_new(struct flat_id *id, uint64_t crash_time)
{
	struct timespec rt, mt;

	id->time = crash_time;
	if (getrandom(id->id, sizeof(id->id), GRND_NONBLOCK) == (ssize_t)sizeof(id->id)) {
		return;
	}
	/* no entropy yet (early in a capture kernel): the clocks still tell this
	 * capture from the one before it */
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	st_be64(id->id, (uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec);
	st_be64(id->id + 8, ((uint64_t)mt.tv_sec * 1000000000u + (uint64_t)mt.tv_nsec) ^ ((uint64_t)getpid() << 48));
}

bool flat_is_header(const uint8_t *hdr, size_t n)
{
	return n >= FLAT_HDR_SIZE && !memcmp(hdr, FLAT_SIG, sizeof(FLAT_SIG)) &&
	       ld_be64(hdr + FLAT_OFF_TYPE) == FLAT_TYPE;
}

int flat_invalidate(int fd)
{
	static const uint8_t zero[FLAT_HDR_SIZE];
	int r = io_pwrite(fd, zero, sizeof(zero), 0);

	return r ? r : io_fsync(fd);
}

int flat_target_check(int fd, const char *name)
{
	uint8_t first[FLAT_HDR_SIZE];
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0) {
		return -errno;
	}
	if (S_ISBLK(st.st_mode)) {
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		log_err("%s is neither a block device nor a file standing for one", name);
		return -EINVAL;
	}
	n = io_pread(fd, first, sizeof(first), 0);
	if (n < 0) {
		log_err("cannot read %s: %s", name, strerror((int)-n));
		return (int)n;
	}
	for (ssize_t i = 0; i < n && !flat_is_header(first, (size_t)n); i++) {
		if (first[i]) {
			log_err("%s is a file that holds something else (no flattened stream, first block not zero): "
				"not writing over it; -F with a DUMPFILE is for raw devices", name);
			return -EEXIST;
		}
	}
	return 0;
}

static int flat_pwrite(struct sink *s, const void *buf, size_t n, uint64_t off)
{
	uint8_t rec[FLAT_REC_SIZE];
	int r;

	st_be64(rec, off);
	st_be64(rec + 8, n);
	r = io_write(s->fd, rec, sizeof(rec));
	if (r == 0) {
		r = io_write(s->fd, buf, n);
	}
	if (r == 0) {
		s->bytes += n;
		s->stream_off += sizeof(rec) + n;
	}
	return r;
}

static void put_trailer(uint8_t *t, const struct sink *s)
{
	memset(t, 0, FLAT_TRL_SIZE);
	memcpy(t + FLAT_TRL_OFF_TAG, FLAT_TRL_TAG, sizeof(FLAT_TRL_TAG));
	memcpy(t + FLAT_TRL_OFF_ID, s->id.id, FLAT_ID_SIZE);
	st_be64(t + FLAT_TRL_OFF_TIME, s->id.time);
	st_be64(t + FLAT_TRL_OFF_END, s->stream_off);
}

static int flat_finish(struct sink *s)
{
	uint8_t end[FLAT_REC_SIZE + FLAT_TRL_SIZE];
	int r, c;

	/* the end record and the trailer in one write: a stream that has one
	 * without the other was cut there */
	st_be64(end, FLAT_END);
	st_be64(end + 8, FLAT_END);
	put_trailer(end + FLAT_REC_SIZE, s);
	r = io_write(s->fd, end, sizeof(end));
	if (r == 0) {
		r = io_fsync(s->fd);
	}
	c = io_close(s->fd);
	s->fd = -1;
	if (r) {
		log_err("%s: cannot finish the flattened stream: %s", s->name, strerror(-r));
		return r;
	}
	return c;
}

static void flat_abort(struct sink *s)
{
	if (s->fd >= 0) {
		(void)io_fsync(s->fd);
		(void)io_close(s->fd);
	}
	s->fd = -1;
}

int sink_flat_open(struct sink *s, int fd, const char *name, const struct flat_id *id)
{
	uint8_t hdr[FLAT_HDR_SIZE];
	int r;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->fd = fd;
	s->pwrite = flat_pwrite;
	s->finish = flat_finish;
	s->abort = flat_abort;
	s->id = *id;
	s->once = true;
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, FLAT_SIG, sizeof(FLAT_SIG));
	st_be64(hdr + FLAT_OFF_TYPE, FLAT_TYPE);
	st_be64(hdr + FLAT_OFF_VERSION, FLAT_VERSION);
	memcpy(hdr + FLAT_OFF_ID_TAG, FLAT_ID_TAG, sizeof(FLAT_ID_TAG));
	memcpy(hdr + FLAT_OFF_ID, id->id, FLAT_ID_SIZE);
	st_be64(hdr + FLAT_OFF_ID_TIME, id->time);
	r = io_write(fd, hdr, sizeof(hdr));
	if (r) {
		log_err("%s: cannot write the flattened header: %s", name, strerror(-r));
	} else {
		s->stream_off = sizeof(hdr);
	}
	return r;
}

/* The reader's state: where it is in the stream, and why it stopped. */
struct reader {
	int in, out;
	const char *in_name, *out_name;
	uint64_t pos; /* stream offset of the next byte to read */
	uint8_t *buf;
	struct flat_result *res;
};

static int stop(struct reader *rd, enum flat_side side, int err)
{
	rd->res->side = side;
	rd->res->err = err;
	return err;
}

/* Read exactly N bytes of the stream; a short read is the stream's end. */
static int take(struct reader *rd, void *buf, size_t n, const char *what)
{
	ssize_t got = io_read(rd->in, buf, n);

	if (got < 0) {
		log_err("%s: read failed at byte %llu: %s", rd->in_name, (unsigned long long)rd->pos,
			strerror((int)-got));
		return stop(rd, FLAT_INPUT, (int)got);
	}
	if ((size_t)got != n) {
		log_err("%s: the stream ends at byte %llu, %s: the dump is incomplete", rd->in_name,
			(unsigned long long)(rd->pos + (uint64_t)got), what);
		return stop(rd, FLAT_STREAM, -EIO);
	}
	rd->pos += n;
	return 0;
}

static int read_header(struct reader *rd)
{
	uint8_t hdr[FLAT_HDR_SIZE];
	struct flat_result *res = rd->res;
	ssize_t n = io_read(rd->in, hdr, sizeof(hdr));

	if (n < 0) {
		log_err("%s: cannot read: %s", rd->in_name, strerror((int)-n));
		return stop(rd, FLAT_INPUT, (int)n);
	}
	if (!flat_is_header(hdr, (size_t)n)) {
		log_err("%s: not a flattened dump stream (no \"makedumpfile\" header of type 1)", rd->in_name);
		return stop(rd, FLAT_STREAM, -EINVAL);
	}
	rd->pos = sizeof(hdr);
	res->has_id = !memcmp(hdr + FLAT_OFF_ID_TAG, FLAT_ID_TAG, sizeof(FLAT_ID_TAG));
	if (res->has_id) {
		memcpy(res->id.id, hdr + FLAT_OFF_ID, FLAT_ID_SIZE);
		res->id.time = ld_be64(hdr + FLAT_OFF_ID_TIME);
	}
	return 0;
}

/* One record's bytes into the output; its {offset, size} already read. */
static int copy_record(struct reader *rd, uint64_t off, uint64_t size)
{
	int r;

	if (size > FLAT_MAX_RECORD || off > (uint64_t)INT64_MAX - size) {
		log_err("%s: corrupt record at byte %llu (offset %llu, size %llu): the dump is incomplete",
			rd->in_name, (unsigned long long)(rd->pos - FLAT_REC_SIZE), (unsigned long long)off,
			(unsigned long long)size);
		return stop(rd, FLAT_STREAM, -EINVAL);
	}
	while (size) {
		size_t chunk = size < FLAT_COPY_BUF ? (size_t)size : FLAT_COPY_BUF;

		r = take(rd, rd->buf, chunk, "inside a record");
		if (r) {
			return r;
		}
		r = io_pwrite(rd->out, rd->buf, chunk, off);
		if (r) {
			log_err("%s: write failed: %s", rd->out_name, strerror(-r));
			return stop(rd, FLAT_OUTPUT, r);
		}
		off += chunk;
		size -= chunk;
	}
	return 0;
}

/* After the end record: the trailer must carry the header's id. */
static int check_trailer(struct reader *rd, uint64_t end_pos)
{
	const struct flat_id *id = &rd->res->id;
	uint8_t t[FLAT_TRL_SIZE];
	int r;

	if (!rd->res->has_id) {
		return 0; /* makedumpfile's or an older kdumpcap's stream: nothing to check */
	}
	r = take(rd, t, sizeof(t), "after the end record, without the capture's trailer");
	if (r) {
		return r;
	}
	if (memcmp(t + FLAT_TRL_OFF_TAG, FLAT_TRL_TAG, sizeof(FLAT_TRL_TAG)) ||
	    memcmp(t + FLAT_TRL_OFF_ID, id->id, FLAT_ID_SIZE) || ld_be64(t + FLAT_TRL_OFF_TIME) != id->time ||
	    ld_be64(t + FLAT_TRL_OFF_END) != end_pos) {
		log_err("%s: the end record at byte %llu is not this capture's (its trailer carries another id): "
			"the capture that wrote the header stopped early, and the rest is an older stream; "
			"the dump is incomplete", rd->in_name, (unsigned long long)end_pos);
		return stop(rd, FLAT_STREAM, -EIO);
	}
	return 0;
}

static int copy_records(struct reader *rd)
{
	for (;;) {
		uint8_t rec[FLAT_REC_SIZE];
		uint64_t off, size;
		int r = take(rd, rec, sizeof(rec), "without its end record");

		if (r) {
			return r;
		}
		off = ld_be64(rec);
		size = ld_be64(rec + 8);
		if (off == FLAT_END && size == FLAT_END) {
			return check_trailer(rd, rd->pos - sizeof(rec));
		}
		r = copy_record(rd, off, size);
		if (r) {
			return r;
		}
		rd->res->records++;
	}
}

/* Whatever the stream's last header record said, a dump rearranged from an
 * incomplete stream must say INCOMPLETE. */
static int flag_incomplete(struct reader *rd)
{
	uint8_t h[KDUMP_OFF_STATUS + 4];
	ssize_t n = io_pread(rd->out, h, sizeof(h), 0);
	int r;

	if (n < 0) {
		log_err("%s: cannot read back the header to flag it incomplete: %s", rd->out_name,
			strerror((int)-n));
		return (int)n;
	}
	if (n != sizeof(h) || memcmp(h, KDUMP_SIGNATURE, KDUMP_SIG_LEN)) {
		return 0; /* no dump header came through: nothing claims completeness */
	}
	st_le32(h + KDUMP_OFF_STATUS, ld_le32(h + KDUMP_OFF_STATUS) | KDUMP_DH_INCOMPLETE);
	r = io_pwrite(rd->out, h + KDUMP_OFF_STATUS, 4, KDUMP_OFF_STATUS);
	if (r) {
		log_err("%s: cannot flag the header incomplete: %s", rd->out_name, strerror(-r));
		return r;
	}
	rd->res->flagged = true;
	return 0;
}

int flat_rearrange(int in_fd, const char *in_name, int out_fd, const char *out_name, bool need_id,
		   struct flat_result *res)
{
	struct reader rd = { in_fd, out_fd, in_name, out_name, 0, NULL, res };
	int r;

	memset(res, 0, sizeof(*res));
	r = read_header(&rd);
	if (r) {
		return r;
	}
	/* one fixed buffer: a record's size (untrusted) never sizes an allocation */
	rd.buf = malloc(FLAT_COPY_BUF);
	if (!rd.buf) {
		return stop(&rd, FLAT_OUTPUT, -ENOMEM);
	}
	r = copy_records(&rd);
	free(rd.buf);
	if (r == 0 && need_id && !res->has_id) {
		log_err("%s: the stream carries no capture id (written by makedumpfile or an older kdumpcap): it "
			"cannot be told from the start of one capture followed by the rest of an older one; the "
			"dump counts as incomplete", in_name);
		r = stop(&rd, FLAT_STREAM, -EIO);
	}
	if (r && res->side != FLAT_OUTPUT) {
		int f = flag_incomplete(&rd);
		if (f) {
			stop(&rd, FLAT_OUTPUT, f);
		}
	}
	return res->err;
}

int flat_rearrange_file(int in_fd, const char *in_name, const char *out_path)
{
	struct flat_result res;
	int out, r, c;

	out = io_open(out_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (out < 0) {
		log_err("cannot create %s: %s", out_path, out == -EEXIST ? "it already exists" : strerror(-out));
		return out;
	}
	r = flat_rearrange(in_fd, in_name, out, out_path, false, &res);
	if (r && !res.records) {
		(void)io_close(out);
		(void)unlink(out_path); /* nothing came through: no file */
		return r;
	}
	if (res.flagged) {
		log_err("%s: kept, flagged INCOMPLETE", out_path);
	}
	c = io_fsync(out);
	if (c == 0) {
		c = io_close(out);
	} else {
		(void)io_close(out);
	}
	if (c) {
		log_err("%s: cannot make it durable: %s", out_path, strerror(-c));
	}
	return r ? r : c;
}
