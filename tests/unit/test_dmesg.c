/* dmesg_write on synthetic ELF vmcores: a fake VMCOREINFO (Linux 6.1's
 * printk structure layout) and a small printk ring in one PT_LOAD. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/dmesg.h"
#include "capture/vmcore.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/rd.h"
#include "tests/unit/t.h"

#define MEM_SIZE 0x10000u
#define PADDR 0x1000000ull
#define VA_DIRECT 0xffff888001000000ull /* reached through the PT_LOAD's vaddr */
#define VA_TEXT 0xffffffff81000000ull   /* reached through phys_base = 0 */

/* where things live in the fake memory */
#define M_PRB_PTR 0x0
#define M_PRB 0x100
#define M_DESCS 0x1000
#define M_INFOS 0x2000
#define M_DATA 0x4000
#define M_LOG 0x8000

#define COUNT_BITS 4
#define COUNT (1u << COUNT_BITS)
#define SIZE_BITS 10
#define RING (1u << SIZE_BITS)
#define DESC_SIZE 24
#define INFO_SIZE 88
#define ID_MASK ((1ull << 62) - 1)

struct fake {
	uint8_t mem[MEM_SIZE];
	char vmci[4096];
	uint64_t lpos; /* next free position in the text ring */
	uint64_t next_id;
};

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

static void fake_prb(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->vmci, sizeof(f->vmci), "%s", prb_vmci);
	st_le64(f->mem + M_PRB_PTR, VA_TEXT + M_PRB);
	st_le32(f->mem + M_PRB + 0, COUNT_BITS);
	st_le64(f->mem + M_PRB + 8, VA_DIRECT + M_DESCS);
	st_le64(f->mem + M_PRB + 16, VA_TEXT + M_INFOS);
	st_le32(f->mem + M_PRB + 48, SIZE_BITS);
	st_le64(f->mem + M_PRB + 56, VA_DIRECT + M_DATA);
	/* an empty ring as the kernel sets it up: descriptor 0 reusable, ids count-1.. */
	f->next_id = 0;
}

static void set_head_tail(struct fake *f, uint64_t head, uint64_t tail)
{
	st_le64(f->mem + M_PRB + 24, head);
	st_le64(f->mem + M_PRB + 32, tail);
}

/* Append a record the way the kernel's data_alloc places it: a block that
 * would cross the ring's end goes to its start. state 2 = finalized. */
static void push(struct fake *f, uint64_t ts, const char *text, size_t len, unsigned state)
{
	uint64_t id = f->next_id++, slot = id % COUNT;
	uint64_t size = (8 + len + 7) & ~7ull, begin = f->lpos, next = begin + size, pos = begin % RING;
	uint8_t *desc = f->mem + M_DESCS + slot * DESC_SIZE, *info = f->mem + M_INFOS + slot * INFO_SIZE;

	if (pos + size > RING) {
		next = begin - pos + RING + size;
		pos = 0;
	}
	st_le64(f->mem + M_DATA + pos, id);
	memcpy(f->mem + M_DATA + pos + 8, text, len);
	st_le64(desc, (uint64_t)state << 62 | id);
	st_le64(desc + 8, begin);
	st_le64(desc + 16, next);
	memset(info, 0, INFO_SIZE);
	st_le64(info, id);
	st_le64(info + 8, ts);
	info[16] = (uint8_t)len;
	info[17] = (uint8_t)(len >> 8);
	f->lpos = next;
}

static int put_u32(uint8_t *p, uint32_t a, uint32_t b, uint32_t c)
{
	st_le32(p, a);
	st_le32(p + 4, b);
	st_le32(p + 8, c);
	return 12;
}

