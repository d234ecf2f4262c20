/* dmesg_write on synthetic ELF vmcores: a fake VMCOREINFO (Linux 6.1's
 * printk structure layout) and a small printk ring in one PT_LOAD
 * (tests/synth/synthlog.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/log.h"
#include "lib/rd.h"
#include "vmcore/dmesg.h"
#include "vmcore/vmcore.h"
#include "tests/synth/synthlog.h"
#include "tests/synth/synthvm.h"
#include "tests/unit/t.h"

#define ID_MASK ((1ull << 62) - 1)

struct fake {
	uint8_t mem[SYNTHLOG_MEM_SIZE];
	char vmci[4096];
	uint64_t lpos; /* next free position in the text ring */
	uint64_t next_id;
};

static void fake_prb(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->vmci, sizeof(f->vmci), "%s", synthlog_prb_vmci);
	synthlog_prb_init(f->mem);
	/* an empty ring as the kernel sets it up: descriptor 0 reusable, ids count-1.. */
	f->next_id = 0;
}

/* Append a record (state 2 = finalized). */
static void push(struct fake *f, uint64_t ts, const char *text, size_t len, unsigned state)
{
	synthlog_prb_push(f->mem, f->next_id++, &f->lpos, ts, text, len, state);
}

/* Run dmesg_write on the fake; the text lands in out (NUL-terminated). */
static int run(const struct fake *f, char *out, size_t size, size_t *outlen)
{
	char core[64], txt[64];
	struct vmcore vc;
	int fd, r;
	ssize_t n;

	snprintf(core, sizeof(core), "/tmp/kdc-dmesg-%d.core", (int)getpid());
	snprintf(txt, sizeof(txt), "/tmp/kdc-dmesg-%d.txt", (int)getpid());
	*outlen = 0;
	out[0] = 0;
	r = synthvm_write(core, f->vmci, f->mem, SYNTHLOG_MEM_SIZE, SYNTHLOG_PADDR, SYNTHLOG_VA_DIRECT);
	if (r) {
		return r;
	}
	r = vmcore_open(&vc, core);
	if (r) {
		unlink(core);
		return r;
	}
	fd = open(txt, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		vmcore_close(&vc);
		unlink(core);
		return -errno;
	}
	r = dmesg_write(&vc, fd);
	n = pread(fd, out, size - 1, 0);
	if (n > 0) {
		out[n] = 0;
		*outlen = (size_t)n;
	}
	close(fd);
	vmcore_close(&vc);
	unlink(core);
	unlink(txt);
	return r;
}

static char out[1 << 20];
static char expect[1 << 16];

TEST(test_dmesg_prb_escapes)
{
	static const char text[] = "first\nsecond\tx\x1b\xc3\xa9\x7f\x00!";
	static struct fake f;
	size_t n;
	int r;

	fake_prb(&f);
	push(&f, 1234567891011ull, "hello world", 11, 2);
	push(&f, 5000000000ull, text, sizeof(text) - 1, 1);
	push(&f, 12000999999999ull, "", 0, 2);
	synthlog_prb_head_tail(f.mem, 2, 0);
	r = run(&f, out, sizeof(out), &n);
	CHECK(r == 0);
	CHECK(!strcmp(out, "[ 1234.567891] hello world\n"
			   "[    5.000000] first\n"
			   "               second\tx\\x1b\\xffffffc3\\xffffffa9\\x7f\\x00!\n"
			   "[12000.999999] \n"));
}

