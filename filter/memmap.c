#include <errno.h>
#include <string.h>

#include "filter/memmap.h"
#include "lib/log.h"
#include "lib/rd.h"

/* mem_section.section_mem_map: the low bits are flags (PRESENT is bit 0);
 * SECTION_MAP_LAST_BIT has been 1 << 5 or lower since Linux 4.13, so
 * masking five bits is right for every kernel with VMCOREINFO. */
#define SECTION_MARKED_PRESENT 1ull
#define SECTION_MAP_MASK (~31ull)

bool memmap_is_kaddr(const struct memmap *m, uint64_t v)
{
	return v >= m->kmin && v < m->kmax;
}

uint64_t memmap_section_end(const struct memmap *m, uint64_t pfn)
{
	return ((pfn >> m->sec_shift) + 1) << m->sec_shift;
}

static int read_u64(struct memmap *m, uint64_t va, uint64_t *out)
{
	uint8_t b[8];
	int r;

	if (!memmap_is_kaddr(m, va)) {
		return -EFAULT;
	}
	r = vmcore_read_virt(m->vc, va, b, sizeof(b));
	if (r) {
		return r;
	}
	*out = ld_le64(b);
	return 0;
}

/* mem_map base of section sec such that base + pfn * SIZE(page) is the
 * struct page of pfn (the kernel stores mem_map minus the section's first
 * pfn, see sparse_encode_mem_map()). */
static int section_base(struct memmap *m, uint64_t roots, uint64_t sec, uint64_t *base)
{
	uint64_t ms, map;
	int r;

	if (sec >= m->nr_sections) {
		return -ENOENT;
	}
	if (m->extreme) {
		uint64_t root;

		r = read_u64(m, roots + (sec / m->per_root) * 8, &root);
		if (r) {
			return -EIO;
		}
		if (root == 0) {
			return -ENOENT;
		}
		ms = root + (sec % m->per_root) * m->ms_size;
	} else {
		ms = roots + sec * m->ms_size;
	}
	r = read_u64(m, ms + m->ms_map_off, &map);
	if (r) {
		return -EIO;
	}
	if (!(map & SECTION_MARKED_PRESENT)) {
		return -ENOENT;
	}
	*base = map & SECTION_MAP_MASK;
	/* the struct pages of the section must lie in kernel space */
	if (!memmap_is_kaddr(m, *base + (sec << m->sec_shift) * m->page_size)) {
		return -EIO;
	}
	return 0;
}

static int memmap_base(struct memmap *m, uint64_t sec, uint64_t *base)
{
	if (!m->cur_valid || m->cur_sec != sec) {
		m->cur_sec = sec;
		m->cur_ret = section_base(m, m->roots, sec, &m->cur_base);
		m->cur_valid = true;
	}
	*base = m->cur_base;
	return m->cur_ret;
}

int memmap_vaddr(struct memmap *m, uint64_t pfn, uint64_t *vaddr)
{
	uint64_t base;
	int r = memmap_base(m, pfn >> m->sec_shift, &base);

	if (r) {
		return r;
	}
	*vaddr = base + pfn * m->page_size;
	return 0;
}

/* How many of the sections holding the first pages of (up to 64) RAM
 * segments have a mem_map when mem_section is read from ROOTS; *all: every
 * one of them. A segment whose section has none (memory the kernel never
 * gave struct pages) keeps its pages; it must not turn filtering off. */
static unsigned roots_found(struct memmap *m, uint64_t roots, bool *all)
{
	uint64_t last = UINT64_MAX, base;
	unsigned checked = 0, found = 0;

	for (unsigned i = 0; i < m->vc->nseg && checked < 64; i++) {
		uint64_t sec = (m->vc->seg[i].paddr >> m->vc->page_shift) >> m->sec_shift;

		if (sec == last) {
			continue;
		}
		last = sec;
		checked++;
		found += section_base(m, roots, sec, &base) == 0;
	}
	*all = found == checked;
	return found;
}

/* Which reading of SYMBOL(mem_section) describes the vmcore's RAM: the one
 * that finds every segment's section, else the one that finds more. */
static int pick_roots(struct memmap *m, uint64_t sym)
{
	uint64_t ptr = 0;
	bool all_direct, all_ptr = false;
	unsigned direct = roots_found(m, sym, &all_direct), viaptr = 0;

	if (direct && all_direct) {
		m->roots = sym;
		return 0;
	}
	if (m->extreme && read_u64(m, sym, &ptr) == 0) {
		viaptr = roots_found(m, ptr, &all_ptr);
	}
	if (!direct && !viaptr) {
		return -EINVAL;
	}
	m->roots = viaptr > direct ? ptr : sym;
	if (!(viaptr > direct ? all_ptr : all_direct)) {
		log_debug("page filter: some PT_LOADs have no mem_map; their pages are kept");
	}
	return 0;
}

