/* Minimal unit-test harness: `TEST(name) { ... CHECK(x); ... }` in any
 * tests/unit/<name>.c registers itself (constructor), so test files never
 * touch a shared list. */
#ifndef KDC_T_H
#define KDC_T_H

#include <stdio.h>

extern int t_failed;

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			t_failed++;                                                       \
		}                                                                         \
	} while (0)

void t_register(const char *name, void (*fn)(void));

#define TEST(name)                                                    \
	static void name(void);                                       \
	__attribute__((constructor)) static void name##_reg(void)     \
	{                                                             \
		t_register(#name, name);                              \
	}                                                             \
	static void name(void)

#endif
