/* OpenSSH private key -> dropbear private key (see sshkey.h).
 *
 * Formats, from OpenSSH's PROTOCOL.key and dropbear's signkey.c:
 *   openssh-key-v1: "openssh-key-v1\0", string cipher, string kdf,
 *     string kdfoptions, uint32 nkeys, nkeys x string pubkey, string private;
 *     private = uint32 check1, uint32 check2, then per key: string type,
 *     the type's fields, string comment; then padding 1, 2, 3...
 *     ed25519: string pub(32), string seed||pub(64)
 *     ecdsa:   string curve, string Q, mpint d
 *     rsa:     mpint n, e, d, iqmp, p, q
 *   dropbear: string type, then
 *     ed25519: string seed||pub(64)
 *     ecdsa:   string curve, string Q, mpint d
 *     rsa:     mpint e, n, d, p, q
 *   PKCS#1 (DER): SEQUENCE { version, n, e, d, p, q, dp, dq, iqmp }.
 * mpints are written minimal, with a 0x00 byte when the top bit is set. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "initramfs/sshkey.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/rd.h"

#define OSSH_MAGIC "openssh-key-v1"
#define OSSH_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define PKCS1_BEGIN "-----BEGIN RSA PRIVATE KEY-----"
#define PEM_END "-----END "
#define PEM_ENCRYPTED "ENCRYPTED"
#define CIPHER_NONE "none"
#define ED25519_PUB_LEN 32
#define ED25519_PRIV_LEN 64
#define DER_SEQUENCE 0x30
#define DER_INTEGER 0x02
#define DER_LEN_LONG 0x80
#define DER_LEN_MAX_BYTES 3
#define PKCS1_VERSION 0
#define MAX_KEY_FILE (1 << 20)

struct ssh_str {
	const uint8_t *p;
	uint32_t len;
};

static struct ssh_str rd_sshstr(struct rd *r)
{
	struct ssh_str s;

	s.len = rd_u32be(r);
	s.p = rd_bytes(r, s.len);
	if (!s.p) {
		s.len = 0;
	}
	return s;
}

static bool str_is(struct ssh_str s, const char *lit)
{
	return s.len == strlen(lit) && !memcmp(s.p, lit, s.len);
}

static void put_u32be(struct sbuf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	sbuf_put(b, x, sizeof(x));
}

static void put_str(struct sbuf *b, const void *p, size_t n)
{
	put_u32be(b, (uint32_t)n);
	sbuf_put(b, p, n);
}

static void put_mpint(struct sbuf *b, struct ssh_str m)
{
	static const uint8_t zero;
	const uint8_t *p = m.p;
	size_t n = m.len;

	while (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	if (n > 0 && (p[0] & 0x80)) {
		put_u32be(b, (uint32_t)n + 1);
		sbuf_put(b, &zero, 1);
		sbuf_put(b, p, n);
		return;
	}
	put_str(b, p, n);
}

static bool ecdsa_type(struct ssh_str t)
{
	return str_is(t, "ecdsa-sha2-nistp256") || str_is(t, "ecdsa-sha2-nistp384") ||
	       str_is(t, "ecdsa-sha2-nistp521");
}

/* One key of the private section, from its type on, to dropbear's format. */
static int ossh_key(struct rd *r, struct sbuf *out, const char **why)
{
	struct ssh_str t = rd_sshstr(r), f[6];

	put_str(out, t.p, t.len);
	if (str_is(t, "ssh-ed25519")) {
		f[0] = rd_sshstr(r);
		f[1] = rd_sshstr(r);
		if (r->err || f[0].len != ED25519_PUB_LEN || f[1].len != ED25519_PRIV_LEN) {
			*why = "bad ed25519 key lengths";
			return -EINVAL;
		}
		put_str(out, f[1].p, f[1].len);
	} else if (ecdsa_type(t)) {
		f[0] = rd_sshstr(r);
		f[1] = rd_sshstr(r);
		f[2] = rd_sshstr(r);
		put_str(out, f[0].p, f[0].len);
		put_str(out, f[1].p, f[1].len);
		put_mpint(out, f[2]);
	} else if (str_is(t, "ssh-rsa")) {
		for (int i = 0; i < 6; i++) {
			f[i] = rd_sshstr(r); /* n e d iqmp p q */
		}
		put_mpint(out, f[1]);
		put_mpint(out, f[0]);
		put_mpint(out, f[2]);
		put_mpint(out, f[4]);
		put_mpint(out, f[5]);
	} else {
		*why = r->err ? "truncated" : "key type is not ed25519, ecdsa or rsa";
		return r->err ? -EINVAL : -ENOTSUP;
	}
	if (r->err) {
		*why = "truncated private key";
		return -EINVAL;
	}
	return 0;
}

