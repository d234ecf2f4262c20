/* Progress on stderr for long runs: percent, rate, ETA; at most one line a
 * second, whole lines so a serial console stays readable. */
#ifndef KDC_PROGRESS_H
#define KDC_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	const char *what;
	uint64_t total;
	uint64_t start_ns;
	uint64_t last_ns;
	bool on;
};

void progress_start(struct progress *p, const char *what, uint64_t total, bool on);
void progress_update(struct progress *p, uint64_t done);
void progress_end(struct progress *p, uint64_t done);
uint64_t progress_now_ns(void);

#endif