static int fake_write(const struct fake *f, const char *path)
{
	uint8_t *img;
	size_t vlen = strlen(f->vmci), notesz = 12 + 12 + ((vlen + 3) & ~3u), off = 176, memoff = 4096;
	size_t total = memoff + MEM_SIZE;
	FILE *fp;
	int ok;

	img = calloc(1, total);
	if (!img) {
		return -ENOMEM;
	}
	memcpy(img, "\177ELF\2\1\1", 7);
	img[16] = 4;  /* ET_CORE */
	img[18] = 62; /* EM_X86_64 */
	st_le32(img + 20, 1);
	st_le64(img + 32, 64); /* e_phoff */
	img[52] = 64;
	img[54] = 56;
	img[56] = 2;
	/* PT_NOTE */
	st_le32(img + 64, 4);
	st_le64(img + 64 + 8, off);
	st_le64(img + 64 + 32, notesz);
	st_le64(img + 64 + 40, notesz);
	/* PT_LOAD */
	st_le32(img + 120, 1);
	st_le64(img + 120 + 8, memoff);
	st_le64(img + 120 + 16, VA_DIRECT);
	st_le64(img + 120 + 24, PADDR);
	st_le64(img + 120 + 32, MEM_SIZE);
	st_le64(img + 120 + 40, MEM_SIZE);
	off += (size_t)put_u32(img + off, 11, (uint32_t)vlen, 0);
	memcpy(img + off, "VMCOREINFO", 11);
	memcpy(img + off + 12, f->vmci, vlen);
	memcpy(img + memoff, f->mem, MEM_SIZE);
	fp = fopen(path, "wb");
	ok = fp && fwrite(img, 1, total, fp) == total;
	if (fp) {
		ok &= fclose(fp) == 0;
	}
	free(img);
	return ok ? 0 : -EIO;
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
	r = fake_write(f, core);
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
	set_head_tail(&f, 2, 0);
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
	f.mem[M_INFOS + 4 * INFO_SIZE + 16] = 200;
	push(&f, 6000, "dataless", 8, 2);
	desc = f.mem + M_DESCS + 5 * DESC_SIZE;
	st_le64(desc + 8, 1); /* FAILED_LPOS: begin == next */
	st_le64(desc + 16, 1);
	push(&f, 7000, "wrong id", 8, 2);
	desc = f.mem + M_DESCS + 6 * DESC_SIZE;
	st_le64(desc, 2ull << 62 | (6 + COUNT)); /* slot reused by a later id */
	set_head_tail(&f, 6, 0);
	r = run(&f, out, sizeof(out), &n);
	CHECK(r == 0);
	/* a block of 14+8 bytes rounds to 24: 16 bytes of text fit */
	CHECK(!strcmp(out, "[    0.000001] kept\n"
			   "[    0.000004] committed\n"
			   "[    0.000005] truncated text\\x00\\x00\n"));
}

/* Many records of varying length: the text ring and the descriptor ring
 * both wrap; only the last COUNT records survive. */
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
		wraps += f.lpos / RING != before / RING && f.lpos % RING > (uint64_t)len;
		if (i >= total - (int)COUNT) {
			e += (size_t)snprintf(expect + e, sizeof(expect) - e, "[%5d.%06d] %s\n", 0, i * 1000003 / 1000,
					      msg);
		}
	}
	CHECK(f.lpos > 2 * RING); /* the text ring wrapped more than once */
	CHECK(wraps > 0);         /* and at least one block was moved to the start */
	set_head_tail(&f, total - 1, total - COUNT);
	r = run(&f, out, sizeof(out), &n);
	CHECK(r == 0);
	CHECK(!strcmp(out, expect));

	/* a tail that lies further back than the ring can hold is clamped */
	set_head_tail(&f, total - 1, 3);
	log_set_level(LOG_ERR); /* its warning is expected */
	r = run(&f, out, sizeof(out), &n);
	log_set_level(lvl);
	CHECK(r == 0);
	CHECK(!strcmp(out, expect));

	shift = (uint64_t)(total - 1) & ~(uint64_t)(COUNT - 1);
	/* ids wrap at 2^62: shift them (by a multiple of COUNT, keeping slots)
	 * so that the window straddles the wrap */
	for (unsigned s = 0; s < COUNT; s++) {
		uint8_t *d = f.mem + M_DESCS + s * DESC_SIZE;
		uint64_t sv = ld_le64(d);

		st_le64(d, (sv & ~ID_MASK) | (((sv & ID_MASK) - shift) & ID_MASK));
	}
	set_head_tail(&f, (uint64_t)total - 1 - shift, ((uint64_t)total - COUNT - shift) & ID_MASK);
	CHECK(ld_le64(f.mem + M_PRB + 32) > ld_le64(f.mem + M_PRB + 24));
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
	set_head_tail(&f, 0, 0);
	CHECK(run(&f, out, sizeof(out), &n) == 0);

	st_le32(f.mem + M_PRB, 63); /* count_bits */
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	st_le32(f.mem + M_PRB, COUNT_BITS);

	st_le32(f.mem + M_PRB + 48, 40); /* size_bits */
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	st_le32(f.mem + M_PRB + 48, SIZE_BITS);

	st_le64(f.mem + M_PRB + 8, 0xdead000000000000ull); /* descs nowhere */
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	st_le64(f.mem + M_PRB + 8, VA_DIRECT + MEM_SIZE - 100); /* descs run off the end */
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	st_le64(f.mem + M_PRB + 8, UINT64_MAX - 10); /* wraps */
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	st_le64(f.mem + M_PRB + 8, VA_DIRECT + M_DESCS);

	st_le64(f.mem + M_PRB_PTR, 0x1234); /* prb points nowhere */
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	st_le64(f.mem + M_PRB_PTR, VA_TEXT + M_PRB);

	/* VMCOREINFO: a missing key, an impossible layout, no log at all */
	snprintf(f.vmci, sizeof(f.vmci), "%.*s", (int)(strstr(prb_vmci, "SIZE(printk_info)") - prb_vmci), prb_vmci);
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	snprintf(f.vmci, sizeof(f.vmci), "OSRELEASE=6.1.0\nSYMBOL(prb)=ffffffff81000000\nNUMBER(phys_base)=0\n%s",
		 strstr(prb_vmci, "SIZE(printk_ringbuffer)"));
	CHECK(run(&f, out, sizeof(out), &n) == 0);
	snprintf(f.vmci, sizeof(f.vmci), "%s", prb_vmci);
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
		for (size_t i = M_DESCS; i < M_LOG; i += 8) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			/* mostly plausible states and small positions, sometimes anything */
			st_le64(f.mem + i, iter % 3 ? (seed & 0xc00000000000000full) | (seed >> 20 & 0x7ff) : seed);
		}
		set_head_tail(&f, seed % 40, (seed >> 8) % 40);
		if (iter % 10 == 0) {
			st_le32(f.mem + M_PRB, (uint32_t)(seed >> 40) % 34);
		}
		r = run(&f, out, sizeof(out), &n);
		CHECK(r == 0 || r == -EINVAL);
		CHECK(n < COUNT * (64 + 12 * RING));
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
	set_head_tail(&f, 0, 0);
	log_set_level(0);
	CHECK(io_fault_setup("write:1:ENOSPC") == 0);
	CHECK(run(&f, out, sizeof(out), &n) == -ENOSPC);
	CHECK(io_fault_setup(NULL) == 0);
	log_set_level(lvl);
}