static int ossh_to_dropbear(const uint8_t *p, size_t n, struct sbuf *out, const char **why)
{
	struct rd r = rd_init(p, n);
	const uint8_t *magic = rd_bytes(&r, sizeof(OSSH_MAGIC));
	struct ssh_str cipher, priv;
	struct rd pr;
	uint32_t nkeys;

	if (!magic || memcmp(magic, OSSH_MAGIC, sizeof(OSSH_MAGIC))) {
		*why = "no openssh-key-v1 magic";
		return -EINVAL;
	}
	cipher = rd_sshstr(&r);
	rd_sshstr(&r); /* kdf name */
	rd_sshstr(&r); /* kdf options */
	nkeys = rd_u32be(&r);
	if (!r.err && !str_is(cipher, CIPHER_NONE)) {
		*why = "encrypted";
		return -EACCES;
	}
	if (r.err || nkeys != 1) {
		*why = r.err ? "truncated header" : "not exactly one key";
		return -EINVAL;
	}
	rd_sshstr(&r); /* public key: repeated in the private section */
	priv = rd_sshstr(&r);
	pr = rd_init(priv.p, priv.len);
	if (r.err || rd_u32be(&pr) != rd_u32be(&pr) || pr.err) {
		*why = "bad private section (check words differ)";
		return -EINVAL;
	}
	return ossh_key(&pr, out, why);
}

/* A DER length: short form, or 0x8N and N big-endian bytes. */
static size_t der_len(struct rd *r)
{
	uint8_t b = rd_u8(r);
	size_t n = 0;

	if (!(b & DER_LEN_LONG)) {
		return b;
	}
	b &= (uint8_t)~DER_LEN_LONG;
	if (b == 0 || b > DER_LEN_MAX_BYTES) {
		r->err = true;
		return 0;
	}
	while (b--) {
		n = n << 8 | rd_u8(r);
	}
	return n;
}

static struct ssh_str der_int(struct rd *r)
{
	struct ssh_str s = { NULL, 0 };

	if (rd_u8(r) != DER_INTEGER) {
		r->err = true;
		return s;
	}
	s.len = (uint32_t)der_len(r);
	s.p = rd_bytes(r, s.len);
	if (!s.p) {
		s.len = 0;
	}
	return s;
}

static int pkcs1_to_dropbear(const uint8_t *p, size_t n, struct sbuf *out, const char **why)
{
	struct rd r = rd_init(p, n);
	struct ssh_str f[6];

	if (rd_u8(&r) != DER_SEQUENCE) {
		r.err = true;
	}
	der_len(&r);
	for (int i = 0; i < 6; i++) {
		f[i] = der_int(&r); /* version n e d p q */
	}
	if (r.err || f[0].len != 1 || f[0].p[0] != PKCS1_VERSION) {
		*why = "malformed PKCS#1 RSA key";
		return -EINVAL;
	}
	put_str(out, "ssh-rsa", strlen("ssh-rsa"));
	put_mpint(out, f[2]);
	put_mpint(out, f[1]);
	put_mpint(out, f[3]);
	put_mpint(out, f[4]);
	put_mpint(out, f[5]);
	return 0;
}

/* The base64 body of the PEM block starting at BEGIN in text, gathered
 * into b64 (lines need not be whole base64 quanta) and decoded into der. */
