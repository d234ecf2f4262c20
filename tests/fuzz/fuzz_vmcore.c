/* vmcore_open on arbitrary bytes: ELF header, program headers, notes,
 * VMCOREINFO; then page, physical and virtual reads (page-table walks
 * through whatever the file holds). */
#include <unistd.h>

#include "vmcore/vmcore.h"
#include "tests/fuzz/fuzz.h"

static void probe(struct vmcore *vc)
{
	static const uint64_t va[] = {
		0xffffffff81000000ull, 0xffff888000000000ull, 0xffffea0000000000ull, 0xffffffffff600000ull, 0x1000,
	};
	uint8_t buf[64];
	uint64_t pa, span, v;
	int err;

	for (unsigned i = 0; i < vc->nseg && i < 16; i++) {
		const struct vmcore_seg *s = &vc->seg[i];
		uint64_t first = s->paddr >> vc->page_shift, last = (s->paddr + s->memsz - 1) >> vc->page_shift;

		(void)vmcore_page(vc, first, &err);
		(void)vmcore_page(vc, last, &err);
		(void)vmcore_read_phys(vc, s->paddr + s->memsz - 8, buf, 8);
		(void)vmcore_read_phys(vc, s->paddr + s->memsz - 8, buf, sizeof(buf));
		if (s->vaddr) {
			(void)vmcore_read_virt(vc, s->vaddr, buf, sizeof(buf));
		}
	}
	(void)vmcore_page(vc, vc->max_pfn, &err);
	for (unsigned i = 0; i < sizeof(va) / sizeof(va[0]); i++) {
		(void)vmcore_vtop_span(vc, va[i], &pa, &span);
		(void)vmcore_read_u64(vc, va[i], &v);
		(void)vmcore_read_virt(vc, va[i] - 8, buf, sizeof(buf));
	}
	if (vmci_symbol(&vc->vi, "init_top_pgt", &v)) {
		(void)vmcore_read_virt(vc, v, buf, sizeof(buf));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmcore vc;
	char path[64];
	int fd;

	fuzz_quiet();
	fd = fuzz_memfile(data, size, path, sizeof(path));
	if (fd < 0) {
		return 0;
	}
	if (vmcore_open(&vc, path) == 0) {
		probe(&vc);
		vmcore_close(&vc);
	}
	close(fd);
	return 0;
}
