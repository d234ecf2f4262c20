/* The arm64 kernel as distributions ship it, made into the Image that
 * kexec_load needs: a gzip'ed vmlinuz (Ubuntu, older Fedora) or an EFI zboot
 * image (a PE file whose payload is the compressed Image: Fedora and others
 * since Linux 6.1) with a gzip or zstd payload. */
#ifndef KDUMPCAP_KIMAGE_H
#define KDUMPCAP_KIMAGE_H

#include <stddef.h>
#include <stdint.h>

/* IN (LEN bytes) unpacked into *OUT (malloc'ed, *OUTLEN bytes, at most MAX)
 * and *WHAT naming what it was ("gzip", "EFI zboot, gzip", ...); 0 with *OUT
 * NULL when IN is neither (an Image, or anything else: the caller checks).
 * -EINVAL for a corrupt or truncated one, -ENOTSUP for a zboot payload of
 * another compression (*WHAT names it), -EFBIG past MAX, -ENOMEM. */
int kimage_unpack(const uint8_t *in, size_t len, size_t max, uint8_t **out, size_t *outlen, const char **what);

#endif
