#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initramfs/rootpath.h"
#include "tests/unit/t.h"

/* A target's tree: var/crash, links that stay inside (absolute and
 * relative) and links that leave it. */
static int make_tree(char *root)
{
	char cmd[2048];

	if (!mkdtemp(root)) {
		return -1;
	}
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p var/crash data && touch file && "
		 "ln -s /var/crash abs && ln -s var/crash rel && ln -s ../var data/up && "
		 "ln -s ../../.. esc_rel && ln -s /../../etc esc_abs && ln -s /tmp host_tmp && "
		 "ln -s data/../../x esc_mid && ln -s loop2 loop1 && ln -s loop1 loop2 && "
		 "ln -s /abs chain && ln -s nowhere/.. dangling",
		 root);
	return system(cmd);
}

static int resolve(const char *root, const char *path, char *out)
{
	return rootpath_resolve(root, path, out, 256);
}

TEST(test_rootpath_inside)
{
	char root[] = "/tmp/kdc-root-XXXXXX", out[256], cmd[64];

	CHECK(make_tree(root) == 0);
	CHECK(resolve(root, "/var/crash", out) == 0 && !strcmp(out, "/var/crash"));
	/* an absolute link means the target's /var/crash, not the machine's */
	CHECK(resolve(root, "/abs", out) == 0 && !strcmp(out, "/var/crash"));
	CHECK(resolve(root, "/abs/new/dir", out) == 0 && !strcmp(out, "/var/crash/new/dir"));
	CHECK(resolve(root, "/rel", out) == 0 && !strcmp(out, "/var/crash"));
	CHECK(resolve(root, "/data/up/crash", out) == 0 && !strcmp(out, "/var/crash"));
	CHECK(resolve(root, "/chain", out) == 0 && !strcmp(out, "/var/crash"));
	CHECK(resolve(root, "/host_tmp", out) == 0 && !strcmp(out, "/tmp")); /* the target's /tmp */
	CHECK(resolve(root, "//var/./crash/", out) == 0 && !strcmp(out, "/var/crash"));
	CHECK(resolve(root, "/", out) == 0 && !strcmp(out, "/"));
	CHECK(resolve(root, "/not/yet", out) == 0 && !strcmp(out, "/not/yet"));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	CHECK(system(cmd) == 0);
}

TEST(test_rootpath_refused)
{
	char root[] = "/tmp/kdc-root-XXXXXX", out[256], cmd[64];

	CHECK(make_tree(root) == 0);
	CHECK(resolve(root, "/esc_rel", out) == -EXDEV);
	CHECK(resolve(root, "/esc_rel/tmp", out) == -EXDEV);
	CHECK(resolve(root, "/esc_abs", out) == -EXDEV);
	CHECK(resolve(root, "/esc_mid", out) == -EXDEV);
	CHECK(resolve(root, "/data/../..", out) == -EXDEV);
	CHECK(resolve(root, "/loop1", out) == -ELOOP);
	CHECK(resolve(root, "/file", out) == -ENOTDIR);
	CHECK(resolve(root, "/file/x", out) == -ENOTDIR);
	CHECK(resolve(root, "relative", out) == -EINVAL);
	CHECK(rootpath_resolve(root, "/var/crash", out, 5) == -ENAMETOOLONG);
	CHECK(resolve(root, "/dangling", out) == 0 && !strcmp(out, "/"));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	CHECK(system(cmd) == 0);
}