TEST(test_dmesg_prb_skips_and_truncates)
{
	static struct fake f;
	size_t n;
	uint8_t *desc;
	int r;

	fake_prb(&f);
	push(&f, 1000, "kept", 4, 2);
	push(&f, 2000, "reserved", 8, 0);  /* still being written */
	push(&f, 3000, "reusable", 8, 3);  /* freed */
	push(&f, 4000, "committed", 9, 1); /* committed counts */
	push(&f, 5000, "truncated text", 14, 2);
	/* text_len says more than the block holds: the block wins */
	f.mem[SYNTHLOG_INFOS + 4 * SYNTHLOG_INFO_SIZE + 16] = 200;
	push(&f, 6000, "dataless", 8, 2);
	desc = f.mem + SYNTHLOG_DESCS + 5 * SYNTHLOG_DESC_SIZE;
	st_le64(desc + 8, 1); /* FAILED_LPOS: begin == next */
	st_le64(desc + 16, 1);
	push(&f, 7000, "wrong id", 8, 2);
	desc = f.mem + SYNTHLOG_DESCS + 6 * SYNTHLOG_DESC_SIZE;
	st_le64(desc, 2ull << 62 | (6 + SYNTHLOG_COUNT)); /* slot reused by a later id */
	synthlog_prb_head_tail(f.mem, 6, 0);
	r = run(&f, out, sizeof(out), &n);
	CHECK(r == 0);
	/* a block of 14+8 bytes rounds to 24: 16 bytes of text fit */
	CHECK(!strcmp(out, "[    0.000001] kept\n"
			   "[    0.000004] committed\n"
			   "[    0.000005] truncated text\\x00\\x00\n"));
}

/* Many records of varying length: the text ring and the descriptor ring
 * both wrap; only the last SYNTHLOG_COUNT records survive. */
