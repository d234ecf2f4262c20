/* kdumpcap.ip= values from the capture command line: any text is refused
 * or gives a usable struct ipconf. */
#include <string.h>
#include <sys/socket.h>

#include "initramfs/ipconf.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char s[FUZZ_MAX + 1];
	struct ipconf c;
	const char *why = NULL;

	fuzz_quiet();
	size = size < FUZZ_MAX ? size : FUZZ_MAX;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ipconf_parse(&c, s, &why) < 0) {
		if (!why || !why[0]) {
			__builtin_trap();
		}
		return 0;
	}
	if (!memchr(c.ifname, 0, sizeof(c.ifname)) || !memchr(c.hostname, 0, sizeof(c.hostname)) ||
	    (c.family != 0 && c.family != AF_INET && c.family != AF_INET6) ||
	    c.prefix > (c.family == AF_INET ? 32u : 128u) ||
	    (c.method == IPCONF_STATIC && (!c.has_addr || !c.family))) {
		__builtin_trap();
	}
	(void)ipconf_method_name(c.method);
	return 0;
}
