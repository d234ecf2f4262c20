/* How much crashkernel= memory a capture kernel needs, part by part, and
 * how many CPUs a reservation affords. Shared by `kdumpcap estimate` and
 * `kdumpcap load` (which picks nr_cpus= with it). */
#ifndef KDC_ESTIMATE_H
#define KDC_ESTIMATE_H

#include <stdbool.h>
#include <stdint.h>

#define EST_MIB (1ull << 20)

/* Constants measured with Debian 12's 6.1 kernel under QEMU (README,
 * "Capture kernel CPUs and memory"; 2 GB guest, ext4 target, a 1.7 MB image).
 * What the capture kernel needs besides its init_size and the initramfs, for
 * one CPU: slab, page tables, memmap, devices, less the part of init_size
 * that is only room to decompress (reused once the kernel runs). Set from the
 * 1-CPU floor (92M dies before /init, 96M captures): init_size 63.6 + image
 * 8.3 + collector 8 + this 16 = 95.9 MiB, crashkernel=96M. ... */
#define EST_KERNEL_RUNTIME (16 * EST_MIB)
/* ... each further CPU: at most what 4 MiB steps of crashkernel= can show (1
 * and 2 CPUs both die at 92M and capture at 96M; not measured beyond 2). Its
 * per-CPU chunk is 248 KiB (62 pages), a collector thread 80..160 KiB (host);
 * the rest covers kthreads, per-CPU slab and page lists at boot ... */
#define EST_PER_CPU (4 * EST_MIB)
/* ... and the collector itself with one thread: 6.6 MiB anonymous at its
 * peak on a 1.5 GB vmcore (host, -d 31 -z) and its 1.6 MiB binary. */
#define EST_COLLECTOR (8 * EST_MIB)
/* crashkernel= values are rounded up to this. */
#define EST_ROUND (8 * EST_MIB)
/* load never picks more CPUs than the collector uses threads. */
#define EST_MAX_CPUS 8

struct est_inputs {
	uint64_t kernel_file;     /* bzImage bytes */
	uint64_t kernel_init;     /* its init_size: the memory kexec sets aside for it */
	uint64_t initrd_file;     /* the image as loaded */
	uint64_t initrd_unpacked; /* its cpio, uncompressed (what the kernel unpacks into RAM) */
	bool initrd_guessed;      /* the image's format gives no size: EST_UNPACK_GUESS x file */
	unsigned online;          /* CPUs online in the running kernel */
	int64_t crash_size;       /* bytes reserved by crashkernel=; 0 none, -1 unknown */
};

#define EST_UNPACK_GUESS 4

struct est_parts {
	uint64_t kernel, image, runtime, percpu, collector;
	uint64_t total;   /* the sum */
	uint64_t rounded; /* the sum rounded up to EST_ROUND: the crashkernel= to give */
};

/* The memory a capture kernel with NCPUS CPUs needs, part by part; returns p->rounded. */
uint64_t est_need(const struct est_inputs *in, unsigned ncpus, struct est_parts *p);
/* The CPU count `kdumpcap load` gives the capture kernel: the most CPUs (at
 * most the online ones and EST_MAX_CPUS) whose need fits the reservation; 1
 * when even one does not fit or the reservation is unknown. */
unsigned est_pick_cpus(const struct est_inputs *in);

/* The running machine, read under SYSROOT ("" for /): online CPUs from
 * sys/devices/system/cpu/online, the reservation from
 * sys/kernel/kexec_crash_size. Missing files leave online 1, crash_size -1. */
void est_probe_machine(struct est_inputs *in, const char *sysroot);
/* The crashkernel= reservation in bytes, from SYSROOT/sys/kernel/kexec_crash_size
 * (the one reader of it): 0 none, -1 unknown (no such file, not a number). */
int64_t est_crash_size(const char *sysroot);
/* The kernel's sizes from its bzImage setup header (or an arm64 Image's
 * header: image_size). 0 or -errno (-ENOEXEC: neither). */
int est_probe_kernel(struct est_inputs *in, const char *path);
/* The image's sizes: zstd (frame content size), gzip (ISIZE) or plain cpio. 0 or -errno. */
int est_probe_initrd(struct est_inputs *in, const char *path);

/* Count the CPUs of a sysfs cpu list ("0-3,5\n"): the count, or -EINVAL. */
int est_cpu_list_count(const char *s);

#endif
