/* The arm64 kexec_load pieces: SHA-256, /proc/iomem, the Image header, the
 * ELF core header, placement, the device tree, the purgatory's parameters
 * (and, on aarch64, the purgatory itself run under qemu-user). */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "initramfs/fdt.h"
#include "initramfs/kexec_arm64.h"
#include "lib/sha256.h"
#include "tests/unit/t.h"

static void hex(const uint8_t *d, char *out)
{
	for (int i = 0; i < SHA256_DIGEST_LEN; i++) {
		sprintf(out + 2 * i, "%02x", d[i]);
	}
}

static void digest_of(const void *p, size_t n, size_t chunk, char *out)
{
	struct sha256 s;
	uint8_t d[SHA256_DIGEST_LEN];

	sha256_init(&s);
	for (size_t o = 0; o < n; o += chunk) {
		sha256_update(&s, (const uint8_t *)p + o, n - o < chunk ? n - o : chunk);
	}
	sha256_final(&s, d);
	hex(d, out);
}

TEST(test_sha256_vectors)
{
	char h[65];
	static char mil[1000000];

	digest_of("", 0, 1, h);
	CHECK(!strcmp(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	digest_of("abc", 3, 1, h);
	CHECK(!strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	/* 56 bytes: the length no longer fits the padding block */
	digest_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, 7, h);
	CHECK(!strcmp(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
	memset(mil, 'a', sizeof(mil));
	digest_of(mil, sizeof(mil), 4099, h);
	CHECK(!strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

static const char iomem[] = "09000000-09000fff : pl011@9000000\n"
			    "  09000000-09000fff : pl011@9000000\n"
			    "40000000-4fffffff : System RAM\n"
			    "  40210000-41b2ffff : Kernel code\n"
			    "50000000-50000fff : reserved\n"
			    "50001000-bfffffff : System RAM\n"
			    "  a0000000-afffffff : Crash kernel\n"
			    "  be000000-bfffffff : reserved\n"
			    "4010000000-401fffffff : PCI ECAM\n";

TEST(test_kexec_iomem)
{
	struct ka_ranges ram, crash, out;

	CHECK(kexec_arm64_parse_iomem(iomem, &ram, &crash) == 0);
	CHECK(ram.n == 2 && ram.r[0].start == 0x40000000 && ram.r[0].end == 0x4fffffff);
	CHECK(ram.r[1].start == 0x50001000 && ram.r[1].end == 0xbfffffff);
	CHECK(crash.n == 1 && crash.r[0].start == 0xa0000000 && crash.r[0].end == 0xafffffff);
	CHECK(kexec_arm64_subtract(&ram, &crash, &out) == 0);
	CHECK(out.n == 3 && out.r[1].start == 0x50001000 && out.r[1].end == 0x9fffffff);
	CHECK(out.r[2].start == 0xb0000000 && out.r[2].end == 0xbfffffff);
	/* a reservation at a range's end, and one covering a whole range */
	crash.r[0].start = 0xb0000000;
	crash.r[0].end = 0xbfffffff;
	crash.r[1].start = 0x40000000;
	crash.r[1].end = 0x4fffffff;
	crash.n = 2;
	CHECK(kexec_arm64_subtract(&ram, &crash, &out) == 0);
	CHECK(out.n == 1 && out.r[0].start == 0x50001000 && out.r[0].end == 0xafffffff);
	CHECK(kexec_arm64_parse_iomem("40000000-3fffffff : System RAM\n", &ram, &crash) == -EINVAL);
	CHECK(kexec_arm64_parse_iomem("garbage\n", &ram, &crash) == -EINVAL);
	/* not root: the addresses read as zeros, no crash range of any size */
	CHECK(kexec_arm64_parse_iomem("00000000-00000000 : System RAM\n", &ram, &crash) == 0 && crash.n == 0);
}

static void image_hdr(uint8_t *h, uint64_t text_offset, uint64_t size, uint64_t flags)
{
	memset(h, 0, 64);
	for (int i = 0; i < 8; i++) {
		h[8 + i] = (uint8_t)(text_offset >> (8 * i));
		h[16 + i] = (uint8_t)(size >> (8 * i));
		h[24 + i] = (uint8_t)(flags >> (8 * i));
	}
	memcpy(h + 56, "ARM\x64", 4);
}

TEST(test_kexec_image_header)
{
	uint8_t h[4096];
	uint64_t to, sz;

	image_hdr(h, 0, 0x2710000, 0xa); /* Debian 6.1: 4K pages, placement anywhere */
	CHECK(kexec_arm64_image_header(h, sizeof(h), &to, &sz) == 0 && to == 0 && sz == 0x2710000);
	image_hdr(h, 0, 0x2710000, 0xb); /* big-endian */
	CHECK(kexec_arm64_image_header(h, sizeof(h), &to, &sz) == -ENOEXEC);
	image_hdr(h, 0, 0x2710000, 0x6); /* 64K pages: any page size boots */
	CHECK(kexec_arm64_image_header(h, sizeof(h), &to, &sz) == 0 && sz == 0x2710000);
	image_hdr(h, 0, 0x2c10000, 0xc); /* Debian 6.12 arm64-16k */
	CHECK(kexec_arm64_image_header(h, sizeof(h), &to, &sz) == 0 && sz == 0x2c10000);
	image_hdr(h, 0, 0, 0); /* before 3.17 */
	CHECK(kexec_arm64_image_header(h, sizeof(h), &to, &sz) == 0 && to == 0x80000 && sz == 4096);
	h[0] = 0x1f, h[1] = 0x8b, h[56] = 0; /* a gzip'ed vmlinuz */
	CHECK(kexec_arm64_image_header(h, sizeof(h), &to, &sz) == -ENOEXEC);
}

TEST(test_kexec_elfcorehdr)
{
	struct ka_note notes[3] = { { 0xbfd0e000, 0x1a8 }, { 0xbfd2e000, 0x1a8 }, { 0x41f10000, 0x1000 } };
	struct ka_ranges ram = { { { 0x40000000, 0x9fffffff }, { 0xb0000000, 0xbfffffff } }, 2 };
	void *buf;
	size_t len;
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph;

	struct ka_text text = { 0xffffb94fed600000ULL, 0x40200000, 0x1e50000 }, none = { 0, 0, 0 };

	CHECK(kexec_arm64_elfcorehdr(notes, 3, &text, &ram, 0xffff000000000000ULL - 0x40000000, &buf, &len) == 0);
	CHECK(len == sizeof(Elf64_Ehdr) + 6 * sizeof(Elf64_Phdr));
	eh = buf;
	ph = (const Elf64_Phdr *)((const char *)buf + eh->e_phoff);
	CHECK(!memcmp(eh->e_ident, ELFMAG, SELFMAG) && eh->e_ident[EI_CLASS] == ELFCLASS64);
	CHECK(eh->e_type == ET_CORE && eh->e_machine == EM_AARCH64 && eh->e_phnum == 6);
	CHECK(ph[0].p_type == PT_NOTE && ph[0].p_offset == 0xbfd0e000 && ph[0].p_filesz == 0x1a8);
	CHECK(ph[2].p_type == PT_NOTE && ph[2].p_offset == 0x41f10000 && ph[2].p_memsz == 0x1000);
	CHECK(ph[3].p_type == PT_LOAD && ph[3].p_vaddr == text.vaddr && ph[3].p_offset == 0x40200000 &&
	      ph[3].p_filesz == 0x1e50000);
	CHECK(ph[4].p_type == PT_LOAD && ph[4].p_offset == 0x40000000 && ph[4].p_paddr == 0x40000000);
	CHECK(ph[4].p_vaddr == 0xffff000000000000ULL && ph[4].p_filesz == 0x60000000);
	CHECK(ph[5].p_vaddr == 0xffff000070000000ULL && ph[5].p_memsz == 0x10000000);
	free(buf);
	/* no text segment known */
	CHECK(kexec_arm64_elfcorehdr(notes, 3, &none, &ram, 0, &buf, &len) == 0 && ((Elf64_Ehdr *)buf)->e_phnum == 5);
	free(buf);
	ram.n = 0;
	CHECK(kexec_arm64_elfcorehdr(notes, 3, &text, &ram, 0, &buf, &len) == -EINVAL);
}

TEST(test_kexec_place)
{
	static uint8_t k[100], i[100];
	struct ka_range crash = { 0xa0100000, 0xafffffff };
	struct ka_seg s[KA_NR_SEGS] = {
		[KA_SEG_KERNEL] = { k, 0x1e00000, 0, 0 }, [KA_SEG_INITRD] = { i, 0x123456, 0, 0 },
		[KA_SEG_DTB] = { NULL, 0x2000, 0, 0 },    [KA_SEG_ELFHDR] = { NULL, 0x1c0, 0, 0 },
		[KA_SEG_PURGATORY] = { NULL, 0x2730, 0, 0 },
	};

	CHECK(kexec_arm64_place(s, &crash, 0, 0x2710000, 0x1000) == 0);
	CHECK(s[KA_SEG_KERNEL].mem == 0xa0200000 && s[KA_SEG_KERNEL].memsz == 0x2710000);
	CHECK(s[KA_SEG_INITRD].mem == 0xa2910000 && s[KA_SEG_INITRD].memsz == 0x124000);
	CHECK(s[KA_SEG_DTB].mem == 0xa2a34000 && s[KA_SEG_ELFHDR].mem == 0xa2a36000 && s[KA_SEG_ELFHDR].memsz == 0x1000);
	CHECK(s[KA_SEG_PURGATORY].mem == 0xa2a37000 && s[KA_SEG_PURGATORY].memsz == 0x3000);
	/* a device tree that would cross a 2 MiB boundary starts at the next */
	s[KA_SEG_INITRD].bufsz = 0x2ef000;
	CHECK(kexec_arm64_place(s, &crash, 0, 0x2710000, 0x1000) == 0 && s[KA_SEG_DTB].mem == 0xa2c00000);
	/* a running kernel of 16 KiB pages: every segment starts and ends on one */
	s[KA_SEG_INITRD].bufsz = 0x123456;
	CHECK(kexec_arm64_place(s, &crash, 0, 0x2710000, 0x4000) == 0);
	for (int n = 0; n < KA_NR_SEGS; n++) {
		CHECK(s[n].mem % 0x4000 == 0 && s[n].memsz % 0x4000 == 0 && s[n].memsz >= s[n].bufsz);
	}
	CHECK(s[KA_SEG_INITRD].mem == 0xa2910000 && s[KA_SEG_INITRD].memsz == 0x124000);
	CHECK(s[KA_SEG_ELFHDR].memsz == 0x4000 && s[KA_SEG_PURGATORY].mem == s[KA_SEG_ELFHDR].mem + 0x4000);
	/* 64 KiB, and an Image placed off a page */
	CHECK(kexec_arm64_place(s, &crash, 0, 0x2710000, 0x10000) == 0 && s[KA_SEG_PURGATORY].memsz == 0x10000);
	CHECK(kexec_arm64_place(s, &crash, 0x80000 + 0x1000, 0x2710000, 0x10000) == -EINVAL);
	/* too small a reservation */
	crash.end = 0xa2000000 - 1;
	CHECK(kexec_arm64_place(s, &crash, 0, 0x2710000, 0x1000) == -ENOSPC);
}

/* A device tree written by hand, as QEMU's virt machine gives it (cut down). */
struct tb {
	uint8_t st[1024], str[256];
	size_t sl, strl;
};

static void tb32(uint8_t *b, size_t *l, uint32_t v)
{
	b[(*l)++] = (uint8_t)(v >> 24);
	b[(*l)++] = (uint8_t)(v >> 16);
	b[(*l)++] = (uint8_t)(v >> 8);
	b[(*l)++] = (uint8_t)v;
}

static void tb_node(struct tb *t, const char *name)
{
	tb32(t->st, &t->sl, 1);
	memcpy(t->st + t->sl, name, strlen(name) + 1);
	t->sl += (strlen(name) + 4) & ~3u;
}

static void tb_prop(struct tb *t, const char *name, const void *v, size_t n)
{
	tb32(t->st, &t->sl, 3);
	tb32(t->st, &t->sl, (uint32_t)n);
	tb32(t->st, &t->sl, (uint32_t)t->strl);
	memcpy(t->str + t->strl, name, strlen(name) + 1);
	t->strl += strlen(name) + 1;
	memcpy(t->st + t->sl, v, n);
	t->sl += (n + 3) & ~(size_t)3;
}

static size_t tb_finish(struct tb *t, uint8_t *out)
{
	size_t l = 0, rsv = 40, st = rsv + 32, str = st + t->sl;

	memset(out, 0, str + t->strl);
	tb32(out, &l, FDT_MAGIC);
	tb32(out, &l, (uint32_t)(str + t->strl));
	tb32(out, &l, (uint32_t)st);
	tb32(out, &l, (uint32_t)str);
	tb32(out, &l, (uint32_t)rsv);
	tb32(out, &l, 17);
	tb32(out, &l, 16);
	tb32(out, &l, 0);
	tb32(out, &l, (uint32_t)t->strl);
	tb32(out, &l, (uint32_t)t->sl);
	out[rsv + 7] = 0x40, out[rsv + 15] = 0x10; /* one memory reservation: 0x40 + 0x10 */
	memcpy(out + st, t->st, t->sl);
	memcpy(out + str, t->str, t->strl);
	return str + t->strl;
}

static const uint8_t two[4] = { 0, 0, 0, 2 }, reg[16] = { 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0 };
static const uint8_t seed8[8] = { 0 }, rng[32] = { 7 };

static size_t qemu_dtb(uint8_t *out, int with_chosen)
{
	static struct tb t;

	memset(&t, 0, sizeof(t));
	tb_node(&t, "");
	tb_prop(&t, "#address-cells", two, 4);
	tb_prop(&t, "#size-cells", two, 4);
	tb_node(&t, "memory@40000000");
	tb_prop(&t, "reg", reg, sizeof(reg));
	tb32(t.st, &t.sl, 2);
	if (with_chosen) {
		tb_node(&t, "chosen");
		tb32(t.st, &t.sl, 4); /* a NOP */
		tb_prop(&t, "bootargs", "console=ttyAMA0 crashkernel=256M", 33);
		tb_prop(&t, "kaslr-seed", seed8, 8);
		tb_prop(&t, "rng-seed", rng, sizeof(rng));
		tb_prop(&t, "stdout-path", "/pl011@9000000", 15);
		if (with_chosen > 1) { /* a subnode, as /chosen/framebuffer on some boards */
			tb_node(&t, "framebuffer@0");
			tb_prop(&t, "status", "okay", 5);
			tb32(t.st, &t.sl, 2);
		}
		tb32(t.st, &t.sl, 2);
	}
	tb32(t.st, &t.sl, 2);
	tb32(t.st, &t.sl, 9);
	return tb_finish(&t, out);
}

static uint64_t be64_at(const void *v, size_t off)
{
	const uint8_t *p = (const uint8_t *)v + off;
	uint64_t r = 0;

	for (int i = 0; i < 8; i++) {
		r = r << 8 | p[i];
	}
	return r;
}

static uint32_t be32_at(const uint8_t *b, size_t off)
{
	return (uint32_t)b[off] << 24 | (uint32_t)b[off + 1] << 16 | (uint32_t)b[off + 2] << 8 | b[off + 3];
}

/* The structure block never has a property after a subnode of the same node. */
static int props_before_subnodes(const uint8_t *b)
{
	size_t off = be32_at(b, 8), end = off + be32_at(b, 36);
	int depth = 0, child_seen[64] = { 0 };

	while (off + 4 <= end && depth < 63) {
		uint32_t tok = be32_at(b, off);

		off += 4;
		if (tok == 1) { /* begin node: its parent now has a subnode */
			child_seen[depth] = 1;
			child_seen[++depth] = 0;
			off += (strlen((const char *)b + off) + 4) & ~(size_t)3;
		} else if (tok == 2) {
			depth--;
		} else if (tok == 3) {
			if (child_seen[depth]) {
				return 0;
			}
			off += 8 + ((be32_at(b, off) + 3) & ~3u);
		} else if (tok == 9) {
			return 1;
		}
	}
	return 0;
}

TEST(test_kexec_dtb)
{
	static uint8_t in[2048];
	struct ka_ranges usable = { { { 0xa0000000, 0xafffffff } }, 1 };
	struct ka_dtb_args a = { "console=ttyAMA0 reset_devices nr_cpus=1", 0xa2910000, 0xa2a33456, 0xa2a36000, 0x1c0,
				 &usable, 0x1122334455667788ULL };
	size_t n = qemu_dtb(in, 1), olen, vlen;
	void *out;
	const void *v;

	CHECK(fdt_check(in, n) == 0);
	CHECK(kexec_arm64_build_dtb(in, n, &a, &out, &olen) == 0);
	CHECK(fdt_check(out, olen) == 0);
	CHECK(fdt_get(out, olen, "/chosen", "bootargs", &v, &vlen) == 0 && !strcmp(v, a.cmdline));
	CHECK(fdt_get(out, olen, "/chosen", "linux,initrd-start", &v, &vlen) == 0 && vlen == 8 &&
	      be64_at(v, 0) == 0xa2910000);
	CHECK(fdt_get(out, olen, "/chosen", "linux,initrd-end", &v, &vlen) == 0 && be64_at(v, 0) == 0xa2a33456);
	CHECK(fdt_get(out, olen, "/chosen", "linux,elfcorehdr", &v, &vlen) == 0 && vlen == 16 &&
	      be64_at(v, 0) == 0xa2a36000 && be64_at(v, 8) == 0x1c0);
	CHECK(fdt_get(out, olen, "/chosen", "linux,usable-memory-range", &v, &vlen) == 0 && vlen == 16 &&
	      be64_at(v, 0) == 0xa0000000 && be64_at(v, 8) == 0x10000000);
	CHECK(fdt_get(out, olen, "/chosen", "kaslr-seed", &v, &vlen) == 0 && be64_at(v, 0) == a.seed);
	CHECK(fdt_get(out, olen, "/chosen", "rng-seed", &v, &vlen) == -ENOENT);
	CHECK(fdt_get(out, olen, "/chosen", "stdout-path", &v, &vlen) == 0 && !strcmp(v, "/pl011@9000000"));
	CHECK(fdt_get(out, olen, "/memory", "reg", &v, &vlen) == 0 && vlen == 16 && !memcmp(v, reg, 16));
	CHECK(fdt_get(out, olen, "/", "#size-cells", &v, &vlen) == 0 && !memcmp(v, two, 4));
	CHECK(olen > 56 && ((uint8_t *)out)[40 + 7] == 0x40 && ((uint8_t *)out)[40 + 15] == 0x10);
	free(out);
	/* no /chosen: one is made; no kaslr-seed before, none after; no initrd */
	n = qemu_dtb(in, 0);
	a.initrd_start = a.initrd_end = 0;
	CHECK(kexec_arm64_build_dtb(in, n, &a, &out, &olen) == 0 && fdt_check(out, olen) == 0);
	CHECK(fdt_get(out, olen, "/chosen", "bootargs", &v, &vlen) == 0 && !strcmp(v, a.cmdline));
	CHECK(fdt_get(out, olen, "/chosen", "kaslr-seed", &v, &vlen) == -ENOENT);
	CHECK(fdt_get(out, olen, "/chosen", "linux,initrd-start", &v, &vlen) == -ENOENT);
	CHECK(fdt_get(out, olen, "/chosen", "linux,elfcorehdr", &v, &vlen) == 0);
	free(out);
	/* /chosen with a subnode: the new properties come before it */
	n = qemu_dtb(in, 2);
	CHECK(kexec_arm64_build_dtb(in, n, &a, &out, &olen) == 0 && fdt_check(out, olen) == 0);
	CHECK(fdt_get(out, olen, "/chosen", "linux,elfcorehdr", &v, &vlen) == 0 && be64_at(v, 0) == 0xa2a36000);
	CHECK(fdt_get(out, olen, "/chosen", "kaslr-seed", &v, &vlen) == 0 && be64_at(v, 0) == a.seed);
	CHECK(props_before_subnodes(out));
	free(out);
	/* broken input */
	in[0] = 0;
	CHECK(kexec_arm64_build_dtb(in, n, &a, &out, &olen) == -EINVAL);
	n = qemu_dtb(in, 1);
	CHECK(fdt_check(in, n - 40) == -EINVAL);
}

TEST(test_kexec_fdt_cells)
{
	uint8_t b[16];

	CHECK(fdt_put_cells(b, 1, 0x12345678) == 0 && b[0] == 0x12 && b[3] == 0x78);
	CHECK(fdt_put_cells(b, 1, 0x100000000ULL) == -ERANGE);
	CHECK(fdt_put_cells(b, 2, 0x100000000ULL) == 0 && b[3] == 1 && b[4] == 0);
}

static struct purg_params *params_in(uint8_t *img, size_t len)
{
	uint64_t m = PURG_MAGIC;

	for (size_t o = 0; o + sizeof(struct purg_params) <= len; o += 8) {
		if (!memcmp(img + o, &m, 8)) {
			return (struct purg_params *)(img + o);
		}
	}
	return NULL;
}

TEST(test_kexec_purgatory_fill)
{
	static uint8_t img[1024], k[5000], d[300], e[200];
	uint64_t m = PURG_MAGIC;
	struct ka_seg s[KA_NR_SEGS] = {
		[KA_SEG_KERNEL] = { k, sizeof(k), 0xa0200000, 0x2000 }, [KA_SEG_DTB] = { d, sizeof(d), 0xa2a34000, 0x1000 },
		[KA_SEG_ELFHDR] = { e, sizeof(e), 0xa2a36000, 0x1000 }, [KA_SEG_PURGATORY] = { img, sizeof(img), 0xa2a37000, 0x1000 },
	};
	struct purg_params *p;
	struct sha256 h;
	uint8_t want[SHA256_DIGEST_LEN];

	memset(k, 1, sizeof(k));
	memset(d, 2, sizeof(d));
	memset(e, 3, sizeof(e));
	CHECK(kexec_arm64_purgatory_fill(img, sizeof(img), s) == -EINVAL); /* no parameter block */
	memcpy(img + 48, &m, 8);
	CHECK(kexec_arm64_purgatory_fill(img, sizeof(img), s) == 0);
	p = params_in(img, sizeof(img));
	CHECK(p == (struct purg_params *)(img + 48));
	CHECK(p->kernel_entry == 0xa0200000 && p->dtb == 0xa2a34000 && p->nr_regions == 3);
	CHECK(p->region[0].start == 0xa0200000 && p->region[0].len == sizeof(k));
	CHECK(p->region[2].start == 0xa2a36000 && p->region[2].len == sizeof(e));
	sha256_init(&h);
	sha256_update(&h, k, sizeof(k));
	sha256_update(&h, d, sizeof(d));
	sha256_update(&h, e, sizeof(e));
	sha256_final(&h, want);
	CHECK(!memcmp(p->digest, want, sizeof(want)));
}

#ifdef __aarch64__
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern const unsigned char kdc_purgatory_arm64[];
extern const size_t kdc_purgatory_arm64_len;

#define PURG_TEST_DTB  42
#define PURG_TEST_WAIT 3 /* s: a purgatory that found a bad digest spins */

static void landed(uint64_t dtb)
{
	_exit((int)(dtb & 0x7f));
}

/* Run the real purgatory in a child on segments in its memory; its exit
 * status (landed() got x0), or -1 when it never reached the "kernel". */
static int run_purgatory(int corrupt)
{
	static uint8_t k[70000], d[3000];
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		size_t len = kdc_purgatory_arm64_len;
		uint8_t *img = mmap(NULL, len, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct ka_seg s[KA_NR_SEGS] = {
			[KA_SEG_KERNEL] = { k, sizeof(k), (uintptr_t)k, 0 }, [KA_SEG_DTB] = { d, sizeof(d), (uintptr_t)d, 0 },
		};
		struct purg_params *p;

		for (size_t i = 0; i < sizeof(k); i++) {
			k[i] = (uint8_t)(i * 7);
		}
		memcpy(img, kdc_purgatory_arm64, len);
		if (kexec_arm64_purgatory_fill(img, len, s) < 0 || !(p = params_in(img, len))) {
			_exit(99);
		}
		p->kernel_entry = (uintptr_t)landed;
		p->dtb = PURG_TEST_DTB;
		k[sizeof(k) / 2] ^= (uint8_t)corrupt;
		__builtin___clear_cache((char *)img, (char *)img + len);
		((void (*)(void))img)();
		_exit(98);
	}
	for (int i = 0; i < PURG_TEST_WAIT * 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			return WIFEXITED(st) ? WEXITSTATUS(st) : -2;
		}
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

TEST(test_purgatory_runs)
{
	CHECK(run_purgatory(0) == PURG_TEST_DTB); /* digest good: enters the kernel with x0 = the DTB */
	CHECK(run_purgatory(1) == -1);            /* one byte changed: never enters it */
}
#endif
