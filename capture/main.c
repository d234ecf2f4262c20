/* kdumpcap: one binary, several personalities.
 *   PID 1 in the capture kernel         -> init_main (initramfs/init.c)
 *   kdumpcap SUBCOMMAND ...             -> the table below
 *   kdumpcap [makedumpfile options] ... -> collector_main */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture/cmds.h"
#include "capture/compress.h"

#ifndef KDC_VERSION
#define KDC_VERSION "unknown" /* set by the Makefile from VERSION */
#endif

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} subcmds[] = {
	{ "savecore", savecore_main },
	{ "mkinitrd", mkinitrd_main },
	{ "load", load_main },
	{ "unload", unload_main },
	{ "estimate", estimate_main },
	{ "status", status_main },
	{ "start", start_main },
	{ "image", image_main },
	{ "postcrash", postcrash_main },
	{ "init", init_main },
	{ "sftp-test-write", sftptest_main },
	{ "propagate", propagate_main },
	{ "sshkey-convert", sshkey_convert_main },
	{ "known-hosts", known_hosts_main },
};

int main(int argc, char **argv)
{
	if (getpid() == 1) {
		return init_main(argc, argv);
	}
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		char libs[128];

		compress_versions(libs, sizeof(libs));
		printf("kdumpcap %s (%s)\n", KDC_VERSION, libs);
		return 0;
	}
	if (argc > 1) {
		for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++) {
			if (!strcmp(argv[1], subcmds[i].name)) {
				return subcmds[i].fn(argc - 1, argv + 1);
			}
		}
	}
	return collector_main(argc, argv);
}
