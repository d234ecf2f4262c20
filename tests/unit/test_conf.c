#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/collector.h"
#include "initramfs/conf.h"
#include "initramfs/hostnet.h"
#include "lib/log.h"
#include "tests/unit/t.h"

static int parse(struct kdump_conf *c, const char *text)
{
	int old = log_get_level();
	int r;

	log_set_level(0); /* the messages are the point, but not in the test log */
	conf_defaults(c);
	r = conf_parse(c, text, strlen(text), "kdump.conf");
	log_set_level(old);
	return r;
}

TEST(test_conf_defaults)
{
	struct kdump_conf c;

	CHECK(parse(&c, "") == 0);
	CHECK(c.target == TGT_NONE);
	CHECK(!strcmp(c.path, "/var/crash"));
	CHECK(c.failure_action == ACT_REBOOT && c.final_action == ACT_REBOOT);
	CHECK(c.argc == 4 && !strcmp(c.argv[0], "kdumpcap") && !strcmp(c.argv[3], "-z"));
	CHECK(c.argv[4] == NULL);
}

TEST(test_conf_fedora_file)
{
	struct kdump_conf c;
	const char *txt = "# comment\n"
			  "ext4 UUID=0123abcd-0000-1111-2222-333344445555   # trailing comment\n"
			  "path /crash\r\n"
			  "core_collector makedumpfile -l --message-level 7 -d 31\n"
			  "\tfailure_action   poweroff\n"
			  "final_action halt\n"
			  "kdump_pre /bin/pre\n"
			  "extra_modules virtio_scsi sd_mod\n"
			  "extra_modules nvme\n"
			  "auto_reset_crashkernel yes\n"; /* Fedora's default file has it */

	CHECK(parse(&c, txt) == 0);
	CHECK(c.problems == 0);
	CHECK(c.target == TGT_FS && !strcmp(c.fstype, "ext4"));
	CHECK(!strcmp(c.dev, "UUID=0123abcd-0000-1111-2222-333344445555"));
	CHECK(c.target_line == 2);
	CHECK(!strcmp(c.path, "/crash"));
	CHECK(c.argc == 6 && !strcmp(c.argv[0], "kdumpcap") && !strcmp(c.argv[1], "-l") &&
	      !strcmp(c.argv[5], "31") && c.argv[6] == NULL);
	CHECK(c.collector_line == 4);
	CHECK(c.failure_action == ACT_POWEROFF && c.final_action == ACT_HALT);
	CHECK(!strcmp(c.pre, "/bin/pre") && c.post[0] == '\0');
	CHECK(c.nmodules == 3 && !strcmp(c.modules[0], "virtio_scsi") && !strcmp(c.modules[2], "nvme"));
}

TEST(test_conf_raw_and_default_alias)
{
	struct kdump_conf c;

	CHECK(parse(&c, "raw /dev/vdc\ndefault halt\n") == 0);
	CHECK(c.target == TGT_RAW && !strcmp(c.dev, "/dev/vdc") && c.fstype[0] == '\0');
	CHECK(c.failure_action == ACT_HALT);
}

TEST(test_conf_bad_lines_keep_safe_defaults)
{
	struct kdump_conf c;
	const char *txt = "bogus 1\n"                  /* unknown */
			  "failure_action shell\n"      /* no shell: fallback */
			  "final_action explode\n"      /* bad value */
			  "raw LABEL=x\n"               /* raw needs a path */
			  "xfs\n"                       /* no value */
			  "path relative/dir\n"         /* must be absolute */
			  "path /a/../b\n"
			  "core_collector cp\n"         /* not our collector */
			  "extra_bins /bin/x\n"         /* not supported */
			  "kdump_post relative\n"
			  "ext4 LABEL=\n"               /* empty label */
			  "ext2 /dev/vdb\n"             /* good */
			  "xfs /dev/vdc\n";             /* second target */

	CHECK(parse(&c, txt) == 12);
	CHECK(c.failure_action == ACT_REBOOT && c.final_action == ACT_REBOOT);
	CHECK(!strcmp(c.path, "/var/crash"));
	CHECK(c.target == TGT_FS && !strcmp(c.fstype, "ext2") && !strcmp(c.dev, "/dev/vdb"));
	CHECK(c.target_line == 12);
	CHECK(c.collector_line == 0 && !strcmp(c.argv[1], "-d"));
	CHECK(c.post[0] == '\0');
}

