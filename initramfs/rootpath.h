/* A path inside a file system tree that is not "/": the dump directory on a
 * target mounted somewhere (on the build machine, or at /mnt in the capture
 * kernel), resolved as the target's own root would see it. */
#ifndef KDC_ROOTPATH_H
#define KDC_ROOTPATH_H

#include <stddef.h>

/* Resolve absolute PATH inside the tree at ROOT as if ROOT were "/": symlinks
 * are followed, absolute ones relative to ROOT; a ".." or a link that would
 * leave ROOT is refused. OUT gets the result relative to ROOT ("/" + ...);
 * components that do not exist yet are kept as written (the capture creates
 * them). 0, or -EXDEV (leaves ROOT), -ELOOP (too many links), -ENOTDIR (a
 * component is not a directory), -EINVAL (PATH not absolute),
 * -ENAMETOOLONG. */
int rootpath_resolve(const char *root, const char *path, char *out, size_t n);
/* What a rootpath_resolve error means, for messages. */
const char *rootpath_strerror(int err);

#endif
