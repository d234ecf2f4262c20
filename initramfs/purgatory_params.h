/* The arm64 purgatory's parameter block: what `kdumpcap load` writes into the
 * purgatory image before loading it (initramfs/kexec_arm64.c), and what the
 * purgatory (purgatory/main.c) reads. Little-endian, found by its magic. */
#ifndef KDC_PURGATORY_PARAMS_H
#define KDC_PURGATORY_PARAMS_H

#define PURG_MAGIC       0x3147525550434b44ULL /* "DKCPURG1" read little-endian */
#define PURG_MAX_REGIONS 8
#define PURG_DIGEST_LEN  32

/* offsetof(struct purg_params, kernel_entry/dtb), for the entry code */
#define PURG_OFF_ENTRY 8
#define PURG_OFF_DTB   16

#ifndef __ASSEMBLER__
#include <stdint.h>

struct purg_region {
	uint64_t start, len; /* physical */
};

struct purg_params {
	uint64_t magic;
	uint64_t kernel_entry; /* physical address the Image is entered at */
	uint64_t dtb;          /* physical address of the device tree: x0 */
	uint64_t nr_regions;
	struct purg_region region[PURG_MAX_REGIONS]; /* the segments the digest covers */
	uint8_t digest[PURG_DIGEST_LEN];             /* SHA-256 over the regions in order */
};

#endif
#endif
