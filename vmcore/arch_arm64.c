/* arm64: the kernel image mapped at kimage_voffset above its physical
 * address, the linear map and the vmemmap in swapper_pg_dir (TTBR1), all
 * given by VMCOREINFO (NUMBER(VA_BITS), NUMBER(TCR_EL1_T1SZ),
 * NUMBER(kimage_voffset), NUMBER(PHYS_OFFSET)). The walk knows the 4 KiB
 * granule with 39- or 48-bit VA (3 or 4 levels, 1G/2M blocks); other
 * layouts are named once and everything reached only through page tables
 * (the struct pages) is unreadable, so the filter keeps every page. */
#include <errno.h>

#include "lib/log.h"
#include "vmcore/arch.h"
#include "vmcore/vmcore.h"

#define EM_AARCH64 183
/* the architecture's widest physical address (LPA); MAX_PHYSMEM_BITS
 * without ARM64_PA_BITS_52 */
#define PHYS_BITS_MAX 52
#define PHYS_BITS_48 48
/* SECTION_SIZE_BITS before Linux 5.12 (VMCOREINFO has it since 5.8) */
#define SECTION_SIZE_BITS 30
#define VA_BITS_DEFAULT 48
/* CONFIG_ARM64_4K_PAGES, 16K, 64K */
#define PAGE_SIZES (0x1000u | 0x4000u | 0x10000u)
/* the granule the walk knows: 4 KiB, 3 levels for 39-bit VA, 4 for 48 */
#define GRANULE_SHIFT 12
#define GRANULE (1u << GRANULE_SHIFT)
#define VA_BITS_3LEVEL 39
#define VA_BITS_4LEVEL 48
#define PT_INDEX_BITS 9
#define PT_ENTRIES 512
#define LAST_LEVEL 3
#define DESC_VALID 0x1ull
#define DESC_TYPE_MASK 0x3ull
#define DESC_BLOCK 0x1ull   /* levels 1 and 2 */
#define DESC_TABLE 0x3ull   /* levels 0 to 2; a page at level 3 */
#define DESC_OA_MASK 0x0000fffffffff000ull /* output address bits [47:12] */
#define T1SZ_BITS 64

/* NUMBER(KEY) in hex when written 0x..., decimal otherwise (arm64's
 * VMCOREINFO mixes both) */
