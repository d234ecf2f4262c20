/* The x86_64 loader's knowledge of the bzImage (Documentation/x86/boot.rst). */
#include <errno.h>
#include <string.h>

#include "initramfs/kexec_x86_64.h"
#include "lib/rd.h"

#define BZ_HDR_MAGIC_OFF 0x202
#define BZ_HDR_MAGIC "HdrS"
#define BZ_INIT_SIZE_OFF 0x260
#define BZ_INIT_SIZE_VERSION 0x20a /* boot protocol 2.10 added init_size */

int kexec_x86_64_bzimage_header(const void *buf, size_t len, uint64_t *init_size)
{
	struct rd r = rd_init(buf, len);

	r.off = BZ_HDR_MAGIC_OFF;
	if (!rd_has(&r, 4) || memcmp(rd_bytes(&r, 4), BZ_HDR_MAGIC, 4)) {
		return -ENOEXEC;
	}
	*init_size = 0;
	if (rd_u16(&r) >= BZ_INIT_SIZE_VERSION) {
		r.off = BZ_INIT_SIZE_OFF;
		*init_size = rd_u32(&r);
	}
	return r.err ? -ENOEXEC : 0;
}
