/* kdump.conf parser: one table of directives, one handler each. A bad line
 * is named in a message and leaves the safe default in place: the capture
 * kernel must always end up with a usable configuration. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initramfs/conf.h"
#include "initramfs/ipconf.h"
#include "lib/io.h"
#include "lib/log.h"

#define LINE_MAX_LEN 1024

static const char default_collector[] = "kdumpcap -d 31 -z";

struct line {
	const char *name; /* file name */
	int no;
	const char *key;
	char *args;       /* rest of the line, trimmed */
};

static const struct {
	const char *name;
	enum conf_action act;
} actions[] = {
	{ "reboot", ACT_REBOOT },
	{ "halt", ACT_HALT },
	{ "poweroff", ACT_POWEROFF },
};

const char *conf_action_name(enum conf_action a)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (actions[i].act == a) {
			return actions[i].name;
		}
	}
	return "reboot";
}

__attribute__((format(printf, 4, 5))) static int problem(struct kdump_conf *c, const struct line *l,
								const char *then, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	log_warn("%s:%d: %s; %s", l->name, l->no, what, then);
	c->problems++;
	return -EINVAL;
}

/* Split s in place on blanks; returns the count, -E2BIG past max. */
static int split(char *s, char **v, int max)
{
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t') {
			*s++ = '\0';
		}
		if (!*s) {
			break;
		}
		if (n == max) {
			return -E2BIG;
		}
		v[n++] = s;
		while (*s && *s != ' ' && *s != '\t') {
			s++;
		}
	}
	v[n] = NULL;
	return n;
}

static bool one_word(const char *s)
{
	return *s && !strpbrk(s, " \t");
}

static int set_str(struct kdump_conf *c, const struct line *l, char *dst, const char *what)
{
	if (!one_word(l->args)) {
		return problem(c, l, what, "'%s' takes exactly one value", l->key);
	}
	if (strlen(l->args) >= CONF_STR) {
		return problem(c, l, what, "the value of '%s' is too long", l->key);
	}
	strcpy(dst, l->args);
	return 0;
}

static const char *const raw_names[] = { "PARTUUID=", "WWID=", "SERIAL=", NULL };
static const char *const fs_names[] = { "LABEL=", "UUID=", "PARTUUID=", NULL };

static bool has_prefix(const char *s, const char *const *prefixes)
{
	for (; *prefixes; prefixes++) {
		if (!strncmp(s, *prefixes, strlen(*prefixes))) {
			return true;
		}
	}
	return false;
}

static int do_target(struct kdump_conf *c, const struct line *l)
{
	bool raw = !strcmp(l->key, "raw");
	const char *d = l->args;

	if (c->target != TGT_NONE) {
		return problem(c, l, "keeping the first one", "a second dump target ('%s') is not supported", l->key);
	}
	if (!one_word(d) || strlen(d) >= CONF_STR) {
		return problem(c, l, "no dump target from this line", "'%s' takes one device (/dev/..., LABEL=... or UUID=...)", l->key);
	}
	if (strncmp(d, "/dev/", 5) && !has_prefix(d, raw ? raw_names : fs_names)) {
		return problem(c, l, raw ? "use /dev/..., PARTUUID=, WWID= or SERIAL=; no dump target from this line"
				   : "use /dev/..., LABEL=, UUID= or PARTUUID=; no dump target from this line",
			       "'%s' is not a device name %s", d, raw ? "for a raw target" : "");
	}
	if (d[strlen(d) - 1] == '=' || !strcmp(d, "/dev/")) {
		return problem(c, l, "no dump target from this line", "'%s' names no device", d);
	}
	c->target = raw ? TGT_RAW : TGT_FS;
	strcpy(c->fstype, raw ? "" : l->key);
	strcpy(c->dev, d);
	c->target_line = l->no;
	return 0;
}

/* nfs server:/export (numeric IPv4 or a host name resolved by mkinitrd). */
static int do_nfs(struct kdump_conf *c, const struct line *l)
{
	const char *d = l->args, *colon = strchr(d, ':');

	if (c->target != TGT_NONE) {
		return problem(c, l, "keeping the first one", "a second dump target ('%s') is not supported", l->key);
	}
	if (!one_word(d) || strlen(d) >= CONF_STR || !colon || colon == d || colon[1] != '/') {
		return problem(c, l, "no dump target from this line", "'nfs' takes server:/export, not '%s'", d);
	}
	c->target = TGT_NFS;
	strcpy(c->dev, d);
	c->target_line = l->no;
	return 0;
}

