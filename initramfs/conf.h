/* kdump.conf (Fedora syntax): what to dump where, and what to do after. */
#ifndef KDC_CONF_H
#define KDC_CONF_H

#include <stdbool.h>
#include <stddef.h>

#define CONF_MAX_ARGS 32
#define CONF_MAX_MODS 32
#define CONF_STR 256

/* Where mkinitrd puts the kdump_pre / kdump_post binaries in the image,
 * whatever their path on the build machine: a host path under /tmp, /dev,
 * /proc, /sys or /mnt would be hidden by the capture kernel's mounts. */
#define CONF_PRE_IMAGE "/lib/kdumpcap/kdump_pre"
#define CONF_POST_IMAGE "/lib/kdumpcap/kdump_post"

enum conf_action { ACT_REBOOT, ACT_HALT, ACT_POWEROFF };
enum conf_target { TGT_NONE, TGT_RAW, TGT_FS };

struct kdump_conf {
	enum conf_target target;
	char fstype[8];         /* ext4, ext3, ext2, xfs; "" for raw */
	char dev[CONF_STR];     /* /dev/..., LABEL=..., UUID=... as written */
	int target_line;
	char path[CONF_STR];    /* directory on the target, default /var/crash */
	char collector[512];    /* the core_collector tokens, NUL-separated */
	char *argv[CONF_MAX_ARGS + 1];
	int argc;
	int collector_line;     /* 0: the default */
	enum conf_action failure_action;
	enum conf_action final_action;
	char pre[CONF_STR];     /* kdump_pre binary, "" if none */
	char post[CONF_STR];
	char modbuf[512];
	char *modules[CONF_MAX_MODS];
	int nmodules;
	int problems;           /* lines with a message */
};

void conf_defaults(struct kdump_conf *c);
/* Parse TEXT (NAME for messages). Problems are reported per line and leave
 * the safe default in place; the result is always usable. Returns the number
 * of problem lines. */
int conf_parse(struct kdump_conf *c, const char *text, size_t len, const char *name);
/* Read and parse a file; a missing file gives the defaults (-ENOENT returned). */
int conf_load(struct kdump_conf *c, const char *path);
/* Replace the collector options by the defaults (after the collector rejected them). */
void conf_default_collector(struct kdump_conf *c);
const char *conf_action_name(enum conf_action a);

#endif