TEST(test_conf_ssh)
{
	struct kdump_conf c;

	CHECK(parse(&c, "ssh kdump@server.example:2222\nsshkey /root/.ssh/k\n") == 0);
	CHECK(c.target == TGT_SSH && !strcmp(c.dev, "kdump@server.example:2222") && c.target_line == 1);
	CHECK(!strcmp(c.sshkey, "/root/.ssh/k"));
	CHECK(parse(&c, "ssh server.example\n") == 1 && c.target == TGT_NONE);
	CHECK(parse(&c, "ssh @host\n") == 1 && c.target == TGT_NONE);
	CHECK(parse(&c, "ssh root@[::1]:22\n") == 1 && c.target == TGT_NONE);
	CHECK(parse(&c, "sshkey relative\n") == 1 && c.sshkey[0] == '\0');
}

TEST(test_conf_nfs)
{
	struct kdump_conf c;

	CHECK(parse(&c, "nfs server.example:/export\ndump_ip 10.0.2.15::10.0.2.2:24::eth0:none\n") == 0);
	CHECK(c.target == TGT_NFS && !strcmp(c.dev, "server.example:/export") && c.target_line == 1);
	CHECK(!strcmp(c.ip, "10.0.2.15::10.0.2.2:24::eth0:none"));
	CHECK(parse(&c, "nfs /export\n") == 1 && c.target == TGT_NONE);
	CHECK(parse(&c, "nfs host:relative\n") == 1 && c.target == TGT_NONE);
	CHECK(parse(&c, "dump_ip 10.0.2.15:::\n") == 1 && c.ip[0] == '\0');
}

TEST(test_conf_net_timeout)
{
	struct kdump_conf c;

	CHECK(parse(&c, "nfs server:/export\n") == 0 && c.net_timeout_s == CONF_NET_TIMEOUT_DEFAULT);
	CHECK(parse(&c, "net_timeout 10\n") == 0 && c.net_timeout_s == 10);
	CHECK(parse(&c, "net_timeout 3600\n") == 0 && c.net_timeout_s == 3600);
	CHECK(parse(&c, "net_timeout 45\nnet_timeout 9\n") == 1 && c.net_timeout_s == 45);
	CHECK(parse(&c, "net_timeout 3601\n") == 1 && c.net_timeout_s == CONF_NET_TIMEOUT_DEFAULT);
	CHECK(parse(&c, "net_timeout 20s\n") == 1 && c.net_timeout_s == CONF_NET_TIMEOUT_DEFAULT);
	CHECK(parse(&c, "net_timeout 20 30\n") == 1 && c.net_timeout_s == CONF_NET_TIMEOUT_DEFAULT);
	CHECK(parse(&c, "net_timeout -20\n") == 1 && c.net_timeout_s == CONF_NET_TIMEOUT_DEFAULT);
	CHECK(parse(&c, "net_timeout 99999999999999999999\n") == 1 && c.net_timeout_s == CONF_NET_TIMEOUT_DEFAULT);
	CHECK(parse(&c, "net_timeout\n") == 1 && c.net_timeout_s == CONF_NET_TIMEOUT_DEFAULT);
}

TEST(test_conf_hostile_input)
{
	struct kdump_conf c;
	char big[3000];
	char nul[] = "path /x\0y\nfinal_action poweroff\n";

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(parse(&c, big) == 1);
	conf_defaults(&c);
	log_set_level(0);
	CHECK(conf_parse(&c, nul, sizeof(nul) - 1, "x") == 1);
	log_set_level(LOG_INFO);
	CHECK(!strcmp(c.path, "/var/crash") && c.final_action == ACT_POWEROFF);
	CHECK(parse(&c, "extra_modules a b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6 7\n") == 1);
	CHECK(c.nmodules == 0);
	CHECK(parse(&c, "core_collector kdumpcap 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3\n") ==
	      1);
	CHECK(c.collector_line == 0 && c.argc == 4);
}

/* What PID 1 does with the core_collector line (initramfs/init.c): the
 * collector's own parser, given the two paths; on rejection the default. */
static int collector_of(struct kdump_conf *c, struct collect_opts *o)
{
	char *argv[CONF_MAX_ARGS + 3];
	enum collect_mode mode;
	const char *in, *out;
	int argc = 0, old = log_get_level(), r;

	for (int i = 0; i < c->argc; i++) {
		argv[argc++] = c->argv[i];
	}
	argv[argc++] = "/proc/vmcore";
	argv[argc++] = "vmcore";
	argv[argc] = NULL;
	log_set_level(0);
	r = collector_parse(argc, argv, o, &mode, &in, &out);
	log_set_level(old);
	return r == 0 && mode == COLLECT_DUMP ? 0 : -1;
}

