/* `kdumpcap load` on arm64 kernels without kexec_file_load: the crash kernel
 * loaded with kexec_load(2) as kexec-tools does, from segments built here
 * (initramfs/kexec_arm64.c): the Image, the initrd, a device tree for the
 * capture kernel, the ELF core header, and the purgatory (purgatory/, built
 * and embedded by the Makefile) that checks their SHA-256 before it enters
 * the Image. Compiled for ARCH=arm64 only. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "initramfs/kexec_arm64.h"
#include "initramfs/kimage.h"
#include "initramfs/load_legacy.h"
#include "lib/io.h"
#include "lib/log.h"

/* include/uapi/linux/kexec.h */
#define KEXEC_ON_CRASH      0x00000001UL
#define KEXEC_ARCH_AARCH64  (183UL << 16)
#define KEXEC_FLAGS         (KEXEC_ON_CRASH | KEXEC_ARCH_AARCH64)

#define IOMEM_MAX      (256u << 10)
#define SMALL_MAX      128
#define FILE_MAX       (512ULL << 20)
#define NOTE_SIZE_DFLT 4096 /* kexec-tools' guess when crash_notes_size is missing */
#define VA_BITS_DFLT   48
#define MAX_CPU_SCAN   8192 /* CPU numbers looked at per range of cpu/possible */

struct kexec_segment {
	const void *buf;
	size_t bufsz;
	const void *mem;
	size_t memsz;
};

/* generated from purgatory/ by the Makefile ($(O)/gen/purgatory_arm64.c) */
extern const unsigned char kdc_purgatory_arm64[];
extern const size_t kdc_purgatory_arm64_len;

static const char *const seg_names[KA_NR_SEGS] = { "kernel", "initrd", "dtb", "elfcorehdr", "purgatory" };

/* PATH whole; an empty file is -ENODATA (no segment can be empty). */
static int slurp(const char *path, void **buf, size_t *len)
{
	int r = io_read_file(path, FILE_MAX, buf, len, NULL);

	if (!r && !*len) {
		free(*buf);
		*buf = NULL;
		r = -ENODATA;
	}
	return r;
}

static int read_hex_pair(const char *path, uint64_t *a, uint64_t *b)
{
	char buf[SMALL_MAX];
	ssize_t n = io_read_text(path, buf, sizeof(buf));

	if (n <= 0) {
		return n < 0 ? (int)n : -ENODATA;
	}
	return sscanf(buf, "%" SCNx64 " %" SCNx64, a, b) == 2 ? 0 : -EINVAL;
}

static int read_u64(const char *path, int base, uint64_t *v)
{
	char buf[SMALL_MAX], *end;

	if (io_read_text(path, buf, sizeof(buf)) <= 0) {
		return -ENOENT;
	}
	*v = strtoull(buf, &end, base);
	return end == buf ? -EINVAL : 0;
}

/* The per-CPU crash notes of every possible CPU, then VMCOREINFO's note. */
static int read_notes(struct ka_note *notes, unsigned *nn)
{
	char buf[SMALL_MAX], path[SMALL_MAX];
	const char *p = buf;
	uint64_t size;

	*nn = 0;
	if (io_read_text("/sys/devices/system/cpu/possible", buf, sizeof(buf)) <= 0) {
		log_err("load: cannot read /sys/devices/system/cpu/possible");
		return -ENOENT;
	}
	while (*p >= '0' && *p <= '9') {
		char *e;
		unsigned lo = (unsigned)strtoul(p, &e, 10), hi = lo;

		if (*e == '-') {
			hi = (unsigned)strtoul(e + 1, &e, 10);
		}
		if (hi - lo > MAX_CPU_SCAN) {
			hi = lo + MAX_CPU_SCAN;
		}
		for (unsigned c = lo; c <= hi && *nn < KA_MAX_NOTES - 1; c++) {
			snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/crash_notes", c);
			if (read_u64(path, 16, &notes[*nn].paddr) < 0) {
				continue; /* a possible CPU not present has no crash_notes */
			}
			snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/crash_notes_size", c);
			notes[*nn].size = read_u64(path, 10, &size) == 0 ? size : NOTE_SIZE_DFLT;
			(*nn)++;
		}
		p = *e == ',' ? e + 1 : e;
	}
	if (read_hex_pair("/sys/kernel/vmcoreinfo", &notes[*nn].paddr, &notes[*nn].size) < 0) {
		log_err("load: cannot read /sys/kernel/vmcoreinfo (CONFIG_CRASH_CORE)");
		return -ENOENT;
	}
	if (*nn == 0) {
		log_err("load: no CPU has /sys/devices/system/cpu/cpuN/crash_notes (CONFIG_CRASH_DUMP off?)");
		return -ENOENT;
	}
	(*nn)++;
	return 0;
}

