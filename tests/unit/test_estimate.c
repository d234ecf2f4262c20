#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "capture/cmds.h"
#include "capture/collector.h"
#include "initramfs/conf.h"
#include "initramfs/estimate.h"
#include "initramfs/load.h"
#include "lib/log.h"
#include "tests/unit/t.h"
#include "tests/unit/tfs.h"

#define KERNEL_INIT (64 * EST_MIB)

TEST(test_estimate_cpu_list)
{
	CHECK(est_cpu_list_count("0\n") == 1);
	CHECK(est_cpu_list_count("0-3\n") == 4);
	CHECK(est_cpu_list_count("0-3,5,7-8\n") == 7);
	CHECK(est_cpu_list_count("") == -EINVAL);
	CHECK(est_cpu_list_count("3-1") == -EINVAL);
	CHECK(est_cpu_list_count("0-") == -EINVAL);
	CHECK(est_cpu_list_count("x") == -EINVAL);
	CHECK(est_cpu_list_count("0 1") == -EINVAL);
}

/* A bzImage's first bytes: "HdrS", boot protocol VERSION, init_size INIT. */
static void put_bzimage(const char *dir, const char *name, unsigned version, uint32_t init)
{
	uint8_t h[0x400] = { 0 };

	memcpy(h + 0x202, "HdrS", 4);
	h[0x206] = version & 0xff;
	h[0x207] = version >> 8;
	memcpy(h + 0x260, &init, sizeof(init));
	t_put_bytes(dir, name, h, sizeof(h));
}

/* A zstd image of N bytes, as mkinitrd writes it (one frame with its content size). */
static void put_zstd(const char *dir, const char *name, size_t n)
{
	char *plain = calloc(1, n), *z = malloc(ZSTD_compressBound(n));
	size_t zn = ZSTD_compress(z, ZSTD_compressBound(n), plain, n, 3);

	CHECK(!ZSTD_isError(zn));
	t_put_bytes(dir, name, z, zn);
	free(plain);
	free(z);
}

