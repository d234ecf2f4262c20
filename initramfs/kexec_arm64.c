/* arm64 crash kexec_load(2) building blocks (see kexec_arm64.h). The facts
 * come from arm64's booting.rst (Image header, placement, the DTB's limits),
 * Linux's kexec_load checks (page-aligned segments inside the reservation)
 * and fs/proc/vmcore.c (p_offset is the physical address to read). */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "initramfs/fdt.h"
#include "initramfs/kexec_arm64.h"
#include "lib/rd.h"
#include "lib/sha256.h"

#define IMAGE_HDR_LEN      64
#define IMAGE_MAGIC_OFF    56
#define IMAGE_FLAG_BE      1ULL
#define IMAGE_OLD_OFFSET   0x80000ULL /* text_offset of Images without image_size */
#define DTB_ALIGN          (2ULL << 20)

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* One line "START-END : NAME" with its indentation in *depth. */
static int iomem_line(const char *l, unsigned *depth, uint64_t *start, uint64_t *end, const char **name)
{
	char *e;

	*depth = 0;
	while (l[*depth] == ' ') {
		(*depth)++;
	}
	*start = strtoull(l + *depth, &e, 16);
	if (*e != '-') {
		return -EINVAL;
	}
	*end = strtoull(e + 1, &e, 16);
	if (strncmp(e, " : ", 3) || *end < *start) {
		return -EINVAL;
	}
	*name = e + 3;
	return 0;
}

static int add_range(struct ka_ranges *rs, uint64_t start, uint64_t end)
{
	if (rs->n == KA_MAX_RANGES) {
		return -E2BIG;
	}
	rs->r[rs->n].start = start;
	rs->r[rs->n].end = end;
	rs->n++;
	return 0;
}

static bool named(const char *name, const char *want)
{
	size_t n = strlen(want);

	return !strncmp(name, want, n) && (name[n] == '\n' || name[n] == '\0');
}

int kexec_arm64_parse_iomem(const char *text, struct ka_ranges *ram, struct ka_ranges *crash)
{
	ram->n = crash->n = 0;
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		uint64_t s, e;
		unsigned depth;
		const char *name;
		int r = 0;

		if (*l == '\n') {
			continue;
		}
		if (iomem_line(l, &depth, &s, &e, &name) < 0) {
			return -EINVAL;
		}
		if (depth == 0 && named(name, "System RAM")) {
			r = add_range(ram, s, e);
		} else if (named(name, "Crash kernel")) {
			r = add_range(crash, s, e);
		}
		if (r < 0) {
			return r;
		}
	}
	return 0;
}

int kexec_arm64_subtract(const struct ka_ranges *ram, const struct ka_ranges *cut, struct ka_ranges *out)
{
	out->n = 0;
	for (unsigned i = 0; i < ram->n; i++) {
		uint64_t s = ram->r[i].start, e = ram->r[i].end;
		bool gone = false;

		for (unsigned j = 0; j < cut->n && !gone; j++) {
			const struct ka_range *c = &cut->r[j];

			if (c->end < s || c->start > e) {
				continue;
			}
			if (c->start > s && add_range(out, s, c->start - 1) < 0) {
				return -E2BIG;
			}
			if (c->end >= e) {
				gone = true;
			} else {
				s = c->end + 1;
			}
		}
		if (!gone && add_range(out, s, e) < 0) {
			return -E2BIG;
		}
	}
	return 0;
}

int kexec_arm64_image_header(const void *buf, size_t len, uint64_t *text_offset, uint64_t *image_size)
{
	const uint8_t *h = buf;
	uint64_t flags;

	if (len < IMAGE_HDR_LEN || memcmp(h + IMAGE_MAGIC_OFF, "ARM\x64", 4)) {
		return -ENOEXEC;
	}
	*text_offset = ld_le64(h + 8);
	*image_size = ld_le64(h + 16);
	flags = ld_le64(h + 24);
	/* bits 1-2 name the page size: any boots, whatever the running kernel's */
	if (flags & IMAGE_FLAG_BE) {
		return -ENOEXEC;
	}
	if (*image_size == 0) { /* before Linux 3.17: text_offset was 0x80000, no size */
		*text_offset = IMAGE_OLD_OFFSET;
		*image_size = align_up(len, KA_PAGE);
	}
	if (*text_offset % KA_PAGE || *text_offset >= KA_IMAGE_ALIGN) {
		return -ENOEXEC;
	}
	return 0;
}

