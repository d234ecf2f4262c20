/* Floors for tests/bench.sh: the least work any collector must do.
 *   benchfloor read VMCORE
 *     maps every PT_LOAD of an ELF vmcore and looks at every word of every
 *     page once (the zero-page test): the cost of reading the vmcore.
 *   benchfloor compress zlib|lzo|zstd LEVEL DUMP
 *     compresses, one page at a time in a tight loop, each page stored in
 *     DUMP, a kdump-compressed file written without compression (kdumpcap
 *     -d N): exactly the pages that level keeps, with one set-up context
 *     (zlib deflateReset, lzo1x_1_12 as kdumpcap uses, zstd with LEVEL and
 *     no content size in the frame). Pages are read from the mapped file,
 *     not copied first.
 * Prints one line "pages N in_bytes N out_bytes N cpu_s S wall_s S", where
 * out_bytes counts a page that does not shrink as stored raw. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <lzo/lzo1x.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "lib/kdumpfmt.h"
#include "lib/rd.h"

#define PAGE 4096u

struct totals {
	uint64_t pages, in, out;
};

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const uint8_t *map_file(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	void *p;

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "benchfloor: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "benchfloor: mmap %s: %s\n", path, strerror(errno));
		exit(1);
	}
	madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
	*len = (size_t)st.st_size;
	return p;
}

static void die_format(const char *path, const char *what)
{
	fprintf(stderr, "benchfloor: %s: %s\n", path, what);
	exit(1);
}

/* Every word of every page of every PT_LOAD, or-ed together per page. */
static void floor_read(const char *path, struct totals *t)
{
	size_t len;
	const uint8_t *f = map_file(path, &len);
	uint64_t phoff, phentsize, phnum;

	if (len < sizeof(Elf64_Ehdr) || memcmp(f, ELFMAG, SELFMAG) || f[EI_CLASS] != ELFCLASS64) {
		die_format(path, "not an ELF64 vmcore");
	}
	phoff = ld_le64(f + offsetof(Elf64_Ehdr, e_phoff));
	phentsize = ld_le16(f + offsetof(Elf64_Ehdr, e_phentsize));
	phnum = ld_le16(f + offsetof(Elf64_Ehdr, e_phnum));
	if (phentsize < sizeof(Elf64_Phdr) || phoff > len || phnum * phentsize > len - phoff) {
		die_format(path, "program headers out of the file");
	}
	for (uint64_t i = 0; i < phnum; i++) {
		const uint8_t *ph = f + phoff + i * phentsize;
		uint64_t off = ld_le64(ph + offsetof(Elf64_Phdr, p_offset));
		uint64_t fsz = ld_le64(ph + offsetof(Elf64_Phdr, p_filesz));

		if (ld_le32(ph + offsetof(Elf64_Phdr, p_type)) != PT_LOAD) {
			continue;
		}
		if (off > len || fsz > len - off) {
			die_format(path, "PT_LOAD beyond the end of the file");
		}
		for (uint64_t at = 0; at + PAGE <= fsz; at += PAGE) {
			const uint64_t *w = (const uint64_t *)(f + off + at);
			uint64_t acc = 0;

			for (unsigned k = 0; k < PAGE / 8; k++) {
				acc |= w[k];
			}
			t->pages++;
			t->in += PAGE;
			t->out += acc ? PAGE : 0; /* bytes of non-zero pages */
		}
	}
}

struct packer {
	int method;
	z_stream zs;
	void *lzo_mem;
	ZSTD_CCtx *zstd;
	uint8_t out[2 * PAGE];
};

enum { M_ZLIB, M_LZO, M_ZSTD };

static void packer_init(struct packer *p, const char *method, int level)
{
	memset(&p->zs, 0, sizeof(p->zs));
	if (!strcmp(method, "zlib")) {
		p->method = M_ZLIB;
		if (deflateInit(&p->zs, level) != Z_OK) {
			die_format(method, "deflateInit failed");
		}
	} else if (!strcmp(method, "lzo")) {
		p->method = M_LZO;
		p->lzo_mem = malloc(LZO1X_1_12_MEM_COMPRESS);
		if (lzo_init() != LZO_E_OK || !p->lzo_mem) {
			die_format(method, "lzo_init failed");
		}
	} else if (!strcmp(method, "zstd")) {
		p->method = M_ZSTD;
		p->zstd = ZSTD_createCCtx();
		if (!p->zstd || ZSTD_isError(ZSTD_CCtx_setParameter(p->zstd, ZSTD_c_compressionLevel, level)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(p->zstd, ZSTD_c_contentSizeFlag, 0))) {
			die_format(method, "zstd context set-up failed");
		}
	} else {
		die_format(method, "unknown method (zlib, lzo or zstd)");
	}
}

