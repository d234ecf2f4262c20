/* The arm64 purgatory: runs between the crashed kernel and the capture kernel
 * with the MMU off. It hashes the segments `kdumpcap load` recorded in its
 * parameter block and compares the digest computed at load time: memory the
 * crash scribbled on must not be booted. On a mismatch it never returns
 * (the CPU waits for events forever: the machine hangs, as a watchdog or
 * panic= on the crashed kernel's side would report). Built freestanding,
 * position independent (purgatory/purgatory.ld), embedded by the Makefile. */
#include <stddef.h>
#include <stdint.h>

#include "lib/sha256.h"
#include "initramfs/purgatory_params.h"

void purgatory_main(void);
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);

__attribute__((section(".params"), used)) struct purg_params purg_params = { .magic = PURG_MAGIC };

/* the compiler may call these for struct copies and clears */
void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *dp = d;
	const uint8_t *sp = s;

	while (n--) {
		*dp++ = *sp++;
	}
	return d;
}

void *memset(void *d, int c, size_t n)
{
	uint8_t *dp = d;

	while (n--) {
		*dp++ = (uint8_t)c;
	}
	return d;
}

static void hang(void)
{
	for (;;) {
		__asm__ volatile("wfe");
	}
}

void purgatory_main(void)
{
	struct sha256 s;
	uint8_t got[SHA256_DIGEST_LEN];
	uint8_t diff = 0;

	if (purg_params.nr_regions > PURG_MAX_REGIONS) {
		hang();
	}
	sha256_init(&s);
	for (uint64_t i = 0; i < purg_params.nr_regions; i++) {
		sha256_update(&s, (const void *)(uintptr_t)purg_params.region[i].start, purg_params.region[i].len);
	}
	sha256_final(&s, got);
	for (unsigned i = 0; i < SHA256_DIGEST_LEN; i++) {
		diff |= got[i] ^ purg_params.digest[i];
	}
	if (diff) {
		hang();
	}
}
