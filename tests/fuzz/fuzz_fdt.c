/* The device tree reader and /chosen editor `kdumpcap load` runs on arm64
 * over /sys/firmware/fdt: any input is refused or edited into a blob that
 * checks out and holds the new /chosen properties. */
#include <stdlib.h>
#include <string.h>

#include "initramfs/fdt.h"
#include "initramfs/kexec_arm64.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char cmdline[] = "console=ttyAMA0 reset_devices";
	struct ka_ranges usable = { { { 0x6ac00000, 0x7abfffff } }, 1 };
	struct ka_dtb_args a = { cmdline, 0x6cc10000, 0x6cddb936, 0x6cdde000, 0x190, &usable, 42 };
	const void *v;
	size_t vlen, olen;
	void *out;

	fuzz_quiet();
	(void)fdt_get(data, size, "/", "#address-cells", &v, &vlen);
	(void)fdt_get(data, size, "/chosen", "kaslr-seed", &v, &vlen);
	if (kexec_arm64_build_dtb(data, size, &a, &out, &olen) == 0) {
		if (fdt_check(out, olen) < 0 || fdt_get(out, olen, "/chosen", "bootargs", &v, &vlen) < 0 ||
		    vlen != sizeof(cmdline) || memcmp(v, cmdline, vlen) ||
		    fdt_get(out, olen, "/chosen", "linux,elfcorehdr", &v, &vlen) < 0) {
			__builtin_trap();
		}
		free(out);
	}
	return 0;
}