static void put_load(Elf64_Phdr *ph, uint64_t paddr, uint64_t vaddr, uint64_t size)
{
	ph->p_type = PT_LOAD;
	ph->p_flags = PF_R | PF_W | PF_X;
	ph->p_offset = ph->p_paddr = paddr;
	ph->p_vaddr = vaddr;
	ph->p_filesz = ph->p_memsz = size;
}

int kexec_arm64_elfcorehdr(const struct ka_note *notes, unsigned nn, const struct ka_text *text,
			   const struct ka_ranges *ram, uint64_t linear_off, void **buf, size_t *len)
{
	size_t n = (size_t)nn + ram->n + (text->size ? 1 : 0), size = sizeof(Elf64_Ehdr) + n * sizeof(Elf64_Phdr);
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;

	if (nn > KA_MAX_NOTES || !ram->n) {
		return -EINVAL;
	}
	eh = calloc(1, size);
	if (!eh) {
		return -ENOMEM;
	}
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh->e_type = ET_CORE;
	eh->e_machine = EM_AARCH64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (Elf64_Half)n;
	ph = (Elf64_Phdr *)(eh + 1);
	for (unsigned i = 0; i < nn; i++, ph++) {
		ph->p_type = PT_NOTE;
		ph->p_offset = ph->p_paddr = notes[i].paddr;
		ph->p_filesz = ph->p_memsz = notes[i].size;
	}
	if (text->size) {
		put_load(ph++, text->paddr, text->vaddr, text->size);
	}
	for (unsigned i = 0; i < ram->n; i++, ph++) {
		put_load(ph, ram->r[i].start, ram->r[i].start + linear_off, ram->r[i].end - ram->r[i].start + 1);
	}
	*buf = eh;
	*len = size;
	return 0;
}

int kexec_arm64_place(struct ka_seg seg[KA_NR_SEGS], const struct ka_range *crash, uint64_t text_offset,
		      uint64_t image_size, uint64_t page)
{
	uint64_t at = align_up(crash->start, KA_IMAGE_ALIGN) + text_offset, limit = crash->end + 1;
	uint64_t need = image_size > seg[KA_SEG_KERNEL].bufsz ? image_size : seg[KA_SEG_KERNEL].bufsz;

	if (text_offset % page) {
		return -EINVAL; /* the Image would not start on a page */
	}
	seg[KA_SEG_KERNEL].mem = at;
	seg[KA_SEG_KERNEL].memsz = align_up(need, page);
	at += seg[KA_SEG_KERNEL].memsz;
	for (int i = KA_SEG_INITRD; i < KA_NR_SEGS; i++) {
		struct ka_seg *s = &seg[i];

		if (!s->bufsz) {
			s->mem = s->memsz = 0;
			continue;
		}
		s->memsz = align_up(s->bufsz, page);
		if (i == KA_SEG_DTB && at / DTB_ALIGN != (at + s->memsz - 1) / DTB_ALIGN) {
			at = align_up(at, DTB_ALIGN);
		}
		s->mem = at;
		at += s->memsz;
	}
	if (at < crash->start || at > limit || seg[KA_SEG_KERNEL].mem < crash->start) {
		return -ENOSPC;
	}
	return 0;
}

/* value = ranges as (address, size) pairs in the root's cells */
static int put_ranges(uint8_t *v, size_t *vlen, unsigned ac, unsigned sc, const struct ka_range *r, unsigned n)
{
	*vlen = 0;
	for (unsigned i = 0; i < n; i++) {
		if (fdt_put_cells(v + *vlen, ac, r[i].start) < 0 ||
		    fdt_put_cells(v + *vlen + 4 * ac, sc, r[i].end - r[i].start + 1) < 0) {
			return -ERANGE;
		}
		*vlen += 4 * (ac + sc);
	}
	return 0;
}

