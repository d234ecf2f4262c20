#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/io.h"
#include "lib/meminfo.h"

uint64_t meminfo_field(const char *name)
{
	char buf[4096], key[64];
	const char *p;

	if (io_read_text("/proc/meminfo", buf, sizeof(buf)) <= 0) {
		return 0;
	}
	snprintf(key, sizeof(key), "\n%s:", name);
	if (!strncmp(buf, key + 1, strlen(key + 1))) {
		p = buf + strlen(key + 1); /* the first line */
	} else if ((p = strstr(buf, key))) {
		p += strlen(key);
	} else {
		return 0;
	}
	return strtoull(p, NULL, 10) * 1024;
}

uint64_t meminfo_available(void)
{
	return meminfo_field("MemAvailable");
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
