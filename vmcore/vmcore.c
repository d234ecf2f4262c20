#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/log.h"
#include "lib/rd.h"
#include "vmcore/vmcore.h"

#define WIN_SIZE (4u << 20)
/* vmcore_map_phys maps ranges of up to WIN_SIZE from a multiple of
 * SPAN_ALIGN below them: the largest page size a host may have */
#define SPAN_ALIGN (64u << 10)
#define PHYS_BITS_MIN 32 /* a smaller NUMBER(MAX_PHYSMEM_BITS) is not believed */

static int cmp_seg(const void *a, const void *b)
{
	const struct vmcore_seg *x = a, *y = b;

	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

static int parse_notes(struct vmcore *vc)
{
	struct rd r = rd_init(vc->notes, vc->notes_len);

	while (rd_has(&r, 12)) {
		uint32_t namesz = rd_u32(&r), descsz = rd_u32(&r), type = rd_u32(&r);
		const char *name = rd_bytes(&r, namesz);
		size_t desc_off;

		rd_align(&r, 4);
		desc_off = r.off;
		rd_skip(&r, descsz);
		rd_align(&r, 4);
		if (r.err) {
			/* /proc/vmcore pads the PT_NOTE; trailing zeros end the list */
			if (namesz == 0 && descsz == 0) {
				break;
			}
			log_err("%s: ELF note at offset %zu runs past the notes (%zu bytes): corrupt vmcore",
				vc->path, desc_off, vc->notes_len);
			return -EINVAL;
		}
		if (namesz == 0 && descsz == 0 && type == 0) {
			break;
		}
		if (type == NT_PRSTATUS && namesz == 5 && !memcmp(name, "CORE", 5)) {
			vc->nr_cpus++;
		} else if (namesz == 11 && !memcmp(name, "VMCOREINFO", 11)) {
			vc->vmcoreinfo_off = desc_off;
			vc->vi.text = (const char *)vc->notes + desc_off;
			vc->vi.len = descsz;
		}
	}
	return 0;
}

/* A field of the ELF header (EH) or of a program header (PH), read
 * little-endian at its offset in Elf64_Ehdr or Elf64_Phdr. */
#define EH16(eh, f) ld_le16((eh) + offsetof(Elf64_Ehdr, f))
#define EH64(eh, f) ld_le64((eh) + offsetof(Elf64_Ehdr, f))
#define PH32(ph, f) ld_le32((ph) + offsetof(Elf64_Phdr, f))
#define PH64(ph, f) ld_le64((ph) + offsetof(Elf64_Phdr, f))

/* The ELF header: a little-endian ELF64 core of a known architecture,
 * whose program header table (*PHOFF, *PHNUM) lies in the file. */
static int check_ehdr(struct vmcore *vc, uint64_t *phoff, unsigned *phnum)
{
	uint8_t eh[sizeof(Elf64_Ehdr)];
	char names[ARCH_NAMES_MAX];
	ssize_t n = io_pread(vc->fd, eh, sizeof(eh), 0);
	unsigned type, machine, phentsize;

	if (n < 0) {
		log_err("%s: cannot read ELF header: %s", vc->path, strerror((int)-n));
		return (int)n;
	}
	if (n < (ssize_t)sizeof(eh) || memcmp(eh, ELFMAG, SELFMAG)) {
		log_err("%s: not an ELF file (no ELF magic): not a vmcore", vc->path);
		return -EINVAL;
	}
	arch_names(names, sizeof(names));
	if (eh[EI_CLASS] != ELFCLASS64 || eh[EI_DATA] != ELFDATA2LSB) {
		log_err("%s: not a little-endian ELF64 core; the vmcores read are those of %s", vc->path, names);
		return -EINVAL;
	}
	type = EH16(eh, e_type);
	machine = EH16(eh, e_machine);
	vc->arch = arch_find(machine);
	if (type != ET_CORE || !vc->arch) {
		log_err("%s: ELF type %u machine %u: expected a core (ET_CORE, 4) of %s", vc->path, type, machine,
			names);
		return -EINVAL;
	}
	*phoff = EH64(eh, e_phoff);
	phentsize = EH16(eh, e_phentsize);
	*phnum = EH16(eh, e_phnum);
	if (phentsize != sizeof(Elf64_Phdr) || *phnum == 0 || *phnum > VMCORE_MAX_SEGS + 2) {
		log_err("%s: bad program header table (%u entries of %u bytes): corrupt vmcore", vc->path, *phnum,
			phentsize);
		return -EINVAL;
	}
	if (*phoff > vc->file_size || (uint64_t)*phnum * sizeof(Elf64_Phdr) > vc->file_size - *phoff) {
		log_err("%s: program headers lie beyond the end of the file (truncated vmcore?)", vc->path);
		return -EINVAL;
	}
	return 0;
}

/* The notes of PT_NOTE segment S, after those read before. */
static int read_note_seg(struct vmcore *vc, const struct vmcore_seg *s)
{
	uint8_t *nn;

	if (s->filesz > VMCORE_MAX_NOTES || vc->notes_len + s->filesz > VMCORE_MAX_NOTES) {
		log_err("%s: ELF notes of %llu bytes: corrupt vmcore", vc->path, (unsigned long long)s->filesz);
		return -EINVAL;
	}
	if (s->offset > vc->file_size || s->filesz > vc->file_size - s->offset) {
		log_err("%s: ELF notes lie beyond the end of the file (truncated vmcore?)", vc->path);
		return -EINVAL;
	}
	nn = realloc(vc->notes, vc->notes_len + s->filesz + 1);
	if (!nn) {
		return -ENOMEM;
	}
	vc->notes = nn;
	if (io_pread(vc->fd, nn + vc->notes_len, s->filesz, s->offset) != (ssize_t)s->filesz) {
		log_err("%s: cannot read ELF notes", vc->path);
		return -EINVAL;
	}
	vc->notes_len += s->filesz;
	return 0;
}

/* Program header I (at P): notes read, memory segments kept. */
static int take_phdr(struct vmcore *vc, const uint8_t *p, unsigned i)
{
	uint32_t type = PH32(p, p_type);
	struct vmcore_seg s = {
		.offset = PH64(p, p_offset), .vaddr = PH64(p, p_vaddr), .paddr = PH64(p, p_paddr),
		.filesz = PH64(p, p_filesz), .memsz = PH64(p, p_memsz),
	};

	if (type == PT_NOTE) {
		return read_note_seg(vc, &s);
	}
	if (type == PT_LOAD) {
		if (s.filesz > s.memsz || s.paddr + s.memsz < s.paddr) {
			log_err("%s: PT_LOAD %u has file size beyond memory size or wraps: corrupt vmcore", vc->path,
				i);
			return -EINVAL;
		}
		vc->seg[vc->nseg++] = s;
	}
	return 0;
}

static int read_headers(struct vmcore *vc)
{
	uint8_t *ph;
	uint64_t phoff = 0;
	unsigned phnum = 0;
	size_t len;
	ssize_t n;
	int r = check_ehdr(vc, &phoff, &phnum);

	if (r) {
		return r;
	}
	len = (size_t)phnum * sizeof(Elf64_Phdr);
	ph = malloc(len);
	vc->seg = calloc(phnum, sizeof(*vc->seg));
	if (!ph || !vc->seg) {
		free(ph);
		return -ENOMEM;
	}
	n = io_pread(vc->fd, ph, len, phoff);
	if (n != (ssize_t)len) {
		log_err("%s: cannot read program headers: %s", vc->path, n < 0 ? strerror((int)-n) : "short read");
		r = -EINVAL;
	}
	for (unsigned i = 0; i < phnum && !r; i++) {
		r = take_phdr(vc, ph + (size_t)i * sizeof(Elf64_Phdr), i);
	}
	free(ph);
	return r;
}

/* The dead kernel's page size: VMCOREINFO's PAGESIZE, else the
 * architecture's default. An architecture of one page size (x86_64) takes
 * its own over a PAGESIZE it cannot have (corrupt VMCOREINFO: the pages are
 * still read right); a size kdumpcap cannot handle is refused, since reading
 * such a vmcore in pages of another size would misplace every page. */
static int pick_page_size(struct vmcore *vc)
{
	const struct arch_ops *a = vc->arch;
	uint64_t ps = a->page_size_default;

	if (vmci_u64(&vc->vi, "PAGESIZE", 10, &ps) && a->page_sizes == a->page_size_default &&
	    ps != a->page_size_default) {
		log_warn("%s: VMCOREINFO says PAGESIZE=%llu but %s kernels have %u-byte pages: corrupt VMCOREINFO; "
			 "reading %u-byte pages", vc->path, (unsigned long long)ps, a->machine, a->page_size_default,
			 a->page_size_default);
		ps = a->page_size_default;
	}
	if (ps == 0 || (ps & (ps - 1)) || !(ps & a->page_sizes & VMCORE_PAGE_SIZES)) { /* masks of uint32_t */
		log_err("%s: %s kernel with %llu-byte pages (VMCOREINFO PAGESIZE): kdumpcap reads vmcores of 4, 16 "
			"or 64 KiB pages", vc->path, a->machine, (unsigned long long)ps);
		return -ENOTSUP;
	}
	vc->page_size = (uint32_t)ps;
	vc->page_shift = (unsigned)__builtin_ctzll(ps);
	return 0;
}

/* Set the kernel image mapping's PT_LOAD apart (it aliases RAM another
 * PT_LOAD covers: the architecture knows it by its address), drop empty
 * ones, sort the rest by physical address. 0 or -EINVAL. */
static int pick_text(struct vmcore *vc)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vc->nseg; i++) {
		const struct vmcore_seg *s = &vc->seg[i];

		if (!vc->have_text && vc->arch->is_text(vc, s)) {
			vc->text = *s;
			vc->have_text = true;
		} else if (s->memsz) {
			vc->seg[n++] = *s;
		}
	}
	vc->nseg = n;
	if (n == 0) {
		log_err("%s: no memory segments (PT_LOAD) in the vmcore", vc->path);
		return -EINVAL;
	}
	qsort(vc->seg, vc->nseg, sizeof(*vc->seg), cmp_seg);
	return 0;
}

