/* The kdump-compressed writer (header version 6). See FORMAT.md. Two passes
 * over the pfn space, window by window: the first writes both bitmaps and
 * counts the dumped pages (which places the descriptor table), the second
 * reads, compresses and writes the pages in pfn order: exactly the pages
 * of the 2nd bitmap the first pass wrote, never more than it counted. Only positioned
 * writes, so a file and a flattened stream take the same path. */
#ifndef KDC_KDUMP_H
#define KDC_KDUMP_H

#include <stdint.h>

#include "capture/collector.h"
#include "filter/filter.h"
#include "lib/kdumpfmt.h"
#include "transport/sink.h"
#include "vmcore/vmcore.h"

struct kdump_result {
	uint64_t dumped;     /* pages in the 2nd bitmap */
	uint64_t data_pages; /* pages whose contents were written */
	uint64_t zero;       /* pages that share the zero page */
	uint64_t shared;     /* pages that share an equal page's data */
	uint64_t fill;       /* pages that share the copy of a page filled with their byte */
	uint64_t unreadable; /* pages the vmcore could not give (descriptor left empty) */
	uint64_t bytes;      /* size of the dump (its end offset when complete) */
	uint64_t filter_ns;  /* pass 1: the page filter and the bitmaps */
	uint64_t pages_ns;   /* pass 2: the pages, to the last write */
	bool complete;
	bool reported;       /* the error that stopped the dump was logged */
};

/* Write the dump of VC filtered by F with O to S. Does not finish S.
 * 0 when complete; -errno on the first write error or when pages were
 * unreadable (the header then keeps its INCOMPLETE flag). */
int kdump_write(struct vmcore *vc, struct filter *f, const struct collect_opts *o, struct sink *s,
		struct kdump_result *res);

#endif
