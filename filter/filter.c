#include <errno.h>
#include <string.h>

#include "filter/filter.h"
#include "lib/log.h"

int filter_init(struct filter *f, struct vmcore *vc, unsigned level, size_t budget)
{
	memset(f, 0, sizeof(*f));
	if (level > DL_MAX) {
		return -EINVAL;
	}
	f->vc = vc;
	f->level = level;
	f->budget = budget;
	return 0;
}

int filter_window(struct filter *f, uint64_t start, uint64_t n, uint8_t *ram, uint8_t *dump, bool count)
{
	const struct vmcore *vc = f->vc;

	for (unsigned i = 0; i < vc->nseg; i++) {
		const struct vmcore_seg *s = &vc->seg[i];
		uint64_t a = s->paddr >> VMCORE_PAGE_SHIFT;
		uint64_t b = (s->paddr + s->memsz + VMCORE_PAGE_SIZE - 1) >> VMCORE_PAGE_SHIFT;

		if (a < start) {
			a = start;
		}
		if (b > start + n) {
			b = start + n;
		}
		for (uint64_t p = a; p < b; p++) {
			uint64_t bit = p - start;
			ram[bit >> 3] |= (uint8_t)(1u << (bit & 7));
			dump[bit >> 3] |= (uint8_t)(1u << (bit & 7));
			if (count) {
				f->st.total++;
				f->st.kept++;
			}
		}
	}
	return 0;
}

void filter_close(struct filter *f)
{
	f->impl = NULL;
}
