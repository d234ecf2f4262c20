/* known_hosts collection, its SHA-1/HMAC/base64, and key conversion errors
 * (byte-identity with dropbearconvert is in tests/integration/ssh.sh). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "initramfs/sshkey.h"
#include "tests/unit/t.h"

static bool hex_is(const uint8_t *p, const char *hex)
{
	char buf[2 * SHA1_LEN + 1];

	for (int i = 0; i < SHA1_LEN; i++) {
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	}
	return !strcmp(buf, hex);
}

TEST(sshkey_sha1_hmac)
{
	uint8_t out[SHA1_LEN], key[80];
	char million[1000];

	sha1("abc", 3, out);
	CHECK(hex_is(out, "a9993e364706816aba3e25717850c26c9cd0d89d"));
	sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, out);
	CHECK(hex_is(out, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"));
	memset(million, 'a', sizeof(million));
	sha1(million, sizeof(million), out); /* 1000 'a': crosses many blocks */
	CHECK(hex_is(out, "291e9a6c66994949b57ba5e650361e98fc36b1ba"));
	memset(key, 0x0b, 20); /* RFC 2202 test cases 1 and 6 */
	hmac_sha1(key, 20, "Hi There", 8, out);
	CHECK(hex_is(out, "b617318655057264e28bc0b6fb378c8ef146be00"));
	memset(key, 0xaa, 80);
	hmac_sha1(key, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 54, out);
	CHECK(hex_is(out, "aa4ae5e15272d00e95705637ce8a3b55ed402112"));
}

TEST(sshkey_base64)
{
	struct sbuf b = { 0 }, e = { 0 };

	CHECK(b64_decode("Zm9vYmE=", 8, &b) == 0 && b.len == 5 && !memcmp(b.p, "fooba", 5));
	b64_encode(b.p, b.len, &e);
	CHECK(e.len == 8 && !memcmp(e.p, "Zm9vYmE=", 8));
	sbuf_free(&b);
	CHECK(b64_decode("Zm9v!mE=", 8, &b) == -EINVAL);
	CHECK(b64_decode("Zm9vY", 5, &b) == -EINVAL);
	CHECK(b64_decode("Zm=v", 4, &b) == -EINVAL);
	sbuf_free(&b);
	sbuf_free(&e);
}

static char kh_path[64];

static const char *write_kh(const char *text)
{
	FILE *f;

	snprintf(kh_path, sizeof(kh_path), "/tmp/kdc-kh.XXXXXX");
	close(mkstemp(kh_path));
	f = fopen(kh_path, "w");
	fputs(text, f);
	fclose(f);
	return kh_path;
}

static int collect(const char *text, const char *host, unsigned port, struct sbuf *out)
{
	const char *files[] = { write_kh(text), "/nonexistent/known_hosts" };
	int n = known_hosts_collect(files, 2, host, port, out);

	unlink(kh_path);
	return n;
}

TEST(sshkey_known_hosts_plain)
{
	struct sbuf out = { 0 };
	const char *kh = "# comment\n"
			 "\n"
			 "other.example,10.0.0.9 ssh-ed25519 AAAAother\n"
			 "srv.example,10.0.0.1 ssh-ed25519 AAAAed comment here\n"
			 "10.0.0.1 ecdsa-sha2-nistp256 AAAAec\n"
			 "[10.0.0.1]:2222 ssh-rsa AAAAport\n"
			 "10.0.0.* ssh-rsa AAAAwild\n"
			 "10.0.0.*,!10.0.0.1 ssh-rsa AAAAnegated\n"
			 "@revoked 10.0.0.1 ssh-rsa AAAArevoked\n"
			 "@cert-authority *.example ssh-rsa AAAAca\n"
			 "10.0.0.1 ssh-ed25519 AAAAed\n";

	CHECK(collect(kh, "10.0.0.1", 22, &out) == 3);
	CHECK(out.p && !strcmp((char *)out.p, "10.0.0.1 ssh-ed25519 AAAAed\n"
					      "10.0.0.1 ecdsa-sha2-nistp256 AAAAec\n"
					      "10.0.0.1 ssh-rsa AAAAwild\n"));
	sbuf_free(&out);
	CHECK(collect(kh, "10.0.0.1", 2222, &out) == 1);
	CHECK(out.p && !strcmp((char *)out.p, "10.0.0.1 ssh-rsa AAAAport\n"));
	sbuf_free(&out);
	CHECK(collect(kh, "SRV.example", 22, &out) == 1);
	sbuf_free(&out);
	CHECK(collect(kh, "10.0.0.2", 2222, &out) == 0);
	sbuf_free(&out);
}

TEST(sshkey_known_hosts_hashed)
{
	struct sbuf out = { 0 };
	/* made by ssh-keygen -H from "[127.0.0.1]:2222 ..." and "example.org ..." */
	const char *kh = "|1|OPJGTnYrbZFNkjxXMhiSOs1vZWs=|/Cmb3dvmlXHEn7H9dHHi42f+c1k= ssh-ed25519 AAAAh1\n"
			 "|1|YJY2zljUh6l2JJWouoGO/XNWWAc=|L//A8XmOaecnZSM9s2ROkmGLomM= ssh-rsa AAAAh2\n"
			 "|1|bad|base64 ssh-rsa AAAAh3\n";

	CHECK(collect(kh, "127.0.0.1", 2222, &out) == 1);
	CHECK(out.p && !strcmp((char *)out.p, "127.0.0.1 ssh-ed25519 AAAAh1\n"));
	sbuf_free(&out);
	CHECK(collect(kh, "example.org", 22, &out) == 1);
	CHECK(out.p && !strcmp((char *)out.p, "example.org ssh-rsa AAAAh2\n"));
	sbuf_free(&out);
	CHECK(collect(kh, "127.0.0.1", 22, &out) == 0);
	sbuf_free(&out);
}

TEST(sshkey_convert_errors)
{
	struct sbuf out = { 0 };
	const char *why = NULL;
	const char *enc = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
			  "DEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
	/* openssh-key-v1 header with cipher aes256-ctr */
	const char *oenc = "-----BEGIN OPENSSH PRIVATE KEY-----\n"
			   "b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAAAAAAAE=\n"
			   "-----END OPENSSH PRIVATE KEY-----\n";
	const char *trunc = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n"
			    "-----END OPENSSH PRIVATE KEY-----\n";

	CHECK(sshkey_to_dropbear(enc, strlen(enc), &out, &why) == -EACCES);
	CHECK(sshkey_to_dropbear(oenc, strlen(oenc), &out, &why) == -EACCES);
	CHECK(sshkey_to_dropbear(trunc, strlen(trunc), &out, &why) == -EINVAL);
	CHECK(sshkey_to_dropbear("hello", 5, &out, &why) == -ENOTSUP);
	sbuf_free(&out);
}
