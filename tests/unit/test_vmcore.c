/* The vmcore reader on PT_LOADs that split RAM at unaligned addresses (as
 * EFI machines' vmcores do around setup_data): a page is read from every
 * segment that holds part of it, holes read as zero, kdumpcap's own reads
 * refuse holes; and PT_LOADs past MAX_PHYSMEM_BITS are clipped. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/log.h"
#include "lib/rd.h"
#include "vmcore/vmcore.h"
#include "tests/unit/t.h"

#define PG 4096ull
#define EHDR 64
#define PHDR 56
#define DATA_OFF 0x2000ull /* file offset of the first segment's bytes */

struct seg {
	uint64_t paddr, memsz, filesz;
};

/* The byte that physical address A holds: never zero. */
static uint8_t mem_at(uint64_t a)
{
	return (uint8_t)((a * 7 + (a >> 12)) | 1);
}

/* Write an ELF64 core of N segments (file data one after the other) and a
 * VMCOREINFO note of TEXT to PATH; 0 or -1. */
static int write_core(const char *path, const struct seg *s, unsigned n, const char *text)
{
	size_t tl = strlen(text), nsz = 12 + 12 + ((tl + 3) & ~3ul);
	uint8_t h[DATA_OFF] = { 0 };
	uint64_t off = DATA_OFF;
	uint8_t *note = h + EHDR + PHDR * (n + 1);
	FILE *f = fopen(path, "wb");
	int r = 0;

	if (!f) {
		return -1;
	}
	memcpy(h, "\177ELF\2\1\1", 7);
	h[16] = 4;  /* ET_CORE */
	h[18] = 62; /* EM_X86_64 */
	st_le64(h + 32, EHDR);
	h[54] = PHDR;
	h[56] = (uint8_t)(n + 1);
	st_le32(h + EHDR, 4); /* PT_NOTE */
	st_le64(h + EHDR + 8, EHDR + PHDR * (n + 1));
	st_le64(h + EHDR + 32, nsz);
	st_le64(h + EHDR + 40, nsz);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = h + EHDR + PHDR * (i + 1);

		st_le32(p, 1); /* PT_LOAD */
		st_le64(p + 8, off);
		st_le64(p + 16, 0xffff888000000000ull + s[i].paddr);
		st_le64(p + 24, s[i].paddr);
		st_le64(p + 32, s[i].filesz);
		st_le64(p + 40, s[i].memsz);
		off += s[i].filesz;
	}
	st_le32(note, 11);
	st_le32(note + 4, (uint32_t)tl);
	memcpy(note + 12, "VMCOREINFO", 11);
	memcpy(note + 24, text, tl);
	r |= fwrite(h, sizeof(h), 1, f) != 1;
	for (unsigned i = 0; i < n; i++) {
		for (uint64_t a = s[i].paddr; a < s[i].paddr + s[i].filesz; a++) {
			r |= fputc(mem_at(a), f) == EOF;
		}
	}
	r |= fclose(f) != 0;
	return r ? -1 : 0;
}

static const char vmci[] = "OSRELEASE=6.1.0\nPAGESIZE=4096\n";

/* pfn 1: segments A [0x1000, 0x1018) and B [0x1018, 0x1800) then a gap, C from
 * 0x1900 to 0x3000; pfn 4 begins in a hole, D from 0x4a00 to 0x6000 with file
 * data to 0x5123; pfn 7 wholly in a hole. */
static const struct seg split[] = {
	{ 0x1000, 0x18, 0x18 }, { 0x1018, 0x7e8, 0x7e8 }, { 0x1900, 0x1700, 0x1700 }, { 0x4a00, 0x1600, 0x723 },
	{ 0x8000, 0x1000, 0x1000 },
};

/* Expected byte of the page at A: 0 in holes and past file data. */
static uint8_t want_at(uint64_t a)
{
	for (unsigned i = 0; i < sizeof(split) / sizeof(split[0]); i++) {
		if (a >= split[i].paddr && a < split[i].paddr + split[i].filesz) {
			return mem_at(a);
		}
	}
	return 0;
}

static bool page_ok(struct vmcore *vc, uint64_t pfn)
{
	int err = 0;
	const uint8_t *p = vmcore_page(vc, pfn, &err);

	if (!p) {
		return false;
	}
	for (uint64_t i = 0; i < PG; i++) {
		if (p[i] != want_at(pfn * PG + i)) {
			printf("  pfn %llu byte 0x%llx: 0x%02x, want 0x%02x\n", (unsigned long long)pfn,
			       (unsigned long long)i, p[i], want_at(pfn * PG + i));
			return false;
		}
	}
	return true;
}