TEST(test_dmesg_prb_wrapped)
{
	static struct fake f;
	char msg[64];
	size_t n, e = 0;
	int r, wraps = 0, lvl = log_get_level();
	uint64_t shift;
	const int total = 97;

	fake_prb(&f);
	for (int i = 0; i < total; i++) {
		int len = snprintf(msg, sizeof(msg), "message %d%.*s", i, i % 23, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		uint64_t before = f.lpos;

		push(&f, (uint64_t)i * 1000003ull, msg, (size_t)len, 2);
		wraps += f.lpos / SYNTHLOG_RING != before / SYNTHLOG_RING && f.lpos % SYNTHLOG_RING > (uint64_t)len;
		if (i >= total - (int)SYNTHLOG_COUNT) {
			e += (size_t)snprintf(expect + e, sizeof(expect) - e, "[%5d.%06d] %s\n", 0, i * 1000003 / 1000,
					      msg);
		}
	}
	CHECK(f.lpos > 2 * SYNTHLOG_RING); /* the text ring wrapped more than once */
	CHECK(wraps > 0);         /* and at least one block was moved to the start */
	synthlog_prb_head_tail(f.mem, total - 1, total - SYNTHLOG_COUNT);
	r = run(&f, out, sizeof(out), &n);
	CHECK(r == 0);
	CHECK(!strcmp(out, expect));

	/* a tail that lies further back than the ring can hold is clamped */
	synthlog_prb_head_tail(f.mem, total - 1, 3);
	log_set_level(LOG_ERR); /* its warning is expected */
	r = run(&f, out, sizeof(out), &n);
	log_set_level(lvl);
	CHECK(r == 0);
	CHECK(!strcmp(out, expect));

	shift = (uint64_t)(total - 1) & ~(uint64_t)(SYNTHLOG_COUNT - 1);
	/* ids wrap at 2^62: shift them (by a multiple of SYNTHLOG_COUNT, keeping slots)
	 * so that the window straddles the wrap */
	for (unsigned s = 0; s < SYNTHLOG_COUNT; s++) {
		uint8_t *d = f.mem + SYNTHLOG_DESCS + s * SYNTHLOG_DESC_SIZE;
		uint64_t sv = ld_le64(d);

		st_le64(d, (sv & ~ID_MASK) | (((sv & ID_MASK) - shift) & ID_MASK));
	}
	synthlog_prb_head_tail(f.mem, (uint64_t)total - 1 - shift, ((uint64_t)total - SYNTHLOG_COUNT - shift) & ID_MASK);
	CHECK(ld_le64(f.mem + SYNTHLOG_PRB + 32) > ld_le64(f.mem + SYNTHLOG_PRB + 24));
	r = run(&f, out, sizeof(out), &n);
	CHECK(r == 0);
	CHECK(!strcmp(out, expect));
}

TEST(test_dmesg_prb_garbage)
{
	static struct fake f;
	size_t n;
	int lvl = log_get_level();

	log_set_level(0); /* the errors below are expected */
	fake_prb(&f);
	push(&f, 1000, "ok", 2, 2);
	synthlog_prb_head_tail(f.mem, 0, 0);
	CHECK(run(&f, out, sizeof(out), &n) == 0);

	st_le32(f.mem + SYNTHLOG_PRB, 63); /* count_bits */
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	st_le32(f.mem + SYNTHLOG_PRB, SYNTHLOG_COUNT_BITS);

	st_le32(f.mem + SYNTHLOG_PRB + 48, 40); /* size_bits */
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	st_le32(f.mem + SYNTHLOG_PRB + 48, SYNTHLOG_SIZE_BITS);

	st_le64(f.mem + SYNTHLOG_PRB + 8, 0xdead000000000000ull); /* descs nowhere */
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	st_le64(f.mem + SYNTHLOG_PRB + 8, SYNTHLOG_VA_DIRECT + SYNTHLOG_MEM_SIZE - 100); /* descs run off the end */
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	st_le64(f.mem + SYNTHLOG_PRB + 8, UINT64_MAX - 10); /* wraps */
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	st_le64(f.mem + SYNTHLOG_PRB + 8, SYNTHLOG_VA_DIRECT + SYNTHLOG_DESCS);

	st_le64(f.mem, 0x1234); /* prb points nowhere */
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	st_le64(f.mem, SYNTHLOG_VA_TEXT + SYNTHLOG_PRB);

	/* VMCOREINFO: a missing key, an impossible layout, no log at all */
	snprintf(f.vmci, sizeof(f.vmci), "%.*s", (int)(strstr(synthlog_prb_vmci, "SIZE(printk_info)") - synthlog_prb_vmci),
		 synthlog_prb_vmci);
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	snprintf(f.vmci, sizeof(f.vmci), "OSRELEASE=6.1.0\nSYMBOL(prb)=ffffffff81000000\nNUMBER(phys_base)=0\n%s",
		 strstr(synthlog_prb_vmci, "SIZE(printk_ringbuffer)"));
	CHECK(run(&f, out, sizeof(out), &n) == 0);
	snprintf(f.vmci, sizeof(f.vmci), "%s", synthlog_prb_vmci);
	memcpy(strstr(f.vmci, "SIZE(prb_desc)=24"), "SIZE(prb_desc)=04", 17);
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	snprintf(f.vmci, sizeof(f.vmci), "OSRELEASE=6.1.0\nNUMBER(phys_base)=0\n");
	CHECK(run(&f, out, sizeof(out), &n) == -ENOENT);
	log_set_level(lvl);
}

/* Random descriptors, infos, text and ids: never a crash or a runaway,
 * always success or -EINVAL, and output bounded by the ring. */
TEST(test_dmesg_prb_random)
{
	static struct fake f;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t n;
	int lvl = log_get_level(), ok = 0;

	log_set_level(0);
	for (int iter = 0; iter < 150; iter++) {
		int r;

		fake_prb(&f);
		for (size_t i = SYNTHLOG_DESCS; i < SYNTHLOG_LOG; i += 8) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			/* mostly plausible states and small positions, sometimes anything */
			st_le64(f.mem + i, iter % 3 ? (seed & 0xc00000000000000full) | (seed >> 20 & 0x7ff) : seed);
		}
		synthlog_prb_head_tail(f.mem, seed % 40, (seed >> 8) % 40);
		if (iter % 10 == 0) {
			st_le32(f.mem + SYNTHLOG_PRB, (uint32_t)(seed >> 40) % 34);
		}
		r = run(&f, out, sizeof(out), &n);
		CHECK(r == 0 || r == -EINVAL);
		CHECK(n < SYNTHLOG_COUNT * (64 + 12 * SYNTHLOG_RING));
		ok += r == 0;
	}
	CHECK(ok > 100);
	log_set_level(lvl);
}