/* From /proc/kcore's program headers: virtual - physical in the linear map
 * (the PT_LOAD of a RAM range) and the kernel image's mapping (the PT_LOAD
 * with a physical address outside the linear map: kcore's text). Without
 * kcore: the 48-bit layout with PHYS_OFFSET = the lowest RAM, and no text
 * segment. kdumpcap itself translates through VMCOREINFO and the page
 * tables; drgn reads swapper_pg_dir through the text segment. */
static void read_kcore(const struct ka_ranges *ram, uint64_t *linear_off, struct ka_text *text)
{
	int fd = io_open("/proc/kcore", O_RDONLY | O_CLOEXEC, 0);
	Elf64_Ehdr eh;
	Elf64_Phdr ph[KA_MAX_RANGES * 2];
	unsigned n = 0;
	bool linear = false;

	*linear_off = (UINT64_MAX << VA_BITS_DFLT) - ram->r[0].start;
	text->size = 0;
	if (fd >= 0 && io_pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_phentsize == sizeof(ph[0])) {
		n = eh.e_phnum < KA_MAX_RANGES * 2 ? eh.e_phnum : KA_MAX_RANGES * 2;
		if (io_pread(fd, ph, n * sizeof(ph[0]), eh.e_phoff) != (ssize_t)(n * sizeof(ph[0]))) {
			n = 0;
		}
	}
	for (unsigned i = 0; i < n && !linear; i++) {
		for (unsigned j = 0; ph[i].p_type == PT_LOAD && j < ram->n; j++) {
			if (ph[i].p_paddr == ram->r[j].start) {
				*linear_off = ph[i].p_vaddr - ph[i].p_paddr;
				linear = true;
			}
		}
	}
	for (unsigned i = 0; i < n && linear; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_paddr != UINT64_MAX && ph[i].p_vaddr - ph[i].p_paddr != *linear_off) {
			text->vaddr = ph[i].p_vaddr;
			text->paddr = ph[i].p_paddr;
			text->size = ph[i].p_memsz;
			break;
		}
	}
	if (!linear || !text->size) {
		log_warn("load: /proc/kcore %s: the core header gets %s", fd < 0 ? "cannot be read" : "has no RAM or text segment",
			 "a guessed linear map and no kernel text segment (drgn may not read the vmcore)");
	}
	if (fd >= 0) {
		io_close(fd);
	}
}

struct image {
	void *kernel, *initrd, *fdt, *dtb, *elfhdr, *purg;
	size_t klen, ilen, fdtlen, dtblen, elflen, purglen;
	struct ka_ranges ram, crash, dumped;
	struct ka_note notes[KA_MAX_NOTES];
	unsigned nn;
	uint64_t text_offset, image_size;
	struct ka_seg seg[KA_NR_SEGS];
};

static void image_free(struct image *im)
{
	free(im->kernel);
	free(im->initrd);
	free(im->fdt);
	free(im->dtb);
	free(im->elfhdr);
	free(im->purg);
}

/* A compressed kernel (gzip, EFI zboot) made into its Image in place. */
static int unpack_kernel(struct image *im, const char *kernel)
{
	uint8_t *out;
	size_t outlen;
	const char *what;
	int r = kimage_unpack(im->kernel, im->klen, FILE_MAX, &out, &outlen, &what);

	if (r == -ENOTSUP) {
		log_err("load: %s is an EFI zboot image compressed with %s: kdumpcap unpacks gzip and zstd; give "
			"the uncompressed Image with --kernel", kernel, what);
	} else if (r < 0) {
		log_err("load: %s (%s) cannot be unpacked: %s", kernel, what, strerror(-r));
	}
	if (r < 0 || !out) {
		return r;
	}
	log_info("load: %s is a %s kernel: unpacked its Image (%zu MiB)", kernel, what, outlen >> 20);
	free(im->kernel);
	im->kernel = out;
	im->klen = outlen;
	return 0;
}

static int read_inputs(struct image *im, const char *kernel, const char *initrd)
{
	int r = slurp(kernel, &im->kernel, &im->klen);

	if (r < 0) {
		log_err("load: cannot read capture kernel %s: %s; give it with --kernel", kernel, strerror(-r));
		return r;
	}
	r = unpack_kernel(im, kernel);
	if (r < 0) {
		return r;
	}
	if (kexec_arm64_image_header(im->kernel, im->klen, &im->text_offset, &im->image_size) < 0) {
		log_err("load: %s is not a little-endian arm64 Image, nor a gzip or EFI zboot kernel holding one",
			kernel);
		return -ENOEXEC;
	}
	r = initrd ? slurp(initrd, &im->initrd, &im->ilen) : 0;
	if (r < 0) {
		log_err("load: cannot read capture initrd %s: %s; build it with 'kdumpcap mkinitrd' or give one "
			"with --initrd", initrd, strerror(-r));
		return r;
	}
	r = slurp("/sys/firmware/fdt", &im->fdt, &im->fdtlen);
	if (r < 0) {
		log_err("load: cannot read the device tree /sys/firmware/fdt: %s (ACPI-only machines are not "
			"supported by the kexec_load path)", strerror(-r));
		return r;
	}
	return 0;
}

