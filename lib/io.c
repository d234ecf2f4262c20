#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/io.h"

#define MAX_FAULTS 8
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0) /* linux/fs.h; musl 1.2.3 has no renameat2 wrapper */
#endif

struct fault {
	enum io_op op;
	unsigned long nth;
	int err;
	bool once;
};

static struct fault faults[MAX_FAULTS];
static unsigned nfaults;
static unsigned long op_count[IO_NOPS];
static bool fault_inited;
static bool counting; /* KDUMPCAP_IO_COUNT: report the calls made, at exit */

static const char *const op_names[IO_NOPS] = {
	[IO_READ] = "read", [IO_WRITE] = "write", [IO_FSYNC] = "fsync", [IO_CLOSE] = "close",
	[IO_OPEN] = "open", [IO_MOUNT] = "mount", [IO_RENAME] = "rename", [IO_MMAP] = "mmap",
};

static const struct {
	const char *name;
	int err;
} err_names[] = {
	{ "EPERM", EPERM },   { "ENOENT", ENOENT }, { "EINTR", EINTR },   { "EIO", EIO },
	{ "EBADF", EBADF },   { "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM }, { "EACCES", EACCES },
	{ "EFAULT", EFAULT }, { "EBUSY", EBUSY },   { "EEXIST", EEXIST }, { "ENODEV", ENODEV },
	{ "EINVAL", EINVAL }, { "EFBIG", EFBIG },   { "ENOSPC", ENOSPC }, { "ESPIPE", ESPIPE },
	{ "EROFS", EROFS },   { "EPIPE", EPIPE },   { "EDQUOT", EDQUOT }, { "ETIMEDOUT", ETIMEDOUT },
	{ "ECONNREFUSED", ECONNREFUSED }, { "ENOTCONN", ENOTCONN }, { "ENXIO", ENXIO },
	{ "ECONNRESET", ECONNRESET }, { "EPROTO", EPROTO }, { "EOPNOTSUPP", EOPNOTSUPP },
	{ "EBADMSG", EBADMSG }, { "EPROTONOSUPPORT", EPROTONOSUPPORT }, { "ENAMETOOLONG", ENAMETOOLONG },
};

const char *io_errname(int err)
{
	if (err < 0) {
		err = -err;
	}
	for (size_t i = 0; i < sizeof(err_names) / sizeof(err_names[0]); i++) {
		if (err_names[i].err == err) {
			return err_names[i].name;
		}
	}
	return "E?";
}

static int parse_err(const char *s, size_t len)
{
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(err_names) / sizeof(err_names[0]); i++) {
		if (strlen(err_names[i].name) == len && !strncmp(err_names[i].name, s, len)) {
			return err_names[i].err;
		}
	}
	v = strtol(s, &end, 10);
	if (end != s + len || v <= 0 || v > 4095) {
		return -1;
	}
	return (int)v;
}

/* How many calls of each op a run made: what a fault sweep iterates over. */
static void count_report(void)
{
	fprintf(stderr, "kdumpcap: io calls:");
	for (int i = 0; i < IO_NOPS; i++) {
		fprintf(stderr, " %s=%lu", op_names[i], op_count[i]);
	}
	fprintf(stderr, "\n");
}

