/* arm64: the kernel image mapped at kimage_voffset above its physical
 * address, the linear map and the vmemmap in swapper_pg_dir (TTBR1), all
 * given by VMCOREINFO (NUMBER(VA_BITS), NUMBER(TCR_EL1_T1SZ),
 * NUMBER(kimage_voffset), NUMBER(PHYS_OFFSET)). The walk knows the 4, 16
 * and 64 KiB granules (the page size), up to 4 levels of tables of one page
 * each for the VA bits TTBR1 translates (64 - TCR_EL1_T1SZ: a 52-bit kernel
 * on a CPU without LPA2 runs with 47 or 48), 52-bit output addresses in
 * either encoding (64 KiB LPA, LPA2). Other layouts (4 KiB pages with 52-bit
 * VA: 5 levels) are named once and everything reached only through page
 * tables (the struct pages) is unreadable, so the filter keeps every page. */
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
#define PAGE_SIZE_DEFAULT 0x1000u
/* a table is one page of 8-byte descriptors: page_shift - 3 bits of VA per
 * level, the last level (3) mapping pages */
#define DESC_SHIFT 3
#define LAST_LEVEL 3
#define VA_BITS_MIN 36      /* 16 KiB pages, 2 levels */
#define VA_BITS_MAX 52      /* LVA (64 KiB pages) or LPA2 */
#define PAGE_SIZE_64K 0x10000u
#define DESC_VALID 0x1ull
#define DESC_TYPE_MASK 0x3ull
#define DESC_BLOCK 0x1ull   /* levels 1 and 2 */
#define DESC_TABLE 0x3ull   /* levels 0 to 2; a page at level 3 */
#define DESC_PA_MASK 0x0000ffffffffffffull /* output address bits [47:page_shift] */
#define DESC_PA_MASK_LPA2 0x0003ffffffffffffull /* LPA2: bits [49:page_shift], ... */
#define DESC_LPA2_HI_SHIFT 8  /* ... and PA[51:50] in bits [9:8] */
#define DESC_LPA2_HI_MASK 0x3ull
#define DESC_LPA_HI_SHIFT 12  /* 64 KiB LPA: PA[51:48] in bits [15:12] */
#define DESC_LPA_HI_MASK 0xfull
#define PA_HI_LPA2 50
#define PA_HI_LPA 48
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
	unsigned bits = t1sz ? (unsigned)(T1SZ_BITS - t1sz) : vc->as.arm64.va_bits;
	uint64_t sym;

	if (!vc->as.arm64.va_bits || !vc->as.arm64.have_kimage_voffset || !vmci_symbol(&vc->vi, "swapper_pg_dir", &sym)) {
		log_warn("%s: VMCOREINFO lacks NUMBER(VA_BITS), NUMBER(kimage_voffset) or SYMBOL(swapper_pg_dir): "
			 "the arm64 page tables cannot be walked", vc->path);
		return false;
	}
	vc->as.arm64.pgd = sym - vc->as.arm64.kimage_voffset;
	vc->as.arm64.walk_bits = bits;
	if (bits < VA_BITS_MIN || bits > VA_BITS_MAX || bits > vc->as.arm64.va_bits ||
	    (bits - DESC_SHIFT - 1) / (vc->page_shift - DESC_SHIFT) > LAST_LEVEL + 1) {
		log_warn("%s: arm64 kernel with VA_BITS=%u, TCR_EL1_T1SZ=%llu and %u-byte pages: the page-table walk "
			 "knows %u- to %u-bit VA in at most 4 levels; memory reached only through page tables cannot be "
			 "read", vc->path, vc->as.arm64.va_bits, (unsigned long long)t1sz, vc->page_size, VA_BITS_MIN,
			 VA_BITS_MAX);
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
	if (number(vc, "NUMBER(VA_BITS)", &v) && v < T1SZ_BITS) {
		vc->as.arm64.va_bits = (unsigned)v;
	}
	if (number(vc, "NUMBER(TCR_EL1_T1SZ)", &t1sz) && (t1sz == 0 || t1sz >= T1SZ_BITS)) {
		t1sz = 0; /* nonsense: VA_BITS alone */
	}
	vc->as.arm64.walk_ok = vc->vi.len && walk_supported(vc, t1sz);
	return 0;
}

static unsigned arm64_max_physmem_bits(const struct vmcore *vc)
{
	return vc->vi.len ? PHYS_BITS_48 : PHYS_BITS_MAX;
}

/* The output address of descriptor D: bits [47:page_shift], and above
 * them PA[51:48] in 64 KiB LPA's place or, with LPA2 (4 and 16 KiB pages at
 * 52-bit VA), bits [49:48] and PA[51:50] in bits [9:8]. */
static uint64_t desc_oa(const struct vmcore *vc, uint64_t d)
{
	uint64_t low = ~(uint64_t)(vc->page_size - 1);

	if (vc->page_size == PAGE_SIZE_64K) {
		return (d & DESC_PA_MASK & low) | ((d >> DESC_LPA_HI_SHIFT) & DESC_LPA_HI_MASK) << PA_HI_LPA;
	}
	if (vc->as.arm64.walk_bits == VA_BITS_MAX) {
		return (d & DESC_PA_MASK_LPA2 & low) | ((d >> DESC_LPA2_HI_SHIFT) & DESC_LPA2_HI_MASK) << PA_HI_LPA2;
	}
	return d & DESC_PA_MASK & low;
}

/* Walk swapper_pg_dir; *size is the size of the page or block mapping vaddr. */
static int walk(struct vmcore *vc, uint64_t vaddr, uint64_t *paddr, uint64_t *size)
{
	unsigned va_bits = vc->as.arm64.walk_bits, index_bits = vc->page_shift - DESC_SHIFT;
	/* ARM64_HW_PGTABLE_LEVELS: each level resolves index_bits, the top one the rest */
	unsigned levels = (va_bits - DESC_SHIFT - 1) / index_bits;
	uint64_t table = vc->as.arm64.pgd, d = 0;

	if (!vc->as.arm64.walk_ok) {
		return -ENOTSUP;
	}
	if (vaddr >> va_bits != UINT64_MAX >> va_bits) {
		return -EFAULT; /* not a TTBR1 (kernel) address */
	}
	for (unsigned lvl = LAST_LEVEL + 1 - levels; lvl <= LAST_LEVEL; lvl++) {
		unsigned shift = vc->page_shift + index_bits * (LAST_LEVEL - lvl);
		unsigned bits = va_bits - shift < index_bits ? va_bits - shift : index_bits;
		uint64_t idx = (vaddr >> shift) & ((1ull << bits) - 1);
		int r = vmcore_read_pte(vc, table + idx * 8, &d);

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
			*paddr = (desc_oa(vc, d) & ~mask) | (vaddr & mask);
			*size = mask + 1;
			return 0;
		}
		table = desc_oa(vc, d);
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
	.page_size_default = PAGE_SIZE_DEFAULT,
	.is_text = arm64_is_text,
	.setup = arm64_setup,
	.max_physmem_bits = arm64_max_physmem_bits,
	.vtop = arm64_vtop,
	.kaddr_range = arm64_kaddr_range,
};
