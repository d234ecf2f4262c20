/* kdumpcap postcrash: kdumpcap-savecore.service, once per boot before a capture
 * kernel is loaded again.
 *   1. a raw target's dump is restored into kdump.conf's path (kdumpcap savecore);
 *   2. pstore records (the dying kernel's log kept by ramoops or EFI) are moved
 *      into path/pstore-<date>/ and removed from pstore, as systemd-pstore does;
 *   3. the last capture's result is said once in the journal: the newest dump
 *      directory complete, cut short or empty, or a crash that pstore saw but
 *      that left no dump at all.
 * Options: those of kdumpcap start (--root, --config), --pstore DIR, --dev DEV.
 * Exit status 1 when the last capture failed (said for the first time) or
 * saving failed, so that `systemctl status kdumpcap-savecore` shows it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture/cmds.h"
#include "initramfs/hosttarget.h"
#include "initramfs/lastdump.h"
#include "initramfs/pstore.h"
#include "initramfs/service.h"
#include "lib/io.h"
#include "lib/log.h"

/* In the dump directory: the name of the newest dump already reported. */
#define SEEN_FILE ".kdumpcap-reported"

static int restore_raw(const struct service *s, const char *base)
{
	char *argv[] = { "savecore", "--config", (char *)s->config, "--path", (char *)base, NULL, NULL, NULL };
	int argc = 5;

	if (s->dev) {
		argv[argc++] = "--dev";
		argv[argc++] = (char *)s->dev;
	}
	return savecore_main(argc, argv) ? -EIO : 0;
}

/* Was LD reported by an earlier boot? Remembers it as reported. */
static bool seen_before(const char *base, const struct lastdump *ld)
{
	char p[PATH_MAX], old[NAME_MAX + 2] = "";
	int fd;

	if (snprintf(p, sizeof(p), "%s/" SEEN_FILE, base) >= (int)sizeof(p)) {
		return false;
	}
	if (io_read_text(p, old, sizeof(old)) > 0 && !strcmp(old, ld->name)) {
		return true;
	}
	fd = io_open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		(void)io_write(fd, ld->name, strlen(ld->name));
		(void)io_close(fd);
	}
	return false;
}

/* Say the last capture's result once; true when it failed. */
static bool report(const char *base, int moved, const char *pdir)
{
	struct lastdump ld;
	bool fresh;

	if (lastdump_find(base, &ld) < 0) {
		ld.state = LASTDUMP_NONE;
	}
	fresh = ld.state != LASTDUMP_NONE && !seen_before(base, &ld);
	if (fresh && ld.state == LASTDUMP_COMPLETE) {
		log_info("the last crash was captured: %s/vmcore", ld.dir);
		return false;
	}
	if (fresh) {
		log_err("the last capture failed: %s is %s", ld.dir, lastdump_describe(ld.state));
	}
	if (moved > 0 && !fresh) {
		log_err("the kernel crashed (pstore kept its log, now in %s) but no dump was saved: the capture "
			"failed before writing anything; check kdump.conf's target and crashkernel=, and see %s",
			pdir, pdir);
		return true;
	}
	return fresh;
}

int postcrash_main(int argc, char **argv)
{
	static struct service s;
	char base[PATH_MAX], pdir[PATH_MAX] = "";
	int r, moved, rc = 0;

	if (service_setup(&s, argc, argv)) {
		return 2;
	}
	r = hosttarget_dump_dir(&s.conf, s.root, base, sizeof(base));
	if (r) {
		log_info("the dumps are not on this machine (%s target %s: %s); pstore records go to %s%s",
			 s.conf.target == TGT_NFS ? "nfs" : s.conf.target == TGT_SSH ? "ssh" : "dump", s.conf.dev,
			 r == -EREMOTE ? "remote" : r == -ENOENT ? "not mounted" : strerror(-r), s.root, s.conf.path);
		snprintf(base, sizeof(base), "%s%s", s.root, s.conf.path);
	}
	if (s.conf.target == TGT_RAW && restore_raw(&s, base)) {
		rc = 1;
	}
	moved = pstore_move(s.pstore, base, pdir, sizeof(pdir));
	if (moved < 0) {
		rc = 1;
	}
	if (r == 0 || s.conf.target == TGT_NONE) {
		rc |= report(base, moved, pdir);
	}
	return rc;
}