int io_fault_setup(const char *spec)
{
	nfaults = 0;
	memset(op_count, 0, sizeof(op_count));
	fault_inited = true;
	if (!counting && getenv("KDUMPCAP_IO_COUNT")) {
		counting = true;
		atexit(count_report);
	}
	if (!spec || !*spec) {
		return 0;
	}
	while (*spec) {
		const char *end = strchr(spec, ',');
		size_t len = end ? (size_t)(end - spec) : strlen(spec);
		char item[64];
		char *f[4] = { 0 };
		int n = 0;
		struct fault *ft;
		char *p;

		if (len == 0 || len >= sizeof(item) || nfaults == MAX_FAULTS) {
			return -EINVAL;
		}
		memcpy(item, spec, len);
		item[len] = 0;
		for (p = item; n < 4; n++) {
			f[n] = p;
			p = strchr(p, ':');
			if (!p) {
				n++;
				break;
			}
			*p++ = 0;
		}
		if (n < 3 || p) {
			return -EINVAL;
		}
		ft = &faults[nfaults];
		ft->op = IO_NOPS;
		for (int i = 0; i < IO_NOPS; i++) {
			if (!strcmp(f[0], op_names[i])) {
				ft->op = (enum io_op)i;
			}
		}
		ft->nth = strtoul(f[1], &p, 10);
		ft->err = parse_err(f[2], strlen(f[2]));
		ft->once = n == 4 && !strcmp(f[3], "once");
		if (ft->op == IO_NOPS || *p || ft->nth == 0 || ft->err < 0 || (n == 4 && !ft->once)) {
			return -EINVAL;
		}
		nfaults++;
		spec += len;
		if (*spec == ',') {
			spec++;
		}
	}
	return 0;
}

int io_fault_check(enum io_op op)
{
	unsigned long n;

	if (!fault_inited) {
		/* a bad spec in the environment is reported by the caller of io_fault_setup */
		if (io_fault_setup(getenv("KDUMPCAP_FAULT")) < 0) {
			nfaults = 0;
		}
	}
	if (!nfaults && !counting) {
		return 0;
	}
	/* atomic: page threads and pass 1's helpers read at once */
	n = __atomic_add_fetch(&op_count[op], 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < nfaults; i++) {
		if (faults[i].op == op && (n == faults[i].nth || (!faults[i].once && n > faults[i].nth))) {
			return -faults[i].err;
		}
	}
	return 0;
}

