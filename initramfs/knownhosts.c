/* known_hosts lookup for the capture image (see sshkey.h), with the small
 * base64, SHA-1 and HMAC-SHA1 that hashed names need (Debian's ssh_config
 * sets HashKnownHosts yes). Line format, from OpenSSH's sshd(8) manual:
 *   [@marker] patterns keytype base64 [comment]
 * patterns: comma list of names, "[host]:port", wildcards * ?, "!" negates;
 * or one hashed name "|1|base64(salt)|base64(HMAC-SHA1(salt, name))". */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <ctype.h>

#include "initramfs/sshkey.h"
#include "lib/io.h"
#include "lib/log.h"

#define SSH_PORT 22
#define HASH_MAGIC "|1|"
#define SHA1_BLOCK 64
#define HMAC_IPAD 0x36
#define HMAC_OPAD 0x5c
#define HOSTNAME_MAX 300

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_decode(const char *s, size_t n, struct sbuf *out)
{
	uint32_t acc = 0;
	size_t i, bits = 0, pad = 0;

	for (i = 0; i < n; i++) {
		const char *c = s[i] ? strchr(b64chars, s[i]) : NULL;

		if (s[i] == '=' && pad < 2) {
			pad++;
			continue;
		}
		if (!c || pad) {
			return -EINVAL;
		}
		acc = acc << 6 | (uint32_t)(c - b64chars);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			uint8_t byte = (uint8_t)(acc >> bits);
			sbuf_put(out, &byte, 1);
		}
	}
	return (n % 4 || bits >= 6) ? -EINVAL : 0;
}

void b64_encode(const void *p, size_t n, struct sbuf *out)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16 | (i + 1 < n ? b[i + 1] << 8 : 0) | (i + 2 < n ? b[i + 2] : 0);
		char q[4] = { b64chars[v >> 18], b64chars[v >> 12 & 63], i + 1 < n ? b64chars[v >> 6 & 63] : '=',
			      i + 2 < n ? b64chars[v & 63] : '=' };
		sbuf_put(out, q, sizeof(q));
	}
}

static uint32_t rol(uint32_t x, int n)
{
	return x << n | x >> (32 - n);
}

