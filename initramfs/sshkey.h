/* SSH material for the capture image, made from what an admin already has:
 * the OpenSSH private key named by `sshkey`, converted to the format
 * dropbear's dbclient reads, and the server's host keys from known_hosts
 * files, as the plain "HOST ALGO BASE64" lines dbclient reads. */
#ifndef KDC_SSHKEY_H
#define KDC_SSHKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growing byte buffer; ->err is set (and nothing more is added) when
 * memory runs out, so a builder checks once at the end. */
struct sbuf {
	uint8_t *p;
	size_t len, cap;
	bool err;
};

void sbuf_put(struct sbuf *b, const void *p, size_t n);
void sbuf_puts(struct sbuf *b, const char *s);
void sbuf_free(struct sbuf *b);
/* The whole file at PATH into b (NUL-terminated, not counted); 0 or -errno. */
int sbuf_read_file(struct sbuf *b, const char *path);

/* Base64 (RFC 4648, with padding); decode stops at the first non-base64
 * byte and fails (-EINVAL) on a bad length or padding. */
int b64_decode(const char *s, size_t n, struct sbuf *out);
void b64_encode(const void *p, size_t n, struct sbuf *out);

#define SHA1_LEN 20
void sha1(const void *p, size_t n, uint8_t out[SHA1_LEN]);
void hmac_sha1(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[SHA1_LEN]);

/* Convert an unencrypted private key (OpenSSH "openssh-key-v1", or PEM
 * PKCS#1 "RSA PRIVATE KEY") of type ed25519, ecdsa-nistp256/384/521 or rsa
 * to dropbear's format, appended to out. 0; -EACCES when the key is
 * protected by a passphrase; -ENOTSUP for another key type; -EINVAL when it
 * is malformed. *why (may be NULL) says what was wrong. */
int sshkey_to_dropbear(const char *text, size_t len, struct sbuf *out, const char **why);
/* KEY (an OpenSSH private key file) to OUT in dropbear's format, mode 0600;
 * errors are logged naming KEY. 0 or -errno. */
int sshkey_convert_file(const char *key, const char *out);
/* The key kdump uses when none is named: $HOME/.ssh/kdump_id_rsa when it
 * exists (Fedora's), else $HOME/.ssh/kdump_id_ed25519 (HOME unset: /root). */
void sshkey_default(char *key, size_t size);

/* The known_hosts name of HOST at PORT: "host", or "[host]:port" when
 * PORT is not 22. */
void known_hosts_name(char *buf, size_t size, const char *host, unsigned port);
/* Append to out one "HOST ALGO BASE64\n" line (HOST as given, which is
 * what dbclient matches) for every key of HOST:PORT in the known_hosts
 * FILES (missing files are skipped): plain, [host]:port, comma lists,
 * wildcards, negations and hashed |1|salt|hash names; @revoked and
 * @cert-authority lines are skipped with a note. Each key once. The number
 * of keys, or -errno. */
int known_hosts_collect(const char *const *files, size_t nfiles, const char *host, unsigned port,
			struct sbuf *out);

/* The admin's files: $HOME/.ssh/known_hosts (HOME unset: /root) and
 * /etc/ssh/ssh_known_hosts; user gets the first path. */
#define KNOWN_HOSTS_SYSTEM "/etc/ssh/ssh_known_hosts"
void known_hosts_user_file(char *user, size_t size);
/* For the image builder: dbclient's known_hosts for HOST:PORT, from the
 * admin's files, into OUT (mode 0644). -ENOENT (logged, saying to run
 * kdumpcap propagate) when they hold no key of the host. */
int known_hosts_write(const char *host, unsigned port, const char *out);

#endif
