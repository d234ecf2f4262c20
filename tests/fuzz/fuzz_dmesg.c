/* dmesg_write on a synthetic vmcore whose memory is a valid printk buffer
 * XORed with the input, so an empty input is a good log and every mutation
 * is corrupt kernel memory. VMCOREINFO is fixed (Linux 6.1's layout); the
 * input's first byte picks the buffer: the lockless ring `prb` (5.10+), the
 * struct printk_log records of `log_buf` (3.5 - 5.9) or the plain buffer. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/rd.h"
#include "vmcore/dmesg.h"
#include "vmcore/vmcore.h"
#include "tests/fuzz/fuzz.h"
#include "tests/synth/synthlog.h"

#define MEM_SIZE SYNTHLOG_MEM_SIZE

static uint8_t base[3][MEM_SIZE], mem[MEM_SIZE];

static void setup(void)
{
	uint8_t *m = base[0];
	uint64_t lpos = 0, id;
	uint32_t idx;

	synthlog_prb_init(m);
	for (id = 0; id < 40; id++) {
		const char *text = id % 5 ? "message\twith\nlines" : "a longer message, \x1b\xc3\xa9";

		synthlog_prb_push(m, id, &lpos, id * 1000003ull, text, strlen(text), 2);
	}
	synthlog_prb_head_tail(m, id - 1, id - SYNTHLOG_COUNT);

	m = base[1];
	st_le64(m, SYNTHLOG_VA_DIRECT + SYNTHLOG_LOG);
	st_le32(m + 8, 256);
	idx = synthlog_log_rec(m, 160, 1500000, "old one");
	(void)synthlog_log_rec(m, idx, 2500000, "old\ntwo");
	idx = synthlog_log_rec(m, 0, 3000000000ull, "new one");
	idx = synthlog_log_rec(m, idx, 4000000000ull, "new two");
	st_le32(m + 0x10, 160);
	st_le32(m + 0x14, idx);

	m = base[2];
	st_le64(m, SYNTHLOG_VA_DIRECT + SYNTHLOG_LOG);
	st_le32(m + 8, 16);
	memcpy(m + SYNTHLOG_LOG, "<6>lo\n<4>abcdefg", 16);
	st_le32(m + 0x10, 16 + 16 + 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *vmci[] = { synthlog_prb_vmci, synthlog_log_vmci, synthlog_raw_vmci };
	static int devnull = -1;
	struct vmcore vc;
	char path[64];
	unsigned kind = size ? data[0] % 3 : 0;
	int fd;

	if (devnull < 0) {
		fuzz_quiet();
		setup();
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	}
	memcpy(mem, base[kind], MEM_SIZE);
	for (size_t i = 1; i < size && i - 1 < MEM_SIZE; i++) {
		mem[i - 1] ^= data[i];
	}
	fd = fuzz_vmcore(vmci[kind], mem, MEM_SIZE, SYNTHLOG_PADDR, SYNTHLOG_VA_DIRECT, path, sizeof(path));
	if (fd < 0) {
		return 0;
	}
	if (vmcore_open(&vc, path) == 0) {
		(void)dmesg_write(&vc, devnull);
		vmcore_close(&vc);
	}
	close(fd);
	return 0;
}