/* ---- log_buf with struct printk_log records (Linux 3.5 - 5.9) ---- */

#define LOG_HDR 16
#define LOG_LEN 256

static const char log_vmci[] =
	"OSRELEASE=5.4.0\nNUMBER(phys_base)=0\nSYMBOL(log_buf)=ffffffff81000000\n"
	"SYMBOL(log_buf_len)=ffffffff81000008\nSYMBOL(log_first_idx)=ffffffff81000010\n"
	"SYMBOL(log_next_idx)=ffffffff81000014\nSIZE(printk_log)=16\nOFFSET(printk_log.ts_nsec)=0\n"
	"OFFSET(printk_log.len)=8\nOFFSET(printk_log.text_len)=10\n";

static uint32_t log_rec(struct fake *f, uint32_t idx, uint64_t ts, const char *text)
{
	size_t tl = strlen(text);
	uint32_t len = (uint32_t)((LOG_HDR + tl + 7) & ~7u);
	uint8_t *p = f->mem + M_LOG + idx;

	st_le64(p, ts);
	p[8] = (uint8_t)len;
	p[9] = (uint8_t)(len >> 8);
	p[10] = (uint8_t)tl;
	p[11] = (uint8_t)(tl >> 8);
	memcpy(p + LOG_HDR, text, tl);
	return idx + len;
}

TEST(test_dmesg_log_buf)
{
	static struct fake f;
	uint32_t idx, first;
	size_t n;
	int lvl = log_get_level();

	memset(&f, 0, sizeof(f));
	snprintf(f.vmci, sizeof(f.vmci), "%s", log_vmci);
	st_le64(f.mem + 0, VA_DIRECT + M_LOG);
	st_le32(f.mem + 8, LOG_LEN);
	/* older records at the end of the buffer, an end marker, newer ones at the start */
	first = 160;
	idx = log_rec(&f, first, 1500000, "old one");
	idx = log_rec(&f, idx, 2500000, "old\ntwo");
	CHECK(idx == 208);
	/* idx 208..224: zero header = wrap marker (memory is zeroed) */
	idx = log_rec(&f, 0, 3000000000ull, "new one");
	idx = log_rec(&f, idx, 4000000000ull, "new two");
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
	f.mem[M_LOG + first + 10] = 0xff;
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	f.mem[M_LOG + first + 10] = 7;
	/* log_next_idx that no record reaches: the walk must stop */
	st_le32(f.mem + 0x14, idx + 4);
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	/* a zero-length record at the start loops forever unless bounded */
	st_le32(f.mem + 0x14, idx);
	f.mem[M_LOG + 8] = 0;
	CHECK(run(&f, out, sizeof(out), &n) == -EINVAL);
	f.mem[M_LOG + 8] = 24;
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
	snprintf(f.vmci, sizeof(f.vmci),
		 "OSRELEASE=3.2.0\nNUMBER(phys_base)=0\nSYMBOL(log_buf)=ffffffff81000000\n"
		 "SYMBOL(log_buf_len)=ffffffff81000008\nSYMBOL(log_end)=ffffffff81000010\n");
	st_le64(f.mem + 0, VA_DIRECT + M_LOG);
	st_le32(f.mem + 8, 16);
	memcpy(f.mem + M_LOG, "<6>lo\n<4>abcdefg", 16);
	st_le32(f.mem + 0x10, 6);
	st_le32(f.mem + 0x14, 0xffffffff); /* log_end is an unsigned int since 2.6.25 */
	CHECK(run(&f, out, sizeof(out), &n) == 0);
	CHECK(n == 6 && !memcmp(out, "<6>lo\n", 6));
	st_le32(f.mem + 0x10, 16 + 16 + 3); /* wrapped: oldest byte at 3 */
	CHECK(run(&f, out, sizeof(out), &n) == 0);
	CHECK(n == 16 && !memcmp(out, "lo\n<4>abcdefg<6>", 16));
}