/* Bits of physical address the dead kernel could use: NUMBER(MAX_PHYSMEM_BITS)
 * (VMCOREINFO has it since Linux 5.9), else the architecture's default for
 * the kernel (its widest without VMCOREINFO). */
static unsigned phys_bits(const struct vmcore *vc)
{
	int64_t bits;

	if (vmci_number(&vc->vi, "MAX_PHYSMEM_BITS", &bits) && bits >= PHYS_BITS_MIN &&
	    bits <= vc->arch->phys_bits_limit) {
		return (unsigned)bits;
	}
	return vc->arch->max_physmem_bits(vc);
}

/* A PT_LOAD reaching past the physical address width has a corrupt header:
 * no memory can lie there. Keep what can be real, the part below the limit
 * that has data in the file; the rest would only make the bitmaps (sized by
 * the highest pfn) endless. false: nothing of it is left. */
static bool clip_seg(const struct vmcore *vc, struct vmcore_seg *s, unsigned bits)
{
	uint64_t limit = 1ull << bits, keep = s->filesz;

	if (s->paddr + s->memsz <= limit) {
		return true;
	}
	if (s->offset >= vc->file_size) {
		keep = 0;
	} else if (keep > vc->file_size - s->offset) {
		keep = vc->file_size - s->offset;
	}
	if (s->paddr >= limit) {
		keep = 0;
	} else if (keep > limit - s->paddr) {
		keep = limit - s->paddr;
	}
	log_warn("%s: PT_LOAD at physical 0x%llx of 0x%llx bytes reaches past the 2^%u bytes the kernel can "
		 "address (MAX_PHYSMEM_BITS): corrupt program header; keeping its first 0x%llx bytes (those with "
		 "data in the file below the limit), leaving out the rest, where no memory can be; the dump goes on",
		 vc->path, (unsigned long long)s->paddr, (unsigned long long)s->memsz, bits,
		 (unsigned long long)keep);
	s->memsz = keep;
	s->filesz = keep;
	return keep != 0;
}

