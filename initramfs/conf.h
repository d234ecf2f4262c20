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
	char dev[CONF_STR];     /* /dev/..., LABEL=, UUID=, PARTUUID=, ... as written */
	int target_line;
	bool raw_force;         /* raw_force yes: overwrite whatever the raw device holds */
	char path[CONF_STR];    /* directory on the target, default /var/crash */
	bool path_bad;          /* a 'path' line was refused: the default is not what was asked */
	/* Written by mkinitrd into the image's copy (what the names meant on
	 * the build machine): */
	char resolved_target[CONF_STR]; /* a name the capture kernel can find without udev */
	char resolved_path[CONF_STR];   /* 'path' with its symbolic links resolved inside the target */
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

#define CONF_MAX_FILE (64u << 10)

void conf_defaults(struct kdump_conf *c);
/* Parse TEXT (NAME for messages). Problems are reported per line and leave
 * the safe default in place; the result is always usable. Returns the number
 * of problem lines. */
int conf_parse(struct kdump_conf *c, const char *text, size_t len, const char *name);
/* Read and parse a file; a missing file gives the defaults (-ENOENT returned);
 * a file over 64 KiB is parsed up to there and gives -EFBIG. */
int conf_load(struct kdump_conf *c, const char *path);
/* Replace the collector options by the defaults (after the collector rejected them). */
void conf_default_collector(struct kdump_conf *c);
const char *conf_action_name(enum conf_action a);

#endif
