/* memload: test-only guest helper for qemu/mkvmcore.sh. Puts recognisable data
 * into memory of several kinds so the vmcore has every page class the filters
 * must tell apart, then sleeps until the crash.
 *
 *   memload run ANON_MB HUGE_PAGES TMPFS_FILE TMPFS_MB READY_FILE
 *       anonymous memory (ANON_MB, every 16th page left zero but allocated),
 *       HUGE_PAGES 2 MiB hugetlb pages (MAP_HUGETLB, needs vm.nr_hugepages),
 *       a TMPFS_MB file on tmpfs; then writes READY_FILE and sleeps forever.
 *   memload gen FILE MB
 *       writes a data file (run on the host, put on the ext4 disk; the guest
 *       reads it into the page cache).
 *
 * Every non-zero page starts with a 32-byte header: an 8-byte tag ("KDCANON",
 * "KDCHUGE", "KDCTMPF", "KDCFILE"), the page index (u64 LE), the
 * generator seed (u64) and the pid (u64), so a dump reader can find and check them. The
 * rest of the page varies by index: random bytes, text, or a sparse pattern,
 * so compression ratios are realistic. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL
#define HUGE (2UL << 20)
#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif

static uint64_t xs(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Fill one 4 KiB page; returns false for the pages left zero. */
static int fill_page(unsigned char *p, const char *tag, uint64_t idx, int zero_every_16)
{
	static const char words[] = "kdumpcap vmcore test page cache anon tmpfs hugetlb lorem ipsum ";
	uint64_t seed = idx * 0x9e3779b97f4a7c15ULL + 1, pid = (uint64_t)getpid();
	uint64_t *q = (uint64_t *)p;

	if (zero_every_16 && idx % 16 == 5) {
		memset(p, 0, PAGE); /* allocated, but all zero: dump level 1 drops it */
		return 0;
	}
	memset(p, 0, 32);
	memcpy(p, tag, strlen(tag) < 8 ? strlen(tag) : 8);
	q[1] = idx;
	q[2] = seed;
	q[3] = pid;
	switch (idx % 4) {
	case 0: /* incompressible */
	case 3:
		for (size_t i = 4; i < PAGE / 8; i++) {
			q[i] = xs(&seed);
		}
		break;
	case 1: /* text */
		for (size_t i = 32; i < PAGE; i++) {
			p[i] = (unsigned char)words[(i + idx) % (sizeof(words) - 1)];
		}
		break;
	default: /* sparse: mostly zero with a few words */
		memset(p + 32, 0, PAGE - 32);
		for (size_t i = 4; i < PAGE / 8; i += 61) {
			q[i] = xs(&seed);
		}
		break;
	}
	return 1;
}

static int write_file(const char *path, const char *tag, unsigned long mb)
{
	static unsigned char buf[256 * PAGE];
	unsigned long pages = mb * (1UL << 20) / PAGE;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0) {
		fprintf(stderr, "memload: cannot create %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (unsigned long i = 0; i < pages;) {
		unsigned long n = 0;

		for (; n < 256 && i < pages; n++, i++) {
			fill_page(buf + n * PAGE, tag, i, 1);
		}
		for (size_t off = 0; off < n * PAGE;) {
			ssize_t w = write(fd, buf + off, n * PAGE - off);

			if (w < 0 && errno == EINTR) {
				continue;
			}
			if (w <= 0) {
				fprintf(stderr, "memload: writing %s: %s\n", path, strerror(errno));
				close(fd);
				return -1;
			}
			off += (size_t)w;
		}
	}
	if (fsync(fd) < 0 && errno != EINVAL) {
		fprintf(stderr, "memload: fsync %s: %s\n", path, strerror(errno));
	}
	return close(fd);
}

static int run(unsigned long anon_mb, unsigned long huge, const char *tmpfs_file, unsigned long tmpfs_mb,
	       const char *ready)
{
	unsigned char *anon = NULL, *hp = NULL;
	unsigned long apages = anon_mb * (1UL << 20) / PAGE;
	int fd;

	if (anon_mb) {
		anon = mmap(NULL, apages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (anon == MAP_FAILED) {
			fprintf(stderr, "memload: mmap %lu MiB anonymous: %s\n", anon_mb, strerror(errno));
			return 1;
		}
		for (unsigned long i = 0; i < apages; i++) {
			fill_page(anon + i * PAGE, "KDCANON", i, 1);
		}
	}
	if (huge) {
		hp = mmap(NULL, huge * HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1,
			  0);
		if (hp == MAP_FAILED) {
			fprintf(stderr, "memload: mmap %lu hugetlb pages: %s (vm.nr_hugepages too low?)\n", huge,
				strerror(errno));
			return 1;
		}
		for (unsigned long i = 0; i < huge * HUGE / PAGE; i++) {
			fill_page(hp + i * PAGE, "KDCHUGE", i, 0);
		}
	}
	if (tmpfs_mb && write_file(tmpfs_file, "KDCTMPF", tmpfs_mb) < 0) {
		return 1;
	}
	printf("MEMLOAD ready pid=%d anon=%p anon_mb=%lu huge=%p huge_pages=%lu tmpfs_mb=%lu\n", getpid(),
	       (void *)anon, anon_mb, (void *)hp, huge, tmpfs_mb);
	fflush(stdout);
	fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		fprintf(stderr, "memload: cannot create %s: %s\n", ready, strerror(errno));
		return 1;
	}
	close(fd);
	for (;;) {
		pause();
	}
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "run")) {
		return run(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0), argv[4], strtoul(argv[5], NULL, 0),
			   argv[6]);
	}
	if (argc == 4 && !strcmp(argv[1], "gen")) {
		return write_file(argv[2], "KDCFILE", strtoul(argv[3], NULL, 0)) < 0 ? 1 : 0;
	}
	fprintf(stderr, "usage: memload run ANON_MB HUGE_PAGES TMPFS_FILE TMPFS_MB READY_FILE\n"
			"       memload gen FILE MB\n");
	return 2;
}
