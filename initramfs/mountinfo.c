/* Walking /proc/self/mountinfo (see mountinfo.h; the format is in
 * Documentation/filesystems/proc.rst, "3.5 /proc/<pid>/mountinfo"). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initramfs/mountinfo.h"
#include "lib/io.h"

#define MOUNTINFO_MAX (1u << 20)
#define MOUNTINFO_FIELDS 6 /* id, parent, maj:min, root, mount point, options */

/* mountinfo escapes blanks and backslashes as \ooo. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* One line into M (fields cut in place); false when it is damaged. */
static bool parse(char *l, struct mountinfo_entry *m)
{
	char *f[MOUNTINFO_FIELDS], *sep = strstr(l, " - "), *save = NULL;
	int k = 0;

	if (!sep) {
		return false;
	}
	*sep = '\0';
	for (char *t = strtok_r(l, " ", &save); t && k < MOUNTINFO_FIELDS; t = strtok_r(NULL, " ", &save)) {
		f[k++] = t;
	}
	save = NULL;
	m->fstype = strtok_r(sep + 3, " ", &save);
	m->src = m->fstype ? strtok_r(NULL, " ", &save) : NULL;
	if (k < 5 || !m->src) {
		return false;
	}
	unescape(f[3]);
	unescape(f[4]);
	unescape((char *)m->src);
	m->devno = f[2];
	m->root = f[3];
	m->mp = f[4];
	return true;
}

int mountinfo_each(const char *sysroot, int (*fn)(const struct mountinfo_entry *m, void *ctx), void *ctx)
{
	char path[PATH_MAX], *text = malloc(MOUNTINFO_MAX), *save = NULL;
	int r = 0;

	snprintf(path, sizeof(path), "%s/proc/self/mountinfo", sysroot);
	if (!text || io_read_text(path, text, MOUNTINFO_MAX) <= 0) {
		free(text);
		return -ENOENT;
	}
	for (char *l = strtok_r(text, "\n", &save); l && !r; l = strtok_r(NULL, "\n", &save)) {
		struct mountinfo_entry m;

		if (parse(l, &m)) {
			r = fn(&m, ctx);
		}
	}
	free(text);
	return r;
}
