/* Compressed kernel module files (.ko.gz, .ko.xz, .ko.zst: the default on
 * Fedora, Arch, SUSE and Ubuntu). mkinitrd stores them decompressed as .ko
 * where it can, so that any capture kernel loads them; PID 1 asks the kernel
 * to decompress whatever is still compressed (MODULE_INIT_COMPRESSED_FILE). */
#ifndef KDC_MODFILE_H
#define KDC_MODFILE_H

#include <stdbool.h>
#include <stddef.h>

/* finit_module() flag (include/uapi/linux/module.h): the kernel decompresses
 * the file itself when built with CONFIG_MODULE_DECOMPRESS (gzip and xz since
 * Linux 5.17, zstd since 6.2); older kernels refuse the flag (EINVAL). */
#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

#define MODFILE_MAX (256u << 20) /* largest module, compressed or not */

enum modfile_comp { MODFILE_PLAIN, MODFILE_GZIP, MODFILE_XZ, MODFILE_ZSTD };

/* Which compression PATH's suffix names. */
enum modfile_comp modfile_comp(const char *path);
/* Length of PATH without its compression suffix ("a/b.ko.zst" -> 6). */
size_t modfile_stem_len(const char *path);
/* REL (relative to DIR) as it is on disk: itself, or with a compression
 * suffix added when only that exists. Into OUT; 0 or -ENOENT. */
int modfile_locate(const char *dir, const char *rel, char *out, size_t n);
/* The finit_module() flags for the module file PATH. */
int modfile_init_flags(const char *path);
/* Decompress the module file PATH, whose contents are IN[0..inlen), into
 * *OUT (malloc'd, *OUTLEN bytes). gzip and zstd in-process; xz with the
 * host's `xz -dc PATH`. 0, -EOPNOTSUPP when `xz` cannot be run here, or
 * -errno after a message (corrupt file, too big). */
int modfile_decompress(const char *path, const void *in, size_t inlen, void **out, size_t *outlen);

#endif