static void check_split(struct vmcore *vc)
{
	uint8_t buf[0x100];
	int err = 0;

	CHECK(page_ok(vc, 1)); /* three segments and a gap */
	CHECK(page_ok(vc, 2));
	CHECK(page_ok(vc, 4)); /* starts in a hole */
	CHECK(page_ok(vc, 5)); /* file data ends mid-page */
	CHECK(page_ok(vc, 8));
	CHECK(!vmcore_page(vc, 7, &err) && err == -ENOENT);
	CHECK(!vmcore_page(vc, 3, &err) && err == -ENOENT);
	CHECK(vmcore_pfn_present(vc, 1) && vmcore_pfn_present(vc, 4) && vmcore_pfn_present(vc, 5));
	CHECK(!vmcore_pfn_present(vc, 0) && !vmcore_pfn_present(vc, 3) && !vmcore_pfn_present(vc, 7));
	/* kdumpcap's own reads cross contiguous segments but never a hole */
	CHECK(vmcore_read_phys(vc, 0x1010, buf, 0x20) == 0 && buf[0] == mem_at(0x1010) && buf[0x1f] == mem_at(0x102f));
	CHECK(vmcore_read_phys(vc, 0x17f0, buf, 0x20) == -ENOENT);
	CHECK(vmcore_read_phys(vc, 0x49f0, buf, 0x20) == -ENOENT);
	CHECK(vmcore_read_phys(vc, 0x5100, buf, 0x40) == 0 && buf[0x22] == mem_at(0x5122) && buf[0x23] == 0);
	CHECK(vc->max_pfn == 9);
}

TEST(vmcore_page_from_every_segment)
{
	char path[64];
	struct vmcore vc;

	snprintf(path, sizeof(path), "/tmp/kdc-vmcore-%d.core", (int)getpid());
	CHECK(write_core(path, split, sizeof(split) / sizeof(split[0]), vmci) == 0);
	CHECK(vmcore_open(&vc, path) == 0);
	check_split(&vc);
	vmcore_close(&vc);
	/* the same through pread when mmap is refused */
	CHECK(io_fault_setup("mmap:1:ENOMEM") == 0);
	CHECK(vmcore_open(&vc, path) == 0);
	check_split(&vc);
	vmcore_close(&vc);
	CHECK(io_fault_setup(NULL) == 0);
	unlink(path);
}

static bool bytes_ok(const uint8_t *p, uint64_t paddr, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != mem_at(paddr + i)) {
			return false;
		}
	}
	return true;
}

/* The page filter reads a section's struct pages in place: a range across
 * a 4 MiB boundary of the file maps whole, only until unmapped; ranges past
 * file data, across a hole or larger than 4 MiB are refused, and so is all
 * of it when mmap is refused (the filter then copies). */
TEST(vmcore_map_phys_in_place)
{
	const struct seg s[] = { { 0x100000, 10ull << 20, 9ull << 20 }, { 0x1000000, PG, PG } };
	uint64_t across = 0x100000 + (4ull << 20) - DATA_OFF - PG; /* file offset 4 MiB - 4 KiB */
	uint64_t end = 0x100000 + (9ull << 20);                    /* file data ends */
	size_t two = (2u << 20) + 64;
	char path[64];
	struct vmcore vc;
	const uint8_t *p;
	int err = 0;

	snprintf(path, sizeof(path), "/tmp/kdc-vmcore-%d.core", (int)getpid());
	CHECK(write_core(path, s, 2, vmci) == 0);
	CHECK(vmcore_open(&vc, path) == 0);
	p = vmcore_map_phys(&vc, across, two);
	CHECK(p && bytes_ok(p, across, two));
	p = vmcore_map_phys(&vc, end - 3 * PG - 8, 3 * PG + 8); /* to the end of file data */
	CHECK(p && bytes_ok(p, end - 3 * PG - 8, 3 * PG + 8));
	vmcore_unmap_phys(&vc);
	CHECK(!vc.spans.map);
	p = vmcore_map_phys(&vc, 0x100000, 4u << 20);
	CHECK(p && bytes_ok(p, 0x100000, 4u << 20));
	CHECK(!vmcore_map_phys(&vc, 0x100000, (4u << 20) + 1)); /* larger than a window */
	CHECK(!vc.spans.map);                                     /* a refusal unmaps too */
	CHECK(!vmcore_map_phys(&vc, end - PG, 2 * PG));          /* past file data */
	CHECK(!vmcore_map_phys(&vc, 0xfff000, 2 * PG));          /* across a hole */
	p = vmcore_page(&vc, (across + PG) / PG, &err);
	CHECK(p && bytes_ok(p, across + PG, PG));
	vmcore_close(&vc);
	CHECK(io_fault_setup("mmap:1:ENOMEM") == 0);
	CHECK(vmcore_open(&vc, path) == 0);
	CHECK(!vmcore_map_phys(&vc, across, two));
	vmcore_close(&vc);
	CHECK(io_fault_setup(NULL) == 0);
	unlink(path);
}

