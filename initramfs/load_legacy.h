/* The seam between `kdumpcap load` (initramfs/load.c, kexec_file_load) and the
 * architectures whose kernels may lack kexec_file_load: there load falls back
 * to kexec_load(2) with segments kdumpcap builds itself. arm64 only
 * (initramfs/load_arm64.c: Debian's arm64 kernel has no KEXEC_FILE). */
#ifndef KDC_LOAD_LEGACY_H
#define KDC_LOAD_LEGACY_H

#include <errno.h>

#if defined(__aarch64__)
#define LOAD_HAVE_LEGACY 1
/* Load KERNEL (an arm64 Image), INITRD (NULL: none) and CMDLINE for the crash
 * path with kexec_load. 0, or -errno after a clear message. */
int load_legacy(const char *kernel, const char *initrd, const char *cmdline);
/* kexec_load with no segments: unload the crash kernel. 0 or -errno. */
int load_legacy_unload(void);
#else
#define LOAD_HAVE_LEGACY 0
static inline int load_legacy(const char *kernel, const char *initrd, const char *cmdline)
{
	(void)kernel, (void)initrd, (void)cmdline;
	return -ENOSYS;
}
static inline int load_legacy_unload(void)
{
	return -ENOSYS;
}
#endif

#endif