/* ssh user@host[:port] (numeric IPv4 or a host name resolved by mkinitrd). */
static int do_ssh(struct kdump_conf *c, const struct line *l)
{
	const char *d = l->args, *at = strchr(d, '@');

	if (c->target != TGT_NONE) {
		return problem(c, l, "keeping the first one", "a second dump target ('%s') is not supported", l->key);
	}
	if (!one_word(d) || strlen(d) >= CONF_STR || !at || at == d || !at[1] || at[1] == ':' || strchr(d, '[')) {
		return problem(c, l, "no dump target from this line", "'ssh' takes user@host[:port] (IPv4 or a name), not '%s'", d);
	}
	c->target = TGT_SSH;
	strcpy(c->dev, d);
	c->target_line = l->no;
	return 0;
}

static int do_sshkey(struct kdump_conf *c, const struct line *l)
{
	if (!one_word(l->args) || l->args[0] != '/') {
		return problem(c, l, "using the default key", "'sshkey' takes the absolute path of a private key, not '%s'", l->args);
	}
	return set_str(c, l, c->sshkey, "using the default key");
}

static int do_net(struct kdump_conf *c, const struct line *l)
{
	struct ipconf ic;
	const char *why = NULL;
	bool mac = !strcmp(l->key, "dump_mac");

	if (!one_word(l->args) || strlen(l->args) >= CONF_STR) {
		return problem(c, l, "ignoring it", "'%s' takes one word", l->key);
	}
	if (!mac && ipconf_parse(&ic, l->args, &why)) {
		return problem(c, l, "ignoring it", "'%s %s' is not in dracut's ip= syntax: %s", l->key, l->args, why);
	}
	strcpy(mac ? c->mac : c->ip, l->args);
	return 0;
}

/* net_timeout SECONDS: the stall bound of NFS and SSH targets (the NFS
 * writer's progress watchdog, each SFTP request; the SSH login gets half). */
static int do_net_timeout(struct kdump_conf *c, const struct line *l)
{
	char *end, then[48];
	long v = strtol(l->args, &end, 10);

	if (!one_word(l->args) || *end || end == l->args || v < CONF_NET_TIMEOUT_MIN || v > CONF_NET_TIMEOUT_MAX) {
		snprintf(then, sizeof(then), "keeping %d s", c->net_timeout_s);
		return problem(c, l, then,
			       "'net_timeout' takes whole seconds from %d to %d, not '%s'", CONF_NET_TIMEOUT_MIN,
			       CONF_NET_TIMEOUT_MAX, l->args);
	}
	c->net_timeout_s = (int)v;
	return 0;
}

static int do_path(struct kdump_conf *c, const struct line *l)
{
	char save[CONF_STR];

	strcpy(save, c->path);
	if (set_str(c, l, c->path, "keeping /var/crash, which is not what was asked")) {
		c->path_bad = true;
		return -EINVAL;
	}
	if (c->path[0] != '/' || strstr(c->path, "/../") ||
	    (strlen(c->path) >= 3 && !strcmp(c->path + strlen(c->path) - 3, "/.."))) {
		strcpy(c->path, save);
		c->path_bad = true;
		return problem(c, l, "keeping /var/crash, which is not what was asked", "path '%s' must be absolute and without '..'", l->args);
	}
	c->path_bad = false;
	return 0;
}

static int do_raw_force(struct kdump_conf *c, const struct line *l)
{
	if (strcmp(l->args, "yes") && strcmp(l->args, "no")) {
		return problem(c, l, "not overwriting what a raw target holds", "raw_force takes yes or no, not '%s'",
			       l->args);
	}
	c->raw_force = !strcmp(l->args, "yes");
	return 0;
}

static int do_resolved(struct kdump_conf *c, const struct line *l)
{
	bool target = !strcmp(l->key, "resolved_target");

	if (target) {
		return set_str(c, l, c->resolved_target, "ignoring it");
	}
	if (!strcmp(l->key, "resolved_server")) {
		return set_str(c, l, c->resolved_server, "ignoring it");
	}
	if (set_str(c, l, c->resolved_path, "ignoring it") == 0 && c->resolved_path[0] != '/') {
		c->resolved_path[0] = '\0';
		return problem(c, l, "ignoring it", "'%s' needs an absolute path", l->key);
	}
	return 0;
}

static int set_collector(struct kdump_conf *c, const char *s)
{
	int n;

	if (strlen(s) >= sizeof(c->collector)) {
		return -E2BIG;
	}
	strcpy(c->collector, s);
	n = split(c->collector, c->argv, CONF_MAX_ARGS);
	if (n < 1) {
		return n < 0 ? n : -EINVAL;
	}
	c->argc = n;
	/* the options are makedumpfile's; accept its name for the program */
	c->argv[0] = "kdumpcap";
	return 0;
}

