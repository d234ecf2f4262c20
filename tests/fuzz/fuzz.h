/* Fuzz targets over the parsers of untrusted input. Each tests/fuzz/fuzz_<name>.c
 * defines LLVMFuzzerTestOneInput; it links either with libFuzzer (clang,
 * sanitizers: tests/fuzz/build.sh) or with replay.c, a plain main() that
 * feeds every file of a corpus to it (make fuzz-replay, musl, no sanitizer).
 * A target returns 0 for every input; a bug shows as a crash, a sanitizer
 * report, a hang or memory that grows with the number of inputs. */
#ifndef KDC_FUZZ_H
#define KDC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Silence the product's log (every input is an error case). */
void fuzz_quiet(void);

/* An anonymous in-memory file holding N bytes of P; its path
 * (/proc/self/fd/FD) into PATH. Returns the fd (close it) or -errno. */
int fuzz_memfile(const void *p, size_t n, char *path, size_t size);

/* The synthvm_image() core (tests/synth/synthvm.h) of TEXT and MEM in an
 * anonymous file. Same return as fuzz_memfile. */
int fuzz_vmcore(const char *text, const uint8_t *mem, size_t memlen, uint64_t paddr, uint64_t vaddr, char *path,
		size_t size);

#endif
