/* /proc/self/mountinfo of the build machine (or of a test's sysroot), one
 * mount at a time. */
#ifndef KDC_MOUNTINFO_H
#define KDC_MOUNTINFO_H

struct mountinfo_entry {
	const char *devno;  /* "8:16" */
	const char *root;   /* the directory of the file system mounted here ("/": all of it) */
	const char *mp;     /* mount point, unescaped */
	const char *fstype;
	const char *src;    /* mount source, unescaped */
};

/* Call FN for each mount of SYSROOT/proc/self/mountinfo until it returns
 * non-zero; that value, 0 after the last, or -ENOENT when there is no table. */
int mountinfo_each(const char *sysroot, int (*fn)(const struct mountinfo_entry *m, void *ctx), void *ctx);

#endif
