/* Synthetic printk buffers. See synthlog.h. */
#include <string.h>

#include "lib/rd.h"
#include "tests/synth/synthlog.h"

const char synthlog_prb_vmci[] =
	"OSRELEASE=6.1.0-56-amd64\nPAGESIZE=4096\nNUMBER(phys_base)=0\n"
	"SYMBOL(prb)=ffffffff81000000\nSIZE(printk_ringbuffer)=88\n"
	"OFFSET(printk_ringbuffer.desc_ring)=0\nOFFSET(printk_ringbuffer.text_data_ring)=48\n"
	"OFFSET(prb_desc_ring.count_bits)=0\nOFFSET(prb_desc_ring.descs)=8\nOFFSET(prb_desc_ring.infos)=16\n"
	"OFFSET(prb_desc_ring.head_id)=24\nOFFSET(prb_desc_ring.tail_id)=32\nSIZE(prb_desc)=24\n"
	"OFFSET(prb_desc.state_var)=0\nOFFSET(prb_desc.text_blk_lpos)=8\nOFFSET(prb_data_blk_lpos.begin)=0\n"
	"OFFSET(prb_data_blk_lpos.next)=8\nOFFSET(prb_data_ring.size_bits)=0\nOFFSET(prb_data_ring.data)=8\n"
	"SIZE(printk_info)=88\nOFFSET(printk_info.seq)=0\nOFFSET(printk_info.ts_nsec)=8\n"
	"OFFSET(printk_info.text_len)=16\nOFFSET(printk_info.caller_id)=20\nOFFSET(atomic_long_t.counter)=0\n";

const char synthlog_log_vmci[] =
	"OSRELEASE=5.4.0\nNUMBER(phys_base)=0\nSYMBOL(log_buf)=ffffffff81000000\n"
	"SYMBOL(log_buf_len)=ffffffff81000008\nSYMBOL(log_first_idx)=ffffffff81000010\n"
	"SYMBOL(log_next_idx)=ffffffff81000014\nSIZE(printk_log)=16\nOFFSET(printk_log.ts_nsec)=0\n"
	"OFFSET(printk_log.len)=8\nOFFSET(printk_log.text_len)=10\n";

const char synthlog_raw_vmci[] = "OSRELEASE=3.2.0\nNUMBER(phys_base)=0\nSYMBOL(log_buf)=ffffffff81000000\n"
				 "SYMBOL(log_buf_len)=ffffffff81000008\nSYMBOL(log_end)=ffffffff81000010\n";

void synthlog_prb_init(uint8_t *mem)
{
	st_le64(mem, SYNTHLOG_VA_TEXT + SYNTHLOG_PRB);
	st_le32(mem + SYNTHLOG_PRB, SYNTHLOG_COUNT_BITS);
	st_le64(mem + SYNTHLOG_PRB + 8, SYNTHLOG_VA_DIRECT + SYNTHLOG_DESCS);
	st_le64(mem + SYNTHLOG_PRB + 16, SYNTHLOG_VA_TEXT + SYNTHLOG_INFOS);
	st_le32(mem + SYNTHLOG_PRB + 48, SYNTHLOG_SIZE_BITS);
	st_le64(mem + SYNTHLOG_PRB + 56, SYNTHLOG_VA_DIRECT + SYNTHLOG_DATA);
}

void synthlog_prb_push(uint8_t *mem, uint64_t id, uint64_t *lpos, uint64_t ts, const char *text, size_t len,
		       unsigned state)
{
	uint64_t slot = id % SYNTHLOG_COUNT, size = (8 + len + 7) & ~7ull, begin = *lpos, next = begin + size;
	uint64_t pos = begin % SYNTHLOG_RING;
	uint8_t *desc = mem + SYNTHLOG_DESCS + slot * SYNTHLOG_DESC_SIZE;
	uint8_t *info = mem + SYNTHLOG_INFOS + slot * SYNTHLOG_INFO_SIZE;

	if (pos + size > SYNTHLOG_RING) {
		next = begin - pos + SYNTHLOG_RING + size;
		pos = 0;
	}
	st_le64(mem + SYNTHLOG_DATA + pos, id);
	memcpy(mem + SYNTHLOG_DATA + pos + 8, text, len);
	st_le64(desc, (uint64_t)state << 62 | id);
	st_le64(desc + 8, begin);
	st_le64(desc + 16, next);
	memset(info, 0, SYNTHLOG_INFO_SIZE);
	st_le64(info, id);
	st_le64(info + 8, ts);
	info[16] = (uint8_t)len; /* u16 text_len */
	info[17] = (uint8_t)(len >> 8);
	*lpos = next;
}

void synthlog_prb_head_tail(uint8_t *mem, uint64_t head, uint64_t tail)
{
	st_le64(mem + SYNTHLOG_PRB + 24, head);
	st_le64(mem + SYNTHLOG_PRB + 32, tail);
}

uint32_t synthlog_log_rec(uint8_t *mem, uint32_t idx, uint64_t ts, const char *text)
{
	size_t tl = strlen(text);
	uint32_t len = (uint32_t)((SYNTHLOG_LOG_HDR + tl + 7) & ~7u);
	uint8_t *p = mem + SYNTHLOG_LOG + idx;

	st_le64(p, ts);
	p[8] = (uint8_t)len; /* u16 len, u16 text_len */
	p[9] = (uint8_t)(len >> 8);
	p[10] = (uint8_t)tl;
	p[11] = (uint8_t)(tl >> 8);
	memcpy(p + SYNTHLOG_LOG_HDR, text, tl);
	return idx + len;
}
