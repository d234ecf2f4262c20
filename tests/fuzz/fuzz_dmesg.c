/* dmesg_write on a synthetic vmcore whose memory is a valid printk buffer
 * XORed with the input, so an empty input is a good log and every mutation
 * is corrupt kernel memory. VMCOREINFO is fixed (Linux 6.1's layout); the
 * input's first byte picks the buffer: the lockless ring `prb` (5.10+), the
 * struct printk_log records of `log_buf` (3.5 - 5.9) or the plain buffer. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "capture/dmesg.h"
#include "capture/vmcore.h"
#include "lib/rd.h"
#include "tests/fuzz/fuzz.h"

#define MEM_SIZE 0x10000u
#define PADDR 0x1000000ull
#define VA_DIRECT 0xffff888001000000ull /* through the PT_LOAD's vaddr */
#define VA_TEXT 0xffffffff81000000ull   /* through phys_base = 0 */
#define M_PRB 0x100
#define M_DESCS 0x1000
#define M_INFOS 0x2000
#define M_DATA 0x4000
#define M_LOG 0x8000
#define COUNT 16u
#define RING 1024u

static const char prb_vmci[] =
	"OSRELEASE=6.1.0-56-amd64\nPAGESIZE=4096\nNUMBER(phys_base)=0\n"
	"SYMBOL(prb)=ffffffff81000000\nSIZE(printk_ringbuffer)=88\n"
	"OFFSET(printk_ringbuffer.desc_ring)=0\nOFFSET(printk_ringbuffer.text_data_ring)=48\n"
	"OFFSET(prb_desc_ring.count_bits)=0\nOFFSET(prb_desc_ring.descs)=8\nOFFSET(prb_desc_ring.infos)=16\n"
	"OFFSET(prb_desc_ring.head_id)=24\nOFFSET(prb_desc_ring.tail_id)=32\nSIZE(prb_desc)=24\n"
	"OFFSET(prb_desc.state_var)=0\nOFFSET(prb_desc.text_blk_lpos)=8\nOFFSET(prb_data_blk_lpos.begin)=0\n"
	"OFFSET(prb_data_blk_lpos.next)=8\nOFFSET(prb_data_ring.size_bits)=0\nOFFSET(prb_data_ring.data)=8\n"
	"SIZE(printk_info)=88\nOFFSET(printk_info.seq)=0\nOFFSET(printk_info.ts_nsec)=8\n"
	"OFFSET(printk_info.text_len)=16\nOFFSET(printk_info.caller_id)=20\nOFFSET(atomic_long_t.counter)=0\n";

static const char log_vmci[] =
	"OSRELEASE=5.4.0\nNUMBER(phys_base)=0\nSYMBOL(log_buf)=ffffffff81000000\n"
	"SYMBOL(log_buf_len)=ffffffff81000008\nSYMBOL(log_first_idx)=ffffffff81000010\n"
	"SYMBOL(log_next_idx)=ffffffff81000014\nSIZE(printk_log)=16\nOFFSET(printk_log.ts_nsec)=0\n"
	"OFFSET(printk_log.len)=8\nOFFSET(printk_log.text_len)=10\n";

static const char raw_vmci[] = "OSRELEASE=3.2.0\nNUMBER(phys_base)=0\nSYMBOL(log_buf)=ffffffff81000000\n"
			       "SYMBOL(log_buf_len)=ffffffff81000008\nSYMBOL(log_end)=ffffffff81000010\n";

static uint8_t base[3][MEM_SIZE], mem[MEM_SIZE];

/* A finalized record, placed as the kernel's data_alloc does. */
static void prb_push(uint8_t *m, uint64_t id, uint64_t *lpos, uint64_t ts, const char *text)
{
	size_t len = strlen(text);
	uint64_t slot = id % COUNT, size = (8 + len + 7) & ~7ull, begin = *lpos, next = begin + size;
	uint64_t pos = begin % RING;
	uint8_t *desc = m + M_DESCS + slot * 24, *info = m + M_INFOS + slot * 88;

	if (pos + size > RING) {
		next = begin - pos + RING + size;
		pos = 0;
	}
	st_le64(m + M_DATA + pos, id);
	memcpy(m + M_DATA + pos + 8, text, len);
	st_le64(desc, 2ull << 62 | id);
	st_le64(desc + 8, begin);
	st_le64(desc + 16, next);
	st_le64(info, id);
	st_le64(info + 8, ts);
	st_le32(info + 16, (uint32_t)len);
	*lpos = next;
}

static uint32_t log_rec(uint8_t *m, uint32_t idx, uint64_t ts, const char *text)
{
	size_t tl = strlen(text);
	uint32_t len = (uint32_t)((16 + tl + 7) & ~7u);
	uint8_t *p = m + M_LOG + idx;

	st_le64(p, ts);
	p[8] = (uint8_t)len;
	p[10] = (uint8_t)tl;
	memcpy(p + 16, text, tl);
	return idx + len;
}

static void setup(void)
{
	uint8_t *m = base[0];
	uint64_t lpos = 0, id;
	uint32_t idx;

	st_le64(m, VA_TEXT + M_PRB);
	st_le32(m + M_PRB, 4); /* count_bits */
	st_le64(m + M_PRB + 8, VA_DIRECT + M_DESCS);
	st_le64(m + M_PRB + 16, VA_TEXT + M_INFOS);
	st_le32(m + M_PRB + 48, 10); /* size_bits */
	st_le64(m + M_PRB + 56, VA_DIRECT + M_DATA);
	for (id = 0; id < 40; id++) {
		prb_push(m, id, &lpos, id * 1000003ull, id % 5 ? "message\twith\nlines" : "a longer message, \x1b\xc3\xa9");
	}
	st_le64(m + M_PRB + 24, id - 1);   /* head */
	st_le64(m + M_PRB + 32, id - COUNT); /* tail */

	m = base[1];
	st_le64(m, VA_DIRECT + M_LOG);
	st_le32(m + 8, 256);
	idx = log_rec(m, 160, 1500000, "old one");
	(void)log_rec(m, idx, 2500000, "old\ntwo");
	idx = log_rec(m, 0, 3000000000ull, "new one");
	idx = log_rec(m, idx, 4000000000ull, "new two");
	st_le32(m + 0x10, 160);
	st_le32(m + 0x14, idx);

	m = base[2];
	st_le64(m, VA_DIRECT + M_LOG);
	st_le32(m + 8, 16);
	memcpy(m + M_LOG, "<6>lo\n<4>abcdefg", 16);
	st_le32(m + 0x10, 16 + 16 + 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *vmci[] = { prb_vmci, log_vmci, raw_vmci };
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
	fd = fuzz_vmcore(vmci[kind], mem, MEM_SIZE, PADDR, VA_DIRECT, path, sizeof(path));
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
