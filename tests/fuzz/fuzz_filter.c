/* The page filter on a synthetic vmcore: 1 MiB of RAM, 6.1-style
 * VMCOREINFO, SPARSEMEM_EXTREME mem_section, a vmemmap mapped by 4 KiB
 * pages through 4-level page tables, and hand-made struct pages, all XORed
 * with the input from byte 1 on (so page tables, mem_section and struct
 * pages are what the fuzzer corrupts). Byte 0 picks the dump level (low 5
 * bits), the window (bit 5) and the buffer budget (bit 6). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filter/filter.h"
#include "lib/rd.h"
#include "vmcore/vmcore.h"
#include "tests/fuzz/fuzz.h"
#include "tests/synth/synthmm.h"

#define NPFN 256u
#define RAM (NPFN * 4096u)
#define MEMSEC_PA 0x5000u
#define MEMMAP_PA 0x8000u
#define FUZZ_FROM 0x1000u /* input byte 1 lands here */
#define KPTR SYNTHMM_KPTR

static uint8_t base[RAM], mem[RAM];
static char vmcoreinfo[2048];

static void setup(void)
{
	const struct synthmm m = { .mem = base, .memmap_pa = MEMMAP_PA };

	if (synthmm_vmcoreinfo(vmcoreinfo, sizeof(vmcoreinfo), MEMSEC_PA) < 0) {
		abort();
	}
	synthmm_init(&m, NPFN, MEMSEC_PA, false);
	synthmm_page_set(&m, 20, SYNTHMM_PG(LRU), KPTR, -1, 2);
	synthmm_page_set(&m, 21, SYNTHMM_PG(LRU) | SYNTHMM_PG(PRIVATE), KPTR, -1, 2);
	synthmm_page_set(&m, 22, SYNTHMM_PG(LRU) | SYNTHMM_PG(SWAPBACKED), KPTR | 1, 0, 2);
	synthmm_page_set(&m, 23, SYNTHMM_PG(SLAB), KPTR | 1, -1, 1);
	synthmm_page_set(&m, 24, SYNTHMM_PG(SWAPCACHE) | SYNTHMM_PG(SWAPBACKED), KPTR, -1, 1);
	synthmm_page_set(&m, 25, SYNTHMM_PG(HWPOISON), 0, -1, 1);
	synthmm_page_set(&m, 26, 0, 0, -257, 1);
	for (uint64_t p = 64; p < 80; p++) {
		synthmm_page_set(&m, p, 0, 0, -1, 0);
	}
	synthmm_page_set(&m, 64, 0, 0, -129, 0); /* free block of order 4 */
	st_le64(synthmm_page(&m, 64) + 40, 4);
	synthmm_compound(&m, 128, 3, SYNTHMM_PG(LRU) | SYNTHMM_PG(SWAPBACKED), KPTR | 1, 0); /* anon THP */
	synthmm_compound(&m, 160, 2, 0, KPTR, 2);                                         /* hugetlb */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static uint8_t ram[NPFN / 8], dump[NPFN / 8], ram2[NPFN / 8], dump2[NPFN / 8];
	unsigned ctl = size ? data[0] : 31, level = ctl & 31;
	uint64_t win = ctl & 32 ? 8 : NPFN;
	size_t budget = ctl & 64 ? 1 : 0;
	struct vmcore vc;
	struct filter f;
	char path[64];
	int fd, r;

	if (!ready) {
		fuzz_quiet();
		setup();
		ready = true;
	}
	memcpy(mem, base, RAM);
	for (size_t i = 1; i < size && FUZZ_FROM + i - 1 < RAM; i++) {
		mem[FUZZ_FROM + i - 1] ^= data[i];
	}
	fd = fuzz_vmcore(vmcoreinfo, mem, RAM, 0, SYNTHMM_DMAP, path, sizeof(path));
	if (fd < 0) {
		return 0;
	}
	if (vmcore_open(&vc, path) == 0) {
		r = filter_init(&f, &vc, level, budget);
		memset(ram, 0, sizeof(ram));
		memset(dump, 0, sizeof(dump));
		for (uint64_t s = 0; !r && s < NPFN; s += win) {
			memset(ram2, 0, sizeof(ram2));
			memset(dump2, 0, sizeof(dump2));
			r = filter_window(&f, s, win, ram + s / 8, dump + s / 8, true);
			r = r ? r : filter_window(&f, s, win, ram2, dump2, false);
			/* the writing pass must see what the counting pass saw */
			if (!r && (memcmp(ram2, ram + s / 8, win / 8) || memcmp(dump2, dump + s / 8, win / 8))) {
				__builtin_trap();
			}
		}
		if (!r) {
			char rep[4096];
			(void)filter_report(&f, NPFN, rep, sizeof(rep));
		}
		filter_close(&f);
		vmcore_close(&vc);
	}
	close(fd);
	return 0;
}