/* Clip every PT_LOAD to the address width, check that none overlap, size
 * the pfn space. 0 or -EINVAL after one clear line. */
static int settle_segs(struct vmcore *vc)
{
	unsigned bits = phys_bits(vc), n = 0;

	for (unsigned i = 0; i < vc->nseg; i++) {
		if (clip_seg(vc, &vc->seg[i], bits)) {
			vc->seg[n++] = vc->seg[i];
		}
	}
	vc->nseg = n;
	if (vc->have_text) {
		vc->have_text = clip_seg(vc, &vc->text, bits);
	}
	if (n == 0) {
		log_err("%s: no memory segment (PT_LOAD) lies below the physical address limit: corrupt vmcore",
			vc->path);
		return -EINVAL;
	}
	for (unsigned i = 0; i < n; i++) {
		uint64_t end = vc->seg[i].paddr + vc->seg[i].memsz;
		uint64_t pfn_end = (end + vc->page_size - 1) >> vc->page_shift;

		if (i + 1 < n && end > vc->seg[i + 1].paddr) {
			log_err("%s: PT_LOAD segments overlap at physical 0x%llx: corrupt vmcore", vc->path,
				(unsigned long long)vc->seg[i + 1].paddr);
			return -EINVAL;
		}
		if (pfn_end > vc->max_pfn) {
			vc->max_pfn = pfn_end;
		}
	}
	return 0;
}

