/* VMCOREINFO lookups on arbitrary text: every accessor, keys the product
 * asks for, and a key taken from the input itself. */
#include <string.h>

#include "vmcore/vmcoreinfo.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = { "prb", "page", "page.flags", "phys_base", "mem_section", "A", "" };
	struct vmcoreinfo vi = { .text = (const char *)data, .len = size };
	char buf[64], key[48];
	const char *v;
	size_t len;
	uint64_t u;
	int64_t s;

	fuzz_quiet();
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		(void)vmci_symbol(&vi, names[i], &u);
		(void)vmci_offset(&vi, names[i], &u);
		(void)vmci_size(&vi, names[i], &u);
		(void)vmci_length(&vi, names[i], &u);
		(void)vmci_number(&vi, names[i], &s);
	}
	(void)vmci_str(&vi, "OSRELEASE", buf, sizeof(buf));
	(void)vmci_str(&vi, "BUILD-ID", buf, 1);
	(void)vmci_u64(&vi, "KERNELOFFSET", 16, &u);
	if (vmci_raw(&vi, "PAGESIZE", &v, &len) && (len > size || v < vi.text || v + len > vi.text + size)) {
		__builtin_trap(); /* the value must lie inside the text */
	}
	/* the input's first line, up to '=', as a key */
	for (len = 0; len < size && len < sizeof(key) && data[len] != '=' && data[len] != '\n' && data[len]; len++) {
	}
	if (len < size && len < sizeof(key)) {
		memcpy(key, data, len);
		key[len] = 0;
		(void)vmci_u64(&vi, key, 16, &u);
		(void)vmci_s64(&vi, key, &s);
		(void)vmci_str(&vi, key, buf, sizeof(buf));
	}
	return 0;
}
