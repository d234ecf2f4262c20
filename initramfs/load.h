/* kdumpcap load / unload: put the capture kernel into the crashkernel= reservation
 * with kexec_file_load(2), or take it out again. */
#ifndef KDC_LOAD_H
#define KDC_LOAD_H

#include <stddef.h>
#include <sys/types.h>

/* COMMAND_LINE_SIZE, NUL included: 2048 on x86_64 and on arm64. */
#define LOAD_CMDLINE_MAX 2048

/* The largest nr_cpus= taken (the kernel's NR_CPUS on Debian is 8192). */
#define LOAD_MAX_NR_CPUS 8192

/* Build the capture kernel's command line from the running kernel's (`cur`, the
 * text of /proc/cmdline): drop the words that are wrong or harmful in a capture
 * kernel (crashkernel=, BOOT_IMAGE=, initrd=, memory reservations, nr_cpus=, ...),
 * add the kdump words (reset_devices nr_cpus=NR_CPUS irqpoll; no nr_cpus= when
 * NR_CPUS is 0, because `extra` has the user's), then `extra` (may be NULL).
 * Writes a NUL-terminated string to out; returns its length or -E2BIG when it
 * does not fit in `size` bytes. */
ssize_t load_cmdline(const char *cur, const char *extra, unsigned nr_cpus, char *out, size_t size);

/* The nr_cpus= the words ask for (the smallest, as the kernel keeps that);
 * 0 when none; -EINVAL when one is not a count from 1 to LOAD_MAX_NR_CPUS. */
int load_nr_cpus_in(const char *words);

#endif