/* Compressed size of one page; PAGE when it does not shrink. */
static size_t pack(struct packer *p, const uint8_t *in)
{
	size_t n = PAGE;

	if (p->method == M_ZLIB) {
		deflateReset(&p->zs);
		p->zs.next_in = (Bytef *)in;
		p->zs.avail_in = PAGE;
		p->zs.next_out = p->out;
		p->zs.avail_out = sizeof(p->out);
		if (deflate(&p->zs, Z_FINISH) == Z_STREAM_END) {
			n = p->zs.total_out;
		}
	} else if (p->method == M_LZO) {
		lzo_uint len = sizeof(p->out);

		if (lzo1x_1_12_compress(in, PAGE, p->out, &len, p->lzo_mem) == LZO_E_OK) {
			n = len;
		}
	} else {
		size_t r = ZSTD_compress2(p->zstd, p->out, sizeof(p->out), in, PAGE);

		n = ZSTD_isError(r) ? PAGE : r;
	}
	return n < PAGE ? n : PAGE;
}

/* Every raw page a descriptor of DUMP points to, once (the zero pages of
 * -d 1 share one descriptor offset, written first). */
static void floor_compress(const char *method, int level, const char *path, struct totals *t)
{
	static struct packer p;
	size_t len;
	const uint8_t *f = map_file(path, &len);
	uint64_t bs, descs, bmap, half, ndesc = 0, last = 0;

	if (len < PAGE || memcmp(f, KDUMP_SIGNATURE, KDUMP_SIG_LEN)) {
		die_format(path, "not a kdump-compressed file");
	}
	bs = ld_le32(f + KDUMP_OFF_BLOCK_SIZE);
	bmap = (1 + (uint64_t)ld_le32(f + KDUMP_OFF_SUB_HDR_SIZE)) * bs;
	half = (uint64_t)ld_le32(f + KDUMP_OFF_BITMAP_BLOCKS) * bs / 2;
	descs = bmap + 2 * half;
	if (bs != PAGE || descs > len) {
		die_format(path, "block size is not 4096 or the bitmaps lie beyond the end");
	}
	for (uint64_t i = 0; i < half; i++) {
		ndesc += (uint64_t)__builtin_popcount(f[bmap + half + i]);
	}
	if (ndesc > (len - descs) / KDUMP_DESC_SIZE) {
		die_format(path, "page descriptors beyond the end");
	}
	packer_init(&p, method, level);
	for (uint64_t i = 0; i < ndesc; i++) {
		const uint8_t *d = f + descs + i * KDUMP_DESC_SIZE;
		uint64_t off = ld_le64(d + KDUMP_DESC_OFF_OFFSET);

		if (ld_le32(d + KDUMP_DESC_OFF_FLAGS) != 0 || ld_le32(d + KDUMP_DESC_OFF_SIZE) != PAGE || off > len - PAGE) {
			die_format(path, "a page is not stored raw: write DUMP without compression");
		}
		if (off <= last) {
			continue;
		}
		last = off;
		t->pages++;
		t->in += PAGE;
		t->out += pack(&p, f + off);
	}
}

int main(int argc, char **argv)
{
	struct totals t = { 0 };
	double c0 = now(CLOCK_PROCESS_CPUTIME_ID), w0 = now(CLOCK_MONOTONIC);

	if (argc == 3 && !strcmp(argv[1], "read")) {
		floor_read(argv[2], &t);
	} else if (argc == 5 && !strcmp(argv[1], "compress")) {
		floor_compress(argv[2], atoi(argv[3]), argv[4], &t);
	} else {
		fprintf(stderr, "usage: benchfloor read VMCORE | benchfloor compress zlib|lzo|zstd LEVEL DUMP\n");
		return 2;
	}
	printf("pages %llu in_bytes %llu out_bytes %llu cpu_s %.3f wall_s %.3f\n", (unsigned long long)t.pages,
	       (unsigned long long)t.in, (unsigned long long)t.out, now(CLOCK_PROCESS_CPUTIME_ID) - c0,
	       now(CLOCK_MONOTONIC) - w0);
	return 0;
}