static int pem_body(const char *text, size_t len, const char *begin, struct sbuf *b64, struct sbuf *der,
		    const char **why)
{
	const char *s = memmem(text, len, begin, strlen(begin)), *end = text + len;

	if (!s) {
		*why = "not an OpenSSH or PEM RSA private key (ssh-keygen -p -f KEY rewrites a key in OpenSSH's format)";
		return -ENOTSUP;
	}
	s += strlen(begin);
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (nl ? nl : end) - s;

		if (n >= strlen(PEM_END) && !memcmp(s, PEM_END, strlen(PEM_END))) {
			return b64_decode((const char *)b64->p, b64->len, der) < 0 ? (*why = "bad base64", -EINVAL) : 0;
		}
		if (memmem(s, n, PEM_ENCRYPTED, strlen(PEM_ENCRYPTED))) {
			*why = "encrypted";
			return -EACCES;
		}
		while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ')) {
			n--;
		}
		if (n > 0 && !memchr(s, ':', n)) {
			sbuf_put(b64, s, n);
		}
		s = nl ? nl + 1 : end;
	}
	*why = "no END line";
	return -EINVAL;
}

int sshkey_to_dropbear(const char *text, size_t len, struct sbuf *out, const char **why)
{
	struct sbuf der = { 0 }, b64 = { 0 };
	const char *dummy;
	bool ossh = memmem(text, len, OSSH_BEGIN, strlen(OSSH_BEGIN)) != NULL;
	int r;

	why = why ? why : &dummy;
	r = pem_body(text, len, ossh ? OSSH_BEGIN : PKCS1_BEGIN, &b64, &der, why);
	if (r == 0 && (der.err || b64.err)) {
		r = -ENOMEM;
		*why = "out of memory";
	}
	if (r == 0) {
		r = ossh ? ossh_to_dropbear(der.p, der.len, out, why) : pkcs1_to_dropbear(der.p, der.len, out, why);
	}
	if (r == 0 && out->err) {
		r = -ENOMEM;
		*why = "out of memory";
	}
	sbuf_free(&der);
	sbuf_free(&b64);
	return r;
}

static int write_file(const char *path, const struct sbuf *b)
{
	int fd = io_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int r, c;

	if (fd < 0) {
		return fd;
	}
	r = io_write(fd, b->p, b->len);
	if (r == 0) {
		r = io_fsync(fd);
	}
	c = io_close(fd);
	return r ? r : c;
}

int sshkey_convert_file(const char *key, const char *out)
{
	struct sbuf text = { 0 }, db = { 0 };
	const char *why = "";
	int r = sbuf_read_file(&text, key);

	if (r < 0) {
		log_err("cannot read sshkey %s: %s; check the sshkey line in kdump.conf", key, strerror(-r));
		return r;
	}
	r = sshkey_to_dropbear((const char *)text.p, text.len, &db, &why);
	if (r == -EACCES) {
		log_err("sshkey %s is protected by a passphrase: the capture kernel cannot ask for it; "
			"make an unencrypted key for kdump, e.g. kdumpcap propagate", key);
	} else if (r < 0) {
		log_err("cannot use sshkey %s: %s; use an ed25519, ecdsa or rsa key made by ssh-keygen", key, why);
	} else {
		r = write_file(out, &db);
		if (r < 0) {
			log_err("cannot write %s: %s", out, strerror(-r));
		}
	}
	sbuf_free(&text);
	sbuf_free(&db);
	return r;
}

void sbuf_put(struct sbuf *b, const void *p, size_t n)
{
	if (b->err) {
		return;
	}
	if (n + 1 > b->cap - b->len || !b->p) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *np;

		while (cap < b->len + n + 1) {
			cap *= 2;
		}
		np = realloc(b->p, cap);
		if (!np) {
			b->err = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}

void sbuf_puts(struct sbuf *b, const char *s)
{
	sbuf_put(b, s, strlen(s));
}

void sbuf_free(struct sbuf *b)
{
	free(b->p);
	*b = (struct sbuf){ 0 };
}

int sbuf_read_file(struct sbuf *b, const char *path)
{
	char buf[4096];
	int fd = io_open(path, O_RDONLY | O_CLOEXEC, 0);
	ssize_t n;

	if (fd < 0) {
		return fd;
	}
	sbuf_put(b, "", 0);
	while ((n = io_read(fd, buf, sizeof(buf))) > 0 && b->len < MAX_KEY_FILE) {
		sbuf_put(b, buf, (size_t)n);
	}
	io_close(fd);
	if (n < 0) {
		return (int)n;
	}
	return b->err ? -ENOMEM : b->len >= MAX_KEY_FILE ? -EFBIG : 0;
}