static int read_memory(struct image *im)
{
	static char iomem[IOMEM_MAX];
	ssize_t n = io_read_text("/proc/iomem", iomem, sizeof(iomem));
	int r;

	if (n <= 0) {
		log_err("load: cannot read /proc/iomem: %s", n < 0 ? strerror((int)-n) : "empty");
		return n < 0 ? (int)n : -ENODATA;
	}
	r = kexec_arm64_parse_iomem(iomem, &im->ram, &im->crash);
	if (r < 0) {
		log_err("load: /proc/iomem does not parse (%s)", strerror(-r));
		return r;
	}
	if (!im->crash.n || im->crash.r[0].end == 0) {
		log_err("no crashkernel= memory reserved (no 'Crash kernel' in /proc/iomem, or not root): boot "
			"with crashkernel=256M (or more) on the kernel command line, then run kdumpcap load again");
		return -EADDRNOTAVAIL;
	}
	if (!im->ram.n) {
		log_err("load: no System RAM in /proc/iomem");
		return -ENODATA;
	}
	r = kexec_arm64_subtract(&im->ram, &im->crash, &im->dumped);
	return r < 0 ? r : read_notes(im->notes, &im->nn);
}

/* The device tree for the segments' places (sizes do not depend on them). */
static int make_dtb(struct image *im, const char *cmdline, uint64_t seed)
{
	struct ka_ranges usable = { .n = im->crash.n };
	struct ka_dtb_args a = {
		.cmdline = cmdline,
		.initrd_start = im->seg[KA_SEG_INITRD].mem,
		.initrd_end = im->seg[KA_SEG_INITRD].mem + im->ilen,
		.elfhdr = im->seg[KA_SEG_ELFHDR].mem,
		.elfhdr_len = im->elflen,
		.usable = &usable,
		.seed = seed,
	};
	int r;

	/* the highest range first: Linux caps memory to the first (as kexec-tools orders them) */
	for (unsigned i = 0; i < im->crash.n; i++) {
		usable.r[i] = im->crash.r[im->crash.n - 1 - i];
	}
	if (!im->ilen) {
		a.initrd_start = a.initrd_end = 0;
	}
	free(im->dtb);
	im->dtb = NULL;
	r = kexec_arm64_build_dtb(im->fdt, im->fdtlen, &a, &im->dtb, &im->dtblen);
	if (r < 0) {
		log_err("load: cannot build the capture kernel's device tree from /sys/firmware/fdt: %s", strerror(-r));
	}
	return r;
}

static void print_segments(const struct image *im, int level)
{
	for (int i = 0; i < KA_NR_SEGS; i++) {
		const struct ka_seg *s = &im->seg[i];

		if (s->bufsz) {
			log_msg(level, "load: segment %-10s mem 0x%09" PRIx64 "-0x%09" PRIx64 " (memsz 0x%" PRIx64
				       ", bufsz 0x%zx)", seg_names[i], s->mem, s->mem + s->memsz - 1, s->memsz, s->bufsz);
		}
	}
	for (unsigned i = 0; i < im->crash.n; i++) {
		log_msg(level, "load: crash reservation 0x%09" PRIx64 "-0x%09" PRIx64, im->crash.r[i].start,
			im->crash.r[i].end);
	}
}

