#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/log.h"
#include "transport/sink.h"

static int fd_pwrite(struct sink *s, const void *buf, size_t n, uint64_t off)
{
	int r = io_pwrite(s->fd, buf, n, off);

	if (r == 0) {
		s->bytes += n;
	}
	return r;
}

static int fd_sync(struct sink *s)
{
	return io_fsync(s->fd);
}

static int fd_finish(struct sink *s)
{
	int r = io_fsync(s->fd);
	int c = io_close(s->fd);

	s->fd = -1;
	if (r) {
		log_err("%s: fsync failed: %s", s->name, strerror(-r));
		return r;
	}
	if (c) {
		log_err("%s: close failed: %s", s->name, strerror(-c));
	}
	return c;
}

static void fd_abort(struct sink *s)
{
	if (s->fd >= 0) {
		(void)io_fsync(s->fd);
		(void)io_close(s->fd);
	}
	s->fd = -1;
}

void sink_fd_init(struct sink *s, int fd, const char *name)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->fd = fd;
	s->pwrite = fd_pwrite;
	s->sync = fd_sync;
	s->finish = fd_finish;
	s->abort = fd_abort;
}

int sink_file_open(struct sink *s, const char *path)
{
	int fd = io_open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);

	if (fd < 0) {
		if (fd == -EEXIST) {
			log_err("%s already exists; remove it or choose another name", path);
		} else {
			log_err("cannot create %s: %s", path, strerror(-fd));
		}
		return fd;
	}
	sink_fd_init(s, fd, path);
	return 0;
}
