/* kdumpcap load / unload: put the capture kernel into the crashkernel= reservation
 * with kexec_file_load(2), or take it out again. */
#ifndef KDC_LOAD_H
#define KDC_LOAD_H

#include <stddef.h>
#include <sys/types.h>

/* x86 COMMAND_LINE_SIZE (arch/x86/include/asm/setup.h), NUL included. */
#define LOAD_CMDLINE_MAX 2048

/* Build the capture kernel's command line from the running kernel's (`cur`, the
 * text of /proc/cmdline): drop the words that are wrong or harmful in a capture
 * kernel (crashkernel=, BOOT_IMAGE=, initrd=, memory reservations, ...), add the
 * kdump words (reset_devices nr_cpus=1 irqpoll), then `extra` (may be NULL).
 * Writes a NUL-terminated string to out; returns its length or -E2BIG when it
 * does not fit in `size` bytes. */
ssize_t load_cmdline(const char *cur, const char *extra, char *out, size_t size);

#endif
