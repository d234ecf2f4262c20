/* Test tool: run the page filter over a vmcore window by window, as the
 * writer does (a counting pass, then a second pass that must agree), and
 * write both bitmaps raw (1st then 2nd, max_pfn bits each, rounded up to a
 * byte) to OUT. Prints the --show-stats report on stderr.
 * Build: see tests/integration/filter-compare.sh. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "lib/io.h"
#include "lib/log.h"
#include "vmcore/vmcore.h"

int main(int argc, char **argv)
{
	struct vmcore vc;
	struct filter f;
	uint64_t win, nbytes;
	uint8_t *ram, *dump, *ram2, *dump2;
	char rep[2048];
	int fd, r;

	if (argc < 4) {
		fprintf(stderr, "usage: %s VMCORE LEVEL OUT [WINDOW_PFNS [BUDGET]]\n", argv[0]);
		return 2;
	}
	if (getenv("FILTER_DEBUG")) {
		log_set_level(LOG_DEBUG);
	}
	win = argc > 4 ? strtoull(argv[4], NULL, 0) : 262144;
	if (vmcore_open(&vc, argv[1])) {
		return 1;
	}
	r = filter_init(&f, &vc, (unsigned)strtoul(argv[2], NULL, 0), argc > 5 ? strtoull(argv[5], NULL, 0) : 64u << 20);
	if (r) {
		fprintf(stderr, "filter_init: %d\n", r);
		return 1;
	}
	nbytes = (vc.max_pfn + 7) / 8;
	ram = calloc(1, nbytes + win / 8);
	dump = calloc(1, nbytes + win / 8);
	ram2 = calloc(1, win / 8);
	dump2 = calloc(1, win / 8);
	for (uint64_t s = 0; s < vc.max_pfn; s += win) {
		r = filter_window(&f, s, win, ram + s / 8, dump + s / 8, true);
		if (r) {
			fprintf(stderr, "filter_window: %d\n", r);
			return 1;
		}
		memset(ram2, 0, win / 8);
		memset(dump2, 0, win / 8);
		filter_window(&f, s, win, ram2, dump2, false);
		if (memcmp(ram2, ram + s / 8, win / 8) || memcmp(dump2, dump + s / 8, win / 8)) {
			fprintf(stderr, "second pass differs in window at pfn 0x%llx\n", (unsigned long long)s);
			return 1;
		}
	}
	/* bits at or past max_pfn must be clear */
	fd = io_open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || io_write(fd, ram, nbytes) < 0 || io_write(fd, dump, nbytes) < 0 || io_close(fd) < 0) {
		fprintf(stderr, "cannot write %s\n", argv[3]);
		return 1;
	}
	filter_report(&f, vc.max_pfn, rep, sizeof(rep));
	fputs(rep, stderr);
	filter_close(&f);
	vmcore_close(&vc);
	return 0;
}