void conf_default_collector(struct kdump_conf *c)
{
	(void)set_collector(c, default_collector);
	c->collector_line = 0;
}

static int do_collector(struct kdump_conf *c, const struct line *l)
{
	char prog[32];
	size_t n = strcspn(l->args, " \t");

	snprintf(prog, sizeof(prog), "%.*s", (int)(n < 31 ? n : 31), l->args);
	if (strcmp(prog, "kdumpcap") && strcmp(prog, "makedumpfile")) {
		return problem(c, l, "using the default 'kdumpcap -d 31 -z'", "core_collector '%s' is not available in this image (only kdumpcap or "
				     "makedumpfile options)", prog);
	}
	if (set_collector(c, l->args)) {
		conf_default_collector(c);
		return problem(c, l, "using the default 'kdumpcap -d 31 -z'", "core_collector has too many options (at most %s)", "32");
	}
	c->collector_line = l->no;
	return 0;
}

static int do_action(struct kdump_conf *c, const struct line *l)
{
	bool final = !strcmp(l->key, "final_action");
	enum conf_action *dst = final ? &c->final_action : &c->failure_action;

	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (!strcmp(l->args, actions[i].name)) {
			*dst = actions[i].act;
			return 0;
		}
	}
	if (!final && (!strcmp(l->args, "shell") || !strcmp(l->args, "dump_to_rootfs"))) {
		return problem(c, l, "falling back to 'reboot'", "failure action '%s' is not possible: this image has no shell and no root "
				     "file system", l->args);
	}
	*dst = ACT_REBOOT;
	return problem(c, l, "using 'reboot'", "unknown action '%s' (use reboot, halt or poweroff)", l->args);
}

static int do_pre_post(struct kdump_conf *c, const struct line *l)
{
	char *dst = !strcmp(l->key, "kdump_pre") ? c->pre : c->post;

	if (set_str(c, l, dst, "not running any") == 0 && dst[0] != '/') {
		dst[0] = '\0';
		return problem(c, l, "not running it", "'%s' needs an absolute path", l->key);
	}
	return 0;
}

/* kdump_commandline_append WORDS...: for `kdumpcap load`, which reads the
 * host's kdump.conf; the capture kernel has its command line already. */
static int do_cmdline_append(struct kdump_conf *c, const struct line *l)
{
	if (strlen(l->args) >= sizeof(c->cmdline_append)) {
		return problem(c, l, "ignoring it", "'%s' is longer than %d bytes", l->key, CONF_STR - 1);
	}
	strcpy(c->cmdline_append, l->args);
	return 0;
}

static int do_modules(struct kdump_conf *c, const struct line *l)
{
	size_t used = 0;
	char *v[CONF_MAX_MODS + 1];
	char tmp[LINE_MAX_LEN];
	int n;

	for (int i = 0; i < c->nmodules; i++) {
		used += strlen(c->modules[i]) + 1;
	}
	snprintf(tmp, sizeof(tmp), "%s", l->args);
	n = split(tmp, v, CONF_MAX_MODS);
	if (n < 0 || c->nmodules + n > CONF_MAX_MODS) {
		return problem(c, l, "ignoring this line", "too many extra_modules (at most %s)", "32");
	}
	for (int i = 0; i < n; i++) {
		size_t k = strlen(v[i]) + 1;
		if (used + k > sizeof(c->modbuf) || strchr(v[i], '/')) {
			return problem(c, l, "ignoring the rest of the line", "bad or too long module name '%s'", v[i]);
		}
		memcpy(c->modbuf + used, v[i], k);
		c->modules[c->nmodules++] = c->modbuf + used;
		used += k;
	}
	return 0;
}

/* Fedora's service-side switches (crashkernel resizing, image rebuild policy):
 * they change nothing in the capture, so a Fedora kdump.conf keeps working;
 * kdumpcap start honours the rebuild policy (0/1, or no/yes). */
static int do_service_only(struct kdump_conf *c, const struct line *l)
{
	bool on = !strcmp(l->args, "1") || !strcmp(l->args, "yes");

	if (!strcmp(l->key, "force_rebuild")) {
		c->force_rebuild = on; /* kdumpcap start: rebuild at every start */
	} else if (!strcmp(l->key, "force_no_rebuild")) {
		c->force_no_rebuild = on; /* kdumpcap start: never rebuild an existing image */
	}
	return 0;
}

static int do_unsupported(struct kdump_conf *c, const struct line *l)
{
	return problem(c, l, "ignoring this line", "'%s' is not supported by kdumpcap", l->key);
}