int vmcore_open(struct vmcore *vc, const char *path)
{
	struct stat st;
	int ret;

	memset(vc, 0, sizeof(*vc));
	vc->path = path;
	vc->fd = io_open(path, O_RDONLY, 0);
	if (vc->fd < 0) {
		log_err("cannot open vmcore %s: %s", path, strerror(-vc->fd));
		return vc->fd;
	}
	if (fstat(vc->fd, &st) < 0) {
		ret = -errno;
		goto fail;
	}
	/* /proc/vmcore reports its size; a block device or pipe would not */
	vc->file_size = (uint64_t)st.st_size;
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		log_err("%s: not a regular file with a size; give /proc/vmcore or a copy of it", path);
		ret = -EINVAL;
		goto fail;
	}
	ret = read_headers(vc);
	if (ret < 0) {
		goto fail;
	}
	ret = parse_notes(vc);
	if (ret < 0) {
		goto fail;
	}
	ret = pick_page_size(vc);
	if (ret < 0) {
		goto fail;
	}
	vc->pagebuf = malloc(vc->page_size);
	if (!vc->pagebuf) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = pick_text(vc);
	if (ret < 0) {
		goto fail;
	}
	ret = vc->arch->setup(vc);
	if (ret < 0) {
		goto fail;
	}
	ret = settle_segs(vc);
	if (ret < 0) {
		goto fail;
	}
	return 0;
fail:
	vmcore_close(vc);
	return ret;
}

static void win_drop(struct vmcore_win *w)
{
	if (w->map) {
		munmap(w->map, w->len);
	}
	w->map = NULL;
	w->len = 0;
}

void vmcore_close(struct vmcore *vc)
{
	win_drop(&vc->data);
	win_drop(&vc->meta);
	win_drop(&vc->spans);
	free(vc->ptc);
	if (vc->fd >= 0) {
		close(vc->fd);
	}
	free(vc->seg);
	free(vc->notes);
	free(vc->pagebuf);
	memset(vc, 0, sizeof(*vc));
	vc->fd = -1;
}