TEST(test_estimate_probe_fake_files)
{
	char dir[] = "/tmp/kdc-est-XXXXXX", p[128];
	uint8_t gz[64] = { 0x1f, 0x8b, 8 };
	struct est_inputs in;

	CHECK(mkdtemp(dir) != NULL);
	/* the machine: 4 CPUs online, 256 MiB reserved; nothing: 1 CPU, unknown */
	t_put(dir, "sys/devices/system/cpu/online", "0-3\n");
	t_put(dir, "sys/kernel/kexec_crash_size", "268435456\n");
	est_probe_machine(&in, dir);
	CHECK(in.online == 4 && in.crash_size == 256 * (int64_t)EST_MIB);
	snprintf(p, sizeof(p), "%s/none", dir);
	est_probe_machine(&in, p);
	CHECK(in.online == 1 && in.crash_size == -1);

	put_bzimage(dir, "vmlinuz", 0x20f, KERNEL_INIT);
	put_bzimage(dir, "old", 0x209, KERNEL_INIT); /* before init_size existed */
	t_put(dir, "notkernel", "MZ but nothing else");
	snprintf(p, sizeof(p), "%s/vmlinuz", dir);
	CHECK(est_probe_kernel(&in, p) == 0 && in.kernel_init == KERNEL_INIT && in.kernel_file == 0x400);
	snprintf(p, sizeof(p), "%s/old", dir);
	CHECK(est_probe_kernel(&in, p) == 0 && in.kernel_init == 0);
	snprintf(p, sizeof(p), "%s/notkernel", dir);
	CHECK(est_probe_kernel(&in, p) == -ENOEXEC);
	snprintf(p, sizeof(p), "%s/missing", dir);
	CHECK(est_probe_kernel(&in, p) == -ENOENT);
	/* an arm64 Image (Debian's 6.1: image_size 0x2010000 at offset 16, 4K pages) */
	{
		uint8_t img[0x400] = { 0x4d, 0x5a };

		img[16 + 2] = 0x01, img[16 + 3] = 0x02, img[24] = 0xa;
		memcpy(img + 56, "ARM\x64", 4);
		t_put_bytes(dir, "Image", img, sizeof(img));
		snprintf(p, sizeof(p), "%s/Image", dir);
		CHECK(est_probe_kernel(&in, p) == 0 && in.kernel_init == 0x2010000 && in.kernel_file == sizeof(img));
	}

	put_zstd(dir, "img.zst", 3 << 20);
	snprintf(p, sizeof(p), "%s/img.zst", dir);
	CHECK(est_probe_initrd(&in, p) == 0 && in.initrd_unpacked == 3 << 20 && !in.initrd_guessed);
	CHECK(in.initrd_file > 0 && in.initrd_file < 1 << 20);
	memcpy(gz + sizeof(gz) - 4, "\x00\x00\x50\x00", 4); /* ISIZE 5 MiB */
	t_put_bytes(dir, "img.gz", gz, sizeof(gz));
	snprintf(p, sizeof(p), "%s/img.gz", dir);
	CHECK(est_probe_initrd(&in, p) == 0 && in.initrd_unpacked == 5 << 20 && in.initrd_file == sizeof(gz));
	t_put(dir, "img.cpio", "070701000000000000000000");
	snprintf(p, sizeof(p), "%s/img.cpio", dir);
	CHECK(est_probe_initrd(&in, p) == 0 && in.initrd_unpacked == in.initrd_file);
	t_put(dir, "img.empty", "");
	snprintf(p, sizeof(p), "%s/img.empty", dir);
	CHECK(est_probe_initrd(&in, p) == -ENODATA);
	t_put(dir, "img.xz", "\xfd" "7zXZ...........");
	snprintf(p, sizeof(p), "%s/img.xz", dir);
	CHECK(est_probe_initrd(&in, p) == 0 && in.initrd_guessed && in.initrd_unpacked == in.initrd_file * EST_UNPACK_GUESS);
	t_rm_rf(dir);
}

TEST(test_estimate_need_and_cpus)
{
	struct est_inputs in = { .kernel_file = 8 * EST_MIB, .kernel_init = KERNEL_INIT, .initrd_file = 3 * EST_MIB,
				 .initrd_unpacked = 7 * EST_MIB, .online = 2, .crash_size = -1 };
	struct est_parts p1, p2;
	uint64_t one = est_need(&in, 1, &p1), two = est_need(&in, 2, &p2);

	/* every part counted once, the sum rounded up to EST_ROUND */
	CHECK(p1.kernel == KERNEL_INIT && p1.image == 10 * EST_MIB && p1.percpu == 0);
	CHECK(p1.total == p1.kernel + p1.image + p1.runtime + p1.collector);
	CHECK(one >= p1.total && one - p1.total < EST_ROUND && one % EST_ROUND == 0);
	CHECK(p2.percpu == EST_PER_CPU && p2.total == p1.total + EST_PER_CPU && two >= one);
	CHECK(est_need(&in, 0, NULL) == one);
	/* no kernel init_size: the file's size */
	in.kernel_init = 0;
	CHECK(est_need(&in, 1, &p1) && p1.kernel == 8 * EST_MIB);
	in.kernel_init = KERNEL_INIT;

	/* the most CPUs whose need fits; never more than online or EST_MAX_CPUS */
	CHECK(est_pick_cpus(&in) == 1); /* reservation unknown */
	in.crash_size = 0;
	CHECK(est_pick_cpus(&in) == 1);
	in.crash_size = (int64_t)two;
	CHECK(est_pick_cpus(&in) == 2);
	in.crash_size = (int64_t)est_need(&in, 2, NULL) - 1;
	CHECK(est_pick_cpus(&in) == 1);
	in.crash_size = (int64_t)(one / 2); /* too small even for one: still 1 */
	CHECK(est_pick_cpus(&in) == 1);
	in.crash_size = 1ll << 40;
	CHECK(est_pick_cpus(&in) == 2);
	in.online = 64;
	CHECK(est_pick_cpus(&in) == EST_MAX_CPUS);
	in.crash_size = (int64_t)est_need(&in, 5, NULL);
	CHECK(est_pick_cpus(&in) >= 5 && est_need(&in, est_pick_cpus(&in), NULL) <= (uint64_t)in.crash_size);
	CHECK(est_pick_cpus(&in) == EST_MAX_CPUS || est_need(&in, est_pick_cpus(&in) + 1, NULL) > (uint64_t)in.crash_size);
}

