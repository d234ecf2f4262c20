/* kdump.conf parsing of arbitrary text; the result must always be usable. */
#include <string.h>

#include "initramfs/conf.h"
#include "tests/fuzz/fuzz.h"

static void usable(const struct kdump_conf *c)
{
	if (c->argc < 0 || c->argc > CONF_MAX_ARGS || c->argv[c->argc] || c->nmodules < 0 ||
	    c->nmodules > CONF_MAX_MODS) {
		__builtin_trap();
	}
	for (int i = 1; i < c->argc; i++) { /* argv[0] is the fixed program name */
		if (c->argv[i] < c->collector || c->argv[i] >= c->collector + sizeof(c->collector)) {
			__builtin_trap();
		}
	}
	for (int i = 0; i < c->nmodules; i++) {
		if (c->modules[i] < c->modbuf || c->modules[i] >= c->modbuf + sizeof(c->modbuf)) {
			__builtin_trap();
		}
	}
	if (!memchr(c->dev, 0, sizeof(c->dev)) || !memchr(c->path, 0, sizeof(c->path)) ||
	    !memchr(c->fstype, 0, sizeof(c->fstype)) || !memchr(c->pre, 0, sizeof(c->pre)) ||
	    !memchr(c->post, 0, sizeof(c->post))) {
		__builtin_trap();
	}
	(void)conf_action_name(c->failure_action);
	(void)conf_action_name(c->final_action);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kdump_conf c;

	fuzz_quiet();
	conf_defaults(&c);
	(void)conf_parse(&c, (const char *)data, size, "fuzz");
	usable(&c);
	conf_default_collector(&c);
	usable(&c);
	return 0;
}
