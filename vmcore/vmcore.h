/* The dead kernel's memory as an ELF64 core (/proc/vmcore or a copy):
 * program headers, notes (PRSTATUS per CPU, VMCOREINFO), and page access
 * through mmap windows (pread when mmap fails), never the whole file. */
#ifndef KDC_VMCORE_H
#define KDC_VMCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmcore/arch.h"
#include "vmcore/vmcoreinfo.h"

/* The page size is the dead kernel's (VMCOREINFO PAGESIZE=, struct vmcore's
 * page_size), and the dump's block size; VMCORE_PAGE_SIZES are the sizes
 * kdumpcap handles (4, 16 and 64 KiB, as arm64 kernels have). A vmcore of
 * other pages is refused when opened. */
#define VMCORE_PAGE_SIZES (0x1000u | 0x4000u | 0x10000u) /* a mask of powers of two */
#define VMCORE_MAX_SEGS 8192
#define VMCORE_MAX_NOTES (16u << 20)

struct vmcore_seg {
	uint64_t paddr;  /* physical start */
	uint64_t vaddr;  /* kernel virtual start (direct map or text), or 0/-1 */
	uint64_t filesz; /* bytes present in the file */
	uint64_t memsz;  /* bytes of memory described (>= filesz; the rest reads as zero) */
	uint64_t offset; /* file offset */
};

struct vmcore_ptcache;

/* One mmap window over the file (or a pread buffer when mmap is refused). */
struct vmcore_win {
	uint8_t *map;
	uint64_t off;
	size_t len;
};

struct vmcore {
	int fd;
	const char *path;
	uint64_t file_size;
	struct vmcore_seg *seg; /* sorted by paddr; the kernel-text alias kept apart */
	unsigned nseg;
	struct vmcore_seg text; /* PT_LOAD of the kernel image mapping, if any */
	bool have_text;
	uint8_t *notes;         /* all PT_NOTE bytes, concatenated */
	size_t notes_len;
	unsigned nr_cpus;       /* NT_PRSTATUS notes */
	size_t vmcoreinfo_off;  /* offset of VMCOREINFO's text within notes */
	struct vmcoreinfo vi;   /* len 0 when absent */
	uint32_t page_size;     /* the dead kernel's, one of VMCORE_PAGE_SIZES */
	unsigned page_shift;    /* log2(page_size) */
	uint64_t max_pfn;       /* one past the highest pfn any segment describes */
	const struct arch_ops *arch; /* from e_machine */
	uint64_t phys_base;     /* the kdump sub-header's: where the kernel's physical base is (arch setup) */
	bool have_phys_base;
	union arch_state as;    /* the architecture's own translation state */
	bool no_mmap;           /* mmap failed once: pread from now on */
	struct vmcore_win data; /* page data window (vmcore_page) */
	struct vmcore_win meta; /* small reads (vmcore_read_phys) */
	struct vmcore_win spans; /* ranges read in place (vmcore_map_phys) */
	struct vmcore_ptcache *ptc; /* page-table blocks (vmcore_read_pte), or NULL */
	uint8_t *pagebuf;       /* pread fallback and zero-filled tails */
};

/* Open and parse; on error returns -errno after logging one clear line. */
int vmcore_open(struct vmcore *vc, const char *path);
void vmcore_close(struct vmcore *vc);
/* A second reader of VC for another thread: it shares VC's file and all
 * that vmcore_open parsed (read-only from then on), with its own windows
 * and page buffer, so both may read at once. VC must outlive it; close it
 * with vmcore_view_close. 0 or -ENOMEM. */
int vmcore_view(const struct vmcore *vc, struct vmcore *view);
void vmcore_view_close(struct vmcore *view);

/* Segment holding paddr (memsz range), or NULL. */
const struct vmcore_seg *vmcore_seg_of(const struct vmcore *vc, uint64_t paddr);
/* Some segment holds a byte of the pfn's page, so vmcore_page() gives it
 * (the 1st bitmap's rule: filter/filter.c). */
bool vmcore_pfn_present(const struct vmcore *vc, uint64_t pfn);

/* The page's bytes, valid until the next vmcore_page() call, read from every
 * segment that holds part of it (on EFI machines RAM is split at unaligned
 * addresses into several PT_LOADs); bytes in no segment, or in a segment's
 * memory past its file data, read as zero. NULL with *err: -ENOENT no segment
 * holds any byte of the page, -EIO (or other) the file could not be read. */
const void *vmcore_page(struct vmcore *vc, uint64_t pfn, int *err);
/* The same through the caller's window W and page buffer BUF (a page):
 * threads reading pages at once each own one (the pointer stays valid
 * until the next call with W). vmcore_win_drop unmaps W. */
const void *vmcore_page_in(struct vmcore *vc, struct vmcore_win *w, uint8_t *buf, uint64_t pfn, int *err);
void vmcore_win_drop(struct vmcore_win *w);

/* Copy physical memory, across segments; 0 or -errno (-ENOENT: some byte is
 * in no segment: kdumpcap's own reads never take a hole for zeros). */
int vmcore_read_phys(struct vmcore *vc, uint64_t paddr, void *buf, size_t n);
/* [paddr, paddr + n) in place, valid until the next call with VC or
 * vmcore_unmap_phys: the page filter reads a section's struct pages without
 * copying them. NULL when the range is not all file data of one segment,
 * is larger than 4 MiB, or mmap fails; then copy it with vmcore_read_phys. */
const void *vmcore_map_phys(struct vmcore *vc, uint64_t paddr, size_t n);
void vmcore_unmap_phys(struct vmcore *vc);
/* The same for one 8-byte page-table entry (the architectures' walks),
 * through a small cache of the blocks that hold the tables. */
int vmcore_read_pte(struct vmcore *vc, uint64_t paddr, uint64_t *entry);
/* Kernel virtual address to physical: the architecture's translation (the
 * kernel image mapping, else the page tables), else a PT_LOAD's vaddr. */
int vmcore_vtop(struct vmcore *vc, uint64_t vaddr, uint64_t *paddr);
/* Same, and *span = bytes from vaddr to the end of the page or block
 * (4K, 2M, 1G) that maps it, so a caller can copy a large range in few reads. */
int vmcore_vtop_span(struct vmcore *vc, uint64_t vaddr, uint64_t *paddr, uint64_t *span);
/* Copy kernel virtual memory (may cross pages); 0 or -errno. */
int vmcore_read_virt(struct vmcore *vc, uint64_t vaddr, void *buf, size_t n);
int vmcore_read_u64(struct vmcore *vc, uint64_t vaddr, uint64_t *out);

#endif