TEST(test_load_nr_cpus_words)
{
	char out[LOAD_CMDLINE_MAX];

	CHECK(load_nr_cpus_in(NULL) == 0 && load_nr_cpus_in("") == 0);
	CHECK(load_nr_cpus_in("quiet nr_cpus=4 irqpoll") == 4);
	CHECK(load_nr_cpus_in("nr_cpus=4 nr_cpus=2") == 2); /* the kernel keeps the smallest */
	CHECK(load_nr_cpus_in("xnr_cpus=3 maxcpus=2") == 0);
	CHECK(load_nr_cpus_in("nr_cpus=") == -EINVAL);
	CHECK(load_nr_cpus_in("nr_cpus=two") == -EINVAL);
	CHECK(load_nr_cpus_in("nr_cpus=0") == -EINVAL);
	/* the chosen count, or none when the user's words carry it */
	CHECK(load_cmdline("ro nr_cpus=8", NULL, 3, out, sizeof(out)) > 0 &&
	      !strcmp(out, "ro reset_devices nr_cpus=3 irqpoll"));
	CHECK(load_cmdline("ro nr_cpus=8", "nr_cpus=2", 0, out, sizeof(out)) > 0 &&
	      !strcmp(out, "ro reset_devices irqpoll nr_cpus=2"));
}

TEST(test_conf_cmdline_append)
{
	struct kdump_conf c;
	const char *text = "kdump_commandline_append nr_cpus=2 cgroup_disable=memory\n";
	int old = log_get_level();

	log_set_level(0);
	conf_defaults(&c);
	CHECK(conf_parse(&c, text, strlen(text), "kdump.conf") == 0);
	CHECK(!strcmp(c.cmdline_append, "nr_cpus=2 cgroup_disable=memory"));
	log_set_level(old);
}

/* `kdumpcap load --dry-run` on a fake machine: the command line it would
 * load, from the kdump words on (what comes before is this host's). */