static int build_segments(struct image *im, const char *cmdline)
{
	uint64_t seed = 0, linear_off;
	struct ka_text text;
	size_t dry;
	int r;

	read_kcore(&im->ram, &linear_off, &text);
	log_debug("load: linear map offset 0x%" PRIx64 ", kernel text 0x%" PRIx64 " at 0x%" PRIx64 " (0x%" PRIx64
		  " bytes)", linear_off, text.vaddr, text.paddr, text.size);
	r = kexec_arm64_elfcorehdr(im->notes, im->nn, &text, &im->dumped, linear_off, &im->elfhdr, &im->elflen);
	if (r < 0) {
		log_err("load: cannot build the ELF core header: %s", strerror(-r));
		return r;
	}
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed)) {
		seed = 0; /* the capture kernel then runs without KASLR, as kexec-tools does */
	}
	im->seg[KA_SEG_ELFHDR].mem = 0;
	r = make_dtb(im, cmdline, seed);
	if (r < 0) {
		return r;
	}
	dry = im->dtblen;
	im->purglen = kdc_purgatory_arm64_len;
	im->purg = malloc(im->purglen);
	if (!im->purg) {
		return -ENOMEM;
	}
	memcpy(im->purg, kdc_purgatory_arm64, im->purglen);
	const struct ka_seg segs[KA_NR_SEGS] = {
		[KA_SEG_KERNEL] = { im->kernel, im->klen, 0, 0 },
		[KA_SEG_INITRD] = { im->initrd, im->ilen, 0, 0 },
		[KA_SEG_DTB] = { NULL, im->dtblen, 0, 0 },
		[KA_SEG_ELFHDR] = { im->elfhdr, im->elflen, 0, 0 },
		[KA_SEG_PURGATORY] = { im->purg, im->purglen, 0, 0 },
	};
	memcpy(im->seg, segs, sizeof(segs));
	r = kexec_arm64_place(im->seg, &im->crash.r[im->crash.n - 1], im->text_offset, im->image_size,
			      (uint64_t)sysconf(_SC_PAGESIZE));
	if (r == -EINVAL) {
		log_err("load: the Image's text_offset 0x%" PRIx64 " is not on a page of this kernel (%ld bytes): "
			"kexec_load cannot place it", im->text_offset, sysconf(_SC_PAGESIZE));
		return r;
	}
	if (r < 0) {
		log_err("the crashkernel= reservation is too small for the kernel (%zu MiB in memory) and the "
			"initrd (%zu MiB): boot with a bigger crashkernel= or use a smaller initrd",
			(size_t)(im->image_size >> 20), im->ilen >> 20);
		return r;
	}
	r = make_dtb(im, cmdline, seed);
	if (r < 0 || im->dtblen != dry) {
		return r < 0 ? r : -EINVAL;
	}
	im->seg[KA_SEG_DTB].buf = im->dtb;
	return kexec_arm64_purgatory_fill(im->purg, im->purglen, im->seg);
}

static void explain_legacy(int err, const struct image *im)
{
	switch (err) {
	case EPERM:
		log_err("kexec_load not permitted: run as root (CAP_SYS_BOOT); check "
			"/proc/sys/kernel/kexec_load_disabled and kernel lockdown (/sys/kernel/security/lockdown: "
			"under lockdown only kexec_file_load with a signed kernel works)");
		break;
	case EBUSY:
		log_err("another kexec operation is in progress; try again");
		break;
	case ENOSYS:
		log_err("this kernel has neither kexec_file_load nor kexec_load (CONFIG_KEXEC is off)");
		break;
	default:
		log_err("kexec_load failed: %s (%s); the segments were:", strerror(err), io_errname(err));
		print_segments(im, LOG_ERR);
		break;
	}
}

int load_legacy(const char *kernel, const char *initrd, const char *cmdline)
{
	static struct image im;
	struct kexec_segment ks[KA_NR_SEGS];
	unsigned n = 0;
	int r;

	memset(&im, 0, sizeof(im));
	r = read_inputs(&im, kernel, initrd);
	r = r < 0 ? r : read_memory(&im);
	r = r < 0 ? r : build_segments(&im, cmdline);
	if (r < 0) {
		image_free(&im);
		return r;
	}
	print_segments(&im, LOG_DEBUG);
	for (int i = 0; i < KA_NR_SEGS; i++) {
		if (im.seg[i].bufsz) {
			ks[n++] = (struct kexec_segment){ im.seg[i].buf, im.seg[i].bufsz, (const void *)(uintptr_t)im.seg[i].mem,
							  im.seg[i].memsz };
		}
	}
	log_debug("load: kexec_load entry 0x%" PRIx64 " (purgatory), %u segments, %u notes", im.seg[KA_SEG_PURGATORY].mem,
		  n, im.nn);
	if (syscall(SYS_kexec_load, (unsigned long)im.seg[KA_SEG_PURGATORY].mem, (unsigned long)n, ks, KEXEC_FLAGS) < 0) {
		r = -errno;
		explain_legacy(-r, &im);
	}
	image_free(&im);
	return r;
}

int load_legacy_unload(void)
{
	if (syscall(SYS_kexec_load, 0UL, 0UL, NULL, KEXEC_FLAGS) < 0) {
		int err = errno;

		if (err == EPERM) {
			explain_legacy(err, NULL);
		} else {
			log_err("unloading the capture kernel (kexec_load) failed: %s (%s)", strerror(err), io_errname(err));
		}
		return -err;
	}
	return 0;
}
