/* The dead kernel's log (dmesg) as text, byte for byte what
 * `makedumpfile --dump-dmesg` 1.7.2 writes: one line per record,
 * "[%5lu.%06lu] " timestamp, continuation lines indented to the text,
 * other non-printable bytes as \xNN. Reads whichever printk buffer
 * VMCOREINFO describes: the lockless ring `prb` (Linux 5.10+), the
 * variable-length record buffer `log_buf` (3.5 - 5.9) or the plain
 * character buffer (before 3.5). */
#ifndef KDC_DMESG_H
#define KDC_DMESG_H

#include "vmcore/vmcore.h"

/* Write the log to fd. 0, or -errno after one log_err line:
 *   -ENOENT  VMCOREINFO describes no printk buffer (or is missing);
 *   -EINVAL  the buffer's description, pointers or records are garbage;
 *   -EIO     (or another read error) the vmcore file could not be read;
 *   the write error of fd (-ENOSPC, ...).
 * Output written before an error stays written. */
int dmesg_write(struct vmcore *vc, int fd);

#endif
