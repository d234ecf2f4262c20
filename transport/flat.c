/* The flattened format: a 4096-byte header ("makedumpfile", type 1,
 * version 1, big-endian), then {offset, size} big-endian records each
 * followed by its bytes, then an end marker of -1, -1. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/log.h"
#include "lib/rd.h"
#include "transport/sink.h"

#define FLAT_HDR_SIZE 4096
#define FLAT_SIG "makedumpfile"
#define FLAT_MAX_RECORD (64u << 20)
#define FLAT_COPY_BUF (1u << 20)

static int flat_pwrite(struct sink *s, const void *buf, size_t n, uint64_t off)
{
	uint8_t rec[16];
	int r;

	st_be64(rec, off);
	st_be64(rec + 8, n);
	r = io_write(s->fd, rec, sizeof(rec));
	if (r == 0) {
		r = io_write(s->fd, buf, n);
	}
	if (r == 0) {
		s->bytes += n;
	}
	return r;
}

static int flat_finish(struct sink *s)
{
	uint8_t end[16];
	int r, c;

	memset(end, 0xff, sizeof(end));
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

int sink_flat_open(struct sink *s, int fd, const char *name)
{
	uint8_t hdr[FLAT_HDR_SIZE];
	int r;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->fd = fd;
	s->pwrite = flat_pwrite;
	s->finish = flat_finish;
	s->abort = flat_abort;
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, FLAT_SIG, strlen(FLAT_SIG));
	st_be64(hdr + 16, 1);
	st_be64(hdr + 24, 1);
	r = io_write(fd, hdr, sizeof(hdr));
	if (r) {
		log_err("%s: cannot write the flattened header: %s", name, strerror(-r));
	}
	return r;
}

int flat_rearrange(int in_fd, const char *in_name, const char *out_path)
{
	uint8_t hdr[FLAT_HDR_SIZE];
	uint8_t *buf;
	ssize_t n;
	int out, r = -EINVAL;

	n = io_read(in_fd, hdr, sizeof(hdr));
	if (n < 0) {
		log_err("%s: cannot read: %s", in_name, strerror((int)-n));
		return (int)n;
	}
	if (n != sizeof(hdr) || memcmp(hdr, FLAT_SIG, strlen(FLAT_SIG)) || hdr[12] != 0 ||
	    ld_be64(hdr + 16) != 1) {
		log_err("%s: not a flattened dump stream (no \"makedumpfile\" header of type 1)", in_name);
		return -EINVAL;
	}
	out = io_open(out_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (out < 0) {
		log_err("cannot create %s: %s", out_path, out == -EEXIST ? "it already exists" : strerror(-out));
		return out;
	}
	/* one fixed buffer: a record's size (untrusted) never sizes an allocation */
	buf = malloc(FLAT_COPY_BUF);
	if (!buf) {
		io_close(out);
		return -ENOMEM;
	}
	for (;;) {
		uint8_t rec[16];
		uint64_t off, size;

		n = io_read(in_fd, rec, sizeof(rec));
		if (n != sizeof(rec)) {
			log_err("%s: stream ends without its end marker: the dump is incomplete", in_name);
			r = n < 0 ? (int)n : -EIO;
			break;
		}
		off = ld_be64(rec);
		size = ld_be64(rec + 8);
		if (off == UINT64_MAX && size == UINT64_MAX) {
			r = io_fsync(out);
			break;
		}
		if (size > FLAT_MAX_RECORD || off > (uint64_t)INT64_MAX - size) {
			log_err("%s: corrupt record (offset %llu, size %llu)", in_name, (unsigned long long)off,
				(unsigned long long)size);
			r = -EINVAL;
			break;
		}
		while (size) {
			size_t chunk = size < FLAT_COPY_BUF ? (size_t)size : FLAT_COPY_BUF;

			n = io_read(in_fd, buf, chunk);
			if (n != (ssize_t)chunk) {
				log_err("%s: stream cut inside a record: the dump is incomplete", in_name);
				r = n < 0 ? (int)n : -EIO;
				break;
			}
			r = io_pwrite(out, buf, chunk, off);
			if (r) {
				log_err("%s: write failed: %s", out_path, strerror(-r));
				break;
			}
			off += chunk;
			size -= chunk;
		}
		if (size) {
			break;
		}
	}
	free(buf);
	if (io_close(out) && r == 0) {
		r = -EIO;
	}
	return r;
}
