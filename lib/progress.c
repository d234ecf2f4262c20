#include <stdio.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/progress.h"

#define INTERVAL_NS 1000000000ull

uint64_t progress_now_ns(void)
{
	return mono_ns();
}

static void print(struct progress *p, uint64_t done, uint64_t now)
{
	double secs = (double)(now - p->start_ns) / 1e9;
	double pct = p->total ? 100.0 * (double)done / (double)p->total : 100.0;
	double rate = secs > 0 ? (double)done / secs : 0; /* pages/s */
	double eta = rate > 0 && p->total > done ? (double)(p->total - done) / rate : 0;

	fprintf(stderr, "kdumpcap: %s [%5.1f%%] %llu/%llu pages, %.1f MB/s, %.0fs elapsed, ETA %.0fs\n", p->what,
		pct, (unsigned long long)done, (unsigned long long)p->total, rate * 4096 / 1e6, secs, eta);
}

void progress_start(struct progress *p, const char *what, uint64_t total, bool on)
{
	p->what = what;
	p->total = total;
	p->on = on;
	p->start_ns = progress_now_ns();
	p->last_ns = p->start_ns;
}

void progress_update(struct progress *p, uint64_t done)
{
	uint64_t now;

	if (!p->on) {
		return;
	}
	now = progress_now_ns();
	if (now - p->last_ns < INTERVAL_NS) {
		return;
	}
	p->last_ns = now;
	print(p, done, now);
}

void progress_end(struct progress *p, uint64_t done)
{
	if (p->on) {
		print(p, done, progress_now_ns());
	}
}