int io_open(const char *path, int flags, mode_t mode)
{
	int r = io_fault_check(IO_OPEN);
	int fd;

	if (r) {
		return r;
	}
	do {
		fd = open(path, flags | O_CLOEXEC, mode);
	} while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

/* One loop for read and pread: off < 0 means "at the current position". */
static ssize_t read_all(int fd, void *buf, size_t n, int64_t off)
{
	size_t done = 0;
	int r = io_fault_check(IO_READ);

	if (r) {
		return r;
	}
	while (done < n) {
		ssize_t k = off < 0 ? read(fd, (char *)buf + done, n - done)
				    : pread(fd, (char *)buf + done, n - done, (off_t)(off + (int64_t)done));
		if (k < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		if (k == 0) {
			break;
		}
		done += (size_t)k;
	}
	return (ssize_t)done;
}

ssize_t io_pread(int fd, void *buf, size_t n, uint64_t off)
{
	return read_all(fd, buf, n, (int64_t)off);
}

ssize_t io_read(int fd, void *buf, size_t n)
{
	return read_all(fd, buf, n, -1);
}

ssize_t io_read_text(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = io_open(path, O_RDONLY, 0);

	if (fd < 0) {
		return fd;
	}
	n = io_read(fd, buf, size - 1);
	io_close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

int io_read_file(const char *path, size_t max, void **buf, size_t *len, mode_t *mode)
{
	struct stat st;
	char *b = NULL;
	ssize_t n;
	int fd = io_open(path, O_RDONLY | O_CLOEXEC, 0);

	*buf = NULL;
	if (fd < 0) {
		return fd;
	}
	if (fstat(fd, &st) < 0) {
		n = -errno;
	} else if (!S_ISREG(st.st_mode)) {
		n = -EINVAL;
	} else if ((uint64_t)st.st_size > max) {
		n = -EFBIG;
	} else if (!(b = malloc((size_t)st.st_size + 1))) {
		n = -ENOMEM;
	} else {
		n = io_read(fd, b, (size_t)st.st_size);
		n = n == st.st_size || n < 0 ? n : -EIO; /* the file changed size */
	}
	io_close(fd);
	if (n < 0) {
		free(b);
		return (int)n;
	}
	b[n] = '\0';
	*buf = b;
	*len = (size_t)n;
	if (mode) {
		*mode = st.st_mode & 0777;
	}
	return 0;
}

/* One loop for write and pwrite: off < 0 means "at the current position". */
static int write_all(int fd, const void *buf, size_t n, int64_t off)
{
	size_t done = 0;
	int r = io_fault_check(IO_WRITE);

	if (r) {
		if (r == -ENOSPC && n > 4096) {
			/* a filling disk takes the whole blocks it still has */
			n = n / 2 / 4096 * 4096;
			(void)(off < 0 ? write(fd, buf, n) : pwrite(fd, buf, n, (off_t)off));
		}
		return r;
	}
	while (done < n) {
		ssize_t k = off < 0 ? write(fd, (const char *)buf + done, n - done)
				    : pwrite(fd, (const char *)buf + done, n - done, (off_t)(off + (int64_t)done));
		if (k < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		if (k == 0) {
			return -EIO;
		}
		done += (size_t)k;
	}
	return 0;
}

int io_write(int fd, const void *buf, size_t n)
{
	return write_all(fd, buf, n, -1);
}

int io_pwrite(int fd, const void *buf, size_t n, uint64_t off)
{
	return write_all(fd, buf, n, (int64_t)off);
}

ssize_t io_read_some(int fd, void *buf, size_t n)
{
	ssize_t k;
	int r = io_fault_check(IO_READ);

	if (r) {
		return r;
	}
	do {
		k = read(fd, buf, n);
	} while (k < 0 && errno == EINTR);
	return k < 0 ? -errno : k;
}

ssize_t io_write_some(int fd, const void *buf, size_t n)
{
	ssize_t k;
	int r = io_fault_check(IO_WRITE);

	if (r) {
		return r;
	}
	do {
		k = write(fd, buf, n);
	} while (k < 0 && errno == EINTR);
	return k < 0 ? -errno : k;
}

int io_fsync(int fd)
{
	int r = io_fault_check(IO_FSYNC);

	if (r) {
		return r;
	}
	while (fsync(fd) < 0) {
		if (errno == EINTR) {
			continue;
		}
		/* pipes, ttys and some devices cannot sync: nothing was lost */
		if (errno == EINVAL || errno == EROFS) {
			return 0;
		}
		return -errno;
	}
	return 0;
}

int io_close(int fd)
{
	int r = io_fault_check(IO_CLOSE);

	if (r) {
		close(fd);
		return r;
	}
	/* Linux frees the fd even when close fails with EINTR: never retry. */
	if (close(fd) < 0 && errno != EINTR) {
		return -errno;
	}
	return 0;
}

int io_rename(const char *from, const char *to)
{
	int r = io_fault_check(IO_RENAME);

	if (r) {
		return r;
	}
	return rename(from, to) < 0 ? -errno : 0;
}

int io_rename_noreplace(const char *from, const char *to)
{
	int r = io_fault_check(IO_RENAME);

	if (r) {
		return r;
	}
	if (syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) {
		return 0;
	}
	if (errno != EINVAL && errno != ENOSYS) {
		return -errno;
	}
	/* no RENAME_NOREPLACE here (old kernel, some file systems): link() never
	 * replaces either */
	if (link(from, to) < 0) {
		return -errno;
	}
	return unlink(from) < 0 ? -errno : 0;
}

int io_mount(const char *src, const char *target, const char *fstype, unsigned long flags, const void *data)
{
	int r = io_fault_check(IO_MOUNT);

	if (r) {
		return r;
	}
	return mount(src, target, fstype, flags, data) < 0 ? -errno : 0;
}

void *io_mmap_ro(int fd, size_t len, uint64_t off, int *err)
{
	int r = io_fault_check(IO_MMAP);
	void *p;

	if (r) {
		*err = r;
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)off);
	if (p == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	*err = 0;
	return p;
}
