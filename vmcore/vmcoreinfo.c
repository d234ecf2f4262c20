#include <stdio.h>
#include <string.h>

#include "vmcore/vmcoreinfo.h"

bool vmci_raw(const struct vmcoreinfo *vi, const char *key, const char **val, size_t *len)
{
	size_t klen = strlen(key);
	const char *p = vi->text;
	const char *end = vi->text ? vi->text + vi->len : NULL;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		if ((size_t)(eol - p) > klen && !memcmp(p, key, klen) && p[klen] == '=') {
			*val = p + klen + 1;
			*len = (size_t)(eol - *val);
			return true;
		}
		p = eol + 1;
	}
	return false;
}

static bool parse_u64(const char *s, size_t len, int base, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (base == 16 && len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		i = 2;
	}
	if (i == len) {
		return false;
	}
	for (; i < len; i++) {
		int d;
		char c = s[i];

		if (c >= '0' && c <= '9') {
			d = c - '0';
		} else if (base == 16 && c >= 'a' && c <= 'f') {
			d = c - 'a' + 10;
		} else if (base == 16 && c >= 'A' && c <= 'F') {
			d = c - 'A' + 10;
		} else {
			return false;
		}
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) {
			return false;
		}
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = v;
	return true;
}

bool vmci_u64(const struct vmcoreinfo *vi, const char *key, int base, uint64_t *out)
{
	const char *v;
	size_t len;

	return vmci_raw(vi, key, &v, &len) && parse_u64(v, len, base, out);
}

bool vmci_s64(const struct vmcoreinfo *vi, const char *key, int64_t *out)
{
	const char *v;
	size_t len;
	uint64_t u;
	bool neg;

	if (!vmci_raw(vi, key, &v, &len) || len == 0) {
		return false;
	}
	neg = v[0] == '-';
	if (!parse_u64(v + neg, len - neg, 10, &u) || u > (uint64_t)INT64_MAX) {
		return false;
	}
	*out = neg ? -(int64_t)u : (int64_t)u;
	return true;
}

static bool wrapped(const struct vmcoreinfo *vi, const char *kind, const char *name, int base, uint64_t *out)
{
	char key[128];

	if (snprintf(key, sizeof(key), "%s(%s)", kind, name) >= (int)sizeof(key)) {
		return false;
	}
	return vmci_u64(vi, key, base, out);
}

bool vmci_symbol(const struct vmcoreinfo *vi, const char *name, uint64_t *out)
{
	return wrapped(vi, "SYMBOL", name, 16, out);
}

bool vmci_offset(const struct vmcoreinfo *vi, const char *name, uint64_t *out)
{
	return wrapped(vi, "OFFSET", name, 10, out);
}

bool vmci_size(const struct vmcoreinfo *vi, const char *name, uint64_t *out)
{
	return wrapped(vi, "SIZE", name, 10, out);
}

bool vmci_length(const struct vmcoreinfo *vi, const char *name, uint64_t *out)
{
	return wrapped(vi, "LENGTH", name, 10, out);
}

bool vmci_number(const struct vmcoreinfo *vi, const char *name, int64_t *out)
{
	char key[128];

	if (snprintf(key, sizeof(key), "NUMBER(%s)", name) >= (int)sizeof(key)) {
		return false;
	}
	return vmci_s64(vi, key, out);
}

bool vmci_str(const struct vmcoreinfo *vi, const char *key, char *buf, size_t size)
{
	const char *v;
	size_t len;

	if (!vmci_raw(vi, key, &v, &len) || size == 0) {
		return false;
	}
	if (len >= size) {
		len = size - 1;
	}
	memcpy(buf, v, len);
	buf[len] = 0;
	return true;
}
