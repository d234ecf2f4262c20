/* The one I/O layer: every read, write, fsync, close, rename and mount of the
 * product goes through here. Calls retry EINTR, loop on short counts and
 * return 0 / a byte count or -errno. Fault injection (for tests) hooks in
 * here too:
 *   KDUMPCAP_FAULT=OP:N:ERR[:once][,OP:N:ERR...]
 * makes the Nth call (1-based) of OP fail with errno ERR, and every later one
 * unless ":once". OP is read, write, fsync, close, open, mount, rename, mmap;
 * ERR is a name (ENOSPC, EIO, ...) or a number. A "write" fault that is
 * ENOSPC first writes the whole blocks of half the buffer, as a filling
 * disk does. KDUMPCAP_IO_COUNT=1 prints at exit how many calls of each op
 * the run made ("kdumpcap: io calls: read=N write=N ..."), for fault sweeps. */
#ifndef KDC_IO_H
#define KDC_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum io_op { IO_READ, IO_WRITE, IO_FSYNC, IO_CLOSE, IO_OPEN, IO_MOUNT, IO_RENAME, IO_MMAP, IO_NOPS };

/* Parse KDUMPCAP_FAULT (or the given spec); -EINVAL on a bad spec. */
int io_fault_setup(const char *spec);
/* Called by io_* before each op; returns 0 or the injected -errno. */
int io_fault_check(enum io_op op);

int io_open(const char *path, int flags, mode_t mode);
/* Read up to n bytes at off; returns bytes read (< n only at EOF) or -errno. */
ssize_t io_pread(int fd, void *buf, size_t n, uint64_t off);
/* Read up to n bytes from the current position; < n only at EOF. */
ssize_t io_read(int fd, void *buf, size_t n);
/* Write all n bytes; 0 or -errno. */
int io_write(int fd, const void *buf, size_t n);
int io_pwrite(int fd, const void *buf, size_t n, uint64_t off);
/* One read or write on a stream that may be non-blocking (a pipe or socket
 * to a network client): the byte count (0 = EOF for a read), or -errno
 * (-EAGAIN when nothing could be moved). EINTR is retried. */
ssize_t io_read_some(int fd, void *buf, size_t n);
ssize_t io_write_some(int fd, const void *buf, size_t n);
int io_fsync(int fd);
int io_close(int fd);
int io_rename(const char *from, const char *to);
/* Rename FROM to TO, never replacing an existing TO (-EEXIST then). */
int io_rename_noreplace(const char *from, const char *to);
int io_mount(const char *src, const char *target, const char *fstype, unsigned long flags, const void *data);
/* mmap read-only; returns NULL with *err set on failure. */
void *io_mmap_ro(int fd, size_t len, uint64_t off, int *err);

/* Read a small text file (proc, sysfs) whole into buf, NUL-terminated,
 * truncated to size - 1 bytes; returns the length or -errno. */
ssize_t io_read_text(const char *path, char *buf, size_t size);

/* Read the regular file PATH whole into a new buffer *BUF (the caller
 * frees it) of *LEN bytes plus a NUL, and its permission bits into *MODE
 * (may be NULL). 0, or -EINVAL when it is not a regular file, -EFBIG when
 * it is larger than MAX, -EIO when its size changed while read, -errno. */
int io_read_file(const char *path, size_t max, void **buf, size_t *len, mode_t *mode);

/* errno name for messages ("ENOSPC"); strerror() for the text. */
const char *io_errname(int err);

#endif
