/* Which pages stay: makedumpfile's dump level (1 zero, 2 cache without
 * private, 4 cache with private, 8 user, 16 free), decided from the dead
 * kernel's struct page array, window by window so memory does not grow
 * with RAM. Zero pages (level bit 1) are decided by the writer from page
 * contents; the filter decides everything that needs struct page. */
#ifndef KDC_FILTER_H
#define KDC_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmcore/vmcore.h"

#define DL_ZERO 1u
#define DL_CACHE 2u
#define DL_CACHE_PRIVATE 4u
#define DL_USER 8u
#define DL_FREE 16u
#define DL_MAX 31u

struct filter_stats {
	uint64_t total;         /* pfns in [0, max_pfn) that are RAM */
	uint64_t zero;          /* filled in by the writer */
	uint64_t cache;
	uint64_t cache_private;
	uint64_t user;
	uint64_t free;
	uint64_t hwpoison;
	uint64_t offline;
	uint64_t kept;          /* in the 2nd bitmap */
};

struct filter_impl; /* the struct-page classifier's private state */

struct filter {
	struct vmcore *vc;
	unsigned level;
	size_t budget;          /* bytes the filter may use for its buffers */
	struct filter_stats st;
	struct filter_impl *impl; /* NULL: keep every RAM page (levels 0/1, or layout unknown) */
};

/* Prepare to classify with LEVEL; never fails for an unknown layout (it
 * then keeps pages and says why once). -errno only for bad arguments/ENOMEM. */
int filter_init(struct filter *f, struct vmcore *vc, unsigned level, size_t budget);
/* For pfns [start, start + n): set bit (pfn - start) of RAM for pages the
 * vmcore holds, and of DUMP for those to be written. start and n are
 * multiples of 8; both bitmaps are zeroed by the caller. With COUNT the
 * pages are added to f->st (call with COUNT once per pfn). */
int filter_window(struct filter *f, uint64_t start, uint64_t n, uint8_t *ram, uint8_t *dump, bool count);
void filter_close(struct filter *f);
/* A filter for another thread, deciding as F does through VIEW (a
 * vmcore_view of F's vmcore), with its own buffers (1/SHARE of F's) and
 * counts. A copy holds its warnings: filter_gather says those F has not
 * said yet (gather the copies in the order of their windows, after F's
 * own, and each kind is said once, naming its lowest pfn whatever the
 * threads' timing). filter_merge gathers, adds C's counts to F and closes C. */
int filter_clone(const struct filter *f, struct filter *c, struct vmcore *view, unsigned share);
void filter_gather(struct filter *f, struct filter *c);
void filter_merge(struct filter *f, struct filter *c);
/* makedumpfile's --show-stats report of f->st for a dump of MAX_MAPNR pfns,
 * into buf (NUL-terminated, truncated to size); returns its length. */
size_t filter_report(const struct filter *f, uint64_t max_mapnr, char *buf, size_t size);

#endif