static bool number(const struct vmcore *vc, const char *key, uint64_t *out)
{
	const char *v;
	size_t len;

	if (!vmci_raw(&vc->vi, key, &v, &len)) {
		return false;
	}
	return vmci_u64(&vc->vi, key, len > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') ? 16 : 10, out);
}

static bool arm64_is_text(const struct vmcore *vc, const struct vmcore_seg *s)
{
	uint64_t voff;

	return number(vc, "NUMBER(kimage_voffset)", &voff) && s->vaddr - s->paddr == voff;
}

/* Which layout the walk supports; a warning naming the one it does not. */
static bool walk_supported(struct vmcore *vc, uint64_t t1sz)
{
	uint64_t sym;

	if (vc->page_size != GRANULE) {
		log_warn("%s: arm64 kernel with %u-byte pages: the page-table walk knows 4 KiB pages; memory reached "
			 "only through page tables cannot be read", vc->path, vc->page_size);
		return false;
	}
	if (!vc->as.arm64.va_bits || !vc->as.arm64.have_kimage_voffset || !vmci_symbol(&vc->vi, "swapper_pg_dir", &sym)) {
		log_warn("%s: VMCOREINFO lacks NUMBER(VA_BITS), NUMBER(kimage_voffset) or SYMBOL(swapper_pg_dir): "
			 "the arm64 page tables cannot be walked", vc->path);
		return false;
	}
	vc->as.arm64.pgd = sym - vc->as.arm64.kimage_voffset;
	if ((vc->as.arm64.va_bits != VA_BITS_3LEVEL && vc->as.arm64.va_bits != VA_BITS_4LEVEL) ||
	    (t1sz && T1SZ_BITS - t1sz != vc->as.arm64.va_bits)) {
		log_warn("%s: arm64 kernel with VA_BITS=%u (TCR_EL1_T1SZ=%llu): the page-table walk knows 39- and "
			 "48-bit VA with 4 KiB pages; memory reached only through page tables cannot be read",
			 vc->path, vc->as.arm64.va_bits, (unsigned long long)t1sz);
		return false;
	}
	return true;
}

static int arm64_setup(struct vmcore *vc)
{
	uint64_t v, t1sz = 0;

	if (number(vc, "NUMBER(PHYS_OFFSET)", &v)) {
		vc->phys_base = v;
	} else {
		vc->phys_base = vc->seg[0].paddr; /* the lowest RAM, as makedumpfile */
	}
	vc->have_phys_base = true;
	if (number(vc, "NUMBER(kimage_voffset)", &v)) {
		vc->as.arm64.kimage_voffset = v;
		vc->as.arm64.have_kimage_voffset = true;
	} else if (vc->have_text) {
		vc->as.arm64.kimage_voffset = vc->text.vaddr - vc->text.paddr;
		vc->as.arm64.have_kimage_voffset = true;
	}
	if (number(vc, "NUMBER(VA_BITS)", &v) && v > PT_INDEX_BITS && v < T1SZ_BITS) {
		vc->as.arm64.va_bits = (unsigned)v;
	}
	number(vc, "NUMBER(TCR_EL1_T1SZ)", &t1sz);
	vc->as.arm64.walk_ok = vc->vi.len && walk_supported(vc, t1sz);
	return 0;
}

static unsigned arm64_max_physmem_bits(const struct vmcore *vc)
{
	return vc->vi.len ? PHYS_BITS_48 : PHYS_BITS_MAX;
}

/* Walk swapper_pg_dir; *size is the size of the page or block mapping vaddr. */
static int walk(struct vmcore *vc, uint64_t vaddr, uint64_t *paddr, uint64_t *size)
{
	unsigned levels = (vc->as.arm64.va_bits - 4) / PT_INDEX_BITS; /* ARM64_HW_PGTABLE_LEVELS */
	uint64_t table = vc->as.arm64.pgd, d = 0;

	if (!vc->as.arm64.walk_ok) {
		return -ENOTSUP;
	}
	if (vaddr >> vc->as.arm64.va_bits != UINT64_MAX >> vc->as.arm64.va_bits) {
		return -EFAULT; /* not a TTBR1 (kernel) address */
	}
	for (unsigned lvl = LAST_LEVEL + 1 - levels; lvl <= LAST_LEVEL; lvl++) {
		unsigned shift = GRANULE_SHIFT + PT_INDEX_BITS * (LAST_LEVEL - lvl);
		uint64_t idx = (vaddr >> shift) & (PT_ENTRIES - 1);
		int r = vmcore_read_phys(vc, table + idx * 8, &d, 8);

		if (r) {
			return r;
		}
		if (!(d & DESC_VALID)) {
			return -EFAULT;
		}
		if (lvl == LAST_LEVEL || (d & DESC_TYPE_MASK) == DESC_BLOCK) {
			uint64_t mask = (1ull << shift) - 1;

			if ((lvl == LAST_LEVEL) != ((d & DESC_TYPE_MASK) == DESC_TABLE) || lvl == 0) {
				return -EFAULT; /* reserved encoding */
			}
			*paddr = ((d & DESC_OA_MASK) & ~mask) | (vaddr & mask);
			*size = mask + 1;
			return 0;
		}
		table = d & DESC_OA_MASK;
	}
	return -EFAULT;
}

static int arm64_vtop(struct vmcore *vc, uint64_t vaddr, uint64_t *paddr, uint64_t *size)
{
	if (vc->have_text && vc->as.arm64.have_kimage_voffset && vaddr >= vc->text.vaddr &&
	    vaddr - vc->text.vaddr < vc->text.memsz) {
		*paddr = vaddr - vc->as.arm64.kimage_voffset;
		*size = vc->page_size;
		return 0;
	}
	return walk(vc, vaddr, paddr, size);
}

/* Kernel (TTBR1) addresses: the top 64 - VA_BITS bits set. */
static void arm64_kaddr_range(const struct vmcore *vc, uint64_t *lo, uint64_t *hi)
{
	*lo = ~0ull << (vc->as.arm64.va_bits ? vc->as.arm64.va_bits : VA_BITS_DEFAULT);
	*hi = UINT64_MAX;
}

const struct arch_ops arch_arm64 = {
	.machine = "aarch64",
	.e_machine = EM_AARCH64,
	.phys_bits_limit = PHYS_BITS_MAX,
	.section_size_bits = SECTION_SIZE_BITS,
	.page_sizes = PAGE_SIZES,
	.page_size_default = GRANULE,
	.is_text = arm64_is_text,
	.setup = arm64_setup,
	.max_physmem_bits = arm64_max_physmem_bits,
	.vtop = arm64_vtop,
	.kaddr_range = arm64_kaddr_range,
};