static void dry_run(const char *dir, const char *extra_opt, const char *extra_val, char *out, size_t size)
{
	char k[128], i[128], conf[128], sysroot[128], res[128];
	char *argv[16];
	int argc = 0, fd, saved = dup(1);
	ssize_t n;

	snprintf(k, sizeof(k), "%s/vmlinuz", dir);
	snprintf(i, sizeof(i), "%s/img.zst", dir);
	snprintf(conf, sizeof(conf), "%s/kdump.conf", dir);
	snprintf(sysroot, sizeof(sysroot), "%s/root", dir);
	snprintf(res, sizeof(res), "%s/out", dir);
	argv[argc++] = "load";
	argv[argc++] = "--dry-run";
	argv[argc++] = "--kernel";
	argv[argc++] = k;
	argv[argc++] = "--initrd";
	argv[argc++] = i;
	argv[argc++] = "--config";
	argv[argc++] = conf;
	argv[argc++] = "--sysroot";
	argv[argc++] = sysroot;
	if (extra_opt) {
		argv[argc++] = (char *)extra_opt;
		argv[argc++] = (char *)extra_val;
	}
	argv[argc] = NULL;
	fd = open(res, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	fflush(stdout);
	dup2(fd, 1);
	close(fd);
	n = load_main(argc, argv) == 0 ? 1 : 0;
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	out[0] = '\0';
	fd = open(res, O_RDONLY);
	if (n && fd >= 0 && (n = read(fd, out, size - 1)) > 0) {
		char *kw;

		out[n - 1] = '\0'; /* the newline */
		kw = strstr(out, "reset_devices");
		memmove(out, kw ? kw : "", strlen(kw ? kw : "") + 1);
	}
	close(fd);
}

TEST(test_load_picks_cpus_from_fake_sysfs)
{
	char dir[] = "/tmp/kdc-load-XXXXXX", out[512], size[32];
	struct est_inputs in = { .kernel_init = KERNEL_INIT, .online = 2 };
	int old = log_get_level();

	CHECK(mkdtemp(dir) != NULL);
	log_set_level(0);
	put_bzimage(dir, "vmlinuz", 0x20f, KERNEL_INIT);
	put_zstd(dir, "img.zst", 6 << 20);
	t_put(dir, "kdump.conf", "ext4 UUID=1\n");
	t_put(dir, "root/sys/devices/system/cpu/online", "0-1\n");
	snprintf(out, sizeof(out), "%s/img.zst", dir);
	CHECK(est_probe_initrd(&in, out) == 0);

	/* a reservation that fits two CPUs gives nr_cpus=2, one byte less gives 1 */
	snprintf(size, sizeof(size), "%llu\n", (unsigned long long)est_need(&in, 2, NULL));
	t_put(dir, "root/sys/kernel/kexec_crash_size", size);
	dry_run(dir, NULL, NULL, out, sizeof(out));
	CHECK(!strcmp(out, "reset_devices nr_cpus=2 irqpoll"));
	snprintf(size, sizeof(size), "%llu\n", (unsigned long long)est_need(&in, 2, NULL) - 1);
	t_put(dir, "root/sys/kernel/kexec_crash_size", size);
	dry_run(dir, NULL, NULL, out, sizeof(out));
	CHECK(!strcmp(out, "reset_devices nr_cpus=1 irqpoll"));
	/* overrides: --nr-cpus, kdump_commandline_append's nr_cpus=; both is an error */
	dry_run(dir, "--nr-cpus", "2", out, sizeof(out));
	CHECK(!strcmp(out, "reset_devices nr_cpus=2 irqpoll"));
	t_put(dir, "kdump.conf", "ext4 UUID=1\nkdump_commandline_append nr_cpus=2 numa=off\n");
	dry_run(dir, NULL, NULL, out, sizeof(out));
	CHECK(!strcmp(out, "reset_devices irqpoll nr_cpus=2 numa=off"));
	dry_run(dir, "--nr-cpus", "1", out, sizeof(out));
	CHECK(out[0] == '\0');
	dry_run(dir, "--append", "nr_cpus=x", out, sizeof(out));
	CHECK(out[0] == '\0');
	log_set_level(old);
	t_rm_rf(dir);
}

/* PID 1's collector threads: every online CPU (at most 8) unless the
 * core_collector line gives --num-threads. */
TEST(test_collector_default_threads)
{
	struct collect_opts o;
	enum collect_mode mode;
	const char *in, *out;
	char *given[] = { "kdumpcap", "-d", "31", "-z", "--num-threads", "3", "/proc/vmcore", "vmcore", NULL };
	char *none[] = { "kdumpcap", "-d", "31", "-z", "/proc/vmcore", "vmcore", NULL };
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	CHECK(collector_parse(8, given, &o, &mode, &in, &out) == 0);
	collector_default_threads(&o);
	CHECK(o.threads == 3);
	CHECK(collector_parse(6, none, &o, &mode, &in, &out) == 0 && o.threads == 0);
	collector_default_threads(&o);
	CHECK(o.threads == (unsigned)(online > COLLECT_MAX_AUTO_THREADS ? COLLECT_MAX_AUTO_THREADS : online));
}
