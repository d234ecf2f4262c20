/* Replay: feed every file named on the command line (or found in a named
 * directory) to the linked LLVMFuzzerTestOneInput, one call per file, and
 * print how many ran. A crash or hang here is the bug the fuzzer found. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/io.h"
#include "tests/fuzz/fuzz.h"

#define REPLAY_MAX (16u << 20) /* bigger corpus files are cut, as libFuzzer's -max_len would */
#define REPLAY_SECONDS 5       /* per input: a slower one is a hang (SIGALRM ends the replay) */

static uint8_t buf[REPLAY_MAX];

static int run_file(const char *path)
{
	ssize_t n;
	int fd = io_open(path, O_RDONLY, 0);

	if (fd < 0) {
		fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(-fd));
		return fd;
	}
	n = io_read(fd, buf, sizeof(buf));
	io_close(fd);
	if (n < 0) {
		fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror((int)-n));
		return (int)n;
	}
	if (getenv("REPLAY_VERBOSE")) {
		fprintf(stderr, "replay: %s (%zd bytes)\n", path, n);
	}
	/* a copy of exactly n bytes, so an overread shows under ASan */
	{
		uint8_t *p = malloc(n ? (size_t)n : 1);
		if (!p) {
			return -ENOMEM;
		}
		memcpy(p, buf, (size_t)n);
		alarm(REPLAY_SECONDS);
		LLVMFuzzerTestOneInput(p, (size_t)n);
		alarm(0);
		free(p);
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of DIR in name order (a stable replay). */
static int run_dir(const char *dir, unsigned *count)
{
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0;
	struct dirent *de;
	int r = 0;
	DIR *d = opendir(dir);

	if (!d) {
		fprintf(stderr, "replay: cannot open directory %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.') {
			continue;
		}
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));
			if (!nn) {
				r = -ENOMEM;
				break;
			}
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (!r && run_file(path) == 0) {
			(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			failed |= run_dir(argv[i], &count) != 0;
		} else if (run_file(argv[i]) == 0) {
			count++;
		} else {
			failed = 1;
		}
	}
	printf("replayed %u inputs\n", count);
	return failed;
}
