/* x86_64: the kernel image at __START_KERNEL_map relocated by phys_base,
 * 4- or 5-level page tables from init_top_pgt (2M and 1G pages). */
#include <errno.h>

#include "vmcore/arch.h"
#include "vmcore/vmcore.h"

#define EM_X86_64 62
#define START_KERNEL_MAP 0xffffffff80000000ull
#define KERNEL_IMAGE_END 0xffffffffc0000000ull /* KERNEL_IMAGE_SIZE = 1 GiB with KASLR */

/* MAX_PHYSMEM_BITS: 4-level paging, 5-level (the architecture's limit) */
#define PHYS_BITS_4LEVEL 46
#define PHYS_BITS_MAX 52
/* SECTION_SIZE_BITS since 2.6.26, for VMCOREINFO before Linux 5.8 */
#define SECTION_SIZE_BITS 27

/* lowest kernel address with 4- and 5-level paging; the fixmap's floor */
#define KADDR_MIN_L4 0xffff800000000000ull
#define KADDR_MIN_L5 0xff00000000000000ull
#define FIXMAP_FLOOR 0xffffffffff000000ull

#define PAGE_SHIFT 12 /* the only page size: 4 KiB */
#define PAGE_SIZE (1u << PAGE_SHIFT)
#define PTE_PRESENT 0x1ull
#define PTE_PSE 0x80ull
#define PTE_PFN_MASK 0x000ffffffffff000ull
#define PT_ENTRIES 512
#define PT_INDEX_BITS 9
#define PMD_LEVEL 2
#define PUD_LEVEL 3

static bool in_image(uint64_t vaddr)
{
	return vaddr >= START_KERNEL_MAP && vaddr < KERNEL_IMAGE_END;
}

static bool x86_is_text(const struct vmcore *vc, const struct vmcore_seg *s)
{
	(void)vc;
	return in_image(s->vaddr);
}

static int x86_setup(struct vmcore *vc)
{
	int64_t l5 = 0;

	if (vmci_number(&vc->vi, "phys_base", (int64_t *)&vc->phys_base)) {
		vc->have_phys_base = true;
	} else if (vc->have_text) {
		vc->phys_base = vc->text.paddr - (vc->text.vaddr - START_KERNEL_MAP);
		vc->have_phys_base = true;
	}
	vc->as.x86_64.l5 = vmci_number(&vc->vi, "pgtable_l5_enabled", &l5) && l5 == 1;
	return 0;
}

/* arch/x86/include/asm/sparsemem.h: 46 with 4 levels, 52 with 5. Without
 * VMCOREINFO the paging mode is unknown: 52. */
static unsigned x86_max_physmem_bits(const struct vmcore *vc)
{
	return vc->as.x86_64.l5 || !vc->vi.len ? PHYS_BITS_MAX : PHYS_BITS_4LEVEL;
}

/* Walk the dead kernel's page tables; *size is the size of the mapping
 * (4K, 2M or 1G page) that holds vaddr. */
static int walk(struct vmcore *vc, uint64_t vaddr, uint64_t *paddr, uint64_t *size)
{
	uint64_t top, table, e = 0;
	int levels = vc->as.x86_64.l5 ? 5 : 4;
	int r;

	if (!vmci_symbol(&vc->vi, "init_top_pgt", &top) || !vc->have_phys_base || top < START_KERNEL_MAP) {
		return -ENOTSUP;
	}
	table = top - START_KERNEL_MAP + vc->phys_base;
	for (int lvl = levels; lvl >= 1; lvl--) {
		unsigned shift = PAGE_SHIFT + PT_INDEX_BITS * (unsigned)(lvl - 1);
		uint64_t idx = (vaddr >> shift) & (PT_ENTRIES - 1);

		r = vmcore_read_pte(vc, table + idx * 8, &e);
		if (r) {
			return r;
		}
		if (!(e & PTE_PRESENT)) {
			return -EFAULT;
		}
		if ((lvl == PUD_LEVEL || lvl == PMD_LEVEL) && (e & PTE_PSE)) {
			uint64_t mask = (1ull << shift) - 1;
			*paddr = ((e & PTE_PFN_MASK) & ~mask) | (vaddr & mask);
			*size = mask + 1;
			return 0;
		}
		table = e & PTE_PFN_MASK;
	}
	*paddr = table | (vaddr & (PAGE_SIZE - 1));
	*size = PAGE_SIZE;
	return 0;
}

static int x86_vtop(struct vmcore *vc, uint64_t vaddr, uint64_t *paddr, uint64_t *size)
{
	if (in_image(vaddr) && vc->have_phys_base) {
		*paddr = vaddr - START_KERNEL_MAP + vc->phys_base;
		*size = PAGE_SIZE;
		return 0;
	}
	return walk(vc, vaddr, paddr, size);
}

static void x86_kaddr_range(const struct vmcore *vc, uint64_t *lo, uint64_t *hi)
{
	*lo = vc->as.x86_64.l5 ? KADDR_MIN_L5 : KADDR_MIN_L4;
	*hi = FIXMAP_FLOOR;
}

const struct arch_ops arch_x86_64 = {
	.machine = "x86_64",
	.e_machine = EM_X86_64,
	.phys_bits_limit = PHYS_BITS_MAX,
	.section_size_bits = SECTION_SIZE_BITS,
	.page_sizes = PAGE_SIZE,
	.page_size_default = PAGE_SIZE,
	.is_text = x86_is_text,
	.setup = x86_setup,
	.max_physmem_bits = x86_max_physmem_bits,
	.vtop = x86_vtop,
	.kaddr_range = x86_kaddr_range,
};
