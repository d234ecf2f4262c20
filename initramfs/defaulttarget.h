/* kdump.conf without a target line: Fedora's default, the dump goes to 'path'
 * on the local file system that holds it. mkinitrd turns that into a target
 * the capture kernel can find: "<fstype> UUID=<uuid>" and 'path' inside it. */
#ifndef KDC_DEFAULTTARGET_H
#define KDC_DEFAULTTARGET_H

#include <stddef.h>

#include "initramfs/conf.h"
#include "initramfs/hosttarget.h"

/* Give C (no target) the file system that holds C->path on this machine (O->sysroot)
 * and append the lines that say so to EXTRA (NUL-terminated, N bytes), for the
 * image's kdump.conf. 0, or -errno after a message saying what to change. */
int defaulttarget_find(struct kdump_conf *c, const struct hosttarget_opts *o, char *extra, size_t n);

#endif