TEST(vmcore_clips_past_max_physmem_bits)
{
	char path[64];
	struct vmcore vc;
	int lvl = log_get_level();
	const struct seg s[] = {
		{ 0x1000, 0x1000, 0x1000 },
		{ (1ull << 40) - 2 * PG, 1ull << 50, PG }, /* absurd memsz: keeps its one page of data */
		{ 1ull << 41, PG, PG },                    /* wholly past the limit: left out */
	};

	snprintf(path, sizeof(path), "/tmp/kdc-vmcore-%d.core", (int)getpid());
	CHECK(write_core(path, s, 3, "OSRELEASE=6.1.0\nPAGESIZE=4096\nNUMBER(MAX_PHYSMEM_BITS)=40\n") == 0);
	log_set_level(0);
	CHECK(vmcore_open(&vc, path) == 0);
	log_set_level(lvl);
	CHECK(vc.nseg == 2);
	CHECK(vc.max_pfn == ((1ull << 40) - PG) / PG);
	CHECK(vmcore_pfn_present(&vc, ((1ull << 40) - 2 * PG) / PG));
	vmcore_close(&vc);
	/* without the number: 46 bits (4-level paging), the segment at 2^41 stays */
	CHECK(write_core(path, s, 3, vmci) == 0);
	log_set_level(0);
	CHECK(vmcore_open(&vc, path) == 0);
	log_set_level(lvl);
	CHECK(vc.nseg == 3);
	CHECK(vc.max_pfn == ((1ull << 41) + PG) / PG);
	vmcore_close(&vc);
	unlink(path);
}

/* Give the core at PATH the ELF machine EM; 0 or -1. */
static int set_machine(const char *path, uint16_t em)
{
	uint8_t b[2] = { (uint8_t)em, (uint8_t)(em >> 8) };
	FILE *f = fopen(path, "r+b");
	int r = !f || fseek(f, 18, SEEK_SET) || fwrite(b, 2, 1, f) != 1;

	if (f) {
		r |= fclose(f) != 0;
	}
	return r ? -1 : 0;
}

/* vmcore_open with VMCOREINFO TEXT on machine EM (62 x86_64, 183 aarch64):
 * its result, and the page size read into *PS. */
static int open_paged(const char *path, uint16_t em, const char *text, uint32_t *ps)
{
	struct vmcore vc;
	int lvl = log_get_level(), r;

	if (write_core(path, split, sizeof(split) / sizeof(split[0]), text) || set_machine(path, em)) {
		return -EIO;
	}
	log_set_level(0);
	r = vmcore_open(&vc, path);
	log_set_level(lvl);
	*ps = r ? 0 : vc.page_size;
	if (!r) {
		CHECK(vc.page_size == 1u << vc.page_shift);
		if (vc.page_size == PG) {
			check_split(&vc); /* a layout of 4 KiB pages */
		}
		vmcore_close(&vc);
	}
	return r;
}

TEST(vmcore_page_size_from_vmcoreinfo)
{
	char path[64];
	uint32_t ps;

	snprintf(path, sizeof(path), "/tmp/kdc-vmcore-%d.core", (int)getpid());
	CHECK(open_paged(path, 62, vmci, &ps) == 0 && ps == 4096);
	CHECK(open_paged(path, 62, "OSRELEASE=6.1.0\n", &ps) == 0 && ps == 4096); /* no PAGESIZE */
	/* x86_64 has 4 KiB pages only: a corrupt PAGESIZE does not move a page */
	CHECK(open_paged(path, 62, "PAGESIZE=8192\n", &ps) == 0 && ps == 4096);
	CHECK(open_paged(path, 62, "PAGESIZE=0\n", &ps) == 0 && ps == 4096);
	CHECK(open_paged(path, 183, vmci, &ps) == 0 && ps == 4096);
	/* arm64 has 4, 16 and 64 KiB pages; a size it has not is refused */
	CHECK(open_paged(path, 183, "PAGESIZE=16384\n", &ps) == 0 && ps == 16384);
	CHECK(open_paged(path, 183, "PAGESIZE=65536\n", &ps) == 0 && ps == 65536);
	CHECK(open_paged(path, 183, "PAGESIZE=8192\n", &ps) == -ENOTSUP);
	CHECK(open_paged(path, 183, "PAGESIZE=0\n", &ps) == -ENOTSUP);
	CHECK(open_paged(path, 183, "PAGESIZE=4294971392\n", &ps) == -ENOTSUP); /* 2^32 + 4096 */
	unlink(path);
}