int vmcore_view(const struct vmcore *vc, struct vmcore *view)
{
	*view = *vc;
	view->data = (struct vmcore_win){ 0 };
	view->meta = (struct vmcore_win){ 0 };
	view->spans = (struct vmcore_win){ 0 };
	view->ptc = NULL;
	view->pagebuf = malloc(vc->page_size);
	return view->pagebuf ? 0 : -ENOMEM;
}

void vmcore_view_close(struct vmcore *view)
{
	win_drop(&view->data);
	win_drop(&view->meta);
	win_drop(&view->spans);
	free(view->ptc);
	view->ptc = NULL;
	free(view->pagebuf);
	view->pagebuf = NULL;
}

/* Index of the first segment ending above paddr (segments are sorted and
 * disjoint, so their ends are sorted too); nseg when none does. */
static unsigned seg_from(const struct vmcore *vc, uint64_t paddr)
{
	unsigned lo = 0, hi = vc->nseg;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct vmcore_seg *s = &vc->seg[mid];

		if (paddr >= s->paddr && paddr - s->paddr >= s->memsz) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

const struct vmcore_seg *vmcore_seg_of(const struct vmcore *vc, uint64_t paddr)
{
	unsigned i = seg_from(vc, paddr);

	return i < vc->nseg && vc->seg[i].paddr <= paddr ? &vc->seg[i] : NULL;
}

bool vmcore_pfn_present(const struct vmcore *vc, uint64_t pfn)
{
	uint64_t paddr = pfn << vc->page_shift;
	unsigned i = seg_from(vc, paddr);

	return i < vc->nseg && vc->seg[i].paddr < paddr + vc->page_size;
}

/* Pointer to n bytes at file offset off through window w; NULL when the
 * range crosses the window's natural boundary or mmap is unavailable. */
static const uint8_t *win_get(struct vmcore *vc, struct vmcore_win *w, uint64_t off, size_t n, int *err)
{
	uint64_t base = off & ~(uint64_t)(WIN_SIZE - 1);
	size_t len;

	*err = 0;
	if (__atomic_load_n(&vc->no_mmap, __ATOMIC_RELAXED) || off + n > base + WIN_SIZE || off + n > vc->file_size) {
		return NULL;
	}
	if (w->map && w->off == base) {
		return w->map + (off - base);
	}
	win_drop(w);
	len = (size_t)(vc->file_size - base < WIN_SIZE ? vc->file_size - base : WIN_SIZE);
	w->map = io_mmap_ro(vc->fd, len, base, err);
	if (!w->map) {
		log_debug("mmap of %s failed (%s); reading with pread", vc->path, strerror(-*err));
		__atomic_store_n(&vc->no_mmap, true, __ATOMIC_RELAXED); /* page threads share it */
		*err = 0;
		return NULL;
	}
	w->off = base;
	w->len = len;
	return w->map + (off - base);
}

/* Only the range is mapped, and only until vmcore_unmap_phys: the page
 * filter's struct pages stay out of the collector's resident set once
 * classified. */
const void *vmcore_map_phys(struct vmcore *vc, uint64_t paddr, size_t n)
{
	const struct vmcore_seg *s = vmcore_seg_of(vc, paddr);
	uint64_t rel = s ? paddr - s->paddr : 0, off, base;
	int err;

	win_drop(&vc->spans);
	if (!s || n == 0 || n > WIN_SIZE || rel > s->filesz || n > s->filesz - rel ||
	    __atomic_load_n(&vc->no_mmap, __ATOMIC_RELAXED)) {
		return NULL;
	}
	off = s->offset + rel;
	base = off & ~(uint64_t)(SPAN_ALIGN - 1);
	if (off > vc->file_size || n > vc->file_size - off) {
		return NULL; /* a truncated file: copying says so */
	}
	vc->spans.map = io_mmap_ro(vc->fd, (size_t)(off + n - base), base, &err);
	if (!vc->spans.map) {
		return NULL;
	}
	vc->spans.off = base;
	vc->spans.len = (size_t)(off + n - base);
	return vc->spans.map + (off - base);
}

void vmcore_unmap_phys(struct vmcore *vc)
{
	win_drop(&vc->spans);
}

/* Copy [paddr, paddr+n) from a single segment into buf. */
static int seg_copy(struct vmcore *vc, struct vmcore_win *w, const struct vmcore_seg *s, uint64_t paddr, void *buf,
		    size_t n)
{
	uint64_t rel = paddr - s->paddr;
	size_t in_file = rel >= s->filesz ? 0 : (size_t)(s->filesz - rel < n ? s->filesz - rel : n);
	uint64_t off = s->offset + rel;
	const uint8_t *p;
	int err;

	if (in_file) {
		if (off > vc->file_size || in_file > vc->file_size - off) {
			return -EIO; /* truncated file */
		}
		p = w ? win_get(vc, w, off, in_file, &err) : NULL;
		if (p) {
			memcpy(buf, p, in_file);
		} else {
			ssize_t k = io_pread(vc->fd, buf, in_file, off);
			if (k < 0) {
				return (int)k;
			}
			if ((size_t)k != in_file) {
				return -EIO;
			}
		}
	}
	memset((uint8_t *)buf + in_file, 0, n - in_file);
	return 0;
}

/* Copy [paddr, paddr+n) from every segment that holds part of it. Bytes in
 * no segment read as zero when holes_zero, else make it fail with -ENOENT;
 * -ENOENT too when no segment holds any of it. */
static int copy_phys(struct vmcore *vc, struct vmcore_win *w, uint64_t paddr, uint8_t *buf, size_t n,
		     bool holes_zero)
{
	uint64_t end = paddr + n, pos = paddr;
	unsigned i = seg_from(vc, paddr);
	bool any = false;

	if (n == 0) {
		return 0;
	}
	if (end < paddr) {
		return -ENOENT; /* wraps: no memory there */
	}
	for (; i < vc->nseg && vc->seg[i].paddr < end; i++) {
		const struct vmcore_seg *s = &vc->seg[i];
		uint64_t a = s->paddr > pos ? s->paddr : pos;
		uint64_t b = s->paddr + s->memsz < end ? s->paddr + s->memsz : end;
		int r;

		if (a > pos && !holes_zero) {
			return -ENOENT;
		}
		memset(buf + (pos - paddr), 0, (size_t)(a - pos));
		r = seg_copy(vc, w, s, a, buf + (a - paddr), (size_t)(b - a));
		if (r) {
			return r;
		}
		pos = b;
		any = true;
	}
	if (!any || (pos < end && !holes_zero)) {
		return -ENOENT;
	}
	memset(buf + (pos - paddr), 0, (size_t)(end - pos));
	return 0;
}

const void *vmcore_page_in(struct vmcore *vc, struct vmcore_win *w, uint8_t *buf, uint64_t pfn, int *err)
{
	uint64_t paddr = pfn << vc->page_shift;
	const struct vmcore_seg *s = vmcore_seg_of(vc, paddr);
	const uint8_t *p;

	if (s && paddr - s->paddr + vc->page_size <= s->filesz) {
		uint64_t off = s->offset + (paddr - s->paddr);

		if (off + vc->page_size <= vc->file_size) {
			p = win_get(vc, w, off, vc->page_size, err);
			if (p) {
				return p;
			}
		}
	}
	/* a page shared by segments, partly in a hole or past file data, or no mmap */
	*err = copy_phys(vc, w, paddr, buf, vc->page_size, true);
	return *err ? NULL : buf;
}

const void *vmcore_page(struct vmcore *vc, uint64_t pfn, int *err)
{
	return vmcore_page_in(vc, &vc->data, vc->pagebuf, pfn, err);
}

void vmcore_win_drop(struct vmcore_win *w)
{
	win_drop(w);
}

int vmcore_read_phys(struct vmcore *vc, uint64_t paddr, void *buf, size_t n)
{
	return copy_phys(vc, &vc->meta, paddr, buf, n, false);
}

/* A walk reads one entry per level, each level's table in another part of
 * memory: through one mmap window that would map a new 4 MiB at every step.
 * The tables' blocks are read with pread into a few slots instead, where
 * the next walk finds the upper levels again. */
#define PT_BLOCK 4096u
#define PT_SLOTS 8u

struct vmcore_ptcache {
	uint64_t base[PT_SLOTS];
	bool valid[PT_SLOTS];
	unsigned next; /* the slot to refill next (round robin) */
	uint8_t blk[PT_SLOTS][PT_BLOCK];
};

static int pt_slot(struct vmcore *vc, struct vmcore_ptcache *c, uint64_t base, unsigned *slot)
{
	unsigned i;
	int r;

	for (i = 0; i < PT_SLOTS; i++) {
		if (c->valid[i] && c->base[i] == base) {
			*slot = i;
			return 0;
		}
	}
	i = c->next;
	c->next = (i + 1) % PT_SLOTS;
	c->valid[i] = false;
	r = copy_phys(vc, NULL, base, c->blk[i], PT_BLOCK, false);
	if (r) {
		return r;
	}
	c->base[i] = base;
	c->valid[i] = true;
	*slot = i;
	return 0;
}

int vmcore_read_pte(struct vmcore *vc, uint64_t paddr, uint64_t *entry)
{
	uint64_t base = paddr & ~(uint64_t)(PT_BLOCK - 1);
	unsigned slot;

	if (!vc->ptc) {
		vc->ptc = calloc(1, sizeof(*vc->ptc));
	}
	if (!vc->ptc || paddr - base > PT_BLOCK - sizeof(*entry) || pt_slot(vc, vc->ptc, base, &slot)) {
		/* no memory for the cache, or a block partly in a hole: read the entry alone */
		return copy_phys(vc, &vc->meta, paddr, (uint8_t *)entry, sizeof(*entry), false);
	}
	memcpy(entry, vc->ptc->blk[slot] + (paddr - base), sizeof(*entry));
	return 0;
}

int vmcore_vtop_span(struct vmcore *vc, uint64_t vaddr, uint64_t *paddr, uint64_t *span)
{
	uint64_t size = vc->page_size;
	int r = vc->arch->vtop(vc, vaddr, paddr, &size);

	if (r == 0) {
		*span = size - (vaddr & (size - 1));
		return 0;
	}
	for (unsigned i = 0; i < vc->nseg; i++) {
		const struct vmcore_seg *s = &vc->seg[i];

		if (s->vaddr && s->vaddr != UINT64_MAX && vaddr >= s->vaddr && vaddr - s->vaddr < s->memsz) {
			*paddr = s->paddr + (vaddr - s->vaddr);
			*span = vc->page_size - (vaddr & (vc->page_size - 1));
			return 0;
		}
	}
	return r;
}

int vmcore_vtop(struct vmcore *vc, uint64_t vaddr, uint64_t *paddr)
{
	uint64_t span;

	return vmcore_vtop_span(vc, vaddr, paddr, &span);
}

int vmcore_read_virt(struct vmcore *vc, uint64_t vaddr, void *buf, size_t n)
{
	uint8_t *out = buf;

	while (n) {
		size_t chunk = vc->page_size - (vaddr & (vc->page_size - 1));
		uint64_t pa;
		int r;

		if (chunk > n) {
			chunk = n;
		}
		r = vmcore_vtop(vc, vaddr, &pa);
		if (!r) {
			r = vmcore_read_phys(vc, pa, out, chunk);
		}
		if (r) {
			return r;
		}
		out += chunk;
		vaddr += chunk;
		n -= chunk;
	}
	return 0;
}

int vmcore_read_u64(struct vmcore *vc, uint64_t vaddr, uint64_t *out)
{
	uint8_t b[8];
	int r = vmcore_read_virt(vc, vaddr, b, 8);

	if (!r) {
		*out = ld_le64(b);
	}
	return r;
}
