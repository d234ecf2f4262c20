#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "lib/io.h"
#include "lib/meminfo.h"

uint64_t meminfo_available(void)
{
	char buf[4096];
	const char *p;

	if (io_read_text("/proc/meminfo", buf, sizeof(buf)) <= 0) {
		return 0;
	}
	p = strstr(buf, "MemAvailable:");
	if (!p) {
		return 0;
	}
	return strtoull(p + 13, NULL, 10) * 1024;
}

size_t meminfo_budget(void)
{
	uint64_t avail = meminfo_available();
	uint64_t b = avail / 4;

	if (!avail) {
		return 64u << 20;
	}
	if (b < (4u << 20)) {
		b = 4u << 20;
	}
	if (b > (256u << 20)) {
		b = 256u << 20;
	}
	return (size_t)b;
}