static const struct {
	const char *key;
	int (*fn)(struct kdump_conf *c, const struct line *l);
	bool noarg_ok;
} directives[] = {
	{ "raw", do_target, false },
	{ "ext4", do_target, false },
	{ "ext3", do_target, false },
	{ "ext2", do_target, false },
	{ "xfs", do_target, false },
	{ "raw_force", do_raw_force, false },
	{ "path", do_path, false },
	{ "resolved_target", do_resolved, false },
	{ "resolved_path", do_resolved, false },
	{ "resolved_server", do_resolved, false },
	{ "nfs", do_nfs, false },
	{ "ssh", do_ssh, false },
	{ "sshkey", do_sshkey, false },
	{ "dump_ip", do_net, false },
	{ "dump_mac", do_net, false },
	{ "net_timeout", do_net_timeout, false },
	{ "core_collector", do_collector, false },
	{ "failure_action", do_action, false },
	{ "default", do_action, false },
	{ "final_action", do_action, false },
	{ "kdump_pre", do_pre_post, false },
	{ "kdump_post", do_pre_post, false },
	{ "extra_modules", do_modules, false },
	{ "kdump_commandline_append", do_cmdline_append, false },
	/* Fedora directives this build does not do: said so, never silently */
	{ "extra_bins", do_unsupported, true },
	{ "dracut_args", do_unsupported, true },
	{ "fence_kdump_args", do_unsupported, true },
	{ "fence_kdump_nodes", do_unsupported, true },
	{ "force_rebuild", do_service_only, true },
	{ "force_no_rebuild", do_service_only, true },
	{ "auto_reset_crashkernel", do_service_only, true },
};

void conf_defaults(struct kdump_conf *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->path, "/var/crash");
	c->failure_action = ACT_REBOOT;
	c->final_action = ACT_REBOOT;
	c->net_timeout_s = CONF_NET_TIMEOUT_DEFAULT;
	conf_default_collector(c);
}

static void parse_line(struct kdump_conf *c, struct line *l, char *s)
{
	char *e, *hash = strchr(s, '#');

	if (hash) {
		*hash = '\0';
	}
	while (*s == ' ' || *s == '\t') {
		s++;
	}
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) {
		*--e = '\0';
	}
	if (!*s) {
		return;
	}
	l->key = s;
	s += strcspn(s, " \t");
	if (*s) {
		*s++ = '\0';
		s += strspn(s, " \t");
	}
	l->args = s;
	for (size_t i = 0; i < sizeof(directives) / sizeof(directives[0]); i++) {
		if (!strcmp(l->key, directives[i].key)) {
			if (!*l->args && !directives[i].noarg_ok) {
				problem(c, l, "ignoring this line", "'%s' needs a value", l->key);
				return;
			}
			directives[i].fn(c, l);
			return;
		}
	}
	problem(c, l, "ignoring this line", "unknown directive '%s'", l->key);
}

int conf_parse(struct kdump_conf *c, const char *text, size_t len, const char *name)
{
	struct line l = { .name = name };
	size_t i = 0;

	while (i < len) {
		char buf[LINE_MAX_LEN];
		size_t n = 0;
		bool nul = false;

		l.no++;
		while (i < len && text[i] != '\n') {
			if (text[i] == '\0') {
				nul = true;
			}
			if (n < sizeof(buf) - 1) {
				buf[n] = text[i];
			}
			n++;
			i++;
		}
		i++; /* the newline */
		if (n >= sizeof(buf) - 1 || nul) {
			problem(c, &l, "ignoring it", "%s", nul ? "line contains a NUL byte" : "line is longer than 1023 bytes");
			continue;
		}
		buf[n] = '\0';
		parse_line(c, &l, buf);
	}
	return c->problems;
}

int conf_load(struct kdump_conf *c, const char *path)
{
	static char text[CONF_MAX_FILE + 1]; /* one more: tells "exactly the limit" from "over it" */
	ssize_t n;
	int fd = io_open(path, O_RDONLY, 0);

	if (fd < 0) {
		log_warn("cannot read %s: %s; using the defaults", path, strerror(-fd));
		return fd;
	}
	n = io_read(fd, text, sizeof(text));
	io_close(fd);
	if (n < 0) {
		log_warn("cannot read %s: %s; using the defaults", path, strerror((int)-n));
		return (int)n;
	}
	conf_parse(c, text, (size_t)n > CONF_MAX_FILE ? CONF_MAX_FILE : (size_t)n, path);
	if ((size_t)n > CONF_MAX_FILE) {
		log_warn("%s is larger than %u bytes; only the start was read", path, CONF_MAX_FILE);
		return -EFBIG;
	}
	return 0;
}
