/* The record of a capture image's inputs (see inputs.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "initramfs/inputs.h"
#include "lib/io.h"

#define INPUTS_LINE (PATH_MAX + 96)

static long long mtime_ns(const struct stat *st)
{
	return (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

void inputs_add(struct inputs *in, const char *kind, const char *path)
{
	char line[INPUTS_LINE];
	struct stat st;
	int len;

	if (in->err) {
		return;
	}
	if (stat(path, &st) < 0) {
		in->err = -errno;
		return;
	}
	len = snprintf(line, sizeof(line), "%s %lld %lld %s\n", kind, (long long)st.st_size, mtime_ns(&st), path);
	if (len >= (int)sizeof(line) || strchr(path, '\n')) {
		in->err = -ENAMETOOLONG;
		return;
	}
	if (in->len + (size_t)len + 1 > in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 4096;
		char *t = cap <= INPUTS_MAX ? realloc(in->text, cap) : NULL;
		if (!t) {
			in->err = -ENOMEM;
			return;
		}
		in->text = t;
		in->cap = cap;
	}
	memcpy(in->text + in->len, line, (size_t)len + 1);
	in->len += (size_t)len;
}

void inputs_free(struct inputs *in)
{
	free(in->text);
	*in = (struct inputs){ 0 };
}

/* One line of the record: false when it is not "KIND SIZE MTIME PATH". */
static bool parse_line(char *l, char **kind, long long *size, long long *mt, char **path)
{
	char *s = strchr(l, ' '), *end;

	if (!s) {
		return false;
	}
	*s++ = '\0';
	*kind = l;
	*size = strtoll(s, &end, 10);
	if (end == s || *end != ' ') {
		return false;
	}
	s = end + 1;
	*mt = strtoll(s, &end, 10);
	if (end == s || *end != ' ' || end[1] != '/') {
		return false;
	}
	*path = end + 1;
	return true;
}

/* Does the input at PATH still look as recorded, and older than the image? */
static bool input_changed(const char *kind, const char *path, long long size, long long mt,
			  const struct stat *img, char *why, size_t n)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(why, n, "%s (%s) is gone: %s", path, kind, strerror(errno));
		return true;
	}
	if (st.st_size != size || mtime_ns(&st) != mt) {
		snprintf(why, n, "%s (%s) changed since the image was built", path, kind);
		return true;
	}
	if (mtime_ns(&st) > mtime_ns(img)) {
		snprintf(why, n, "%s (%s) is newer than the image", path, kind);
		return true;
	}
	return false;
}

/* Was WANT among the record's lines (same kind and path)? */
static bool recorded(const char *record, const struct inputs_want *w)
{
	char pat[INPUTS_LINE];
	const char *p = record;

	snprintf(pat, sizeof(pat), " %s\n", w->path);
	while ((p = strstr(p, pat))) {
		const char *bol = p;
		while (bol > record && bol[-1] != '\n') {
			bol--;
		}
		if (!strncmp(bol, w->kind, strlen(w->kind)) && bol[strlen(w->kind)] == ' ') {
			return true;
		}
		p += strlen(pat);
	}
	return false;
}

bool inputs_stale(const char *image, const char *record, const struct inputs_want *want, size_t nwant, char *why,
		  size_t n)
{
	struct stat img;
	char *copy, *save = NULL;
	bool stale = false;

	if (stat(image, &img) < 0) {
		snprintf(why, n, "%s does not exist", image);
		return true;
	}
	if (!record) {
		snprintf(why, n, "there is no record of what %s was built from (%s%s)", image, image, INPUTS_SUFFIX);
		return true;
	}
	for (size_t i = 0; i < nwant; i++) {
		if (!recorded(record, &want[i])) {
			snprintf(why, n, "%s was not built from %s (%s)", image, want[i].path, want[i].kind);
			return true;
		}
	}
	copy = strdup(record);
	if (!copy) {
		snprintf(why, n, "out of memory reading the record of %s", image);
		return true;
	}
	for (char *l = strtok_r(copy, "\n", &save); l && !stale; l = strtok_r(NULL, "\n", &save)) {
		char *kind, *path;
		long long size, mt;

		if (!parse_line(l, &kind, &size, &mt, &path)) {
			snprintf(why, n, "the record %s%s is damaged", image, INPUTS_SUFFIX);
			stale = true;
		} else {
			stale = input_changed(kind, path, size, mt, &img, why, n);
		}
	}
	free(copy);
	return stale;
}

bool inputs_stale_file(const char *image, const struct inputs_want *want, size_t nwant, char *why, size_t n)
{
	char path[PATH_MAX];
	char *text = malloc(INPUTS_MAX + 1);
	ssize_t len = -ENOMEM;
	bool stale;

	if (snprintf(path, sizeof(path), "%s%s", image, INPUTS_SUFFIX) < (int)sizeof(path) && text) {
		len = io_read_text(path, text, INPUTS_MAX + 1);
	}
	stale = inputs_stale(image, len >= 0 ? text : NULL, want, nwant, why, n);
	free(text);
	return stale;
}
