/* The capture kernel's memory model: see estimate.h and README.md
 * ("Capture kernel memory") for the measurements behind the constants. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_FRAMEHEADERSIZE_MAX */
#include <zstd.h>

#include "initramfs/estimate.h"
#include "initramfs/kexec_arm64.h"
#include "initramfs/kexec_x86_64.h"
#include "lib/io.h"
#include "lib/rd.h"

#define GZIP_MAGIC "\x1f\x8b"
#define GZIP_ISIZE_LEN 4
#define CPIO_NEWC_MAGIC "070701"

uint64_t est_need(const struct est_inputs *in, unsigned ncpus, struct est_parts *p)
{
	struct est_parts q;

	if (!p) {
		p = &q;
	}
	if (ncpus < 1) {
		ncpus = 1;
	}
	p->kernel = in->kernel_init > in->kernel_file ? in->kernel_init : in->kernel_file;
	/* while the kernel unpacks the image both are in memory */
	p->image = in->initrd_file + in->initrd_unpacked;
	p->runtime = EST_KERNEL_RUNTIME;
	p->percpu = (uint64_t)(ncpus - 1) * EST_PER_CPU;
	p->collector = EST_COLLECTOR;
	p->total = p->kernel + p->image + p->runtime + p->percpu + p->collector;
	p->rounded = (p->total + EST_ROUND - 1) / EST_ROUND * EST_ROUND;
	return p->rounded;
}

unsigned est_pick_cpus(const struct est_inputs *in)
{
	unsigned max = in->online < EST_MAX_CPUS ? in->online : EST_MAX_CPUS, n = 1;

	if (in->crash_size <= 0) {
		return 1;
	}
	while (n < max && est_need(in, n + 1, NULL) <= (uint64_t)in->crash_size) {
		n++;
	}
	return n;
}

int est_cpu_list_count(const char *s)
{
	int count = 0;

	while (*s && *s != '\n') {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s || a < 0) {
			return -EINVAL;
		}
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a) {
				return -EINVAL;
			}
		}
		count += (int)(b - a + 1);
		s = end;
		if (*s == ',') {
			s++;
		} else if (*s && *s != '\n') {
			return -EINVAL;
		}
	}
	return count ? count : -EINVAL;
}

static int read_under(const char *sysroot, const char *path, char *buf, size_t size)
{
	char p[512];

	snprintf(p, sizeof(p), "%s%s", sysroot, path);
	return io_read_text(p, buf, size) <= 0 ? -ENOENT : 0;
}

int64_t est_crash_size(const char *sysroot)
{
	char buf[32], *end;
	long long v;

	if (read_under(sysroot, "/sys/kernel/kexec_crash_size", buf, sizeof(buf))) {
		return -1;
	}
	v = strtoll(buf, &end, 10);
	return end != buf && v >= 0 ? v : -1;
}

void est_probe_machine(struct est_inputs *in, const char *sysroot)
{
	char buf[256];
	int n;

	in->online = 1;
	if (read_under(sysroot, "/sys/devices/system/cpu/online", buf, sizeof(buf)) == 0 &&
	    (n = est_cpu_list_count(buf)) > 0) {
		in->online = (unsigned)n;
	}
	in->crash_size = est_crash_size(sysroot);
}

/* The first N bytes of PATH into BUF (fewer when the file is shorter), its size in *SIZE. */
static int read_head(const char *path, void *buf, size_t n, size_t *got, uint64_t *size)
{
	struct stat st;
	ssize_t r;
	int fd = io_open(path, O_RDONLY | O_CLOEXEC, 0);

	if (fd < 0) {
		return fd;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		io_close(fd);
		return (int)r;
	}
	*size = (uint64_t)st.st_size;
	r = io_pread(fd, buf, n, 0);
	io_close(fd);
	if (r < 0) {
		return (int)r;
	}
	*got = (size_t)r;
	return 0;
}

/* The memory kexec sets aside for the kernel: a bzImage's init_size, an
 * arm64 Image's image_size. */
int est_probe_kernel(struct est_inputs *in, const char *path)
{
	uint8_t h[KEXEC_X86_64_HDR_LEN];
	size_t got = 0;
	uint64_t text_offset;
	int e = read_head(path, h, sizeof(h), &got, &in->kernel_file);

	if (e) {
		return e;
	}
	if (!kexec_x86_64_bzimage_header(h, got, &in->kernel_init) ||
	    !kexec_arm64_image_header(h, got, &text_offset, &in->kernel_init)) {
		return 0;
	}
	return -ENOEXEC;
}

int est_probe_initrd(struct est_inputs *in, const char *path)
{
	uint8_t h[ZSTD_FRAMEHEADERSIZE_MAX];
	size_t got = 0;
	unsigned long long zs;
	int e = read_head(path, h, sizeof(h), &got, &in->initrd_file);

	if (e) {
		return e;
	}
	in->initrd_guessed = false;
	if (!in->initrd_file) {
		return -ENODATA; /* an empty file is no image */
	}
	zs = ZSTD_getFrameContentSize(h, got);
	if (zs != ZSTD_CONTENTSIZE_ERROR && zs != ZSTD_CONTENTSIZE_UNKNOWN) {
		in->initrd_unpacked = zs;
	} else if (got >= 2 && !memcmp(h, GZIP_MAGIC, 2) && in->initrd_file >= GZIP_ISIZE_LEN) {
		uint8_t t[GZIP_ISIZE_LEN];
		int fd = io_open(path, O_RDONLY | O_CLOEXEC, 0);
		ssize_t n = fd < 0 ? fd : io_pread(fd, t, sizeof(t), in->initrd_file - sizeof(t));

		if (fd >= 0) {
			io_close(fd);
		}
		if (n != (ssize_t)sizeof(t)) {
			return n < 0 ? (int)n : -EIO;
		}
		in->initrd_unpacked = (uint64_t)t[0] | (uint64_t)t[1] << 8 | (uint64_t)t[2] << 16 | (uint64_t)t[3] << 24;
	} else if (got >= 6 && !memcmp(h, CPIO_NEWC_MAGIC, 6)) {
		in->initrd_unpacked = in->initrd_file;
	} else {
		in->initrd_unpacked = in->initrd_file * EST_UNPACK_GUESS;
		in->initrd_guessed = true;
	}
	return 0;
}