static unsigned root_cells(const void *fdt, size_t len, const char *name, unsigned dflt)
{
	const void *v;
	size_t vlen;
	const uint8_t *p;

	if (fdt_get(fdt, len, "/", name, &v, &vlen) < 0 || vlen != 4) {
		return dflt;
	}
	p = v;
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

/* Devicetree spec defaults when the root does not say */
#define DT_DEFAULT_ADDR_CELLS 2
#define DT_DEFAULT_SIZE_CELLS 1
#define RANGE_MAX_CELLS       4

int kexec_arm64_build_dtb(const void *fdt, size_t len, const struct ka_dtb_args *a, void **out, size_t *outlen)
{
	unsigned ac = root_cells(fdt, len, "#address-cells", DT_DEFAULT_ADDR_CELLS);
	unsigned sc = root_cells(fdt, len, "#size-cells", DT_DEFAULT_SIZE_CELLS);
	static uint8_t usable[KA_MAX_RANGES * 4 * 2 * RANGE_MAX_CELLS];
	uint8_t elfhdr[4 * 2 * RANGE_MAX_CELLS], istart[8], iend[8], seed[8];
	struct ka_range eh = { a->elfhdr, a->elfhdr + a->elfhdr_len - 1 };
	size_t ulen, elen;
	bool initrd = a->initrd_end > a->initrd_start;

	if (fdt_check(fdt, len) < 0 || ac > RANGE_MAX_CELLS || sc > RANGE_MAX_CELLS || !a->usable->n || !a->elfhdr_len) {
		return -EINVAL;
	}
	if (put_ranges(usable, &ulen, ac, sc, a->usable->r, a->usable->n) < 0 ||
	    put_ranges(elfhdr, &elen, ac, sc, &eh, 1) < 0) {
		return -ERANGE;
	}
	fdt_put_cells(istart, 2, a->initrd_start);
	fdt_put_cells(iend, 2, a->initrd_end);
	fdt_put_cells(seed, 2, a->seed);
	const struct fdt_edit e[] = {
		{ "bootargs", a->cmdline, strlen(a->cmdline) + 1, 0, 0 },
		{ "linux,initrd-start", istart, sizeof(istart), !initrd, 0 },
		{ "linux,initrd-end", iend, sizeof(iend), !initrd, 0 },
		{ "linux,elfcorehdr", elfhdr, elen, 0, 0 },
		{ "linux,usable-memory-range", usable, ulen, 0, 0 },
		{ "kaslr-seed", seed, sizeof(seed), 0, 1 },
		{ "rng-seed", NULL, 0, 1, 0 },
	};
	return fdt_edit_chosen(fdt, len, e, sizeof(e) / sizeof(e[0]), out, outlen);
}

int kexec_arm64_purgatory_fill(void *img, size_t len, const struct ka_seg seg[KA_NR_SEGS])
{
	static const int hashed[] = { KA_SEG_KERNEL, KA_SEG_INITRD, KA_SEG_DTB, KA_SEG_ELFHDR };
	struct purg_params p = { .magic = PURG_MAGIC };
	struct sha256 s;
	size_t off;
	uint64_t magic;

	for (off = 0; off + sizeof(p) <= len; off += sizeof(uint64_t)) {
		memcpy(&magic, (uint8_t *)img + off, sizeof(magic));
		if (magic == PURG_MAGIC) {
			break;
		}
	}
	if (off + sizeof(p) > len || !seg[KA_SEG_KERNEL].bufsz || !seg[KA_SEG_DTB].bufsz) {
		return -EINVAL;
	}
	p.kernel_entry = seg[KA_SEG_KERNEL].mem;
	p.dtb = seg[KA_SEG_DTB].mem;
	sha256_init(&s);
	for (size_t i = 0; i < sizeof(hashed) / sizeof(hashed[0]); i++) {
		const struct ka_seg *g = &seg[hashed[i]];

		if (!g->bufsz) {
			continue;
		}
		p.region[p.nr_regions].start = g->mem;
		p.region[p.nr_regions].len = g->bufsz;
		p.nr_regions++;
		sha256_update(&s, g->buf, g->bufsz);
	}
	sha256_final(&s, p.digest);
	memcpy((uint8_t *)img + off, &p, sizeof(p));
	return 0;
}