TEST(test_conf_collector_options)
{
	struct kdump_conf c;
	struct collect_opts o;

	/* the Fedora/RHEL default line is taken as it is: lzo, -d 31 */
	CHECK(parse(&c, "core_collector makedumpfile -l --message-level 7 -d 31\n") == 0);
	CHECK(collector_of(&c, &o) == 0);
	CHECK(o.compress == COMPRESS_LZO && o.level == 31 && o.msg_level == 7);
	/* options the collector refuses send PID 1 to the default, which works */
	CHECK(parse(&c, "core_collector makedumpfile -p -d 31\n") == 0);
	CHECK(collector_of(&c, &o) < 0);
	CHECK(parse(&c, "core_collector makedumpfile -E -d 31\n") == 0);
	CHECK(collector_of(&c, &o) < 0);
	conf_default_collector(&c);
	CHECK(collector_of(&c, &o) == 0);
	CHECK(o.compress == COMPRESS_ZSTD && o.level == 31);
}

TEST(test_conf_raw_names_and_force)
{
	struct kdump_conf c;

	CHECK(parse(&c, "raw PARTUUID=13121110-1514-1716-1819-1a1b1c1d1e1f\nraw_force yes\n") == 0);
	CHECK(c.target == TGT_RAW && !strcmp(c.dev, "PARTUUID=13121110-1514-1716-1819-1a1b1c1d1e1f"));
	CHECK(c.raw_force);
	CHECK(parse(&c, "raw /dev/disk/by-id/virtio-QM00003\n") == 0 && c.target == TGT_RAW && !c.raw_force);
	CHECK(parse(&c, "raw WWID=naa.5000c500a1b2c3d4\n") == 0 && c.target == TGT_RAW);
	CHECK(parse(&c, "raw SERIAL=\n") == 1 && c.target == TGT_NONE);
	CHECK(parse(&c, "raw UUID=0123\n") == 1 && c.target == TGT_NONE); /* a file system's name */
	CHECK(parse(&c, "ext4 PARTUUID=0123\n") == 0 && c.target == TGT_FS);
	CHECK(parse(&c, "raw_force maybe\n") == 1 && !c.raw_force);
}

TEST(test_conf_bad_path_is_known)
{
	struct kdump_conf c;

	CHECK(parse(&c, "path crash\n") == 1 && c.path_bad && !strcmp(c.path, "/var/crash"));
	CHECK(parse(&c, "path /a/..\n") == 1 && c.path_bad);
	CHECK(parse(&c, "path /a b\n") == 1 && c.path_bad);
	CHECK(parse(&c, "path /crash\n") == 0 && !c.path_bad);
	CHECK(parse(&c, "path /crash\nresolved_path /data/crash\nresolved_target UUID=ab\n") == 0);
	CHECK(!strcmp(c.resolved_path, "/data/crash") && !strcmp(c.resolved_target, "UUID=ab"));
	CHECK(parse(&c, "resolved_path data\n") == 1 && c.resolved_path[0] == '\0');
}

static int load_size(size_t size)
{
	char name[] = "/tmp/kdc-conf-XXXXXX";
	struct kdump_conf c;
	FILE *f;
	int fd = mkstemp(name), r, old = log_get_level();

	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		return -1000;
	}
	fputs("ext4 LABEL=x\n", f);
	for (size_t n = strlen("ext4 LABEL=x\n"); n < size; n++) {
		fputc(n % 64 == 63 || n + 1 == size ? '\n' : '#', f);
	}
	fclose(f);
	conf_defaults(&c);
	log_set_level(0);
	r = conf_load(&c, name);
	log_set_level(old);
	unlink(name);
	return r == 0 && c.target != TGT_FS ? -1001 : r;
}

TEST(test_conf_load_size_limit)
{
	CHECK(load_size(CONF_MAX_FILE) == 0);
	CHECK(load_size(CONF_MAX_FILE + 1) == -EFBIG);
	CHECK(load_size(CONF_MAX_FILE * 2) == -EFBIG);
}

TEST(test_hostnet_route_text)
{
	static const char routes[] =
		"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
		"eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
		"eth1\t00000000\t010300C0\t0003\t0\t0\t50\t00000000\t0\t0\t0\n"
		"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
		"eth2\t006433C6\t00000000\t0000\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"; /* not up */
	char ifname[16];
	uint32_t gw = 1;

	CHECK(hostnet_route(routes, htonl(0xc0000264), ifname, &gw) == 0 && !strcmp(ifname, "eth0") && gw == 0);
	CHECK(hostnet_route(routes, htonl(0xc6336401), ifname, &gw) == 0 && !strcmp(ifname, "eth1"));
	CHECK(gw == htonl(0xc0000301)); /* the default with the lower metric */
	CHECK(hostnet_route("Iface\n", htonl(0xc0000264), ifname, &gw) == -ENETUNREACH);
}
