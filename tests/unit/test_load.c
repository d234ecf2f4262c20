#include <errno.h>
#include <string.h>

#include "initramfs/load.h"
#include "tests/unit/t.h"

TEST(test_load_cmdline_filters)
{
	char out[LOAD_CMDLINE_MAX];
	const char *cur = "BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-amd64 root=UUID=1234 ro quiet "
			  "crashkernel=256M console=ttyS0,115200 initrd=/initrd.img hugepages=64 "
			  "nr_cpus=4 resume=/dev/sda2\n";
	ssize_t n = load_cmdline(cur, NULL, 1, out, sizeof(out));

	CHECK(n == (ssize_t)strlen(out));
	CHECK(!strcmp(out, "root=UUID=1234 ro quiet console=ttyS0,115200 reset_devices nr_cpus=1 irqpoll"));
}

TEST(test_load_cmdline_append_quotes_and_init_args)
{
	char out[LOAD_CMDLINE_MAX];
	ssize_t n;

	/* quoted values keep their blanks; words after "--" belong to the old init */
	n = load_cmdline("  dyndbg=\"file x.c +p\"\tmemmap=1G$4G -- single\n", "panic=10 kdumpcap.x=1", 1, out,
			 sizeof(out));
	CHECK(n > 0);
	CHECK(!strcmp(out, "dyndbg=\"file x.c +p\" reset_devices nr_cpus=1 irqpoll panic=10 kdumpcap.x=1"));
	/* a key is matched whole: crashkernelx= and initrdx stay */
	n = load_cmdline("crashkernelx=1 initrdx", NULL, 1, out, sizeof(out));
	CHECK(n > 0 && !strcmp(out, "crashkernelx=1 initrdx reset_devices nr_cpus=1 irqpoll"));
	n = load_cmdline("", NULL, 1, out, sizeof(out));
	CHECK(n == 31 && !strcmp(out, "reset_devices nr_cpus=1 irqpoll"));
}

TEST(test_load_cmdline_too_long)
{
	char big[LOAD_CMDLINE_MAX + 64];
	char out[LOAD_CMDLINE_MAX];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(load_cmdline(big, NULL, 1, out, sizeof(out)) == -E2BIG);
	CHECK(load_cmdline("ro", NULL, 1, out, 10) == -E2BIG);
	/* exactly fitting: "ro" + kdump words = 34 chars + NUL */
	CHECK(load_cmdline("ro", NULL, 1, out, 35) == 34);
	CHECK(load_cmdline("ro", NULL, 1, out, 34) == -E2BIG);
}
