/* The x86_64 side of the loader: what the boot protocol's setup header of a
 * bzImage says (the arm64 side is kexec_arm64.h). */
#ifndef KDC_KEXEC_X86_64_H
#define KDC_KEXEC_X86_64_H

#include <stddef.h>
#include <stdint.h>

/* The setup header's bytes this file reads: the first LEN of a bzImage. */
#define KEXEC_X86_64_HDR_LEN 0x264

/* Whether BUF (LEN bytes) starts a bzImage; then *INIT_SIZE is the memory
 * the kernel needs to decompress and run in place (0 before boot protocol
 * 2.10). -ENOEXEC when it is not a bzImage. */
int kexec_x86_64_bzimage_header(const void *buf, size_t len, uint64_t *init_size);

#endif
