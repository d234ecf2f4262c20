/* rtnetlink replies: one received datagram, parsed for sequence number
 * FUZZ_SEQ (the seeds use it; tests/fuzz/make-seeds-net.py). */
#include <string.h>

#include "initramfs/netlink.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_SEQ 1
#define ERRNO_MAX 4095

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netlink_reply r;

	fuzz_quiet();
	if (netlink_parse(data, size, FUZZ_SEQ, &r) == 0) {
		if (r.err > 0 || r.err < -ERRNO_MAX || (r.err && !r.done) || (r.has_link && !r.done)) {
			__builtin_trap();
		}
		if (!memchr(r.link.ifname, 0, sizeof(r.link.ifname))) {
			__builtin_trap();
		}
	}
	return 0;
}
