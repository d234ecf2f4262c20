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
#include <zlib.h>
#include <zstd.h>

#include "initramfs/modfile.h"
#include "lib/io.h"
#include "lib/log.h"

#define CHUNK (256u << 10)
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

/* The output buffer: grows by CHUNK, never past MODFILE_MAX. */
struct grow {
	uint8_t *p;
	size_t len, cap;
};

static int grow_room(struct grow *g)
{
	uint8_t *n;

	if (g->cap - g->len >= CHUNK / 2) {
		return 0;
	}
	if (g->cap + CHUNK > MODFILE_MAX) {
		return -EFBIG;
	}
	n = realloc(g->p, g->cap + CHUNK);
	if (!n) {
		return -ENOMEM;
	}
	g->p = n;
	g->cap += CHUNK;
	return 0;
}

static int gunzip(const void *in, size_t inlen, struct grow *g)
{
	z_stream z;
	int zr = Z_OK, r = 0;

	memset(&z, 0, sizeof(z));
	if (inlen > UINT32_MAX || inflateInit2(&z, 15 + 16) != Z_OK) { /* 16: gzip wrapper */
		return -EINVAL;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)inlen;
	while (zr == Z_OK && !(r = grow_room(g))) {
		z.next_out = g->p + g->len;
		z.avail_out = (uInt)(g->cap - g->len);
		zr = inflate(&z, Z_NO_FLUSH);
		g->len = g->cap - z.avail_out;
	}
	inflateEnd(&z);
	return r ? r : zr == Z_STREAM_END ? 0 : -EBADMSG;
}

static int unzstd(const void *in, size_t inlen, struct grow *g)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer ib = { in, inlen, 0 };
	size_t left = 1; /* 0 at the end of a frame; more frames may follow */
	int r = d ? 0 : -ENOMEM;

	while (!r && (left || ib.pos < ib.size) && !(r = grow_room(g))) {
		ZSTD_outBuffer ob = { g->p, g->cap, g->len };
		left = ZSTD_decompressStream(d, &ob, &ib);
		g->len = ob.pos;
		if (ZSTD_isError(left) || (left && ib.pos == ib.size && ob.pos < ob.size)) {
			r = -EBADMSG; /* corrupt, or cut short */
		}
	}
	ZSTD_freeDCtx(d);
	return r;
}

/* `xz -dc PATH` into G. -EOPNOTSUPP when xz cannot be started. */
static int unxz(const char *path, struct grow *g)
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
	while (n > 0 && !(r = grow_room(g))) {
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
	struct grow g = { NULL, 0, 0 };
	int r;

	switch (modfile_comp(path)) {
	case MODFILE_GZIP: r = gunzip(in, inlen, &g); break;
	case MODFILE_ZSTD: r = unzstd(in, inlen, &g); break;
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