int memmap_init(struct memmap *m, struct vmcore *vc, const char **why)
{
	const struct vmcoreinfo *vi = &vc->vi;
	/* the architecture's values when VMCOREINFO predates
	 * NUMBER(SECTION_SIZE_BITS) (Linux 5.8) or NUMBER(MAX_PHYSMEM_BITS) (5.1) */
	int64_t ssb = vc->arch->section_size_bits;
	int64_t mpb = vc->arch->max_physmem_bits(vc);
	uint64_t sym, len;

	memset(m, 0, sizeof(*m));
	m->vc = vc;
	vc->arch->kaddr_range(vc, &m->kmin, &m->kmax);
	if (!vmci_size(vi, "page", &m->page_size) || m->page_size < 16 || m->page_size > 1024) {
		*why = "VMCOREINFO has no usable SIZE(page)";
		return -ENOTSUP;
	}
	if (!vmci_symbol(vi, "mem_section", &sym)) {
		*why = "VMCOREINFO has no SYMBOL(mem_section) (not a SPARSEMEM kernel?)";
		return -ENOTSUP;
	}
	if (!vmci_size(vi, "mem_section", &m->ms_size) || m->ms_size < 8 || m->ms_size > 4096 ||
	    !vmci_offset(vi, "mem_section.section_mem_map", &m->ms_map_off) || m->ms_map_off + 8 > m->ms_size) {
		*why = "VMCOREINFO has no usable SIZE(mem_section) / OFFSET(mem_section.section_mem_map)";
		return -ENOTSUP;
	}
	vmci_number(vi, "SECTION_SIZE_BITS", &ssb);
	vmci_number(vi, "MAX_PHYSMEM_BITS", &mpb);
	if (ssb <= vc->page_shift || ssb > 40 || mpb < ssb || mpb > 56 || mpb - ssb > 40) {
		*why = "VMCOREINFO has impossible SECTION_SIZE_BITS / MAX_PHYSMEM_BITS";
		return -ENOTSUP;
	}
	m->sec_shift = (unsigned)(ssb - vc->page_shift);
	m->nr_sections = 1ull << (mpb - ssb);
	/* EXTREME when LENGTH(mem_section) counts roots of a page of sections each */
	m->per_root = vc->page_size / m->ms_size;
	m->extreme = !vmci_length(vi, "mem_section", &len) ||
		     len == (m->nr_sections + m->per_root - 1) / m->per_root;
	if (!m->extreme) {
		m->per_root = 1;
	}
	/* VMCOREINFO gives the root array itself; some kernels (and vmlinux)
	 * give the address of the pointer to it */
	if (pick_roots(m, sym) == 0) {
		return 0;
	}
	*why = "mem_section does not describe the vmcore's RAM (unreadable or inconsistent entries)";
	return -EINVAL;
}

int memmap_map(struct memmap *m, uint64_t pfn, uint64_t n, const uint8_t **out)
{
	uint64_t va, pa0 = 0, len = n * m->page_size;
	int r = memmap_vaddr(m, pfn, &va);

	/* one translation block (a 2 MiB vmemmap page), or several that follow
	 * each other in physical memory too (4 KiB or 64 KiB vmemmap pages) */
	for (uint64_t done = 0, pa, span; !r && done < len; done += span) {
		r = vmcore_vtop_span(m->vc, va + done, &pa, &span);
		if (!r && done == 0) {
			pa0 = pa;
		} else if (!r && pa != pa0 + done) {
			r = -ERANGE;
		}
	}
	if (r) {
		return r;
	}
	*out = vmcore_map_phys(m->vc, pa0, (size_t)len);
	return *out ? 0 : -ENOENT;
}

int64_t memmap_read(struct memmap *m, uint64_t pfn, uint64_t n, uint8_t *buf, uint8_t *ok)
{
	uint64_t va, len = n * m->page_size, done = 0, slow_until = 0;
	uint64_t pg = m->vc->page_size; /* a memory page (m->page_size is a struct page's) */
	int64_t good = 0;
	int r = memmap_vaddr(m, pfn, &va);

	if (r) {
		memset(ok, 0, n);
		return r;
	}
	memset(ok, 1, n);
	while (done < len) {
		uint64_t pa, span, chunk;

		r = vmcore_vtop_span(m->vc, va + done, &pa, &span);
		if (r) {
			/* not mapped: skip to the next page of the mem_map */
			span = pg - ((va + done) & (pg - 1));
		}
		if (done < slow_until && span > pg) {
			span = pg - ((va + done) & (pg - 1));
		}
		chunk = span < len - done ? span : len - done;
		if (!r) {
			r = vmcore_read_phys(m->vc, pa, buf + done, (size_t)chunk);
			if (r && chunk > pg) {
				/* a large mapping partly outside the vmcore: retry page by page */
				slow_until = done + chunk;
				chunk = pg - ((va + done) & (pg - 1));
				r = vmcore_read_phys(m->vc, pa, buf + done, (size_t)chunk);
			}
		}
		if (r) {
			/* what was not read reads as zero, its pfns as not read */
			uint64_t a = done / m->page_size;
			uint64_t b = (done + chunk + m->page_size - 1) / m->page_size;

			memset(buf + done, 0, (size_t)chunk);
			memset(ok + a, 0, (size_t)(b - a));
		}
		done += chunk;
	}
	for (uint64_t i = 0; i < n; i++) {
		good += ok[i];
	}
	return good ? good : -EIO;
}