TEST(test_dmesg_write_error)
{
	static struct fake f;
	size_t n;
	int lvl = log_get_level();

	fake_prb(&f);
	push(&f, 1000, "ok", 2, 2);
	synthlog_prb_head_tail(f.mem, 0, 0);
	log_set_level(0);
	CHECK(io_fault_setup("write:1:ENOSPC") == 0);
	CHECK(run(&f, out, sizeof(out), &n) == -ENOSPC);
	CHECK(io_fault_setup(NULL) == 0);
	log_set_level(lvl);
}

/* ---- log_buf with struct printk_log records (Linux 3.5 - 5.9) ---- */

#define LOG_LEN 256

TEST(test_dmesg_log_buf)
{
	static struct fake f;
	uint32_t idx, first;
	size_t n;
	int lvl = log_get_level();

	memset(&f, 0, sizeof(f));
	snprintf(f.vmci, sizeof(f.vmci), "%s", synthlog_log_vmci);
	st_le64(f.mem + 0, SYNTHLOG_VA_DIRECT + SYNTHLOG_LOG);
	st_le32(f.mem + 8, LOG_LEN);
	/* older records at the end of the buffer, an end marker, newer ones at the start */
	first = 160;
	idx = synthlog_log_rec(f.mem, first, 1500000, "old one");
	idx = synthlog_log_rec(f.mem, idx, 2500000, "old\ntwo");
	CHECK(idx == 208);
	/* idx 208..224: zero header = wrap marker (memory is zeroed) */
	idx = synthlog_log_rec(f.mem, 0, 3000000000ull, "new one");
	idx = synthlog_log_rec(f.mem, idx, 4000000000ull, "new two");
	st_le32(f.mem + 0x10, first);
	st_le32(f.mem + 0x14, idx);
	CHECK(run(&f, out, sizeof(out), &n) == 0);
	CHECK(!strcmp(out, "[    0.001500] old one\n"
			   "[    0.002500] old\n"
			   "               two\n"
			   "[    3.000000] new one\n"
			   "[    4.000000] new two\n"));

	log_set_level(0);
	/* a record claiming more text than the buffer holds */
	f.mem[SYNTHLOG_LOG + first + 10] = 0xff;
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	f.mem[SYNTHLOG_LOG + first + 10] = 7;
	/* log_next_idx that no record reaches: the walk must stop */
	st_le32(f.mem + 0x14, idx + 4);
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	/* a zero-length record at the start loops forever unless bounded */
	st_le32(f.mem + 0x14, idx);
	f.mem[SYNTHLOG_LOG + 8] = 0;
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	f.mem[SYNTHLOG_LOG + 8] = 24;
	st_le32(f.mem + 0x10, 4096);
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	log_set_level(lvl);
}

/* ---- the plain character buffer (before Linux 3.5) ---- */

TEST(test_dmesg_raw_buf)
{
	static struct fake f;
	size_t n;

	memset(&f, 0, sizeof(f));
	snprintf(f.vmci, sizeof(f.vmci), "%s", synthlog_raw_vmci);
	st_le64(f.mem + 0, SYNTHLOG_VA_DIRECT + SYNTHLOG_LOG);
	st_le32(f.mem + 8, 16);
	memcpy(f.mem + SYNTHLOG_LOG, "<6>lo\n<4>abcdefg", 16);
	st_le32(f.mem + 0x10, 6);
	st_le32(f.mem + 0x14, 0xffffffff); /* log_end is an unsigned int since 2.6.25 */
	CHECK(run(&f, out, sizeof(out), &n) == 0);
	CHECK(n == 6 && !memcmp(out, "<6>lo\n", 6));
	st_le32(f.mem + 0x10, 16 + 16 + 3); /* wrapped: oldest byte at 3 */
	CHECK(run(&f, out, sizeof(out), &n) == 0);
	CHECK(n == 16 && !memcmp(out, "lo\n<4>abcdefg<6>", 16));
}
