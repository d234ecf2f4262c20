/* What differs between the architectures a vmcore can come from, behind one
 * table of operations chosen by the ELF header's e_machine (as makedumpfile's
 * arch directory): where the kernel image and the page tables are, how a kernel
 * virtual address becomes physical, the kernel address range, the physical
 * address width and sparsemem section size a kernel uses when VMCOREINFO
 * does not say, and the utsname machine string. */
#ifndef KDC_ARCH_H
#define KDC_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmcore;
struct vmcore_seg;

/* What each architecture's setup learns for its translation; only its own
 * operations file (arch_<name>.c) reads its member. */
union arch_state {
	struct {
		bool l5;                  /* 5-level paging */
	} x86_64;
	struct {
		unsigned va_bits;         /* kernel VA_BITS (0: unknown) */
		unsigned walk_bits;       /* the VA bits TTBR1 translates: 64 - TCR_EL1_T1SZ (vabits_actual) */
		uint64_t kimage_voffset;  /* kernel image virtual - physical */
		bool have_kimage_voffset;
		uint64_t pgd;             /* swapper_pg_dir, physical */
		bool walk_ok;             /* the page-table walk supports this kernel */
	} arm64;
};

struct arch_ops {
	const char *machine;  /* utsname machine when the kernel's cannot be read */
	unsigned e_machine;   /* ELF EM_* */
	unsigned phys_bits_limit;    /* the architecture's widest physical address */
	unsigned section_size_bits;  /* SECTION_SIZE_BITS before VMCOREINFO had it */
	uint32_t page_sizes;         /* the page sizes its kernels can have (a mask of powers of two) */
	uint32_t page_size_default;  /* the page size when VMCOREINFO does not give it */
	/* The PT_LOAD of the kernel image mapping (an alias of RAM another
	 * PT_LOAD covers); VMCOREINFO is parsed by then. */
	bool (*is_text)(const struct vmcore *vc, const struct vmcore_seg *s);
	/* Read the translation parameters from VMCOREINFO once the segments are
	 * known; 0, or -errno after one clear line when the vmcore cannot be read. */
	int (*setup)(struct vmcore *vc);
	/* MAX_PHYSMEM_BITS of the dead kernel when VMCOREINFO does not give it. */
	unsigned (*max_physmem_bits)(const struct vmcore *vc);
	/* Kernel virtual to physical without the PT_LOAD vaddrs; *size = the
	 * size of the page or block that maps it (a power of two). */
	int (*vtop)(struct vmcore *vc, uint64_t vaddr, uint64_t *paddr, uint64_t *size);
	/* [*lo, *hi): addresses a kernel pointer can hold. */
	void (*kaddr_range)(const struct vmcore *vc, uint64_t *lo, uint64_t *hi);
};

extern const struct arch_ops arch_x86_64;
extern const struct arch_ops arch_arm64;

/* The operations for ELF machine e_machine, or NULL when unsupported. */
const struct arch_ops *arch_find(unsigned e_machine);
/* "x86_64 (EM 62), aarch64 (EM 183)": the supported machines, for messages. */
#define ARCH_NAMES_MAX 128
void arch_names(char *buf, size_t n);

#endif
