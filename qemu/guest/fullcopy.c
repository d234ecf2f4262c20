/* TEST ONLY (qemu/e2e-arm64.sh): a kdump_pre hook that copies the capture
 * kernel's /proc/vmcore, byte for byte, to the virtio disk whose serial is
 * "vmcore" (zero blocks skipped: the host's file is sparse), so that the host
 * can compare the dump kdumpcap then writes with the full ELF vmcore of the
 * same crash. Says "E2E-FULL size=N" (or "E2E-FULL-FAIL ...") on /dev/kmsg. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1 << 20)

static void say(const char *m)
{
	char b[256];
	int fd = open("/dev/kmsg", O_WRONLY);
	int n = snprintf(b, sizeof(b), "<5>%s\n", m);

	if (fd < 0 || write(fd, b, (size_t)n) != n) {
		fputs(b + 3, stdout);
	}
	if (fd >= 0) {
		close(fd);
	}
}

static int find_disk(char *dev, size_t size)
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char p[300], s[64] = "";
		FILE *f;

		snprintf(p, sizeof(p), "/sys/block/%s/serial", e->d_name);
		if (!(f = fopen(p, "r"))) {
			continue;
		}
		if (fgets(s, sizeof(s), f) && !strncmp(s, "vmcore", 6)) {
			snprintf(dev, size, "/dev/%s", e->d_name);
			fclose(f);
			closedir(d);
			return 0;
		}
		fclose(f);
	}
	if (d) {
		closedir(d);
	}
	return -1;
}

static int zero(const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i]) {
			return 0;
		}
	}
	return 1;
}

int main(void)
{
	static char buf[CHUNK];
	char dev[300], m[200];
	long long total = 0;
	ssize_t n;
	int in = open("/proc/vmcore", O_RDONLY), out;

	if (in < 0 || find_disk(dev, sizeof(dev)) < 0 || (out = open(dev, O_WRONLY)) < 0) {
		say("E2E-FULL-FAIL no /proc/vmcore or no disk with serial vmcore");
		return 0; /* the dump itself goes on */
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (zero(buf, (size_t)n) ? lseek(out, n, SEEK_CUR) < 0 : write(out, buf, (size_t)n) != n) {
			say("E2E-FULL-FAIL write");
			return 0;
		}
		total += n;
	}
	if (n < 0 || fsync(out) < 0) {
		say("E2E-FULL-FAIL read or fsync");
		return 0;
	}
	snprintf(m, sizeof(m), "E2E-FULL size=%lld", total);
	say(m);
	return 0;
}
