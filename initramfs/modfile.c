/* Compressed module files. See modfile.h.
 *
 * Why decompress at image-build time rather than pass every file to the
 * kernel compressed: MODULE_INIT_COMPRESSED_FILE exists only from Linux 5.17
 * (zstd from 6.2) and only with CONFIG_MODULE_DECOMPRESS, while the kernels
 * that ship .ko.xz include RHEL 8's 4.18. gzip and zstd are decompressed here
 * with the zlib and libzstd we link anyway. There is no liblzma in the static
 * build, so .ko.xz goes through the host's `xz -dc` (xz-utils is installed
 * wherever a distribution compresses its modules with xz); only when that
 * cannot run is the file stored compressed, with a warning, for the capture
 * kernel to decompress. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "initramfs/modfile.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/unpack.h"

#define EXIT_NO_EXEC 127 /* the shell's "command not found" status */

static const struct {
	const char *suffix;
	enum modfile_comp comp;
} suffixes[] = {
	{ ".gz", MODFILE_GZIP },
	{ ".xz", MODFILE_XZ },
	{ ".zst", MODFILE_ZSTD },
};

static size_t suffix_len(const char *path, enum modfile_comp *comp)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t k = strlen(suffixes[i].suffix);
		if (n > k && !strcmp(path + n - k, suffixes[i].suffix)) {
			*comp = suffixes[i].comp;
			return k;
		}
	}
	*comp = MODFILE_PLAIN;
	return 0;
}

enum modfile_comp modfile_comp(const char *path)
{
	enum modfile_comp c;

	(void)suffix_len(path, &c);
	return c;
}

size_t modfile_stem_len(const char *path)
{
	enum modfile_comp c;

	return strlen(path) - suffix_len(path, &c);
}

int modfile_locate(const char *dir, const char *rel, char *out, size_t n)
{
	char path[PATH_MAX];

	for (size_t i = 0; i <= sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		const char *sfx = i ? suffixes[i - 1].suffix : "";
		if (snprintf(path, sizeof(path), "%s/%s%s", dir, rel, sfx) < (int)sizeof(path) &&
		    access(path, F_OK) == 0 && snprintf(out, n, "%s%s", rel, sfx) < (int)n) {
			return 0;
		}
	}
	return -ENOENT;
}

int modfile_init_flags(const char *path)
{
	return modfile_comp(path) == MODFILE_PLAIN ? 0 : MODULE_INIT_COMPRESSED_FILE;
}

/* `xz -dc PATH` into G. -EOPNOTSUPP when xz cannot be started. */
static int unxz(const char *path, struct unpack_buf *g)
{
	int p[2], status, r = 0;
	ssize_t n = 1;
	pid_t pid;

	if (pipe(p) < 0) {
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		execlp("xz", "xz", "-dc", "--", path, (char *)NULL);
		_exit(EXIT_NO_EXEC);
	}
	io_close(p[1]);
	while (n > 0 && !(r = unpack_room(g))) {
		n = io_read(p[0], g->p + g->len, g->cap - g->len);
		g->len += n > 0 ? (size_t)n : 0;
		r = n < 0 ? (int)n : 0;
	}
	io_close(p[0]); /* on an early stop, xz ends with SIGPIPE */
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			return r ? r : -errno;
		}
	}
	if (!r && WIFEXITED(status) && WEXITSTATUS(status) == EXIT_NO_EXEC) {
		return -EOPNOTSUPP;
	}
	return r ? r : WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EBADMSG;
}

int modfile_decompress(const char *path, const void *in, size_t inlen, void **out, size_t *outlen)
{
	struct unpack_buf g = { NULL, 0, 0, MODFILE_MAX };
	int r;

	switch (modfile_comp(path)) {
	case MODFILE_GZIP: r = unpack_gzip(in, inlen, &g); break;
	case MODFILE_ZSTD: r = unpack_zstd(in, inlen, &g); break;
	case MODFILE_XZ: r = unxz(path, &g); break;
	default: r = -EINVAL; break;
	}
	if (r) {
		free(g.p);
		if (r == -EBADMSG) {
			log_err("cannot decompress module %s: the file is damaged or cut short (reinstall the package "
				"that owns it)", path);
		} else if (r != -EOPNOTSUPP) {
			log_err("cannot decompress module %s: %s", path,
				r == -EFBIG ? "larger than 256 MiB uncompressed" : strerror(-r));
		}
		return r;
	}
	*out = g.p;
	*outlen = g.len;
	return 0;
}
