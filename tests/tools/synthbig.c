/* A synthetic vmcore of a big, mostly idle machine, for tests/bench.sh's
 * scale runs (time linear in RAM, peak memory flat):
 *   synthbig OUT GIB
 * One PT_LOAD of GIB GiB of RAM at physical 0 in a sparse file: page
 * tables and a mem_section with every section present (tests/synth/synthmm.h),
 * the vmemmap's struct pages (1/64 of RAM) right after, then 256 MiB of
 * kernel data (a quarter zero pages, the rest half random, half zero), and
 * free buddy blocks of order 10 up to the end. Only the struct pages that
 * say something and the data take disk space: 1 TiB needs about 1.5 GB.
 * Written to OUT.tmp, then renamed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/rd.h"
#include "tests/synth/synthmm.h"
#include "tests/synth/synthvm.h"

#define PAGE 4096ull
#define GIB (1ull << 30)
#define MAX_GIB 4096ull           /* 4 TiB: MAX_PHYSMEM_BITS 46 allows 64 */
#define MEMSEC_PA 0x100000ull     /* mem_section roots; 1 TiB needs 33 pages */
#define MEMMAP_PA (16ull << 20)   /* struct pages, 2 MiB aligned (huge vmemmap) */
#define DATA_BYTES (256ull << 20) /* kernel data the dump keeps */
#define FREE_ORDER 10             /* LENGTH(zone.free_area)=11 */
#define FREE_BLOCK (PAGE << FREE_ORDER)
#define PAGE_PRIVATE 40 /* OFFSET(page.private) */

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next_rand(void)
{
	return synthmm_rand(&rng);
}

/* The ELF header and VMCOREINFO note for GIB GiB of RAM; its length in *HDR. */
static uint8_t *elf_head(uint64_t ram, size_t *hdr)
{
	static uint8_t one_page[PAGE];
	char text[4096];
	size_t len;
	uint8_t *img;

	if (synthmm_vmcoreinfo(text, sizeof(text), MEMSEC_PA) < 0) {
		return NULL;
	}
	img = synthvm_image(text, one_page, PAGE, 0, SYNTHMM_DMAP, &len);
	if (!img) {
		return NULL;
	}
	*hdr = len - PAGE;
	/* the RAM PT_LOAD is the 2nd program header: p_filesz and p_memsz */
	st_le64(img + 64 + 56 + 32, ram);
	st_le64(img + 64 + 56 + 40, ram);
	return img;
}

static void fill_data(const struct synthmm *m, uint64_t pa)
{
	for (uint64_t at = 0; at < DATA_BYTES; at += PAGE) {
		uint8_t *p = m->mem + pa + at;

		if (at / PAGE % 4 == 0) {
			continue; /* a zero page */
		}
		for (unsigned i = 0; i < PAGE / 2; i += 8) {
			st_le64(p + i, next_rand());
		}
	}
}

/* The buddy heads of the free blocks, written with pwrite: ext4 allocates
 * the whole range a shared mapping dirties here and there (1 TiB: 16 GB). */
static int write_free_heads(int fd, size_t hdr, uint64_t free_pfn, uint64_t npfn)
{
	static uint8_t page[64];
	struct synthmm one = { .mem = page, .memmap_pa = 0 };

	synthmm_page_set(&one, 0, 0, 0, -129, 0); /* PAGE_BUDDY_MAPCOUNT_VALUE */
	st_le64(synthmm_page(&one, 0) + PAGE_PRIVATE, FREE_ORDER);
	for (uint64_t p = free_pfn; p < npfn; p += 1ull << FREE_ORDER) {
		if (pwrite(fd, page, sizeof(page), (off_t)(hdr + MEMMAP_PA + p * 64)) != (ssize_t)sizeof(page)) {
			return -1;
		}
	}
	return 0;
}

static int build(const char *path, uint64_t gib)
{
	uint64_t ram = gib * GIB, npfn = ram / PAGE;
	uint64_t data_pa = (MEMMAP_PA + npfn * 64 + FREE_BLOCK - 1) & ~(FREE_BLOCK - 1);
	uint64_t free_pa = data_pa + DATA_BYTES;
	size_t hdr = 0;
	uint8_t *head = elf_head(ram, &hdr);
	struct synthmm m = { .memmap_pa = MEMMAP_PA };
	int fd, r = 0;

	if (!head) {
		return -ENOMEM;
	}
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || pwrite(fd, head, hdr, 0) != (ssize_t)hdr || ftruncate(fd, (off_t)(hdr + ram)) < 0) {
		r = -errno;
		goto out;
	}
	m.mem = mmap(NULL, free_pa, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)hdr);
	if (m.mem == MAP_FAILED) {
		r = -errno;
		goto out;
	}
	synthmm_tables(&m, npfn, MEMSEC_PA, true);
	for (uint64_t p = 0; p < free_pa / PAGE; p++) {
		synthmm_page_set(&m, p, 0, 0, -1, 1); /* kernel memory: kept */
	}
	fill_data(&m, data_pa);
	if (msync(m.mem, free_pa, MS_SYNC) < 0) {
		r = -errno;
	}
	munmap(m.mem, free_pa);
	if (!r && (write_free_heads(fd, hdr, free_pa / PAGE, npfn) < 0 || fsync(fd) < 0)) {
		r = -errno;
	}
out:
	if (fd >= 0 && close(fd) < 0 && !r) {
		r = -errno;
	}
	free(head);
	return r;
}

int main(int argc, char **argv)
{
	char tmp[4096];
	char *end;
	unsigned long long gib = argc == 3 ? strtoull(argv[2], &end, 10) : 0;
	int r;

	if (argc != 3 || *end || gib < 1 || gib > MAX_GIB) {
		fprintf(stderr, "usage: synthbig OUT GIB (1 to %llu)\n", MAX_GIB);
		return 2;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	r = build(tmp, gib);
	if (!r && rename(tmp, argv[1]) < 0) {
		r = -errno;
	}
	if (r) {
		fprintf(stderr, "synthbig: %s: %s\n", argv[1], strerror(-r));
		unlink(tmp);
		return 1;
	}
	return 0;
}
