#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/bits.h"
#include "lib/io.h"
#include "lib/rd.h"
#include "vmcore/vmcoreinfo.h"
#include "tests/unit/t.h"

TEST(test_rd_bounds)
{
	uint8_t b[6] = { 1, 0, 0, 0, 2, 0 };
	struct rd r = rd_init(b, sizeof(b));

	CHECK(rd_u32(&r) == 1);
	CHECK(rd_u16(&r) == 2);
	CHECK(!r.err);
	CHECK(rd_u32(&r) == 0);
	CHECK(r.err);
}

/* bits_fill and bits_count against one bit at a time, over every range
 * of a 200-bit map (whole bytes, parts of one byte, both ends ragged) */
TEST(test_bits)
{
	uint8_t fast[25], slow[25];

	for (uint64_t a = 0; a <= 200; a += 3) {
		for (uint64_t b = a; b <= 200; b += 5) {
			for (int on = 0; on < 2; on++) {
				memset(fast, on ? 0x5a : 0xa5, sizeof(fast));
				memcpy(slow, fast, sizeof(slow));
				bits_fill(fast, a, b, on);
				for (uint64_t i = a; i < b; i++) {
					if (on) {
						bit_set(slow, i);
					} else {
						bit_clear(slow, i);
					}
				}
				CHECK(!memcmp(fast, slow, sizeof(fast)));
			}
			uint64_t n = 0;
			for (uint64_t i = 0; i < b; i++) {
				n += bit_get(fast, i);
			}
			CHECK(bits_count(fast, b) == n);
		}
	}
}

/* bits_after_nth against one bit at a time: every start, every K up to
 * one past the bits left, on a map of full, empty and mixed bytes */
TEST(test_bits_after_nth)
{
	uint8_t bm[25] = { 0xff, 0, 0x5a, 0x01, 0x80, 0xff, 0xff, 0, 0, 0x10 };

	for (uint64_t a = 0; a <= 90; a++) {
		for (uint64_t k = 1; k <= 40; k++) {
			uint64_t i = a, seen = 0;

			while (i < 90 && seen < k) {
				seen += bit_get(bm, i++);
			}
			CHECK(bits_after_nth(bm, a, 90, k) == i);
		}
	}
}

/* io_read_file: the whole file, NUL-terminated, its mode; refusals */
TEST(test_read_file)
{
	char dir[] = "/tmp/kdc-rf.XXXXXX", path[64];
	void *buf = (void *)1;
	size_t len = 0;
	mode_t mode = 0;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/f", dir);
	f = fopen(path, "w");
	CHECK(f && fputs("hello", f) >= 0 && fclose(f) == 0);
	CHECK(chmod(path, 0640) == 0);
	CHECK(io_read_file(path, 5, &buf, &len, &mode) == 0);
	CHECK(len == 5 && !memcmp(buf, "hello", 6) && mode == 0640);
	free(buf);
	CHECK(io_read_file(path, 4, &buf, &len, NULL) == -EFBIG && buf == NULL);
	CHECK(io_read_file(dir, 1 << 20, &buf, &len, NULL) == -EINVAL && buf == NULL);
	unlink(path);
	CHECK(io_read_file(path, 1 << 20, &buf, &len, NULL) == -ENOENT && buf == NULL);
	rmdir(dir);
}

TEST(test_vmcoreinfo)
{
	static const char txt[] = "OSRELEASE=6.1.0\nPAGESIZE=4096\nSYMBOL(prb)=ffffffff82a1b2c0\n"
				  "OFFSET(page.flags)=0\nNUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\nKERNELOFFSET=1e000000";
	struct vmcoreinfo vi = { txt, sizeof(txt) - 1 };
	uint64_t v;
	int64_t s;
	char buf[16];

	CHECK(vmci_symbol(&vi, "prb", &v) && v == 0xffffffff82a1b2c0ull);
	CHECK(vmci_offset(&vi, "page.flags", &v) && v == 0);
	CHECK(vmci_number(&vi, "PAGE_BUDDY_MAPCOUNT_VALUE", &s) && s == -129);
	CHECK(vmci_u64(&vi, "KERNELOFFSET", 16, &v) && v == 0x1e000000);
	CHECK(vmci_str(&vi, "OSRELEASE", buf, sizeof(buf)) && !strcmp(buf, "6.1.0"));
	CHECK(!vmci_offset(&vi, "page.lru", &v));
	CHECK(!vmci_u64(&vi, "OSRELEASE", 10, &v)); /* not a number */
}

TEST(test_fault_spec)
{
	CHECK(io_fault_setup("write:2:ENOSPC") == 0);
	CHECK(io_fault_check(IO_WRITE) == 0);
	CHECK(io_fault_check(IO_WRITE) == -ENOSPC);
	CHECK(io_fault_check(IO_WRITE) == -ENOSPC);
	CHECK(io_fault_setup("read:1:EIO:once") == 0);
	CHECK(io_fault_check(IO_READ) == -EIO);
	CHECK(io_fault_check(IO_READ) == 0);
	CHECK(io_fault_setup("bogus:1:EIO") == -EINVAL);
	CHECK(io_fault_setup("write:0:EIO") == -EINVAL);
	CHECK(io_fault_setup(NULL) == 0);
	CHECK(io_fault_check(IO_WRITE) == 0);
}
