/* Synthetic printk buffers for dmesg_write: 64 KiB of RAM at physical
 * SYNTHLOG_PADDR holding the lockless ring `prb` (Linux 5.10+, 6.1's
 * layout), struct printk_log records in `log_buf` (3.5 - 5.9) or a plain
 * character `log_buf` (before 3.5), with the VMCOREINFO texts that
 * describe them. The RAM goes into an ELF core with tests/synth/synthvm.h
 * (physical SYNTHLOG_PADDR, virtual SYNTHLOG_VA_DIRECT). */
#ifndef KDC_SYNTHLOG_H
#define KDC_SYNTHLOG_H

#include <stddef.h>
#include <stdint.h>

#define SYNTHLOG_MEM_SIZE 0x10000u
#define SYNTHLOG_PADDR 0x1000000ull
#define SYNTHLOG_VA_DIRECT 0xffff888001000000ull /* reached through the PT_LOAD's vaddr */
#define SYNTHLOG_VA_TEXT 0xffffffff81000000ull   /* reached through phys_base = 0 */

/* where things live in the RAM: the symbols (prb; log_buf, log_buf_len,
 * log_first_idx / log_end, log_next_idx) from offset 0 */
#define SYNTHLOG_PRB 0x100
#define SYNTHLOG_DESCS 0x1000
#define SYNTHLOG_INFOS 0x2000
#define SYNTHLOG_DATA 0x4000
#define SYNTHLOG_LOG 0x8000

#define SYNTHLOG_COUNT_BITS 4
#define SYNTHLOG_COUNT (1u << SYNTHLOG_COUNT_BITS) /* descriptors */
#define SYNTHLOG_SIZE_BITS 10
#define SYNTHLOG_RING (1u << SYNTHLOG_SIZE_BITS) /* text bytes */
#define SYNTHLOG_DESC_SIZE 24
#define SYNTHLOG_INFO_SIZE 88
#define SYNTHLOG_LOG_HDR 16 /* struct printk_log */

extern const char synthlog_prb_vmci[];
extern const char synthlog_log_vmci[];
extern const char synthlog_raw_vmci[];

/* An empty prb in MEM: the pointer at 0, the ring's geometry. */
void synthlog_prb_init(uint8_t *mem);

/* Record ID: LEN bytes of TEXT at text position *LPOS (advanced), placed
 * as the kernel's data_alloc does (a block that would cross the ring's end
 * goes to its start), its descriptor in state STATE (2: finalized). */
void synthlog_prb_push(uint8_t *mem, uint64_t id, uint64_t *lpos, uint64_t ts, const char *text, size_t len,
		       unsigned state);

/* The ring's head_id and tail_id. */
void synthlog_prb_head_tail(uint8_t *mem, uint64_t head, uint64_t tail);

/* A struct printk_log record of TEXT at index IDX of log_buf; returns the
 * index after it. */
uint32_t synthlog_log_rec(uint8_t *mem, uint32_t idx, uint64_t ts, const char *text);

#endif