/* FIPS 180-4 section 6.1.2 on one 64-byte block. */
static void sha1_block(uint32_t h[5], const uint8_t *blk)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	for (int i = 0; i < 16; i++) {
		w[i] = (uint32_t)blk[4 * i] << 24 | blk[4 * i + 1] << 16 | blk[4 * i + 2] << 8 | blk[4 * i + 3];
	}
	for (int i = 16; i < 80; i++) {
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	}
	for (int i = 0; i < 80; i++) {
		uint32_t f, k;
		if (i < 20) {
			f = (b & c) | (~b & d), k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d, k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d, k = 0xca62c1d6;
		}
		uint32_t t = rol(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol(b, 30), b = a, a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

/* SHA-1 of a || b (two parts, for HMAC). */
static void sha1_2(const void *a, size_t an, const void *b, size_t bn, uint8_t out[SHA1_LEN])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	uint8_t blk[SHA1_BLOCK];
	uint64_t total = (uint64_t)(an + bn) * 8;
	size_t fill = 0;

	for (size_t i = 0; i < an + bn; i++) {
		blk[fill++] = i < an ? ((const uint8_t *)a)[i] : ((const uint8_t *)b)[i - an];
		if (fill == SHA1_BLOCK) {
			sha1_block(h, blk);
			fill = 0;
		}
	}
	blk[fill++] = 0x80;
	if (fill > SHA1_BLOCK - 8) {
		memset(blk + fill, 0, SHA1_BLOCK - fill);
		sha1_block(h, blk);
		fill = 0;
	}
	memset(blk + fill, 0, SHA1_BLOCK - fill);
	for (int i = 0; i < 8; i++) {
		blk[SHA1_BLOCK - 1 - i] = (uint8_t)(total >> (8 * i));
	}
	sha1_block(h, blk);
	for (int i = 0; i < SHA1_LEN; i++) {
		out[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
	}
}

void sha1(const void *p, size_t n, uint8_t out[SHA1_LEN])
{
	sha1_2(p, n, "", 0, out);
}

/* RFC 2104 */
void hmac_sha1(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[SHA1_LEN])
{
	uint8_t k[SHA1_BLOCK] = { 0 }, pad[SHA1_BLOCK], inner[SHA1_LEN];

	if (klen > SHA1_BLOCK) {
		sha1(key, klen, k);
	} else {
		memcpy(k, key, klen);
	}
	for (int i = 0; i < SHA1_BLOCK; i++) {
		pad[i] = k[i] ^ HMAC_IPAD;
	}
	sha1_2(pad, sizeof(pad), msg, mlen, inner);
	for (int i = 0; i < SHA1_BLOCK; i++) {
		pad[i] = k[i] ^ HMAC_OPAD;
	}
	sha1_2(pad, sizeof(pad), inner, sizeof(inner), out);
}

void known_hosts_name(char *buf, size_t size, const char *host, unsigned port)
{
	if (port == SSH_PORT || port == 0) {
		snprintf(buf, size, "%s", host);
	} else {
		snprintf(buf, size, "[%s]:%u", host, port);
	}
}

/* OpenSSH-style pattern: * any run, ? any one character, case-insensitive. */
static bool glob(const char *pat, size_t plen, const char *s)
{
	if (plen == 0) {
		return *s == 0;
	}
	if (*pat == '*') {
		for (;; s++) {
			if (glob(pat + 1, plen - 1, s)) {
				return true;
			}
			if (!*s) {
				return false;
			}
		}
	}
	if (!*s || (*pat != '?' && tolower((unsigned char)*pat) != tolower((unsigned char)*s))) {
		return false;
	}
	return glob(pat + 1, plen - 1, s + 1);
}

static bool hashed_match(const char *f, size_t n, const char *name)
{
	struct sbuf salt = { 0 }, want = { 0 };
	const char *bar = memchr(f + strlen(HASH_MAGIC), '|', n - strlen(HASH_MAGIC));
	uint8_t mac[SHA1_LEN];
	bool ok = false;

	if (bar && !b64_decode(f + strlen(HASH_MAGIC), (size_t)(bar - f) - strlen(HASH_MAGIC), &salt) &&
	    !b64_decode(bar + 1, n - (size_t)(bar + 1 - f), &want) && !salt.err && !want.err &&
	    want.len == SHA1_LEN) {
		hmac_sha1(salt.p, salt.len, name, strlen(name), mac);
		ok = !memcmp(mac, want.p, SHA1_LEN);
	}
	sbuf_free(&salt);
	sbuf_free(&want);
	return ok;
}

/* Does the patterns field (length n) name NAME? */
static bool hosts_match(const char *f, size_t n, const char *name)
{
	bool hit = false;

	if (n > strlen(HASH_MAGIC) && !memcmp(f, HASH_MAGIC, strlen(HASH_MAGIC))) {
		return hashed_match(f, n, name);
	}
	while (n > 0) {
		const char *comma = memchr(f, ',', n);
		size_t len = comma ? (size_t)(comma - f) : n;
		bool neg = len > 0 && f[0] == '!';

		if (glob(f + neg, len - neg, name)) {
			if (neg) {
				return false;
			}
			hit = true;
		}
		n -= comma ? len + 1 : len;
		f += comma ? len + 1 : len;
	}
	return hit;
}

struct field {
	const char *p;
	size_t n;
};

/* Split line [s, end) into up to max blank-separated fields; the count. */
static int split(const char *s, const char *end, struct field *f, int max)
{
	int n = 0;

	while (n < max) {
		while (s < end && (*s == ' ' || *s == '\t' || *s == '\r')) {
			s++;
		}
		if (s == end) {
			break;
		}
		f[n].p = s;
		while (s < end && *s != ' ' && *s != '\t' && *s != '\r') {
			s++;
		}
		f[n].n = (size_t)(s - f[n].p);
		n++;
	}
	return n;
}

static bool has_line(const struct sbuf *b, const struct sbuf *line)
{
	for (size_t off = 0; off < b->len;) {
		const uint8_t *nl = memchr(b->p + off, '\n', b->len - off);
		size_t n = nl ? (size_t)(nl - (b->p + off)) + 1 : b->len - off;

		if (n == line->len && !memcmp(b->p + off, line->p, n)) {
			return true;
		}
		off += n;
	}
	return false;
}

/* Append "HOST ALGO KEY\n" unless out has it already; 1 if added. */
static int add_key(struct sbuf *out, const char *host, const struct field *algo, const struct field *key)
{
	struct sbuf line = { 0 };
	int added = 0;

	sbuf_puts(&line, host);
	sbuf_put(&line, " ", 1);
	sbuf_put(&line, algo->p, algo->n);
	sbuf_put(&line, " ", 1);
	sbuf_put(&line, key->p, key->n);
	sbuf_put(&line, "\n", 1);
	if (!line.err && !has_line(out, &line)) {
		sbuf_put(out, line.p, line.len);
		added = 1;
	}
	sbuf_free(&line);
	return added;
}

static int scan_file(const char *file, const char *name, const char *host, struct sbuf *out)
{
	struct sbuf text = { 0 };
	int r = sbuf_read_file(&text, file), found = 0, lineno = 0;
	const char *s = (const char *)text.p, *end = s + text.len;

	if (r < 0) {
		sbuf_free(&text);
		return r == -ENOENT ? 0 : r;
	}
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		struct field f[4];
		int n = split(s, le, f, 4);

		lineno++;
		s = nl ? nl + 1 : end;
		if (n == 0 || f[0].p[0] == '#') {
			continue;
		}
		if (f[0].p[0] == '@') {
			if (n >= 2 && hosts_match(f[1].p, f[1].n, name)) {
				log_info("%s:%d: %.*s entry for %s skipped: the capture kernel's client pins "
					 "plain host keys only", file, lineno, (int)f[0].n, f[0].p, name);
			}
			continue;
		}
		if (n >= 3 && hosts_match(f[0].p, f[0].n, name)) {
			found += add_key(out, host, &f[1], &f[2]);
		}
	}
	sbuf_free(&text);
	return found;
}

int known_hosts_collect(const char *const *files, size_t nfiles, const char *host, unsigned port,
			struct sbuf *out)
{
	char name[HOSTNAME_MAX];
	int found = 0;

	known_hosts_name(name, sizeof(name), host, port);
	for (size_t i = 0; i < nfiles; i++) {
		int r = scan_file(files[i], name, host, out);
		if (r < 0) {
			log_err("cannot read %s: %s", files[i], strerror(-r));
			return r;
		}
		found += r;
	}
	return out->err ? -ENOMEM : found;
}

void known_hosts_user_file(char *user, size_t size)
{
	const char *h = getenv("HOME");

	snprintf(user, size, "%s/.ssh/known_hosts", h && *h ? h : "/root");
}

int known_hosts_write(const char *host, unsigned port, const char *out)
{
	char user[HOSTNAME_MAX + 32];
	const char *files[] = { user, KNOWN_HOSTS_SYSTEM };
	struct sbuf b = { 0 };
	int n, fd, r = 0;

	known_hosts_user_file(user, sizeof(user));
	n = known_hosts_collect(files, 2, host, port, &b);
	if (n == 0) {
		log_err("no host key of %s port %u in %s or %s: the capture kernel cannot ask; "
			"run kdumpcap propagate", host, port, user, KNOWN_HOSTS_SYSTEM);
		r = -ENOENT;
	} else if (n < 0) {
		r = n;
	} else if ((fd = io_open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		r = fd;
	} else {
		r = io_write(fd, b.p, b.len);
		n = io_close(fd);
		r = r ? r : n;
	}
	if (r < 0 && r != -ENOENT && n >= 0) {
		log_err("cannot write %s: %s", out, strerror(-r));
	}
	sbuf_free(&b);
	return r;
}
