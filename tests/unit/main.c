/* Unit test runner: runs every TEST() linked in, or those named on the command line. */
#include <stdio.h>
#include <string.h>

#include "tests/unit/t.h"

#define MAX_TESTS 512

int t_failed;
static int passed, failed;
static struct {
	const char *name;
	void (*fn)(void);
} tests[MAX_TESTS];
static int ntests;

void t_register(const char *name, void (*fn)(void))
{
	if (ntests < MAX_TESTS) {
		tests[ntests].name = name;
		tests[ntests].fn = fn;
		ntests++;
	}
}

int main(int argc, char **argv)
{
	for (int i = 0; i < ntests; i++) {
		int before = t_failed;
		int run = argc < 2;

		for (int a = 1; a < argc; a++) {
			run |= !strcmp(argv[a], tests[i].name);
		}
		if (!run) {
			continue;
		}
		tests[i].fn();
		if (t_failed == before) {
			passed++;
		} else {
			failed++;
			printf("FAIL %s\n", tests[i].name);
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
